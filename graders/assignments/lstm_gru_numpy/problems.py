"""Shared pieces of the `lstm_gru_numpy` checks: sizes, parameter names, random problems.

Every problem is drawn in the grader's process from the check's seeded `ctx.rng`. In
hard-sigmoid mode the LSTM inputs are redrawn until no gate pre-activation lies within
1e-3 of the kinks at +-2.5 (and some lie on each side), so a finite difference never
straddles a kink.
"""

from __future__ import annotations

import numpy as np

from reference.numpy import lstm_gru_numpy as ref

LSTM_KEYS = tuple(p + k for p in ("Wx", "Wh", "b") for k in "ifgo")
GRU_KEYS = ("Wxr", "Wxz", "Wxn", "Whr", "Whz", "Whn", "bxr", "bxz", "bxn", "bhr", "bhz", "bhn")
KINK_GAP = 1e-3
N, D, H, T = 3, 4, 5, 5


def lstm_params(rng, D, H, scale):
    P = {}
    for k in "ifgo":
        P["Wx" + k] = rng.normal(0, scale, size=(D, H))
        P["Wh" + k] = rng.normal(0, scale, size=(H, H))
        P["b" + k] = rng.normal(0, scale, size=H)
    return P


def gru_params(rng, D, H, scale=0.8):
    shapes = {"Wx": (D, H), "Wh": (H, H), "bx": (H,), "bh": (H,)}
    return {p + k: rng.normal(0, scale, size=shapes[p]) for p in shapes for k in "rzn"}


def _preactivations(X, h0, c0, P):
    """Every i, f, o pre-activation of the reference over X (N, T, D), from (h0, c0)."""
    out, h, c = [], h0, c0
    for t in range(X.shape[1]):
        h, c, cache = ref.lstm_step_forward(X[:, t], h, c, P, "hard_sigmoid")
        out += [cache[3][k].ravel() for k in "ifo"]
    return np.concatenate(out)


def draw_lstm(rng, gate, Tn, *, scale=1.2, forget_bias=0.0, random_c0=True):
    """(X (N, Tn, D), h0, c0, params); for the hard sigmoid, redrawn until no gate
    pre-activation is within KINK_GAP of +-2.5 and some lie on each side of the kinks."""
    for _ in range(200):
        P = lstm_params(rng, D, H, scale)
        P["bf"] = P["bf"] + forget_bias
        X = rng.normal(size=(N, Tn, D))
        h0 = rng.normal(0, 0.5, size=(N, H))
        c0 = rng.normal(0, 0.5, size=(N, H)) if random_c0 else np.zeros((N, H))
        if gate == "sigmoid":
            return X, h0, c0, P
        a = np.abs(_preactivations(X, h0, c0, P))
        if np.min(np.abs(a - 2.5)) > KINK_GAP and np.any(a > 2.5) and np.any(a < 2.5):
            return X, h0, c0, P
    raise RuntimeError("could not draw a kink-free LSTM problem")


def lstm_context(gate, **shapes):
    return ("Inputs: " + ", ".join(f"{k} of shape {v.shape}" for k, v in shapes.items())
            + f", gate={gate!r}; weights drawn from N(0, 1.2^2)"
            + ("; no gate pre-activation within 1e-3 of the kinks at +-2.5." if gate == "hard_sigmoid" else "."))
