"""The same submission graded many times, one at a time and two at a time (threads calling
`grade` concurrently), gets identical results: every check's status and score."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from graders.engine.runner import grade
from tests.hostile import corpus

EXAMPLE = corpus.REPO / "student_templates" / "examples" / "numpy_basics_example.py"


def _outcome(assignment) -> tuple:
    report = grade(str(EXAMPLE), assignment)
    return report.score, tuple((t.name, t.status, t.score) for t in report.tests)


def _grades(times: int, workers: int, assignment) -> list[tuple]:
    if workers == 1:
        return [_outcome(assignment) for _ in range(times)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda _: _outcome(assignment), range(times)))


def _check(times: int, functions=None) -> None:
    # the checks' own timeouts: a timeout on a loaded machine must not pass for nondeterminism
    assignment = corpus.fast_assignment(functions, timeout_s=None)
    serial = _grades(times, 1, assignment)
    parallel = _grades(times, 2, assignment)
    first = serial[0]
    assert 0 < first[0] < sum(1 for _ in first[1]) * 2  # the example has slips: a partial score
    for outcome in serial + parallel:
        assert outcome == first
    assert corpus.survivors() == []


def test_three_grades_with_one_and_two_workers_are_identical():
    # the functions with the example's three slips, and one without
    _check(3, {"relu", "sigmoid_backward", "softmax", "mse_loss"})


@pytest.mark.slow
def test_twenty_grades_with_one_and_two_workers_are_identical():
    _check(20)
