"""The checks of `train` in `autoencoder_numpy`, through the sandbox task
`tasks.task_train_recording`, which gives the submission's train a recording lr_schedule:
the epochs asked, the history, reproducibility, and the calibrated trained-model bound
(held-out MSE of the returned parameters under the contract's forward pass (problems.reconstruction_mse), against the bound
the check is declared with, `ctx.check.threshold`, see thresholds.py). The calibrated run
trains on the course's secret draw of the digits (thresholds.graded_data: secret held-out
rows, pixel order and seed), so weights prepared in advance for the public digits do not fit
it.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.assignments.autoencoder_numpy.problems import KEYS, params_dict, reconstruction_mse
from graders.assignments.autoencoder_numpy.thresholds import BASELINE_MSE, TRAINED, graded_data
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.common import assert_unchanged
from graders.engine.compare import fmt
from graders.engine.reproducible import require_reproducible
from graders.sandbox.errors import CallTimeout, StudentError

TINY_INIT_STD = 0.015      # weights this small (0.01 * randn: sample std about 0.01) train too slowly


# Cached for the process, not per grade: a pure function of the bundled digits.
@functools.lru_cache(maxsize=1)
def digits():
    """(X_train (1438, 64), X_test (359, 64)): the public split of the digits, whose first
    rows the small runs use (the calibrated run uses the secret draw, thresholds.graded_data)."""
    from dlgrade.data import load_digits, split_train_test

    X, _ = load_digits()
    train_idx, test_idx = split_train_test(len(X), 0.2, seed=0)
    return X[train_idx], X[test_idx]


SMALL = {"rows": 48, "n_hidden": 6, "epochs": 5, "batch_size": 16, "lr": 0.05, "lr_decay": 0.9}


def small_data() -> np.ndarray:
    """The first 48 training digits: 3 mini-batches of 16, so a plain mean of the batch
    losses and the contract's size-weighted mean agree."""
    return digits()[0][: SMALL["rows"]]


class TrainRun:
    """What one run of the submission's train gave, validated piece by piece on demand, so
    that each check fails only for what it checks."""

    def __init__(self, out, X, n_hidden, epochs, batch_size, train_seed, seed_shown=None):
        self.X, self.n_hidden, self.epochs, self.batch_size = X, n_hidden, epochs, batch_size
        shown = train_seed if seed_shown is None else seed_shown
        self.what = f"train(X {X.shape}, {n_hidden}, {epochs}, {batch_size}, lr_schedule, {shown})"
        if not isinstance(out, dict) or "result" not in out:  # the task's own reply: always this shape
            raise CheckFailed("the training task returned an unexpected value (an internal error).")
        self.result = out["result"]
        self.epochs_asked = list(out.get("epochs_asked") or [])
        self.cpu_s = float(out.get("cpu_s") or 0.0)
        self.X_after = out.get("X_after")

    def _pair(self):
        return expect.sequence(self.result, self.what, 2)

    def params(self) -> dict:
        return params_dict(self._pair()[0], f"the params returned by {self.what}", self.X.shape[1],
                           self.n_hidden)

    def history(self, check_length: bool = True) -> np.ndarray:
        history = self._pair()[1]
        if isinstance(history, np.ndarray):  # an array of losses is accepted as the list it holds
            if history.ndim != 1:
                raise CheckFailed(f"the history returned by {self.what} is an array of shape "
                                  f"{history.shape}; expected a list of floats, one per epoch.")
            history = list(history)
        history = expect.sequence(history, f"the history returned by {self.what}")
        if check_length and len(history) != self.epochs:
            n_batches = -(-self.X.shape[0] // self.batch_size)
            raise CheckFailed(
                f"the history returned by {self.what} has {len(history)} entries; expected one per "
                f"epoch ({self.epochs}).",
                expected=f"{self.epochs} floats", got=f"{len(history)} values",
                slip=("one entry per mini-batch: append the epoch's mean loss once, after its batches."
                      if len(history) == self.epochs * n_batches else None))
        return np.array([expect.scalar(v, f"history[{i}] of {self.what}") for i, v in enumerate(history)])


def run_train(ctx, X, n_hidden, epochs, batch_size, lr, lr_decay, train_seed, global_seed=None,
              seed_shown=None, return_x=False) -> TrainRun:
    """The submission's train on X with lr_schedule(e) = lr * lr_decay ** e, in the sandbox
    (seed_shown: what the feedback writes for the seed, when not the seed itself)."""
    # Once train ran out of time in this grade, later train checks fail at once instead of
    # waiting out their own time limits (the runs only get larger).
    timed_out = ctx.shared("train timed out", dict)
    earlier = timed_out.get("train")
    if earlier is not None:
        raise CheckFailed(f"not run: train did not finish in time in an earlier check ({earlier}).",
                          slip="an infinite loop (a while loop whose condition never changes?) or far more "
                               "work than needed (loops over every sample and weight?).")
    try:
        out = ctx.task("train_recording", X=X, n_hidden=n_hidden, epochs=epochs, batch_size=batch_size, lr=lr,
                       lr_decay=lr_decay, train_seed=train_seed, global_seed=global_seed, return_x=return_x)
    except CallTimeout:
        timed_out["train"] = f"'{ctx.check.name}', on {X.shape[0]} rows for {epochs} epochs"
        raise
    return TrainRun(out, X, n_hidden, epochs, batch_size, train_seed, seed_shown)


def small_run(ctx, train_seed, lr=SMALL["lr"], lr_decay=SMALL["lr_decay"], global_seed=None,
              return_x=False) -> TrainRun:
    s = SMALL
    return run_train(ctx, small_data(), s["n_hidden"], s["epochs"], s["batch_size"], lr, lr_decay,
                     train_seed, global_seed, return_x=return_x)


def check_train_inputs_unchanged(ctx):
    """train leaves the caller's X as it was (the task hands train its own copy of X and returns
    that copy after the call; the comparison is made here)."""
    run = small_run(ctx, train_seed=1, return_x=True)
    run.params()  # a stub that trains nothing leaves X unchanged too, and must not earn the points
    X_after = run.X_after if isinstance(run.X_after, np.ndarray) else None
    assert_unchanged("train", "X", run.X, X_after)


def check_train_asks_schedule(ctx):
    asked = small_run(ctx, train_seed=1).epochs_asked
    expected = list(range(SMALL["epochs"]))
    ints = sorted({a for a in asked if isinstance(a, int) and not isinstance(a, bool)})
    others = sorted({str(a) for a in asked if not isinstance(a, int) or isinstance(a, bool)})
    if ints == expected and not others:
        return None
    got = ints + others
    slip = None
    if not asked:
        slip = "lr_schedule is never called: a fixed learning rate is used instead of lr_schedule(epoch)."
    elif got == [0]:
        slip = "lr_schedule is called once, before the loop over epochs; call lr_schedule(epoch) in every epoch."
    elif got == [e + 1 for e in expected]:
        slip = "the epochs are counted from 1 (lr_schedule(epoch + 1)); the first epoch is epoch 0."
    elif not others and set(ints) > set(expected):
        slip = "lr_schedule is asked about something other than the epoch (a batch or step counter?)."
    elif others:
        slip = "lr_schedule is called with something that is not an epoch number."
    shown = ", ".join(map(str, got[:20])) + (" ..." if len(got) > 20 else "")
    raise CheckFailed(
        f"train asked lr_schedule for the epochs [{shown}]; with epochs = {SMALL['epochs']} it must ask "
        f"for each of {expected}.",
        expected=str(expected), got=f"[{shown}]", slip=slip,
        details="lr_schedule(epoch) gives the learning rate of epoch e = 0, 1, ..., epochs - 1 "
                "(calling it once per batch with the epoch number is fine too).")


def require_reproducible_train(ctx) -> None:
    """Fail as "not judged" when train (so init_params or the shuffle) ignores its seed: the
    checks that measure train's parameters with the contract's loss, and the calibrated run's
    bound, judge only a reproducible train (graders.engine.reproducible). The probe: two epochs
    of two mini-batches of the first 32 digits, its replies compared without the CPU time."""
    X, s = small_data()[:32], SMALL

    def probe():
        out = ctx.task("train_recording", X=X, n_hidden=s["n_hidden"], epochs=2, batch_size=16, lr=s["lr"],
                       lr_decay=s["lr_decay"], train_seed=6, global_seed=None, return_x=False)
        return out.get("result") if isinstance(out, dict) else out

    require_reproducible(ctx, f"train(X {X.shape}, {s['n_hidden']}, 2, 16, lr_schedule, 6)", probe,
                         see="train: reproducible from the seed")


def check_train_history_with_zero_rate(ctx):
    """With lr_schedule returning 0 the parameters never change, so every history[e] is the
    loss of the returned params on the whole of X (N is a multiple of batch_size here, so a
    plain mean of the batch losses is right as well as the size-weighted one)."""
    s = SMALL
    require_reproducible_train(ctx)
    run = small_run(ctx, train_seed=2, lr=0.0, lr_decay=1.0)
    params, history = run.params(), run.history()
    X = run.X
    expected = reconstruction_mse(params, X)
    n_batches = X.shape[0] // s["batch_size"]
    context = (f"{X.shape[0]} training rows (the first digits) in {n_batches} mini-batches of "
               f"{s['batch_size']}, lr_schedule returning 0 for every epoch; history = {fmt(history)}. "
               "history[e] is the mean training loss of epoch e: the batch losses weighted by batch size / N.")
    spread = float(np.max(np.abs(history - history[0])))
    if spread > 1e-9 * abs(expected) + 1e-12:
        slip = ("the learning rate that lr_schedule returns is not the one passed to adagrad_update "
                "(a fixed learning rate?): the parameters changed although the rate was 0.")
        try:  # if the returned params are the initial ones, the history itself is wrong
            init = params_dict(ctx.call("init_params", X.shape[1], s["n_hidden"], 2), "init_params", X.shape[1],
                               s["n_hidden"])
            if all(np.array_equal(init[k], params[k]) for k in KEYS):
                slip = ("history[e] is not the mean over the whole epoch: the parameters did not change, "
                        "yet the entries differ (the last batch's loss, or a running value?).")
        except (CheckFailed, StudentError):
            pass
        raise CheckFailed(
            "train: with a learning rate of 0 every history entry must be the same (the parameters do "
            "not change), but history changed from epoch to epoch.",
            expected=f"every entry {expected:.8g}", got=fmt(history), slip=slip, details=context)
    got = float(history[0])
    if abs(got - expected) <= 1e-8 + 1e-5 * abs(expected):
        return None
    ratio = got / expected if expected else float("nan")
    named = {
        float(X.shape[0]): f"the batch losses times their sizes are added up but not divided by N = {X.shape[0]}",
        float(n_batches): f"the {n_batches} batch losses are added up, not averaged",
        float(s["batch_size"]): f"each batch loss times its size ({s['batch_size']}) is added, then divided "
                                "by the number of batches instead of by N",
        0.5: "half the mean squared error: history holds the loss the contract defines, loss(X_hat, X)",
        float(X.size) / X.shape[0]: "the squared errors are averaged over the rows only, not over all N * D "
                                    "elements",
        float(s["batch_size"] * X.shape[1]): "each batch's squared errors are summed, not averaged over its "
                                             "elements (see the loss checks)",
    }
    slip = next((words for r, words in named.items() if abs(ratio - r) <= 1e-6 * r), None)
    raise CheckFailed(
        f"train: history[e] is {got:.8g}, but the mean training loss of every epoch is {expected:.8g} "
        "(with learning rate 0 the parameters never change, so every epoch has the same mean loss).",
        expected=f"{expected:.10g} in every entry", got=fmt(history),
        diff=f"history[0] / expected = {ratio:.6g}", slip=slip, details=context)


def check_train_reproducible(ctx):
    runs = [small_run(ctx, train_seed=3, global_seed=g) for g in (11, 12)]
    (p1, h1), (p2, h2) = [(r.params(), r.history(check_length=False)) for r in runs]
    differ = [k for k in KEYS if not np.array_equal(p1[k], p2[k])]
    if differ or h1.shape != h2.shape or not np.array_equal(h1, h2):
        raise CheckFailed(
            "train is not reproducible: two runs with the same seed returned different "
            + (f"parameters ({differ})" if differ else "histories") + ".",
            expected="the same result for the same seed",
            got="different results (the two runs differed only in NumPy's global random state)",
            slip="the shuffling uses an unseeded generator or NumPy's global one (np.random.permutation, "
                 "np.random.shuffle); make all randomness come from rng = np.random.default_rng(seed).")


def graded(ctx) -> dict:
    """This course's draw of the calibrated run (thresholds.graded_data): the same for every
    check of the grade, whichever check asks first."""
    return ctx.shared("draw", lambda: graded_data(ctx.session.secret))


def trained(ctx) -> TrainRun:
    """The calibrated training run of this grade (run once and shared; so is a failure)."""
    def run():
        data = graded(ctx)
        s = TRAINED.settings["digits"]  # the declared settings (the history check shares this run)
        return run_train(ctx, data["X_train"], s["n_hidden"], s["epochs"], s["batch_size"], s["lr"],
                         s["lr_decay"], train_seed=data["seed"], seed_shown="<secret seed>")
    return ctx.shared("train", run)


def check_train_history_decreases(ctx):
    require_reproducible_train(ctx)
    run = trained(ctx)
    history = run.history()
    params = run.params()
    if not history[-1] < history[0]:
        raise CheckFailed(
            f"{run.what}: the training loss did not go down: history[-1] >= history[0].",
            expected="a decreasing history", got=fmt(history[[0, 1, 2, -2, -1]]) + " (first three, last two)",
            slip="the update goes the wrong way, or the parameters are never updated.")
    final = reconstruction_mse(params, run.X)
    if not abs(history[-1] - final) <= 0.2 * final:
        raise CheckFailed(
            f"{run.what}: history[-1] is not close to the mean training loss of the last epoch.",
            expected=f"about {final:.6g} (the loss of the returned params on the training data, within 20%)",
            got=f"{history[-1]:.6g}",
            slip="history[e] must be the mean loss over the epoch's batches (weights batch size / N), "
                 "not their sum or the last batch's loss.")


def check_train_trained(ctx):
    t = ctx.check.threshold.for_dataset("digits")
    require_reproducible_train(ctx)  # a model that changes from grade to grade passes or fails by chance
    run = trained(ctx)
    params = run.params()
    X_test = graded(ctx)["X_test"]
    value = reconstruction_mse(params, X_test)
    summary = (f"held-out MSE {value:.6g} of {run.what} on this course's draw of the digits (secret held-out "
               f"rows X_test {X_test.shape}, pixel order and seed), measured with the contract's forward pass; "
               f"{run.cpu_s:.1f} s CPU")
    if t.passes(value):
        return f"{summary}. Passed: {t.describe()}; baseline {BASELINE_MSE:.4g}."
    slip = None
    try:
        n_hidden = t.settings["n_hidden"]
        init = params_dict(ctx.call("init_params", 64, n_hidden, graded(ctx)["seed"]), "init_params", 64,
                           n_hidden)
        scale = max(float(init["W1"].std()), float(init["W2"].std()))
        if scale < TINY_INIT_STD:
            slip = (f"init_params draws weights with a standard deviation of {scale:.3g} (0.01 or less, like "
                    "0.01 * randn): too small to train within this budget; scale them like 1 / sqrt(fan-in) "
                    "(He: sqrt(2 / n_in), 0.18 for 64 inputs).")
    except (CheckFailed, StudentError):
        pass
    raise CheckFailed(
        f"train: the trained autoencoder reconstructs held-out digits worse than the calibrated bound "
        f"({summary}).",
        expected=t.describe(), got=f"held-out MSE {value:.6g}",
        diff=f"{value / t.reference_mean:.2f} times the reference's mean; predicting the mean training "
             f"image everywhere gives {BASELINE_MSE:.4g}",
        slip=slip or "check the other train, backward and adagrad_update checks first: a gradient or "
                     "update that goes the wrong way, or a learning rate that is not lr_schedule(epoch).")
