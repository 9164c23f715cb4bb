"""The pretrained base of `transfer_torch`: its architecture, weights and data splits.

The architecture is defined in `tasks.py` (the sandbox loads that file alone, so it
cannot import this module); this module re-exports it for the grader, the calibration
and the tests, and adds the shipped weights and the digit splits.

- `base_weights.npz`: float arrays, keys "base.<state_dict key>" (the convolutional
  base, BatchNorm running statistics included) and "head.weight"/"head.bias" (its
  5-class pretraining head). Regenerate with
  `python -m graders.assignments.transfer_torch.pretrain` (see there for the recipe).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .tasks import (  # noqa: F401  (re-exported)
    FINE_TUNE_FROM,
    N_FEATURES,
    build_base,
    build_classifier,
    load_base,
    load_classifier,
)

WEIGHTS = Path(__file__).with_name("base_weights.npz")
PRETRAIN_CLASSES = (0, 1, 2, 3, 4)
TRANSFER_CLASSES = (5, 6, 7, 8, 9)
BINARY_CLASSES = (5, 9)  # a pair the frozen features do not separate perfectly


def load_weights(path: Path | str = WEIGHTS) -> dict[str, np.ndarray]:
    """The shipped weights as a dict of float arrays (no pickle)."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def pretrained_base():
    """The pretrained base (an nn.Sequential, eval mode)."""
    return load_base(load_weights())


def digits_split(classes, test_fraction: float = 0.3, seed: int = 0):
    """The digits of `classes` split reproducibly: (X_train, y_train, X_test, y_test).

    X rows are 64 float64 pixels in [0, 1] (reshape to (N, 1, 8, 8)); y keeps the
    original digit labels. Uses dlgrade.data.split_train_test on the selected rows.
    """
    from dlgrade.data import load_digits, split_train_test

    X, y = load_digits()
    keep = np.isin(y, np.asarray(classes))
    X, y = X[keep], y[keep]
    tr, te = split_train_test(len(y), test_fraction, seed)
    return X[tr], y[tr], X[te], y[te]
