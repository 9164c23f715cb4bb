"""The checks of one LSTM step in `lstm_gru_numpy`: `lstm_step_forward` against the
reference for both gate functions and on the course's hard-sigmoid worked example, and
`lstm_step_backward` gradient-checked against central differences of the REFERENCE step,
f = sum(dh * h + dc * c), with the submission's own cache passed back unchanged.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.lstm_gru_numpy.problems import H, N, draw_lstm, lstm_context
from graders.assignments.lstm_gru_numpy.reference_slips import step_known_gradients
from graders.engine import expect
from graders.engine.arguments import as_argument, copy_params
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.engine.gradcheck import assert_gradient
from reference.numpy import lstm_gru_numpy as ref

WORKED_TOL = 5e-5  # the course rounds the worked example to 4 decimals


def _gate_fn(name):
    return {
        "sigmoid": ref.sigmoid,
        "hard_sigmoid": ref.hard_sigmoid,
        "logistic": ref.sigmoid,
        "torch_hardsigmoid": lambda z: np.clip(z + 3.0, 0.0, 6.0) / 6.0,
    }[name]


def lstm_step_variant(x, h_prev, c_prev, P, gate_fn, *, g_fn=np.tanh, h_uses_tanh=True):
    """The LSTM step with any gate function (for naming slips in feedback)."""
    a = {k: x @ P["Wx" + k] + h_prev @ P["Wh" + k] + P["b" + k] for k in "ifgo"}
    i, f, o = (gate_fn(a[k]) for k in "ifo")
    g = g_fn(a["g"])
    c = f * c_prev + i * g
    h = o * (np.tanh(c) if h_uses_tanh else c)
    return h, c


def _forward_variants(x, h_prev, c_prev, P, gate):
    gate_fn = _gate_fn(gate)
    out = {
        "the cell candidate g uses the gate function; the contract uses tanh for g": (
            lstm_step_variant(x, h_prev, c_prev, P, gate_fn, g_fn=gate_fn)),
        "h = o * c without the tanh: h = o * tanh(c)": (
            lstm_step_variant(x, h_prev, c_prev, P, gate_fn, h_uses_tanh=False)),
    }
    if gate == "hard_sigmoid":
        out["PyTorch's Hardsigmoid relu6(z + 3) / 6; the contract's hard sigmoid is Keras' "
            "max(0, min(1, 0.2 z + 0.5))"] = lstm_step_variant(x, h_prev, c_prev, P,
                                                               _gate_fn("torch_hardsigmoid"))
        out["the logistic sigmoid: with gate=\"hard_sigmoid\" the gates i, f, o use "
            "max(0, min(1, 0.2 z + 0.5))"] = lstm_step_variant(x, h_prev, c_prev, P, ref.sigmoid)
    else:
        out["the hard sigmoid: with gate=\"sigmoid\" the gates use the logistic function"] = (
            lstm_step_variant(x, h_prev, c_prev, P, ref.hard_sigmoid))
    return out


def _call_step_forward(ctx, x, h_prev, c_prev, P, gate):
    what = f"lstm_step_forward(x, h_prev, c_prev, params, gate={gate!r})"
    h, c, cache = expect.sequence(ctx.call("lstm_step_forward", x, h_prev, c_prev, copy_params(P), gate), what, 3)
    h = expect.array(h, f"{what} h", (x.shape[0], P["Whi"].shape[0]))
    c = expect.array(c, f"{what} c", h.shape)
    return h, c, cache


# ------------------------------------------------------------------ lstm_step_forward


def check_lstm_step_forward_values(ctx, gate):
    X, h_prev, c_prev, P = draw_lstm(ctx.rng, gate, 1)
    x = X[:, 0]
    h, c, _ = _call_step_forward(ctx, x, h_prev, c_prev, P, gate)
    h_ref, c_ref, _ = ref.lstm_step_forward(x, h_prev, c_prev, P, gate)
    variants = _forward_variants(x, h_prev, c_prev, P, gate)
    context = lstm_context(gate, x=x, h_prev=h_prev, c_prev=c_prev)
    assert_close(c, c_ref, f"lstm_step_forward(..., gate={gate!r}) c", context=context,
                 known={w: v[1] for w, v in variants.items()})
    assert_close(h, h_ref, f"lstm_step_forward(..., gate={gate!r}) h", context=context,
                 known={w: v[0] for w, v in variants.items()})


def _worked_example():
    from dlgrade.data import load_lstm_worked_example

    ex = load_lstm_worked_example()
    P = {}
    for k in "ifgo":  # the course acts on column vectors: transpose into the row-major contract
        P["Wx" + k] = np.asarray(ex["W_x" + k], dtype=np.float64).T
        P["Wh" + k] = np.asarray(ex["W_h" + k], dtype=np.float64).T
        P["b" + k] = np.asarray(ex["b_" + k], dtype=np.float64)
    xs = np.asarray(ex["x"], dtype=np.float64)
    W_yh, b_y = np.asarray(ex["W_yh"], dtype=np.float64), np.asarray(ex["b_y"], dtype=np.float64)
    expected = {k: np.asarray(v, dtype=np.float64) for k, v in ex["expected"].items()}
    return P, xs, W_yh, b_y, expected


def worked_example_numbers(gate_fn, P, xs, W_yh, b_y):
    """c, a, y at t = 1, 2 (rows) of the worked example with gate function gate_fn."""
    h, c = np.zeros((1, 2)), np.zeros((1, 2))
    cs, hs = [], []
    for x in xs:
        h, c = lstm_step_variant(x[None], h, c, P, gate_fn)
        cs.append(c[0])
        hs.append(h[0])
    a = np.array(hs)
    return {"c": np.array(cs), "a": a, "y": np.maximum(0.0, a @ W_yh.T + b_y)}


def check_lstm_step_forward_worked_example(ctx):
    P, xs, W_yh, b_y, expected = _worked_example()
    h, c = np.zeros((1, 2)), np.zeros((1, 2))
    cs, hs = [], []
    for t, x in enumerate(xs, 1):
        h, c, _ = _call_step_forward(ctx, x[None], h, c, P, "hard_sigmoid")
        cs.append(c[0])
        hs.append(h[0])
    got = {"c": np.array(cs), "a": np.array(hs)}
    got["y"] = np.maximum(0.0, got["a"] @ W_yh.T + b_y)  # y_t = relu(W_yh a_t + b_y), by the grader
    wrong = [k for k in "cay" if np.max(np.abs(got[k] - expected[k])) > WORKED_TOL]
    if not wrong:
        return None
    table = "\n".join(
        f"  t = {t}: {k} expected {fmt(expected[k][t - 1])}, yours {fmt(got[k][t - 1])}"
        for t in (1, 2) for k in "cay")
    slip = None
    for name, words in (
            ("logistic", "your numbers are what a standard (logistic) sigmoid gives: with gate=\"hard_sigmoid\" "
                         "the gates i, f, o must use max(0, min(1, 0.2 z + 0.5))"),
            ("torch_hardsigmoid", "your numbers are what PyTorch's hard sigmoid relu6(z + 3) / 6 gives; the "
                                  "course's hard sigmoid is max(0, min(1, 0.2 z + 0.5))")):
        other = worked_example_numbers(_gate_fn(name), P, xs, W_yh, b_y)
        if all(np.max(np.abs(got[k] - other[k])) <= WORKED_TOL for k in "cay"):
            slip = words
            break
    if slip is None:
        for words, kw in (("the cell candidate g uses the gate function instead of tanh", {"g_fn": ref.hard_sigmoid}),
                          ("h = o * c without the tanh (h = o * tanh(c))", {"h_uses_tanh": False})):
            h_, c_ = np.zeros((1, 2)), np.zeros((1, 2))
            cs_, hs_ = [], []
            for x in xs:
                h_, c_ = lstm_step_variant(x[None], h_, c_, P, ref.hard_sigmoid, **kw)
                cs_.append(c_[0])
                hs_.append(h_[0])
            if np.max(np.abs(np.array(cs_) - got["c"])) <= 1e-6 and np.max(np.abs(np.array(hs_) - got["a"])) <= 1e-6:
                slip = words
                break
    k = wrong[0]
    raise CheckFailed(
        f"The course's hard-sigmoid worked example gives different {', '.join(wrong)}.",
        expected=f"{k} at t = 1, 2: {fmt(expected[k])}", got=fmt(got[k]),
        where="two LSTM units, three inputs, a_0 = c_0 = 0, x_1 = [1, 0, -1], x_2 = [0, 1, 1]; "
              "y_t = relu(W_yh a_t + b_y) is computed by the grader from your a_t",
        diff=f"greatest difference {max(np.max(np.abs(got[q] - expected[q])) for q in wrong):.4g} "
             f"(the course rounds to 4 decimals; up to {WORKED_TOL:g} allowed)\n" + table,
        slip=slip,
        details="The course writes the matrices for column vectors (z = W x + U a + b); the grader "
                "passes their transposes, as the contract's row layout needs (z = x Wx + h Wh + b).")


# ------------------------------------------------------------------ lstm_step_backward


def _step_problem(ctx, gate):
    X, h_prev, c_prev, P = draw_lstm(ctx.rng, gate, 1)
    x = X[:, 0]
    dh, dc = ctx.rng.normal(size=(N, H)), ctx.rng.normal(size=(N, H))
    return x, h_prev, c_prev, P, dh, dc


def _call_step_backward(ctx, x, h_prev, c_prev, P, gate, dh, dc):
    _, _, cache = _call_step_forward(ctx, x, h_prev, c_prev, P, gate)
    what = "lstm_step_backward(dh, dc, cache)"
    out = expect.sequence(ctx.call("lstm_step_backward", dh, dc, as_argument(cache)), what, 4)
    dx = expect.array(out[0], f"{what} dx", x.shape)
    dh_prev = expect.array(out[1], f"{what} dh_prev", h_prev.shape)
    dc_prev = expect.array(out[2], f"{what} dc_prev", c_prev.shape)
    grads = expect.array_dict(out[3], f"{what} grads", {k: v.shape for k, v in P.items()})
    return {"x": dx, "h_prev": dh_prev, "c_prev": dc_prev, **grads}


def _step_loss(dh, dc, gate):
    def f(p):
        q = {k: v for k, v in p.items() if k not in ("x", "h_prev", "c_prev")}
        h, c, _ = ref.lstm_step_forward(p["x"], p["h_prev"], p["c_prev"], q, gate)
        return float(np.sum(dh * h) + np.sum(dc * c))
    return f


def check_lstm_step_backward(ctx, gate, keys):
    x, h_prev, c_prev, P, dh, dc = _step_problem(ctx, gate)
    got = _call_step_backward(ctx, x, h_prev, c_prev, P, gate, dh, dc)
    known = step_known_gradients(dh, dc, x, h_prev, c_prev, P, gate)
    point = {"x": x, "h_prev": h_prev, "c_prev": c_prev, **P}
    f = _step_loss(dh, dc, gate)
    context = (lstm_context(gate, x=x, h_prev=h_prev, c_prev=c_prev)
               + " The loss is sum(dh * h) + sum(dc * c) for random dh, dc of shape (N, H).")
    for key in keys:
        assert_gradient(f, point, key, got[key], f"lstm_step_backward (gate={gate!r})", rng=ctx.rng,
                        context=context, known=known.get(key))
