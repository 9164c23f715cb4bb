"""Checks of `train` on tiny problems: the momentum update, the history, the batches and
the shuffling, each judged from what train returns.

train starts from `init_params(V, D, P, seed)` (the docstring), so the grader asks the
submission's own init_params for the starting point p0 and computes the expected
parameters itself, with classical momentum

    v <- momentum * v - lr * g;   p <- p + v          (v starts at zero)

and full-batch gradients g (batch_size = N: one update per epoch, whatever the order,
since the mean loss of a batch does not depend on the order of its examples). One
update cannot tell momentum from plain SGD (v = -lr g either way); two updates can. The
gradients are the reference's; when a submission's own loss_and_grads is wrong and its
train uses it, the update is also accepted with its own gradients, so only the gradient
checks count the gradient slip. PyTorch's form (v = mu v + g; p -= lr v) is the same
update for a constant learning rate and passes.

The order of the examples is not fixed by the contract, only that every epoch visits
every example once, in a fresh random order:
- a last, smaller batch must be used: each example carries a word of its own, and an
  example that never takes part leaves its word's embedding exactly at its initial value;
- the order must change between epochs: with batch_size = 1, momentum = 0 and lr = 1, the
  order of each epoch is decoded from the parameters after it (each of the 4! orders gives
  different parameters), from runs of 1, 2, 3 and 4 epochs at the same seed.
"""

from __future__ import annotations

import itertools

import numpy as np

from graders.assignments.language_model_numpy.problems import (
    KEYS,
    params_dict,
    reference_grads,
    submission_grads_or_none,
    submission_init,
)
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.engine.reproducible import require_reproducible
from graders.sandbox.errors import StudentError

# The update checks' problem: N = 6 examples of V = 10 words (8 and 9 never used), D = 3, P = 4.
UPDATE = {"V": 10, "D": 3, "P": 4, "N": 6, "lr": 0.5, "momentum": 0.9, "seed": 5}
UNUSED_WORDS = (8, 9)


class TrainResult:
    """What one call of the submission's train returned, validated piece by piece."""

    def __init__(self, value, what: str, v: int, d: int, p: int, epochs: int):
        self.value, self.what, self.shape, self.epochs = value, what, (v, d, p), epochs

    def params(self) -> dict:
        pair = expect.sequence(self.value, self.what, 2)
        return params_dict(pair[0], f"the params returned by {self.what}", *self.shape)

    def history(self) -> np.ndarray:
        history = expect.sequence(self.value, self.what, 2)[1]
        if isinstance(history, np.ndarray) and history.ndim == 1:
            history = list(history)
        history = expect.sequence(history, f"the history returned by {self.what}")
        if len(history) != self.epochs:
            raise CheckFailed(f"the history returned by {self.what} has {len(history)} entries; expected one "
                              f"per epoch ({self.epochs}).", expected=f"{self.epochs} floats",
                              got=f"{len(history)} values",
                              slip="one entry per mini-batch: append the epoch's mean loss once, after its "
                                   "batches." if len(history) > self.epochs else None)
        return np.array([expect.scalar(h, f"history[{i}] of {self.what}") for i, h in enumerate(history)])


# The probe of reproducibility (graders.engine.reproducible): a fixed tiny problem with two
# epochs of shuffled mini-batches, so both an unseeded init_params and an unseeded shuffle show.
PROBE = {"V": 8, "D": 2, "P": 3, "N": 5, "lr": 0.5, "momentum": 0.9, "epochs": 2, "batch_size": 2, "seed": 6}


def require_reproducible_train(ctx) -> None:
    """Fail as "not judged" when train (so init_params or the shuffle) ignores its seed: the
    checks that ask the reference about train's parameters judge only a reproducible train."""
    s = PROBE
    contexts = (np.arange(s["N"] * 3).reshape(s["N"], 3) % s["V"]).astype(np.int64)
    targets = ((3 * np.arange(s["N"]) + 1) % s["V"]).astype(np.int64)
    args = (contexts, targets, s["V"], s["D"], s["P"], s["lr"], s["momentum"], s["epochs"], s["batch_size"],
            s["seed"])
    require_reproducible(ctx, f"train(contexts {contexts.shape}, targets, V={s['V']}, D={s['D']}, P={s['P']}, "
                              f"lr={s['lr']:g}, momentum={s['momentum']:g}, epochs={s['epochs']}, "
                              f"batch_size={s['batch_size']}, seed={s['seed']})",
                         lambda: ctx.call("train", *args), see="init_params: reproducible from the seed")


def call_train(ctx, contexts, targets, v, d, p, lr, momentum, epochs, batch_size, seed) -> TrainResult:
    what = (f"train(contexts {contexts.shape}, targets, V={v}, D={d}, P={p}, lr={lr:g}, momentum={momentum:g}, "
            f"epochs={epochs}, batch_size={batch_size}, seed={seed})")
    value = ctx.call("train", contexts, targets, v, d, p, lr, momentum, epochs, batch_size, seed)
    return TrainResult(value, what, v, d, p, epochs)


def update_problem(rng: np.random.Generator):
    n = UPDATE["N"]
    contexts = rng.integers(0, UPDATE["V"] - len(UNUSED_WORDS), size=(n, 3)).astype(np.int64)
    contexts[0, 2] = contexts[0, 0]  # a repeated word, as in real text
    targets = rng.integers(0, UPDATE["V"], size=n).astype(np.int64)
    return contexts, targets


def momentum_path(p0: dict, grad_fn, lr: float, momentum: float, steps: int, *, rule: str = "classical") -> dict:
    """The parameters after `steps` full-batch updates from p0 under an update rule."""
    p = {k: p0[k].copy() for k in KEYS}
    v = {k: np.zeros_like(p0[k]) for k in KEYS}
    for _ in range(steps):
        if rule == "nesterov":
            g = grad_fn({k: p[k] + momentum * v[k] for k in KEYS})
        else:
            g = grad_fn(p)
        for k in KEYS:
            if rule == "plain":
                v[k] = -lr * g[k]
            elif rule == "without lr":
                v[k] = momentum * v[k] - g[k]
            elif rule == "sign":
                v[k] = momentum * v[k] + lr * g[k]
            else:
                v[k] = momentum * v[k] - lr * g[k]
            p[k] = p[k] + v[k]
    return p


UPDATE_SLIPS = {
    "plain": "momentum is ignored (plain SGD, p -= lr * g), or the velocity is reset to zero every epoch: "
             "classical momentum keeps v between updates, v = momentum * v - lr * g; p += v",
    "without lr": "the velocity without the learning rate: v = momentum * v - lr * g",
    "sign": "the update goes up the gradient: v = momentum * v - lr * g (minus), then p += v",
    "nesterov": "Nesterov's momentum (the gradient at p + momentum * v); the contract's is classical momentum, "
                "with the gradient at p",
}


def _matches(got: dict, expected: dict) -> bool:
    return all(np.allclose(got[k], expected[k], rtol=1e-6, atol=1e-9) for k in KEYS)


def _judge_updates(ctx, steps: int):
    u = UPDATE
    require_reproducible_train(ctx)
    contexts, targets = update_problem(ctx.rng)
    p0 = submission_init(ctx, u["V"], u["D"], u["P"], u["seed"])
    run = call_train(ctx, contexts, targets, u["V"], u["D"], u["P"], u["lr"], u["momentum"], steps, u["N"],
                     u["seed"])
    got = run.params()

    def ref_grad(p):
        return reference_grads(p, contexts, targets)[1]

    expected = momentum_path(p0, ref_grad, u["lr"], u["momentum"], steps)
    if _matches(got, expected):
        return None
    own = submission_grads_or_none(ctx, p0, contexts, targets)
    if own is not None:
        def own_grad(p):
            found = submission_grads_or_none(ctx, p, contexts, targets)
            return found[1] if found is not None else ref_grad(p)

        if _matches(got, momentum_path(p0, own_grad, u["lr"], u["momentum"], steps)):
            return ("Your update matches the contract with your own loss_and_grads' gradients; the gradient "
                    "checks grade those.")
    unused = [w for w in UNUSED_WORDS if not np.array_equal(got["E"][w], p0["E"][w])]
    setting = (f"{run.what}: {steps} update{'s' if steps > 1 else ''} of the whole batch (batch_size = N = "
               f"{u['N']}) from p0 = init_params({u['V']}, {u['D']}, {u['P']}, {u['seed']}); contexts = "
               f"{contexts.tolist()}, targets = {targets.tolist()}.")
    if unused:
        raise CheckFailed(
            f"train does not start from init_params: the embeddings of words {unused}, which appear in no "
            "context (their gradient is zero), changed.",
            expected=f"E[{unused[0]}] = {fmt(p0['E'][unused[0]])} (from init_params, never updated)",
            got=fmt(got["E"][unused[0]]),
            slip="train must start from params = init_params(vocab_size, embed_dim, hidden_dim, seed), with the "
                 "same seed; a decay term or an update of every row would also move them.", details=setting)
    if own is not None and not all(np.allclose(own[1][k], ref_grad(p0)[k], rtol=1e-6, atol=1e-9) for k in KEYS):
        setting += (" Note: your loss_and_grads does not give the right gradients here (see its gradient "
                    "checks); the update is judged with the right ones.")
    known = {words: momentum_path(p0, ref_grad, u["lr"], u["momentum"], steps, rule=rule)
             for rule, words in UPDATE_SLIPS.items()}
    known = {words: wrong for words, wrong in known.items() if not _matches(wrong, expected)}  # one step
    for k in KEYS:
        assert_close(got[k], expected[k], f"params[{k!r}] after {run.what}",
                     known={words: wrong[k] for words, wrong in known.items()}
                     | {"the parameters never changed": p0[k]},
                     context=setting + " Expected: v = momentum * v - lr * g (v starts at 0); p += v.")
    return None


def check_train_one_update(ctx):
    return _judge_updates(ctx, steps=1)


def check_train_two_updates(ctx):
    return _judge_updates(ctx, steps=2)


# ------------------------------------------------------------------ history


HISTORY = {"V": 10, "D": 3, "P": 4, "N": 6, "batch_size": 3, "epochs": 3, "seed": 2}


def check_train_history_zero_rate(ctx):
    """With lr = 0 the parameters never change, so history[e] is the mean loss over all N
    examples at the returned parameters, for every e (two whole batches of 3: the
    size-weighted mean of the batch losses that the docstring asks for equals their plain
    mean)."""
    h = HISTORY
    require_reproducible_train(ctx)
    contexts, targets = update_problem(ctx.rng)
    run = call_train(ctx, contexts, targets, h["V"], h["D"], h["P"], 0.0, 0.9, h["epochs"], h["batch_size"],
                     h["seed"])
    params, history = run.params(), run.history()
    expected = reference_grads(params, contexts, targets)[0]
    context = (f"{run.what}; with lr = 0 the parameters never change, so every history[e] is the mean loss over "
               f"all {h['N']} examples at the parameters train returned. history[e]: the batch losses weighted "
               "by batch size / N, each measured before its batch's update.")
    if np.allclose(history, expected, rtol=1e-6, atol=1e-9):
        return None
    own = submission_grads_or_none(ctx, params, contexts, targets)
    if own is not None and abs(own[0] - expected) > 1e-6 * abs(expected):
        slip = (f"your loss_and_grads' loss is not the contract's mean cross-entropy ({own[0]:.6g} on all "
                f"{h['N']} examples; see 'loss_and_grads: loss value'), and history is made of it.")
    elif float(np.ptp(history)) > 1e-9 * abs(expected):
        slip = ("the entries differ from epoch to epoch although the parameters did not change: history[e] is "
                "not the mean over the whole epoch (the last batch's loss, or a running value?), or the "
                "parameters move with lr = 0 (a step without lr).")
    else:
        ratio = float(history[0]) / expected
        n_batches = h["N"] // h["batch_size"]
        named = {float(h["N"]): f"the batch losses times their sizes are added up but not divided by N = {h['N']}",
                 float(n_batches): f"the {n_batches} batch losses are added up, not averaged",
                 float(h["batch_size"]): "each batch loss is multiplied by its size and the sum divided by the "
                                         "number of batches instead of by N"}
        slip = next((words for r, words in named.items() if abs(ratio - r) <= 1e-6 * r), None)
    raise CheckFailed(
        f"train: history is {fmt(history)}, but the mean training loss of every epoch is {expected:.8g}.",
        expected=f"{expected:.10g} in every entry", got=fmt(history),
        diff=f"history[0] / expected = {float(history[0]) / expected:.6g}", slip=slip, details=context)


# ------------------------------------------------------------------ every example, every epoch


PARTIAL = {"V": 9, "D": 2, "P": 3, "N": 5, "batch_size": 2, "lr": 0.5, "momentum": 0.9, "seed": 4}


def check_train_uses_every_example(ctx):
    """Example n's first context word is word n (used nowhere else); words 7 and 8 are
    used by no example. After one epoch of batches 2, 2, 1 (in any order), E[n] has moved
    for every n and E[7], E[8] have not."""
    s = PARTIAL
    n = s["N"]
    contexts = np.column_stack([np.arange(n), ctx.rng.integers(5, 7, size=(n, 2))]).astype(np.int64)
    targets = ctx.rng.integers(0, s["V"], size=n).astype(np.int64)
    p0 = submission_init(ctx, s["V"], s["D"], s["P"], s["seed"])
    run = call_train(ctx, contexts, targets, s["V"], s["D"], s["P"], s["lr"], s["momentum"], 1,
                     s["batch_size"], s["seed"])
    got = run.params()
    setting = (f"{run.what}, contexts = {contexts.tolist()}: example n is the only one with word n, and words "
               "7 and 8 appear in no example.")
    moved_unused = [w for w in (7, 8) if not np.array_equal(got["E"][w], p0["E"][w])]
    if moved_unused:
        raise CheckFailed(f"train does not start from init_params, or updates embeddings no example uses: "
                          f"E[{moved_unused[0]}] changed.", expected=fmt(p0["E"][moved_unused[0]]),
                          got=fmt(got["E"][moved_unused[0]]), details=setting,
                          slip="params = init_params(vocab_size, embed_dim, hidden_dim, seed) with train's seed.")
    idle = [w for w in range(n) if np.array_equal(got["E"][w], p0["E"][w])]
    if idle:
        raise CheckFailed(
            f"train left out {len(idle)} of the {n} examples in an epoch: the embedding of word "
            f"{idle[0]}, used only by example {idle[0]}, never changed.",
            expected=f"all {n} examples used: batches of 2, 2 and 1", got=f"examples {idle} never used",
            slip="the last, smaller batch is dropped: range(0, M, batch_size) with order[i : i + batch_size] "
                 "keeps it (the slice is simply shorter)." if len(idle) == n % s["batch_size"]
            else "some examples are skipped: every epoch visits every example once.", details=setting)


# ------------------------------------------------------------------ a fresh order every epoch


SHUFFLE = {"V": 8, "D": 2, "P": 3, "N": 4, "lr": 1.0, "seed": 7, "epochs": 4}


def shuffle_problem(rng: np.random.Generator):
    """Four different examples (words shared between them at different positions) with
    different targets: each of the 4! orders of one epoch gives different parameters."""
    words = rng.permutation(SHUFFLE["V"])
    contexts = np.array([words[[i, (i + 1) % 8, (i + 4) % 8]] for i in range(SHUFFLE["N"])], dtype=np.int64)
    targets = rng.permutation(SHUFFLE["V"])[: SHUFFLE["N"]].astype(np.int64)
    return contexts, targets


def decode_epoch(start: dict, end: dict, contexts, targets, lr: float, grad_fn) -> tuple[int, ...] | None:
    """The order in which one epoch of single-example SGD steps (lr, no momentum) turns
    `start` into `end`, or None if no order of the examples does."""
    memo: dict[tuple, dict] = {(): start}

    def after(prefix: tuple) -> dict:
        if prefix not in memo:
            p = after(prefix[:-1])
            i = prefix[-1]
            g = grad_fn(p, contexts[i:i + 1], targets[i:i + 1])
            memo[prefix] = {k: p[k] - lr * g[k] for k in KEYS}
        return memo[prefix]

    best, best_gap = None, np.inf
    for order in itertools.permutations(range(len(targets))):
        p = after(order)
        gap = max(float(np.max(np.abs(p[k] - end[k]) / (1e-9 + np.abs(end[k])))) for k in KEYS)
        if gap < best_gap:
            best, best_gap = order, gap
    return best if best_gap < 1e-6 else None


def check_train_reshuffles(ctx):
    s = SHUFFLE
    require_reproducible_train(ctx)
    contexts, targets = shuffle_problem(ctx.rng)
    states = [submission_init(ctx, s["V"], s["D"], s["P"], s["seed"])]
    runs = []
    for epochs in range(1, s["epochs"] + 1):
        runs.append(call_train(ctx, contexts, targets, s["V"], s["D"], s["P"], s["lr"], 0.0, epochs, 1, s["seed"]))
        states.append(runs[-1].params())

    def ref_grad(p, c, t):
        return reference_grads(p, c, t)[1]

    def own_grad(p, c, t):
        found = submission_grads_or_none(ctx, p, c, t)
        if found is None:
            raise CheckFailed("not judged: loss_and_grads gave no valid gradients (see its checks).")
        return found[1]

    orders = []
    for e in range(s["epochs"]):
        order = decode_epoch(states[e], states[e + 1], contexts, targets, s["lr"], ref_grad)
        if order is None and submission_grads_or_none(ctx, states[e], contexts, targets) is not None:
            order = decode_epoch(states[e], states[e + 1], contexts, targets, s["lr"], own_grad)
        if order is None:
            _fail_undecodable(ctx, e, runs, contexts, targets)
        orders.append(order)
    if len(set(orders)) == 1:
        raise CheckFailed(
            f"train visits the examples in the same order in every epoch: {list(orders[0])} in each of epochs "
            f"1 to {s['epochs']} (decoded from the parameters after each epoch).",
            expected="a fresh random order every epoch", got=f"{list(orders[0])} every time",
            slip=("the examples are never shuffled." if orders[0] == tuple(range(s["N"])) else
                  "the generator is re-created inside the epoch loop (np.random.default_rng(seed) gives the same "
                  "permutation each time): create rng once, before the loop, and draw rng.permutation(M) "
                  "every epoch."),
            details=f"{runs[-1].what} and the same call with 1, 2 and 3 epochs, on contexts "
                    f"{contexts.tolist()}, targets {targets.tolist()}: batch_size = 1, momentum = 0, lr = 1.")
    return f"orders of the epochs: {[list(o) for o in orders]}"


def _fail_undecodable(ctx, epoch, runs, contexts, targets):
    """Raise the right CheckFailed when no order of the examples explains an epoch."""
    s = SHUFFLE
    first = runs[epoch].params()
    try:
        again = call_train(ctx, contexts, targets, s["V"], s["D"], s["P"], s["lr"], 0.0, epoch + 1, 1,
                           s["seed"]).params()
    except (CheckFailed, StudentError):
        again = first
    details = (f"{runs[epoch].what} on contexts {contexts.tolist()}, targets {targets.tolist()}; each epoch's "
               "order is decoded from the parameters before and after it (runs of 1, 2, ... epochs).")
    if not all(np.array_equal(first[k], again[k]) for k in KEYS):
        raise CheckFailed(
            "train is not reproducible: two runs with the same seed returned different parameters.",
            expected="the same result for the same seed", got="different parameters", details=details,
            slip="the shuffling uses an unseeded generator (np.random.default_rng() without the seed); make "
                 "all randomness come from rng = np.random.default_rng(seed).")
    raise CheckFailed(
        f"train: epoch {epoch + 1} matches no order of the {s['N']} examples, so whether it reshuffles cannot "
        "be judged.",
        expected=f"with batch_size = 1, momentum = 0 and lr = 1: one step p -= g per example, every example "
                 f"once per epoch (one of the {len(list(itertools.permutations(range(s['N']))))} orders)",
        got="parameters that no order gives", details=details,
        slip="see the other train checks first (the update, the batches); or train(..., epochs=k) does not "
             "begin like train(..., epochs=k + 1) (the order of an epoch must not depend on the number of "
             "epochs), or the examples are drawn with replacement.")
