"""Tools that are neither grading nor a front door (calibration, verification, scaffolding,
packing): they import the engine, course content and sandbox; only front doors import them."""
