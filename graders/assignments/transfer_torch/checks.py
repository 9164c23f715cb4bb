"""The checks of `transfer_torch`, one `check_<function>_<property>` per check.

Everything that touches the submission's modules runs in the sandbox through the tasks
of `tasks.py`; the grader sends plain data (the pretrained weights as a dict of arrays,
digit images) and compares the plain numbers that come back. Each function is checked
with trusted code around it, so a slip in one function fails that function's checks:

- `freeze`: the pretrained base frozen by the submission under a head built by the task,
  two SGD steps (momentum, weight decay) in train mode: no gradient reaches the base, no
  weight and no BatchNorm running statistic changes, and the base's output in train mode
  equals its output in eval mode (`tasks.task_freeze_probe`);
- `replace_head`: on a base frozen by the task, the trainable tensors are exactly one
  n_out x n_features weight and one bias, and with known values in them the output is
  global average pooling + linear (`tasks.task_head_probe`), also on a truncated base
  with another number of features;
- `unfreeze_from`: per-layer trainable / frozen counts at several indices, from a frozen
  and from a trainable base, and the earlier BatchNorm layers' statistics
  (`tasks.task_layer_counts`);
- `count_params`: against counts made by the task on models with buffers, shared and
  frozen tensors (`tasks.task_count_params`);
- the trained checks: `tasks.task_transfer` (head only, then fine-tuning from the last
  convolution block with a lower learning rate) on the digits 5-9 and on 5 vs 9, against
  the calibrated bounds of `thresholds.py`.
"""

from __future__ import annotations

import functools
import weakref
from functools import partial
from pathlib import Path

import numpy as np

from graders.assignments.transfer_torch.thresholds import (
    CHECK_FINE,
    CHECK_HEAD,
    CLASSES,
    SPLIT,
    THRESHOLDS,
    TRANSFER_SETTINGS,
)
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError

CONTRACT = ("freeze", "unfreeze_from", "count_params", "replace_head")
WEIGHTS = Path(__file__).with_name("base_weights.npz")
N_FEATURES = 64            # channels of the pretrained base's output (tasks.N_FEATURES)
FINE_TUNE_FROM = TRANSFER_SETTINGS["fine_tune_from"]
PROBE_ROWS = 12            # digit images in the probes
TRAIN_TIMEOUT_S = 90.0     # wall time of one transfer run (CPU budget 10 s) with slack
# unfreeze_from(base, index) is checked at these indices: 7 (the fine-tuning index), 8
# (one past it: an off-by-one at 7 hides behind the parameter-free max pooling at 6),
# 3, 0 and 10 (= the number of children: nothing trainable), from a frozen base, and
# at 7 from a trainable base (the earlier layers must be frozen by unfreeze_from itself).
UNFREEZE_CASES = ((7, True), (8, True), (3, True), (0, True), (10, True), (7, False))
BASE_LAYERS = ("Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d",
               "Conv2d", "BatchNorm2d", "ReLU")


# ------------------------------------------------------------------ data


@functools.lru_cache(maxsize=1)
def weights() -> dict[str, np.ndarray]:
    """The pretrained base's weights as plain arrays (sent to the sandbox: in autograder
    mode the sandbox may not be able to read the grader's files)."""
    with np.load(WEIGHTS, allow_pickle=False) as z:
        return {k: np.array(z[k]) for k in z.files}


@functools.lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray]:
    """(X (1797, 64) in [0, 1], y) as dlgrade.data.load_digits gives them.

    Read straight from scikit-learn's bundled digits.csv.gz when it is there (importing
    scikit-learn costs seconds of a grade); a test checks that the values are identical.
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as fh:
                data = np.loadtxt(fh, delimiter=",")
            if data.shape == (1797, 65):
                return data[:, :-1].astype(np.float64) / 16.0, data[:, -1].astype(np.int64)
    from dlgrade.data import load_digits

    return load_digits()


@functools.lru_cache(maxsize=None)
def digits_split(classes: tuple, test_fraction: float = SPLIT["test_fraction"], seed: int = SPLIT["seed"]):
    """(X_train, y_train, X_test, y_test) exactly as base_model.digits_split."""
    from dlgrade.data import split_train_test

    X, y = digits()
    keep = np.isin(y, np.asarray(classes))
    X, y = X[keep], y[keep]
    tr, te = split_train_test(len(y), test_fraction, seed)
    return X[tr], y[tr], X[te], y[te]


def probe_images() -> np.ndarray:
    return digits_split(CLASSES["5 classes"])[0][:PROBE_ROWS]


# ------------------------------------------------------------------ feedback helpers


def layer_table(layers, index: int | None = None) -> str:
    """The per-layer trainable / frozen counts as a small text table."""
    lines = ["  child  layer         trainable   frozen" + ("   expected trainable" if index is not None else "")]
    for row in layers:
        total = int(row["trainable"]) + int(row["frozen"])
        line = (f"  {int(row['index']):5d}  {str(row['layer'])[:12]:12s}  {int(row['trainable']):9d}  "
                f"{int(row['frozen']):7d}")
        if index is not None:
            want = total if int(row["index"]) >= index else 0
            line += f"   {want:18d}" + ("   <- wrong" if want != int(row["trainable"]) else "")
        lines.append(line)
    return "\n".join(lines)


def task_dict(value, what: str, keys: tuple[str, ...]) -> dict:
    """A task's reply: always a dict with these keys (anything else is an internal error)."""
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise CheckFailed(f"{what}: unexpected reply from the grader's task (an internal error).")
    return value


# ------------------------------------------------------------------ freeze


def freeze_probe(ctx) -> dict:
    out = ctx.task("freeze_probe", weights=weights(), X=probe_images(), n_classes=5, trusted_head=True)
    return task_dict(out, "freeze", ("base_param_change", "base_buffer_change", "base_grads", "base_trainable",
                                     "layers", "train_vs_eval"))


PROBE_SETUP = ("Setup: the pretrained base (10 children, 23520 parameters) after freeze(base), under a "
               "head built by the grader (global average pooling + Linear(64, 5)); model.train(); two "
               "steps of SGD (lr 0.1, momentum 0.9, weight decay 1e-3) on all of model.parameters(), "
               f"on {PROBE_ROWS} digit images.")


def check_freeze_no_gradients(ctx):
    r = freeze_probe(ctx)
    n_trainable, n_grads = int(r["base_trainable"]), int(r["base_grads"])
    change = float(r["base_param_change"])
    if n_trainable == 0 and n_grads == 0 and change == 0.0:
        return None
    table = "Per child of the base after freeze(base):\n" + layer_table(r["layers"])
    if n_trainable:
        raise CheckFailed(
            f"freeze(base) left {n_trainable} of the base's parameters trainable (requires_grad = True).",
            expected="0 trainable parameters in the base", got=f"{n_trainable} trainable",
            diff=f"{n_grads} parameter tensors of the base received a gradient; the largest change of a "
                 f"weight after two optimizer steps was {change:.4g}",
            slip="requires_grad is never set to False: module.eval() (or pinning BatchNorm) does not stop "
                 "gradients; call p.requires_grad_(False) for every p in module.parameters() (recursively).",
            details=f"{table}\n{PROBE_SETUP}")
    raise CheckFailed(
        "freeze(base): the base's weights changed during the optimizer steps although none of them is "
        "trainable.",
        expected="every weight of the base unchanged", got=f"largest change {change:.4g}",
        slip="the weights are modified by freeze itself or by a hook it installs.",
        details=f"{table}\n{PROBE_SETUP}")


def check_freeze_batchnorm_inference(ctx):
    r = freeze_probe(ctx)
    buffers, gap = float(r["base_buffer_change"]), float(r["train_vs_eval"])
    if buffers == 0.0 and gap == 0.0:
        return None
    raise CheckFailed(
        "freeze(base): a frozen BatchNorm layer does not stay in inference mode after model.train().",
        expected="the running statistics unchanged, and the base's output in train mode equal to its "
                 "output in eval mode",
        got=f"running statistics changed by up to {buffers:.4g}; train-mode output differs from the "
            f"eval-mode output by up to {gap:.4g}",
        slip=("BatchNorm is left in training mode: requires_grad = False does not stop it from normalising "
              "with the batch's statistics and updating its running mean and variance (buffers, not "
              "parameters)." if buffers > 0 else
              "BatchNorm normalises with the batch's statistics in train mode (momentum = 0 keeps the "
              "running statistics, but the layer must also USE them).")
             + " module.eval() once is not enough: model.train() on the whole model switches it back. Keep "
               "each frozen BatchNorm layer in eval mode, e.g. with a forward pre-hook that sets "
               "module.training = False, or by overriding its train().",
        details=PROBE_SETUP)


# ------------------------------------------------------------------ replace_head


def head_probe(ctx, n_classes: int, n_children: int | None = None) -> dict:
    out = ctx.task("head_probe", weights=weights(), X=probe_images(), n_classes=n_classes, n_children=n_children)
    return task_dict(out, "replace_head", ("n_features", "trainable_shapes", "max_diff", "max_diff_max_pool"))


def _head_setup(n_features, n_classes, truncated):
    base = ("the first 7 children of the pretrained base (output (N, 32, 4, 4))" if truncated
            else "the pretrained base (output (N, 64, 4, 4))")
    return (f"Setup: model = replace_head(base, {n_features}, {n_classes}) with base = {base}, frozen by the "
            f"grader; {PROBE_ROWS} digit images of shape (N, 1, 8, 8).")


def _check_head(ctx, n_classes, n_children=None):
    r = head_probe(ctx, n_classes, n_children)
    nf = int(r["n_features"])
    n_out = 1 if n_classes == 2 else n_classes
    setup = _head_setup(nf, n_classes, n_children is not None)
    call = f"replace_head(base, {nf}, {n_classes})"
    if r.get("forward_error"):
        err = str(r["forward_error"])
        slip = None
        if "shapes cannot be multiplied" in err or "size mismatch" in err:
            slip = (f"no pooling (or not over the spatial axes): flattening the (N, {nf}, 4, 4) maps gives "
                    f"{nf * 16} features per image; global average pooling (nn.AdaptiveAvgPool2d(1) + "
                    f"nn.Flatten(), or x.mean(dim=(2, 3))) gives {nf}.")
            if f"x{nf * 16}" not in err and f"x{nf}" in err:
                slip = "the linear layer does not have n_features inputs (a hard-coded 64?)."
        raise CheckFailed(f"the model returned by {call} fails on a batch of images.",
                          got=err, slip=slip, details=setup)
    shapes = [list(map(int, s)) for s in r["trainable_shapes"]]
    sizes = sorted(int(np.prod(s)) for s in shapes)
    want = sorted([n_out * nf, n_out])
    out_shape = r.get("output_shape")
    if sizes != want:
        slip = None
        if n_classes == 2 and sorted(sizes) == sorted([2 * nf, 2]):
            slip = ("two outputs for two classes: a binary head has ONE output, the logit of the positive "
                    "class (n_features + 1 parameters), used with binary cross-entropy on logits.")
        elif sum(sizes) > sum(want):
            slip = ("more trainable tensors than the new linear layer: an extra trainable layer in the head, "
                    "or the base's parameters made trainable again by replace_head.")
        elif not shapes:
            slip = "the new linear layer is not trainable (requires_grad = False)."
        else:
            slip = ("the linear layer does not map n_features inputs to n_out outputs (a hard-coded 64?)."
                    if len(shapes) == 2 else None)
        raise CheckFailed(
            f"{call}: the trainable parameters are not one linear layer from {nf} features to {n_out} "
            f"output{'s' if n_out > 1 else ''}.",
            expected=f"a weight of {n_out} x {nf} and a bias of {n_out}: {sum(want)} trainable parameters"
                     + (" (n_features + 1 for two classes)" if n_out == 1 else ""),
            got=f"trainable tensors of shapes {shapes or 'none'}: {sum(sizes)} parameters",
            slip=slip, details=setup)
    if out_shape is None or list(map(int, out_shape)) != [PROBE_ROWS, n_out]:
        raise CheckFailed(f"{call} gives logits of the wrong shape.", expected=f"({PROBE_ROWS}, {n_out})",
                          got=str(tuple(out_shape or ())), details=setup,
                          slip="a squeeze of the output, or an extra axis.")
    diff, diff_max = float(r["max_diff"]), float(r["max_diff_max_pool"])
    if diff <= 1e-4:
        return None
    slip = ("global MAX pooling: the contract's head averages each feature map over its H x W positions "
            "(nn.AdaptiveAvgPool2d(1), or x.mean(dim=(2, 3)))." if diff_max <= 1e-4 else
            "something besides average pooling and one linear layer (an activation such as softmax or "
            "sigmoid after the linear layer? the head returns logits), or pooling over the wrong axes.")
    raise CheckFailed(
        f"{call} is not global average pooling followed by the linear layer.",
        expected="logits = mean over H, W of base(x), times W^T, plus b (W, b: the trainable tensors, set "
                 "to known values by the grader)",
        got=f"outputs that differ by up to {diff:.4g}", diff=f"greatest absolute difference {diff:.4g} "
                                                             "(up to 1e-4 allowed)",
        slip=slip, details=setup)


def check_replace_head_average_pool_linear(ctx):
    _check_head(ctx, 5)
    _check_head(ctx, 2)
    _check_head(ctx, 3, n_children=7)


def check_replace_head_uses_the_base(ctx):
    r = head_probe(ctx, 5)
    if r.get("shares_base") is True:
        return None
    raise CheckFailed(
        "replace_head(base, 64, 5): the returned model does not contain the base's own parameters.",
        expected="the model built on `base` itself (or on its layers), so that unfreeze_from(base, i) and "
                 "freeze(base) after the call act on the model",
        got="a model whose base parameters are other tensors (a copy)",
        slip="copy.deepcopy(base) (or a new base loaded with the same weights): unfreeze_from(base, 7) then "
             "changes the original base, not the one inside the model, and fine-tuning trains nothing.",
        details=_head_setup(64, 5, False))


def check_replace_head_one_output_for_two_classes(ctx):
    r = head_probe(ctx, 2)
    out_shape = r.get("output_shape")
    if r.get("forward_error"):
        raise CheckFailed("the model returned by replace_head(base, 64, 2) fails on a batch of images.",
                          got=str(r["forward_error"]), details=_head_setup(64, 2, False))
    if out_shape is not None and list(map(int, out_shape)) == [PROBE_ROWS, 1]:
        return None
    two = out_shape is not None and list(map(int, out_shape)) == [PROBE_ROWS, 2]
    raise CheckFailed(
        "replace_head(base, 64, 2) must give one output per image for two classes.",
        expected=f"logits of shape ({PROBE_ROWS}, 1)", got=f"shape {tuple(out_shape or ())}",
        slip=("two outputs for two classes: with two classes the head has ONE output, the logit of the "
              "positive class (trained with binary cross-entropy on logits), so n_features + 1 trainable "
              "parameters." if two else "a squeeze of the output, or an extra axis."),
        details=_head_setup(64, 2, False))


# ------------------------------------------------------------------ unfreeze_from


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


# ------------------------------------------------------------------ count_params


COUNT_MODELS = {
    "plain": "nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)) (66 parameters in 4 tensors)",
    "base": "the transfer base (convolutions and BatchNorm layers; BatchNorm's running mean, variance and "
            "batch counter are buffers)",
    "tied": "two Linear(6, 6) layers sharing one weight tensor, a BatchNorm1d(6), the first bias frozen",
    "shared": "two Linear(6, 6) layers sharing one weight tensor (dec.weight = enc.weight), the second bias "
              "frozen",
    "classifier": "the base (frozen) + global average pooling + Linear(64, 1)",
}
COUNT_SLIPS = {
    "buffers": "buffers are counted (model.state_dict() or model.buffers()): BatchNorm's running statistics "
               "are not parameters; sum p.numel() over model.parameters().",
    "tensors": "the parameter TENSORS are counted, not their elements: sum p.numel() over the parameters.",
    "shared_twice": "a tensor shared by two layers is counted twice (a loop over every module's own "
                    "parameters); model.parameters() yields each tensor once.",
    "frozen_only": "the condition is inverted: trainable_only counts the parameters WITH requires_grad = True.",
}


def count_results(ctx) -> dict:
    out = ctx.task("count_params")
    if not isinstance(out, dict) or any(k not in out for k in COUNT_MODELS):
        raise CheckFailed("count_params: unexpected reply from the grader's task (an internal error).")
    return out


def _check_counts(ctx, cases):
    """cases: (model name, 0 for count_params(model) / 1 for trainable_only=True)."""
    r = count_results(ctx)
    for name, which in cases:
        got, want = int(r[name]["student"][which]), int(r[name]["expected"][which])
        if got == want:
            continue
        call = f"count_params(model{', trainable_only=True' if which else ''})"
        slip = next((words for key, words in COUNT_SLIPS.items()
                     if int(r[name]["wrong"][key][which]) == got and int(r[name]["wrong"][key][which]) != want),
                    None)
        if slip is None and which == 1 and got == int(r[name]["expected"][0]):
            slip = ("trainable_only is ignored: with trainable_only=True count only the parameters with "
                    "requires_grad = True.")
        raise CheckFailed(f"{call} is {got}; expected {want}.", expected=str(want), got=str(got),
                          where=f"model = {COUNT_MODELS[name]}", slip=slip)


# ------------------------------------------------------------------ trained checks


_RUNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def transfer_run(ctx, key: str) -> dict:
    """The calibrated transfer run for CLASSES[key] of this grade (run once and shared by the
    head-only and the fine-tuned check; so is a failure)."""
    runs = _RUNS.setdefault(ctx.session, {})
    if key not in runs:
        t = THRESHOLDS[CHECK_HEAD[key]]
        try:
            out = ctx.task("transfer", weights=weights(), **dict(zip(
                ("X_train", "y_train", "X_test", "y_test"), digits_split(CLASSES[key]))),
                seed=t.grade_seed, **TRANSFER_SETTINGS)
            runs[key] = ("ok", task_dict(out, "transfer", ("head_accuracy", "base_drift", "trainable_head",
                                                           "fine_tune_accuracy", "trainable_fine")))
        except StudentError as exc:
            if not exc.traceback and exc.type_name == "ValueError" and exc.message.startswith("replace_head("):
                runs[key] = ("error", CheckFailed(
                    f"training did not start: {exc.message}.",
                    slip="two outputs for two classes: a binary head has one output (see the replace_head "
                         "checks)." if "(N, 1)" in exc.message else None))
            else:
                runs[key] = ("error", CheckFailed(
                    f"the transfer run stopped with an exception: {exc.describe()}",
                    slip="a model that fails on the images (see the replace_head checks)"
                         if not exc.traceback and exc.type_name == "RuntimeError" else None,
                    details=_setup(key, True)))
        except (CheckFailed, CallTimeout, SandboxCrashed) as exc:
            runs[key] = ("error", exc)
    status, value = runs[key]
    if status == "error":
        raise value
    return value


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


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of transfer_torch, in the order of the contract."""
    yield Check("freeze: no gradients and unchanged by an optimizer step", check_freeze_no_gradients, points=2,
                kind=Kind.PROPERTY, needs=("freeze",))
    yield Check("freeze: BatchNorm stays in inference mode", check_freeze_batchnorm_inference, points=2,
                kind=Kind.PROPERTY, needs=("freeze",))
    yield Check("replace_head: global average pool + linear (n_features + 1 trainable parameters for 2 classes)",
                check_replace_head_average_pool_linear, points=2, kind=Kind.VALUE, needs=("replace_head",))
    yield Check("replace_head: uses the given base, not a copy", check_replace_head_uses_the_base, points=0.5,
                kind=Kind.PROPERTY, needs=("replace_head",))
    yield Check("replace_head: one output for two classes", check_replace_head_one_output_for_two_classes,
                kind=Kind.VALUE, needs=("replace_head",))
    yield Check("unfreeze_from: exactly the later layers trainable", check_unfreeze_from_later_layers, points=2,
                kind=Kind.PROPERTY, needs=("freeze", "unfreeze_from"), timeout_s=40.0)
    yield Check("unfreeze_from: the earlier BatchNorm layers stay in inference mode",
                check_unfreeze_from_frozen_batchnorm, kind=Kind.PROPERTY, needs=("freeze", "unfreeze_from"))
    yield Check("count_params: every parameter, as scalars", partial(_check_counts, cases=(("plain", 0),)),
                points=0.5, needs=("count_params",))
    yield Check("count_params: trainable_only counts only trainable parameters",
                partial(_check_counts, cases=(("classifier", 1), ("plain", 1))), points=0.5,
                needs=("count_params",))
    yield Check("count_params: shared weights counted once",
                partial(_check_counts, cases=(("shared", 0),)), points=0.5, needs=("count_params",))
    yield Check("count_params: buffers not counted",
                partial(_check_counts, cases=(("base", 0), ("classifier", 0))), points=0.5,
                needs=("count_params",))
    for key in CLASSES:
        yield Check(CHECK_HEAD[key], partial(check_trained, key=key, fine=False), points=2, kind=Kind.THRESHOLD,
                    needs=("freeze", "replace_head"), timeout_s=TRAIN_TIMEOUT_S)
        yield Check(CHECK_FINE[key], partial(check_trained, key=key, fine=True), points=2, kind=Kind.THRESHOLD,
                    needs=("freeze", "unfreeze_from", "replace_head"), timeout_s=TRAIN_TIMEOUT_S)
