"""The checks of `char_rnn_numpy`, one `check_<function>_<property>` per check, and the generator.

- `init_params` and `clip_grads`: here;
- `loss_and_grads`: checks_loss.py (values, the dependence on h_prev, carrying the state,
  gradient checks against central differences of the reference loss);
- `sample`: checks_sample.py (a chi-square test of the draws, feeding back, reproducibility);
- `train`: checks_train.py (the contract's loop replayed on a short text, reproducibility,
  and the calibrated bound of thresholds.py on the Faust excerpt).

`clip_grads` is judged on the CALLER's dict after the call (the sandbox echoes the arguments
back): it must clip in place. Its arithmetic is graded on a returned dict when the caller's
was left unchanged, so a clip_grads that returns clipped copies loses only the in-place check.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from graders.assignments.char_rnn_numpy import checks_loss, checks_sample, checks_train
from graders.assignments.char_rnn_numpy.problems import KEYS, H, V, params_dict, random_params, shapes
from graders.assignments.char_rnn_numpy.thresholds import CHECK as TRAINED_CHECK
from graders.assignments.char_rnn_numpy.thresholds import declared
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.common import away_from, inputs_unchanged_check
from graders.engine.compare import assert_close, fmt

CONTRACT = ("init_params", "loss_and_grads", "clip_grads", "sample", "train")
CLIP_LIMITS = (None, 1.5)   # None: the default limit, 5.0
GRAD_RANGE = 9.0            # clip_grads inputs in [-9, 9], none within 1e-3 of +-5 or +-1.5


# ------------------------------------------------------------------ init_params


def check_init_params_shapes(ctx):
    for vocab_size, hidden_size, seed in ((7, 4, 3), (3, 9, 1)):
        params_dict(ctx.call("init_params", vocab_size, hidden_size, seed),
                    f"init_params({vocab_size}, {hidden_size}, {seed})", vocab_size, hidden_size)


def check_init_params_seed(ctx):
    a, b, c = (params_dict(ctx.call("init_params", 7, 4, seed), f"init_params(7, 4, {seed}){note}", 7, 4)
               for seed, note in ((3, ""), (3, ", called again"), (4, "")))
    changed = [k for k in KEYS if not np.array_equal(a[k], b[k])]
    if changed:
        raise CheckFailed(
            "init_params is not reproducible: two calls with the same seed returned different values of "
            f"{changed}.",
            expected="the same parameters for the same seed", got="different parameters",
            slip="a generator that is not seeded with `seed` (np.random.default_rng() with no argument); "
                 "use rng = np.random.default_rng(seed) inside init_params.")
    if all(np.array_equal(a[k], c[k]) for k in ("Wxh", "Whh", "Why")):
        raise CheckFailed(
            "init_params ignores its seed: seeds 3 and 4 gave the same weights.",
            expected="different weights for different seeds", got="identical weights",
            slip="a fixed seed (np.random.default_rng(0)) or NumPy's global generator (np.random.randn, "
                 "as min-char-rnn writes it) instead of np.random.default_rng(seed).")


# ------------------------------------------------------------------ clip_grads


def clip_problem(rng) -> dict[str, np.ndarray]:
    """Gradients of every contract shape in [-9, 9], away from the limits tested (no kink)."""
    return {k: away_from(rng, s, -GRAD_RANGE, GRAD_RANGE, kinks=(-5.0, 5.0, -1.5, 1.5), margin=1e-3)
            for k, s in shapes(V, H).items()}


def _unchanged(before: dict, after) -> bool:
    return isinstance(after, dict) and all(
        isinstance(after.get(k), np.ndarray) and after[k].shape == v.shape and np.array_equal(after[k], v)
        for k, v in before.items())


def _call_clip(ctx, grads, limit):
    """(the caller's dict after the call, the returned value)."""
    args = (grads,) if limit is None else (grads, limit)
    value, after, _ = ctx.call_echo("clip_grads", *args)
    after = expect.sequence(after, "the arguments of clip_grads after the call", len(args))[0]
    return after, value


def check_clip_grads_in_place(ctx):
    grads = clip_problem(ctx.rng)
    after, value = _call_clip(ctx, grads, None)
    if _unchanged(grads, after):
        returned = isinstance(value, dict)
        raise CheckFailed(
            "clip_grads(grads) left the caller's arrays unchanged; the contract clips them IN PLACE (train "
            "calls clip_grads(grads, 5.0) and uses grads afterwards).",
            expected="every entry of the caller's grads outside [-5, 5] clipped after the call",
            got="the same arrays as before" + (f"; it returned {expect.describe_value(value)}" if returned else ""),
            slip=("it returns clipped copies instead of clipping in place: np.clip(g, -limit, limit, out=g) "
                  "writes into g itself." if returned else
                  "the clipped array never reaches the caller: `g = np.clip(g, ...)` rebinds the loop variable "
                  "to a new array; write np.clip(g, -limit, limit, out=g) or g[...] = np.clip(g, ...)."))
    if not isinstance(after, dict) or set(after) != set(grads):
        raise CheckFailed("clip_grads changed the keys of the caller's dict.",
                          expected=str(sorted(grads)), got=expect.describe_value(after))


def _clip_slips(g: np.ndarray, limit: float) -> dict[str, np.ndarray]:
    norm = float(np.linalg.norm(g))
    known = {
        "nothing is clipped (see the in-place check: the clipped values never reach the caller)": g,
        "only the upper bound is clipped: clip to [-limit, limit], e.g. np.clip(g, -limit, limit, out=g)":
            np.minimum(g, limit),
        "clipped to [0, limit]: the lower bound is -limit": np.clip(g, 0.0, limit),
        "the gradient is rescaled by its norm (g * limit / ||g||); the contract clips element by element":
            g * limit / norm if norm > limit else g,
    }
    if limit != 5.0:
        known["clipped to [-5, 5] whatever `limit` is: a hard-coded 5.0"] = np.clip(g, -5.0, 5.0)
    return known


def check_clip_grads_values(ctx):
    for limit in CLIP_LIMITS:
        grads = clip_problem(ctx.rng)
        after, value = _call_clip(ctx, grads, limit)
        clipped = value if _unchanged(grads, after) and isinstance(value, dict) else after
        shown = "clip_grads(grads)" if limit is None else f"clip_grads(grads, {limit})"
        bound = 5.0 if limit is None else limit
        got = params_dict(clipped, f"the grads after {shown}", V, H)
        for k in KEYS:
            assert_close(got[k], np.clip(grads[k], -bound, bound), f"grads[{k!r}] after {shown}", tol="value",
                         known=_clip_slips(grads[k], bound),
                         context=f"Input: grads[{k!r}] = {fmt(grads[k])}, entries in [-{GRAD_RANGE:g}, "
                                 f"{GRAD_RANGE:g}]; entries inside [-{bound:g}, {bound:g}] must be left as they "
                                 "are" + ("; limit is left at its default, 5.0." if limit is None else "."))


def _loss_and_grads_args(ctx):
    """loss_and_grads' arguments, with a nonzero starting state (a write into it shows)."""
    inputs = [int(i) for i in ctx.rng.integers(0, V, 6)]
    targets = [int(i) for i in ctx.rng.integers(0, V, 6)]
    return random_params(ctx.rng), inputs, targets, ctx.rng.normal(0.0, 0.5, H)


def _sample_args(ctx):
    """sample's arguments, with a nonzero starting state (a write into it shows)."""
    return random_params(ctx.rng), ctx.rng.normal(0.0, 0.5, H), 1, 12, 3


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of char_rnn_numpy, in the order of the contract."""
    init, train = ("init_params",), ("train",)
    yield Check("init_params: shapes and dtype", check_init_params_shapes)
    yield Check("init_params: reproducible from the seed, different for another seed", check_init_params_seed,
                kind=Kind.PROPERTY)
    yield Check("loss_and_grads: the loss is the SUM over time steps of -log p_t[target]",
                checks_loss.check_loss_and_grads_loss_value, points=2)
    yield Check("loss_and_grads: h_last is the hidden state after the last input",
                checks_loss.check_loss_and_grads_h_last)
    yield Check("loss_and_grads: the loss depends on h_prev as the recurrence says (its derivative)",
                checks_loss.check_loss_and_grads_h_prev_dependence, kind=Kind.GRADIENT)
    yield Check("loss_and_grads: carrying h_last into the next chunk gives the loss of the whole sequence",
                checks_loss.check_loss_and_grads_carries_state, kind=Kind.PROPERTY)
    for key in KEYS:
        yield Check(f"loss_and_grads: gradient check of {key}",
                    partial(checks_loss.check_loss_and_grads_gradient, key=key), points=2, kind=Kind.GRADIENT)
    yield inputs_unchanged_check("loss_and_grads", _loss_and_grads_args, ("params", "inputs", "targets", "h_prev"))
    yield Check("clip_grads: clips the caller's arrays in place", check_clip_grads_in_place, kind=Kind.PROPERTY)
    yield Check("clip_grads: element-wise to [-limit, limit] (default 5), other entries untouched",
                check_clip_grads_values)
    yield Check("sample: returns n ints in [0, V)", checks_sample.check_sample_returns_indices)
    yield Check("sample: reproducible from the seed, different for another seed",
                checks_sample.check_sample_reproducible, kind=Kind.PROPERTY)
    yield Check("sample: draws follow the model's distribution (chi-square test)",
                checks_sample.check_sample_distribution, points=2, kind=Kind.PROPERTY)
    yield Check("sample: feeds each draw back and carries h (a nearly deterministic model)",
                checks_sample.check_sample_feeds_back)
    yield inputs_unchanged_check("sample", _sample_args, ("params", "h", None, None, None))
    yield Check("train: returns (params, history) with the contract's shapes", checks_train.check_train_returns,
                timeout_s=checks_train.SHORT_TIMEOUT_S)
    yield Check("train: follows min-char-rnn's loop on a short text (pointer, state, clipping, Adagrad)",
                checks_train.check_train_replays_the_loop, points=2, needs=train + init,
                timeout_s=checks_train.SHORT_TIMEOUT_S)
    yield Check("train: reproducible from the seed", checks_train.check_train_reproducible, kind=Kind.PROPERTY,
                timeout_s=2 * checks_train.SHORT_TIMEOUT_S)
    yield Check(TRAINED_CHECK, checks_train.check_train_trained, points=4, kind=Kind.THRESHOLD,
                timeout_s=checks_train.TRAIN_TIMEOUT_S, threshold=declared()[TRAINED_CHECK])
