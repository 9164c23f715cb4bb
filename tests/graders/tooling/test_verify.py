"""`dlgrade verify`: the listed slips' expectations, automatic mutants, likely equivalence."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

from dlgrade.cli import main
from graders import assignments
from graders.engine.mutants import Mutant
from graders.tooling.automutants import AutoMutant
from graders.tooling.grading_jobs import grade_variant, local_grader, make_job
from graders.tooling.known_slips import named_by
from graders.tooling.verify import auto_outcome, verify

TANH = "tanh: finite and exact at |z| = 1e3"
TANH_OVERFLOWS = Mutant(
    "tanh_naive_exp_overflows",
    "return np.tanh(z)\n    ### END SOLUTION",
    "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))\n    ### END SOLUTION",
    catches=(TANH,))


def _tanh_slips():
    return SimpleNamespace(MUTANTS=[TANH_OVERFLOWS], UNUSUAL=[])


def _weakened(assignment, check_name):
    """The assignment with one check that cannot fail (its run passes whatever it is given)."""
    def checks(options):
        for check in assignment.checks(options):
            yield dataclasses.replace(check, run=lambda ctx: None) if check.name == check_name else check

    return dataclasses.replace(assignment, checks=checks)


def test_a_check_that_cannot_fail_makes_verify_fail_and_says_which():
    a = _weakened(assignments.get("numpy_basics"), TANH)
    result = verify(a, _tanh_slips(), local_grader(a), select=named_by(["tanh:"]))
    assert not result.ok
    assert any(f"mutant tanh_naive_exp_overflows: {TANH!r} did not fail" in p for p in result.problems)
    assert f"check {TANH!r} is failed by no listed buggy variant: it may be unable to fail" in result.problems


def test_a_check_removed_makes_verify_fail_for_the_slips_that_name_it():
    a = assignments.get("numpy_basics")
    result = verify(a, _tanh_slips(), local_grader(a), select=lambda n: n.startswith("tanh:") and n != TANH)
    assert f"mutant tanh_naive_exp_overflows: {TANH!r} names no check of the assignment" in result.problems


def test_the_weakened_check_passes_verify_when_whole():
    a = assignments.get("numpy_basics")
    result = verify(a, _tanh_slips(), local_grader(a), select=lambda n: n == TANH)
    assert result.ok, result.problems
    assert [o.kind for o in result.listed] == ["reference", "mutant"]


def test_a_slip_whose_text_left_the_reference_is_reported():
    a = assignments.get("numpy_basics")
    stale = Mutant("stale", "return np.tanh(z) * 1.0", "return z", catches=("tanh:",))
    result = verify(a, SimpleNamespace(MUTANTS=[stale], UNUSUAL=[]), local_grader(a), select=named_by(["tanh:"]))
    assert any(p.startswith("mutant stale: expected 1 occurrence(s)") for p in result.problems)


def _survivor(source: str, reference_calls, checks):
    a = assignments.get("numpy_basics")
    mutant = AutoMutant("m", "constant", 1, "", "", source)
    return auto_outcome(mutant, grade_variant(a, make_job("m", source, checks, record=True)), reference_calls)


def test_a_survivor_that_only_renames_a_local_is_likely_equivalent_one_that_changes_outputs_is_not():
    a = assignments.get("numpy_basics")
    reference = a.reference.read_text(encoding="utf-8")
    checks = ["sigmoid: non-decreasing"]  # blind to a scale: both variants below survive it
    calls = grade_variant(a, make_job("reference", reference, checks, record=True))["calls"]
    renamed = reference.replace("e = np.exp(-np.abs(z))", "decay = np.exp(-np.abs(z))").replace(
        "1.0 / (1.0 + e), e / (1.0 + e)", "1.0 / (1.0 + decay), decay / (1.0 + decay)")
    scaled = reference.replace("1.0 / (1.0 + e), e / (1.0 + e)", "0.5 / (1.0 + e), 0.5 * e / (1.0 + e)")
    assert renamed != reference and scaled != reference
    same = _survivor(renamed, calls, checks)
    assert not same.killed and same.likely_equivalent and same.differs_at is None
    other = _survivor(scaled, calls, checks)
    assert not other.killed and not other.likely_equivalent
    assert other.differs_at == "sigmoid: non-decreasing: sigmoid"


def test_verify_numpy_basics_with_automatic_mutants_end_to_end(capsys):
    code = main(["verify", "numpy_basics", "--auto", "5", "--format", "json", "--min-kill-rate", "0.5"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"], data["problems"]
    assert data["uncovered_checks"] == [] and len(data["listed"]) > 40
    auto = data["auto"]
    assert auto["graded"] == 5 and auto["killed"] + auto["survived"] == 5 and auto["kill_rate"] >= 0.5
    assert all(m["diff"].startswith("line ") for m in auto["mutants"])


def test_verify_fails_with_the_problem_in_its_table(capsys, monkeypatch):
    stale = Mutant("stale", "no such text", "x", catches=("tanh:",))
    monkeypatch.setattr("graders.tooling.targets.load_slips",
                        lambda aid, course=None: SimpleNamespace(MUTANTS=[stale], UNUSUAL=[]))
    code = main(["verify", "numpy_basics", "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  mutant    stale      expected 1 occurrence(s) of 'no such text' in the reference" in out
    assert "verify numpy_basics: FAILED (47 problems)" in out
    assert f"check {TANH!r} is failed by no listed buggy variant" in out


def test_verify_of_an_unknown_assignment_is_a_usage_error(capsys):
    assert main(["verify", "no_such_assignment"]) == 2
    assert "unknown assignment 'no_such_assignment'" in capsys.readouterr().err


def test_an_automatic_mutant_meets_the_checks_of_its_function_first_and_stops_at_the_first_failure():
    a = assignments.get("numpy_basics")
    broken = a.reference.read_text(encoding="utf-8").replace("return dout * (1.0 - t * t)", "return dout * (1.0 - t)")
    checks = [c.name for c in a.all_checks()]
    first = [c for c in checks if c.startswith("tanh_backward:")]
    result = grade_variant(a, make_job("m", broken, checks, stop_at_first_failure=True, first=first))
    assert result["graded"] == [first[0]] and list(result["failed"]) == [first[0]]


def test_a_check_only_slow_slips_fail_is_theirs_and_graded_with_slow():
    a = assignments.get("numpy_basics")
    slips = SimpleNamespace(MUTANTS=[], UNUSUAL=[], SLOW_MUTANTS=[TANH_OVERFLOWS])
    fast = verify(a, slips, local_grader(a), select=lambda n: n == TANH)
    assert fast.ok and fast.slow_only == [TANH] and fast.uncovered == []
    slow = verify(a, slips, local_grader(a), select=lambda n: n == TANH, slow=True)
    assert slow.ok and slow.slow_only == [] and [o.kind for o in slow.listed] == ["reference", "mutant"]
