"""Grader package of the `vae_torch` assignment (checks, sandbox tasks, calibrated thresholds)."""
