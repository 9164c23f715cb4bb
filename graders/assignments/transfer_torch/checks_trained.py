"""The trained checks of `transfer_torch`.

Training (`tasks.task_transfer_train`: head only, then fine-tuning from the last convolution
block with a lower learning rate) gets the training images and labels only and returns the
trained state_dicts as float arrays. A fresh evaluation sandbox rebuilds the submission's
model, loads each state and returns the logits of the held-out images
(`tasks.task_transfer_logits`); the accuracy is computed HERE against labels no sandbox
ever received, and compared with the calibrated bounds of `thresholds.py`. The seed and
the held-out rows come from the course secret (`data.secret_draw`).
"""

from __future__ import annotations

import numpy as np

from graders.assignments.transfer_torch.checks_unfreeze_from import FINE_TUNE_FROM, layer_counts
from graders.assignments.transfer_torch.data import secret_draw, weights
from graders.assignments.transfer_torch.feedback import layer_table, task_dict
from graders.assignments.transfer_torch.thresholds import (
    CLASSES,
    SPLIT,
    TRANSFER_SETTINGS,
    data_set,
)
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine import raw_outputs
from graders.sandbox.errors import StudentError

N_FEATURES = 64            # channels of the pretrained base's output (tasks.N_FEATURES)
# the base (23,520 parameters, 227 BatchNorm buffer values) and a head, with room for another layout
MAX_STATE_VALUES = 40_000
TRAINED_KEYS = ("state_head", "base_after_head", "params_head", "state_fine", "params_fine")


def predictions(logits: np.ndarray, n_classes: int) -> np.ndarray:
    """Class indices from logits: logit > 0 for two classes (one output), else the argmax.
    A non-finite logit predicts no class (it never counts as right)."""
    if n_classes == 2:
        pred = (logits[:, 0] > 0).astype(np.int64)
    else:
        pred = np.argmax(np.nan_to_num(logits, nan=-np.inf), axis=1)
    return np.where(np.isfinite(logits).all(axis=1), pred, -1)


def accuracy(logits: np.ndarray, y: np.ndarray, classes) -> float:
    """Held-out accuracy of `logits` against labels `y` (digits, mapped to 0..k-1 in sorted order)."""
    lookup = {c: i for i, c in enumerate(sorted(classes))}
    target = np.array([lookup[int(c)] for c in y], dtype=np.int64)
    return float(np.mean(predictions(logits, len(classes)) == target))


def trainable_count(params) -> int:
    """Trainable parameters from the [numel, requires_grad] rows training returned."""
    rows = expect.sequence(params, "the parameter list")
    return int(sum(int(n) for n, grad in rows if bool(grad)))


def base_drift(after: dict) -> float:
    """The largest change of any base parameter or buffer against the shipped weights."""
    shipped = weights()
    changes = [float(np.max(np.abs(np.asarray(v, dtype=np.float64) - shipped["base." + k])))
               for k, v in after.items() if "base." + k in shipped and np.shape(v) == shipped["base." + k].shape]
    return max(changes, default=0.0)


def _train(ctx, key: str, draw: dict) -> dict:
    try:
        out = ctx.task("transfer_train", weights=weights(), X_train=draw["X_train"], y_train=draw["y_train"],
                       seed=draw["seed"], **TRANSFER_SETTINGS)
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
    return task_dict(out, "transfer", TRAINED_KEYS)


def _logits(box, key: str, state, X) -> np.ndarray:
    """The held-out logits of a trained state, from the fresh evaluation sandbox `box` (which
    gets the images, never their labels)."""
    k = len(CLASSES[key])
    state = raw_outputs.state_dict(state, "the trained model", max_values=MAX_STATE_VALUES)
    try:
        out = box.task("transfer_logits", weights=weights(), n_classes=k, state=state, X=X)
    except StudentError as exc:
        raise CheckFailed(f"the trained model could not be evaluated: {exc.describe()}",
                          slip="a model that cannot be rebuilt with replace_head and load its own state_dict "
                               "(its layers must be created the same way each time).") from None
    return raw_outputs.float_array(out, "the trained model's logits", (len(X), 1 if k == 2 else k))


def transfer_run(ctx, key: str) -> dict:
    """The calibrated transfer run for CLASSES[key] of this grade (run once and shared by the
    head-only and the fine-tuned check; so is a failure): the grader's accuracies and counts."""
    def run():
        draw = secret_draw(ctx.session.secret, key)
        r = _train(ctx, key, draw)
        out = {}
        with ctx.fresh_sandbox() as box:
            for stage in ("head", "fine"):
                logits = _logits(box, key, r[f"state_{stage}"], draw["X_test"])
                out[f"{stage}_accuracy"] = accuracy(logits, draw["y_test"], CLASSES[key])
                out[f"trainable_{stage}"] = trainable_count(r[f"params_{stage}"])
        after = r["base_after_head"]
        out["base_drift"] = base_drift(after) if isinstance(after, dict) else float("nan")
        out["n_test"] = len(draw["y_test"])
        return out
    return ctx.shared(key, run)


def _setup(key, fine):
    s = TRANSFER_SETTINGS
    loss = "one output, binary cross-entropy on logits" if len(CLASSES[key]) == 2 else "cross-entropy"
    text = (f"Setup: digits {CLASSES[key]} ({loss}); "
            f"freeze(base) on the pretrained base, replace_head(base, 64, {len(CLASSES[key])}); Adam "
            f"(lr {s['lr_head']}) on the trainable parameters for {s['epochs_head']} epochs")
    if fine:
        text += (f"; then unfreeze_from(base, {s['fine_tune_from']}) and Adam (lr {s['lr_fine']}) for "
                 f"{s['epochs_fine']} epochs")
    return text + (f"; accuracy on a held-out {SPLIT['test_fraction']:.0%} of the images (the split and the seed "
                   "come from the course secret; the images reach the model in a separate process, without labels).")


def check_trained(ctx, key: str, fine: bool):
    name = ctx.check.threshold.key
    t = ctx.check.threshold.for_dataset(data_set(key))
    r = transfer_run(ctx, key)
    value = r["fine_accuracy" if fine else "head_accuracy"]
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
