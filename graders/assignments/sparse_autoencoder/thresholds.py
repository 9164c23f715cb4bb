"""Calibrated bound of the trained-model check of `sparse_autoencoder`.

Written by `python -m graders.assignments.sparse_autoencoder.calibrate --write`; do not
edit the table by hand.

Data (prepared by the grader with the REFERENCE pipeline, so a wrong pipeline in the
submission cannot change the task): scikit-learn's two sample photos
(`dlgrade.data.load_sample_photos()`), `to_grayscale`, then `sample_patches(gray,
patch_size, n_train, seed=train_patch_seed)` and, for the held-out set,
`sample_patches(gray, patch_size, n_test, seed=test_patch_seed)`, each set put through
`normalize_patches` on its own.

The check runs the submission's `train(X_train, n_hidden, rho, beta, lam, lr, epochs,
seed=grade_seed)` (full-batch Adam steps, as the contract's docstring says) and measures
the REFERENCE `cost(params, X_test, rho, beta, lam)` of the returned parameters. The
untrained network (init_params only) has held-out cost UNTRAINED_COST (mean over the
calibration seeds); the plateau where every hidden unit is off and X_hat is the mean
patch costs about PLATEAU_COST, so the bound sits well below both.
"""

from __future__ import annotations

from graders.engine.thresholds import Threshold

CHECK = "train: held-out cost"
METRIC = "held-out cost J"

SETTINGS = {
    "patch_size": 8,
    "n_train": 2000,
    "n_test": 2000,
    "train_patch_seed": 0,
    "test_patch_seed": 1,
    "n_hidden": 25,
    "rho": 0.05,
    "beta": 3.0,
    "lam": 0.001,
    "lr": 0.3,
    "epochs": 500,
}

UNTRAINED_COST = 41.431
PLATEAU_COST = 0.450103

THRESHOLDS = {
    'train: held-out cost': Threshold(
        metric=METRIC,
        bound=0.41042328777252324,
        higher_is_better=False,
        reference_values=(0.3899328717731605, 0.39087932168811734, 0.3898188846122566, 0.39025204257368684, 0.39055630352330956, 0.39019587376432724, 0.3900318759577193, 0.3900889444540657, 0.3901300342397411, 0.39010869437073836,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=20.0,
        grade_seed=0,
        settings=dict(SETTINGS),
        dataset='sample_photos',
    ),
}
