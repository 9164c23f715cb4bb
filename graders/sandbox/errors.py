"""What can go wrong when the grader asks the sandbox for something."""

from __future__ import annotations


class StudentError(Exception):
    """The submission's code raised an exception (it is reported, not re-raised)."""

    def __init__(self, type_name: str, message: str, traceback: str = "", missing: str | None = None):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.traceback = traceback
        self.missing = missing if isinstance(missing, str) else None

    def describe(self) -> str:
        if self.missing:
            return f"`{self.missing}` is not defined in your submission."
        if self.type_name == "NotImplementedError":
            where = f"\n{self.traceback}" if self.traceback else ""
            return "Not implemented yet: the template's `raise NotImplementedError` is still there." + where
        text = f"{self.type_name}: {self.message}"
        if self.traceback:
            text += "\n" + self.traceback
        return text


class SandboxCrashed(Exception):
    """The submission's process died or had to be killed."""


class CallTimeout(SandboxCrashed):
    """A call ran past its wall-time limit; the process was killed."""

    def __init__(self, what: str):
        super().__init__(f"timed out while {what}")
        self.what = what


class ProtocolError(SandboxCrashed):
    """The sandbox sent something that is not a valid message."""
