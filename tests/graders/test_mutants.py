"""Every assignment's checks against its reference and its known slips
(graders/assignments/<id>/slips.py), graded as submissions.

- the reference gets full marks;
- each buggy mutant fails the checks named in its `catches` (and its feedback says the
  named slip, where `says` is given);
- each correct-but-unusual mutant gets full marks;
- every check is named in some mutant's `catches`: a check that cannot fail is a defect.

Mutants whose grading takes long (trained checks) are listed in SLOW_MUTANTS / SLOW_UNUSUAL
and run with `-m slow`.

Grades are cached per session, so each submission is graded once.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import pytest

from graders import assignments
from graders.engine.runner import grade
from tests.mutants import REPO, write_mutant

ASSIGNMENTS_DIR = REPO / "graders" / "assignments"


def _assignments_with_mutants() -> list[str]:
    """The assignments whose folder lists known slips (graders/assignments/<id>/slips.py)."""
    return [a for a in assignments.assignment_ids() if (ASSIGNMENTS_DIR / a / "slips.py").exists()]


def _mutants(kind: str) -> list:
    """MUTANTS or UNUSUAL of every assignment; SLOW_MUTANTS / SLOW_UNUSUAL are marked slow."""
    params = []
    for aid in _assignments_with_mutants():
        module = importlib.import_module(f"graders.assignments.{aid}.slips")
        for m in getattr(module, kind, []):
            params.append(pytest.param(aid, m, id=f"{aid}-{m.name}"))
        for m in getattr(module, f"SLOW_{kind}", []):
            params.append(pytest.param(aid, m, id=f"{aid}-{m.name}", marks=pytest.mark.slow))
    return params


@functools.lru_cache(maxsize=None)
def _grade_reference(aid: str):
    a = assignments.get(aid)
    return grade(str(a.reference), a)


@functools.lru_cache(maxsize=None)
def _grade_mutant(aid: str, mutant, only_catches: bool = False):
    """Grade a mutant: all checks, or (for a buggy one) only the checks it must fail. The
    report is kept (cached); the mutant's file is removed once graded."""
    import tempfile

    select = (lambda name: any(name.startswith(p) for p in mutant.catches)) if only_catches else None
    with tempfile.TemporaryDirectory(prefix="dlgrade-mutants-") as directory:
        return grade(str(write_mutant(aid, mutant, Path(directory))), assignments.get(aid), select=select)


@pytest.mark.parametrize("aid", _assignments_with_mutants())
def test_reference_gets_full_marks(aid):
    report = _grade_reference(aid)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed, failed
    assert report.score == report.max_score > 0


@pytest.mark.parametrize("aid, mutant", _mutants("MUTANTS"))
def test_buggy_submission_is_caught_by_the_named_checks(aid, mutant):
    assert mutant.catches, f"{mutant.name} names no check that catches it"
    report = _grade_mutant(aid, mutant, only_catches=True)
    failed = [t for t in report.tests if not t.passed]
    for i, prefix in enumerate(mutant.catches):
        hits = [t for t in failed if t.name.startswith(prefix)]
        assert hits, f"{prefix!r} did not fail; failed: {[t.name for t in failed]}"
        if i == 0:
            for word in mutant.says:
                assert any(word in t.output for t in hits), f"feedback of {prefix!r} does not say {word!r}"
    assert report.score < report.max_score


@pytest.mark.parametrize("aid, mutant", _mutants("UNUSUAL"))
def test_correct_but_unusual_submission_gets_full_marks(aid, mutant):
    report = _grade_mutant(aid, mutant)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed, failed


@pytest.mark.parametrize("aid", _assignments_with_mutants())
def test_every_check_is_named_by_some_mutant(aid):
    module = importlib.import_module(f"graders.assignments.{aid}.slips")
    buggy = list(module.MUTANTS) + list(getattr(module, "SLOW_MUTANTS", []))
    prefixes = [p for m in buggy for p in m.catches]
    checks = [c.name for c in assignments.get(aid).all_checks()]
    uncovered = [name for name in checks if not any(name.startswith(p) for p in prefixes)]
    assert not uncovered, f"checks no buggy submission is known to fail: {uncovered}"
