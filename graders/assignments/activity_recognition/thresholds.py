"""The trained checks of `activity_recognition`, one declaration per cell (`TRAINED`).

Their calibrated numbers are data, in thresholds.json beside this file (one entry per data
set), written with reference_runs.json by `dlgrade calibrate activity_recognition --write`
(`--dataset ts:PREFIX` adds or refreshes that data set's entries); do not edit them by hand.

How a check uses it: the grader reads the data set (`grade_data`: BasicMotions by default,
or PREFIX_TRAIN.ts / PREFIX_TEST.ts of the archive), keeps every EVERY-th step of each
series, standardises every channel with the training split's mean and standard deviation
(the same statistics for the test split), runs
the submission's `train(X_train, y_train, cell, **SETTINGS)` in the sandbox with the seed
`ctx.secret_seed("train")` (derived from the course secret, so no student can know it), and
measures the test accuracy of the returned parameters with the REFERENCE forward pass in
its own process. Bound: worst accuracy over the calibration draws and the harmless variations
(below) * (1 - the declared margin).

The calibration draws are the seeds that the secrets "calibration 0", "calibration 1", ...
give each check (the graded seed is drawn the same way from the course's secret), so the
bound covers the spread over initialisations and shuffles of the data, which is the
harmless variation a correct submission brings (another but equivalent order of the
weight draws, another shuffle) as well. The bound is also calibrated, at each of those
seeds, over three correct programs whose arithmetic differs from the reference's only
in rounding (calibrate.VARIATIONS; each record's `variation` holds their accuracies by
seed): every bias gradient summed over the batch's rows in reverse order (a re-associated
sum), the training series perturbed by 1e-12 relative, and the momentum step applied as
params += momentum v, then params -= lr grad (another update order). The margin (20%) is
the one set over the seeds alone: the variations stay within the draws' spread.

reference_runs()[data set][cell]: the reference's confusion matrix (mean over the draws) and
mean loss history, drawn beside the submission's in the feedback.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from graders.engine.trained_checks import TrainedCheck, with_calibration

CELLS = ("rnn", "lstm", "gru")
CHECKS = {cell: f"train: test accuracy of the {cell.upper()} classifier" for cell in CELLS}
DEFAULT_DATA = "basic_motions"
# The arguments of train, the same for every cell and data set.
SETTINGS = {"n_hidden": 32, "dense_dims": [16], "lr": 0.005, "momentum": 0.9, "epochs": 120, "batch_size": 8}
# The grader keeps every EVERY-th step of each series (BasicMotions: 10 Hz -> 2.5 Hz, T = 25). Through all
# 100 steps the vanilla RNN, trained without clipping as the contract says, collapses to chance
# for about one seed in eight (test accuracy 0.15 to 0.40 in 3 of 16 draws), which no calibrated
# bound can tell from a broken submission; through 25 steps its worst of 16 draws is 0.65, and every
# cell trains in a few seconds.
EVERY = 4


def dataset_name(spec: str) -> str:
    """The table's key of a --data spec: "basic_motions", or "ts:NAME" for ts:PATH/NAME."""
    if spec == DEFAULT_DATA:
        return spec
    kind, _, path = spec.partition(":")
    if kind != "ts" or not path:
        raise ValueError(f"--data {spec!r}: expected {DEFAULT_DATA!r} or ts:PATH_PREFIX (PATH_PREFIX_TRAIN.ts and "
                         "PATH_PREFIX_TEST.ts of the UEA & UCR archive)")
    return "ts:" + path.rstrip("/").rsplit("/", 1)[-1]


# Cached for the process, not per grade: a pure function of the data set's files.
@functools.lru_cache(maxsize=4)
def grade_data(spec: str = DEFAULT_DATA) -> dict:
    """{"name", "labels", "X_train", "y_train", "X_test", "y_test"}: every EVERY-th step, every
    channel standardised with the training split's statistics. ValueError / OSError say what is
    wrong."""
    name = dataset_name(spec)
    if spec == DEFAULT_DATA:
        from dlgrade.data import load_basic_motions

        X_train, y_train, labels = load_basic_motions("train")
        X_test, y_test, _ = load_basic_motions("test")
    else:
        from dlgrade.data.ts import load_ts_dataset

        d = load_ts_dataset(spec.partition(":")[2])
        X_train, y_train, X_test, y_test, labels = d["X_train"], d["y_train"], d["X_test"], d["y_test"], d["labels"]
    X_train, X_test = X_train[:, ::EVERY], X_test[:, ::EVERY]
    mean = X_train.mean(axis=(0, 1))
    std = X_train.std(axis=(0, 1))
    std = np.where(std > 0, std, 1.0)  # a constant channel stays at zero
    return {"name": name, "labels": list(labels), "X_train": (X_train - mean) / std, "y_train": y_train,
            "X_test": (X_test - mean) / std, "y_test": y_test}


def evaluate(params: dict, data: dict, cell: str) -> tuple[float, np.ndarray]:
    """(test accuracy, confusion matrix) of trained params on the test split, with the reference
    forward pass (the contract's), in the grader's process; a row that is not finite counts as
    wrong."""
    from reference.numpy import activity_recognition as ref

    k = len(data["labels"])
    with np.errstate(all="ignore"):
        probs, _ = ref.forward({key: np.asarray(v, dtype=np.float64) for key, v in params.items()},
                               data["X_test"], cell)
    predicted = np.where(np.isfinite(probs).all(axis=1), probs.argmax(axis=1), -1)
    confusion = np.zeros((k, k), dtype=np.int64)
    ok = predicted >= 0
    np.add.at(confusion, (data["y_test"][ok], predicted[ok]), 1)
    return float(np.mean(predicted == data["y_test"])), confusion


REFERENCE_RUNS_PATH = Path(__file__).with_name("reference_runs.json")


def reference_runs() -> dict:
    """{data set: {cell: {"confusion", "history", "cpu_s"}}} from reference_runs.json."""
    return json.loads(REFERENCE_RUNS_PATH.read_text(encoding="utf-8"))

# The model the CPU budget assumes (said when a trained check runs over its time).
MODEL_SIZE = ("the grader's sizes, which train receives: 32 hidden units, one dense layer of 16 and 4 classes "
              "on 6 channels (about 1.8 k parameters for the RNN, 4.4 k for the GRU, 5.6 k for the LSTM), 120 "
              "epochs of mini-batches of 8 over 40 series of 25 steps, vectorised over each batch")

# One check per cell; the same settings for every data set ("*": a course's ts:PREFIX too).
TRAINED = {cell: TrainedCheck(
    assignment="activity_recognition", key=CHECKS[cell], metric="test accuracy", higher_is_better=True, margin=0.20,
    cpu_budget_s=20.0, settings={"*": SETTINGS}, model_size=MODEL_SIZE,
    runs=("10 course-secret draws of the seed (the secrets \"calibration 0\" ... \"calibration 9\"), each also with "
          "the harmless variations named in the calibrate module's VARIATIONS")) for cell in CELLS}

TRAINED_CHECKS = tuple(TRAINED.values())


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)
