"""Sandbox tasks of `transfer_torch`: the architecture of the pretrained base, the helpers
that every task file shares, and the training task (`task_transfer`).

Loaded by file path in the sandbox child before the student's code; imports only the
standard library, numpy and torch. Each `task_<name>(sub, **kwargs)` gets the student's
module namespace `sub` and plain data, seeds torch and numpy itself, and returns plain
data. The trained checks' tasks return raw outputs only: training (`task_transfer_train`)
returns the trained state_dicts as float arrays, and a fresh evaluation process
(`task_transfer_logits`) gets them back with held-out images, never labels, and returns
logits; the grader computes the accuracies. The probes of freeze, replace_head, unfreeze_from and count_params are in `tasks_probes.py`,
which loads this file by path.

The base (`build_base`) is a small CNN for 8x8 digit images, pretrained by
`pretrain.py` on the digits 0-4; its weights ship as `base_weights.npz` (float arrays,
keys "base.<state_dict key>" and "head.weight"/"head.bias" of its 5-class head). A task
receives the weights as `weights`: a dict of arrays or the path of that file.
"""

import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

N_FEATURES = 64  # channels of the base's output maps (N, 64, 4, 4) for 8x8 inputs
FINE_TUNE_FROM = 7  # the last convolution block: children 7 (conv), 8 (BatchNorm), 9 (ReLU)


def _shared_torch_tasks():
    """graders/engine/torch_tasks.py, loaded by path (`graders` cannot be imported here): in
    dlgrade's own tree, two folders up; elsewhere (a student pack) in the installed engine,
    whose package is found, not imported."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "engine",
                        "torch_tasks.py")
    if not os.path.isfile(path):
        path = os.path.join(importlib.util.find_spec("graders").submodule_search_locations[0], "engine",
                            "torch_tasks.py")
    spec = importlib.util.spec_from_file_location("_dlgrade_torch_tasks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _shared_torch_tasks()
_seed, _state_arrays = _shared.setup, _shared.state_arrays_float64


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


def _as_module(value, call):
    if not isinstance(value, nn.Module):
        raise TypeError(f"{call} returned {type(value).__name__}; expected an nn.Module (the classifier)")
    return value


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


def _trainable(model):
    """[[numel, requires_grad], ...] of each parameter, shared ones once (the grader counts)."""
    return [[int(p.numel()), bool(p.requires_grad)] for p in model.parameters()]


def _model(sub, weights, k):
    """freeze(base); replace_head(base, 64, k) on the pretrained base; its logits' shape checked."""
    base = load_base(weights)
    sub.freeze(base)
    model = _as_module(sub.replace_head(base, N_FEATURES, k), f"replace_head(base, {N_FEATURES}, {k})")
    return base, model


def task_transfer_train(sub, weights, X_train, y_train, epochs_head=20, lr_head=0.01,
                        fine_tune_from=None, epochs_fine=10, lr_fine=0.001, batch_size=32, seed=0):
    """Head-only training on the frozen pretrained base, then optional fine-tuning. The
    training images and labels only: the held-out images never reach this process.

    Classes are sorted(set(y_train)) mapped to 0..k-1 (k = 2: one output, binary
    cross-entropy on logits; else cross-entropy).
    1) freeze(base); model = replace_head(base, 64, k); Adam(lr_head) on the trainable
       parameters for epochs_head epochs of mini-batches in train mode.
    2) if fine_tune_from is not None: unfreeze_from(base, fine_tune_from); Adam(lr_fine)
       (a lower learning rate) on the trainable parameters for epochs_fine epochs.

    Returns raw outputs only: state_head and state_fine (the model's state_dict after 1
    and after 2, float64 arrays), base_after_head (the base's state_dict after 1),
    params_head and params_fine ([numel, requires_grad] per parameter), output_shape,
    cpu_seconds.
    """
    _seed(seed)
    c0 = time.process_time()
    classes = sorted(set(np.asarray(y_train).astype(int).tolist()))
    k = len(classes)
    lookup = {c: i for i, c in enumerate(classes)}
    xtr = _images(X_train)
    ytr = torch.tensor([lookup[int(c)] for c in np.asarray(y_train)], dtype=torch.long)
    gen = torch.Generator().manual_seed(int(seed))

    base, model = _model(sub, weights, k)
    with torch.no_grad():
        shape = list(model.eval()(xtr[:3]).shape)
    expected = [3, 1] if k == 2 else [3, k]
    if shape != expected:
        raise ValueError(f"replace_head(base, {N_FEATURES}, {k}) must give logits of shape (N, "
                         f"{expected[1]}); got {tuple(shape)} for N = 3")
    _train(model, xtr, ytr, k, epochs_head, lr_head, batch_size, gen)
    result = {"state_head": _state_arrays(model), "base_after_head": _state_arrays(base),
              "params_head": _trainable(model), "output_shape": shape}
    if fine_tune_from is not None:
        sub.unfreeze_from(base, int(fine_tune_from))
        _train(model, xtr, ytr, k, epochs_fine, lr_fine, batch_size, gen)
        result["state_fine"] = _state_arrays(model)
        result["params_fine"] = _trainable(model)
    result["cpu_seconds"] = time.process_time() - c0
    return result


def task_transfer_logits(sub, weights, n_classes, state, X):
    """The logits of a trained model on images `X`, in a process that never trained it.

    Builds the model as training did (freeze(base); replace_head(base, 64, k) on the
    pretrained base), loads `state` (a state_dict of float arrays, cast to each entry's
    dtype), switches it to eval mode and returns model(X) as float64: (N, k), or (N, 1)
    for two classes. No labels reach this process; the grader computes the accuracy.
    """
    _seed(0)
    k = int(n_classes)
    _, model = _model(sub, weights, k)
    _load_state(model, state, "")
    model.eval()
    with torch.no_grad():
        out = model(_images(X))
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model returned {type(out).__name__}; expected a tensor of logits")
    return out.detach().double().cpu().numpy()
