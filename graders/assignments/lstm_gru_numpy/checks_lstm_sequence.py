"""The checks of a whole LSTM sequence in `lstm_gru_numpy`: `lstm_forward` against the
reference, and `lstm_backward` (backpropagation through time) gradient-checked against
central differences of the REFERENCE forward pass, f = sum(dHs * Hs), with the
submission's own cache passed back unchanged.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.lstm_gru_numpy.problems import H, LSTM_KEYS, N, T, draw_lstm, lstm_context
from graders.engine import expect
from graders.engine.arguments import as_argument, copy_params
from graders.engine.compare import assert_close
from graders.engine.gradcheck import assert_gradient
from reference.numpy import lstm_gru_numpy as ref


def _call_forward(ctx, X, h0, P, gate):
    what = f"lstm_forward(X, h0, params, gate={gate!r})"
    Hs, cache = expect.sequence(ctx.call("lstm_forward", X, h0, copy_params(P), gate), what, 2)
    Hs = expect.array(Hs, f"{what} Hs", (X.shape[0], X.shape[1], h0.shape[1]))
    return Hs, cache


def check_lstm_forward_values(ctx, gate):
    X, h0, _, P = draw_lstm(ctx.rng, gate, T, random_c0=False)
    Hs, _ = _call_forward(ctx, X, h0, P, gate)
    expected, _ = ref.lstm_forward(X, h0, P, gate)
    known = {}
    # c0 = h0 instead of zeros; every step restarted from h0
    h, c, hs = h0, h0.copy(), []
    for t in range(T):
        h, c, _ = ref.lstm_step_forward(X[:, t], h, c, P, gate)
        hs.append(h)
    known["c0 = h0; the contract starts the cell state at zero"] = np.stack(hs, axis=1)
    c, hs = np.zeros_like(h0), []
    for t in range(T):
        h, c, _ = ref.lstm_step_forward(X[:, t], h0, c, P, gate)
        hs.append(h)
    known["every step starts from h0: feed each step's h into the next"] = np.stack(hs, axis=1)
    c, hs = np.zeros_like(h0), []
    h = h0
    for t in range(T):
        h, _, _ = ref.lstm_step_forward(X[:, t], h, np.zeros_like(h0), P, gate)
        hs.append(h)
    known["the cell state is reset to zero at every step: feed each step's c into the next"] = np.stack(hs, axis=1)
    assert_close(Hs, expected, f"lstm_forward(X, h0, params, gate={gate!r}) Hs", known=known,
                 context=lstm_context(gate, X=X, h0=h0) + " c0 = 0. Hs[:, t] is h_{t+1}.")


def _bptt_variant(dHs, X, h0, P, gate, *, cell_path=True, hidden_path=True, overwrite=False):
    """Reference BPTT with a path across time removed (for naming slips)."""
    _, caches = ref.lstm_forward(X, h0, P, gate)
    dX = np.zeros_like(X)
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(h0)
    grads = None
    for t in reversed(range(X.shape[1])):
        dh = dHs[:, t] + (dh_next if hidden_path else 0.0)
        dx, dh_next, dc_next, g = ref.lstm_step_backward(dh, dc_next if cell_path else np.zeros_like(h0), caches[t])
        dX[:, t] = dx
        grads = g if grads is None or overwrite else {k: grads[k] + g[k] for k in grads}
    return {"X": dX, "h0": dh_next, **grads}


def _bptt_known(dHs, X, h0, P, gate):
    out: dict[str, dict] = {}
    for words, kw in (
            ("no cell-state path across time: pass dc_prev of step t as dc into step t - 1", {"cell_path": False}),
            ("no hidden-state path across time: add dh_prev of step t to dHs[:, t - 1]", {"hidden_path": False}),
            ("the parameter gradients are overwritten at each step; they must be SUMMED over time "
             "(the weights are shared)", {"overwrite": True})):
        for key, value in _bptt_variant(dHs, X, h0, P, gate, **kw).items():
            out.setdefault(key, {})[words] = value
    return out


def check_lstm_backward(ctx, gate, last_only):
    X, h0, _, P = draw_lstm(ctx.rng, gate, T, forget_bias=2.0 if last_only else 0.0, random_c0=False)
    dHs = ctx.rng.normal(size=(N, T, H))
    if last_only:
        dHs[:, :-1] = 0.0  # only the last hidden state matters: earlier steps learn through h AND c
    _, cache = _call_forward(ctx, X, h0, P, gate)
    what = "lstm_backward(dHs, cache)"
    out = expect.sequence(ctx.call("lstm_backward", dHs, as_argument(cache)), what, 3)
    got = {"X": expect.array(out[0], f"{what} dX", X.shape), "h0": expect.array(out[1], f"{what} dh0", h0.shape),
           **expect.array_dict(out[2], f"{what} grads", {k: v.shape for k, v in P.items()})}
    known = _bptt_known(dHs, X, h0, P, gate)

    def f(p):
        q = {k: v for k, v in p.items() if k not in ("X", "h0")}
        Hs, _ = ref.lstm_forward(p["X"], p["h0"], q, gate)
        return float(np.sum(dHs * Hs))

    point = {"X": X, "h0": h0, **P}
    context = (lstm_context(gate, X=X, h0=h0) + f" T = {T}; the loss is sum(dHs * Hs) with "
               + ("dHs zero except at the last time step, and forget gates biased open (+2), so the "
                  "gradient reaches early steps mostly along the cell state." if last_only
                  else "random dHs on every time step."))
    for key in ("X", "h0") + LSTM_KEYS:
        assert_gradient(f, point, key, got[key], f"lstm_backward (gate={gate!r})", rng=ctx.rng,
                        context=context, known=known.get(key))
