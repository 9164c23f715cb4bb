"""The checks of `l1_activity_penalty`.

The value and a central-difference gradient check in float64, on codes of both signs (away
from the kink at 0), with the common slips named.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.autoencoders_torch.task_calls import field
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.common import away_from, render_inputs
from graders.engine.compare import fmt
from graders.engine.gradcheck import assert_gradient
from graders.engine.task_calls import run_task

L1_SHAPE = (6, 5)                                     # N != H, so N- and H-factors differ
L1_FACTOR = 0.3


def l1_penalty(code: np.ndarray, factor: float) -> float:
    """The contract: factor * mean over the batch of sum |code| (a test compares it with the
    reference module's torch function)."""
    return float(factor * np.abs(code).reshape(len(code), -1).sum(axis=1).mean())


def l1_problem(ctx) -> np.ndarray:
    return away_from(ctx.rng, L1_SHAPE, -2.0, 2.0, kinks=(0.0,), margin=0.05)


def l1_slips(code, factor) -> dict[str, float]:
    n = len(code)
    a = np.abs(code)
    return {
        f"summed over the batch as well: the penalty is the MEAN over the batch of each sample's sum "
        f"(here {n} times too large)": factor * a.sum(),
        "no absolute value: the L1 norm sums |code|, not code": factor * code.sum(axis=1).mean(),
        "a mean over the code units too: sum over the units, mean over the batch only": factor * a.mean(),
        "squares instead of absolute values (an L2 penalty)": factor * (code ** 2).sum(axis=1).mean(),
        "factor is not multiplied in": a.sum(axis=1).mean(),
    }


def call_l1(ctx, code) -> dict:
    return run_task(ctx, "l1_penalty", "l1_activity_penalty", share=True, objects=("l1_activity_penalty",),
                    code=code, factor=L1_FACTOR)


def _l1_returned(r: dict, what: str):
    if r.get("returned") not in ("Tensor", "Parameter") and r.get("returned") is not None:
        if r.get("returned") in ("float", "int"):
            return "a Python number"
        raise CheckFailed(f"{what} returned a {r.get('returned')}; expected a scalar tensor.",
                          expected="a scalar tensor", got=str(r.get("returned")))
    if r.get("shape") not in ([], [1]):
        raise CheckFailed(f"{what} has shape {r.get('shape')}; expected a scalar (shape []).",
                          expected="shape []", got=str(r.get("shape")),
                          slip="a missing mean over the batch (one penalty per sample), or a sum over the "
                               "wrong axis.")
    return None


def check_l1_value(ctx):
    code = l1_problem(ctx)
    what = f"l1_activity_penalty(code, {L1_FACTOR})"
    r = call_l1(ctx, code)
    _l1_returned(r, what)
    got = expect.scalar(field(r, "value", what), what)
    want = l1_penalty(code, L1_FACTOR)
    if abs(got - want) <= 1e-9 + 1e-7 * abs(want):
        return None
    slip = next((words for words, wrong in l1_slips(code, L1_FACTOR).items()
                 if abs(got - wrong) <= 1e-9 + 1e-6 * abs(wrong)), None)
    raise CheckFailed(
        f"{what} is {got:.8g}; the contract's penalty factor * (1/N) sum_n sum_j |code[n, j]| is {want:.8g}.",
        expected=f"{want:.10g}", got=f"{got:.10g}", diff=f"ratio {got / want:.6g}" if want else None,
        slip=slip, details=render_inputs(code=code) + f"; factor = {L1_FACTOR} (N = {L1_SHAPE[0]}, "
                                                      f"H = {L1_SHAPE[1]}).")


def check_l1_gradient(ctx):
    code = l1_problem(ctx)
    what = f"l1_activity_penalty(code, {L1_FACTOR})"
    r = call_l1(ctx, code)
    kind = _l1_returned(r, what)
    if kind or not r.get("differentiable", False):
        raise CheckFailed(
            f"{what} carries no gradient back to code: training cannot make the codes sparser.",
            expected="a tensor computed from code with torch operations", got=kind or "no gradient",
            slip="the penalty leaves autograd: .item(), float(...), .detach(), NumPy, or torch.no_grad(). "
                 "Return the torch expression itself.")
    grad = expect.array(field(r, "grad", what), f"the gradient of {what} with respect to code", code.shape)
    n = len(code)
    sign = np.sign(code)
    known = {
        f"the gradient is {n} times too large, the batch size: the penalty is summed over the batch, "
        "not averaged": L1_FACTOR * sign,
        "the gradient does not depend on the sign of code: the absolute value is missing":
            np.full(code.shape, L1_FACTOR / n),
        "the gradient is averaged over the code units too: sum over the units, mean over the batch only":
            L1_FACTOR * sign / code.size,
        "2 * factor * code / N: squares (an L2 penalty) instead of absolute values": 2 * L1_FACTOR * code / n,
        "factor is not multiplied in": sign / n,
    }
    assert_gradient(lambda p: l1_penalty(p["code"], L1_FACTOR), {"code": code}, "code", grad,
                    f"d {what} / d code", rng=ctx.rng, batch_size=n,
                    context=render_inputs(code=code) + f"; factor = {L1_FACTOR}; expected gradient "
                                                       f"factor * sign(code) / N = {fmt(L1_FACTOR * sign / n)}",
                    known=known)
