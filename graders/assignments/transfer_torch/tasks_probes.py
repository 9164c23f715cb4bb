"""Sandbox tasks of `transfer_torch` that probe freeze, replace_head, unfreeze_from and
count_params on the pretrained base or on small models, without training.

Loaded by file path in the sandbox child before the student's code, like `tasks.py`, whose
architecture and helpers it loads by path in turn (the sandbox may not be able to import
the `graders` package, so a package import is no option; the file is read while the task
files load, before the sandbox's isolation). Imports only the standard library, numpy and
torch. Each `task_<name>(sub, **kwargs)` gets the student's module namespace `sub` and
plain data, and returns plain data; parameter counts are computed HERE, not with the
student's code (the student's `count_params` results are returned beside them).
"""

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch import nn


def _load_tasks():
    """`tasks.py` of this folder, loaded by its path."""
    spec = importlib.util.spec_from_file_location("_transfer_torch_tasks", Path(__file__).with_name("tasks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_tasks = _load_tasks()
N_FEATURES = _tasks.N_FEATURES
build_base, build_classifier, load_base = _tasks.build_base, _tasks.build_classifier, _tasks.load_base
_seed, _images, _snapshot, _counts, _as_module = (_tasks._seed, _tasks._images, _tasks._snapshot, _tasks._counts,
                                                  _tasks._as_module)


def _as_count(value, call):
    """A count the student returned, as an int (a 0-d tensor or an integral float is
    accepted); TypeError with a message for the student otherwise."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{call} returned a bool ({value}); expected an int")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    raise TypeError(f"{call} returned {type(value).__name__} {str(value)[:40]}; expected an int")


def _layer_table(model):
    """Per direct child: {"index", "layer", "trainable", "frozen"} (counted here)."""
    rows = []
    for i, child in enumerate(model.children()):
        tr, fr = _counts(child)
        rows.append({"index": i, "layer": type(child).__name__, "trainable": tr, "frozen": fr})
    return rows


def _trusted_head(base, n_out, seed):
    """The contract's head built here (for checks of `freeze` that must not depend on the
    student's replace_head): base, global average pooling, flatten, a linear layer."""
    torch.manual_seed(int(seed))
    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(N_FEATURES, n_out))


def _trusted_freeze(module):
    """Freeze without the student's code (for checks of replace_head): no gradients, eval mode."""
    return module.requires_grad_(False).eval()


def task_freeze_probe(sub, weights, X, n_classes=5, lr=0.1, seed=0, trusted_head=False):
    """Freeze the pretrained base, add a head, train-mode forward and SGD steps.

    trusted_head: False: the student's replace_head and count_params are used too;
        True: the head is built here (`_trusted_head`) and only the student's `freeze`
        runs, so the grader's checks of freeze do not depend on the other functions.

    Returns a dict: base_param_change and base_buffer_change (max abs change of the
    base's parameters / BatchNorm running statistics after two SGD steps with momentum
    and weight decay in train mode; both must be 0), base_grads (number of base
    parameters that received a gradient), base_trainable (base parameters with
    requires_grad after freezing), layers (per child of the base: trainable / frozen
    counts), train_vs_eval (max |base output in train mode - in eval mode| after
    freezing: 0 when BatchNorm stays in eval mode), output_shape, trainable/frozen of
    the whole model (counted here), and unless trusted_head: student_count_all,
    student_count_trainable (the student's count_params).
    """
    _seed(seed)
    base = load_base(weights)
    x = _images(X)
    snap = _snapshot(base)
    sub.freeze(base)
    if trusted_head:
        model = _trusted_head(base, 1 if n_classes == 2 else n_classes, seed)
    else:
        model = _as_module(sub.replace_head(base, N_FEATURES, n_classes),
                           f"replace_head(base, {N_FEATURES}, {n_classes})")
    model.train()
    with torch.no_grad():
        out_train = base(x)
        base.eval()
        out_eval = base(x)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3)
    out = None
    for _ in range(2):
        out = model(x)
        loss = (out ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = dict(base.named_parameters())
    tr, fr = _counts(model)
    result = {
        "base_param_change": max(float((params[k].detach() - snap[k]).abs().max()) for k in params),
        "base_buffer_change": max([float((b.detach().double() - snap[k].double()).abs().max())
                                   for k, b in base.named_buffers()] or [0.0]),
        "base_grads": sum(1 for p in base.parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)),
        "base_trainable": _counts(base)[0],
        "layers": _layer_table(base),
        "train_vs_eval": float((out_train - out_eval).abs().max()),
        "output_shape": list(out.shape),
        "trainable": tr,
        "frozen": fr,
    }
    if not trusted_head:
        result["student_count_all"] = int(sub.count_params(model))
        result["student_count_trainable"] = int(sub.count_params(model, trainable_only=True))
    return result


def task_head_probe(sub, weights, X, n_classes=5, seed=0, n_children=None):
    """Is the student's head global AVERAGE pooling + linear, with the right output size?

    The base (the pretrained one, or its first `n_children` children, whose output has
    fewer channels) is frozen HERE (requires_grad False, eval mode: the student's freeze
    is not used), then model = replace_head(base, n_features, n_classes). The trainable
    tensors must be one weight of n_out x n_features values and one bias of n_out (n_out
    = 1 for two classes); they are set to known values W, b and the model's eval-mode
    output on X is compared with mean_{h,w}(base(X)) W^T + b computed here.

    Returns a dict: n_features, shares_base (every parameter of the base is a parameter
    of the model: the base itself, or its layers, not a copy), output_shape (absent if
    the forward pass raised),
    trainable_shapes (list of shapes), max_diff (inf when the trainable tensors do not
    have the expected sizes or the output has the wrong shape), max_diff_max_pool (the
    same difference from global MAX pooling, to name that slip), forward_error (the
    exception the model's forward pass raised, if any).
    """
    _seed(seed)
    base = load_base(weights)
    if n_children is not None:
        base = nn.Sequential(*list(base.children())[:int(n_children)])
    x = _images(X)
    _trusted_freeze(base)
    with torch.no_grad():
        maps = base(x)
    n_features = int(maps.shape[1])
    model = _as_module(sub.replace_head(base, n_features, n_classes),
                       f"replace_head(base, {n_features}, {n_classes})")
    n_out = 1 if n_classes == 2 else n_classes
    in_model = {id(p) for p in model.parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    shapes = [list(p.shape) for p in trainable]
    g = torch.Generator().manual_seed(int(seed))
    W = torch.randn(n_out, n_features, generator=g)
    b = torch.randn(n_out, generator=g)
    mats = [p for p in trainable if p.numel() == n_out * n_features and p.dim() == 2]
    vecs = [p for p in trainable if p.numel() == n_out and p.dim() == 1]
    result = {"n_features": n_features, "trainable_shapes": shapes, "max_diff": float("inf"),
              "max_diff_max_pool": float("inf"),
              "shares_base": all(id(p) in in_model for p in base.parameters())}
    with torch.no_grad():
        known = len(trainable) == 2 and len(mats) == 1 and len(vecs) == 1
        if known:
            m = mats[0]
            m.copy_(W if tuple(m.shape) == (n_out, n_features) else W.T)
            vecs[0].copy_(b)
        model.eval()
        try:
            out = model(x)
        except Exception as exc:  # noqa: BLE001 - reported to the grader as feedback
            result["forward_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            return result
        if not isinstance(out, torch.Tensor):
            result["forward_error"] = f"the model returned a {type(out).__name__}, not a tensor"
            return result
        result["output_shape"] = list(out.shape)
        expected = maps.mean(dim=(2, 3)) @ W.T + b
        as_max = maps.amax(dim=(2, 3)) @ W.T + b
        if known and tuple(out.shape) == tuple(expected.shape):
            result["max_diff"] = float((out - expected).abs().max())
            result["max_diff_max_pool"] = float((out - as_max).abs().max())
    return result


def task_layer_counts(sub, index, freeze_first=True, seed=0, student_counts=True):
    """Per-child trainable / frozen counts of the base after the student's unfreeze_from.

    The base is freshly built (weights do not matter here); if freeze_first, the student's
    freeze(base) runs first. Then unfreeze_from(base, index), base.train(), and one
    forward pass of a random batch. Returns a dict: layers (a list, per child, of
    {"index", "layer", "trainable", "frozen", "bn_stats_updated"}), trainable and frozen
    totals (counted here), and if student_counts: student_count_all and
    student_count_trainable (the student's count_params).
    """
    _seed(seed)
    base = build_base()
    if freeze_first:
        sub.freeze(base)
    sub.unfreeze_from(base, index)
    base.train()
    snap = _snapshot(base)
    with torch.no_grad():
        base(torch.randn(8, 1, 8, 8, generator=torch.Generator().manual_seed(int(seed))))
    layers = []
    for i, (name, child) in enumerate(base.named_children()):
        tr, fr = _counts(child)
        updated = None
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            updated = bool(float((child.running_mean - snap[f"{name}.running_mean"]).abs().max()) > 0)
        layers.append({"index": i, "layer": type(child).__name__, "trainable": tr, "frozen": fr,
                       "bn_stats_updated": updated})
    tr, fr = _counts(base)
    result = {"layers": layers, "trainable": tr, "frozen": fr}
    if student_counts:
        result["student_count_all"] = int(sub.count_params(base))
        result["student_count_trainable"] = int(sub.count_params(base, trainable_only=True))
    return result


class _Tied(nn.Module):
    """Two linear layers that share one weight tensor (a tied autoencoder's shape)."""

    def __init__(self, batchnorm=True):
        super().__init__()
        self.enc = nn.Linear(6, 6)
        self.dec = nn.Linear(6, 6)
        self.dec.weight = self.enc.weight  # shared: 36 weights, counted once
        self.bn = nn.BatchNorm1d(6) if batchnorm else nn.Identity()  # 12 parameters, 13 buffer values

    def forward(self, x):
        return self.dec(self.bn(self.enc(x)))


def _count_models():
    """name -> model for task_count_params (built after torch.manual_seed(0))."""
    torch.manual_seed(0)
    tied = _Tied()
    tied.enc.bias.requires_grad_(False)
    shared = _Tied(batchnorm=False)  # sharing without buffers
    shared.dec.bias.requires_grad_(False)
    models = {
        "plain": nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)),  # 66, no buffers, nothing shared
        "base": build_base(),  # BatchNorm: 23520 parameters and 229 buffer values
        "tied": tied,
        "shared": shared,
        "classifier": build_classifier(1),  # the base frozen: 65 trainable
    }
    for p in models["classifier"][0].parameters():
        p.requires_grad_(False)
    return models


def _wrong_counts(model):
    """The counts that the common slips give (all, trainable), to name them in feedback."""
    params = list(model.parameters())
    every = [p for m in model.modules() for p in m.parameters(recurse=False)]  # shared tensors repeated
    buffers = sum(b.numel() for b in model.buffers())
    tr, fr = _counts(model)
    return {
        "buffers": [tr + fr + buffers, tr + buffers],
        "tensors": [len(params), sum(1 for p in params if p.requires_grad)],
        "shared_twice": [sum(p.numel() for p in every), sum(p.numel() for p in every if p.requires_grad)],
        "frozen_only": [tr + fr, fr],
    }


def task_count_params(sub):
    """The student's count_params on models with buffers, shared and frozen tensors.

    Returns a dict name -> {"student": [all, trainable_only], "expected": [all,
    trainable_only], "layers": the model's children (type names), "wrong": the counts of
    the common slips (see _wrong_counts)}.
    """
    out = {}
    for name, m in _count_models().items():
        tr, fr = _counts(m)
        student = [_as_count(sub.count_params(m), "count_params(model)"),
                   _as_count(sub.count_params(m, trainable_only=True), "count_params(model, trainable_only=True)")]
        out[name] = {"student": student,
                     "expected": [tr + fr, tr], "wrong": _wrong_counts(m),
                     "layers": [type(c).__name__ for c in m.children()]}
    return out
