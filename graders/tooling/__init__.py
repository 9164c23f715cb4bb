"""Tooling for the authors of a course, neither grading nor a front door: calibration of the
trained checks, proving graders against known and automatic mutants, scaffolding new
assignments, building notebooks, packing what students and autograders get.

It imports the engine, the assignments and the sandbox; nothing imports it but the front
doors (`dlgrade/`), and it never imports the tests.
"""
