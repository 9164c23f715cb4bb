"""`dlgrade new`: a new assignment folder in a course, one that grades at once.

The folder holds a manifest, the `ASSIGNMENT` declaration, a reference with solution markers
(its notebook builds with `dlgrade build`), two checks written with `graders.authoring`, and
a slips.py whose mutants those checks catch, so `dlgrade verify` passes before the
instructor changes a line. Kind "trained" writes a NumPy assignment with a trained check
(thresholds.py, tasks.py): `dlgrade calibrate ID --course DIR --write` sets its bound, then it
grades and verifies likewise. The files are `graders.tooling.scaffold_files`.
"""

from __future__ import annotations

import keyword
from pathlib import Path
from string import Template

from graders.tooling.scaffold_files import KINDS, LIMITS, PRELOAD


class ScaffoldError(ValueError):
    """Why an assignment cannot be scaffolded (a usage error: the message says what to change)."""


def check_new_id(assignment_id: str, course: Path) -> None:
    """ScaffoldError unless `assignment_id` can name a new assignment of `course`: a Python
    identifier (its folder is a package), not a keyword, and no assignment of the catalog
    (the bundled course, installed courses, this course) or folder of the course has it."""
    from graders.courses import catalog

    if not assignment_id.isidentifier() or keyword.iskeyword(assignment_id) or assignment_id.startswith("_"):
        raise ScaffoldError(f"{assignment_id!r} is not a valid assignment id: use a Python identifier "
                            "(letters, digits and underscores, not starting with a digit or an underscore)")
    if (course / assignment_id).exists():
        raise ScaffoldError(f"{course / assignment_id} already exists; dlgrade new never overwrites")
    ids = catalog(course if course.is_dir() else None).ids()
    if assignment_id in ids:
        raise ScaffoldError(f"an assignment {assignment_id!r} already exists (ids in use: {', '.join(ids)})")


def scaffold(assignment_id: str, course: Path, *, kind: str = "numpy", title: str | None = None) -> Path:
    """Write the new assignment `course/assignment_id/` (the course folder is created if
    needed) and return its folder; ScaffoldError for an id that cannot be used."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    course = Path(course)
    check_new_id(assignment_id, course)
    title = title or f"{assignment_id}: " + ("a linear regression trained by gradient descent" if kind == "trained"
                                              else "an affine layer, forward and backward")
    preload = PRELOAD[kind]
    values = {"id": assignment_id, "title": title.replace('"', "'"),
              "preload": "[" + ", ".join(f'"{p}"' for p in preload) + "]",
              "preload_tuple": "(" + ", ".join(f'"{p}"' for p in preload) + ",)",
              "limits": LIMITS[kind]}
    folder = course / assignment_id
    folder.mkdir(parents=True)
    for name, text in KINDS[kind].items():
        (folder / name).write_text(Template(text).substitute(values), encoding="utf-8")
    return folder
