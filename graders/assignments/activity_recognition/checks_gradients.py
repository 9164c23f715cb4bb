"""Checks of `loss_and_grads`: the loss's value, and gradient checks per cell type.

The function differentiated is the REFERENCE mean cross-entropy of the contract, in the
grader's process (float64 central differences: three random directional probes per
parameter, then per-entry localisation when one fails); the analytic gradient is the one
the submission's loss_and_grads returns. Three gradient checks per cell:

- the cell's weights and biases through all T = 6 steps (random inputs at every step);
- the dense layers (every Wl and bl), on the same kind of problem;
- the early steps' contribution: inputs non-zero only at t = 0 and 1, so every gradient of
  an input weight Wx* comes from the first two steps, four or more steps before the
  output. A BPTT that stops early (or never carries dh back) gives zero there, and fails
  here even where the first check's probes are dominated by the last steps.

Known wrong gradients (the last step only; a transposed recurrent weight's gradient) are
computed on the same input so the feedback names the slip.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.activity_recognition import problems as pb
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_scalar_close
from graders.engine.gradcheck import assert_gradient
from graders.sandbox.errors import StudentError
from reference.numpy import activity_recognition as ref


def check_loss_value(ctx):
    for cell in pb.CELLS:
        params, X, y = pb.problem(ctx.rng, cell)
        loss, _ = pb.call_loss_and_grads(ctx, params, X, y, cell)
        expected = pb.reference_loss(params, X, y, cell)
        picked = ref.forward(params, X, cell)[0][np.arange(len(y)), y]
        known = {
            f"the loss is summed over the batch; the contract's loss is the MEAN over the N = {len(y)} series":
                -np.sum(np.log(picked)),
            "the sign is flipped: loss = -mean(log probs[n, y[n]])": np.mean(np.log(picked)),
        }
        context = pb.describe_problem(params, X, y, cell)
        for words, wrong in known.items():
            if abs(loss - expected) > 1e-8 and abs(loss - wrong) <= 1e-9 + 1e-6 * abs(wrong):
                raise CheckFailed(f"loss_and_grads(params, X, y, {cell!r})[0] is {loss:.8g}; expected {expected:.8g}.",
                                  expected=f"{expected:.10g}", got=f"{loss:.10g}", slip=words, details=context)
        assert_scalar_close(loss, expected, f"loss_and_grads(params, X, y, {cell!r})[0] (the loss)",
                            batch_size=len(y), context=context)


def _forward_note(ctx, params, X, cell) -> str:
    try:
        probs, _ = pb.call_forward(ctx, params, X, cell)
        if not np.allclose(probs, ref.forward(params, X, cell)[0], rtol=1e-6, atol=1e-9):
            return (f"\nNote: your forward pass does not give the expected probs on this input (see 'forward: "
                    f"probabilities ({cell})'); fix forward first.")
    except (CheckFailed, StudentError):  # forward is graded by its own checks
        pass
    return ""


def _check_keys(ctx, cell: str, keys, *, early_only: bool = False, why: str = ""):
    params, X, y = pb.problem(ctx.rng, cell, early_only=early_only)
    what = f"loss_and_grads(params, X, y, {cell!r})"
    _, grads = pb.call_loss_and_grads(ctx, params, X, y, cell)
    context = pb.describe_problem(params, X, y, cell) + why + _forward_note(ctx, params, X, cell)

    def f(p):
        return pb.reference_loss(p, X, y, cell)

    for key in keys:
        analytic = pb.gradient_of(grads, key, what, params[key].shape)
        assert_gradient(f, params, key, analytic, f"{what}[1][{key!r}]", rng=ctx.rng, batch_size=len(y),
                        context=context, known=pb.gradient_slips(params, X, y, cell, key, early_only=early_only))


def check_cell_gradients(ctx, cell: str):
    _check_keys(ctx, cell, ref.CELL_KEYS[cell])


def check_dense_gradients(ctx, cell: str):
    _check_keys(ctx, cell, pb.dense_keys(pb.DENSE))


def check_early_steps(ctx, cell: str):
    keys = [k for k in ref.CELL_KEYS[cell] if k.startswith("Wx")]
    _check_keys(ctx, cell, keys, early_only=True,
                why=(f" -- the inputs are zero after t = 1, so the gradient of every input weight comes from the "
                     f"first two of the {pb.T} steps only"))
