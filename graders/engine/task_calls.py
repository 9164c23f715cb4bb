"""Calling an assignment's sandbox tasks: an error of the grader's own code around the
submission put in words, a call's reply shared by the checks of one grade (`ctx.shared`),
the contract objects that ran out of time remembered, and the shape of a task's reply checked.
"""

from __future__ import annotations

import hashlib

import numpy as np

from graders.engine.checks import CheckFailed
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


def raised_around_the_submission(exc: StudentError) -> bool:
    """Whether the grader's task code raised `exc` itself: no frame of the submission in its
    traceback (a wrong signature, a returned value of another type or shape), not a missing
    name, not a NotImplementedError of the template."""
    return not (exc.traceback or exc.missing or exc.type_name == "NotImplementedError")


def run_task(ctx, name: str, what: str, *, share: bool = False, objects: tuple[str, ...] = (), **kwargs):
    """ctx.task(name, **kwargs), with an error raised by the grader's own code around the
    submission turned into feedback that says so.

    share: the reply, or the failure, of the same call (name and arguments) made earlier in
        this grade (`ctx.shared`); a crash of the sandbox is not shared (the next call gets a
        fresh sandbox and may succeed), a timeout is.
    objects: the contract objects the task exercises: once a call that needs one of them ran
        out of time, later calls that need it fail at once instead of waiting out their own
        time limits.
    """
    timed_out = ctx.shared("objects timed out", dict) if objects else {}
    for obj in objects:
        if obj in timed_out:
            raise CheckFailed(
                f"not run: `{obj}` did not finish in time in an earlier check ({timed_out[obj]}).",
                slip="an infinite loop, or far more work than needed (a Python loop over samples or "
                     "pixels?).")

    def run():
        try:
            return ctx.task(name, **kwargs)
        except CallTimeout:
            for obj in objects:
                timed_out[obj] = f"'{ctx.check.name}'"
            raise
        except StudentError as exc:
            if not raised_around_the_submission(exc):
                raise
            raise CheckFailed(
                f"{what}: the grader could not use your code: {exc.type_name}: {exc.message}",
                slip="a signature, a returned type or a shape other than the contract's (the error was "
                     "raised by the grader's code calling yours, not inside your code).") from None

    if not share:
        return run()
    return ctx.shared(("task", name, call_key(kwargs)), run, retry=a_fresh_sandbox_may_do)


def a_fresh_sandbox_may_do(exc: Exception) -> bool:
    """A crash other than a timeout (e.g. the sandbox's CPU time for its whole life ran out):
    the next call starts a fresh sandbox, which may succeed."""
    return isinstance(exc, SandboxCrashed) and not isinstance(exc, CallTimeout)


def call_key(value):
    """A hashable stand-in for task arguments (arrays by shape, dtype and a digest of their bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype),
                hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, dict):
        return tuple(sorted((str(k), call_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(call_key(v) for v in value)
    return repr(value)


def reply(value, what: str, keys: tuple[str, ...]) -> dict:
    """A task's reply: always a dict with these keys (anything else is an internal error)."""
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise RuntimeError(f"{what}: unexpected reply from the grader's task")
    return value
