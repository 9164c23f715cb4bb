"""The data of the `transfer_torch` checks: the pretrained weights as plain arrays, the digits and
their splits, the probes' images.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from graders.assignments.transfer_torch.thresholds import CLASSES, SPLIT

WEIGHTS = Path(__file__).with_name("base_weights.npz")
PROBE_ROWS = 12            # digit images in the probes


# The lru_caches here are kept for the process, not per grade: pure functions of the bundled
# files (the base's weights, the digits), the same for every grade.
@functools.lru_cache(maxsize=1)
def weights() -> dict[str, np.ndarray]:
    """The pretrained base's weights as plain arrays (sent to the sandbox: in autograder
    mode the sandbox may not be able to read the grader's files)."""
    with np.load(WEIGHTS, allow_pickle=False) as z:
        return {k: np.array(z[k]) for k in z.files}


@functools.lru_cache(maxsize=None)
def digits_split(classes: tuple, test_fraction: float = 0.3, seed: int = 0):
    """(X_train, y_train, X_test, y_test) exactly as base_model.digits_split (the probes' images)."""
    from dlgrade.data import load_digits, split_train_test

    X, y = load_digits()
    keep = np.isin(y, np.asarray(classes))
    X, y = X[keep], y[keep]
    tr, te = split_train_test(len(y), test_fraction, seed)
    return X[tr], y[tr], X[te], y[te]


@functools.lru_cache(maxsize=None)
def class_digits(classes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): every digit image of `classes`."""
    from dlgrade.data import load_digits

    X, y = load_digits()
    keep = np.isin(y, np.asarray(classes))
    return X[keep], y[keep]


def secret_draw(secret, key: str) -> dict:
    """The graded run of CLASSES[key] under a course secret (`graders.engine.secret.CourseSecret`):
    {"seed", "X_train", "y_train", "X_test", "y_test"}, the seed and the held-out rows
    (SPLIT["test_fraction"] of them) derived from the secret, so a student cannot know them.
    The same for the head-only and the fine-tuned check of `key` (one run serves both)."""
    X, y = class_digits(CLASSES[key])
    purpose = f"transfer {key}"
    train, test = secret.split(len(y), int(round(SPLIT["test_fraction"] * len(y))), purpose, "split")
    return {"seed": secret.seed(purpose, "train"), "X_train": X[train], "y_train": y[train],
            "X_test": X[test], "y_test": y[test]}


def probe_images() -> np.ndarray:
    return digits_split(CLASSES["5 classes"])[0][:PROBE_ROWS]
