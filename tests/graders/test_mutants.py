"""Every assignment's checks against its reference and its known slips (`slips.py`).

- the reference gets full marks;
- each buggy mutant fails the checks named in its `catches` (and its feedback says the
  named slip, where `says` is given);
- each correct-but-unusual mutant gets full marks;
- every check is named in some mutant's `catches`: a check that cannot fail is a defect.

What each of these means is stated once, in graders.tooling.known_slips, which
`dlgrade verify` uses too. Mutants whose grading takes long (trained checks) are listed in
SLOW_MUTANTS / SLOW_UNUSUAL and run with `-m slow`.

Grades are cached per session, so each submission is graded once.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest

from graders import assignments
from graders.engine.runner import grade
from graders.tooling.known_slips import (caught_problems, full_marks_problems, known_slips, named_by,
                                         slips_module, uncovered_checks)
from tests.mutants import write_mutant


def _assignments_with_mutants() -> list[str]:
    return [a for a in assignments.assignment_ids() if slips_module(a) is not None]


def _mutants(kind: str) -> list:
    """MUTANTS or UNUSUAL of every assignment; SLOW_MUTANTS / SLOW_UNUSUAL are marked slow."""
    params = []
    for aid in _assignments_with_mutants():
        fast, every = known_slips(slips_module(aid)), known_slips(slips_module(aid), slow=True)
        field = "mutants" if kind == "MUTANTS" else "unusual"
        for m in getattr(every, field):
            marks = () if m in getattr(fast, field) else (pytest.mark.slow,)
            params.append(pytest.param(aid, m, id=f"{aid}-{m.name}", marks=marks))
    return params


@functools.lru_cache(maxsize=None)
def _grade_reference(aid: str):
    a = assignments.get(aid)
    return grade(str(a.reference), a)


@functools.lru_cache(maxsize=None)
def _grade_mutant(aid: str, mutant, only_catches: bool = False):
    """Grade a mutant: all checks, or (for a buggy one) only the checks it must fail. The
    report is kept (cached); the mutant's file is removed once graded."""
    select = named_by(mutant.catches) if only_catches else None
    with tempfile.TemporaryDirectory(prefix="dlgrade-mutants-") as directory:
        return grade(str(write_mutant(aid, mutant, Path(directory))), assignments.get(aid), select=select)


def _failed(report) -> dict[str, str]:
    return {t.name: t.output for t in report.tests if not t.passed}


@pytest.mark.parametrize("aid", _assignments_with_mutants())
def test_reference_gets_full_marks(aid):
    report = _grade_reference(aid)
    assert not full_marks_problems(_failed(report), report.score, report.max_score)


@pytest.mark.parametrize("aid, mutant", _mutants("MUTANTS"))
def test_buggy_submission_is_caught_by_the_named_checks(aid, mutant):
    report = _grade_mutant(aid, mutant, only_catches=True)
    problems = caught_problems(mutant, _failed(report), [t.name for t in report.tests])
    assert not problems, problems
    assert report.score < report.max_score


@pytest.mark.parametrize("aid, mutant", _mutants("UNUSUAL"))
def test_correct_but_unusual_submission_gets_full_marks(aid, mutant):
    report = _grade_mutant(aid, mutant)
    problems = full_marks_problems(_failed(report), report.score, report.max_score)
    assert not problems, problems


@pytest.mark.parametrize("aid", _assignments_with_mutants())
def test_every_check_is_named_by_some_mutant(aid):
    buggy = known_slips(slips_module(aid), slow=True).mutants
    checks = [c.name for c in assignments.get(aid).all_checks()]
    uncovered = uncovered_checks(checks, [m.catches for m in buggy])
    assert not uncovered, f"checks no buggy submission is known to fail: {uncovered}"
