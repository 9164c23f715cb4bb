"""The checks of `unfreeze_from`.

Per-layer trainable / frozen counts at several indices, from a frozen and from a trainable
base, and the earlier BatchNorm layers' statistics (`tasks_probes.task_layer_counts`).
"""

from __future__ import annotations

from graders.assignments.transfer_torch.feedback import layer_table, task_dict
from graders.assignments.transfer_torch.thresholds import TRANSFER_SETTINGS
from graders.engine.checks import CheckFailed

FINE_TUNE_FROM = TRANSFER_SETTINGS["fine_tune_from"]
# unfreeze_from(base, index) is checked at these indices: 7 (the fine-tuning index), 8
# (one past it: an off-by-one at 7 hides behind the parameter-free max pooling at 6),
# 3, 0 and 10 (= the number of children: nothing trainable), from a frozen base, and
# at 7 from a trainable base (the earlier layers must be frozen by unfreeze_from itself).
UNFREEZE_CASES = ((7, True), (8, True), (3, True), (0, True), (10, True), (7, False))
BASE_LAYERS = ("Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d",
               "Conv2d", "BatchNorm2d", "ReLU")


def layer_counts(ctx, index: int, freeze_first: bool) -> dict:
    out = ctx.task("layer_counts", index=index, freeze_first=freeze_first, student_counts=False)
    r = task_dict(out, "unfreeze_from", ("layers", "trainable", "frozen"))
    if not isinstance(r["layers"], list) or len(r["layers"]) != len(BASE_LAYERS):
        raise CheckFailed("unfreeze_from: unexpected reply from the grader's task (an internal error).")
    return r


def _unfreeze_setup(index, freeze_first):
    return (f"Setup: a fresh base (children {', '.join(f'{i} {n}' for i, n in enumerate(BASE_LAYERS))})"
            + (", freeze(base)" if freeze_first else " (every parameter trainable)")
            + f", then unfreeze_from(base, {index}), base.train() and one forward pass of 8 random images.")


def check_unfreeze_from_later_layers(ctx):
    for index, freeze_first in UNFREEZE_CASES:
        r = layer_counts(ctx, index, freeze_first)
        wrong = [row for row in r["layers"]
                 if int(row["trainable"]) != ((int(row["trainable"]) + int(row["frozen"]))
                                              if int(row["index"]) >= index else 0)]
        if not wrong:
            continue
        first = int(wrong[0]["index"])
        trainable_rows = [int(row["index"]) for row in r["layers"] if int(row["trainable"]) > 0]
        slip = None
        if first < index and not freeze_first:
            slip = ("unfreeze_from only makes the later children trainable: the children before index must "
                    "also be frozen by it (the model may have been trainable before the call).")
        elif first < index:
            slip = (f"child {first} is trainable although it comes before index {index}: "
                    + ("an off-by-one: children[index - 1:] instead of children[index:]."
                       if first == index - 1 or all(int(row['trainable']) == 0 for row in r['layers'][first + 1:index])
                       else "the children before index must be frozen (if unfreeze_from freezes them with "
                            "your freeze, see the freeze checks first)."))
        elif trainable_rows and min(trainable_rows) > index:
            slip = ("an off-by-one: children[index + 1:] instead of children[index:]; child `index` itself "
                    "is the first one to train.")
        elif not trainable_rows:
            slip = "nothing was made trainable: set requires_grad = True on the parameters of children[index:]."
        raise CheckFailed(
            f"unfreeze_from(base, {index}): the trainable layers are not exactly children {index} onwards.",
            expected=f"children {index}..9 trainable, children 0..{index - 1} frozen" if index > 0 else
                     "every child trainable",
            got=f"{int(r['trainable'])} trainable parameters in the children {trainable_rows or 'none'}",
            where=f"child {first} ({wrong[0]['layer']})", slip=slip,
            details="Per child after the call:\n" + layer_table(r["layers"], index) + "\n"
                    + _unfreeze_setup(index, freeze_first))


def check_unfreeze_from_frozen_batchnorm(ctx):
    for index, freeze_first in ((FINE_TUNE_FROM, False), (FINE_TUNE_FROM, True)):
        r = layer_counts(ctx, index, freeze_first)
        moved = [row for row in r["layers"] if int(row["index"]) < index and row.get("bn_stats_updated")]
        if moved:
            raise CheckFailed(
                f"unfreeze_from(base, {index}): the BatchNorm layers before index updated their running "
                "statistics in train mode.",
                expected="children 0..index-1 frozen as by freeze: BatchNorm in inference mode, statistics "
                         "unchanged",
                got="running statistics updated in the children "
                    + ", ".join(f"{int(row['index'])} ({row['layer']})" for row in moved),
                slip="only requires_grad is set: call freeze(child) on the earlier children, so that their "
                     "BatchNorm layers stay in eval mode even after model.train().",
                details=_unfreeze_setup(index, freeze_first))
