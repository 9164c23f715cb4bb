"""The checks of `lstm_gru_numpy`, one `check_<function>_<property>` per check.

Forward passes are compared with the reference, for both LSTM gate functions, and the
LSTM step is run on the course's hard-sigmoid worked example. Backward passes are
gradient-checked against central differences of the REFERENCE forward pass in the
grader's process: for a step, f = sum(dh * h + dc * c); for a sequence,
f = sum(dHs * Hs). The analytic gradients come from the submission's backward pass fed
with the submission's own cache, exactly as its forward pass returned it (a cache that
holds objects the wire cannot carry stays in the sandbox and is passed back by handle).

In hard-sigmoid mode the inputs are redrawn until no gate pre-activation lies within
1e-3 of the kinks at +-2.5 (and some lie on each side), so a finite difference never
straddles a kink.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.compare import assert_close, fmt
from graders.engine.gradcheck import assert_gradient
from graders.sandbox import wire
from reference.numpy import lstm_gru_numpy as ref

CONTRACT = ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
            "gru_step_forward", "gru_step_backward")
GATES = ("sigmoid", "hard_sigmoid")
LSTM_KEYS = tuple(p + k for p in ("Wx", "Wh", "b") for k in "ifgo")
GRU_KEYS = ("Wxr", "Wxz", "Wxn", "Whr", "Whz", "Whn", "bxr", "bxz", "bxn", "bhr", "bhz", "bhn")
KINK_GAP = 1e-3
N, D, H, T = 3, 4, 5, 5
WORKED_TOL = 5e-5  # the course rounds the worked example to 4 decimals


# ------------------------------------------------------------------ helpers


def as_argument(value):
    """A value that came back from the sandbox, ready to be sent back unchanged: every
    Handle (an object kept in the sandbox) inside it becomes a reference to that object."""
    if isinstance(value, wire.Handle):
        return wire.Ref(value)
    if type(value) is list:
        return [as_argument(v) for v in value]
    if type(value) is tuple:
        return tuple(as_argument(v) for v in value)
    if type(value) is dict:
        return {k: as_argument(v) for k, v in value.items()}
    return value


def _copy(params):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}


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
    h, c, cache = expect.sequence(ctx.call("lstm_step_forward", x, h_prev, c_prev, _copy(P), gate), what, 3)
    h = expect.array(h, f"{what} h", (x.shape[0], P["Whi"].shape[0]))
    c = expect.array(c, f"{what} c", h.shape)
    return h, c, cache


def _lstm_context(gate, **shapes):
    return ("Inputs: " + ", ".join(f"{k} of shape {v.shape}" for k, v in shapes.items())
            + f", gate={gate!r}; weights drawn from N(0, 1.2^2)"
            + ("; no gate pre-activation within 1e-3 of the kinks at +-2.5." if gate == "hard_sigmoid" else "."))


# ------------------------------------------------------------------ lstm_step_forward


def check_lstm_step_forward_values(ctx, gate):
    X, h_prev, c_prev, P = draw_lstm(ctx.rng, gate, 1)
    x = X[:, 0]
    h, c, _ = _call_step_forward(ctx, x, h_prev, c_prev, P, gate)
    h_ref, c_ref, _ = ref.lstm_step_forward(x, h_prev, c_prev, P, gate)
    variants = _forward_variants(x, h_prev, c_prev, P, gate)
    context = _lstm_context(gate, x=x, h_prev=h_prev, c_prev=c_prev)
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


def _step_backward_variant(dh, dc, x, h_prev, c_prev, P, gate, *, gate_slope=None, dc_prev_rule=None):
    """Reference step backward with a replaceable gate derivative or dc_prev rule (for slips)."""
    a = {k: x @ P["Wx" + k] + h_prev @ P["Wh" + k] + P["b" + k] for k in "ifgo"}
    i, f, o = (ref.gate_forward(a[k], gate) for k in "ifo")
    g = np.tanh(a["g"])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc**2)
    slope = gate_slope or (lambda z, s: ref.gate_backward(np.ones_like(z), z, s, gate))
    da = {"i": dct * g * slope(a["i"], i), "f": dct * c_prev * slope(a["f"], f),
          "o": dh * tc * slope(a["o"], o), "g": dct * i * (1 - g**2)}
    grads = {}
    dx, dhp = np.zeros_like(x), np.zeros_like(h_prev)
    for k in "ifgo":
        grads["Wx" + k] = x.T @ da[k]
        grads["Wh" + k] = h_prev.T @ da[k]
        grads["b" + k] = da[k].sum(axis=0)
        dx = dx + da[k] @ P["Wx" + k].T
        dhp = dhp + da[k] @ P["Wh" + k].T
    dcp = dct * f if dc_prev_rule is None else dc_prev_rule(dct=dct, f=f, dc=dc, dh=dh, o=o)
    return {"x": dx, "h_prev": dhp, "c_prev": dcp, **grads}


def _step_known(dh, dc, x, h_prev, c_prev, P, gate):
    """Known wrong gradients of one step, by input/parameter name."""
    variants = {}
    inside = lambda z: ((z > -2.5) & (z < 2.5)).astype(float)  # noqa: E731
    if gate == "hard_sigmoid":
        variants["the hard sigmoid's slope is 0.2 on (-2.5, 2.5), not 1"] = dict(gate_slope=lambda z, s: inside(z))
        variants["the hard sigmoid's slope is 0 outside (-2.5, 2.5): it is flat where it is clipped"] = dict(
            gate_slope=lambda z, s: np.full_like(z, 0.2))
        variants["the sigmoid's derivative s (1 - s) is used in hard-sigmoid mode (slope 0.2 inside "
                 "(-2.5, 2.5), 0 outside)"] = dict(gate_slope=lambda z, s: ref.sigmoid(z) * (1 - ref.sigmoid(z)))
    else:
        variants["the sigmoid's derivative without (1 - s): d sigmoid / dz = s (1 - s)"] = dict(
            gate_slope=lambda z, s: s)
    variants["dc_prev without the forget gate: dc_prev = (dc + dh * o * (1 - tanh(c)**2)) * f"] = dict(
        dc_prev_rule=lambda dct, f, **_: dct)
    variants["dc_prev = dc * f misses the path from dh through h = o * tanh(c)"] = dict(
        dc_prev_rule=lambda f, dc, **_: dc * f)
    variants["tanh'(c) is missing: dc gets dh * o * (1 - tanh(c)**2) from h = o * tanh(c)"] = dict(
        dc_prev_rule=lambda f, dc, dh, o, **_: (dc + dh * o) * f)
    out: dict[str, dict] = {}
    for words, kw in variants.items():
        for key, value in _step_backward_variant(dh, dc, x, h_prev, c_prev, P, gate, **kw).items():
            out.setdefault(key, {})[words] = value
    return out


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
    known = _step_known(dh, dc, x, h_prev, c_prev, P, gate)
    point = {"x": x, "h_prev": h_prev, "c_prev": c_prev, **P}
    f = _step_loss(dh, dc, gate)
    context = (_lstm_context(gate, x=x, h_prev=h_prev, c_prev=c_prev)
               + " The loss is sum(dh * h) + sum(dc * c) for random dh, dc of shape (N, H).")
    for key in keys:
        assert_gradient(f, point, key, got[key], f"lstm_step_backward (gate={gate!r})", rng=ctx.rng,
                        context=context, known=known.get(key))


# ------------------------------------------------------------------ lstm_forward / lstm_backward


def _call_forward(ctx, X, h0, P, gate):
    what = f"lstm_forward(X, h0, params, gate={gate!r})"
    Hs, cache = expect.sequence(ctx.call("lstm_forward", X, h0, _copy(P), gate), what, 2)
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
                 context=_lstm_context(gate, X=X, h0=h0) + " c0 = 0. Hs[:, t] is h_{t+1}.")


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
    context = (_lstm_context(gate, X=X, h0=h0) + f" T = {T}; the loss is sum(dHs * Hs) with "
               + ("dHs zero except at the last time step, and forget gates biased open (+2), so the "
                  "gradient reaches early steps mostly along the cell state." if last_only
                  else "random dHs on every time step."))
    for key in ("X", "h0") + LSTM_KEYS:
        assert_gradient(f, point, key, got[key], f"lstm_backward (gate={gate!r})", rng=ctx.rng,
                        context=context, known=known.get(key))


# ------------------------------------------------------------------ GRU


def _gru_variants(x, h_prev, P):
    def step(mode):
        r = ref.sigmoid(x @ P["Wxr"] + P["bxr"] + h_prev @ P["Whr"] + P["bhr"])
        z = ref.sigmoid(x @ P["Wxz"] + P["bxz"] + h_prev @ P["Whz"] + P["bhz"])
        hn = h_prev @ P["Whn"] + P["bhn"]
        if mode == "reset_before":
            pre = x @ P["Wxn"] + P["bxn"] + (r * h_prev) @ P["Whn"] + P["bhn"]
        elif mode == "bhn_outside":
            pre = x @ P["Wxn"] + P["bxn"] + r * (h_prev @ P["Whn"]) + P["bhn"]
        else:
            pre = x @ P["Wxn"] + P["bxn"] + r * hn
        n = np.tanh(pre)
        if mode == "swap":
            return z * n + (1 - z) * h_prev
        return (1 - z) * n + z * h_prev
    return {
        "z and 1 - z swapped: PyTorch's convention is h = (1 - z) * n + z * h_prev": step("swap"),
        "the reset gate multiplies h_prev before the matmul, (r * h_prev) Whn (the original paper's "
        "form); PyTorch's convention is r * (h_prev Whn + bhn)": step("reset_before"),
        "bhn is added outside the reset; PyTorch's convention is r * (h_prev Whn + bhn)": step("bhn_outside"),
    }


def check_gru_step_forward_values(ctx):
    P = gru_params(ctx.rng, D, H)
    x, h_prev = ctx.rng.normal(size=(N, D)), ctx.rng.normal(size=(N, H))
    what = "gru_step_forward(x, h_prev, params)"
    h, _ = expect.sequence(ctx.call("gru_step_forward", x, h_prev, _copy(P)), what, 2)
    h = expect.array(h, f"{what} h", (N, H))
    h_ref, _ = ref.gru_step_forward(x, h_prev, P)
    assert_close(h, h_ref, f"{what} h", known=_gru_variants(x, h_prev, P),
                 context=f"Inputs: x of shape {x.shape}, h_prev of shape {h_prev.shape}, weights from N(0, 0.8^2).")


def _gru_backward_variant(dh, x, h_prev, P, *, dn_uses_z=False, dz_flipped=False, no_direct=False,
                          no_z_path=False, bhn_without_reset=False):
    h, (x, h_prev, r, z, hn, n, _) = ref.gru_step_forward(x, h_prev, P)
    dn = dh * (z if dn_uses_z else 1 - z)
    dz = dh * ((n - h_prev) if dz_flipped else (h_prev - n))
    da_n = dn * (1 - n**2)
    dhn = da_n * r
    da_r = da_n * hn * r * (1 - r)
    da_z = dz * z * (1 - z)
    grads = {"Wxn": x.T @ da_n, "bxn": da_n.sum(0), "Whn": h_prev.T @ dhn,
             "bhn": (da_n if bhn_without_reset else dhn).sum(0),
             "Wxr": x.T @ da_r, "bxr": da_r.sum(0), "Whr": h_prev.T @ da_r, "bhr": da_r.sum(0),
             "Wxz": x.T @ da_z, "bxz": da_z.sum(0), "Whz": h_prev.T @ da_z, "bhz": da_z.sum(0)}
    dx = da_n @ P["Wxn"].T + da_r @ P["Wxr"].T + da_z @ P["Wxz"].T
    dhp = (0 if no_direct else dh * z) + dhn @ P["Whn"].T + da_r @ P["Whr"].T
    if not no_z_path:
        dhp = dhp + da_z @ P["Whz"].T
    return {"x": dx, "h_prev": dhp, **grads}


def _gru_known(dh, x, h_prev, P):
    out: dict[str, dict] = {}
    for words, kw in (
            ("dn = dh * z; since h = (1 - z) * n + z * h_prev, dn = dh * (1 - z)", {"dn_uses_z": True}),
            ("the sign of dz is flipped: dh/dz = h_prev - n", {"dz_flipped": True}),
            ("the direct path dh * z from h = ... + z * h_prev is missing in dh_prev", {"no_direct": True}),
            ("the path through the update gate z (da_z Whz^T) is missing in dh_prev", {"no_z_path": True}),
            ("bhn sits inside the reset, n = tanh(... + r * (h_prev Whn + bhn)): its gradient is "
             "sum(da_n * r)", {"bhn_without_reset": True})):
        for key, value in _gru_backward_variant(dh, x, h_prev, P, **kw).items():
            out.setdefault(key, {})[words] = value
    return out


def check_gru_step_backward(ctx, keys):
    P = gru_params(ctx.rng, D, H)
    x, h_prev, dh = ctx.rng.normal(size=(N, D)), ctx.rng.normal(size=(N, H)), ctx.rng.normal(size=(N, H))
    h, cache = expect.sequence(ctx.call("gru_step_forward", x, h_prev, _copy(P)), "gru_step_forward(...)", 2)
    what = "gru_step_backward(dh, cache)"
    out = expect.sequence(ctx.call("gru_step_backward", dh, as_argument(cache)), what, 3)
    got = {"x": expect.array(out[0], f"{what} dx", x.shape),
           "h_prev": expect.array(out[1], f"{what} dh_prev", h_prev.shape),
           **expect.array_dict(out[2], f"{what} grads", {k: v.shape for k, v in P.items()})}
    known = _gru_known(dh, x, h_prev, P)

    def f(p):
        q = {k: v for k, v in p.items() if k not in ("x", "h_prev")}
        return float(np.sum(dh * ref.gru_step_forward(p["x"], p["h_prev"], q)[0]))

    point = {"x": x, "h_prev": h_prev, **P}
    context = (f"Inputs: x of shape {x.shape}, h_prev of shape {h_prev.shape}, weights from N(0, 0.8^2); "
               "the loss is sum(dh * h) for a random dh.")
    for key in keys:
        assert_gradient(f, point, key, got[key], "gru_step_backward", rng=ctx.rng, context=context,
                        known=known.get(key))


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of lstm_gru_numpy, in the order of the contract."""
    step = ("lstm_step_forward",)
    for gate in GATES:
        yield Check(f"lstm_step_forward: h and c (gate={gate!r})", partial(check_lstm_step_forward_values, gate=gate),
                    needs=step)
    yield Check("lstm_step_forward: the course's hard-sigmoid worked example (c, a, y at t = 1, 2)",
                check_lstm_step_forward_worked_example, points=2, needs=step)
    both = ("lstm_step_forward", "lstm_step_backward")
    for gate in GATES:
        yield Check(f"lstm_step_backward: gradient check of dx and dh_prev (gate={gate!r})",
                    partial(check_lstm_step_backward, gate=gate, keys=("x", "h_prev")), points=1.5,
                    kind=Kind.GRADIENT, needs=both)
        yield Check(f"lstm_step_backward: gradient check of dc_prev, the cell-state path (gate={gate!r})",
                    partial(check_lstm_step_backward, gate=gate, keys=("c_prev",)),
                    kind=Kind.GRADIENT, needs=both)
        yield Check(f"lstm_step_backward: gradient check of the weights and biases (gate={gate!r})",
                    partial(check_lstm_step_backward, gate=gate, keys=LSTM_KEYS), points=2,
                    kind=Kind.GRADIENT, needs=both)
    for gate in GATES:
        yield Check(f"lstm_forward: Hs over {T} time steps (gate={gate!r})",
                    partial(check_lstm_forward_values, gate=gate), needs=("lstm_forward",))
    seq = ("lstm_forward", "lstm_backward")
    for gate in GATES:
        yield Check(f"lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate={gate!r})",
                    partial(check_lstm_backward, gate=gate, last_only=False), points=2,
                    kind=Kind.GRADIENT, needs=seq)
        yield Check(f"lstm_backward: the cell-state path across time, only the last dH nonzero (gate={gate!r})",
                    partial(check_lstm_backward, gate=gate, last_only=True), points=1.5,
                    kind=Kind.GRADIENT, needs=seq)
    yield Check("gru_step_forward: h in PyTorch's convention", check_gru_step_forward_values, points=1.5,
                needs=("gru_step_forward",))
    gru = ("gru_step_forward", "gru_step_backward")
    yield Check("gru_step_backward: gradient check of dx and dh_prev",
                partial(check_gru_step_backward, keys=("x", "h_prev")), points=1.5, kind=Kind.GRADIENT, needs=gru)
    yield Check("gru_step_backward: gradient check of the weights and biases",
                partial(check_gru_step_backward, keys=GRU_KEYS), points=2, kind=Kind.GRADIENT, needs=gru)
