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


@functools.lru_cache(maxsize=1)
def weights() -> dict[str, np.ndarray]:
    """The pretrained base's weights as plain arrays (sent to the sandbox: in autograder
    mode the sandbox may not be able to read the grader's files)."""
    with np.load(WEIGHTS, allow_pickle=False) as z:
        return {k: np.array(z[k]) for k in z.files}


@functools.lru_cache(maxsize=None)
def digits_split(classes: tuple, test_fraction: float = SPLIT["test_fraction"], seed: int = SPLIT["seed"]):
    """(X_train, y_train, X_test, y_test) exactly as base_model.digits_split."""
    from dlgrade.data import load_digits, split_train_test

    X, y = load_digits()
    keep = np.isin(y, np.asarray(classes))
    X, y = X[keep], y[keep]
    tr, te = split_train_test(len(y), test_fraction, seed)
    return X[tr], y[tr], X[te], y[te]


def probe_images() -> np.ndarray:
    return digits_split(CLASSES["5 classes"])[0][:PROBE_ROWS]
