"""Finding the assignment the tooling works on: its `Assignment`, reference and known slips.

An assignment id alone is one of the bundled course's; with a course folder (`course`), it
is looked up in that course's catalog (`graders.courses`), which also knows the bundled ones.
"""

from __future__ import annotations

from types import ModuleType

from graders.engine.assignment import Assignment


class TargetError(LookupError):
    """The assignment (or course) asked for cannot be found: a usage error."""


def _catalog(course: str | None):
    from graders.courses import catalog

    return catalog(course or None)


def load_assignment(assignment_id: str, course: str | None = None) -> Assignment:
    try:
        return _catalog(course).get(assignment_id)
    except KeyError:
        raise TargetError(f"unknown assignment {assignment_id!r}; known: {', '.join(known_ids(course))}") from None


def load_slips(assignment_id: str, course: str | None = None) -> ModuleType | None:
    """The assignment's slips module (MUTANTS, UNUSUAL, ...), or None when it lists none."""
    return _catalog(course).slips(assignment_id)


def known_ids(course: str | None = None) -> list[str]:
    return list(_catalog(course).ids())
