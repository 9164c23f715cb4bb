"""Helpers of the tests that grade an assignment's known slips.

The slips themselves live beside each grader, in `graders/assignments/<id>/slips.py`
(`MUTANTS`, `UNUSUAL`: `graders.engine.mutants.Mutant` edits of the reference); these
helpers write them out as submissions and grade them.
"""

from __future__ import annotations

from pathlib import Path

from graders.engine.mutants import Mutant  # noqa: F401  (re-exported for the tests)

REPO = Path(__file__).resolve().parents[2]


def reference_path(assignment_id: str) -> Path:
    """The reference module of an assignment (numpy, torch or top-level)."""
    for sub in ("numpy", "torch", ""):
        p = REPO / "reference" / sub / f"{assignment_id}.py"
        if p.exists():
            return p
    raise FileNotFoundError(assignment_id)


def write_mutant(assignment_id: str, mutant: Mutant, directory: Path) -> Path:
    """Write the mutated reference as a stand-alone submission file and return its path."""
    source = reference_path(assignment_id).read_text(encoding="utf-8")
    path = Path(directory) / f"{assignment_id}__{mutant.name}.py"
    path.write_text(mutant.apply(source), encoding="utf-8")
    return path


def write_edited(assignment_id: str, directory, *edits: Mutant, name: str = "submission.py") -> str:
    """The reference with `edits` applied in turn, written as `directory/name`; its path."""
    source = reference_path(assignment_id).read_text(encoding="utf-8")
    for edit in edits:
        source = edit.apply(source)
    path = Path(directory) / name
    path.write_text(source, encoding="utf-8")
    return str(path)


def grade_selected(assignment, path, prefix: str):
    """The report of grading `path` with only the checks whose names start with `prefix`."""
    from graders.engine.runner import grade

    report = grade(path, assignment, select=lambda n: n.startswith(prefix))
    assert report.tests, f"no check starts with {prefix!r}"
    return report


def load_module_from_source(source: str, name: str):
    """Exec `source` as a fresh module (for reference-level tests of a mutant's behaviour)."""
    import types

    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module
