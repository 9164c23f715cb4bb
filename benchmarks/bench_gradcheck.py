"""Benchmark 1: gradient verification, our check against torch.autograd.gradcheck and per-entry differences.

Every method checks the SAME analytic gradient (the reference NumPy backward pass) of the
SAME scalar loss, in float64:

- ours: graders.engine.gradcheck.check_gradient, per parameter tensor: 3 random directional
  probes (2 evaluations each), per-entry central differences only on a tensor that fails;
- torch.autograd.gradcheck, fast_mode=True and fast_mode=False (its default tolerances), on
  a torch.autograd.Function whose forward is the NumPy loss and whose backward returns the
  NumPy analytic gradient;
- per-entry central differences of every entry of every tensor (step 1e-5).

"evals" counts calls of the loss (a wrapper around it); "grads" counts calls of the
analytic gradient. Each problem is checked with the right gradient and with a planted bug
(one bias gradient doubled); "localised" says whether the method named the wrong tensor
(and only it) and pointed at its wrong entries.

    .venv/bin/python -m benchmarks.bench_gradcheck [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from benchmarks.common import main, median, result, timed
from graders.engine.gradcheck import PROBE_ATOL, PROBE_RTOL, STEP, check_gradient

Params = dict[str, np.ndarray]


@dataclass
class Problem:
    name: str
    params: Params
    loss: Callable[[Params], float]
    grad: Callable[[Params], Params]
    bug_key: str  # the tensor whose gradient the planted bug doubles


def autoencoder(quick: bool) -> Problem:
    ref = importlib.import_module("reference.numpy.autoencoder_numpy")
    D, H, N = (8, 4, 4) if quick else (64, 32, 16)
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, size=(N, D))
    params = ref.init_params(D, H, seed=0)
    params["b1"] = rng.normal(0.0, 0.1, size=H)
    params["b2"] = rng.normal(0.0, 0.1, size=D)
    z1 = X @ params["W1"] + params["b1"]
    assert np.abs(z1).min() > 1e-4, "a ReLU input is at its kink; pick another seed"

    def grad(p):
        _, cache = ref.forward(p, X)
        return ref.backward(p, cache, X)

    return Problem(f"autoencoder {D}-{H}-{D} (N={N})", params,
                   lambda p: ref.loss(ref.forward(p, X)[0], X), grad, "b2")


def lstm(quick: bool) -> Problem:
    ref = importlib.import_module("reference.numpy.lstm_gru_numpy")
    N, T, D, H = (2, 3, 3, 4) if quick else (4, 8, 8, 16)
    rng = np.random.default_rng(1)
    X, h0, G = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    params = {}
    for k in ref.LSTM_GATES:
        params["Wx" + k] = rng.normal(0.0, 0.5, size=(D, H))
        params["Wh" + k] = rng.normal(0.0, 0.5, size=(H, H))
        params["b" + k] = rng.normal(0.0, 0.5, size=H)

    def grad(p):  # the loss is sum(G * Hs), so dL/dHs = G
        _, cache = ref.lstm_forward(X, h0, p)
        return ref.lstm_backward(G, cache)[2]

    return Problem(f"LSTM sequence loss (N={N}, T={T}, D={D}, H={H})", params,
                   lambda p: float(np.sum(G * ref.lstm_forward(X, h0, p)[0])), grad, "bf")


def char_rnn(quick: bool) -> Problem | None:
    try:
        ref = importlib.import_module("reference.numpy.char_rnn_numpy")
    except ImportError:
        return None
    V, H, T = (5, 4, 4) if quick else (20, 32, 16)
    rng = np.random.default_rng(2)
    params = ref.init_params(V, H, seed=2)
    for k in params:  # larger weights than the 0.01 init, so that every path matters
        params[k] = rng.normal(0.0, 0.3, size=params[k].shape)
    inputs, targets = list(rng.integers(0, V, size=T)), list(rng.integers(0, V, size=T))
    h_prev = rng.normal(0.0, 0.5, size=H)
    return Problem(f"char-RNN loss (V={V}, H={H}, T={T})", params,
                   lambda p: ref.loss_and_grads(p, inputs, targets, h_prev)[0],
                   lambda p: ref.loss_and_grads(p, inputs, targets, h_prev)[1], "bh")


class Counted:
    """Wraps the loss and the gradient to count their calls."""

    def __init__(self, problem: Problem, bug: bool):
        self.problem, self.bug = problem, bug
        self.evals = self.grads = 0

    def loss(self, p: Params) -> float:
        self.evals += 1
        return self.problem.loss(p)

    def grad(self, p: Params) -> Params:
        self.grads += 1
        g = self.problem.grad(p)
        if self.bug:
            g = dict(g)
            g[self.problem.bug_key] = 2.0 * g[self.problem.bug_key]
        return g


# ------------------------------------------------------------------ the methods
# Each returns (wrong tensors, how it points at entries or None).

def ours(c: Counted, params: Params):
    analytic = c.grad(params)
    rng = np.random.default_rng(0)
    wrong, entries = [], None
    for key in params:
        verdict = check_gradient(c.loss, params, key, analytic[key], rng=rng)
        if not verdict.ok:
            wrong.append(key)
            entries = (f"{verdict.mismatched}/{verdict.checked} entries wrong, worst "
                       f"{', '.join(str(i) for i, _, _ in verdict.worst[:2])}")
    return wrong, entries


def per_entry(c: Counted, params: Params):
    analytic = c.grad(params)
    wrong, entries = [], None
    for key, p in params.items():
        numeric = np.empty_like(p)
        for idx in np.ndindex(p.shape):
            e = np.zeros_like(p)
            e[idx] = STEP
            numeric[idx] = (c.loss({**params, key: p + e}) - c.loss({**params, key: p - e})) / (2 * STEP)
        bad = ~np.isclose(analytic[key], numeric, rtol=PROBE_RTOL, atol=PROBE_ATOL)
        if bad.any():
            wrong.append(key)
            entries = f"{int(bad.sum())}/{bad.size} entries wrong (all listed)"
    return wrong, entries


def torch_gradcheck(c: Counted, params: Params, fast_mode: bool):
    import torch
    from torch.autograd.gradcheck import GradcheckError

    keys = list(params)

    class NumpyLoss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            ctx.save_for_backward(*tensors)
            return torch.tensor(c.loss({k: t.detach().numpy() for k, t in zip(keys, tensors)}),
                                dtype=torch.float64)

        @staticmethod
        def backward(ctx, grad_out):
            g = c.grad({k: t.detach().numpy() for k, t in zip(keys, ctx.saved_tensors)})
            return tuple(grad_out * torch.from_numpy(g[k]) for k in keys)

    inputs = tuple(torch.tensor(params[k], dtype=torch.float64, requires_grad=True) for k in keys)
    try:
        torch.autograd.gradcheck(NumpyLoss.apply, inputs, fast_mode=fast_mode)
    except GradcheckError as exc:
        found = re.search(r"with respect to input (\d+)", str(exc))
        wrong = [keys[int(found.group(1))]] if found else ["(not named)"]
        # both modes print the input's whole numerical and analytical Jacobians (fast mode
        # recomputes them in slow mode after a failure), with no ranking of the wrong entries
        entries = "prints both Jacobians of that input" if "tensor(" in str(exc) else None
        return wrong, entries
    return [], None


METHODS = {
    "ours (3 probes/tensor)": ours,
    "torch gradcheck fast": lambda c, p: torch_gradcheck(c, p, fast_mode=True),
    "torch gradcheck slow": lambda c, p: torch_gradcheck(c, p, fast_mode=False),
    "per-entry central diff.": per_entry,
}

COLUMNS = ["function", "gradient", "method", "evals", "grads", "time (s)", "verdict", "localised"]


def run(quick: bool = False, repeats: int = 3) -> dict:
    import torch

    torch.set_num_threads(1)
    # torch's first gradcheck pays one-off initialisation: keep it out of the timings
    torch.autograd.gradcheck(torch.sin, (torch.ones(2, dtype=torch.float64, requires_grad=True),), fast_mode=True)
    problems = [autoencoder(quick), lstm(quick)]
    notes = []
    rnn = char_rnn(quick)
    if rnn is None:
        notes.append("char-RNN skipped: reference/numpy/char_rnn_numpy.py is not there yet.")
    else:
        problems.append(rnn)
    rows = []
    for problem in problems:
        sizes = ", ".join(f"{k} {v.size}" for k, v in problem.params.items())
        notes.append(f"{problem.name}: {len(problem.params)} tensors, "
                     f"{sum(v.size for v in problem.params.values()):,} entries ({sizes}).")
        for bug in (False, True):
            for method, fn in METHODS.items():
                times, counted, out = [], None, None
                for _ in range(repeats):
                    counted = Counted(problem, bug)
                    seconds, out = timed(lambda: fn(counted, problem.params))
                    times.append(seconds)
                wrong, entries = out
                if not bug:
                    localised = None
                else:
                    localised = wrong == [problem.bug_key] and entries is not None
                rows.append({
                    "function": problem.name.split(" (")[0],
                    "gradient": f"bug: d{problem.bug_key} x2" if bug else "right",
                    "method": method,
                    "evals": counted.evals,
                    "grads": counted.grads,
                    "time (s)": median(times),
                    "verdict": ("wrong: " + ", ".join(wrong)) if wrong else "right",
                    "localised": (f"yes: {problem.bug_key}; {entries}" if localised else
                                  f"tensor only ({', '.join(wrong)})" if bug and wrong else
                                  "missed" if bug else None),
                })
    notes.append("evals: calls of the loss; grads: calls of the analytic gradient (torch's gradcheck "
                 "calls backward several times: analytic Jacobian, reentrancy and undefined-grad checks).")
    notes.append(f"Tolerances: ours and per-entry |numeric - analytic| <= {PROBE_ATOL:g} + {PROBE_RTOL:g} * max(|.|), "
                 "step 1e-5; torch.autograd.gradcheck its defaults (eps 1e-6, atol 1e-5, rtol 1e-3).")
    return result("gradcheck", "Gradient verification: function evaluations and wall time", COLUMNS, rows,
                  notes, {"quick": quick, "repeats": repeats})


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))
