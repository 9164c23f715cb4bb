"""The reference's `loss_and_grads` and `train` loop with one known slip switched on.

The checks name a slip by matching a submission's answer with these. They are copies of the
solution, so a student pack records this module's answers, as it records the reference's,
rather than carrying it (graders.tooling.student_pack.sources: `reference_*` modules).
"""

from __future__ import annotations

import numpy as np

from graders.assignments.char_rnn_numpy.problems import KEYS
from graders.assignments.char_rnn_numpy.slip_words import (
    NO_BPTT,
    NO_TRANSPOSE,
    DTANH_H_PREV,
    DTANH_NOT_SQUARED,
    WHH_WITH_H_T,
    NO_MINUS_ONE,
    MEAN_GRADIENT,
    CLIPPED,
    ZERO_START,
)
from reference.numpy import char_rnn_numpy as ref


def backward_variant(params, inputs, targets, h_prev, *, bptt=True, transpose=True, dtanh="square",
                     whh_input="h_prev", minus_one=True, mean=False, clip=None, use_h_prev=True):
    """(loss, grads, h_last, dL/dh_prev) of the reference with one slip switched on (or none)."""
    Wxh, Whh, Why, bh, by = (params[k] for k in KEYS)
    hs = {-1: np.array(h_prev, dtype=np.float64) if use_h_prev else np.zeros(Whh.shape[0])}
    ps, loss = {}, 0.0
    for t in range(len(inputs)):
        hs[t] = np.tanh(Wxh[inputs[t]] + hs[t - 1] @ Whh + bh)
        y = hs[t] @ Why + by
        e = np.exp(y - y.max())
        ps[t] = e / e.sum()
        loss += -np.log(ps[t][targets[t]])
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros(Whh.shape[0])
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        if minus_one:
            dy[targets[t]] -= 1.0
        grads["Why"] += np.outer(hs[t], dy)
        grads["by"] += dy
        dh = dy @ Why.T + (dh_next if bptt else 0.0)
        h_for_slope = hs[t - 1] if dtanh == "h_prev" else hs[t]
        slope = 1.0 - h_for_slope if dtanh == "not_squared" else 1.0 - h_for_slope ** 2
        da = slope * dh
        grads["bh"] += da
        grads["Wxh"][inputs[t]] += da
        grads["Whh"] += np.outer(hs[t] if whh_input == "h_t" else hs[t - 1], da)
        dh_next = da @ (Whh.T if transpose else Whh)
    if mean:
        loss, grads, dh_next = loss / len(inputs), {k: g / len(inputs) for k, g in grads.items()}, dh_next / len(inputs)
    if clip is not None:
        grads = {k: np.clip(g, -clip, clip) for k, g in grads.items()}
    return float(loss), grads, hs[len(inputs) - 1].copy(), dh_next


def known_gradients(params, inputs, targets, h_prev) -> dict[str, dict[str, np.ndarray]]:
    """{key: {slip in words: that slip's gradient of key}} on this input."""
    slips = {
        NO_BPTT: dict(bptt=False),
        NO_TRANSPOSE: dict(transpose=False),
        DTANH_H_PREV: dict(dtanh="h_prev"),
        DTANH_NOT_SQUARED: dict(dtanh="not_squared"),
        WHH_WITH_H_T: dict(whh_input="h_t"),
        NO_MINUS_ONE: dict(minus_one=False),
        MEAN_GRADIENT.format(T=len(inputs)): dict(mean=True),
        CLIPPED: dict(clip=5.0),
        ZERO_START: dict(use_h_prev=False),
    }
    right = backward_variant(params, inputs, targets, h_prev)[1]
    out: dict[str, dict[str, np.ndarray]] = {k: {} for k in KEYS}
    for words, kw in slips.items():
        grads = backward_variant(params, inputs, targets, h_prev, **kw)[1]
        for k in KEYS:  # a slip that leaves this tensor's gradient right is not a name for it
            if not np.allclose(grads[k], right[k], rtol=1e-6, atol=1e-10):
                out[k][words] = grads[k]
    return out


def replay(text, hidden_size, seq_length, lr, n_iter, init, *, sorted_vocab=True, shift=True, carry=True,
           clip=True, sqrt=True, smoothed=False):
    """(params, history) of the contract's train from the parameters `init`, with a slip switched on."""
    chars = sorted(set(text)) if sorted_vocab else list(dict.fromkeys(text))
    data = [chars.index(c) for c in text]
    params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in init.items()}
    mem = {k: np.zeros_like(v) for k, v in params.items()}
    history, p, h = [], 0, np.zeros(hidden_size)
    for n in range(n_iter):
        if n == 0 or p + seq_length + 1 >= len(data):
            p, h = 0, np.zeros(hidden_size)
        inputs = data[p: p + seq_length]
        targets = data[p + 1: p + seq_length + 1] if shift else inputs
        loss, grads, h_last = ref.loss_and_grads(params, inputs, targets, h)
        h = h_last if carry else np.zeros(hidden_size)
        if clip:
            ref.clip_grads(grads, 5.0)
        for k in params:
            mem[k] += grads[k] ** 2
            params[k] -= lr * grads[k] / (np.sqrt(mem[k] + 1e-8) if sqrt else mem[k] + 1e-8)
        history.append(0.999 * history[-1] + 0.001 * loss if smoothed and history else loss)
        p += seq_length
    return params, np.array(history)
