"""Calibrated bounds of the trained checks of `transfer_torch`.

Written by `python -m graders.assignments.transfer_torch.calibrate --write`; do not
edit the table by hand.

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
variations (CALIBRATED_OVER, in each threshold's settings): the worst reference accuracy
minus MARGIN (8%) of it.
"""

from __future__ import annotations

from graders.engine.thresholds import Threshold

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

CALIBRATED_OVER = '10 course-secret draws (seed and held-out rows) x 3 variations: the reference; training images perturbed 1e-12 relative; global average pooling as x.mean(dim=(2, 3)) in a custom module (another summation order); the reference value of each draw is the worst of its variations'

THRESHOLDS = {
    'replace_head: head-only accuracy (5 classes)': Threshold(
        metric='held-out accuracy, head only',
        bound=0.8440749999999999,
        higher_is_better=True,
        reference_values=(0.9071, 0.9294, 0.8885, 0.9108, 0.8922, 0.8922, 0.9033, 0.9071, 0.9108, 0.9071,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 6, 7, 8, 9), **SPLIT, 'calibrated_over': CALIBRATED_OVER},
        dataset='digits (5, 6, 7, 8, 9) (base pretrained on 0-4)',
    ),
    'unfreeze_from: fine-tuned accuracy (5 classes)': Threshold(
        metric='held-out accuracy after fine-tuning',
        bound=0.9252999999999999,
        higher_is_better=True,
        reference_values=(0.9814, 0.9777, 0.9888, 0.9963, 0.974, 0.9777, 0.9777, 0.9851, 0.9888, 0.9814,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 6, 7, 8, 9), **SPLIT, 'calibrated_over': CALIBRATED_OVER},
        dataset='digits (5, 6, 7, 8, 9) (base pretrained on 0-4)',
    ),
    'replace_head: head-only accuracy (5 vs 9)': Threshold(
        metric='held-out accuracy, head only',
        bound=0.784415,
        higher_is_better=True,
        reference_values=(0.8349, 0.9174, 0.8532, 0.8349, 0.8716, 0.9174, 0.844, 0.8716, 0.8257, 0.8807,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 9), **SPLIT, 'calibrated_over': CALIBRATED_OVER},
        dataset='digits (5, 9) (base pretrained on 0-4)',
    ),
    'unfreeze_from: fine-tuned accuracy (5 vs 9)': Threshold(
        metric='held-out accuracy after fine-tuning',
        bound=0.88901,
        higher_is_better=True,
        reference_values=(0.945, 0.9908, 0.9541, 0.9358, 0.9817, 0.9725, 0.9633, 0.9633, 0.945, 0.9541,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 9), **SPLIT, 'calibrated_over': CALIBRATED_OVER},
        dataset='digits (5, 9) (base pretrained on 0-4)',
    ),
}
# END CALIBRATED TABLE

from graders.engine.thresholds import with_model_size  # noqa: E402 (beside the table it declares on)

# The model the CPU budget assumes (said when a trained check runs over its time).
MODEL_SIZE = ("the course's pretrained base (about 23.5 k parameters, 64 features) with the template's head: "
              "global average pooling and one linear layer; a head with hidden layers needs more CPU")
THRESHOLDS = with_model_size(THRESHOLDS, MODEL_SIZE)
