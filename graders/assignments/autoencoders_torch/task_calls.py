"""Running the sandbox tasks of `autoencoders_torch` for the checks: results shared within a grade
(`ctx.shared`), timeouts remembered per contract object, the task's own errors put in words.
"""

from __future__ import annotations

import hashlib

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import raised_around_the_submission
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


def run_task(ctx, name: str, objects: tuple[str, ...], *, share: bool = True, **kwargs) -> dict:
    """`tasks.task_<name>(submission, **kwargs)` in the sandbox, its dict result.

    share: reuse the result (or the failure) of the same call earlier in this grade; a
        crash of the sandbox is not shared (the next call gets a fresh sandbox), a timeout is.
    """
    # the contract objects whose task already ran out of time in this grade: later checks
    # that need them fail at once
    timed_out = ctx.shared("objects timed out", dict)
    for obj in objects:
        if obj in timed_out:
            raise CheckFailed(
                f"not run: `{obj}` did not finish in time in an earlier check ({timed_out[obj]}).",
                slip="an infinite loop, or far more work than needed (a Python loop over samples or "
                     "pixels?).")

    def run() -> dict:
        try:
            out = ctx.task(name, **kwargs)
        except CallTimeout:
            for obj in objects:
                timed_out[obj] = f"'{ctx.check.name}'"
            raise
        except StudentError as exc:
            raise _explain(exc, objects) from None
        if not isinstance(out, dict):
            raise CheckFailed(f"the grader's task {name!r} returned {expect.describe_value(out)} (an "
                              "internal error; please tell your instructor).")
        return out

    if not share:
        return run()
    # e.g. the sandbox's CPU for its whole life ran out: a fresh one may do, so not remembered
    return ctx.shared(("task", name, _key(kwargs)), run, retry=(SandboxCrashed,))


def _key(value):
    """A hashable stand-in for task arguments (arrays by shape, dtype and a digest of their bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, dict):
        return tuple(sorted((str(k), _key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_key(v) for v in value)
    return repr(value)


def _explain(exc: StudentError, objects) -> Exception:
    """A StudentError raised by the task's own code (no traceback of the submission: e.g. a
    shape check of a returned value) as a CheckFailed in words; others stay as they are."""
    if not raised_around_the_submission(exc):
        return exc
    return CheckFailed(f"{exc.message}.", slip=f"see the other checks of {', '.join(objects)}.")


def field(out: dict, key: str, what: str):
    if key not in out:
        raise CheckFailed(f"the grader's task gave no {key!r} for {what} (an internal error; please tell "
                          "your instructor).")
    return out[key]
