"""The checks of `CharLSTM`, untrained and trained.

Shapes, the state carried between calls and causality are probed on small untrained models
in the sandbox (`tasks.task_char_lstm_shapes`, `tasks.task_char_lstm_probe`). The trained
checks train the submission's model once per grade on the training segments of the text
(`tasks.task_char_lstm_train`; the held-out segments are chosen by the course secret and
never reach that process) and evaluate it in a fresh sandbox one character per step
(`causal.char_evaluation`): the validation cross-entropy with the state carried AND in
windows from a fresh state, and the fraction of real words in a sample the grader draws at
temperature 0.8, all computed here and compared with the calibrated bounds of thresholds.py.
"""

from __future__ import annotations


import numpy as np

from graders.assignments.sequences_torch import causal
from graders.assignments.sequences_torch.thresholds import (
    CHAR_SETTINGS,
    CHAR_SETTINGS_TASK,
    CHECK_CHAR,
    CHECK_CHAR_STEPWISE,
    CHECK_SAMPLE,
    TEXT_DATA,
    char_text,
    sample_word_fraction,
    sample_words,
    training_words,
)
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import reply, run_task

CHECK_TRAINED = "CharLSTM: validation loss after training"
PROBE_TOLERANCE = 1e-5      # float32 logits of order 1: the same computation in two calls
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


def char_run(ctx) -> dict:
    """The calibrated CharLSTM run of this grade (run once and shared; so is a failure): the
    metrics the grader computed from the fresh evaluation, the training loss and CPU seconds,
    and the training text's words."""
    def run() -> dict:
        secret = ctx.session.secret
        split = causal.char_split(char_text(), secret, CHECK_CHAR_STEPWISE, CHAR_SETTINGS["segment_chars"],
                                  CHAR_SETTINGS["heldout_segments"])
        r = reply(run_task(ctx, "char_lstm_train", "training the CharLSTM", pieces=list(split.train_pieces),
                           vocab_size=len(split.vocab), seed=secret.seed(CHECK_CHAR_STEPWISE, "train"),
                           **CHAR_SETTINGS_TASK), "char_lstm_train", ("state", "losses", "cpu_seconds"))
        with ctx.fresh_sandbox() as box:
            out = causal.char_evaluation(box, r["state"], split, CHAR_SETTINGS,
                                         secret.seed(CHECK_SAMPLE, "sample"))
        out["train_loss"] = causal.train_loss(r["losses"])
        out["cpu_seconds"] = expect.scalar(r["cpu_seconds"], "the training's CPU seconds", finite=False)
        out["words"] = training_words(split.train_text)
        return out

    return ctx.shared("char_lstm", run)


def _settings_text() -> str:
    s = CHAR_SETTINGS
    return (f"CharLSTM(V, {s['hidden_size']}, {s['num_layers']}) trained for {s['steps']} Adam steps (lr "
            f"{s['lr']}, gradient norm clipped to {s['clip']}) on batches of {s['batch_size']} windows of "
            f"{s['seq_len']} characters from {s['text_chars']} characters of Python's documentation "
            f"(lower-cased), cut into segments of {s['segment_chars']}: {s['heldout_segments']} segments chosen by the "
            "course secret are held out and validate, read by a separate process one character per call.")


def check_char_lstm_trained(ctx):
    r = char_run(ctx)
    bounds = ctx.check.threshold
    t_step, t_win = (bounds[key].for_dataset(TEXT_DATA) for key in (CHECK_CHAR_STEPWISE, CHECK_CHAR))
    step, win, one_call = r["val_loss_stepwise"], r["val_loss"], r["window_loss_one_call"]
    uniform, unigram, train_loss, cpu = r["uniform_loss"], r["unigram_loss"], r["train_loss"], r["cpu_seconds"]
    summary = (f"validation cross-entropy {step:.4g} nats/char read one character per call with the state "
               f"carried, {win:.4g} in windows of {CHAR_SETTINGS['seq_len']} from a fresh state (also one character "
               f"per call); training loss {train_loss:.4g}; training took {cpu:.1f} s CPU")
    scale = (f"For scale: a uniform guess scores log V = {uniform:.3g}, the training text's character "
             f"frequencies {unigram:.3g}.")
    if t_step.passes(step) and t_win.passes(win):
        return f"{summary}. Passed: {t_step.describe()}; {t_win.describe()}. {scale}"
    slip = None
    if np.isfinite(step) and np.isfinite(one_call) and min(step, win) > one_call + 0.3:
        slip = (f"the model does well when it is given whole windows at once ({one_call:.3g}, not graded) but not "
                "one character at a time: it reads later characters (bidirectional), which it cannot do when "
                "the next character has not been sent yet; see the causality check.")
    elif np.isfinite(step) and np.isfinite(win) and step > win + 0.3:
        slip = ("the model does well on windows read from a fresh state but not with the state carried over the "
                "whole text: it loses the state between calls; see the state check.")
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
    r = char_run(ctx)
    t = ctx.check.threshold[CHECK_SAMPLE].for_dataset(TEXT_DATA)
    words = r["words"]
    sample, error, prefix = r["sample"], r["sample_error"], r["sample_prefix"]
    how = (f"{CHAR_SETTINGS['sample_len']} characters drawn after {prefix!r} from p = "
           f"softmax(logits / {CHAR_SETTINGS['temperature']}), one character per step with the state carried and "
           "a seed from the course secret, from the model trained in the previous check")
    if error:
        raise CheckFailed(
            f"Sampling from the trained CharLSTM failed after {len(sample)} characters: {error}",
            expected="logits of shape (1, T, V) for an input of shape (1, T), T = len(prefix) and then 1",
            got=error,
            slip="a squeeze() that drops the batch or time axis when it has length 1, or a forward that "
                 "cannot take the state it returned.", details=how)
    t_step = ctx.check.threshold[CHECK_CHAR_STEPWISE].for_dataset(TEXT_DATA)
    if not t_step.passes(r["val_loss_stepwise"]):
        # words alone could come from a list the model learned by heart: a sample counts only from
        # a model that also predicts text it has never seen
        raise CheckFailed(
            "Not graded: a sample counts only from a model that predicts the held-out text (see the check "
            f"'{CHECK_TRAINED}').", expected=t_step.describe(), got=f"{r['val_loss_stepwise']:.4g}",
            slip="the model does badly one character at a time (see the validation loss and the state and "
                 "causality checks): sampling draws one character per call with the state carried.",
            details=f"The sample ({how}):\n{prefix}{sample}")
    found = sample_words(sample)
    value = sample_word_fraction(sample, words)
    shown = f"The sample ({how}):\n{prefix}{sample}"
    summary = (f"{sum(w in words for w in found)} of the {len(found)} words of the sample "
               f"({value:.0%}) occur in the training text")
    if t.passes(value):
        return f"{summary}. Passed: {t.describe()}.\n{shown}"
    slip = ("forward returns something other than logits, such as probabilities: softmax(p / T) of "
            "numbers in [0, 1] is nearly uniform, so the sample is noise.")
    raise CheckFailed(
        f"The text sampled from the trained CharLSTM does not look like the training text: {summary}.",
        expected=t.describe(), got=f"{value:.3f}", slip=slip, details=shown)
