"""The registry of assignments: one package per assignment id.

Each package `graders/assignments/<id>/` that defines `ASSIGNMENT` (an
`graders.engine.assignment.Assignment`) is an assignment; packages still without one
are skipped. Nothing is imported until an assignment is asked for.
"""

from __future__ import annotations

import importlib
import pkgutil

from graders.engine.assignment import Assignment


def assignment_ids() -> list[str]:
    """Ids of the packages here that define an ASSIGNMENT, sorted."""
    ids = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg and _load(info.name) is not None:
            ids.append(info.name)
    return sorted(ids)


def _load(name: str) -> Assignment | None:
    module = importlib.import_module(f"{__name__}.{name}")
    found = getattr(module, "ASSIGNMENT", None)
    return found if isinstance(found, Assignment) else None


def get(assignment_id: str) -> Assignment:
    """The assignment with this id; KeyError with the known ids otherwise."""
    if not assignment_id.isidentifier():
        raise KeyError(assignment_id)
    try:
        found = _load(assignment_id)
    except ModuleNotFoundError:
        found = None
    if found is None:
        raise KeyError(assignment_id)
    return found
