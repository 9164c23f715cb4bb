"""Grader package of the `gan_torch` assignment (checks, sandbox tasks, calibrated thresholds)."""
