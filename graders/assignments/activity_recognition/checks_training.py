"""Checks of `momentum_update` and of `train` on tiny problems, each judged from what comes back.

momentum_update (classical momentum, in place): two calls from an empty velocity, made by a
sandbox task that keeps the arrays first passed in params, so the check sees whether the
arrays themselves changed (`params[k] += v`) or only the dict's entries (`params[k] =
params[k] + v`, which the contract does not allow: a caller holding the arrays would
never see the update). Expected, with v starting at zero:

    v1 = -lr g1;  p1 = p0 + v1;    v2 = momentum v1 - lr g2;  p2 = p1 + v2

train starts from `init_params(cell, D, ...)` with its seed (the grader asks the submission's
own init_params for p0) and is judged against the update computed here with the
reference's gradients (or the submission's own, when its loss_and_grads is wrong, so only
the gradient checks count that slip). The order of the examples is not fixed by the
contract, only that every epoch visits every example once in a fresh order:
- every example: one epoch of batches 2, 2, 1 of N = 5 series must match one of the 30
  ways of cutting some order into those batches; the 30 ways of two batches of 2 (the
  last, smaller batch dropped) are named;
- a fresh order: with batch_size = 1 and no momentum, the order of each epoch is decoded
  from the parameters after 1, 2 and 3 epochs (every order of the 4 series gives different
  parameters); three identical orders fail (at this seed, the reference's three orders
  differ; a correct shuffle of another kind repeats all three with probability 1/576).
"""

from __future__ import annotations

import itertools

import numpy as np

from graders.assignments.activity_recognition import problems as pb
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.engine.reproducible import require_reproducible
from graders.engine.task_calls import reply, run_task

CELL = "rnn"
TINY = {"T": 3, "D": 2, "H": 4, "dense": (), "K": 3}
UPDATE = {"lr": 0.3, "momentum": 0.9}


# ------------------------------------------------------------------ momentum_update


def velocity_step(v, g, lr: float, mu: float, rule: str = "classical"):
    """The new velocity under an update rule: the contract's ("classical") or a named slip."""
    if rule == "sign":
        return mu * v + lr * g
    if rule == "plain":
        return -lr * g
    if rule == "without lr":
        return mu * v - g
    return mu * v - lr * g


def _momentum_expected(p0, g1, g2, lr, mu, rule="classical"):
    out = []
    p = {k: v.copy() for k, v in p0.items()}
    v = {k: np.zeros_like(x) for k, x in p0.items()}
    for g in (g1, g2):
        for k in p:
            v[k] = velocity_step(v[k], g[k], lr, mu, rule)
            p[k] = p[k] + v[k]
        out.append(({k: x.copy() for k, x in p.items()}, {k: x.copy() for k, x in v.items()}))
    return out


MOMENTUM_SLIPS = {
    "sign": "the momentum sign: the velocity goes up the gradient. v = momentum * v - lr * g (minus), then p += v",
    "plain": "the velocity does not carry over between calls (plain SGD): keep v in the velocity dict and "
             "use it in the next call, v = momentum * v - lr * g",
    "without lr": "the velocity without the learning rate: v = momentum * v - lr * g",
}


def check_momentum_update_two_steps(ctx):
    lr, mu = 0.1, 0.9
    p0 = {"Wx": ctx.rng.standard_normal((2, 3)), "Wh": ctx.rng.standard_normal((3, 3)),
          "b": ctx.rng.standard_normal(3)}
    g1 = {k: ctx.rng.standard_normal(v.shape) for k, v in p0.items()}
    g2 = {k: ctx.rng.standard_normal(v.shape) for k, v in p0.items()}
    what = f"momentum_update(params, grads, velocity, lr={lr}, momentum={mu})"
    out = reply(run_task(ctx, "momentum_two_steps", what, params=p0, grads=[g1, g2], lr=lr, momentum=mu),
                what, ("arrays", "entries", "velocity"))
    expected = _momentum_expected(p0, g1, g2, lr, mu)
    setting = (f"Two calls of {what} from velocity = {{}}; params {{'Wx' (2, 3), 'Wh' (3, 3), 'b' (3,)}}, "
               "grads g1 then g2 (random). Expected: v = momentum * v - lr * g; params[k] += v, for every key.")
    known = {words: _momentum_expected(p0, g1, g2, lr, mu, rule) for rule, words in MOMENTUM_SLIPS.items()}
    for step in range(2):
        exp_p, exp_v = expected[step]
        entries = pb_dict(out["entries"][step], f"params after call {step + 1}", p0)
        for k in p0:
            assert_close(entries[k], exp_p[k], f"params[{k!r}] after call {step + 1} of {what}",
                         known={w: wrong[step][0][k] for w, wrong in known.items()}
                         | {"params never changed": p0[k]}, context=setting)
        arrays = pb_dict(out["arrays"][step], "the arrays", p0)
        moved = [k for k in p0 if not np.allclose(arrays[k], exp_p[k], rtol=1e-9, atol=1e-12)]
        if moved:
            raise CheckFailed(
                f"{what} puts new arrays into params instead of changing its arrays in place: after call "
                f"{step + 1} the array first passed as params[{moved[0]!r}] still holds "
                f"{fmt(arrays[moved[0]])}.", expected=fmt(exp_p[moved[0]]), got=fmt(arrays[moved[0]]),
                slip="params[k] = params[k] + v rebinds the dict's entry; params[k] += v changes the array itself "
                     "(the contract: the arrays themselves change).", details=setting)
        velocity = out["velocity"][step]
        if not isinstance(velocity, dict) or set(velocity) != set(p0):
            raise CheckFailed(f"after call {step + 1} of {what} the velocity dict has the keys "
                              f"{sorted(map(str, velocity)) if isinstance(velocity, dict) else velocity!r}.",
                              expected=str(sorted(p0)), slip="store every key's velocity in the dict you are given "
                              "(velocity[k] = ...), so that it can carry over to the next call.", details=setting)
        for k in p0:
            assert_close(expect.array(velocity[k], f"velocity[{k!r}]", p0[k].shape), exp_v[k],
                         f"velocity[{k!r}] after call {step + 1}", context=setting)


def pb_dict(value, what, like: dict) -> dict:
    return expect.array_dict(value, what, {k: v.shape for k, v in like.items()})


# ------------------------------------------------------------------ train, tiny problems


def tiny_data(rng, n: int):
    X = rng.standard_normal((n, TINY["T"], TINY["D"]))
    y = (np.arange(n) % TINY["K"]).astype(np.int64)
    return X, y


class TrainRun:
    def __init__(self, ctx, X, y, lr, momentum, epochs, batch_size, seed):
        self.what = (f"train(X {X.shape}, y, {CELL!r}, n_hidden={TINY['H']}, dense_dims=[], n_classes={TINY['K']}, "
                     f"lr={lr:g}, momentum={momentum:g}, epochs={epochs}, batch_size={batch_size}, seed={seed})")
        self.epochs = epochs
        self.value = ctx.call("train", X, y, CELL, TINY["H"], [], TINY["K"], lr, momentum, epochs, batch_size, seed)

    def params(self) -> dict:
        pair = expect.sequence(self.value, self.what, 2)
        return pb.params_dict(pair[0], f"the params returned by {self.what}", CELL, TINY["D"], TINY["H"],
                              TINY["dense"], TINY["K"])

    def history(self) -> np.ndarray:
        history = expect.sequence(self.value, self.what, 2)[1]
        if isinstance(history, np.ndarray) and history.ndim == 1:
            history = list(history)
        history = expect.sequence(history, f"the history returned by {self.what}")
        if len(history) != self.epochs:
            raise CheckFailed(f"the history returned by {self.what} has {len(history)} entries; expected one per "
                              f"epoch ({self.epochs}).", expected=f"{self.epochs} floats", got=f"{len(history)} values",
                              slip="one entry per mini-batch: append the epoch's mean loss once, after its batches."
                              if len(history) > self.epochs else None)
        return np.array([expect.scalar(h, f"history[{i}] of {self.what}") for i, h in enumerate(history)])


# The probe of reproducibility (graders.engine.reproducible): a fixed tiny problem with two
# epochs of shuffled mini-batches, so both an unseeded init_params and an unseeded shuffle show.
PROBE = {"n": 5, "lr": 0.5, "momentum": 0.9, "epochs": 2, "batch_size": 2, "seed": 6}


def require_reproducible_train(ctx, cell: str = CELL) -> None:
    """Fail as "not judged" when train (so init_params or the shuffle) ignores its seed: the
    checks that ask the reference about train's parameters, and the trained checks, judge only a
    reproducible train."""
    s = PROBE
    X, y = tiny_data(np.random.default_rng(0), s["n"])
    args = (X, y, cell, TINY["H"], [], TINY["K"], s["lr"], s["momentum"], s["epochs"], s["batch_size"], s["seed"])
    require_reproducible(ctx, f"train(X {X.shape}, y, {cell!r}, n_hidden={TINY['H']}, dense_dims=[], "
                              f"n_classes={TINY['K']}, lr={s['lr']:g}, momentum={s['momentum']:g}, "
                              f"epochs={s['epochs']}, batch_size={s['batch_size']}, seed={s['seed']})",
                         lambda: ctx.call("train", *args), see="init_params: reproducible from the seed")


def submission_init(ctx, seed: int) -> dict:
    what = f"init_params({CELL!r}, {TINY['D']}, {TINY['H']}, [], {TINY['K']}, {seed})"
    return pb.params_dict(ctx.call("init_params", CELL, TINY["D"], TINY["H"], [], TINY["K"], seed), what, CELL,
                          TINY["D"], TINY["H"], TINY["dense"], TINY["K"])


def _grad_fns(ctx, p0, X, y):
    """[reference gradients] + [the submission's own] when they differ at p0."""
    def ref_grad(p, idx):
        return pb.reference_grads(p, X[list(idx)], y[list(idx)], CELL)[1]

    fns = [ref_grad]
    own = pb.submission_grads_or_none(ctx, p0, X, y, CELL)
    if own is not None and not _matches(own[1], ref_grad(p0, range(len(y)))):
        def own_grad(p, idx):
            found = pb.submission_grads_or_none(ctx, p, X[list(idx)], y[list(idx)], CELL)
            return found[1] if found is not None else ref_grad(p, idx)

        fns.append(own_grad)
    return fns


def _matches(got: dict, expected: dict, rtol=1e-6, atol=1e-9) -> bool:
    return all(np.allclose(got[k], expected[k], rtol=rtol, atol=atol) for k in expected)


def _path(p0, grad_fn, batches, lr, mu, memo, rule="classical"):
    """(params, velocity) after the updates on `batches` (index tuples) in turn."""
    key = (rule, tuple(batches))
    if key in memo:
        return memo[key]
    if not batches:
        result = (p0, {k: np.zeros_like(v) for k, v in p0.items()})
    else:
        p, v = _path(p0, grad_fn, batches[:-1], lr, mu, memo, rule)
        g = grad_fn(p, batches[-1])
        step = {k: velocity_step(v[k], g[k], lr, mu, rule) for k in p}
        result = ({k: p[k] + step[k] for k in p}, step)
    memo[key] = result
    return result


def check_train_two_updates(ctx):
    n, seed = 5, 5
    require_reproducible_train(ctx)
    X, y = tiny_data(ctx.rng, n)
    p0 = submission_init(ctx, seed)
    run = TrainRun(ctx, X, y, UPDATE["lr"], UPDATE["momentum"], 2, n, seed)
    got = run.params()
    batches = [tuple(range(n))] * 2
    for fn in _grad_fns(ctx, p0, X, y):
        if _matches(got, _path(p0, fn, batches, UPDATE["lr"], UPDATE["momentum"], {})[0]):
            return None
    ref_fn = _grad_fns(ctx, p0, X, y)[0]
    expected = _path(p0, ref_fn, batches, UPDATE["lr"], UPDATE["momentum"], {})[0]
    known = {words: _path(p0, ref_fn, batches, UPDATE["lr"], UPDATE["momentum"], {}, rule)[0]
             for rule, words in MOMENTUM_SLIPS.items()}
    setting = (f"{run.what}: two updates of the whole batch (batch_size = N = {n}) from p0 = your init_params with "
               "the same seed. Expected: v = momentum * v - lr * g (v starts at 0); params += v.")
    for k in expected:
        assert_close(got[k], expected[k], f"params[{k!r}] after {run.what}",
                     known={w: wrong[k] for w, wrong in known.items()}
                     | {"the parameters never changed (or train does not start from init_params)": p0[k]},
                     context=setting)


def _cuts(n: int, sizes) -> list[tuple[tuple[int, ...], ...]]:
    """Every way of visiting len(sizes) batches of these sizes, of distinct examples of range(n)."""
    found = set()
    for order in itertools.permutations(range(n)):
        out, start = [], 0
        for s in sizes:
            out.append(tuple(sorted(order[start:start + s])))
            start += s
        found.add(tuple(out))
    return sorted(found)


def check_train_uses_every_example(ctx):
    n, batch, seed, lr, mu = 5, 2, 4, 0.5, 0.9
    require_reproducible_train(ctx)
    X, y = tiny_data(ctx.rng, n)
    p0 = submission_init(ctx, seed)
    run = TrainRun(ctx, X, y, lr, mu, 1, batch, seed)
    got = run.params()
    fns = _grad_fns(ctx, p0, X, y)
    for fn in fns:
        memo = {}
        if any(_matches(got, _path(p0, fn, list(c), lr, mu, memo)[0]) for c in _cuts(n, (2, 2, 1))):
            return None
    setting = f"{run.what} on {n} series: one epoch of batches of 2, 2 and 1, in any order of the series."
    for fn in fns:
        memo = {}
        if any(_matches(got, _path(p0, fn, list(c), lr, mu, memo)[0]) for c in _cuts(n, (2, 2))):
            raise CheckFailed("train drops the last, smaller batch: the parameters after one epoch are those of two "
                              f"batches of 2, and one of the {n} series is never used.",
                              expected=f"all {n} series used: batches of 2, 2 and 1", got="batches of 2 and 2",
                              slip="range(0, N, batch_size) with order[start : start + batch_size] keeps the last "
                                   "batch (the slice is simply shorter).", details=setting)
    raise CheckFailed("train: the parameters after one epoch are not those of any order that visits every series "
                      "once in batches of 2, 2 and 1 (with momentum, from init_params).",
                      slip="see the other train checks first (the update, momentum_update); or examples are drawn "
                           "with replacement, or some are visited twice.", details=setting)


def _decode(start: dict, end: dict, fn, lr: float, n: int) -> tuple[int, ...] | None:
    """The order of single-series plain SGD steps (lr, no momentum) that turns start into end."""
    memo: dict = {}
    for order in itertools.permutations(range(n)):
        if _matches(end, _path(start, fn, [(i,) for i in order], lr, 0.0, memo)[0], rtol=1e-7, atol=1e-10):
            return order
    return None


def check_train_reshuffles(ctx):
    n, seed, lr, epochs = 4, 7, 0.5, 3
    require_reproducible_train(ctx)
    X, y = tiny_data(ctx.rng, n)
    p0 = submission_init(ctx, seed)
    ends = [p0] + [TrainRun(ctx, X, y, lr, 0.0, e, 1, seed).params() for e in range(1, epochs + 1)]
    what = (f"train(X {X.shape}, y, {CELL!r}, n_hidden={TINY['H']}, dense_dims=[], n_classes={TINY['K']}, lr={lr}, "
            f"momentum=0, epochs=1, 2, 3, batch_size=1, seed={seed})")
    fns = _grad_fns(ctx, p0, X, y)
    for fn in fns:
        orders = []
        for e in range(epochs):
            order = _decode(ends[e], ends[e + 1], fn, lr, n)
            if order is None:
                break
            orders.append(order)
        if len(orders) == epochs:
            break
    else:
        raise CheckFailed(f"{what}: the parameters after some epoch are not those of any order of the {n} series "
                          "(one single-series step each, no momentum).", details=f"decoded orders: {orders}",
                          slip="see the other train checks first; or train(..., epochs=k) does not begin like "
                               "train(..., epochs=k + 1) (one generator for the whole run, its permutations drawn "
                               "epoch by epoch), or the series are drawn with replacement.")
    if len(set(orders)) == 1:
        raise CheckFailed(f"train visits the series in the same order in every epoch: {list(orders[0])} in each of "
                          f"epochs 1 to {epochs}.", expected="a fresh order each epoch",
                          got=str([list(o) for o in orders]),
                          slip="the generator is created again inside the epoch loop (np.random.default_rng(seed) "
                               "once, before the loop), or the order is drawn once before the loop.",
                          details=what)


def check_train_history_zero_rate(ctx):
    n, batch, epochs, seed = 6, 3, 3, 2
    require_reproducible_train(ctx)
    X, y = tiny_data(ctx.rng, n)
    run = TrainRun(ctx, X, y, 0.0, 0.9, epochs, batch, seed)
    params, history = run.params(), run.history()
    expected = pb.reference_loss(params, X, y, CELL)
    if np.allclose(history, expected, rtol=1e-6, atol=1e-9):
        return None
    raise CheckFailed(
        f"train: history is {fmt(history)}, but with lr = 0 the mean loss of every epoch is {expected:.8g}.",
        expected=f"{expected:.10g} in every entry", got=fmt(history),
        diff=f"history[0] / expected = {float(history[0]) / expected:.6g}",
        slip=("the entries differ from epoch to epoch: history[e] is not the mean over the whole epoch (the last "
              "batch's loss?)" if float(np.ptp(history)) > 1e-9 else
              "history[e] is the batch losses weighted by batch size / N (here two batches of 3), each measured "
              "before its batch's update"), details=run.what)
