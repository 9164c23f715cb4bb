"""The bundled course: one package per assignment id, found by its manifest.

Each package `graders/assignments/<id>/` has an `assignment.toml` (its id, title and the
modules its sandbox preloads) and defines `ASSIGNMENT` (an
`graders.engine.assignment.Assignment`) in its `__init__.py`. It is loaded as every course is
(`graders.courses`); these functions are that loader for the bundled course alone. Listing
and validating ids read the manifests only: no assignment's package, checks, torch, SymPy or
Hypothesis is imported until `get(id)` asks for that one assignment. Front doors that take
`--course` use `graders.courses.catalog(...)` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graders.courses import BUNDLED_FOLDER, MANIFEST, Course, Manifest, read_manifest

if TYPE_CHECKING:
    from graders.engine.assignment import Assignment

HERE = BUNDLED_FOLDER

__all__ = ["HERE", "MANIFEST", "Manifest", "assignment_ids", "get", "manifests", "read_manifest"]


def manifests() -> dict[str, Manifest]:
    """Every bundled assignment's manifest, by id, sorted by id."""
    return Course.bundled().manifests()


def assignment_ids() -> list[str]:
    """Ids of the bundled assignments (the packages here with a manifest), sorted."""
    return list(manifests())


def get(assignment_id: str) -> Assignment:
    """The bundled assignment with this id (its package imported now); KeyError for an id
    without a manifest, without importing anything."""
    return Course.bundled().load(assignment_id)
