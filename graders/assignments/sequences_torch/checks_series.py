"""The checks of the series functions: `difference`, `inverse_difference`, `fit_scaler`, `scale`,
`invert_scale`, `make_windows`.

They take and return plain arrays: they are called directly and compared with the reference
in the grader's process, with the common slips named (a scaler fitted on the test year too, a
scaler re-fitted on its input, an inverse difference without the running sum, a target that
is the window's last value).
"""

from __future__ import annotations

import numpy as np

from graders.assignments.sequences_torch.thresholds import SHAMPOO_SETTINGS
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.common import check_inputs_unchanged, render_inputs
from graders.engine.compare import assert_close, fmt
from reference.torch import sequences_torch as ref

N_TEST = SHAMPOO_SETTINGS["n_test"]


# ------------------------------------------------------------------ difference / inverse_difference


def _series(rng, n=10):
    return np.round(rng.uniform(100.0, 400.0, size=n), 1)


def check_difference_values(ctx):
    s = _series(ctx.rng, 10)
    for interval in (1, 3):
        expected = ref.difference(s, interval)
        what = f"difference(series, {interval})"
        got = ctx.call("difference", s, interval)
        if isinstance(got, np.ndarray) and got.shape != expected.shape and got.shape == (len(s) - 1,):
            raise CheckFailed(f"{what} has shape {got.shape}; expected {expected.shape}.",
                              slip="the interval is ignored: d[t] = series[t + interval] - series[t].",
                              details=render_inputs(series=s))
        if isinstance(got, np.ndarray) and got.shape == (len(s),):
            raise CheckFailed(f"{what} has shape {got.shape}; expected {expected.shape} (n - interval).",
                              slip="a value was padded in (np.diff with prepend, a leading 0 or NaN): the "
                                   "differenced series is `interval` values shorter.",
                              details=render_inputs(series=s))
        got = expect.array(got, what, expected.shape)
        assert_close(got, expected, what, known={
            "series[t] - series[t + interval]: the sign is reversed": -expected,
            "(series[t + interval] - series[t]) / series[t]: relative changes, not differences":
                expected / s[:-interval]}, context=render_inputs(series=s))


def check_inverse_difference_one_step(ctx):
    last, d = 266.0, -120.1
    what = f"inverse_difference({last}, {d})"
    got = expect.scalar(ctx.call("inverse_difference", last, d), what)
    expected = last + d
    if abs(got - expected) > 1e-9 * max(1.0, abs(expected)):
        slip = {round(last - d, 6): "the difference is subtracted: the next value is last + difference",
                round(d, 6): "the last value is not added back: the next value is last + difference"}.get(
                    round(got, 6))
        raise CheckFailed(f"{what} is {got:.8g}; one forecast step is the last value plus the difference.",
                          expected=f"{expected:.8g}", got=f"{got:.8g}", slip=slip)


def check_inverse_difference_round_trip(ctx):
    s = _series(ctx.rng, 9)
    d = ref.difference(s)
    what = "inverse_difference(s[0], difference(s))"
    got = expect.array(ctx.call("inverse_difference", float(s[0]), d), what, (len(s) - 1,))
    assert_close(got, s[1:], what, known={
        "each difference is added to the first value (s[0] + d[k]) instead of the value rebuilt just "
        "before it: a running sum, out = s[0] + cumsum(d)": s[0] + d,
        "the differences are subtracted (s[0] - cumsum(d))": s[0] - np.cumsum(d),
        "each difference is added to the original series' value (s[k] + d[k]): the rebuilt values must "
        "come from the previous REBUILT value, since the future series is unknown": s[:-1] + d,
    }, context=render_inputs(s=s, d=d) + " (difference(s) computed by the reference; the result must "
                                        "rebuild s[1:])")


# ------------------------------------------------------------------ fit_scaler / scale / invert_scale


def _call_scaler(ctx, train, what):
    lo, hi = expect.sequence(ctx.call("fit_scaler", train), what, 2)
    return expect.scalar(lo, f"{what}[0] (lo)"), expect.scalar(hi, f"{what}[1] (hi)")


def _scaler_slip(got, train):
    lo, hi = got
    named = {
        (float(train.mean()), float(train.std())): "the mean and the standard deviation: this scaler is min-max, "
                                                   "(lo, hi) = (min(train), max(train))",
        (float(train.max()), float(train.min())): "(max, min): the order is (lo, hi) = (min, max)",
        (0.0, float(train.max() - train.min())): "the range, not the minimum and the maximum",
    }
    for (a, b), words in named.items():
        if abs(lo - a) <= 1e-9 * max(1, abs(a)) and abs(hi - b) <= 1e-9 * max(1, abs(b)):
            return words
    return None


def check_fit_scaler_values(ctx):
    train = np.round(ctx.rng.normal(0.0, 40.0, size=15), 2)
    what = "fit_scaler(train)"
    lo, hi = _call_scaler(ctx, train, what)
    e_lo, e_hi = ref.fit_scaler(train)
    if abs(lo - e_lo) > 1e-12 * max(1, abs(e_lo)) or abs(hi - e_hi) > 1e-12 * max(1, abs(e_hi)):
        raise CheckFailed(f"{what} is ({lo:.8g}, {hi:.8g}); expected (min(train), max(train)) = "
                          f"({e_lo:.8g}, {e_hi:.8g}).", expected=f"({e_lo:.8g}, {e_hi:.8g})",
                          got=f"({lo:.8g}, {hi:.8g})", slip=_scaler_slip((lo, hi), train),
                          details=render_inputs(train=train))


def check_fit_scaler_train_only(ctx):
    from dlgrade.data import load_shampoo

    series = load_shampoo()
    d = ref.difference(series)
    train = d[:len(d) - N_TEST]
    what = f"fit_scaler(the {len(train)} training differences of the shampoo series)"
    lo, hi = _call_scaler(ctx, train.copy(), what)
    e_lo, e_hi = ref.fit_scaler(train)
    if abs(lo - e_lo) <= 1e-9 * max(1, abs(e_lo)) and abs(hi - e_hi) <= 1e-9 * max(1, abs(e_hi)):
        return None
    leaks = {"the differences of all 36 months": (d.min(), d.max()),
             "the whole sales series": (series.min(), series.max()),
             "the sales of the training months": (series[:len(series) - N_TEST].min(),
                                                  series[:len(series) - N_TEST].max())}
    slip = _scaler_slip((lo, hi), train)
    for words, (a, b) in leaks.items():
        if abs(lo - a) <= 1e-6 * max(1, abs(a)) and abs(hi - b) <= 1e-6 * max(1, abs(b)):
            slip = (f"the scaler is fitted on {words}, not on the values it is given: "
                    + ("this leaks the test year into the model's inputs (its largest and smallest changes "
                       "set the scale). Fit on the training split only: (min(train), max(train))."
                       if "36" in words or "whole" in words else "fit on the values passed in."))
    raise CheckFailed(
        f"{what} is ({lo:.8g}, {hi:.8g}); expected the minimum and the maximum of those training values, "
        f"({e_lo:.8g}, {e_hi:.8g}).",
        expected=f"({e_lo:.8g}, {e_hi:.8g})", got=f"({lo:.8g}, {hi:.8g})", slip=slip,
        details=f"The shampoo series has {len(series)} months; the last {N_TEST} are the test year, so the "
                f"first {len(train)} differences train. The differences of all months span "
                f"({d.min():.6g}, {d.max():.6g}).")


LO, HI = -120.0, 80.0


def _scale_slips(x, lo, hi):
    return {
        "a map onto [0, 1] ((x - lo) / (hi - lo)): the contract maps [lo, hi] onto [-1, 1]": (x - lo) / (hi - lo),
        "the scaler is re-fitted on the input x (its own min and max): use the (lo, hi) given, fitted on "
        "the training split; re-fitting on test values leaks them": (
            2 * (x - x.min()) / (x.max() - x.min()) - 1 if x.max() > x.min() else np.full_like(x, np.nan)),
        "(x - lo) / (hi - lo) - 1: the factor 2 is missing": (x - lo) / (hi - lo) - 1,
    }


def check_scale_values(ctx):
    x = np.round(ctx.rng.uniform(LO - 30, HI + 30, size=(3, 4)), 2)
    x[0, :2] = (LO, HI)  # lo -> -1, hi -> +1
    what = f"scale(x, {LO}, {HI})"
    got = expect.array(ctx.call("scale", x, LO, HI), what, x.shape)
    assert_close(got, ref.scale(x, LO, HI), what, known=_scale_slips(x, LO, HI),
                 context=render_inputs(x=x) + f"; lo = {LO}, hi = {HI}")


def check_scale_not_refitted(ctx):
    """Test values inside a part of [lo, hi]: a scale that re-fits on x maps them onto [-1, 1]."""
    x = np.round(ctx.rng.uniform(LO + 40, HI + 60, size=6), 2)
    what = f"scale(x_test, {LO}, {HI})"
    got = expect.array(ctx.call("scale", x, LO, HI), what, x.shape, finite=False)
    expected = ref.scale(x, LO, HI)
    slips = _scale_slips(x, LO, HI)
    refit = next(k for k in slips if "re-fitted" in k)
    if np.allclose(got, slips[refit], rtol=1e-6, atol=1e-9):
        raise CheckFailed(f"{what} maps x_test's own minimum to -1 and maximum to +1: it ignores (lo, hi).",
                          expected=fmt(expected), got=fmt(got), slip=refit,
                          details=render_inputs(x_test=x) + f"; lo = {LO}, hi = {HI} (fitted on other data)")
    got = expect.array(got, what, x.shape)
    assert_close(got, expected, what, known=slips, context=render_inputs(x_test=x) + f"; lo = {LO}, hi = {HI}")


def check_scale_input_unchanged(ctx):
    x = np.round(ctx.rng.uniform(LO, HI, size=8), 2)
    check_inputs_unchanged(ctx, "scale", (x, LO, HI))


def check_invert_scale_values(ctx):
    y = np.array([-1.5, -1.0, -0.25, 0.0, 0.6, 1.0, 1.3])
    what = f"invert_scale(y, {LO}, {HI})"
    got = expect.array(ctx.call("invert_scale", y, LO, HI), what, y.shape)
    x = ref.invert_scale(y, LO, HI)
    assert_close(got, x, what, known={
        "the inverse of a [0, 1] scaler (lo + y (hi - lo)): the inverse of the contract's scale is "
        "lo + (y + 1) (hi - lo) / 2": LO + y * (HI - LO),
        "scale applied again instead of its inverse": ref.scale(y, LO, HI),
        "the factor 1/2 is missing: lo + (y + 1) (hi - lo)": LO + (y + 1) * (HI - LO),
    }, context=render_inputs(y=y) + f"; lo = {LO}, hi = {HI}; invert_scale(scale(x)) must give x back, "
                                    "so -1 -> lo and +1 -> hi")


# ------------------------------------------------------------------ make_windows


def _windows_call(ctx, s, window):
    return expect.sequence(ctx.call("make_windows", s, window), f"make_windows(series, {window})", 2)


def check_make_windows_shapes(ctx):
    s = np.arange(11, dtype=np.float64) * 10.0 + 100.0
    for window in (3, 1):
        n = len(s) - window
        what = f"make_windows(series of length {len(s)}, {window})"
        X, y = _windows_call(ctx, s, window)
        for value, name, shape in ((X, "X", (n, window, 1)), (y, "y", (n,))):
            if isinstance(value, np.ndarray) and value.shape != shape:
                slip = None
                if name == "X" and value.shape == (n, window):
                    slip = "the feature axis is missing: X must be (N, window, 1), ready for a recurrent layer " \
                           "(add it with X[:, :, None] or reshape)."
                elif value.shape[:1] == (n - 1,):
                    slip = f"one window short: there are n - window = {n} windows (the last one predicts " \
                           "the last value)."
                elif value.shape[:1] == (n + 1,):
                    slip = f"one window too many: the last window has no target; there are n - window = {n}."
                elif name == "X" and value.shape == (n, 1, window):
                    slip = "the time and feature axes are swapped: X is (N, window, 1), batch first."
                raise CheckFailed(f"{what}: {name} has shape {value.shape}; expected {shape}.",
                                  expected=str(shape), got=str(value.shape), slip=slip)
        expect.array(X, f"{what}[0] (X)", (n, window, 1))
        expect.array(y, f"{what}[1] (y)", (n,))


def check_make_windows_alignment(ctx):
    s = np.round(ctx.rng.uniform(-50.0, 50.0, size=9), 2)
    window = 3
    X_e, y_e = ref.make_windows(s, window)
    X, y = _windows_call(ctx, s, window)
    X = expect.array(X, "make_windows(series, 3)[0] (X)", X_e.shape)
    y = expect.array(y, "make_windows(series, 3)[1] (y)", y_e.shape)
    context = render_inputs(series=s) + "; window = 3: X[i, :, 0] = series[i:i + 3], y[i] = series[i + 3]"
    n = len(s) - window
    assert_close(X, X_e, "make_windows(series, 3)[0] (X)", known={
        "each window is reversed (most recent value first): X[i, :, 0] = series[i:i + window] in time order":
            X_e[:, ::-1],
        "the windows start one value late (X[i, :, 0] = series[i + 1:i + 1 + window])":
            np.stack([s[i + 1:i + 1 + window] for i in range(n)])[:, :, None],
    }, context=context)
    assert_close(y, y_e, "make_windows(series, 3)[1] (y)", known={
        "y[i] = series[i + window - 1], the window's LAST value: the target is the value that FOLLOWS the "
        "window, series[i + window]": s[window - 1:window - 1 + n],
        "y[i] = series[i], the window's first value": s[:n],
    }, context=context)
