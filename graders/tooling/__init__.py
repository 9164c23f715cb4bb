"""Tooling for the authors of a course: proving graders against known and automatic mutants.

Neither grading nor a front door: the command line's verbs call it; it imports the engine,
the assignments and the sandbox, and nothing but a front door imports it.
"""
