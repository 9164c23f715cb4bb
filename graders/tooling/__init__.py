"""Tools around grading that are neither grading nor a front door: packing, calibration,
verification. They import the engine, the course content and the sandbox; only front doors
import them."""
