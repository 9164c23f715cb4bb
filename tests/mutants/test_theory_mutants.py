"""Every theory MUTANT fails a question with the named slip; every UNUSUAL answer passes.

The submissions go through the same path as in grading: the module is executed, each
value of its ANSWERS is turned into plain data (`to_plain`), and `check_answer` judges it.
Only the answers an edit changed are re-checked; the reference's own answers are checked
once (they all pass).
"""

from __future__ import annotations

import functools

import pytest

from graders.assignments.theory.answer_key import check_all, check_answer
from graders.symbolic import to_plain
from tests.mutants import load_module_from_source, reference_path
from graders.assignments.theory.slips import MUTANTS, UNUSUAL

SOURCE = reference_path("theory").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _reference_plain() -> dict:
    module = load_module_from_source(SOURCE, "theory_reference")
    return {k: to_plain(v) for k, v in module.ANSWERS.items()}


def _changed_verdicts(source: str, name: str) -> dict:
    module = load_module_from_source(source, name)
    plain = {k: to_plain(v) for k, v in module.ANSWERS.items()}
    assert set(plain) == set(_reference_plain())
    changed = {k: v for k, v in plain.items() if repr(v) != repr(_reference_plain()[k])}
    assert changed, "the edit changed no answer"
    return {k: check_answer(k, v) for k, v in changed.items()}


def test_reference_passes_everything():
    verdicts = check_all(_reference_plain())
    assert all(v.passed for v in verdicts.values()), [v.message for v in verdicts.values() if not v.passed]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_fails_with_the_named_slip(mutant):
    verdicts = _changed_verdicts(mutant.apply(SOURCE), mutant.name)
    failed = [v.message for v in verdicts.values() if not v.passed]
    assert failed, "the mutant passes every question"
    for word in mutant.says:
        assert any(word in m for m in failed), (word, failed)


@pytest.mark.parametrize("mutant", UNUSUAL, ids=lambda m: m.name)
def test_unusual_but_right_answers_pass(mutant):
    verdicts = _changed_verdicts(mutant.apply(SOURCE), mutant.name)
    failed = [v.message for v in verdicts.values() if not v.passed]
    assert not failed, failed
