"""The checks of the GRU step in `lstm_gru_numpy` (PyTorch's convention): `gru_step_forward`
against the reference, and `gru_step_backward` gradient-checked against central
differences of the REFERENCE step, f = sum(dh * h), with the submission's own cache
passed back unchanged.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.lstm_gru_numpy.problems import D, H, N, gru_params
from graders.engine import expect
from graders.engine.arguments import as_argument, copy_params
from graders.engine.compare import assert_close
from graders.engine.gradcheck import assert_gradient
from reference.numpy import lstm_gru_numpy as ref


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
    h, _ = expect.sequence(ctx.call("gru_step_forward", x, h_prev, copy_params(P)), what, 2)
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
    h, cache = expect.sequence(ctx.call("gru_step_forward", x, h_prev, copy_params(P)), "gru_step_forward(...)", 2)
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
