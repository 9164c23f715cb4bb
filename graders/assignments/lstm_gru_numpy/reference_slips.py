"""Known wrong gradients of lstm_step_backward, computed from a copy of the right one.

The checks name a slip by matching a submission's gradient with these. The copy is solution
code, so a student pack records this module's answers, as it records the reference's,
rather than carrying it (graders.tooling.student_pack.sources: `reference_*` modules).
"""

from __future__ import annotations

import numpy as np

from reference.numpy import lstm_gru_numpy as ref


def step_backward_variant(dh, dc, x, h_prev, c_prev, P, gate, *, gate_slope=None, dc_prev_rule=None):
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


def step_known_gradients(dh, dc, x, h_prev, c_prev, P, gate):
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
        for key, value in step_backward_variant(dh, dc, x, h_prev, c_prev, P, gate, **kw).items():
            out.setdefault(key, {})[words] = value
    return out
