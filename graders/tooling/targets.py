"""Finding the assignment the tooling works on: its `Assignment`, reference and known slips.

An assignment id alone is one of the bundled course's; with a course folder (`course`), it
is looked up in that course's catalog (`graders.courses`), which also knows the bundled ones.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from graders.engine.assignment import Assignment


class TargetError(LookupError):
    """The assignment (or course) asked for cannot be found: a usage error."""


def _catalog(course: str | None):
    try:
        courses = importlib.import_module("graders.courses")
    except ModuleNotFoundError:
        if course:
            raise TargetError("this dlgrade cannot read course folders (--course): it has no graders.courses")
        return None
    return courses.catalog(course)


def load_assignment(assignment_id: str, course: str | None = None) -> Assignment:
    catalog = _catalog(course)
    try:
        if catalog is not None:
            return catalog.get(assignment_id)
        from graders import assignments

        return assignments.get(assignment_id)
    except KeyError:
        raise TargetError(f"unknown assignment {assignment_id!r}; known: {', '.join(known_ids(course))}") from None


def load_slips(assignment_id: str, course: str | None = None) -> ModuleType | None:
    """The assignment's slips module (MUTANTS, UNUSUAL, ...), or None when it lists none."""
    catalog = _catalog(course)
    if catalog is not None:
        return catalog.slips(assignment_id)
    from graders.tooling.known_slips import slips_module

    return slips_module(assignment_id)


def known_ids(course: str | None = None) -> list[str]:
    catalog = _catalog(course)
    if catalog is not None:
        return list(catalog.ids())
    from graders import assignments

    return assignments.assignment_ids()
