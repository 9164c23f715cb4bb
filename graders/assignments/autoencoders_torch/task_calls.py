"""What the checks of `autoencoders_torch` read from their sandbox tasks' replies (the tasks run
through graders.engine.task_calls.run_task: shared within a grade, timeouts remembered per
contract object).
"""

from __future__ import annotations

from graders.engine.checks import CheckFailed


def field(out: dict, key: str, what: str):
    if not isinstance(out, dict) or key not in out:
        raise CheckFailed(f"the grader's task gave no {key!r} for {what} (an internal error; please tell "
                          "your instructor).")
    return out[key]
