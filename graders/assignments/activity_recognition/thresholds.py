"""Calibrated bounds of the trained checks of `activity_recognition`, one table per data set.

Settings are written by hand below; the table between the CALIBRATED TABLE markers and
REFERENCE_RUNS are written by `python -m graders.assignments.activity_recognition.calibrate
--write` (`--data ts:PREFIX` adds or refreshes that data set's entry); do not edit them by hand.

How a check uses it: the grader reads the data set (`grade_data`: BasicMotions by default,
or PREFIX_TRAIN.ts / PREFIX_TEST.ts of the archive), standardises every channel with the
training split's mean and standard deviation (the same statistics for the test split), runs
the submission's `train(X_train, y_train, cell, **SETTINGS)` in the sandbox with the seed
`ctx.secret_seed("train")` (derived from the course secret, so no student can know it), and
measures the test accuracy of the returned parameters with the REFERENCE forward pass in
its own process. Bound: worst reference accuracy over the calibration draws * (1 - MARGIN).

The calibration draws are the seeds that the secrets "calibration 0" ... "calibration 7"
give each check (the graded seed is drawn the same way from the course's secret), so the
bound covers the spread over initialisations and shuffles of the data, which is the
harmless variation a correct submission brings (another but equivalent order of the
weight draws, another shuffle) as well.

REFERENCE_RUNS[data set][cell]: the reference's confusion matrix (mean over the draws) and
mean loss history, drawn beside the submission's in the feedback.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.engine.thresholds import Threshold

CELLS = ("rnn", "lstm", "gru")
CHECKS = {cell: f"train: test accuracy of the {cell.upper()} classifier" for cell in CELLS}
METRIC = "test accuracy"
MARGIN = 0.20
CPU_BUDGET_S = 20.0
DEFAULT_DATA = "basic_motions"
SETTINGS = {"n_hidden": 16, "dense_dims": [16], "lr": 0.01, "momentum": 0.9, "epochs": 100, "batch_size": 8}


def dataset_name(spec: str) -> str:
    """The table's key of a --data spec: "basic_motions", or "ts:NAME" for ts:PATH/NAME."""
    if spec == DEFAULT_DATA:
        return spec
    kind, _, path = spec.partition(":")
    if kind != "ts" or not path:
        raise ValueError(f"--data {spec!r}: expected {DEFAULT_DATA!r} or ts:PATH_PREFIX (PATH_PREFIX_TRAIN.ts and "
                         "PATH_PREFIX_TEST.ts of the UEA & UCR archive)")
    return "ts:" + path.rstrip("/").rsplit("/", 1)[-1]


@functools.lru_cache(maxsize=4)
def grade_data(spec: str = DEFAULT_DATA) -> dict:
    """{"name", "labels", "X_train", "y_train", "X_test", "y_test"}, every channel standardised
    with the training split's statistics. ValueError / OSError say what is wrong."""
    name = dataset_name(spec)
    if spec == DEFAULT_DATA:
        from dlgrade.data import load_basic_motions

        X_train, y_train, labels = load_basic_motions("train")
        X_test, y_test, _ = load_basic_motions("test")
    else:
        from dlgrade.data.ts import load_ts_dataset

        d = load_ts_dataset(spec.partition(":")[2])
        X_train, y_train, X_test, y_test, labels = d["X_train"], d["y_train"], d["X_test"], d["y_test"], d["labels"]
    mean = X_train.mean(axis=(0, 1))
    std = X_train.std(axis=(0, 1))
    std = np.where(std > 0, std, 1.0)  # a constant channel stays at zero
    return {"name": name, "labels": list(labels), "X_train": (X_train - mean) / std, "y_train": y_train,
            "X_test": (X_test - mean) / std, "y_test": y_test}


def thresholds_for(name: str) -> dict[str, Threshold]:
    """The calibrated table of a data set; KeyError when it has none yet."""
    return THRESHOLDS_BY_DATASET[name]


REFERENCE_RUNS: dict = {}

# BEGIN CALIBRATED TABLE (written by calibrate.py --write)
THRESHOLDS_BY_DATASET: dict[str, dict[str, Threshold]] = {
}
# END CALIBRATED TABLE
