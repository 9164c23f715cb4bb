"""The grader's side of the trained checks of `sequences_torch`: secret splits, causal
evaluation, and every loss and RMSE computed here.

Training runs in the grade's sandbox on training data only and returns a state_dict. The
evaluation runs in a FRESH sandbox of the submission (`ctx.fresh_sandbox()`), which gets that
state and the held-out inputs ONE STEP AT A TIME: the characters of the held-out text, or
the window before each test month, each prediction returned before the next true value is
sent. A model cannot read what it has not been sent, so a forward that peeks at later
characters, or one that recognises the graded run, gains nothing; the metrics are computed
here from the raw logits and forecasts.

`box` below is anything with `task(name, **kwargs)` (a fresh sandbox, or `InProcessBox` for
calibration and tests: the same code on the same numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from graders.engine import raw_outputs
from graders.engine.checks import CheckFailed
from graders.engine.expect import describe_value
from graders.sandbox.errors import StudentError

ONE_CALL_WINDOWS = 8        # windows read in one call, only to explain a failure
MAX_STATE_VALUES = 200_000  # a CharLSTM(71, 64) holds about 40,000 numbers; a Forecaster(8) about 400


class InProcessBox:
    """`task(name, **kwargs)` straight on the task functions of `tasks` with `module` (calibration
    and tests): kept objects are the objects themselves."""

    def __init__(self, tasks, module):
        self.tasks, self.module = tasks, module

    def task(self, name: str, **kwargs):
        return getattr(self.tasks, f"task_{name}")(self.module, **kwargs)


# ----------------------------------------------------------------------------- CharLSTM


@dataclass(frozen=True)
class CharSplit:
    """The text of a grade cut into SEGMENTS segments, some held out by the course secret."""

    vocab: str               # sorted characters of the whole text
    ids: np.ndarray          # the text as character ids
    train_pieces: tuple      # runs of consecutive training segments (int64 arrays)
    heldout: np.ndarray      # (n_heldout, segment_chars) ids of the held-out segments
    train_text: str          # the training segments joined by "\n" (for the word list)


def char_split(text: str, secret, check: str, segment_chars: int, n_heldout: int) -> CharSplit:
    """Cut `text` into segments of `segment_chars` characters (the rest dropped); hold out
    `n_heldout` of them chosen by the course secret; the others, as runs of consecutive
    segments, train."""
    vocab = "".join(sorted(set(text)))
    lookup = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([lookup[ch] for ch in text], dtype=np.int64)
    n = len(ids) // segment_chars
    train, held = secret.split(n, n_heldout, check, "heldout segments")
    training, pieces, run = set(train.tolist()), [], []
    for i in range(n):
        if i in training:
            run.append(i)
            continue
        if run:
            pieces.append(run)
        run = []
    if run:
        pieces.append(run)
    as_ids = tuple(ids[r[0] * segment_chars:(r[-1] + 1) * segment_chars].copy() for r in pieces)
    heldout = np.stack([ids[i * segment_chars:(i + 1) * segment_chars] for i in held])
    train_text = "\n".join(text[r[0] * segment_chars:(r[-1] + 1) * segment_chars] for r in pieces)
    return CharSplit(vocab=vocab, ids=ids, train_pieces=as_ids, heldout=heldout, train_text=train_text)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


def _logits(out, n: int, V: int, what: str) -> np.ndarray:
    """(N, V) logits, validated (the contract's (N, 1, V); any shape with N * V entries is read
    as (N, V), a squeeze being the shape checks' business)."""
    if isinstance(out, np.ndarray) and out.size == n * V:
        out = out.reshape(n, V)
    return raw_outputs.float_array(out, what, (n, V))


def stepwise_losses(box, jobs, V: int) -> list[float]:
    """For each (stepper, rows (N, T)) of `jobs`: the mean cross-entropy (nats per character) of
    reading each row one character per step from a fresh state, predicting the next, T - 1
    steps. Step t of every job goes in one call; no character is sent before the prediction of
    it came back."""
    totals = [0.0] * len(jobs)
    for t in range(max(rows.shape[1] for _, rows in jobs) - 1):
        live = [i for i, (_, rows) in enumerate(jobs) if t < rows.shape[1] - 1]
        out = box.task("char_lstm_step", steppers=[jobs[i][0] for i in live],
                       columns=[np.ascontiguousarray(jobs[i][1][:, t]) for i in live], reset=(t == 0))
        if not isinstance(out, list) or len(out) != len(live):
            raise CheckFailed(f"a step of the evaluation came back as {describe_value(out)} (expected {len(live)} "
                              "arrays of logits).")
        for i, logits in zip(live, out):
            rows = jobs[i][1]
            lp = log_softmax(_logits(logits, len(rows), V, f"CharLSTM's logits for a step of {len(rows)} characters"))
            totals[i] -= float(lp[np.arange(len(rows)), rows[:, t + 1]].sum())
    return [total / (rows.shape[0] * (rows.shape[1] - 1)) for total, (_, rows) in zip(totals, jobs)]


def stepwise_loss(box, stepper, rows: np.ndarray, V: int) -> float:
    """`stepwise_losses` of one stepper."""
    return stepwise_losses(box, [(stepper, rows)], V)[0]


def windows_of(heldout: np.ndarray, seq_len: int) -> np.ndarray:
    """The held-out segments cut into windows of seq_len + 1 characters (the rest dropped)."""
    per = heldout.shape[1] // (seq_len + 1)
    return heldout[:, :per * (seq_len + 1)].reshape(-1, seq_len + 1)


def one_call_window_loss(box, stepper, windows: np.ndarray, V: int) -> float:
    """The windows' loss when each is read in ONE call (the model sees the whole window): used
    only to explain a failure, never for a score. NaN when the model's output does not fit."""
    out = box.task("char_lstm_window", stepper=stepper, idx=windows[:, :-1])
    n, T = windows.shape[0], windows.shape[1] - 1
    if not isinstance(out, np.ndarray) or out.size != n * T * V or not np.all(np.isfinite(out)):
        return math.nan
    lp = log_softmax(np.asarray(out, dtype=np.float64).reshape(n, T, V))
    return float(-np.take_along_axis(lp, windows[:, 1:, None], axis=2).mean())


def sample(box, stepper, prefix: np.ndarray, n: int, temperature: float, seed: int, V: int) -> list[int]:
    """`n` character ids drawn after `prefix` from softmax(logits / temperature), one step per
    character with the state carried, in ONE call with the grader's seed (a sample is only
    scored for a model that also predicts held-out text, so the sandbox drawing it earns
    nothing); validated here: `n` ids in [0, V)."""
    out = box.task("char_lstm_sample", stepper=stepper, prefix=np.asarray(prefix, dtype=np.int64), n=int(n),
                   temperature=float(temperature), seed=int(seed))
    if not isinstance(out, np.ndarray) or out.dtype.kind not in "iu" or out.shape != (int(n),) \
            or (out.size and (out.min() < 0 or out.max() >= V)):
        raise CheckFailed(f"the sample came back as {describe_value(out)}; expected {n} character ids in [0, {V}).")
    return [int(i) for i in out]


def char_evaluation(box, state, split: CharSplit, settings: dict, sample_seed: int) -> dict:
    """Every metric of the trained CharLSTM, from a fresh process `box` given `state`:
    val_loss_stepwise (the held-out segments read one character per step, the state carried),
    val_loss (the segments' windows of seq_len + 1, each from a fresh state, also one
    character per step), window_loss_one_call (diagnostic only), sample (text, drawn in the
    sandbox with the grader's seed) and sample_error, uniform_loss and unigram_loss for
    scale."""
    V = len(split.vocab)
    state = raw_outputs.state_dict(state, "the trained CharLSTM", max_values=MAX_STATE_VALUES)
    stepper = box.task("char_lstm_open", vocab_size=V, hidden_size=settings["hidden_size"],
                       num_layers=settings["num_layers"], state=state)
    window_stepper = box.task("char_lstm_reader", stepper=stepper)  # the same model, a state of its own
    windows = windows_of(split.heldout, settings["seq_len"])
    stepwise, windowed = stepwise_losses(box, [(stepper, split.heldout), (window_stepper, windows)], V)
    out = {"val_loss_stepwise": stepwise, "val_loss": windowed,
           "window_loss_one_call": one_call_window_loss(box, stepper, windows[:ONE_CALL_WINDOWS], V)}
    lookup = {ch: i for i, ch in enumerate(split.vocab)}
    prefix = np.array([lookup[ch] for ch in settings["prefix"] if ch in lookup] or [0])
    drawn, out["sample_error"] = [], ""
    try:
        drawn = sample(box, stepper, prefix, settings["sample_len"], settings["temperature"], sample_seed, V)
    except CheckFailed as exc:
        out["sample_error"] = exc.summary
    except StudentError as exc:  # a model that breaks only while sampling still gets its losses
        out["sample_error"] = f"{exc.type_name}: {exc.message[:300]}"
    out["sample"] = "".join(split.vocab[i] for i in drawn)
    out["sample_prefix"] = "".join(split.vocab[i] for i in prefix)
    train = np.concatenate(split.train_pieces)
    counts = np.bincount(train, minlength=V).astype(np.float64) + 1.0  # add-one smoothing
    out["unigram_loss"] = float(-np.log(counts / counts.sum())[windows[:, 1:].reshape(-1)].mean())
    out["uniform_loss"] = math.log(V)
    return out


def train_loss(losses, last: int = 20) -> float:
    """The mean of the last training losses the training reported (for feedback only)."""
    values = np.asarray(losses, dtype=np.float64).reshape(-1) if isinstance(losses, np.ndarray) else np.array([])
    return float(np.mean(values[-last:])) if values.size else math.nan


# ----------------------------------------------------------------------------- Forecaster


def difference(s: np.ndarray) -> np.ndarray:
    return s[1:] - s[:-1]


def forecast_data(series, n_test: int, window: int) -> dict:
    """The course recipe's data, computed here with standard series functions: the monthly
    differences scaled to [-1, 1] by their training range, the training windows (targets are
    training differences only), and what the walk-forward needs."""
    s = np.asarray(series, dtype=np.float64)
    d = difference(s)
    n_train = len(d) - n_test
    lo, hi = float(np.min(d[:n_train])), float(np.max(d[:n_train]))
    z = 2.0 * (d - lo) / (hi - lo) - 1.0
    X = np.stack([z[i:i + window] for i in range(len(z) - window)])[:, :, None]
    y = z[window:].copy()
    rows = n_train - window  # row i predicts d[i + window]: a training row when i + window < n_train
    return {"series": s, "lo": lo, "hi": hi, "X": X, "y": y, "X_train": X[:rows], "y_train": y[:rows],
            "first_month": len(s) - n_test, "n_test": n_test, "window": window}


def walk_forward(box, model, data: dict) -> np.ndarray:
    """The sales forecast of each test month, one call per month: the window of the scaled
    differences observed before month t goes in, the forecast of month t comes back, and only
    then is month t's window (which holds its true value) sent."""
    preds = []
    lo, hi, s, window = data["lo"], data["hi"], data["series"], data["window"]
    for j in range(data["n_test"]):
        t = data["first_month"] + j  # predict s[t]: its difference d[t - 1] is row t - 1 - window
        x = data["X"][t - 1 - window:t - window]
        out = box.task("forecaster_predict", model=model, X=x)
        if isinstance(out, np.ndarray) and out.size == 1:
            out = out.reshape(1)
        zhat = raw_outputs.float_array(out, f"Forecaster's forecast of test month {j + 1}", (1,))[0]
        preds.append(s[t - 1] + lo + (zhat + 1.0) * (hi - lo) / 2.0)
    return np.array(preds)


def forecast_evaluation(box, state, cell: str, hidden_size: int, data: dict) -> dict:
    """The walk-forward forecasts of the trained Forecaster from a fresh process `box`; rmse and
    persistence_rmse computed here."""
    state = raw_outputs.state_dict(state, f"the trained Forecaster({cell!r})", max_values=MAX_STATE_VALUES)
    model = box.task("forecaster_open", cell=cell, hidden_size=hidden_size, state=state)
    preds = walk_forward(box, model, data)
    s, first = data["series"], data["first_month"]
    actual = s[first:]
    return {"rmse": float(np.sqrt(np.mean((preds - actual) ** 2))),
            "persistence_rmse": float(np.sqrt(np.mean((s[first - 1:-1] - actual) ** 2))),
            "predictions": preds, "actual": actual.copy()}
