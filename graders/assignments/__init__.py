"""The registry of assignments: one package per assignment id, found by its manifest.

Each package `graders/assignments/<id>/` has an `assignment.toml` (its id, title and the
modules its sandbox preloads) and defines `ASSIGNMENT` (an
`graders.engine.assignment.Assignment`) in its `__init__.py`. Listing and validating ids
read the manifests only: no assignment's package, checks, torch, SymPy or Hypothesis is
imported until `get(id)` asks for that one assignment.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graders.engine.assignment import Assignment

HERE = Path(__file__).resolve().parent
MANIFEST = "assignment.toml"


@dataclass(frozen=True)
class Manifest:
    """What the registry knows of an assignment without importing it."""

    id: str
    title: str
    preload: tuple[str, ...]


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the assignment package in `folder`; ValueError if it is malformed."""
    with open(folder / MANIFEST, "rb") as handle:
        data = tomllib.load(handle)
    if data.get("id") != folder.name or not isinstance(data.get("title"), str):
        raise ValueError(f"{folder / MANIFEST}: needs id = {folder.name!r} and a title")
    preload = data.get("preload", ["numpy"])
    if not isinstance(preload, list) or not all(isinstance(p, str) for p in preload):
        raise ValueError(f"{folder / MANIFEST}: preload must be a list of module names")
    return Manifest(id=data["id"], title=data["title"], preload=tuple(preload))


def manifests() -> dict[str, Manifest]:
    """Every assignment's manifest, by id, sorted by id."""
    found = {}
    for manifest_path in sorted(HERE.glob(f"*/{MANIFEST}")):
        folder = manifest_path.parent
        if folder.name.isidentifier() and (folder / "__init__.py").is_file():
            found[folder.name] = read_manifest(folder)
    return found


def assignment_ids() -> list[str]:
    """Ids of the assignments (the packages here with a manifest), sorted."""
    return list(manifests())


def get(assignment_id: str) -> Assignment:
    """The assignment with this id (its package imported now); KeyError for an id without a
    manifest, without importing anything."""
    if not assignment_id.isidentifier() or not (HERE / assignment_id / MANIFEST).is_file():
        raise KeyError(assignment_id)
    module = importlib.import_module(f"{__name__}.{assignment_id}")
    found = getattr(module, "ASSIGNMENT", None)
    from graders.engine.assignment import Assignment

    if not isinstance(found, Assignment):
        raise KeyError(assignment_id)
    return found
