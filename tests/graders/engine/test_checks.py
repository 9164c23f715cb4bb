"""The check model: Check, CheckFailed, TestResult, Report, Assignment."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.engine.assignment import Assignment
from graders.engine.checks import Check, CheckFailed, Kind, Report, Visibility
from graders.engine.checks import TestResult as Result  # not collected by pytest


def _noop(ctx):
    return None


def test_check_name_must_start_with_function_and_colon():
    with pytest.raises(ValueError, match="must start with"):
        Check("relu values", _noop)


def test_check_points_must_not_be_negative():
    with pytest.raises(ValueError, match="points"):
        Check("relu: values", _noop, points=-1)


def test_check_function_is_the_text_before_the_first_colon():
    c = Check("relu_backward: gradient check: W1", _noop)
    assert c.function == "relu_backward"


def test_check_defaults_are_visible_value_one_point():
    c = Check("f: x", _noop)
    assert (c.points, c.kind, c.visibility, c.needs) == (1.0, Kind.VALUE, Visibility.VISIBLE, None)
    assert c.timeout_s > 0


def test_a_check_without_needs_needs_the_function_in_its_name_when_that_is_a_contract_name():
    assert Check("f: x", _noop).with_contract(("f", "g")).needs == ("f",)
    assert Check("ANSWERS[q1]: x", _noop).with_contract(("ANSWERS",)).needs == ()
    assert Check("f: x", _noop, needs=("f", "g")).with_contract(("f", "g")).needs == ("f", "g")
    assert Check("f: x", _noop, needs=()).with_contract(("f",)).needs == ()


def test_kind_and_visibility_values_are_gradescope_and_report_strings():
    assert {k.value for k in Kind} == {"value", "gradient", "property", "symbolic", "threshold"}
    assert {v.value for v in Visibility} == {"visible", "hidden", "after_due_date"}
    assert Visibility.HIDDEN == "hidden"  # str enum: serialises as its value


def test_check_failed_render_lists_every_given_field_with_its_label():
    exc = CheckFailed("relu is wrong.", expected="0.5", got="1", where="at index (1, 2)",
                      diff="by 0.5", slip="a factor of 2", details="Inputs: z = [1]")
    text = exc.render()
    assert text.splitlines()[0] == "relu is wrong."
    for line in ("Expected: 0.5", "Got: 1", "Where: at index (1, 2)", "By how much: by 0.5",
                 "Likely slip: a factor of 2", "Inputs: z = [1]"):
        assert line in text.splitlines()
    assert str(exc) == "relu is wrong."


def test_check_failed_render_omits_missing_fields():
    text = CheckFailed("only a summary.").render()
    assert text == "only a summary."


def test_test_result_passed_follows_status():
    ok = Result("f: x", 1, 1, "passed", "", "value", "visible")
    bad = Result("f: x", 0, 1, "failed", "why", "value", "visible")
    assert ok.passed and not bad.passed


def test_report_score_and_max_score_sum_the_tests_rounded():
    tests = [Result("f: a", 0.1, 0.5, "passed", "", "value", "visible"),
             Result("f: b", 0.2, 0.5, "passed", "", "value", "visible"),
             Result("f: c", 0.0, 2.0, "failed", "", "value", "visible")]
    r = Report("a", "s.py", tests, 1.0)
    assert r.score == 0.3  # not 0.30000000000000004
    assert r.max_score == 3.0


def test_report_of_no_tests_scores_zero_of_zero():
    r = Report("a", "s.py", [], 0.0)
    assert (r.score, r.max_score) == (0.0, 0.0)


def _checks(options):
    yield Check("f: one", _noop)
    yield Check("f: two", _noop, points=options.get("points", 1))


def test_assignment_all_checks_merges_default_and_given_options():
    a = Assignment("tiny", "Tiny", ("f",), _checks, Path("ref.py"), options={"points": 3})
    assert [c.points for c in a.all_checks()] == [1.0, 3]
    assert [c.points for c in a.all_checks({"points": 5})] == [1.0, 5]


def test_assignment_rejects_duplicate_check_names():
    def dup(options):
        yield Check("f: same", _noop)
        yield Check("f: same", _noop)

    a = Assignment("tiny", "Tiny", ("f",), dup, Path("ref.py"))
    with pytest.raises(ValueError, match="duplicate"):
        a.all_checks()
