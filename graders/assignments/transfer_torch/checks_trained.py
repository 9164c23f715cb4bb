"""The trained checks of `transfer_torch`.

`tasks.task_transfer` (head only, then fine-tuning from the last convolution block with a
lower learning rate) on the digits 5-9 and on 5 vs 9, against the calibrated bounds of
`thresholds.py`.
"""

from __future__ import annotations

from graders.assignments.transfer_torch.checks_unfreeze_from import FINE_TUNE_FROM, layer_counts
from graders.assignments.transfer_torch.data import digits_split, weights
from graders.assignments.transfer_torch.feedback import layer_table, task_dict
from graders.assignments.transfer_torch.thresholds import (
    CHECK_FINE,
    CHECK_HEAD,
    CLASSES,
    SPLIT,
    THRESHOLDS,
    TRANSFER_SETTINGS,
)
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import SharedRuns
from graders.sandbox.errors import StudentError

N_FEATURES = 64            # channels of the pretrained base's output (tasks.N_FEATURES)

_RUNS = SharedRuns()


def transfer_run(ctx, key: str) -> dict:
    """The calibrated transfer run for CLASSES[key] of this grade (run once and shared by the
    head-only and the fine-tuned check; so is a failure)."""
    def run():
        t = THRESHOLDS[CHECK_HEAD[key]]
        try:
            out = ctx.task("transfer", weights=weights(), **dict(zip(
                ("X_train", "y_train", "X_test", "y_test"), digits_split(CLASSES[key]))),
                seed=t.grade_seed, **TRANSFER_SETTINGS)
        except StudentError as exc:
            if not exc.traceback and exc.type_name == "ValueError" and exc.message.startswith("replace_head("):
                raise CheckFailed(
                    f"training did not start: {exc.message}.",
                    slip="two outputs for two classes: a binary head has one output (see the replace_head "
                         "checks)." if "(N, 1)" in exc.message else None) from None
            raise CheckFailed(
                f"the transfer run stopped with an exception: {exc.describe()}",
                slip="a model that fails on the images (see the replace_head checks)"
                     if not exc.traceback and exc.type_name == "RuntimeError" else None,
                details=_setup(key, True)) from None
        return task_dict(out, "transfer", ("head_accuracy", "base_drift", "trainable_head",
                                           "fine_tune_accuracy", "trainable_fine"))
    return _RUNS.once(ctx, key, run)


def _setup(key, fine):
    s = TRANSFER_SETTINGS
    loss = "one output, binary cross-entropy on logits" if len(CLASSES[key]) == 2 else "cross-entropy"
    text = (f"Setup: digits {CLASSES[key]} ({loss}); "
            f"freeze(base) on the pretrained base, replace_head(base, 64, {len(CLASSES[key])}); Adam "
            f"(lr {s['lr_head']}) on the trainable parameters for {s['epochs_head']} epochs")
    if fine:
        text += (f"; then unfreeze_from(base, {s['fine_tune_from']}) and Adam (lr {s['lr_fine']}) for "
                 f"{s['epochs_fine']} epochs")
    return text + f"; accuracy on the {SPLIT['test_fraction']:.0%} held-out split (grade seed 0)."


def check_trained(ctx, key: str, fine: bool):
    name = (CHECK_FINE if fine else CHECK_HEAD)[key]
    t = THRESHOLDS[name]
    r = transfer_run(ctx, key)
    value = expect.scalar(r["fine_tune_accuracy" if fine else "head_accuracy"], name)
    n_out = 1 if len(CLASSES[key]) == 2 else len(CLASSES[key])
    head_count = N_FEATURES * n_out + n_out
    drift = float(r["base_drift"])
    counts = f"trainable parameters: {int(r['trainable_head'])} during head-only training (expected {head_count})"
    if fine:
        counts += f", {int(r['trainable_fine'])} while fine-tuning"
    summary = f"accuracy {value:.4f}; {counts}"
    if drift > 0:
        summary += (f"; the frozen base changed by up to {drift:.4g} during head-only training (see the freeze "
                    "checks)")
    if t.passes(value):
        return f"{summary}. Passed: {t.describe()}."
    details = _setup(key, fine)
    slip = None
    if int(r["trainable_head"]) != head_count:
        slip = (f"{int(r['trainable_head'])} trainable parameters during head-only training instead of "
                f"{head_count} (the new linear layer only): see the freeze and replace_head checks.")
    if fine:
        try:
            lc = layer_counts(ctx, FINE_TUNE_FROM, True)
            details = (f"Per child of the base after freeze(base) and unfreeze_from(base, {FINE_TUNE_FROM}):\n"
                       + layer_table(lc["layers"], FINE_TUNE_FROM) + "\n" + details)
            want = sum(int(row["trainable"]) + int(row["frozen"]) for row in lc["layers"][FINE_TUNE_FROM:])
            on_base = sum(int(row["trainable"]) for row in lc["layers"])
            gained = int(r["trainable_fine"]) - int(r["trainable_head"])
            if slip is None and gained != want:
                slip = (f"unfreeze_from(base, {FINE_TUNE_FROM}) made {gained} parameters of the model trainable "
                        f"instead of {want}"
                        + (": on the base alone it is right (table below), so the model returned by replace_head "
                           "does not use `base` itself (a copy?): see the replace_head checks." if on_base == want
                           else " (see the unfreeze_from checks)."))
        except (CheckFailed, StudentError):
            pass
    raise CheckFailed(
        f"{name.split(': ', 1)[1]}: {value:.4f} is below the calibrated bound.",
        expected=t.describe(), got=summary,
        diff=f"{value - t.bound:+.4f} from the bound; chance is {1 / len(CLASSES[key]):.2f}",
        slip=slip or "check the freeze, replace_head and unfreeze_from checks first.",
        details=details)
