"""The checks of `replace_head`.

On a base frozen by the task, the trainable tensors are exactly one n_out x n_features weight
and one bias, and with known values in them the output is global average pooling + linear
(`tasks_probes.task_head_probe`), also on a truncated base with another number of features.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.transfer_torch.data import PROBE_ROWS, probe_images, weights
from graders.assignments.transfer_torch.feedback import task_dict
from graders.engine.checks import CheckFailed


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
