"""The checks of `autoencoder_numpy`, one `check_<function>_<property>` per check.

- `init_params`: shapes, reproducibility from the seed, zero biases, a sensible scale;
- `forward`, `loss`: values against the reference (also at pre-activations of 1e3),
  and the loss's properties with Hypothesis;
- `backward`: one central-difference gradient check per parameter tensor. The function
  differentiated is the REFERENCE loss(forward(params, X)) in the grader's process; the
  analytic gradient is the submission's backward(params, cache, X), with the cache from
  the submission's own forward (passed back unchanged: plain data travels as data, any
  other object as a handle). No hidden pre-activation is within 1e-3 of relu's kink;
- `adagrad_update`: in place on the caller's dicts, one step, and two steps (accumulation);
- `train`: through the sandbox task `tasks.task_train_recording`, which gives the
  submission's train a recording lr_schedule: the epochs asked, history, reproducibility,
  and the calibrated trained-model bound (held-out MSE of the returned parameters under
  the REFERENCE forward pass, THRESHOLDS in thresholds.py).
"""

from __future__ import annotations

import functools
import weakref
from functools import partial

import numpy as np
from hypothesis import strategies as st

from graders.assignments.autoencoder_numpy.thresholds import (
    BASELINE_MSE,
    CHECK as TRAINED_CHECK,
    THRESHOLDS,
)
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.compare import assert_close, assert_scalar_close, fmt
from graders.engine.gradcheck import assert_gradient
from graders.engine.properties import check_property, floats_array, matrix_shapes
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError
from graders.sandbox.wire import Handle, Ref
from reference.numpy import autoencoder_numpy as ref

CONTRACT = ("init_params", "forward", "loss", "backward", "adagrad_update", "train")
KEYS = ("W1", "b1", "W2", "b2")
N, D, H = 6, 7, 5          # a small problem: N, D and H all different, so slips have names
KINK_MARGIN = 1e-3         # no hidden pre-activation this close to relu's kink at 0
LR = 0.1                   # adagrad checks
TRAIN_TIMEOUT_S = 90.0     # wall time of the calibrated run (CPU budget 20 s) with slack
TINY_INIT_STD = 0.015      # weights this small (0.01 * randn: sample std about 0.01) train too slowly


def shapes(d: int, h: int) -> dict[str, tuple]:
    return {"W1": (d, h), "b1": (h,), "W2": (h, d), "b2": (d,)}


# ------------------------------------------------------------------ shared helpers


def problem(rng: np.random.Generator, n: int = N, d: int = D, h: int = H):
    """(params, X): X in [0, 1], random params with non-zero biases and no hidden
    pre-activation within KINK_MARGIN of 0, and both signs present (the mask matters)."""
    X = rng.uniform(0.0, 1.0, size=(n, d))
    for _ in range(1000):
        params = {
            "W1": rng.normal(0.0, 0.7, size=(d, h)),
            "b1": rng.normal(0.0, 0.3, size=h),
            "W2": rng.normal(0.0, 0.7, size=(h, d)),
            "b2": rng.normal(0.0, 0.3, size=d),
        }
        Z1 = X @ params["W1"] + params["b1"]
        if np.abs(Z1).min() > KINK_MARGIN and (Z1 > 0).any() and (Z1 < 0).any():
            return params, X
    raise RuntimeError("could not draw parameters away from relu's kink")


def copy_params(params: dict) -> dict:
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}


def pass_back(value):
    """A value that came back from the sandbox, ready to be sent back as an argument:
    handles (objects kept in the sandbox) become references to the same objects."""
    if isinstance(value, Handle):
        return Ref(value)
    if isinstance(value, tuple):
        return tuple(pass_back(v) for v in value)
    if isinstance(value, list):
        return [pass_back(v) for v in value]
    if isinstance(value, dict):
        return {k: pass_back(v) for k, v in value.items()}
    return value


def describe_problem(params: dict, X: np.ndarray) -> str:
    return (f"Inputs: X of shape {X.shape} with values in [0, 1]; params with shapes "
            + ", ".join(f"{k} {params[k].shape}" for k in KEYS)
            + " (random, non-zero biases; no hidden pre-activation within 1e-3 of 0).")


def call_forward(ctx, params, X, what="forward(params, X)"):
    """(X_hat validated as an (N, D) float64 array in [0, 1], cache as returned)."""
    out = expect.sequence(ctx.call("forward", params, X), what, 2)
    X_hat = expect.array(out[0], f"{what}[0] (X_hat)", X.shape)
    return X_hat, out[1]


def params_dict(value, what: str, d: int, h: int) -> dict:
    return expect.array_dict(value, what, shapes(d, h))


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


# ------------------------------------------------------------------ forward


def forward_slips(params, X) -> dict[str, np.ndarray]:
    Z1 = X @ params["W1"] + params["b1"]
    Hr = ref.relu(Z1)
    return {
        "the output bias b2 is not added (Z2 = H W2 + b2)": ref.sigmoid(Hr @ params["W2"]),
        "the hidden bias b1 is not added (Z1 = X W1 + b1)": ref.sigmoid(ref.relu(X @ params["W1"]) @ params["W2"]
                                                                      + params["b2"]),
        "a sigmoid in the hidden layer: the contract's code is H = relu(X W1 + b1)":
            ref.sigmoid(ref.sigmoid(Z1) @ params["W2"] + params["b2"]),
        "no sigmoid on the output: X_hat = sigmoid(H W2 + b2)": Hr @ params["W2"] + params["b2"],
    }


def check_forward_values(ctx):
    params, X = problem(ctx.rng)
    expected, _ = ref.forward(params, X)
    X_hat, _ = call_forward(ctx, params, X)
    assert_close(X_hat, expected, "forward(params, X)[0] (X_hat)", known=forward_slips(params, X),
                 context=describe_problem(params, X))


def check_forward_large_preactivations(ctx):
    """Output pre-activations Z2 of magnitude up to 1e3: X_hat finite, in [0, 1], exact."""
    params, X = problem(ctx.rng, n=3)
    params["W2"] = params["W2"] * 1e-3
    params["b2"] = np.array([-1e3, -750.0, -40.0, 0.5, 40.0, 750.0, 1e3])
    expected, _ = ref.forward(params, X)
    what = "forward(params, X)[0] with output pre-activations up to |Z2| = 1e3"
    X_hat, _ = call_forward(ctx, params, X, what=what)  # validated finite
    if np.any(X_hat < 0) or np.any(X_hat > 1):
        raise CheckFailed(f"{what} left [0, 1].", got=f"min {X_hat.min():.6g}, max {X_hat.max():.6g}")
    assert_close(X_hat, expected, what,
                 context=f"b2 = {fmt(params['b2'])}; W2 scaled down so that Z2 is close to b2.")


# ------------------------------------------------------------------ loss


def check_loss_value(ctx):
    X_hat = ctx.rng.uniform(0.05, 0.95, size=(N, D))
    X = ctx.rng.uniform(0.0, 1.0, size=(N, D))
    got = expect.scalar(ctx.call("loss", X_hat, X), "loss(X_hat, X)")
    expected = ref.loss(X_hat, X)
    context = f"Inputs: X_hat and X of shape {X.shape}, X_hat = {fmt(X_hat)}"
    known = {
        "the differences are not squared: mean of (X_hat - X)**2, not of X_hat - X": np.mean(X_hat - X),
        "the absolute error (L1), not the squared error": np.mean(np.abs(X_hat - X)),
        "the root of the mean square (RMSE), not the mean square": np.sqrt(expected),
        "the squared error summed over the features and averaged over the rows only: the mean is over "
        "all N * D elements": np.sum((X_hat - X) ** 2) / N,
    }
    for words, wrong in known.items():
        if abs(got - expected) > 1e-8 and abs(got - wrong) <= 1e-9 + 1e-6 * abs(wrong):
            raise CheckFailed(f"loss(X_hat, X) is {got:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                              got=f"{got:.10g}", slip=words, details=context)
    assert_scalar_close(got, expected, "loss(X_hat, X)", batch_size=N, size=N * D, context=context)


def check_loss_zero_at_target(ctx):
    """loss(X, X) = 0 and loss(1 - X, X) >= 0, on shapes and values Hypothesis draws."""
    def prop(X):
        at_target = expect.scalar(ctx.call("loss", X, X.copy()), "loss(X, X)")
        if abs(at_target) > 1e-12:
            raise CheckFailed("loss(X, X) must be 0: the reconstruction equals its target.",
                              expected="0", got=f"{at_target:.6g}")
        other = expect.scalar(ctx.call("loss", 1.0 - X, X), "loss(1 - X, X)")
        if other < 0:
            raise CheckFailed("loss(X_hat, X) is negative; a mean of squares never is.",
                              expected=">= 0", got=f"{other:.6g}",
                              slip="the differences are not squared (mean of X_hat - X).")
    check_property(prop, floats_array(matrix_shapes(), 0.0, 1.0), max_examples=25)


# ------------------------------------------------------------------ backward


def backward_variant(params, X, *, scale=1.0, bias_scale=1.0, sigmoid_derivative="s(1-s)",
                     relu_mask=True, dH_matrix="W2.T") -> dict[str, np.ndarray]:
    """The reference's backward pass, with one of the common slips switched on."""
    X_hat, (Z1, Hr, _) = ref.forward(params, X)
    dX_hat = scale * 2.0 * (X_hat - X) / X.size
    dZ2 = {"s(1-s)": dX_hat * X_hat * (1.0 - X_hat), "none": dX_hat, "s": dX_hat * X_hat}[sigmoid_derivative]
    dH = dZ2 @ (params["W2"].T if dH_matrix == "W2.T" else params["W1"])
    dZ1 = dH * (Z1 > 0) if relu_mask else dH
    return {"W1": X.T @ dZ1, "b1": bias_scale * dZ1.sum(axis=0),
            "W2": Hr.T @ dZ2, "b2": bias_scale * dZ2.sum(axis=0)}


def backward_slips(params, X, key) -> dict[str, np.ndarray]:
    """Common wrong gradients of params[key], by the slip's name, on this input."""
    n, d = X.shape
    slips = {
        "the MSE gradient without 1/size: dX_hat = 2 (X_hat - X) / M with M = X.size = N * D, "
        "the number of elements the loss averages over":
            backward_variant(params, X, scale=X.size),
        f"the MSE gradient divided by N (the batch size) only: the loss averages over all "
        f"N * D elements, so divide by X.size, not X.shape[0] ({d} times too large)":
            backward_variant(params, X, scale=d),
        "the sigmoid derivative is missing: dZ2 = dX_hat * X_hat * (1 - X_hat)":
            backward_variant(params, X, sigmoid_derivative="none"),
        "the sigmoid derivative without (1 - s): dZ2 = dX_hat * s * (1 - s), s = X_hat":
            backward_variant(params, X, sigmoid_derivative="s"),
        "the relu mask is missing: dZ1 = dH * 1[Z1 > 0]":
            backward_variant(params, X, relu_mask=False),
        "the wrong weight matrix: dH = dZ2 @ W2.T (W2.T has the shape of W1, but W1 is not "
        "the matrix that carried H forward)":
            backward_variant(params, X, dH_matrix="W1"),
    }
    if key in ("b1", "b2"):
        slips = {f"the bias gradient averaged over the batch instead of summed: b is added to every "
                 f"row, so d{key} = sum over the batch (axis=0), not the mean ({n} times too small)":
                 backward_variant(params, X, bias_scale=1.0 / n), **slips}
    return {words: grads[key] for words, grads in slips.items()}


def check_backward_gradient(ctx, key):
    params, X = problem(ctx.rng)
    what = "backward(params, cache, X)"
    X_hat, cache = call_forward(ctx, params, X)
    grads = ctx.call("backward", params, pass_back(cache), X)
    if not isinstance(grads, dict):
        raise CheckFailed(f"{what} returned {expect.describe_value(grads)}; expected a dict of gradients "
                          f"with the keys {list(KEYS)}.", got=expect.describe_value(grads))
    if key not in grads:
        raise CheckFailed(f"{what} returned no gradient for {key!r}.", expected=str(list(KEYS)),
                          got=str(sorted(map(str, grads))))
    analytic = expect.array(grads[key], f"{what}[{key!r}]", params[key].shape)
    context = describe_problem(params, X)
    expected_hat, _ = ref.forward(params, X)
    if not np.allclose(X_hat, expected_hat, rtol=1e-6, atol=1e-9):
        context += ("\nNote: your forward pass does not give the expected X_hat on this input (see the "
                    "check 'forward: values on random inputs'); backward uses its cache, so fix forward first.")

    def f(p):
        return ref.loss(ref.forward(p, X)[0], X)

    assert_gradient(f, params, key, analytic, f"{what}[{key!r}]", rng=ctx.rng, batch_size=X.shape[0],
                    context=context, known=backward_slips(params, X, key))


def _unchanged(before, after, name: str) -> str | None:
    """The first argument part that changed, or None (handles are not compared)."""
    if isinstance(before, np.ndarray):
        if (not isinstance(after, np.ndarray) or after.shape != before.shape
                or not np.array_equal(after, before, equal_nan=True)):
            return name
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return name
        for k, v in before.items():
            found = _unchanged(v, after.get(k), f"{name}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(before, (tuple, list)):
        if not isinstance(after, (tuple, list)) or len(after) != len(before):
            return name
        for i, (v, w) in enumerate(zip(before, after)):
            found = _unchanged(v, w, f"{name}[{i}]")
            if found:
                return found
    return None


def check_backward_inputs_unchanged(ctx):
    params, X = problem(ctx.rng)
    _, cache = call_forward(ctx, params, X)
    _, after, _ = ctx.call_echo("backward", params, pass_back(cache), X)
    after = expect.sequence(after, "the arguments of backward after the call", 3)
    for name, before, now in (("params", params, after[0]), ("cache", cache, after[1]), ("X", X, after[2])):
        changed = _unchanged(before, now, name)
        if changed:
            raise CheckFailed(
                f"backward modified its argument {changed} in place.",
                expected="params, cache and X left as they were", got=f"{changed} changed",
                slip="an in-place operation on an array that belongs to the caller, e.g. "
                     "d = X_hat; d -= X (d is the same array as the cached X_hat); "
                     "write d = X_hat - X, which makes a new array.")


# ------------------------------------------------------------------ adagrad_update


def adagrad_inputs(rng):
    params, _ = problem(rng, n=2, d=4, h=3)
    grads = {k: rng.uniform(0.5, 2.0, size=v.shape) * rng.choice([-1.0, 1.0], size=v.shape)
             for k, v in params.items()}
    return params, grads


def adagrad_expected(params, grads, state):
    p, s = copy_params(params), copy_params(state)
    ref.adagrad_update(p, grads, s, LR)
    return p, s


def adagrad_slips(params, grads, state, key) -> dict[str, np.ndarray]:
    s = state.get(key, 0.0) + grads[key] ** 2
    g, p = grads[key], params[key]
    return {
        "Adagrad without the square root: the step is lr * g / (sqrt(state) + eps)":
            p - LR * g / (s + 1e-8),
        "the state is replaced, not accumulated: state[k] += g**2 (a sum over all steps so far), "
        "not state[k] = g**2":
            p - LR * g / (np.abs(g) + 1e-8),
        "the step has the wrong sign: params[k] -= ... (a descent step)": p + LR * g / (np.sqrt(s) + 1e-8),
        "the step uses the state before this step's g**2 is added": p - LR * g / (np.sqrt(s - g ** 2) + 1e-8),
    }


def call_adagrad(ctx, params, grads, state, what):
    """(params after, state after, returned value): the caller's dicts after the call."""
    value, after, _ = ctx.call_echo("adagrad_update", params, grads, state, LR)
    after = expect.sequence(after, f"the arguments of {what} after the call", 4)
    return after[0], after[2], value, after[1]


def updated_params(p_after, value, params) -> dict | None:
    """The parameters the submission computed: the caller's dict if it changed, otherwise a
    returned dict (so that the arithmetic is graded apart from the in-place contract)."""
    if isinstance(p_after, dict) and _unchanged(params, p_after, "params") is not None:
        return p_after
    if isinstance(value, dict):
        return value
    return p_after


def check_adagrad_in_place(ctx):
    params, grads = adagrad_inputs(ctx.rng)
    what = "adagrad_update(params, grads, state={}, lr)"
    p_after, s_after, value, g_after = call_adagrad(ctx, params, grads, {}, what)
    if _unchanged(params, p_after, "params") is None:
        returned = isinstance(value, (dict, tuple, list))
        raise CheckFailed(
            f"{what} left the caller's params unchanged.",
            expected="params updated in place (the caller's dict holds the new values after the call)",
            got="the same params as before" + (f"; it returned {expect.describe_value(value)}" if returned else ""),
            slip=("it returns a new dict instead of updating in place: write params[k] -= ... (or "
                  "params[k] = ...) inside the function; the contract returns None."
                  if returned else "the update never reaches the caller's dict: `params = ...` or "
                  "`p = p - ...` on a loop variable rebinds a local name; write params[k] -= ...."))
    if not isinstance(s_after, dict) or not all(k in s_after for k in KEYS):
        raise CheckFailed(
            f"{what} did not fill the caller's state dict in place.",
            expected=f"state with the keys {list(KEYS)} after the call",
            got=f"{expect.describe_value(s_after)}"
                + (f" with keys {sorted(map(str, s_after))}" if isinstance(s_after, dict) else ""),
            slip="`state = {...}` (or state = dict(...)) makes a new local dict and the caller's stays "
                 "empty; add the keys to the dict you were given: state[k] = np.zeros_like(params[k]).")
    changed = _unchanged(grads, g_after, "grads")
    if changed:
        raise CheckFailed(f"{what} modified {changed} in place.", expected="grads left as they were",
                          slip="an in-place operation on a gradient (g **= 2, g *= g); compute g * g "
                               "into a new array.")


def compare_adagrad(got_params, got_state, expected_params, expected_state, params, grads, state,
                    what):
    got_params = params_dict(got_params, f"the params after {what}", 4, 3)
    for k in KEYS:
        assert_close(got_params[k], expected_params[k], f"params[{k!r}] after {what}",
                     known=adagrad_slips(params, grads, state, k),
                     context=f"Inputs: params[{k!r}] = {fmt(params[k])}; grads[{k!r}] = {fmt(grads[k])}; "
                             f"state[{k!r}] = {fmt(state[k]) if k in state else 'missing (starts at 0)'}; "
                             f"lr = {LR}")
    if not isinstance(got_state, dict):
        raise CheckFailed(f"the state after {what} is {expect.describe_value(got_state)}; expected a dict.")
    for k in KEYS:
        if k not in got_state:
            raise CheckFailed(f"the state after {what} has no entry {k!r}.",
                              slip="state is filled in place: state[k] = ... inside the function.")
        s = expect.array(got_state[k], f"state[{k!r}] after {what}", expected_state[k].shape)
        assert_close(s, expected_state[k], f"state[{k!r}] after {what}",
                     known={"state[k] = g**2 replaces the sum instead of accumulating it (state[k] += g**2)":
                            grads[k] ** 2, "the gradients, not their squares, are added": state.get(k, 0.0) + grads[k]})


def check_adagrad_one_step(ctx):
    params, grads = adagrad_inputs(ctx.rng)
    what = "adagrad_update(params, grads, state={}, lr)"
    p_after, s_after, value, _ = call_adagrad(ctx, params, grads, {}, what)
    expected_p, expected_s = adagrad_expected(params, grads, {})
    compare_adagrad(updated_params(p_after, value, params), s_after, expected_p, expected_s,
                    params, grads, {}, what)


def check_adagrad_accumulates(ctx):
    params, grads = adagrad_inputs(ctx.rng)
    _, grads2 = adagrad_inputs(ctx.rng)
    first = "the first adagrad_update(params, grads, state={}, lr)"
    p1, s1, value, _ = call_adagrad(ctx, params, grads, {}, first)
    p1 = params_dict(updated_params(p1, value, params), f"the params after {first}", 4, 3)
    if not isinstance(s1, dict) or not all(k in s1 for k in KEYS):
        raise CheckFailed(f"the caller's state is not filled after {first}, so nothing can accumulate.",
                          got=expect.describe_value(s1),
                          slip="`state = {...}` rebinds a local name; fill the dict you were given.")
    s1 = {k: expect.array(s1[k], f"state[{k!r}] after {first}", params[k].shape) for k in KEYS}
    second = "a second adagrad_update with the state of the first"
    p2, s2, value2, _ = call_adagrad(ctx, p1, grads2, s1, second)
    expected_p, expected_s = adagrad_expected(p1, grads2, s1)
    compare_adagrad(updated_params(p2, value2, p1), s2, expected_p, expected_s, p1, grads2, s1, second)


# ------------------------------------------------------------------ train


@functools.lru_cache(maxsize=1)
def digits():
    """(X_train (1438, 64), X_test (359, 64)) of the calibration (see calibrate.digits_split).

    Read straight from scikit-learn's bundled digits.csv.gz when it is there: importing
    scikit-learn costs seconds of a grade, reading its file a few milliseconds. The values
    are those of `dlgrade.data.load_digits` (a test checks that they are identical).
    """
    from dlgrade.data import split_train_test

    X = _digits_from_csv()
    if X is None:
        from dlgrade.data import load_digits

        X, _ = load_digits()
    train_idx, test_idx = split_train_test(len(X), 0.2, seed=0)
    return X[train_idx], X[test_idx]


def _digits_from_csv() -> np.ndarray | None:
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as fh:
                data = np.loadtxt(fh, delimiter=",")
            if data.shape == (1797, 65):
                return data[:, :-1].astype(np.float64) / 16.0
    return None


SMALL = {"rows": 48, "n_hidden": 6, "epochs": 5, "batch_size": 16, "lr": 0.05, "lr_decay": 0.9}


def small_data() -> np.ndarray:
    """The first 48 training digits: 3 mini-batches of 16, so a plain mean of the batch
    losses and the contract's size-weighted mean agree."""
    return digits()[0][: SMALL["rows"]]


class TrainRun:
    """What one run of the submission's train gave, validated piece by piece on demand, so
    that each check fails only for what it checks."""

    def __init__(self, out, X, n_hidden, epochs, batch_size, train_seed):
        self.X, self.n_hidden, self.epochs, self.batch_size = X, n_hidden, epochs, batch_size
        self.what = f"train(X {X.shape}, {n_hidden}, {epochs}, {batch_size}, lr_schedule, {train_seed})"
        if not isinstance(out, dict) or "result" not in out:  # the task's own reply: always this shape
            raise CheckFailed("the training task returned an unexpected value (an internal error).")
        self.result = out["result"]
        self.epochs_asked = list(out.get("epochs_asked") or [])
        self.cpu_s = float(out.get("cpu_s") or 0.0)

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


# Sessions (grades) in which train already ran out of time: later train checks fail at once
# instead of waiting out their own time limits (the runs only get larger).
_TIMED_OUT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def run_train(ctx, X, n_hidden, epochs, batch_size, lr, lr_decay, train_seed, global_seed=None) -> TrainRun:
    """The submission's train on X with lr_schedule(e) = lr * lr_decay ** e, in the sandbox."""
    earlier = _TIMED_OUT.get(ctx.session)
    if earlier is not None:
        raise CheckFailed(f"not run: train did not finish in time in an earlier check ({earlier}).",
                          slip="an infinite loop (a while loop whose condition never changes?) or far more "
                               "work than needed (loops over every sample and weight?).")
    try:
        out = ctx.task("train_recording", X=X, n_hidden=n_hidden, epochs=epochs, batch_size=batch_size, lr=lr,
                       lr_decay=lr_decay, train_seed=train_seed, global_seed=global_seed)
    except CallTimeout:
        _TIMED_OUT[ctx.session] = f"'{ctx.check.name}', on {X.shape[0]} rows for {epochs} epochs"
        raise
    return TrainRun(out, X, n_hidden, epochs, batch_size, train_seed)


def small_run(ctx, train_seed, lr=SMALL["lr"], lr_decay=SMALL["lr_decay"], global_seed=None) -> TrainRun:
    s = SMALL
    return run_train(ctx, small_data(), s["n_hidden"], s["epochs"], s["batch_size"], lr, lr_decay,
                     train_seed, global_seed)


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


def check_train_history_with_zero_rate(ctx):
    """With lr_schedule returning 0 the parameters never change, so every history[e] is the
    loss of the returned params on the whole of X (N is a multiple of batch_size here, so a
    plain mean of the batch losses is right as well as the size-weighted one)."""
    s = SMALL
    run = small_run(ctx, train_seed=2, lr=0.0, lr_decay=1.0)
    params, history = run.params(), run.history()
    X = run.X
    expected = ref.loss(ref.forward(params, X)[0], X)
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


# The calibrated run is shared by the history check and the threshold check of one grade.
_RUNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def trained(ctx) -> TrainRun:
    """The calibrated training run of this grade (run once and shared; so is a failure)."""
    key = ctx.session
    if key not in _RUNS:
        X_train, _ = digits()
        t = THRESHOLDS[TRAINED_CHECK]
        s = t.settings
        try:
            _RUNS[key] = ("ok", run_train(ctx, X_train, s["n_hidden"], s["epochs"], s["batch_size"], s["lr"],
                                          s["lr_decay"], train_seed=t.grade_seed))
        except (CheckFailed, StudentError, CallTimeout, SandboxCrashed) as exc:
            _RUNS[key] = ("error", exc)
    status, value = _RUNS[key]
    if status == "error":
        raise value
    return value


def check_train_history_decreases(ctx):
    run = trained(ctx)
    history = run.history()
    params = run.params()
    if not history[-1] < history[0]:
        raise CheckFailed(
            f"{run.what}: the training loss did not go down: history[-1] >= history[0].",
            expected="a decreasing history", got=fmt(history[[0, 1, 2, -2, -1]]) + " (first three, last two)",
            slip="the update goes the wrong way, or the parameters are never updated.")
    final = ref.loss(ref.forward(params, run.X)[0], run.X)
    if not abs(history[-1] - final) <= 0.2 * final:
        raise CheckFailed(
            f"{run.what}: history[-1] is not close to the mean training loss of the last epoch.",
            expected=f"about {final:.6g} (the loss of the returned params on the training data, within 20%)",
            got=f"{history[-1]:.6g}",
            slip="history[e] must be the mean loss over the epoch's batches (weights batch size / N), "
                 "not their sum or the last batch's loss.")


def check_train_trained(ctx):
    t = THRESHOLDS[TRAINED_CHECK]
    run = trained(ctx)
    params = run.params()
    _, X_test = digits()
    X_hat, _ = ref.forward(params, X_test)
    value = float(np.mean((X_hat - X_test) ** 2))
    summary = (f"held-out MSE {value:.6g} of {run.what} on the digits (X_test {X_test.shape}), measured with "
               f"the reference forward pass; {run.cpu_s:.1f} s CPU")
    if t.passes(value):
        return f"{summary}. Passed: {t.describe()}; baseline {BASELINE_MSE:.4g}."
    slip = None
    try:
        n_hidden = t.settings["n_hidden"]
        init = params_dict(ctx.call("init_params", 64, n_hidden, t.grade_seed), "init_params", 64, n_hidden)
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


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of autoencoder_numpy, in the order of the contract."""
    yield Check("init_params: shapes and dtype", check_init_params_shapes, needs=("init_params",))
    yield Check("init_params: reproducible from the seed, different for another seed", check_init_params_seed,
                kind=Kind.PROPERTY, needs=("init_params",))
    yield Check("init_params: biases start at zero", check_init_params_zero_biases, points=0.5,
                needs=("init_params",))
    yield Check("init_params: random weights of a sensible scale", check_init_params_scale,
                kind=Kind.PROPERTY, needs=("init_params",))
    yield Check("forward: values on random inputs", check_forward_values, points=2, needs=("forward",))
    yield Check("forward: finite and exact at output pre-activations of 1e3", check_forward_large_preactivations,
                needs=("forward",))
    yield Check("loss: value", check_loss_value, needs=("loss",))
    yield Check("loss: zero at the target, never negative", check_loss_zero_at_target, kind=Kind.PROPERTY,
                needs=("loss",))
    for key in KEYS:
        yield Check(f"backward: gradient check of {key}", partial(check_backward_gradient, key=key), points=2,
                    kind=Kind.GRADIENT, needs=("forward", "backward"))
    yield Check("backward: leaves params, cache and X unchanged", check_backward_inputs_unchanged, points=0.5,
                kind=Kind.PROPERTY, needs=("forward", "backward"))
    yield Check("adagrad_update: updates params and state in place", check_adagrad_in_place,
                kind=Kind.PROPERTY, needs=("adagrad_update",))
    yield Check("adagrad_update: one step from an empty state", check_adagrad_one_step, points=2,
                needs=("adagrad_update",))
    yield Check("adagrad_update: two steps accumulate the squared gradients", check_adagrad_accumulates,
                needs=("adagrad_update",))
    yield Check("train: asks lr_schedule for every epoch", check_train_asks_schedule, kind=Kind.PROPERTY,
                needs=("train",))
    yield Check("train: history[e] is the mean loss of epoch e (learning rate 0)",
                check_train_history_with_zero_rate, needs=("train",))
    yield Check("train: reproducible from the seed", check_train_reproducible, kind=Kind.PROPERTY,
                needs=("train",))
    yield Check("train: history has one mean loss per epoch, decreasing", check_train_history_decreases,
                kind=Kind.PROPERTY, needs=("train",), timeout_s=TRAIN_TIMEOUT_S)
    yield Check(TRAINED_CHECK, check_train_trained, points=4, kind=Kind.THRESHOLD, needs=("train",),
                timeout_s=TRAIN_TIMEOUT_S)
