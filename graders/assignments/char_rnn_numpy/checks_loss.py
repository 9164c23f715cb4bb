"""The checks of `loss_and_grads(params, inputs, targets, h_prev) -> (loss, grads, h_last)`.

- the loss's value (a SUM over the T time steps) and h_last (the state after the last input),
  against the reference at a random, non-zero h_prev;
- the loss's dependence on h_prev: the contract returns no gradient with respect to h_prev,
  so the submission's OWN loss is differentiated numerically along random directions of
  h_prev (central differences, six calls) and compared with the exact dL/dh_prev;
- carrying the state: chunk B run from chunk A's returned h_last must give the loss of the
  whole sequence A + B, which is what `train` relies on;
- one gradient check per parameter: the function differentiated is the REFERENCE loss in the
  grader's process (central differences), the analytic gradient the submission's. T = 12 and
  weights from N(0, 0.7^2), so the recurrent path (dh_next = da_{t+1} Whh^T) carries a large
  part of every gradient but that of Why and by: a missing backpropagation through time fails.

`backward_variant` (reference_slips.py) is the reference's forward and backward with one slip
switched on; it computes the common wrong answers on the check's own input, so the feedback
can name them.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.char_rnn_numpy.problems import (
    H,
    T,
    describe_chunk,
    params_dict,
    random_chunk,
    random_params,
)
from graders.assignments.char_rnn_numpy.reference_slips import backward_variant, known_gradients
from graders.assignments.char_rnn_numpy.slip_words import ZERO_START
from graders.engine import expect
from graders.engine.arguments import copy_params
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.engine.gradcheck import STEP, assert_gradient
from reference.numpy import char_rnn_numpy as ref

DERIVATIVE_PROBES = 3
DERIVATIVE_RTOL, DERIVATIVE_ATOL = 1e-5, 1e-7   # loss ~ 20: round-off / 2h ~ 1e-9

def call_loss_and_grads(ctx, params, inputs, targets, h_prev, what="loss_and_grads(params, inputs, targets, h_prev)"):
    """(loss, grads, h_last), each validated."""
    out = expect.sequence(ctx.call("loss_and_grads", copy_params(params), list(inputs), list(targets),
                                   np.array(h_prev, copy=True)), what, 3)
    loss = expect.scalar(out[0], f"{what}[0] (the loss)")
    grads = params_dict(out[1], f"{what}[1] (grads)", params["Wxh"].shape[0], params["Whh"].shape[0])
    h_last = expect.array(out[2], f"{what}[2] (h_last)", (params["Whh"].shape[0],))
    return loss, grads, h_last


def loss_only(ctx, params, inputs, targets, h_prev, what) -> float:
    out = expect.sequence(ctx.call("loss_and_grads", copy_params(params), list(inputs), list(targets),
                                   np.array(h_prev, copy=True)), what, 3)
    return expect.scalar(out[0], f"{what}[0] (the loss)")


def _problem(ctx):
    params = random_params(ctx.rng)
    inputs, targets, h_prev = random_chunk(ctx.rng)
    return params, inputs, targets, h_prev


# ------------------------------------------------------------------ values


def check_loss_and_grads_loss_value(ctx):
    params, inputs, targets, h_prev = _problem(ctx)
    got, _, _ = call_loss_and_grads(ctx, params, inputs, targets, h_prev)
    expected = ref.loss_and_grads(params, inputs, targets, h_prev)[0]
    if abs(got - expected) <= 1e-8 + 1e-6 * abs(expected):
        return None
    known = {
        f"the mean instead of the sum over the T = {T} time steps (a factor of T): the loss is "
        "sum_t -log p_t[targets[t]]": expected / T,
        ZERO_START: backward_variant(params, inputs, targets, h_prev, use_h_prev=False)[0],
        "the loss is sum_t log p_t[targets[t]] without the minus sign": -expected,
        "-log p_t of the INPUT character: the loss scores the target, targets[t]":
            backward_variant(params, inputs, inputs, h_prev)[0],
    }
    slip = next((w for w, v in known.items() if abs(got - v) <= 1e-8 + 1e-6 * abs(v)), None)
    if slip is None and expected:
        ratio = got / expected
        slip = f"your loss is {ratio:.6g} times the expected one" + (
            f" (close to 1/T = {1 / T:.4g}: a mean over time steps?)" if abs(ratio * T - 1) < 0.05 else "")
    raise CheckFailed(
        f"loss_and_grads: the loss is {got:.8g}; expected {expected:.8g}, the SUM over the {T} time steps "
        "of -log p_t[targets[t]].",
        expected=f"{expected:.10g}", got=f"{got:.10g}",
        diff=f"absolute difference {abs(got - expected):.4g} (up to 1e-08 + 1e-06 * |expected| allowed)",
        slip=slip, details=describe_chunk(inputs, targets, h_prev))


def check_loss_and_grads_h_last(ctx):
    params, inputs, targets, h_prev = _problem(ctx)
    _, _, h_last = call_loss_and_grads(ctx, params, inputs, targets, h_prev)
    states = [h_prev]
    for ix in inputs:
        states.append(np.tanh(params["Wxh"][ix] + states[-1] @ params["Whh"] + params["bh"]))
    known = {
        "h_last is h_prev: with min-char-rnn's dict hs, hs[-1] is the state BEFORE the first input "
        "(key -1), not the last one; return hs[len(inputs) - 1]": h_prev,
        "h_last is the state after the FIRST input (h_0); it is the state after the last input": states[1],
        "h_last is the state before the last input (h_{T-2}): an off-by-one": states[-2],
    }
    assert_close(h_last, ref.loss_and_grads(params, inputs, targets, h_prev)[2], "loss_and_grads(...)[2] (h_last)",
                 known=known, context=describe_chunk(inputs, targets, h_prev))


def check_loss_and_grads_h_prev_dependence(ctx):
    """Directional derivatives of the submission's own loss with respect to h_prev."""
    params, inputs, targets, h_prev = _problem(ctx)
    _, _, _, exact = backward_variant(params, inputs, targets, h_prev)
    what = "loss_and_grads(params, inputs, targets, h_prev + s v)"
    rows, bad = [], False
    for _ in range(DERIVATIVE_PROBES):
        v = ctx.rng.standard_normal(H)
        v /= np.linalg.norm(v)
        up = loss_only(ctx, params, inputs, targets, h_prev + STEP * v, what)
        down = loss_only(ctx, params, inputs, targets, h_prev - STEP * v, what)
        numeric, right = (up - down) / (2 * STEP), float(exact @ v)
        rows.append((numeric, right))
        bad |= not abs(numeric - right) <= DERIVATIVE_ATOL + DERIVATIVE_RTOL * max(abs(numeric), abs(right))
    if not bad:
        return None
    numeric = np.array([r[0] for r in rows])
    right = np.array([r[1] for r in rows])
    slip = None
    if np.all(np.abs(numeric) <= DERIVATIVE_ATOL):
        slip = ("your loss does not change at all with h_prev: " + ZERO_START + ". Without it the "
                "state carried from chunk to chunk in train is thrown away.")
    elif np.allclose(numeric * T, right, rtol=1e-3):
        slip = f"a factor of 1/T = 1/{T}: the loss is averaged over time steps instead of summed"
    raise CheckFailed(
        "loss_and_grads: your loss does not depend on h_prev the way the recurrence says: its derivative "
        "along random directions v of h_prev (central differences of YOUR loss) differs from the exact "
        "dL/dh_prev . v.",
        expected=f"{right[0]:.8g} for the first direction", got=f"{numeric[0]:.8g}",
        diff="directional derivatives (yours, numeric, vs exact): "
             + "; ".join(f"{n:.6g} vs {r:.6g}" for n, r in rows)
             + f" (step {STEP:g}; up to {DERIVATIVE_ATOL:g} + {DERIVATIVE_RTOL:g} relative allowed)",
        slip=slip,
        details=describe_chunk(inputs, targets, h_prev)
        + " The contract returns no gradient with respect to h_prev; this check measures it on your loss.")


def check_loss_and_grads_carries_state(ctx):
    """Chunk B from chunk A's returned h_last: loss_A + loss_B is the loss of A + B in one call."""
    params = random_params(ctx.rng)
    inputs, targets, h_prev = random_chunk(ctx.rng, length=2 * T)
    a_in, a_tg, b_in, b_tg = inputs[:T], targets[:T], inputs[T:], targets[T:]
    loss_a, _, h_a = call_loss_and_grads(ctx, params, a_in, a_tg, h_prev,
                                         "loss_and_grads on chunk A (from h_prev)")
    loss_b, _, h_b = call_loss_and_grads(ctx, params, b_in, b_tg, h_a,
                                         "loss_and_grads on chunk B (from chunk A's h_last)")
    whole_loss, _, whole_h = ref.loss_and_grads(params, inputs, targets, h_prev)
    context = (describe_chunk(inputs, targets, h_prev) + f" Chunk A is the first {T} steps, chunk B the "
               f"last {T}, run from the h_last that your loss_and_grads returned for chunk A, as train does.")
    total = loss_a + loss_b
    if abs(total - whole_loss) > 1e-8 + 1e-6 * abs(whole_loss) or not np.allclose(h_b, whole_h, rtol=1e-6, atol=1e-9):
        slip = "check loss_and_grads' loss value and h_last first (their own checks)"
        if np.allclose(h_a, h_prev, rtol=1e-9, atol=1e-12):
            slip = ("chunk A's h_last is the h_prev it was given (hs[-1] with min-char-rnn's dict is the state "
                    "before the first input): chunk B starts from the wrong state, so nothing is carried")
        elif np.allclose(h_a, backward_variant(params, a_in[:1], a_tg[:1], h_prev)[2], rtol=1e-9, atol=1e-12):
            slip = "chunk A's h_last is its FIRST state h_0, not its last: chunk B starts from the wrong state"
        raise CheckFailed(
            "loss_and_grads: carrying the state does not work: the loss of chunk A plus the loss of chunk B "
            "(run from chunk A's h_last) is not the loss of the whole sequence A + B.",
            expected=f"loss_A + loss_B = {whole_loss:.10g}, and chunk B's h_last = {fmt(whole_h)}",
            got=f"{loss_a:.10g} + {loss_b:.10g} = {total:.10g}; chunk B's h_last = {fmt(h_b)}",
            slip=slip, details=context)


def check_loss_and_grads_gradient(ctx, key):
    params, inputs, targets, h_prev = _problem(ctx)
    _, grads, _ = call_loss_and_grads(ctx, params, inputs, targets, h_prev)

    def f(p):  # the reference's loss: its forward pass, in this process
        return ref.loss_and_grads(p, inputs, targets, h_prev)[0]

    assert_gradient(f, params, key, grads[key], "loss_and_grads", rng=ctx.rng,
                    known=known_gradients(params, inputs, targets, h_prev)[key],
                    context=describe_chunk(inputs, targets, h_prev)
                    + " The loss differentiated is the reference's sum over t of -log p_t[targets[t]].")
