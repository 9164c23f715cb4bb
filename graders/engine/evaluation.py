"""Training and evaluation in separate processes: the grader's side of a trained check.

A trained check that could be forged computed its metric where the submission runs. The
pattern here keeps every metric in the grader:

1. **Train** in the grade's main sandbox (`ctx.task`): the task receives the training rows
   only (a secret subset, `ctx.secret_split`) and returns the trained parameters as
   `{name: float array}` -- validated here with `raw_outputs.state_dict`.
2. **Evaluate** in a fresh sandbox of the same submission (`ctx.fresh_task`, forked from the
   fork server and closed right after): it builds the contract class, loads the grader's
   state_dict (`task_torch_apply` of `torch_tasks.py`) and returns raw outputs for inputs
   only, never targets or labels. Where the input is the target (autoencoders), `encode`
   and `decode` run in two different fresh sandboxes and the grader relays the code
   (`raw_outputs.relay_float32`): nothing but the code's numbers crosses the bottleneck.
3. **Score** in the grader: `raw_outputs.float_array` validates each output, `raw_outputs.mse`
   etc. compute the metric, the calibrated Threshold compares it.

`apply(ctx, ...)` is step 2 for one method call; `TORCH_TASKS` is the shared task file an
assignment lists first in `Assignment.tasks`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graders.engine import raw_outputs
from graders.engine.checks import CheckFailed
from graders.engine.expect import describe_value
from graders.engine.task_calls import raised_around_the_submission
from graders.sandbox.errors import StudentError

TORCH_TASKS = Path(__file__).with_name("torch_tasks.py")


def apply(ctx, class_name: str, state: dict, method: str, inputs, *, args=(), kwargs=None,
          seed: int = 0, dtype: str = "float32") -> list[np.ndarray]:
    """`class_name(*args, **kwargs)` with `state` loaded, `.method(*inputs)` in eval mode, in a
    FRESH sandbox of the submission; returns the raw outputs (a list of float64 arrays, not yet
    validated: use `raw_outputs.float_array` on each). An error raised by the grader's task code
    around the submission's (a missing method, a non-tensor result, a state_dict that does not
    fit the class) becomes a CheckFailed that says so."""
    what = f"{class_name}.{method}"
    try:
        out = ctx.fresh_task("torch_apply", class_name=class_name, state=dict(state), method=method,
                             inputs=[np.asarray(x) for x in inputs], args=list(args),
                             kwargs=dict(kwargs or {}), seed=int(seed), dtype=dtype)
    except StudentError as exc:
        if exc.type_name == "AttributeError" and f"'{method}'" in exc.message:
            raise CheckFailed(f"{what} is not defined: the grader evaluates your trained model by "
                              f"calling `{method}` on its own.", got=f"AttributeError: {exc.message}",
                              slip=f"the contract's `{method}` method is missing (or misspelt).") from None
        if not raised_around_the_submission(exc):
            raise
        raise CheckFailed(
            f"{what}: the grader could not evaluate your trained model: {exc.type_name}: {exc.message}",
            slip="a signature, a returned type or a parameter layout other than the contract's (the "
                 "error was raised by the grader's code calling yours, not inside your code).") from None
    if not isinstance(out, list) or not all(isinstance(v, np.ndarray) for v in out):
        raise CheckFailed(f"{what}: the evaluation gave {describe_value(out)} (an internal error; please "
                          "tell your instructor).")
    return out


def apply_one(ctx, class_name: str, state: dict, method: str, inputs, shape: tuple, *,
              lo: float | None = None, hi: float | None = None, max_values: int | None = None,
              **kwargs) -> np.ndarray:
    """`apply` for a method that returns one tensor, validated as a finite float array of
    `shape` in [lo, hi] (float64)."""
    out = apply(ctx, class_name, state, method, inputs, **kwargs)
    what = f"{class_name}.{method}"
    if len(out) != 1:
        raise CheckFailed(f"{what} returned {len(out)} tensors; expected one.")
    return raw_outputs.float_array(out[0], what, shape, lo=lo, hi=hi, max_values=max_values)
