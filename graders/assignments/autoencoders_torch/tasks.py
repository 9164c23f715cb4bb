"""Sandbox tasks of `autoencoders_torch`: everything that needs a student's objects.

The sandbox child loads this file by path before the student's code runs, then calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data
(float64 arrays, numbers, strings). Every task returns plain data only (floats, ints,
strings, float64 arrays, and lists/dicts of those); the grader process compares it with
the contract and the calibrated thresholds.

Rules: stdlib, numpy and torch only; no project imports. Each task seeds torch, numpy and
random, uses deterministic algorithms and one thread, so a regrade gives the same numbers.

Training settings (shared by calibration and grading): Adam, mini-batches drawn from a
seeded permutation each epoch, MSE (mean over all elements) as the reconstruction loss.
The trained tasks only train and return the parameters (see the section below); the
shared helpers come from graders/engine/torch_tasks.py, loaded by path.
"""

import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


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
_setup, _tensor, _array = _shared.setup, _shared.tensor, _shared.array


def _batches(n, batch_size, rng):
    perm = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield torch.as_tensor(perm[start:start + batch_size])


def _check_shape(what, got, expected):
    if not torch.is_tensor(got):
        raise ValueError(f"{what} returned {type(got).__name__}, expected a tensor of shape "
                         f"{tuple(expected)}")
    if tuple(got.shape) != tuple(expected):
        raise ValueError(f"{what} returned shape {tuple(got.shape)}, expected {tuple(expected)}")


def _n_params(model):
    return int(sum(p.numel() for p in model.parameters()))


def _fit(model, x_train, epochs, lr, batch_size, seed, corrupt=None, penalty=None):
    """Adam on MSE(model(corrupt(x)), x) [+ penalty(model, x)]; returns per-epoch mean losses."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for idx in _batches(len(x_train), batch_size, rng):
            xb = x_train[idx]
            inp = corrupt(xb) if corrupt is not None else xb
            out = model(inp)
            _check_shape(f"{type(model).__name__}.forward", out, xb.shape)
            loss = F.mse_loss(out, xb)
            if penalty is not None:
                loss = loss + penalty(model, inp)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        history.append(total / count)
    return history


# ----------------------------------------------------------------------------------------
# Structure and function probes (cheap, no training)


def task_inspect_dense_autoencoder(sub, n_in, n_hidden, x, seed=0):
    """Build DenseAutoencoder(n_in, n_hidden) and run it on x (N, n_in).

    Returns {"n_params", "code_shape", "code_min", "out_shape", "out_min", "out_max",
    "input_unchanged"} (min and max are NaN for an empty or non-tensor result).
    """
    _setup(seed)
    model = sub.DenseAutoencoder(int(n_in), int(n_hidden))
    xt = _tensor(x)
    before = xt.clone()
    with torch.no_grad():
        code = model.encode(xt)
        out = model(xt)
    return {
        "n_params": _n_params(model),
        "code_shape": _shape(code),
        "code_min": _extreme(code, min),
        "out_shape": _shape(out),
        "out_min": _extreme(out, min),
        "out_max": _extreme(out, max),
        "input_unchanged": bool(torch.equal(xt, before)),
    }


def _shape(t):
    """The shape of a returned tensor as a list, or "not a tensor: <type>"."""
    if not torch.is_tensor(t):
        return f"not a tensor: {type(t).__name__}"
    return [int(s) for s in t.shape]


def _widen(current, value, which):
    """min/max that keeps a NaN once one was seen."""
    if current != current or value != value:
        return float("nan")
    return which(current, value)


def _extreme(t, which):
    if not torch.is_tensor(t) or t.numel() == 0:
        return float("nan")
    t = t.detach().double()
    if torch.isnan(t).any():
        return float("nan")
    return float(t.min() if which is min else t.max())


def task_conv_autoencoder_shapes(sub, shapes, seed=0, scale=1.0):
    """Run ConvAutoencoder(in_channels=C) on random inputs of each (N, C, H, W) in `shapes`
    (uniform in [0, scale)).

    Returns {"out_shapes": [list or "ErrorType: message" per shape], "out_min", "out_max"
    (over the shapes that ran; NaN if an output held NaN), "n_params" (for in_channels=1)}.
    """
    _setup(seed)
    out_shapes, lo, hi = [], float("inf"), float("-inf")
    for shape in shapes:
        shape = [int(s) for s in shape]
        try:
            model = sub.ConvAutoencoder(in_channels=shape[1])
            with torch.no_grad():
                out = model(torch.rand(*shape) * float(scale))
            out_shapes.append(_shape(out))
            lo, hi = _widen(lo, _extreme(out, min), min), _widen(hi, _extreme(out, max), max)
        except Exception as exc:  # reported shape by shape as feedback
            out_shapes.append(f"{type(exc).__name__}: {exc}")
    return {
        "out_shapes": out_shapes,
        "out_min": lo,
        "out_max": hi,
        "n_params": _n_params(sub.ConvAutoencoder(in_channels=1)),
    }


def task_add_noise(sub, x, noise_factor, seed=0):
    """add_noise on x (float64) with torch.Generator seeded `seed`, again with the same
    seed, and once with seed + 1.

    Returns {"noisy", "repeat", "other" (float64 arrays), "dtype" (str of the result's
    dtype), "input_unchanged"}.
    """
    _setup(seed)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float64))
    before = xt.clone()
    results = []
    for s in (seed, seed, seed + 1):
        g = torch.Generator().manual_seed(int(s))
        results.append(sub.add_noise(xt, float(noise_factor), g))
    return {
        "noisy": _array(results[0]),
        "repeat": _array(results[1]),
        "other": _array(results[2]),
        "dtype": str(results[0].dtype),
        "input_unchanged": bool(torch.equal(xt, before)),
    }


def task_l1_penalty(sub, code, factor):
    """l1_activity_penalty in float64: {"value": float, "grad": d value / d code, "ndim"}.

    Also "returned" (the type of what came back), "shape" (its shape, [] for a scalar),
    "differentiable" (whether the value carries a gradient back to code) and
    "input_unchanged". A result that is not a one-element tensor gets value NaN unless it
    is a plain number; "grad" is zeros where no gradient reached the code.
    """
    _setup(0)
    ct = torch.as_tensor(np.asarray(code, dtype=np.float64)).clone().requires_grad_(True)
    before = ct.detach().clone()
    value = sub.l1_activity_penalty(ct, float(factor))
    out = {"returned": type(value).__name__, "shape": [], "ndim": 0, "differentiable": False}
    if torch.is_tensor(value):
        out["shape"], out["ndim"] = [int(s) for s in value.shape], int(value.dim())
        out["value"] = float(value.detach().reshape(())) if value.numel() == 1 else float("nan")
        if value.numel() == 1 and value.requires_grad:
            value.reshape(()).backward()
            out["differentiable"] = ct.grad is not None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out["value"] = float(value)
    else:
        out["value"] = float("nan")
    grad = ct.grad if ct.grad is not None else torch.zeros_like(ct)
    out["grad"] = _array(grad)
    out["input_unchanged"] = bool(torch.equal(ct.detach(), before))
    return out


# ----------------------------------------------------------------------------------------
# Trained tasks: training only. Each gets the training rows (never the held-out ones) and
# returns the trained parameters as float32 arrays; the grader evaluates them in fresh
# sandboxes (`task_torch_apply` of graders/engine/torch_tasks.py: encode in one process,
# decode of the grader's relayed code in another) and computes every metric itself.


def task_train_dense_autoencoder(sub, x_train, n_hidden, epochs, lr, batch_size=64, seed=0):
    """Train DenseAutoencoder(n_in, n_hidden) with Adam on MSE.

    Returns {"state" (the trained state_dict, {name: float32 array}), "history" (per-epoch
    mean training losses), "cpu_s"}.
    """
    t0 = time.process_time()
    _setup(seed)
    xtr = _tensor(x_train)
    model = sub.DenseAutoencoder(xtr.shape[1], int(n_hidden))
    history = _fit(model, xtr, int(epochs), float(lr), int(batch_size), seed)
    return {"state": _shared.state_arrays(model), "history": np.array(history),
            "cpu_s": time.process_time() - t0}


def task_train_conv_autoencoder(sub, x_train, image_shape, epochs, lr, batch_size=64, seed=0):
    """Train ConvAutoencoder(1) on images reshaped to (N, 1, H, W) with Adam on MSE.

    Returns like task_train_dense_autoencoder.
    """
    t0 = time.process_time()
    _setup(seed)
    h, w = (int(s) for s in image_shape)
    xtr = _tensor(x_train).reshape(-1, 1, h, w)
    model = sub.ConvAutoencoder(in_channels=1)
    history = _fit(model, xtr, int(epochs), float(lr), int(batch_size), seed)
    return {"state": _shared.state_arrays(model), "history": np.array(history),
            "cpu_s": time.process_time() - t0}


def task_train_denoising_autoencoder(sub, x_train, n_hidden, noise_factor, epochs, lr,
                                     batch_size=64, seed=0):
    """Train DenseAutoencoder(n_in, n_hidden) to map add_noise(x) back to x, each batch
    corrupted by the student's add_noise with a torch.Generator seeded `seed`.

    Returns like task_train_dense_autoencoder (the grader corrupts the held-out images itself).
    """
    t0 = time.process_time()
    _setup(seed)
    xtr = _tensor(x_train)
    noise_factor = float(noise_factor)
    gen = torch.Generator().manual_seed(int(seed))

    def corrupt(xb):
        noisy = sub.add_noise(xb, noise_factor, gen)
        _check_shape("add_noise", noisy, xb.shape)
        return noisy.to(xb.dtype)

    model = sub.DenseAutoencoder(xtr.shape[1], int(n_hidden))
    history = _fit(model, xtr, int(epochs), float(lr), int(batch_size), seed, corrupt=corrupt)
    return {"state": _shared.state_arrays(model), "history": np.array(history),
            "cpu_s": time.process_time() - t0}


def task_train_sparse_autoencoder(sub, x_train, n_hidden, l1_factor, epochs, lr, batch_size=64,
                                  seed=0):
    """Train two DenseAutoencoder(n_in, n_hidden) from the same seed: a plain one and one
    with l1_activity_penalty(model.encode(x), l1_factor) added to the loss.

    Returns {"plain", "l1" (their trained state_dicts), "cpu_s"}.
    """
    t0 = time.process_time()
    xtr = _tensor(x_train)
    factor = float(l1_factor)
    states = {}
    for name, penalty in (
        ("plain", None),
        ("l1", lambda model, inp: sub.l1_activity_penalty(model.encode(inp), factor)),
    ):
        _setup(seed)
        model = sub.DenseAutoencoder(xtr.shape[1], int(n_hidden))
        _fit(model, xtr, int(epochs), float(lr), int(batch_size), seed, penalty=penalty)
        states[name] = _shared.state_arrays(model)
    return {**states, "cpu_s": time.process_time() - t0}
