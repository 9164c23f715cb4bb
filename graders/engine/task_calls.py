"""Calling an assignment's sandbox tasks: an error of the grader's own code around the
submission put in words, and the shape of a task's reply checked. (A run shared by the
checks of one grade: `ctx.shared`, graders.engine.shared.)
"""

from __future__ import annotations

from graders.engine.checks import CheckFailed
from graders.sandbox.errors import StudentError


def raised_around_the_submission(exc: StudentError) -> bool:
    """Whether the grader's task code raised `exc` itself: no frame of the submission in its
    traceback (a wrong signature, a returned value of another type or shape), not a missing
    name, not a NotImplementedError of the template."""
    return not (exc.traceback or exc.missing or exc.type_name == "NotImplementedError")


def run_task(ctx, name: str, what: str, **kwargs):
    """ctx.task(name, ...), with an error raised by the grader's own code around the
    submission turned into feedback that says so."""
    try:
        return ctx.task(name, **kwargs)
    except StudentError as exc:
        if not raised_around_the_submission(exc):
            raise
        raise CheckFailed(
            f"{what}: the grader could not use your code: {exc.type_name}: {exc.message}",
            slip="a signature, a returned type or a shape other than the contract's (the error was raised "
                 "by the grader's code calling yours, not inside your code).") from None


def reply(value, what: str, keys: tuple[str, ...]) -> dict:
    """A task's reply: always a dict with these keys (anything else is an internal error)."""
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise RuntimeError(f"{what}: unexpected reply from the grader's task")
    return value
