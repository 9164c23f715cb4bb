"""The trained-model check of `sparse_autoencoder`, declared once (`TRAINED`).

Its calibrated numbers are data, in thresholds.json beside this file, written by
`dlgrade calibrate sparse_autoencoder --write`; do not edit them by hand. UNTRAINED_COST
and PLATEAU_COST below are the calibration's printed reference points.

Data (prepared by the grader with the REFERENCE pipeline, so a wrong pipeline in the
submission cannot change the task), a draw made from the course secret (`graded_data`
below): scikit-learn's two sample photos (`dlgrade.data.load_sample_photos()`),
`to_grayscale`, then `sample_patches(gray, patch_size, n_train, seed=<secret>)` and, for
the held-out set, `sample_patches(gray, patch_size, n_test, seed=<another secret>)`, each
set put through `normalize_patches` on its own; then the 64 pixels of every patch are put
in one secret order. The seed of `train` is secret too.

The check runs the submission's `train(X_train, n_hidden, rho, beta, lam, lr, epochs,
seed)` (full-batch Adam steps, as the contract's docstring says) and measures the
contract's `cost(params, X_test, rho, beta, lam)` of the returned parameters (`heldout_cost`). The
untrained network (init_params only) has held-out cost UNTRAINED_COST (mean over the
calibration draws); the plateau where every hidden unit is off and X_hat is the mean
patch costs about PLATEAU_COST, so the bound sits well below both.

Why the pixel order: a tied-weight autoencoder does exactly as well on permuted pixels
(the permutation relabels the rows of W and the entries of b_v; normalisation is per
patch; the initial weights are i.i.d.), so the draw is fair, while filters trained in
advance on the photos (for any patch sample: they generalise across patches of the same
photos) do not fit permuted patches. The learned-filters picture puts the pixels back in
their places.

The bound is calibrated over secret draws and over harmless variations of the reference
(the record's `variation`: the tied-weight gradient's three terms added in another order,
the training patches perturbed by 1e-12 relative, Adam's step computed as
m_hat * (lr / (sqrt(v_hat) + eps))), with a 5% margin above the worst of them.
"""

from __future__ import annotations

import functools

import numpy as np

from pathlib import Path

from graders.engine.secret import CourseSecret
from graders.engine.trained_checks import TrainedCheck, with_calibration

CHECK = "train: held-out cost"
METRIC = "held-out cost J"

SETTINGS = {
    "patch_size": 8,
    "n_train": 2000,
    "n_test": 2000,
    "n_hidden": 25,
    "rho": 0.05,
    "beta": 3.0,
    "lam": 0.001,
    "lr": 0.3,
    "epochs": 500,
}


# Cached for the process, not per grade: a pure function of the course secret, the settings
# and the bundled photos (the same draw for every grade of a course).
@functools.lru_cache(maxsize=4)
def _graded_data(secret: CourseSecret, items: tuple) -> dict:
    from dlgrade.data import load_sample_photos
    from reference.numpy import sparse_autoencoder as ref

    s = dict(items)
    gray = ref.to_grayscale(load_sample_photos())
    p = s["patch_size"]
    pixels = secret.rng(CHECK, "pixels").permutation(p * p)
    data = {"pixels": pixels, "seed": secret.seed(CHECK, "train")}
    for key, n, purpose in (("X_train", s["n_train"], "training patches"),
                            ("X_test", s["n_test"], "held-out patches")):
        patches = ref.normalize_patches(ref.sample_patches(gray, p, n, secret.seed(CHECK, purpose)))
        data[key] = np.ascontiguousarray(patches[:, pixels])
        data[key].flags.writeable = False
    return data


def graded_data(secret: CourseSecret, settings: dict = SETTINGS) -> dict:
    """The draw of one course: {"X_train" (n_train, p*p), "X_test" (n_test, p*p): normalised
    patches in [0.1, 0.9] with the pixels in the secret order "pixels", "seed": train's seed}.
    The arrays are copies the caller may change."""
    data = _graded_data(secret, tuple(sorted(settings.items())))
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in data.items()}


def heldout_cost(params: dict, X: np.ndarray, settings: dict = SETTINGS) -> float:
    """The contract's cost J (the value only) with the settings' rho, beta and lam, written
    out here in the grader's process rather than taken from the reference module (a student
    pack replays it for any trained model):

        J = 1/(2N) sum (sigmoid(sigmoid(X W + b_h) W.T + b_v) - X)^2 + lam/2 sum W^2
            + beta sum_j KL(rho || mean over rows of hidden unit j)

    with sigmoid(z) = (1 + tanh(z / 2)) / 2, exact and free of overflow."""
    rho, beta, lam = settings["rho"], settings["beta"], settings["lam"]
    weights, hidden_bias, visible_bias = (np.asarray(params[k], dtype=np.float64) for k in ("W", "b_h", "b_v"))
    with np.errstate(all="ignore"):
        code = 0.5 * (1.0 + np.tanh(0.5 * (X @ weights + hidden_bias)))
        rebuilt = 0.5 * (1.0 + np.tanh(0.5 * (code @ weights.T + visible_bias)))
        mean_activation = code.mean(axis=0)
        squared_error = np.sum((rebuilt - X) ** 2) * (0.5 / X.shape[0])
        decay = 0.5 * lam * np.sum(weights ** 2)
        divergence = beta * np.sum(rho * np.log(rho / mean_activation)
                                   + (1 - rho) * np.log((1 - rho) / (1 - mean_activation)))
        return float(squared_error + decay + divergence)


UNTRAINED_COST = 41.4854
PLATEAU_COST = 0.453221

TRAINED = TrainedCheck(
    assignment="sparse_autoencoder",
    key=CHECK,
    metric=METRIC,
    higher_is_better=False,
    margin=0.05,
    cpu_budget_s=20.0,
    settings={"sample_photos": SETTINGS},
    # The model the CPU budget assumes (said when the trained check runs over its time).
    model_size=("the grader's sizes, which train receives: 64 visible and 25 hidden units with tied weights "
                "(about 1.7 k parameters), 500 full-batch Adam steps on 2000 patches, each step vectorised over "
                "all rows"),
    runs=("10 course-secret draws (patch samples, pixel order, seed) of the reference; on the first 5, the "
          "harmless variations named in the calibrate module's VARIATIONS"),
)

TRAINED_CHECKS = (TRAINED,)


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)
