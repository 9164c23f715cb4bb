"""Grader package of the `autoencoders_torch` assignment (checks, sandbox tasks, calibrated thresholds)."""
