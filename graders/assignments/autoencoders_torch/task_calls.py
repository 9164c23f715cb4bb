"""Running the sandbox tasks of `autoencoders_torch` for the checks: results shared within a grade,
timeouts remembered per contract object, the task's own errors put in words.
"""

from __future__ import annotations

import hashlib
import weakref

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import raised_around_the_submission
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


# Per grade (keyed on the session): task results shared between checks, and the contract
# objects whose task already ran out of time (later checks that need them fail at once).
_RESULTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_TIMED_OUT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def run_task(ctx, name: str, objects: tuple[str, ...], *, share: bool = True, **kwargs) -> dict:
    """`tasks.task_<name>(submission, **kwargs)` in the sandbox, its dict result.

    share: reuse the result (or the failure) of the same call earlier in this grade; a
        crash of the sandbox is not shared (the next call gets a fresh sandbox), a timeout is.
    """
    timed_out = _TIMED_OUT.setdefault(ctx.session, {})
    for obj in objects:
        if obj in timed_out:
            raise CheckFailed(
                f"not run: `{obj}` did not finish in time in an earlier check ({timed_out[obj]}).",
                slip="an infinite loop, or far more work than needed (a Python loop over samples or "
                     "pixels?).")
    key = (name, _key(kwargs))
    results = _RESULTS.setdefault(ctx.session, {})
    if share and key in results:
        status, value = results[key]
        if status == "error":
            raise value
        return value
    try:
        out = ctx.task(name, **kwargs)
        if not isinstance(out, dict):
            raise CheckFailed(f"the grader's task {name!r} returned {expect.describe_value(out)} (an "
                              "internal error; please tell your instructor).")
        outcome = ("ok", out)
    except CallTimeout as exc:
        for obj in objects:
            timed_out[obj] = f"'{ctx.check.name}'"
        outcome = ("error", exc)
    except StudentError as exc:
        outcome = ("error", _explain(exc, objects))
    except CheckFailed as exc:
        outcome = ("error", exc)
    except SandboxCrashed:  # e.g. the sandbox's CPU for its whole life: a fresh one may do
        raise
    if share:
        results[key] = outcome
    if outcome[0] == "error":
        raise outcome[1]
    return outcome[1]


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
