"""The checks of `sequences_torch`, one `check_<function>_<property>` per check.

- `CharLSTM`: shapes, the state carried between calls and causality are probed on
  small untrained models in the sandbox (`tasks.task_char_lstm_shapes`,
  `tasks.task_char_lstm_probe`); the trained checks train the submission's model once
  per grade (`tasks.task_char_lstm_train`, shared by the two checks) and compare the
  validation cross-entropy, read one character per call with the state carried AND in
  whole windows, and the fraction of real words in a sample drawn at temperature 0.8,
  with the calibrated bounds of thresholds.py;
- the series functions (`difference`, `inverse_difference`, `fit_scaler`, `scale`,
  `invert_scale`, `make_windows`) take and return plain arrays: they are called directly
  and compared with the reference in the grader's process, with the common slips named
  (a scaler fitted on the test year too, a scaler re-fitted on its input, an inverse
  difference without the running sum, a target that is the window's last value);
- `Forecaster`: output shape, cell type (parameter counts) and reading the last step
  are probed untrained (`tasks.task_forecaster_probe`); the walk-forward test RMSE of each
  cell type is compared with its calibrated bound (`tasks.task_shampoo_forecast`, with
  standard series functions so that only the Forecaster is judged).
"""

from __future__ import annotations

import functools
import weakref
from functools import partial

import numpy as np

from graders.assignments.sequences_torch.thresholds import (
    CELLS,
    CHAR_SETTINGS,
    CHAR_SETTINGS_TASK,
    CHECK_CHAR,
    CHECK_CHAR_STEPWISE,
    CHECK_FORECAST,
    CHECK_SAMPLE,
    PERSISTENCE_RMSE,
    SHAMPOO_SETTINGS,
    THRESHOLDS,
    char_text,
    sample_word_fraction,
    sample_words,
    training_words,
)
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.common import check_inputs_unchanged, render_inputs
from graders.engine.compare import assert_close, fmt
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError
from reference.torch import sequences_torch as ref

CONTRACT = ("CharLSTM", "difference", "inverse_difference", "fit_scaler", "scale", "invert_scale",
            "make_windows", "Forecaster")
CHECK_TRAINED = "CharLSTM: validation loss after training"
TRAIN_TIMEOUT_S = 150.0     # wall time of the calibrated CharLSTM run (CPU budget 20 s) with slack
FORECAST_TIMEOUT_S = 60.0   # one walk-forward run (CPU budget 5 s) with slack
PROBE_TOLERANCE = 1e-5      # float32 logits of order 1: the same computation in two calls
N_TEST = SHAMPOO_SETTINGS["n_test"]
SHAPE_CASES = (  # [vocab_size, hidden_size, num_layers, N, T]: N, T, V, H all different
    (7, 8, 1, 2, 6),
    (5, 4, 2, 3, 5),
    (6, 3, 1, 1, 1),
)


# ------------------------------------------------------------------ CharLSTM: untrained probes


def _call(case) -> str:
    V, H, L, n, t = case
    return f"CharLSTM({V}, {H}, num_layers={L}) on idx of shape ({n}, {t})"


def _shape_problems(case, r) -> list[tuple[str, str | None]]:
    """(what is wrong, the likely slip) for one case of task_char_lstm_shapes."""
    V, H, L, n, t = case
    call = _call(case)
    if r.get("returned") != "pair":
        return [(f"{call} returned {r.get('returned')}; forward must return the pair (logits, state).",
                 "forward returns only the logits, or more than two values; return "
                 "`self.head(out), state` with the state nn.LSTM gave back.")]
    problems = []
    got = r.get("logits_shape")
    if got != [n, t, V]:
        slip = None
        if got == [n, V]:
            slip = ("the logits of the last position only (out[:, -1]): a language model predicts the next "
                    "character at EVERY position, so apply the head to the whole output (N, T, H).")
        elif got == [t, n, V]:
            slip = "the batch and time axes are swapped: create the nn.LSTM with batch_first=True."
        elif n == 1 and got is not None and len(got) < 3:
            slip = ("squeeze() removed the axes of length 1 (a batch of one, a single step); squeeze only "
                    "the axis you mean, or nothing: logits are (N, T, V) even when N or T is 1.")
        elif got is not None and len(got) == 2 and got[0] == n * t:
            slip = "the logits were flattened to (N * T, V); reshape them back to (N, T, V)."
        problems.append((f"{call}: logits of shape {tuple(got) if got else r.get('logits_type')}; "
                         f"expected {(n, t, V)}.", slip))
    shapes = r.get("state_shapes") or []
    if r.get("state_len") != 2 or len(shapes) != 2:
        problems.append((f"{call}: the returned state is a {r.get('state_type')} holding {len(shapes)} "
                         "tensor(s); expected the tuple (h, c) of two tensors.",
                         "return the state exactly as nn.LSTM gives it back: out, (h, c) = self.lstm(x, state)."))
    elif any(s != [L, n, H] for s in shapes):
        slip = None
        first = shapes[0]
        if first == [1, n, H] and L != 1:
            slip = "num_layers is not passed on: nn.LSTM(..., num_layers=num_layers)."
        elif first == [2 * L, n, H]:
            slip = "a bidirectional LSTM (two directions): a language model reads left to right only."
        elif first == [L, t, H]:
            slip = ("nn.LSTM without batch_first=True reads axis 0 as time: here it took the {n} rows of "
                    "the batch for {n} time steps.".format(n=n))
        elif first == [n, L, H]:
            slip = ("the state was made batch-first: nn.LSTM's state is (num_layers, N, H) even with "
                    "batch_first=True (that flag concerns the input and the output only).")
        problems.append((f"{call}: state tensors of shapes {[tuple(s) for s in shapes]}; expected two of "
                         f"shape {(L, n, H)} (num_layers, N, H).", slip))
    return problems


def check_char_lstm_shapes(ctx):
    results = expect.sequence(ctx.task("char_lstm_shapes", cases=[list(c) for c in SHAPE_CASES]),
                              "the CharLSTM shape probe", len(SHAPE_CASES))
    problems = [p for case, r in zip(SHAPE_CASES, results) for p in _shape_problems(case, r)]
    if problems:
        summary, slip = problems[0]
        raise CheckFailed(summary, slip=slip,
                          details="\n".join(s for s, _ in problems[1:]) or None)


def _probe(ctx, num_layers, need_state: bool) -> dict:
    """task_char_lstm_probe after the shapes it relies on were checked."""
    case = (7, 8, num_layers, 2, 6)
    (shapes,) = expect.sequence(ctx.task("char_lstm_shapes", cases=[list(case)]), "the CharLSTM shape probe", 1)
    problems = _shape_problems(case, shapes)
    if not need_state:  # causality needs the logits only
        problems = [p for p in problems if not p[0].startswith(f"{_call(case)}: the returned state")
                    and not p[0].startswith(f"{_call(case)}: state tensors")]
    if problems:
        raise CheckFailed(f"not checked: the shapes are wrong ({problems[0][0]})",
                          slip=(problems[0][1] or "") + " See the check 'CharLSTM: output shapes'.")
    return ctx.task("char_lstm_probe", vocab_size=7, hidden_size=8, num_layers=num_layers, n=2, t=6, split=3)


def check_char_lstm_state(ctx):
    for num_layers in (1, 2):
        r = _probe(ctx, num_layers, need_state=True)
        logits = expect.array(r.get("logits"), "logits", (2, 6, 7))
        tol = PROBE_TOLERANCE * max(1.0, float(np.abs(logits).max()))
        split = expect.scalar(r.get("split_max_diff"), "the split difference", finite=False)
        state = expect.scalar(r.get("state_max_diff"), "the state difference", finite=False)
        context = (f"CharLSTM(7, 8, num_layers={num_layers}) on idx of shape (2, 6): logits, state = model(idx) "
                   "against a, s = model(idx[:, :3]); b, s2 = model(idx[:, 3:], s).")
        if not split <= tol:
            raise CheckFailed(
                "Reading a sequence in two calls, passing the state of the first to the second, does not give "
                "the logits of one call on the whole sequence.",
                expected="cat(a, b) == logits", got=f"greatest difference {split:.4g}",
                where="the second chunk (positions 3 to 5)", diff=f"allowed {tol:.2g}",
                slip="forward ignores the state it is given (self.lstm(x) without the state), or returns "
                     "another state than the one after the last position (the state it was given, or zeros).",
                details=context)
        if not state <= tol:
            raise CheckFailed(
                "The state returned after reading a sequence in two calls differs from the state returned "
                "after reading it in one.",
                expected="s2 == state", got=f"greatest difference {state:.4g}" if np.isfinite(state)
                else "tensors of other shapes", diff=f"allowed {tol:.2g}",
                slip="the returned state is not nn.LSTM's final (h, c) (the state passed in, or the first "
                     "layer's only).", details=context)
    return None


def check_char_lstm_causal(ctx):
    for num_layers in (1, 2):
        r = _probe(ctx, num_layers, need_state=False)
        logits = expect.array(r.get("logits"), "logits", (2, 6, 7))
        tol = PROBE_TOLERANCE * max(1.0, float(np.abs(logits).max()))
        change = expect.scalar(r.get("causality_max_diff"), "the causality difference", finite=False)
        if not change <= tol:
            raise CheckFailed(
                "The logits at positions 0-2 changed when only the characters at positions 3-5 changed: the "
                "model reads the future.",
                expected="logits[:, :3] unchanged", got=f"changed by up to {change:.4g}",
                diff=f"allowed {tol:.2g}",
                slip="a bidirectional LSTM (bidirectional=True), or the sequence reversed or mixed along the "
                     "time axis; logits[:, t] may depend on idx[:, :t + 1] only, since the model must predict "
                     "the character it has not seen yet.",
                details=f"CharLSTM(7, 8, num_layers={num_layers}), idx of shape (2, 6), idx[:, 3:] redrawn.")
    return None


# ------------------------------------------------------------------ CharLSTM: trained


# The calibrated training run is shared by the two trained checks of one grade.
_RUNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@functools.lru_cache(maxsize=1)
def _text_and_words():
    text = char_text()
    return text, training_words(text, CHAR_SETTINGS["val_fraction"])


def trained(ctx) -> dict:
    """The calibrated CharLSTM run of this grade (run once and shared; so is a failure)."""
    key = ctx.session
    if key not in _RUNS:
        text, _ = _text_and_words()
        try:
            r = ctx.task("char_lstm_train", text=text, seed=THRESHOLDS[CHECK_CHAR_STEPWISE].grade_seed,
                         **CHAR_SETTINGS_TASK)
            if not isinstance(r, dict):
                raise CheckFailed(f"the training task returned {expect.describe_value(r)}")
            _RUNS[key] = ("ok", r)
        except (CheckFailed, StudentError, CallTimeout, SandboxCrashed) as exc:
            _RUNS[key] = ("error", exc)
    status, value = _RUNS[key]
    if status == "error":
        raise value
    return value


def _settings_text() -> str:
    s = CHAR_SETTINGS
    return (f"CharLSTM(V, {s['hidden_size']}, {s['num_layers']}) trained for {s['steps']} Adam steps (lr "
            f"{s['lr']}, gradient norm clipped to {s['clip']}) on batches of {s['batch_size']} windows of "
            f"{s['seq_len']} characters from the first {1 - s['val_fraction']:.0%} of "
            f"{s['text_chars']} characters of Python's documentation (lower-cased); the last "
            f"{s['val_fraction']:.0%} validate.")


def check_char_lstm_trained(ctx):
    r = trained(ctx)
    t_step, t_win = THRESHOLDS[CHECK_CHAR_STEPWISE], THRESHOLDS[CHECK_CHAR]
    step = expect.scalar(r.get("val_loss_stepwise"), "the stepwise validation loss", finite=False)
    win = expect.scalar(r.get("val_loss"), "the windowed validation loss", finite=False)
    uniform = float(r.get("uniform_loss", float("nan")))
    unigram = float(r.get("unigram_loss", float("nan")))
    train_loss = float(r.get("train_loss", float("nan")))
    cpu = float(r.get("cpu_seconds", float("nan")))
    summary = (f"validation cross-entropy {step:.4g} nats/char read one character per call with the state "
               f"carried, {win:.4g} in windows of {CHAR_SETTINGS['seq_len']} from a fresh state; training loss "
               f"{train_loss:.4g}; training took {cpu:.1f} s CPU")
    scale = (f"For scale: a uniform guess scores log V = {uniform:.3g}, the training text's character "
             f"frequencies {unigram:.3g}.")
    if t_step.passes(step) and t_win.passes(win):
        return f"{summary}. Passed: {t_step.describe()}; {t_win.describe()}. {scale}"
    slip = None
    if np.isfinite(step) and np.isfinite(win) and step > win + 0.3:
        slip = ("the model does well on whole windows but not one character at a time: it reads later "
                "characters (bidirectional) or loses the state between calls; see the causality and state "
                "checks.")
    elif not np.isfinite(step) or not np.isfinite(win):
        slip = "the loss is not finite: the training diverged (NaN), or the logits overflow."
    elif min(step, win) > 0.95 * uniform:
        slip = ("the model learned almost nothing: forward returns probabilities (softmax) instead of logits "
                "(F.cross_entropy applies log-softmax itself), or its layers are not registered as "
                "submodules (kept in a plain list or dict instead of nn.ModuleList), so the optimizer "
                "never sees their parameters.")
    failing = t_step if not t_step.passes(step) else t_win
    raise CheckFailed(
        f"The trained CharLSTM predicts held-out text worse than the calibrated bound ({summary}).",
        expected=f"{t_step.describe()}; and {t_win.describe()}",
        got=f"{step:.4g} (one character per call), {win:.4g} (windows)",
        diff=f"{failing.metric}: {step if failing is t_step else win:.4g} against the bound {failing.bound:.4g}",
        slip=slip, details=f"{_settings_text()} {scale}")


def check_char_lstm_sample(ctx):
    r = trained(ctx)
    t = THRESHOLDS[CHECK_SAMPLE]
    _, words = _text_and_words()
    sample = r.get("sample") if isinstance(r.get("sample"), str) else ""
    error = r.get("sample_error") or ""
    prefix = r.get("sample_prefix") if isinstance(r.get("sample_prefix"), str) else CHAR_SETTINGS["prefix"]
    how = (f"{CHAR_SETTINGS['sample_len']} characters drawn after {prefix!r} from p = softmax(logits / "
           f"{CHAR_SETTINGS['temperature']}), one character per call with the state carried (the given "
           "`sample` function), from the model trained in the previous check")
    if error:
        raise CheckFailed(
            f"Sampling from the trained CharLSTM failed after {len(sample)} characters: {error}",
            expected="logits of shape (1, T, V) for an input of shape (1, T), T = len(prefix) and then 1",
            got=error,
            slip="a squeeze() that drops the batch or time axis when it has length 1, or a forward that "
                 "cannot take the state it returned.", details=how)
    found = sample_words(sample)
    value = sample_word_fraction(sample, words)
    shown = f"The sample ({how}):\n{prefix}{sample}"
    summary = (f"{sum(w in words for w in found)} of the {len(found)} words of the sample "
               f"({value:.0%}) occur in the training text")
    if t.passes(value):
        return f"{summary}. Passed: {t.describe()}.\n{shown}"
    slip = None
    step = r.get("val_loss_stepwise")
    if isinstance(step, float) and not THRESHOLDS[CHECK_CHAR_STEPWISE].passes(step):
        slip = ("the model does badly one character at a time (see the validation loss and the state and "
                "causality checks): sampling draws one character per call with the state carried.")
    else:
        slip = ("forward returns something other than logits, such as probabilities: softmax(p / T) of "
                "numbers in [0, 1] is nearly uniform, so the sample is noise.")
    raise CheckFailed(
        f"The text sampled from the trained CharLSTM does not look like the training text: {summary}.",
        expected=t.describe(), got=f"{value:.3f}", slip=slip, details=shown)


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


# ------------------------------------------------------------------ Forecaster: untrained probes


def _forecaster_probe(ctx) -> dict:
    r = ctx.task("forecaster_probe", hidden_size=5, n=4, window=4)
    if not isinstance(r, dict) or set(r) != set(CELLS):
        raise CheckFailed(f"the Forecaster probe returned {expect.describe_value(r)}")
    return r


def check_forecaster_shape(ctx):
    r = _forecaster_probe(ctx)
    for cell in CELLS:
        for key, n in (("shape", 4), ("shape_one", 1)):
            got = r[cell].get(key)
            if got != [n]:
                slip = None
                if got == [n, 1]:
                    slip = "the head's output (N, 1) is returned as is: drop the last axis (.squeeze(-1) or [:, 0])."
                elif got == [] and n == 1:
                    slip = "squeeze() dropped the batch axis too when N = 1: use squeeze(-1)."
                elif got and len(got) >= 2 and got[1] == 4:
                    slip = "the head is applied at every time step; keep only the last step's output (out[:, -1])."
                raise CheckFailed(f"Forecaster({cell!r}, 5) on x of shape ({n}, 4, 1) returned shape "
                                  f"{tuple(got) if got is not None else None}; expected ({n},).",
                                  expected=f"({n},)", got=str(tuple(got) if got is not None else None), slip=slip)


def _standard_counts(h: int) -> dict[str, int]:
    per_gate = h * 1 + h * h + 2 * h  # input weights, recurrent weights, two biases (PyTorch's layout)
    return {cell: gates * per_gate + h + 1 for cell, gates in (("rnn", 1), ("gru", 3), ("lstm", 4))}


def check_forecaster_cell(ctx):
    r = _forecaster_probe(ctx)
    counts = {cell: r[cell].get("n_params") for cell in CELLS}
    modules = {cell: ", ".join(r[cell].get("modules") or []) for cell in CELLS}
    standard = _standard_counts(5)
    shown = "; ".join(f"{cell}: {counts[cell]} parameters ({modules[cell]})" for cell in CELLS)
    if not all(isinstance(counts[c], int) for c in CELLS):
        raise CheckFailed(f"the Forecaster probe returned no parameter counts: {shown}")
    if counts["rnn"] < counts["gru"] < counts["lstm"]:
        return f"Forecaster(cell, 5): {shown}."
    same = len(set(counts.values())) == 1
    slip = ("the same recurrent layer whatever `cell` says (e.g. always nn.LSTM): pick nn.RNN, nn.GRU or nn.LSTM "
            "from `cell`." if same else "the cells are mixed up: an RNN has one set of weights, a GRU three "
            "(reset, update, new) and an LSTM four (input, forget, cell, output).")
    raise CheckFailed(
        "Forecaster(cell, 5) has the wrong number of parameters for the cell type: a GRU has three times an "
        "RNN's recurrent weights and an LSTM four times.",
        expected=f"rnn < gru < lstm; with nn.RNN/nn.GRU/nn.LSTM and nn.Linear(5, 1): "
                 + ", ".join(f"{c} {standard[c]}" for c in CELLS),
        got=shown, slip=slip)


def check_forecaster_last_step(ctx):
    r = _forecaster_probe(ctx)
    for cell in CELLS:
        row = r[cell]
        if "last_change" not in row:
            raise CheckFailed(f"not checked: Forecaster({cell!r}, 5) returned shape {row.get('shape')} for 4 "
                              "windows (see the check 'Forecaster: output shape').")
        last = expect.scalar(row["last_change"], "the change of the forecast", finite=False)
        first = expect.scalar(row.get("first_change"), "the change of the forecast", finite=False)
        if not last > 1e-7:
            raise CheckFailed(
                f"Forecaster({cell!r}, 5): changing the LAST step of each window, x[:, -1], does not change "
                "the forecast at all.",
                expected="a forecast computed from the hidden state after the last step",
                got=f"the forecast changed by {last:.3g} (and by {first:.3g} when x[:, 0] changed)",
                slip="the head reads the output at the first step (out[:, 0]) instead of the last (out[:, -1]); "
                     "with batch_first=True the time axis is axis 1.",
                details="x of shape (4, 4, 1); x[:, -1] changed by +1.")


# ------------------------------------------------------------------ Forecaster: trained


def check_forecaster_rmse(ctx, cell):
    from dlgrade.data import load_shampoo

    t = THRESHOLDS[CHECK_FORECAST[cell]]
    settings = {k: v for k, v in t.settings.items() if k != "cell"}
    seeds = [t.grade_seed] + [s for s in range(int(ctx.options.get("shampoo_seeds", 1))) if s != t.grade_seed]
    series = load_shampoo()
    runs = []
    for seed in seeds:
        r = ctx.task("shampoo_forecast", series=series, cell=cell, seed=seed, **settings)
        if not isinstance(r, dict):
            raise CheckFailed(f"the forecasting task returned {expect.describe_value(r)}")
        runs.append(expect.scalar(r.get("rmse"), "the walk-forward RMSE", finite=False))
        if seed == t.grade_seed:
            graded = r
    rmse = runs[0]
    preds = expect.array(graded.get("predictions"), "the forecasts", (N_TEST,), finite=False)
    actual = np.asarray(graded.get("actual"), dtype=np.float64)
    how = (f"Forecaster({cell!r}, {settings['hidden_size']}) trained full-batch for {settings['epochs']} epochs "
           f"(Adam, lr {settings['lr']}, MSE, windows of {settings['window']}) on the scaled monthly differences "
           f"of the first {len(series) - N_TEST} months, then walked forward over the last {N_TEST} (the series "
           "functions are standard ones here, so this check judges the Forecaster alone)")
    summary = (f"walk-forward test RMSE {rmse:.4g} sales units (persistence baseline {PERSISTENCE_RMSE:.4g})")
    if len(runs) > 1:
        summary += f"; over seeds {seeds}: {np.mean(runs):.4g} +/- {np.std(runs):.2g}"
    table = ("forecast: " + fmt(np.round(preds, 1)) + "\nactual:   " + fmt(actual)) if actual.shape == (N_TEST,) \
        else ""
    if t.passes(rmse):
        return f"{summary}. Passed: {t.describe()}."
    first = len(series) - N_TEST
    d = ref.difference(series)
    lo, hi = ref.fit_scaler(d[:len(d) - N_TEST])
    scaled = ref.scale(preds - series[first - 1:-1], lo, hi)  # the forecast changes in the model's units
    if not np.isfinite(rmse) or not np.all(np.isfinite(scaled)):
        slip = "the forecasts are not finite: the training diverged or the output overflows."
    elif scaled.min() >= -1e-6:
        slip = (f"an activation on the output (a sigmoid or a ReLU): every forecast change is at least the middle "
                f"of the training range ({(lo + hi) / 2:.4g}, 0 in scaled units), so the model can never "
                "forecast a fall in sales. The scaled changes lie in [-1, 1]: the head must be a plain nn.Linear.")
    elif rmse >= PERSISTENCE_RMSE:
        slip = ("worse than predicting no change at all: check the other Forecaster checks (the forecast read "
                "from the last step, the output shape) and that every layer is registered as a submodule, so "
                "the optimizer trains it.")
    else:
        slip = "check the other Forecaster checks first (cell type, last time step, output shape)."
    raise CheckFailed(
        f"Forecaster({cell!r}): the forecast of the test year is worse than the calibrated bound ({summary}).",
        expected=t.describe(), got=f"RMSE {rmse:.4g}", slip=slip, details=f"{how}.\n{table}")


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of sequences_torch, in the order of the contract."""
    yield Check("CharLSTM: output shapes", check_char_lstm_shapes, needs=("CharLSTM",))
    yield Check("CharLSTM: state carried between calls", check_char_lstm_state, kind=Kind.PROPERTY,
                needs=("CharLSTM",))
    yield Check("CharLSTM: causal (later tokens never change earlier outputs)", check_char_lstm_causal,
                kind=Kind.PROPERTY, needs=("CharLSTM",))
    yield Check(CHECK_TRAINED, check_char_lstm_trained, points=3, kind=Kind.THRESHOLD, needs=("CharLSTM",),
                timeout_s=TRAIN_TIMEOUT_S)
    yield Check(CHECK_SAMPLE, check_char_lstm_sample, kind=Kind.THRESHOLD, needs=("CharLSTM",),
                timeout_s=TRAIN_TIMEOUT_S)
    yield Check("difference: values (interval 1 and 3)", check_difference_values, needs=("difference",))
    yield Check("inverse_difference: one step (last value + difference)", check_inverse_difference_one_step,
                points=0.5, needs=("inverse_difference",))
    yield Check("inverse_difference: round trip with difference", check_inverse_difference_round_trip,
                kind=Kind.PROPERTY, needs=("inverse_difference",))
    yield Check("fit_scaler: minimum and maximum of the values given", check_fit_scaler_values,
                needs=("fit_scaler",))
    yield Check("fit_scaler: fitted on the training split only (no test-set leak)", check_fit_scaler_train_only,
                needs=("fit_scaler",))
    yield Check("scale: maps [lo, hi] onto [-1, 1]", check_scale_values, needs=("scale",))
    yield Check("scale: uses the given (lo, hi), never re-fitted on its input", check_scale_not_refitted,
                needs=("scale",))
    yield Check("scale: leaves its input unchanged", check_scale_input_unchanged, points=0.5,
                kind=Kind.PROPERTY, needs=("scale",))
    yield Check("invert_scale: inverse of scale", check_invert_scale_values, needs=("invert_scale",))
    yield Check("make_windows: shapes (N, window, 1) and (N,)", check_make_windows_shapes, needs=("make_windows",))
    yield Check("make_windows: alignment (X[i, :, 0] = s[i:i+w], y[i] = s[i+w])", check_make_windows_alignment,
                needs=("make_windows",))
    yield Check("Forecaster: output shape (N,)", check_forecaster_shape, needs=("Forecaster",))
    yield Check("Forecaster: uses the requested cell type", check_forecaster_cell, kind=Kind.PROPERTY,
                needs=("Forecaster",))
    yield Check("Forecaster: forecast read from the last time step", check_forecaster_last_step,
                kind=Kind.PROPERTY, needs=("Forecaster",))
    for cell in CELLS:
        yield Check(CHECK_FORECAST[cell], partial(check_forecaster_rmse, cell=cell), kind=Kind.THRESHOLD,
                    needs=("Forecaster",), timeout_s=FORECAST_TIMEOUT_S)
