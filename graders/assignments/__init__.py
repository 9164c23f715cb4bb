"""The registry of assignments: one package per assignment id.

Each package `graders/assignments/<id>/` that defines `ASSIGNMENT` (an
`graders.engine.assignment.Assignment`) is an assignment; packages still without one
are skipped. Nothing is imported until an assignment is asked for.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from graders.engine.assignment import Assignment


def assignment_ids() -> list[str]:
    """Ids of the packages here that define an ASSIGNMENT, sorted."""
    ids = []
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        try:
            found = _load(info.name)
        except Exception as exc:  # one broken package must not hide the others
            print(f"dlgrade: assignment package {info.name!r} failed to import: {exc}", file=sys.stderr)
            continue
        if found is not None:
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
