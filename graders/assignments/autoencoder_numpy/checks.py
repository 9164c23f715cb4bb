"""The checks of `autoencoder_numpy`, one `check_<function>_<property>` per check, and the generator.

- `init_params` (here): shapes, reproducibility from the seed, zero biases, a sensible scale;
- `forward`, `loss` (checks_forward_loss.py): values against the reference (also at
  pre-activations of 1e3), and the loss's properties with Hypothesis;
- `backward` (checks_backward.py): one central-difference gradient check per parameter
  tensor. The function differentiated is the REFERENCE loss(forward(params, X)) in the
  grader's process; the analytic gradient is the submission's backward(params, cache, X),
  with the cache from the submission's own forward (passed back unchanged: plain data
  travels as data, any other object as a handle). No hidden pre-activation is within 1e-3
  of relu's kink;
- `adagrad_update` (checks_adagrad.py): in place on the caller's dicts, one step, two
  steps (accumulation), and one step with gradients of the size of an explicit eps;
- forward and loss leave the caller's arrays unchanged (engine inputs_unchanged_check);
- `train` (checks_train.py): through the sandbox task `tasks.task_train_recording`, which
  gives the submission's train a recording lr_schedule: the epochs asked, history,
  reproducibility, and the calibrated trained-model bound (held-out MSE of the returned
  parameters under the contract's forward pass, against the bound it is declared with in thresholds.py).

Shared shapes, problems and validation are in problems.py.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from graders.assignments.autoencoder_numpy.checks_adagrad import (
    check_adagrad_accumulates,
    check_adagrad_in_place,
    check_adagrad_one_step,
    check_adagrad_small_gradients_explicit_eps,
)
from graders.assignments.autoencoder_numpy.checks_backward import (
    check_backward_gradient,
    check_backward_inputs_unchanged,
)
from graders.assignments.autoencoder_numpy.checks_forward_loss import (
    check_forward_large_preactivations,
    check_forward_values,
    check_loss_value,
    check_loss_zero_at_target,
)
from graders.assignments.autoencoder_numpy.checks_train import (
    check_train_asks_schedule,
    check_train_history_decreases,
    check_train_history_with_zero_rate,
    check_train_inputs_unchanged,
    check_train_reproducible,
    check_train_trained,
)
from graders.assignments.autoencoder_numpy.problems import KEYS, params_dict, problem
from graders.assignments.autoencoder_numpy.thresholds import CHECK as TRAINED_CHECK
from graders.assignments.autoencoder_numpy.thresholds import declared
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.common import inputs_unchanged_check
from graders.engine.compare import fmt

CONTRACT = ("init_params", "forward", "loss", "backward", "adagrad_update", "train")
TRAIN_TIMEOUT_S = 90.0     # wall time of the calibrated run (CPU budget 20 s) with slack


# ------------------------------------------------------------------ init_params


def check_init_params_shapes(ctx):
    for d, h, seed in ((10, 4, 3), (3, 8, 1)):
        params_dict(ctx.call("init_params", d, h, seed), f"init_params({d}, {h}, {seed})", d, h)


def check_init_params_seed(ctx):
    a = params_dict(ctx.call("init_params", 10, 4, 3), "init_params(10, 4, 3)", 10, 4)
    b = params_dict(ctx.call("init_params", 10, 4, 3), "init_params(10, 4, 3), called again", 10, 4)
    c = params_dict(ctx.call("init_params", 10, 4, 4), "init_params(10, 4, 4)", 10, 4)
    changed = [k for k in KEYS if not np.array_equal(a[k], b[k])]
    if changed:
        raise CheckFailed(
            "init_params is not reproducible: two calls with the same seed returned different "
            f"values of {changed}.",
            expected="the same parameters for the same seed", got="different parameters",
            slip="a generator that is not seeded with `seed` (np.random.default_rng() with no "
                 "argument, or a generator created outside the function); use "
                 "rng = np.random.default_rng(seed) inside init_params.")
    if np.array_equal(a["W1"], c["W1"]) and np.array_equal(a["W2"], c["W2"]):
        raise CheckFailed(
            "init_params ignores its seed: seeds 3 and 4 gave the same weights.",
            expected="different weights for different seeds", got="identical weights",
            slip="a fixed seed (np.random.default_rng(0)) or NumPy's global generator "
                 "(np.random.randn) instead of np.random.default_rng(seed).")


def check_init_params_zero_biases(ctx):
    p = params_dict(ctx.call("init_params", 10, 4, 3), "init_params(10, 4, 3)", 10, 4)
    for k in ("b1", "b2"):
        if np.any(p[k] != 0):
            raise CheckFailed(
                f"init_params: the bias {k} does not start at zero.", expected="all zeros",
                got=fmt(p[k]), where=f"params[{k!r}]",
                slip="random biases; the contract starts both biases at zero (np.zeros(...)).")


def check_init_params_scale(ctx):
    n_in, n_hidden = 64, 32
    p = params_dict(ctx.call("init_params", n_in, n_hidden, 0), "init_params(64, 32, 0)", n_in, n_hidden)
    for k, fan_in in (("W1", n_in), ("W2", n_hidden)):
        std = float(p[k].std())
        low, high = 0.01 / np.sqrt(fan_in), 3.0 / np.sqrt(fan_in)
        if std == 0.0:
            raise CheckFailed(
                f"init_params: every entry of {k} is the same ({float(p[k].flat[0]):.4g}).",
                expected="random weights", got="a constant matrix",
                slip="weights initialised to zeros (or a constant): every hidden unit then computes "
                     "the same thing and gets the same gradient, so the symmetry is never broken.")
        if not low <= std <= high:
            raise CheckFailed(
                f"init_params: the weights {k} have standard deviation {std:.4g}, outside "
                f"[{low:.3g}, {high:.3g}] = [0.01, 3] / sqrt(fan-in = {fan_in}).",
                expected=f"std near 1/sqrt({fan_in}) = {1 / np.sqrt(fan_in):.3g} (He: sqrt(2/fan-in), "
                         "Glorot: sqrt(2/(fan-in + fan-out)))",
                got=f"std {std:.4g}",
                slip=("unscaled standard normal weights (rng.standard_normal(...) without multiplying by "
                      "a scale like sqrt(2 / fan-in))." if std > high else
                      "weights so small that the signal and the gradients vanish."))


def _forward_args(ctx):
    params, X = problem(ctx.rng)
    return params, X


def _loss_args(ctx):
    _, X = problem(ctx.rng)
    return ctx.rng.uniform(0.05, 0.95, size=X.shape), X


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of autoencoder_numpy, in the order of the contract."""
    yield Check("init_params: shapes and dtype", check_init_params_shapes)
    yield Check("init_params: reproducible from the seed, different for another seed", check_init_params_seed,
                kind=Kind.PROPERTY)
    yield Check("init_params: biases start at zero", check_init_params_zero_biases, points=0.5)
    yield Check("init_params: random weights of a sensible scale", check_init_params_scale,
                kind=Kind.PROPERTY)
    yield Check("forward: values on random inputs", check_forward_values, points=2)
    yield Check("forward: finite and exact at output pre-activations of 1e3", check_forward_large_preactivations)
    yield inputs_unchanged_check("forward", _forward_args, ("params", "X"))
    yield Check("loss: value", check_loss_value)
    yield Check("loss: zero at the target, never negative", check_loss_zero_at_target, kind=Kind.PROPERTY)
    yield inputs_unchanged_check("loss", _loss_args, ("X_hat", "X"))
    for key in KEYS:
        yield Check(f"backward: gradient check of {key}", partial(check_backward_gradient, key=key), points=2,
                    kind=Kind.GRADIENT, needs=("forward", "backward"))
    yield Check("backward: leaves params, cache and X unchanged", check_backward_inputs_unchanged, points=0.5,
                kind=Kind.PROPERTY, needs=("forward", "backward"))
    yield Check("adagrad_update: updates params and state in place", check_adagrad_in_place,
                kind=Kind.PROPERTY)
    yield Check("adagrad_update: one step from an empty state", check_adagrad_one_step, points=2)
    yield Check("adagrad_update: two steps accumulate the squared gradients", check_adagrad_accumulates)
    yield Check("adagrad_update: small gradients and an explicit eps (sqrt(state) + eps)",
                check_adagrad_small_gradients_explicit_eps)
    yield Check("train: asks lr_schedule for every epoch", check_train_asks_schedule, kind=Kind.PROPERTY)
    yield Check("train: history[e] is the mean loss of epoch e (learning rate 0)",
                check_train_history_with_zero_rate)
    yield Check("train: reproducible from the seed", check_train_reproducible, kind=Kind.PROPERTY)
    yield Check("train: leaves its inputs unchanged", check_train_inputs_unchanged, points=0.5, kind=Kind.PROPERTY)
    yield Check("train: history has one mean loss per epoch, decreasing", check_train_history_decreases,
                kind=Kind.PROPERTY, timeout_s=TRAIN_TIMEOUT_S)
    yield Check(TRAINED_CHECK, check_train_trained, points=4, kind=Kind.THRESHOLD,
                timeout_s=TRAIN_TIMEOUT_S, threshold=declared()[TRAINED_CHECK])
