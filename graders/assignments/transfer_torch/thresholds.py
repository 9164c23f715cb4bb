"""Calibrated bounds of the trained checks of `transfer_torch`.

Written by `python -m graders.assignments.transfer_torch.calibrate --write`; do not
edit the table by hand.

Each check runs `tasks.task_transfer(sub, weights, *split, seed=grade_seed,
**TRANSFER_SETTINGS)`: the pretrained base (`base_weights.npz`, trained on the digits
0-4 by `pretrain.py`) is frozen with the submission's `freeze`, given a new head with
its `replace_head` (64 features), and only the head is trained (Adam, lr_head); then
`unfreeze_from(base, fine_tune_from)` makes the last convolution block trainable
(children 7-9) and training goes on with the lower lr_fine. The split is
`base_model.digits_split(classes, test_fraction=0.3, seed=0)` for the digits 5-9
(5 classes) and for 5 vs 9 (2 classes: one output). Accuracy is measured in the task on
the held-out split. Chance is 0.2 (5 classes) and 0.5 (2 classes).
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
SPLIT = {"test_fraction": 0.3, "seed": 0}
CLASSES = {"5 classes": (5, 6, 7, 8, 9), "5 vs 9": (5, 9)}

CHECK_HEAD = {k: f"replace_head: head-only accuracy ({k})" for k in CLASSES}
CHECK_FINE = {k: f"unfreeze_from: fine-tuned accuracy ({k})" for k in CLASSES}

THRESHOLDS = {
    'replace_head: head-only accuracy (5 classes)': Threshold(
        metric='held-out accuracy, head only',
        bound=0.8475836431226765,
        higher_is_better=True,
        reference_values=(0.8921933085501859, 0.9144981412639405, 0.8996282527881041, 0.9144981412639405, 0.9107806691449815, 0.9144981412639405, 0.9033457249070632, 0.8996282527881041, 0.9033457249070632, 0.9033457249070632,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 6, 7, 8, 9), **SPLIT},
        dataset='digits (5, 6, 7, 8, 9) (base pretrained on 0-4)',
    ),
    'unfreeze_from: fine-tuned accuracy (5 classes)': Threshold(
        metric='held-out accuracy after fine-tuning',
        bound=0.9323420074349442,
        higher_is_better=True,
        reference_values=(0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045, 0.9814126394052045,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 6, 7, 8, 9), **SPLIT},
        dataset='digits (5, 6, 7, 8, 9) (base pretrained on 0-4)',
    ),
    'replace_head: head-only accuracy (5 vs 9)': Threshold(
        metric='held-out accuracy, head only',
        bound=0.8192660550458716,
        higher_is_better=True,
        reference_values=(0.8623853211009175, 0.8715596330275229, 0.8715596330275229, 0.8715596330275229, 0.8623853211009175, 0.8715596330275229, 0.8623853211009175, 0.8623853211009175, 0.8807339449541285, 0.8623853211009175,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 9), **SPLIT},
        dataset='digits (5, 9) (base pretrained on 0-4)',
    ),
    'unfreeze_from: fine-tuned accuracy (5 vs 9)': Threshold(
        metric='held-out accuracy after fine-tuning',
        bound=0.9151376146788991,
        higher_is_better=True,
        reference_values=(0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578, 0.963302752293578,),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        margin=0.05,
        cpu_budget_s=10.0,
        grade_seed=0,
        settings={**TRANSFER_SETTINGS, 'classes': (5, 9), **SPLIT},
        dataset='digits (5, 9) (base pretrained on 0-4)',
    ),
}
# END CALIBRATED TABLE

from graders.engine.thresholds import with_model_size  # noqa: E402 (beside the table it declares on)

# The model the CPU budget assumes (said when a trained check runs over its time).
MODEL_SIZE = ("the course's pretrained base (about 23.5 k parameters, 64 features) with the template's head: "
              "global average pooling and one linear layer; a head with hidden layers needs more CPU")
THRESHOLDS = with_model_size(THRESHOLDS, MODEL_SIZE)
