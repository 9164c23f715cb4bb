"""Realistic student submissions made by editing a reference solution.

A `Mutant` is one slip a student really makes (or one unusual but correct way of writing
a function), expressed as an exact text replacement in the reference module. Keeping
the slips as edits of the reference, rather than as copied files, means a mutant breaks
loudly (its `old` text is gone) when the reference changes, instead of silently testing
stale code.

Each assignment has `tests/mutants/<assignment_id>.py` with two lists:
    MUTANTS: buggy submissions; `catches` names the checks that must fail on it.
    UNUSUAL: correct but unusual submissions; they must get full marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutant:
    """One edit of a reference module.

    name: what the slip is, e.g. "sigmoid_backward_without_one_minus_s".
    old, new: exact replacement; `old` must occur exactly once (or `count` times).
    catches: names (or name prefixes) of the checks that must fail on this submission,
        e.g. ("sigmoid_backward: gradient check",); empty for UNUSUAL mutants.
    says: words the feedback of the first caught check must contain (the named slip),
        e.g. ("factor of 2",).
    count: how many occurrences of `old` are replaced (default 1).
    more: further (old, new) replacements, each of text that occurs exactly once, for a
        submission that differs in more than one place (a network and the step that uses it).
    """

    name: str
    old: str
    new: str
    catches: tuple[str, ...] = ()
    count: int = 1
    says: tuple[str, ...] = ()
    more: tuple[tuple[str, str], ...] = ()

    def apply(self, source: str) -> str:
        for old, new, count in ((self.old, self.new, self.count), *((o, n, 1) for o, n in self.more)):
            found = source.count(old)
            if found != count:
                raise AssertionError(
                    f"mutant {self.name!r}: expected {count} occurrence(s) of {old!r} "
                    f"in the reference, found {found}"
                )
            source = source.replace(old, new)
        return source


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
