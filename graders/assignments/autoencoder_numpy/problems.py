"""Shared pieces of the `autoencoder_numpy` checks: shapes, random problems, validation.

Every problem is drawn in the grader's process from the check's seeded `ctx.rng`, sent to
the sandbox as plain arrays, and what comes back is validated here before it is compared
with the reference (`reference/numpy/autoencoder_numpy.py`, run in this process).
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect

KEYS = ("W1", "b1", "W2", "b2")
N, D, H = 6, 7, 5          # a small problem: N, D and H all different, so slips have names
KINK_MARGIN = 1e-3         # no hidden pre-activation this close to relu's kink at 0


def shapes(d: int, h: int) -> dict[str, tuple]:
    return {"W1": (d, h), "b1": (h,), "W2": (h, d), "b2": (d,)}


def problem(rng: np.random.Generator, n: int = N, d: int = D, h: int = H):
    """(params, X): X in [0, 1], random params with non-zero biases and no hidden
    pre-activation within KINK_MARGIN of 0, and both signs present (the mask matters)."""
    X = rng.uniform(0.0, 1.0, size=(n, d))
    for _ in range(1000):
        params = {
            "W1": rng.normal(0.0, 0.7, size=(d, h)),
            "b1": rng.normal(0.0, 0.3, size=h),
            "W2": rng.normal(0.0, 0.7, size=(h, d)),
            "b2": rng.normal(0.0, 0.3, size=d),
        }
        Z1 = X @ params["W1"] + params["b1"]
        if np.abs(Z1).min() > KINK_MARGIN and (Z1 > 0).any() and (Z1 < 0).any():
            return params, X
    raise RuntimeError("could not draw parameters away from relu's kink")


def describe_problem(params: dict, X: np.ndarray) -> str:
    return (f"Inputs: X of shape {X.shape} with values in [0, 1]; params with shapes "
            + ", ".join(f"{k} {params[k].shape}" for k in KEYS)
            + " (random, non-zero biases; no hidden pre-activation within 1e-3 of 0).")


def call_forward(ctx, params, X, what="forward(params, X)"):
    """(X_hat validated as an (N, D) float64 array in [0, 1], cache as returned)."""
    out = expect.sequence(ctx.call("forward", params, X), what, 2)
    X_hat = expect.array(out[0], f"{what}[0] (X_hat)", X.shape)
    return X_hat, out[1]


def params_dict(value, what: str, d: int, h: int) -> dict:
    return expect.array_dict(value, what, shapes(d, h))


def first_change(before, after, name: str) -> str | None:
    """The first argument part that changed, or None (handles are not compared)."""
    if isinstance(before, np.ndarray):
        if (not isinstance(after, np.ndarray) or after.shape != before.shape
                or not np.array_equal(after, before, equal_nan=True)):
            return name
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return name
        for k, v in before.items():
            found = first_change(v, after.get(k), f"{name}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(before, (tuple, list)):
        if not isinstance(after, (tuple, list)) or len(after) != len(before):
            return name
        for i, (v, w) in enumerate(zip(before, after)):
            found = first_change(v, w, f"{name}[{i}]")
            if found:
                return found
    return None


def reconstruction_mse(params: dict, X: np.ndarray) -> float:
    """The contract's loss of its forward pass, mean((sigmoid(relu(X W1 + b1) W2 + b2) - X)^2)
    over all N * D elements, written out here in the grader's process rather than taken from
    the reference module (a student pack replays it for any trained model); sigmoid(z) =
    (1 + tanh(z / 2)) / 2, exact and free of overflow."""
    W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in KEYS)
    with np.errstate(all="ignore"):
        code = np.maximum(X @ W1 + b1, 0.0)
        rebuilt = 0.5 * (1.0 + np.tanh(0.5 * (code @ W2 + b2)))
        return float(np.mean((rebuilt - X) ** 2))
