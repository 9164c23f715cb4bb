"""Sandbox tasks of `vae_torch`: everything that needs a student's objects.

The sandbox child loads this file by path before the student's code runs, then calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data
(float64 arrays, numbers, strings). Every task returns plain data only (floats, ints,
strings, float64 arrays, and lists/dicts of those).

Rules: stdlib, numpy and torch only; no project imports. Each task seeds torch, numpy and
random, uses deterministic algorithms and one thread, so a regrade gives the same numbers.

The trained task only trains and returns the parameters: the held-out loss is computed by
the grader (trained_runs.py) with the contract's formula, from the student's encode and
decode run in fresh sandboxes and its own eps, so every submission is scored on the same
yardstick. Shared helpers come from graders/engine/torch_tasks.py, loaded by path.
"""

import importlib.util
import os
import time

import numpy as np
import torch


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


def _check_shape(what, got, expected):
    if tuple(got.shape) != tuple(expected):
        raise ValueError(f"{what} returned shape {tuple(got.shape)}, expected {tuple(expected)}")


# ----------------------------------------------------------------------------------------
# Structure and function probes (cheap, no training)


def task_inspect_vae(sub, n_in, n_latent, x, seed=0):
    """Build VAE(n_in, n_latent) and run encode, decode and forward on x (N, n_in).

    Returns {"mu_shape", "logvar_shape", "decode_shape", "decode_min", "decode_max",
    "forward_shapes" ([x_hat, mu, logvar] shapes), "n_params", "input_unchanged",
    "mu_logvar_diff" (largest |mu - logvar| from encode)}.
    """
    _setup(seed)
    model = sub.VAE(int(n_in), int(n_latent))
    xt = _tensor(x)
    before = xt.clone()
    with torch.no_grad():
        mu, logvar = model.encode(xt)
        z = torch.randn(xt.shape[0], int(n_latent)) * 3.0
        dec = model.decode(z)
        x_hat, mu_f, logvar_f = model(xt)
    return {
        "mu_shape": list(mu.shape),
        "logvar_shape": list(logvar.shape),
        "decode_shape": list(dec.shape),
        "decode_min": float(dec.min()),
        "decode_max": float(dec.max()),
        "forward_shapes": [list(x_hat.shape), list(mu_f.shape), list(logvar_f.shape)],
        "n_params": int(sum(p.numel() for p in model.parameters())),
        "input_unchanged": bool(torch.equal(xt, before)),
        "mu_logvar_diff": (float((mu.double() - logvar.double()).abs().max())
                           if mu.shape == logvar.shape and mu.numel() else float("inf")),
    }


def task_forward_probe(sub, n_in, n_latent, x, seed=0):
    """VAE(n_in, n_latent): encode(x), then forward(x) three times (torch seeded 1, 2, 1).

    Returns {"mu_diff", "logvar_diff" (largest |forward's - encode's| over the three calls,
    inf on a shape mismatch), "sample_spread" (largest |x_hat of seed 1 - x_hat of seed 2|),
    "repeat_diff" (largest |x_hat of seed 1 - x_hat of seed 1 again|), "decode_mu_diff"
    (largest |x_hat of seed 1 - decode(mu)|), "sigma_min" (smallest exp(logvar / 2))}.
    """
    _setup(seed)
    model = sub.VAE(int(n_in), int(n_latent))
    xt = _tensor(x)

    def diff(a, b):
        if tuple(a.shape) != tuple(b.shape):
            return float("inf")
        return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0

    with torch.no_grad():
        mu, logvar = model.encode(xt)
        outs = []
        for s in (1, 2, 1):
            torch.manual_seed(s)
            outs.append(model(xt))
        dec_mu = model.decode(mu)
    return {
        "mu_diff": max(diff(o[1], mu) for o in outs),
        "logvar_diff": max(diff(o[2], logvar) for o in outs),
        "sample_spread": diff(outs[0][0], outs[1][0]),
        "repeat_diff": diff(outs[0][0], outs[2][0]),
        "decode_mu_diff": diff(outs[0][0], dec_mu),
        "sigma_min": float(torch.exp(0.5 * logvar).min()),
    }


def task_reparameterize(sub, n_in, mu, logvar, eps, weights, seed=0):
    """VAE(n_in, n_latent).reparameterize(mu, logvar, eps) in float64, and the gradients of
    sum(weights * z) with respect to mu and logvar.

    Returns {"z", "grad_mu", "grad_logvar" (float64 arrays; a gradient that does not reach
    its input is returned as zeros), "reached_mu", "reached_logvar" (bools)}.
    """
    _setup(seed)
    mu_t = _tensor(mu, torch.float64).requires_grad_(True)
    lv_t = _tensor(logvar, torch.float64).requires_grad_(True)
    model = sub.VAE(int(n_in), int(mu_t.shape[1]))
    z = model.reparameterize(mu_t, lv_t, _tensor(eps, torch.float64))
    _check_shape("reparameterize", z, mu_t.shape)
    if z.requires_grad:
        (z * _tensor(weights, torch.float64)).sum().backward()
    return {
        "z": _array(z),
        "grad_mu": _array(mu_t.grad) if mu_t.grad is not None else np.zeros(mu_t.shape),
        "grad_logvar": _array(lv_t.grad) if lv_t.grad is not None else np.zeros(lv_t.shape),
        "reached_mu": mu_t.grad is not None,
        "reached_logvar": lv_t.grad is not None,
    }


def task_kl_divergence(sub, mu, logvar):
    """kl_divergence(mu, logvar) in float64: {"kl": array, "shape": list}."""
    _setup(0)
    kl = sub.kl_divergence(_tensor(mu, torch.float64), _tensor(logvar, torch.float64))
    return {"kl": _array(kl), "shape": list(kl.shape)}


def task_vae_loss(sub, x_hat, x, mu, logvar):
    """vae_loss in float64: {"loss": float (or nan if not a scalar), "shape": list}."""
    _setup(0)
    loss = sub.vae_loss(*(_tensor(a, torch.float64) for a in (x_hat, x, mu, logvar)))
    return {
        "loss": float(loss.detach()) if loss.numel() == 1 else float("nan"),
        "shape": list(loss.shape),
    }


# ----------------------------------------------------------------------------------------
# Trained task


def task_train_vae(sub, x_train, n_latent, epochs, lr, batch_size=64, seed=0):
    """Train VAE(n_in, n_latent) with Adam on the student's vae_loss(*model(x), ...), on the
    training rows only.

    Returns {"state" (the trained state_dict, {name: float32 array}), "history" (per-epoch
    mean training loss), "cpu_s"}. The grader evaluates the state in fresh sandboxes (encode,
    then decode of its own z) and computes the held-out loss itself (trained_runs.py).
    """
    t0 = time.process_time()
    _setup(seed)
    xtr = _tensor(x_train)
    n_latent = int(n_latent)
    model = sub.VAE(xtr.shape[1], n_latent)
    opt = torch.optim.Adam(model.parameters(), lr=float(lr))
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(int(epochs)):
        total = 0.0
        perm = rng.permutation(len(xtr))
        for start in range(0, len(xtr), int(batch_size)):
            xb = xtr[torch.as_tensor(perm[start:start + int(batch_size)])]
            x_hat, mu, logvar = model(xb)
            _check_shape("VAE.forward x_hat", x_hat, xb.shape)
            loss = sub.vae_loss(x_hat, xb, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(xb)
        history.append(total / len(xtr))
    return {"state": _shared.state_arrays(model), "history": np.array(history),
            "cpu_s": time.process_time() - t0}
