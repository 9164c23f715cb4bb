"""JSON reports: Gradescope's results.json schema exactly, and dlgrade's superset of it.

The documented schema (https://gradescope-autograders.readthedocs.io/en/latest/specs/,
"Output format", "Output String Formatting", "Test case status", "Controlling Test Case
Visibility") is written out below; every key the report writes must be one of them, with
a value of the documented type.
"""

from __future__ import annotations

import json
import math

from dlgrade import __version__
from graders.engine.checks import Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.reports.results_json import gradescope_dict, render_gradescope, render_json

# -- Gradescope's documented results.json (all keys optional) --------------------------
GRADESCOPE_TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format",
                        "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                        "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}
GRADESCOPE_FORMATS = {"text", "html", "simple_format", "md", "ansi"}
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
GRADESCOPE_STATUS = {"passed", "failed"}

# -- what dlgrade writes: exactly these --------------------------------------------------
WRITTEN_TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format",
                     "test_name_format", "visibility", "stdout_visibility", "tests"}
WRITTEN_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                "output_format", "tags", "visibility"}


def _report(**kwargs) -> Report:
    tests = [
        Result("relu: values", 1.0, 1.0, "passed", "", "value", "visible", "1", 0.0123),
        Result("relu_backward: gradient check", 0.0, 2.0, "failed", "Expected: 1\nGot: 2",
               "gradient", "hidden", "2", 0.2),
        Result("softmax: later", 0.5, 0.5, "passed", "", "property", "after_due_date", "3", 0.3),
    ]
    defaults = dict(assignment="numpy_basics", submission="work.py", tests=tests,
                    execution_time=12.34567, load_messages=["cell 2: magics were not run."],
                    output="printed")
    defaults.update(kwargs)
    return Report(**defaults)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_gradescope_has_exactly_the_expected_keys():
    data = json.loads(render_gradescope(_report()))
    assert set(data) == WRITTEN_TOP_LEVEL
    for test in data["tests"]:
        assert set(test) == WRITTEN_TEST


def test_gradescope_keys_are_all_documented_by_gradescope():
    data = json.loads(render_gradescope(_report()))
    assert set(data) <= GRADESCOPE_TOP_LEVEL
    for test in data["tests"]:
        assert set(test) <= GRADESCOPE_TEST


def test_gradescope_values_have_the_documented_types_and_vocabulary():
    data = json.loads(render_gradescope(_report()))
    assert _is_number(data["score"]) and _is_number(data["execution_time"])
    assert isinstance(data["output"], str)
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert data[key] in GRADESCOPE_FORMATS
    assert data["visibility"] in GRADESCOPE_VISIBILITY
    assert data["stdout_visibility"] in GRADESCOPE_VISIBILITY
    for test in data["tests"]:
        assert _is_number(test["score"]) and _is_number(test["max_score"])
        assert test["status"] in GRADESCOPE_STATUS
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["number"], str)
        assert test["name_format"] in GRADESCOPE_FORMATS and test["output_format"] in GRADESCOPE_FORMATS
        assert isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
        assert test["visibility"] in GRADESCOPE_VISIBILITY


def test_gradescope_carries_each_check_result():
    data = gradescope_dict(_report())
    assert data["score"] == 1.5
    assert data["execution_time"] == 12.346
    assert [t["status"] for t in data["tests"]] == ["passed", "failed", "passed"]
    assert [t["visibility"] for t in data["tests"]] == ["visible", "hidden", "after_due_date"]
    assert [t["number"] for t in data["tests"]] == ["1", "2", "3"]
    assert [t["tags"] for t in data["tests"]] == [["value"], ["gradient"], ["property"]]
    assert data["tests"][1]["output"] == "Expected: 1\nGot: 2"
    assert data["stdout_visibility"] == "hidden"  # the grader's own stdout is for instructors


def test_gradescope_score_is_the_sum_of_the_test_scores():
    data = gradescope_dict(_report())
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_gradescope_output_has_version_assignment_notes_and_hidden_count():
    data = gradescope_dict(_report(hidden_not_run=2))
    assert data["output"].splitlines() == [f"dlgrade {__version__}: numpy_basics",
                                           "cell 2: magics were not run.",
                                           "2 hidden check(s) were not run."]


def test_gradescope_output_does_not_include_what_the_submission_printed():
    assert "printed" not in gradescope_dict(_report())["output"]


def test_json_is_a_superset_of_gradescope():
    report = _report(hidden_not_run=1)
    gs = json.loads(render_gradescope(report))
    full = json.loads(render_json(report))
    for key, value in gs.items():
        if key != "tests":
            assert full[key] == value
    assert len(full["tests"]) == len(gs["tests"])
    for mine, theirs in zip(full["tests"], gs["tests"]):
        assert {k: mine[k] for k in theirs} == theirs


def test_json_adds_the_documented_extras():
    full = json.loads(render_json(_report(hidden_not_run=1)))
    assert full["max_score"] == 3.5
    assert full["assignment"] == "numpy_basics" and full["submission"] == "work.py"
    assert full["dlgrade_version"] == __version__
    assert full["load_messages"] == ["cell 2: magics were not run."]
    assert full["hidden_not_run"] == 1
    assert full["captured_output"] == "printed"
    assert [t["kind"] for t in full["tests"]] == ["value", "gradient", "property"]
    assert [t["time_s"] for t in full["tests"]] == [0.0123, 0.2, 0.3]


def test_reports_of_no_checks_are_valid_json():
    empty = Report("a", "s.py", [], 0.0)
    assert json.loads(render_gradescope(empty))["tests"] == []
    assert json.loads(render_json(empty))["max_score"] == 0


def test_control_characters_and_unicode_in_output_round_trip():
    text = "bad \x00\x1b[31m red \u2603 \U0001F600"
    report = _report()
    report.tests[1].output = text
    assert json.loads(render_gradescope(report))["tests"][1]["output"] == text
    assert json.loads(render_json(report))["tests"][1]["output"] == text


def test_rendered_json_ends_with_a_newline():
    assert render_gradescope(_report()).endswith("}\n")
    assert render_json(_report()).endswith("}\n")


def test_json_exposes_each_failures_fields_and_its_pictures_kind_and_title():
    from graders.engine.checks import FAILURE_FIELDS, Picture
    from graders.engine.checks import TestResult as Result

    failed = Result("f: x", 0.0, 1.0, "failed", "f is wrong.\nExpected: 1", "value", "visible", summary="f is wrong.",
                    expected="1", got="2", slip="a sign", pictures=[Picture("line_plot", "loss", {"series": {}})])
    report = Report(assignment="a", submission="s.py", tests=[failed], execution_time=0.1)
    (entry,) = json.loads(render_json(report))["tests"]
    assert {name: entry[name] for name in FAILURE_FIELDS} == {
        "summary": "f is wrong.", "expected": "1", "got": "2", "where": None, "diff": None, "slip": "a sign",
        "details": None}
    assert entry["pictures"] == [{"kind": "line_plot", "title": "loss"}]
    assert entry["output"] == "f is wrong.\nExpected: 1"  # Gradescope's text, unchanged
