"""Grader of `sparse_autoencoder`: sparse autoencoder with tied weights on natural image patches.

`thresholds.py` holds the calibrated bound of the trained check (held-out cost after the
student's `train`), `calibrate.py` regenerates it from the reference solution.
"""
