"""The trained checks of `transfer_torch`, each declared once (`HEAD`, `FINE`).

Their calibrated numbers are data, in thresholds.json beside this file, written by
`dlgrade calibrate transfer_torch --write`; do not edit them by hand.

Each check trains with `tasks.task_transfer_train(sub, weights, X_train, y_train,
seed, **TRANSFER_SETTINGS)`: the pretrained base (`base_weights.npz`, trained on the digits
0-4 by `pretrain.py`) is frozen with the submission's `freeze`, given a new head with
its `replace_head` (64 features), and only the head is trained (Adam, lr_head); then
`unfreeze_from(base, fine_tune_from)` makes the last convolution block trainable
(children 7-9) and training goes on with the lower lr_fine. The training process gets the
training rows only and returns both trained state_dicts as float arrays; a fresh evaluation
process returns the logits of the held-out rows (`tasks.task_transfer_logits`, no labels),
and the grader computes the accuracy. The held-out rows (SPLIT["test_fraction"] of the
images of the classes) and the seed come from the course secret (`data.secret_draw`), for
the digits 5-9 (5 classes) and for 5 vs 9 (2 classes: one output). Chance is 0.2 (5
classes) and 0.5 (2 classes). The bounds are calibrated over 10 secret draws and harmless
variations (each declaration's `runs`): the worst reference accuracy minus the declared margin
(5%) of it.
"""

from __future__ import annotations

from pathlib import Path

from graders.engine.trained_checks import TrainedCheck, with_calibration

TRANSFER_SETTINGS = {
    "epochs_head": 20,
    "lr_head": 0.01,
    "fine_tune_from": 7,
    "epochs_fine": 10,
    "lr_fine": 0.001,
    "batch_size": 32,
}
SPLIT = {"test_fraction": 0.3}
CLASSES = {"5 classes": (5, 6, 7, 8, 9), "5 vs 9": (5, 9)}

CHECK_HEAD = {k: f"replace_head: head-only accuracy ({k})" for k in CLASSES}
CHECK_FINE = {k: f"unfreeze_from: fine-tuned accuracy ({k})" for k in CLASSES}

RUNS = ("10 course-secret draws (seed and held-out rows) x 3 variations: the reference; training images perturbed "
        "1e-12 relative; global average pooling as x.mean(dim=(2, 3)) in a custom module (another summation "
        "order); the reference value of each draw is the worst of its variations")
# The model the CPU budget assumes (said when a trained check runs over its time).
MODEL_SIZE = ("the course's pretrained base (about 23.5 k parameters, 64 features) with the template's head: "
              "global average pooling and one linear layer; a head with hidden layers needs more CPU")


def data_set(key: str) -> str:
    """The data set a bound of the classes `key` is calibrated on, in words."""
    return f"digits {CLASSES[key]} (base pretrained on 0-4)"


def _declare(name: str, key: str, metric: str) -> TrainedCheck:
    return TrainedCheck(assignment="transfer_torch", key=name, metric=metric, higher_is_better=True, margin=0.05,
                        cpu_budget_s=10.0, settings={data_set(key): {**TRANSFER_SETTINGS, "classes": CLASSES[key],
                                                                     **SPLIT}},
                        model_size=MODEL_SIZE, runs=RUNS)


HEAD = {key: _declare(CHECK_HEAD[key], key, "held-out accuracy, head only") for key in CLASSES}
FINE = {key: _declare(CHECK_FINE[key], key, "held-out accuracy after fine-tuning") for key in CLASSES}

TRAINED_CHECKS = (*HEAD.values(), *FINE.values())


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)
