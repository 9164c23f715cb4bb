"""The checks of `normalize_patches` in `sparse_autoencoder`: values against the reference
(the ddof=1 reading of the contract is accepted with a note), the range [0.1, 0.9], the
removal of each patch's own mean, the linear map, and the input left unchanged.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.common import check_inputs_unchanged
from graders.engine.compare import assert_close, fmt
from graders.engine.properties import check_property, floats_array
from reference.numpy import sparse_autoencoder as ref


def _raw_patches(rng, n=60, d=16):
    """Patches with their own brightness and contrast, a few outliers beyond 3 sigma, and one
    flat patch (every value equal, as a patch of clear sky is), which maps to 0.5."""
    P = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=(n, 1)) + rng.normal(0, 10, size=(n, 1))
    P[rng.integers(1, n, 4), rng.integers(0, d, 4)] += np.array([12.0, -12.0, 15.0, -15.0])
    P[0] = rng.normal(0, 10)
    return P


def flat_patch_slip(P):
    """The diagnosis of NaNs that sit exactly on the flat patches of P (0 / 0), else None."""
    def slip(bad):
        flat = np.ptp(P, axis=1) == 0
        rows = np.any(bad.reshape(len(P), -1), axis=1) if bad.size == P.size else None
        if rows is None or not flat.any() or not rows.any() or np.any(rows & ~flat):
            return None
        return (f"0 / 0 on the flat patches (rows {list(np.flatnonzero(rows))[:5]}: every value equal, so centred "
                "they are all 0): one s per patch (each patch's own standard deviation, 0 for a flat patch) "
                "divides 0 by 0. The contract's s is ONE number, 3 * the standard deviation of all centred "
                "values; a flat patch then maps to 0.5.")
    return slip


def _normalize_variants(P):
    """What the common wrong versions of normalize_patches give on P."""
    C = P - P.mean(axis=1, keepdims=True)
    s = 3 * C.std()
    u = np.clip(C / s, -1, 1)
    G = P - P.mean()
    sg = 3 * G.std()
    s1 = C.std()
    s_row = 3 * C.std(axis=1, keepdims=True)
    s_row = np.where(s_row == 0, 1.0, s_row)
    return {
        "+1 instead of +0.1 in the linear map, (u + 1) * 0.4 + 1: the result lies in [1.0, 1.8], "
        "not [0.1, 0.9]": 0.4 * u + 1.4,
        "mapped to [0, 1] instead of [0.1, 0.9] (-s must go to 0.1 and +s to 0.9)": 0.5 + 0.5 * u,
        "s = 1 standard deviation instead of 3": 0.5 + 0.4 * np.clip(C / s1, -1, 1),
        "the mean of ALL patches is removed; the contract removes each patch's own mean "
        "(mean over axis=1)": 0.5 + 0.4 * np.clip(G / sg, -1, 1),
        "no mean removal": 0.5 + 0.4 * np.clip(P / (3 * P.std()), -1, 1),
        "one s per patch (std over axis=1); the contract uses one s for all values": (
            0.5 + 0.4 * np.clip(C / s_row, -1, 1)),
        "no clipping to [-s, s] before the linear map": 0.5 + 0.4 * C / s,
    }


def _call_normalize(ctx, P, what="normalize_patches(patches)"):
    return expect.array(ctx.call("normalize_patches", P), what, P.shape, nonfinite_slip=flat_patch_slip(P))


def _sample_std_version(P):
    """normalize_patches with s = 3 * the SAMPLE standard deviation (ddof=1)."""
    C = P - P.mean(axis=1, keepdims=True)
    return 0.5 + 0.4 * np.clip(C / (3 * C.std(ddof=1)), -1, 1)


SAMPLE_STD_NOTE = ("Your s uses the sample standard deviation (ddof=1, as MATLAB's std in Ng's UFLDL "
                   "exercise); NumPy's std (ddof=0) is meant, but the difference is immaterial and accepted.")


def _assert_normalized(got, P, context):
    """got ~ the reference on P, or ~ the ddof=1 reading of the contract (accepted with a note)."""
    expected = ref.normalize_patches(P)
    try:
        assert_close(got, expected, "normalize_patches(patches)", known=_normalize_variants(P), context=context)
    except CheckFailed:
        if np.allclose(got, _sample_std_version(P), rtol=1e-6, atol=1e-9):
            return SAMPLE_STD_NOTE
        raise
    return None


def check_normalize_values(ctx):
    P = _raw_patches(ctx.rng)
    got = _call_normalize(ctx, P)
    return _assert_normalized(got, P, f"Inputs: 60 patches of 16 values each with their own brightness and "
                                      f"contrast (first patch {fmt(P[0])}).")


def check_normalize_range(ctx):
    def prop(P):
        C = P - P.mean(axis=1, keepdims=True)
        if C.std() < 1e-6:  # every patch flat: the contract does not say what s = 0 gives
            return
        out = _call_normalize(ctx, P)
        lo, hi = float(out.min()), float(out.max())
        if lo < 0.1 - 1e-9 or hi > 0.9 + 1e-9:
            slip = None
            if lo >= 1.0 - 1e-9:
                slip = "the constant of the linear map: 0.4 * u + 0.5 (u in [-1, 1]), e.g. +1 instead of +0.1."
            elif lo >= -1e-9 and hi <= 1 + 1e-9:
                slip = "mapped to [0, 1] instead of [0.1, 0.9]."
            elif lo < 0.1 - 1e-9 and hi > 0.9 + 1e-9:
                slip = "the values are not clipped to [-s, s] before the linear map."
            raise CheckFailed("normalize_patches left the range [0.1, 0.9].",
                              expected="every value in [0.1, 0.9]", got=f"min {lo:.6g}, max {hi:.6g}",
                              slip=slip)
    check_property(prop, floats_array(st.tuples(st.integers(1, 6), st.integers(2, 9)), -10.0, 10.0))


def check_normalize_centring(ctx):
    def prop(P, shifts):
        C = P - P.mean(axis=1, keepdims=True)
        if C.std() < 1e-3:
            return
        shift = np.asarray(shifts[:P.shape[0]] + [0.0] * (P.shape[0] - len(shifts)))[:, None]
        a = _call_normalize(ctx, P)
        b = _call_normalize(ctx, P + shift, "normalize_patches(patches + c)")
        worst = float(np.max(np.abs(a - b)))
        if worst > 1e-8:
            raise CheckFailed(
                "Adding a constant c_n to every value of patch n changed the result: each patch's own "
                "mean (its brightness) must be removed first.",
                expected="normalize_patches(P + c[:, None]) == normalize_patches(P)",
                diff=f"greatest difference {worst:.4g}",
                slip="the mean is taken over all patches (P.mean()) or over axis=0, or not removed; "
                     "use P - P.mean(axis=1, keepdims=True).")
    check_property(prop, floats_array(st.tuples(st.integers(2, 6), st.integers(2, 9)), -10.0, 10.0),
                   st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=6))


def check_normalize_mapping(ctx):
    """-s -> 0.1, 0 -> 0.5, +s -> 0.9, linear in between, clipped outside."""
    rng = ctx.rng
    P = rng.normal(size=(40, 9)) * 2.0
    P[:, 4] = 0.0
    P[:, 5:] = -P[:, :4]  # symmetric patches: mean 0 exactly, so 0 stays 0 after centring
    P[0, 0], P[0, 5] = 40.0, -40.0  # far beyond 3 sigma: clipped to 0.9 and 0.1
    P = P + rng.normal(0, 5, size=(40, 1))  # each patch its own brightness
    got = _call_normalize(ctx, P)
    C = P - P.mean(axis=1, keepdims=True)
    s = 3 * C.std()
    anchors = (f"the patch means (centred value 0) gave {fmt(got[:4, 4])} (expected 0.5); "
               f"a value 40 above its patch mean (beyond +s = {s:.4g}) gave {got[0, 0]:.6g} (expected 0.9); "
               f"40 below gave {got[0, 5]:.6g} (expected 0.1)")
    inside = np.abs(C) < s
    if inside.sum() > 2:
        x, y = C[inside] / s, got[inside]
        A = np.stack([x, np.ones_like(x)], axis=1)
        (slope, intercept), *_ = np.linalg.lstsq(A, y, rcond=None)
        anchors += f"; inside [-s, s] your map is about {slope:.4g} * v / s + {intercept:.4g} (expected 0.4 * v / s + 0.5)"
    return _assert_normalized(got, P, "The linear map: a centred value v becomes 0.5 + 0.4 * clip(v / s, -1, 1), "
                                      "s = 3 * std of all centred values. Here " + anchors + ".")


def check_normalize_unchanged(ctx):
    check_inputs_unchanged(ctx, "normalize_patches", (_raw_patches(ctx.rng, 10, 9),))
