"""The checks of `adagrad_update` in `autoencoder_numpy`: in place on the caller's dicts
(judged on the arguments the sandbox echoes back), one step, and two steps (accumulation).

The arithmetic is graded on a returned dict when the caller's was left unchanged, so an
adagrad_update that returns new parameters loses only the in-place check.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.autoencoder_numpy.problems import KEYS, first_change, params_dict, problem
from graders.engine import expect
from graders.engine.arguments import copy_params
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from reference.numpy import autoencoder_numpy as ref

LR = 0.1                   # adagrad checks
# Gradients of the size of eps, with eps passed explicitly: here sqrt(state) + eps (the
# contract) and sqrt(state + eps) differ by a factor of about 1000, and an ignored eps
# argument (the default 1e-8 instead) by a factor of about 2. With the gradients of the other
# checks (|g| >= 0.5, eps 1e-8) both slips are invisible.
SMALL_GRADIENT = (0.5e-6, 2e-6)
SMALL_EPS = 1e-6


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


def call_adagrad(ctx, params, grads, state, what, *eps):
    """(params after, state after, returned value): the caller's dicts after the call."""
    value, after, _ = ctx.call_echo("adagrad_update", params, grads, state, LR, *eps)
    after = expect.sequence(after, f"the arguments of {what} after the call", 4 + len(eps))
    return after[0], after[2], value, after[1]


def updated_params(p_after, value, params) -> dict | None:
    """The parameters the submission computed: the caller's dict if it changed, otherwise a
    returned dict (so that the arithmetic is graded apart from the in-place contract)."""
    if isinstance(p_after, dict) and first_change(params, p_after, "params") is not None:
        return p_after
    if isinstance(value, dict):
        return value
    return p_after


def check_adagrad_in_place(ctx):
    params, grads = adagrad_inputs(ctx.rng)
    what = "adagrad_update(params, grads, state={}, lr)"
    p_after, s_after, value, g_after = call_adagrad(ctx, params, grads, {}, what)
    if first_change(params, p_after, "params") is None:
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
    changed = first_change(grads, g_after, "grads")
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


def eps_slips(params, grads, key, eps) -> dict[str, np.ndarray]:
    """The common misreadings of the eps term, one step from an empty state."""
    g, p = grads[key], params[key]
    return {
        "eps is inside the square root: the contract's step is lr * g / (sqrt(state) + eps), "
        "not lr * g / sqrt(state + eps)": p - LR * g / np.sqrt(g * g + eps),
        "the eps argument is ignored (a hard-coded 1e-8 instead of the eps passed in)":
            p - LR * g / (np.abs(g) + 1e-8),
    }


def check_adagrad_small_gradients_explicit_eps(ctx):
    params, _ = problem(ctx.rng, n=2, d=4, h=3)
    grads = {k: ctx.rng.uniform(*SMALL_GRADIENT, size=v.shape) * ctx.rng.choice([-1.0, 1.0], size=v.shape)
             for k, v in params.items()}
    what = f"adagrad_update(params, grads, state={{}}, lr={LR}, eps={SMALL_EPS:g})"
    p_after, _, value, _ = call_adagrad(ctx, params, grads, {}, what, SMALL_EPS)
    got = params_dict(updated_params(p_after, value, params), f"the params after {what}", 4, 3)
    expected = copy_params(params)
    ref.adagrad_update(expected, grads, {}, LR, SMALL_EPS)
    for k in KEYS:
        assert_close(got[k], expected[k], f"params[{k!r}] after {what}", known=eps_slips(params, grads, k, SMALL_EPS),
                     context=f"Inputs: gradients of size {SMALL_GRADIENT[0]:g} to {SMALL_GRADIENT[1]:g} (the size "
                             f"of eps, where eps matters); grads[{k!r}] = {fmt(grads[k])}; lr = {LR}; "
                             f"eps = {SMALL_EPS:g} passed as the fifth argument")
