"""The checks of `train(text, hidden_size, seq_length, lr, n_iter, seed) -> (params, history)`.

Every run goes through the sandbox task `tasks.task_train_timed`, which also measures the
CPU time. Two kinds of runs:

- a short run (12 iterations on a 40-character text, SHORT) that exercises all of
  min-char-rnn's loop: the data pointer wraps and resets the state after two chunks, the
  state is carried between the two chunks before that, some gradients exceed 5 (clipping
  acts), and the characters appear in an order other than sorted. The grader replays the
  contract's loop in its own process with the reference's loss_and_grads and clip_grads,
  from the parameters the submission's own init_params gives for the seed, and compares the
  history and the final parameters; replays with one slip switched on name the slip;
- the calibrated run (SETTINGS of thresholds.py, on this course's secret draw of the Faust
  excerpt: thresholds.graded_text, its verses in a secret order from a secret start, and a
  secret seed, so weights prepared in advance for the public excerpt do not fit), whose
  returned parameters the GRADER uses to regenerate the text greedily
  (thresholds.regenerate, not the submission's code): the character errors must be within
  the calibrated bound.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.char_rnn_numpy.problems import KEYS, params_dict
from graders.assignments.char_rnn_numpy.thresholds import (
    graded_text,
    regenerate,
    regeneration_errors,
)
from graders.assignments.char_rnn_numpy.reference_slips import replay
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.engine.reproducible import require_reproducible
from graders.engine.task_calls import run_task
from graders.sandbox.errors import StudentError
from reference.numpy import char_rnn_numpy as ref

SHORT = {"text": "aaaaaaaaaa b aaaaaaaaaa c aaaaaaaaaa dd ", "hidden_size": 6, "seq_length": 15,
         "lr": 0.1, "n_iter": 12, "seed": 1}
TRAIN_TIMEOUT_S = 150.0    # wall time of the calibrated run (CPU budget 30 s) on a busy machine
SHORT_TIMEOUT_S = 20.0
MARK_WIDTH = 61            # characters per line of the marked comparison (184 = 3 lines)


class TrainRun:
    """What one run of the submission's train returned, validated piece by piece on demand."""

    def __init__(self, out, text, hidden_size, n_iter, what):
        self.text, self.hidden_size, self.n_iter, self.what = text, hidden_size, n_iter, what
        if not isinstance(out, dict) or "result" not in out:  # the task's own reply: always this shape
            raise CheckFailed("the training task returned an unexpected value (an internal error).")
        self.result = out["result"]
        self.cpu_s = float(out.get("cpu_s") or 0.0)

    def _pair(self):
        return expect.sequence(self.result, self.what, 2)

    def params(self) -> dict:
        return params_dict(self._pair()[0], f"the params returned by {self.what}", len(set(self.text)),
                           self.hidden_size)

    def history(self) -> np.ndarray:
        history = self._pair()[1]
        if isinstance(history, np.ndarray):  # an array of losses is accepted as the list it holds
            if history.ndim != 1:
                raise CheckFailed(f"the history returned by {self.what} is an array of shape {history.shape}; "
                                  "expected a list of floats, one per iteration.")
            history = list(history)
        history = expect.sequence(history, f"the history returned by {self.what}")
        if len(history) != self.n_iter:
            raise CheckFailed(
                f"the history returned by {self.what} has {len(history)} entries; expected one per "
                f"iteration (n_iter = {self.n_iter}).",
                expected=f"{self.n_iter} floats", got=f"{len(history)} values",
                slip="append the loss of every iteration once (history.append(loss) inside the loop).")
        return np.array([expect.scalar(v, f"history[{i}] of {self.what}") for i, v in enumerate(history)])


def run_train(ctx, text, hidden_size, seq_length, lr, n_iter, seed, global_seed=None,
              seed_shown=None) -> TrainRun:
    """The submission's train in the sandbox, once per grade for the same arguments
    (seed_shown: what the feedback writes for the seed, when not the seed itself)."""
    what = (f"train(text of {len(text)} characters, hidden_size={hidden_size}, seq_length={seq_length}, "
            f"lr={lr}, n_iter={n_iter}, seed={seed if seed_shown is None else seed_shown})")

    def run() -> TrainRun:
        out = run_task(ctx, "train_timed", what, text=text, hidden_size=hidden_size, seq_length=seq_length,
                       lr=lr, n_iter=n_iter, train_seed=seed, global_seed=global_seed)
        return TrainRun(out, text, hidden_size, n_iter, what)

    return ctx.shared((text, hidden_size, seq_length, lr, n_iter, seed, global_seed), run)


def require_reproducible_train(ctx) -> None:
    """Fail as "not judged" when train (or the init_params it starts from) ignores its seed: the
    replay starts from the submission's init_params and the calibrated run's model would change
    from grade to grade, so both judge only a reproducible train (graders.engine.reproducible)."""
    s = SHORT
    require_reproducible(ctx, f"train({s['text']!r}, hidden_size={s['hidden_size']}, seq_length={s['seq_length']}, "
                              f"lr={s['lr']}, n_iter=3, seed={s['seed']})",
                         lambda: ctx.call("train", s["text"], s["hidden_size"], s["seq_length"], s["lr"], 3, s["seed"]),
                         see="train: reproducible from the seed")


def short_run(ctx, global_seed=None) -> TrainRun:
    s = SHORT
    return run_train(ctx, s["text"], s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], s["seed"],
                     global_seed)


# ------------------------------------------------------------------ the contract's loop, replayed


REPLAY_SLIPS = {
    "Adagrad without the square root: the step is lr * g / sqrt(mem[k] + 1e-8), not lr * g / (mem[k] + 1e-8)":
        dict(sqrt=False),
    "the gradients are not clipped before the update (clip_grads(grads, 5.0))": dict(clip=False),
    "the hidden state is not carried from one chunk to the next: use the h_last that loss_and_grads "
    "returns as the next h_prev (reset to zeros only when the pointer wraps)": dict(carry=False),
    "the vocabulary is in order of appearance: the contract's is chars = sorted(set(text))": dict(sorted_vocab=False),
    "the targets are the inputs: targets = text[p + 1 : p + seq_length + 1], the NEXT characters": dict(shift=False),
    "history holds min-char-rnn's smoothed loss (0.999 * smooth + 0.001 * loss); the contract's "
    "history[n] is the loss of iteration n itself": dict(smoothed=True),
}


def _initial_params(ctx, V, hidden_size, seed) -> dict:
    """The submission's init_params for the run (train must start from them), or the reference's."""
    try:
        return params_dict(ctx.call("init_params", V, hidden_size, seed), "init_params", V, hidden_size)
    except (CheckFailed, StudentError):
        return ref.init_params(V, hidden_size, seed)


def check_train_returns(ctx):
    run = short_run(ctx)
    run.params()
    run.history()


def check_train_replays_the_loop(ctx):
    s = SHORT
    require_reproducible_train(ctx)
    run = short_run(ctx)
    params, history = run.params(), run.history()
    V = len(set(s["text"]))
    init = _initial_params(ctx, V, s["hidden_size"], s["seed"])
    args = (s["text"], s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], init)
    expected_params, expected_history = replay(*args)
    variants = {words: replay(*args, **kw) for words, kw in REPLAY_SLIPS.items()}
    context = (f"{run.what} on the text {s['text']!r}: {len(s['text'])} characters, {V} distinct; the chunks "
               f"start at 0 and {s['seq_length']}, then the pointer wraps (and h is reset), and so on. The "
               "grader replays the contract's loop from your init_params(V, hidden_size, seed) with the "
               "reference's loss_and_grads and clip_grads.")
    bad = ~np.isclose(history, expected_history, rtol=1e-5, atol=1e-8)
    if bad.any():
        first = int(np.argmax(bad))
        slip = next((w for w, (_, hist) in variants.items() if np.allclose(history, hist, rtol=1e-5, atol=1e-8)),
                    None)
        if slip is None and first == 0:
            slip = ("history[0] already differs: the loss of the first chunk from the initial parameters. Check "
                    "that train starts from init_params(len(chars), hidden_size, seed), the vocabulary "
                    "(sorted(set(text))), the targets (the next characters) and loss_and_grads' own checks.")
        raise CheckFailed(
            f"train: history[{first}] is {history[first]:.8g}; the contract's loop gives "
            f"{expected_history[first]:.8g}.",
            expected=fmt(expected_history), got=fmt(history), where=f"iteration {first} (the first that differs)",
            slip=slip, details=context)
    for k in KEYS:
        assert_close(params[k], expected_params[k], f"the trained params[{k!r}]", tol="gradient",
                     known={w: v[0][k] for w, v in variants.items()}, context=context)


def check_train_reproducible(ctx):
    runs = [short_run(ctx, global_seed=g) for g in (11, 12)]
    (p1, h1), (p2, h2) = [(r.params(), r.history()) for r in runs]
    differ = [k for k in KEYS if not np.array_equal(p1[k], p2[k])]
    if differ or not np.array_equal(h1, h2):
        raise CheckFailed(
            "train is not reproducible: two runs with the same seed returned different "
            + (f"parameters ({differ})" if differ else "histories") + ".",
            expected="the same result for the same seed",
            got="different results (the two runs differed only in NumPy's global random state)",
            slip="init_params (or train) uses an unseeded generator or NumPy's global one; all randomness "
                 "comes from np.random.default_rng(seed).")


# ------------------------------------------------------------------ the calibrated run


def mark_mismatches(original: str, generated: str, width: int = MARK_WIDTH) -> str:
    """The two texts line by line, newlines shown as '¶', with '^' under every differing character."""
    a, b = original.replace("\n", "¶"), generated.replace("\n", "¶")
    lines = []
    for start in range(0, max(len(a), len(b)), width):
        x, y = a[start: start + width], b[start: start + width]
        marks = "".join("^" if i >= len(y) or i >= len(x) or x[i] != y[i] else " "
                        for i in range(max(len(x), len(y))))
        lines += [f"  text:      {x}", f"  generated: {y}", f"             {marks.rstrip()}"]
    return "\n".join(lines)


def loss_curve(run: TrainRun) -> np.ndarray | None:
    """The history as float64 with non-finite entries kept (a diverged run is worth showing), or
    None when it is not a list of n_iter numbers."""
    try:
        return run.history()
    except CheckFailed as exc:
        if "expected a finite number" not in exc.summary:
            return None
    try:
        curve = np.array(run._pair()[1], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return curve if curve.shape == (run.n_iter,) else None


def history_trend(run: TrainRun, blocks: int = 8) -> str:
    """The mean loss per block of iterations, or why the history cannot be shown."""
    history = loss_curve(run)
    if history is None:
        try:
            run.history()
        except CheckFailed as exc:
            return f"The loss history cannot be shown: {exc.summary}"
        return "The loss history cannot be shown."
    size = max(len(history) // blocks, 1)
    means = [float(np.mean(history[i: i + size])) for i in range(0, len(history), size)]
    text = (f"Mean loss per {size} iterations (your history, summed over a chunk): "
            + ", ".join(f"{m:.3g}" for m in means))
    bad = ~np.isfinite(history)
    if bad.any():
        text += f". The loss is not finite from iteration {int(np.argmax(bad))} on."
    return text


def _trained_slip(run: TrainRun) -> str:
    slip = "check the loss_and_grads, clip_grads and train checks first"
    history = loss_curve(run)
    if history is None or len(history) < 10:
        return slip
    if not np.all(np.isfinite(history)):
        return ("the training diverged (the loss became infinite or NaN): steps far too large, e.g. Adagrad "
                "without its square root or gradients that are not clipped; " + slip)
    tenth = len(history) // 10
    if not history[-tenth:].mean() < 0.5 * history[:tenth].mean():
        return ("the training loss did not go down (less than halved from the first to the last tenth of "
                "training): a wrong gradient or an update in the wrong direction; " + slip)
    return slip


def check_train_trained(ctx):
    t = ctx.check.threshold.for_dataset("faust")
    s, graded = t.settings, graded_text(ctx.session.secret)
    require_reproducible_train(ctx)
    text = graded["text"]
    run = run_train(ctx, text, s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], graded["seed"],
                    seed_shown="<secret seed>")
    params = run.params()
    errors = regeneration_errors(params, text)
    generated = regenerate(params, text)
    trend = history_trend(run)
    summary = (f"{errors} of {len(text) - 1} characters wrong regenerating this course's draw of the Faust "
               "excerpt (its verses in a secret order from a secret start) greedily from its first character "
               f"with the parameters of {run.what}; {run.cpu_s:.1f} s CPU"
               + (f" (the budget is {t.cpu_budget_s:g} s)" if run.cpu_s > t.cpu_budget_s else ""))
    if t.passes(errors):
        return f"{summary}. Passed: {t.describe()}.\n{trend}"
    raise CheckFailed(
        f"train: the trained network does not reproduce the text: {summary}.",
        expected=t.describe(), got=f"{errors} character errors",
        where="the characters marked ^ (a newline is shown as ¶):\n" + mark_mismatches(text[1:], generated),
        slip=_trained_slip(run), details=trend)
