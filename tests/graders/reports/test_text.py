"""The terminal report: PASS/FAIL lines, feedback under failures, notes, captured output."""

from __future__ import annotations

import pytest

from graders.engine.checks import Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.reports import FORMATS, render
from graders.reports.text import render_text


def _report(**kwargs) -> Report:
    tests = [
        Result("relu: values on random inputs", 1.0, 1.0, "passed", "", "value", "visible", "1", 0.01),
        Result("relu_backward: gradient check", 0.0, 2.0, "failed",
               "relu_backward(dout, z) does not match.\nExpected: 1\nGot: 2\nLikely slip: a factor of 2",
               "gradient", "visible", "2", 0.2),
        Result("softmax: hidden property", 0.5, 0.5, "passed", "", "property", "hidden", "3", 0.3),
    ]
    defaults = dict(assignment="numpy_basics", submission="work.py", tests=tests, execution_time=1.234)
    defaults.update(kwargs)
    return Report(**defaults)


def test_header_has_assignment_submission_score_and_counts():
    lines = render_text(_report()).splitlines()
    assert lines[0] == "dlgrade: numpy_basics: work.py"
    assert lines[1] == "Score: 1.5 / 3.5   (2 of 3 checks passed, 1.2 s)"


def test_one_pass_or_fail_line_per_check_with_points():
    lines = render_text(_report()).splitlines()
    marks = [line for line in lines if line.startswith(("PASS  ", "FAIL  "))]
    assert len(marks) == 3
    assert marks[0].startswith("PASS  relu: values on random inputs") and marks[0].endswith("1/1")
    assert marks[1].startswith("FAIL  relu_backward: gradient check") and marks[1].endswith("0/2")
    assert marks[2].endswith("0.5/0.5  [hidden]")


def test_names_are_padded_so_points_line_up():
    report = _report()
    width = max(len(t.name) for t in report.tests)
    marks = [line for line in render_text(report).splitlines() if line.startswith(("PASS", "FAIL"))]
    for line, t in zip(marks, report.tests):
        assert line[6:6 + width] == t.name.ljust(width)
        assert line[6 + width:].startswith("  ") and line[8 + width].isdigit()


def test_feedback_is_indented_under_a_failure_only():
    text = render_text(_report())
    lines = text.splitlines()
    i = lines.index(next(line for line in lines if line.startswith("FAIL")))
    assert lines[i + 1] == "      relu_backward(dout, z) does not match."
    assert lines[i + 4] == "      Likely slip: a factor of 2"
    assert lines[i + 5].startswith("PASS")


def test_passing_check_notes_are_not_shown():
    report = _report()
    report.tests[0].output = "a note"
    assert "a note" not in render_text(report)


def test_load_messages_are_listed_under_a_heading():
    text = render_text(_report(load_messages=["<cell 3> raised NameError: x", "cell 2: magics"]))
    assert "Notes on loading your submission:\n  <cell 3> raised NameError: x\n  cell 2: magics" in text


def test_hidden_checks_not_run_are_announced():
    text = render_text(_report(hidden_not_run=4))
    assert "4 hidden check(s) were not run: your final score may differ." in text
    assert "hidden check(s) were not run" not in render_text(_report())


def test_captured_output_is_quoted_line_by_line():
    text = render_text(_report(output="hello\n\nworld\n"))
    assert "What your code printed:\n  | hello\n  | \n  | world" in text


def test_report_of_no_checks_renders():
    text = render_text(Report("a", "s.py", [], 0.0))
    assert "Score: 0 / 0   (0 of 0 checks passed, 0.0 s)" in text


def test_text_ends_with_one_newline():
    text = render_text(_report())
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_render_dispatches_every_format_and_rejects_others():
    assert FORMATS == ("text", "json", "gradescope", "junit", "html")
    assert render(_report(), "text") == render_text(_report())
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render(_report(), "pdf")
