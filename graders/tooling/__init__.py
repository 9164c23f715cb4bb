"""Tooling that is neither grading nor a front door: calibration of the trained checks,
scaffolding new assignments, building notebooks.

It imports the engine, the assignments and the sandbox; nothing imports it but the front
doors (`dlgrade/`), and it never imports the tests.
"""
