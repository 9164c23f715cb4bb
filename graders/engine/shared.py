"""Values shared by the checks of one grade: a training run, a data draw, a record of
what already ran out of time. They live on the grade's `Session` (graders.engine.runner)
and go with it, so nothing of one grade reaches the next; checks reach them through
`ctx.shared(key, make)`.
"""

from __future__ import annotations

from graders.engine.checks import CheckFailed
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError

# What a shared run may fail with that the checks after it must see too: the submission's
# own error, a check's verdict on the reply, a timeout, a crash of the sandbox. Any other
# exception (a bug of the grader's own code) is not remembered.
FAILURES = (CheckFailed, StudentError, CallTimeout, SandboxCrashed)


class SharedValues:
    """make() once per key; its value, or its failure raised again, for every later ask."""

    def __init__(self):
        self._values: dict = {}

    def get(self, key, make, *, retry=None):
        """make() for `key`, the first time it is asked for in this grade.

        retry: a predicate on a failure that is not to be remembered (e.g. a crash where the
            next call gets a fresh sandbox and may succeed): raised to this caller only,
            make() runs again for the next one.
        """
        if key not in self._values:
            try:
                self._values[key] = ("ok", make())
            except FAILURES as exc:
                if retry is not None and retry(exc):
                    raise
                self._values[key] = ("error", exc)
        status, value = self._values[key]
        if status == "error":
            raise value
        return value
