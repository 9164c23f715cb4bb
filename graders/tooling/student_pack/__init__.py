"""`dlgrade student-pack`: what a student gets, a self-check that carries no solution.

recorder: grades with the visible checks while recording their calls into the reference.
sources: the assignment's modules the checks need, with their imports rewritten for the pack.
leaks: the scan of a built pack for reference code and hidden checks.
unrecorded: what needs no recording (the reference's module name, task files, torch).
build: writes the pack (notebook, checks, stand-in reference, recording, install files).
loading: loads a built pack in this process (tests, verification).
"""
