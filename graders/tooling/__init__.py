"""Tooling for instructors that is neither grading nor a front door: scaffolding, notebooks,
calibration, verification, packing. It imports the engine, the course content and the
sandbox; only front doors import it."""
