"""Sandbox tasks of `transfer_torch`, and the architecture of the pretrained base.

Loaded by file path in the sandbox child before the student's code; imports only the
standard library, numpy and torch. Each `task_<name>(sub, **kwargs)` gets the student's
module namespace `sub` and plain data, seeds torch and numpy itself, and returns plain
data. Accuracies and parameter counts are computed HERE, not with the student's code
(the student's `count_params` results are returned beside them for comparison).

The base (`build_base`) is a small CNN for 8x8 digit images, pretrained by
`pretrain.py` on the digits 0-4; its weights ship as `base_weights.npz` (float arrays,
keys "base.<state_dict key>" and "head.weight"/"head.bias" of its 5-class head). A task
receives the weights as `weights`: a dict of arrays or the path of that file.
"""

import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

N_FEATURES = 64  # channels of the base's output maps (N, 64, 4, 4) for 8x8 inputs
FINE_TUNE_FROM = 7  # the last convolution block: children 7 (conv), 8 (BatchNorm), 9 (ReLU)


def build_base():
    """The pretrained base's architecture: (N, 1, 8, 8) -> (N, 64, 4, 4).

    Children (the indices that unfreeze_from uses):
      0 Conv2d(1, 16, 3, padding=1)   1 BatchNorm2d(16)   2 ReLU
      3 Conv2d(16, 32, 3, padding=1)  4 BatchNorm2d(32)   5 ReLU   6 MaxPool2d(2)
      7 Conv2d(32, 64, 3, padding=1)  8 BatchNorm2d(64)   9 ReLU
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, N_FEATURES, 3, padding=1), nn.BatchNorm2d(N_FEATURES), nn.ReLU(),
    )


def build_classifier(n_out=5):
    """The pretraining model: base, global average pooling, linear head."""
    return nn.Sequential(build_base(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(N_FEATURES, n_out))


def _weights_dict(weights):
    if isinstance(weights, (str, bytes)) or hasattr(weights, "__fspath__"):
        with np.load(weights, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    return dict(weights)


def _load_state(module, arrays, prefix):
    state = module.state_dict()
    new = {}
    for k, v in state.items():
        a = np.asarray(arrays[prefix + k])
        new[k] = torch.as_tensor(a).to(v.dtype).reshape(v.shape)
    module.load_state_dict(new)


def load_base(weights):
    """The pretrained base with its weights and running statistics (eval mode)."""
    base = build_base()
    _load_state(base, _weights_dict(weights), "base.")
    return base.eval()


def load_classifier(weights):
    """The whole pretrained 5-class model (base + head), eval mode."""
    model = build_classifier()
    arrays = _weights_dict(weights)
    _load_state(model[0], arrays, "base.")
    _load_state(model[3], arrays, "head.")
    return model.eval()


def _seed(seed):
    """Seed every generator and run on one deterministic thread, so a regrade repeats."""
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    torch.manual_seed(int(seed))
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def _images(X):
    return torch.as_tensor(np.asarray(X, dtype=np.float64), dtype=torch.float32).reshape(-1, 1, 8, 8)


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _max_change(module, snap):
    """Largest absolute change of any parameter or buffer since `snap`."""
    return max(float((v.detach().double() - snap[k].double()).abs().max()) for k, v in module.state_dict().items())


def _counts(model):
    """(trainable, frozen) parameter counts, each shared tensor once."""
    tr = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return tr, sum(p.numel() for p in model.parameters()) - tr


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


def _as_module(value, call):
    if not isinstance(value, nn.Module):
        raise TypeError(f"{call} returned {type(value).__name__}; expected an nn.Module (the classifier)")
    return value


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
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


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


def _train(model, x, y, n_classes, epochs, lr, batch_size, gen):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    model.train()
    for _ in range(int(epochs)):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch_size):
            b = perm[i:i + batch_size]
            out = model(x[b])
            if n_classes == 2:
                loss = F.binary_cross_entropy_with_logits(out.reshape(-1), y[b].float())
            else:
                loss = F.cross_entropy(out, y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()


@torch.no_grad()
def _accuracy(model, x, y, n_classes):
    model.eval()
    out = model(x)
    pred = (out.reshape(-1) > 0).long() if n_classes == 2 else out.argmax(dim=1)
    return float((pred == y).double().mean())


def task_transfer(sub, weights, X_train, y_train, X_test, y_test, epochs_head=20, lr_head=0.01,
                  fine_tune_from=None, epochs_fine=10, lr_fine=0.001, batch_size=32, seed=0):
    """Head-only training on the frozen pretrained base, then optional fine-tuning.

    Classes are sorted(set(y_train)) mapped to 0..k-1 (k = 2: one output, binary
    cross-entropy on logits, predict logit > 0; else cross-entropy and argmax).
    1) freeze(base); model = replace_head(base, 64, k); Adam(lr_head) on the trainable
       parameters for epochs_head epochs of mini-batches in train mode.
    2) if fine_tune_from is not None: unfreeze_from(base, fine_tune_from); Adam(lr_fine)
       (a lower learning rate) on the trainable parameters for epochs_fine epochs.

    Returns a dict: head_accuracy (test accuracy after 1), base_drift (max change of any
    base parameter or buffer during 1: 0 when frozen properly), trainable_head
    (trainable count after 1, counted here), fine_tune_accuracy and trainable_fine
    (after 2, if run), output_shape, cpu_seconds.
    """
    _seed(seed)
    c0 = time.process_time()
    classes = sorted(set(np.asarray(y_train).astype(int).tolist()))
    k = len(classes)
    lookup = {c: i for i, c in enumerate(classes)}
    xtr, xte = _images(X_train), _images(X_test)
    ytr = torch.tensor([lookup[int(c)] for c in np.asarray(y_train)], dtype=torch.long)
    yte = torch.tensor([lookup[int(c)] for c in np.asarray(y_test)], dtype=torch.long)
    gen = torch.Generator().manual_seed(int(seed))

    base = load_base(weights)
    snap = _snapshot(base)
    sub.freeze(base)
    model = _as_module(sub.replace_head(base, N_FEATURES, k), f"replace_head(base, {N_FEATURES}, {k})")
    with torch.no_grad():
        shape = list(model.eval()(xtr[:3]).shape)
    expected = [3, 1] if k == 2 else [3, k]
    if shape != expected:
        raise ValueError(f"replace_head(base, {N_FEATURES}, {k}) must give logits of shape (N, "
                         f"{expected[1]}); got {tuple(shape)} for N = 3")
    _train(model, xtr, ytr, k, epochs_head, lr_head, batch_size, gen)
    result = {"head_accuracy": _accuracy(model, xte, yte, k), "base_drift": _max_change(base, snap),
              "trainable_head": _counts(model)[0], "output_shape": shape}
    if fine_tune_from is not None:
        sub.unfreeze_from(base, int(fine_tune_from))
        _train(model, xtr, ytr, k, epochs_fine, lr_fine, batch_size, gen)
        result["fine_tune_accuracy"] = _accuracy(model, xte, yte, k)
        result["trainable_fine"] = _counts(model)[0]
    result["cpu_seconds"] = time.process_time() - c0
    return result
