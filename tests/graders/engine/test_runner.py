"""runner.grade end to end, with tiny assignments written here (the sandbox is real)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from graders.engine import expect, runner
from graders.engine.assignment import Assignment
from graders.engine.checks import Check, CheckFailed, Kind, Report, Visibility
from graders.engine.compare import assert_close
from graders.engine.runner import grade
from graders.reports import FORMATS, render
from graders.sandbox.limits import Limits

REFERENCE = """\
import numpy as np


def double(x):
    return 2 * x


def halve(x):
    return x / 2
"""

X = np.array([1.0, -2.0, 3.5])


def check_double(ctx):
    got = expect.array(ctx.call("double", X), "double(x)", X.shape)
    assert_close(got, 2 * X, "double(x)")


def check_halve(ctx):
    got = expect.array(ctx.call("halve", X), "halve(x)", X.shape)
    assert_close(got, X / 2, "halve(x)")


def check_double_again(ctx):
    check_double(ctx)
    return "a note from a passing check"


def check_with_a_bug(ctx):
    return {}["missing key"]  # a defect of the check, not of the submission


def tiny(tmp_path, checks, **kwargs) -> Assignment:
    ref = tmp_path / "reference.py"
    ref.write_text(REFERENCE, encoding="utf-8")
    return Assignment(id="tiny", title="A tiny assignment", contract=("double", "halve"),
                      checks=lambda options: iter(checks), reference=ref,
                      limits=kwargs.pop("limits", Limits(cpu_s=60, memory_mb=2048, startup_s=20)),
                      **kwargs)


def submit(tmp_path, code, name="submission.py"):
    p = tmp_path / name
    p.write_text(code, encoding="utf-8")
    return str(p)


def by_name(report: Report) -> dict:
    return {t.name: t for t in report.tests}


def assert_valid_report(report: Report):
    assert isinstance(report, Report)
    for fmt in FORMATS:
        assert render(report, fmt)
    json.loads(render(report, "gradescope"))
    assert report.score <= report.max_score


DOUBLE = Check("double: values", check_double, needs=("double",))
HALVE = Check("halve: values", check_halve, points=2, needs=("halve",))
DOUBLE_AGAIN = Check("double: values again", check_double_again, needs=("double",))


def test_reference_gets_full_marks_with_numbered_tests(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    report = grade(str(a.reference), a)
    assert [t.status for t in report.tests] == ["passed", "passed"]
    assert (report.score, report.max_score) == (3.0, 3.0)
    assert [t.number for t in report.tests] == ["1", "2"]
    assert [t.kind for t in report.tests] == ["value", "value"]
    assert report.assignment == "tiny" and report.submission == str(a.reference)
    assert report.load_messages == [] and report.hidden_not_run == 0
    assert all(t.time_s >= 0 for t in report.tests) and report.execution_time > 0
    assert_valid_report(report)


def test_passing_check_note_becomes_its_output(tmp_path):
    a = tiny(tmp_path, [DOUBLE_AGAIN])
    report = grade(str(a.reference), a)
    assert report.tests[0].output == "a note from a passing check"


def test_missing_function_fails_its_checks_with_not_defined(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    report = grade(submit(tmp_path, "def double(x):\n    return 2 * x\n"), a)
    results = by_name(report)
    assert results["double: values"].passed
    halve = results["halve: values"]
    assert not halve.passed and halve.score == 0 and halve.max_score == 2
    assert "`halve` is not defined in your submission." in halve.output
    assert "misspelt name" in halve.output


def test_syntax_error_is_a_load_message_and_fails_every_check(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    report = grade(submit(tmp_path, "def double(x)\n    return 2 * x\n"), a)
    assert report.score == 0
    assert all("not defined" in t.output for t in report.tests)
    assert any("SyntaxError" in m for m in report.load_messages)
    assert_valid_report(report)


def test_exception_in_submission_is_shown_with_its_message(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    code = REFERENCE.replace("return 2 * x", "raise ValueError('shapes do not match')")
    results = by_name(grade(submit(tmp_path, code), a))
    out = results["double: values"].output
    assert out.startswith("Your code raised an exception:")
    assert "ValueError: shapes do not match" in out
    assert results["halve: values"].passed


def test_not_implemented_error_says_not_implemented_yet(tmp_path):
    a = tiny(tmp_path, [DOUBLE])
    code = REFERENCE.replace("return 2 * x", "raise NotImplementedError")
    out = grade(submit(tmp_path, code), a).tests[0].output
    assert "Not implemented yet" in out


def test_wrong_value_feedback_names_the_slip(tmp_path):
    a = tiny(tmp_path, [HALVE])
    code = REFERENCE.replace("return x / 2", "return x / 4")
    out = grade(submit(tmp_path, code), a).tests[0].output
    assert "halve(x) does not match the expected values." in out
    assert "Likely slip: half the expected value" in out


def test_a_bug_in_a_check_is_an_internal_error_and_the_report_stays_valid(tmp_path, caplog):
    buggy = Check("double: buggy check", check_with_a_bug, needs=("double",))
    a = tiny(tmp_path, [buggy, DOUBLE])
    report = grade(str(a.reference), a)
    results = by_name(report)
    out = results["double: buggy check"].output
    assert not results["double: buggy check"].passed
    # the student is told to ask; the instructor's log has the traceback, the report none of it
    assert "internal error" in out and "contact your instructor" in out
    assert "KeyError" not in out and "Traceback" not in out and ".py" not in out
    assert "KeyError" in caplog.text and "Traceback" in caplog.text
    assert results["double: values"].passed
    assert_valid_report(report)


def test_sys_exit_at_top_level_is_a_load_message_and_checks_still_run(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    code = REFERENCE + "\nimport sys\nsys.exit(3)\n"
    report = grade(submit(tmp_path, code), a)
    assert [t.status for t in report.tests] == ["passed", "passed"]
    assert any("SystemExit" in m for m in report.load_messages)


def test_sys_exit_inside_a_function_fails_only_that_check(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    code = REFERENCE.replace("return 2 * x", "import sys; sys.exit(1)")
    results = by_name(grade(submit(tmp_path, code), a))
    assert "SystemExit" in results["double: values"].output
    assert results["halve: values"].passed


def test_os_exit_inside_a_function_fails_that_check_and_later_checks_run_fresh(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE, DOUBLE_AGAIN])
    code = REFERENCE.replace("return 2 * x", "import os; os._exit(7)").replace(
        "return x / 2", "return x / 2  # fine")
    report = grade(submit(tmp_path, code), a)
    results = by_name(report)
    first = results["double: values"].output
    assert first.startswith("Your code's process stopped:")
    assert "exited with status 7" in first
    assert results["halve: values"].passed  # a fresh sandbox
    assert "exited with status 7" in results["double: values again"].output
    assert_valid_report(report)


def test_infinite_loop_times_out_and_later_checks_run_in_a_fresh_sandbox(tmp_path):
    loop = Check("double: values (looping)", check_double, needs=("double",), timeout_s=1.0)
    a = tiny(tmp_path, [loop, HALVE])
    code = REFERENCE.replace("return 2 * x", "while True:\n        pass")
    report = grade(submit(tmp_path, code), a)
    results = by_name(report)
    out = results["double: values (looping)"].output
    assert "did not finish in time (1 s for this check)" in out
    assert "infinite loop" in out
    assert results["double: values (looping)"].time_s < 10
    assert results["halve: values"].passed


def test_too_many_crashes_stop_the_grade_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MAX_RESTARTS", 1)
    checks = [Check(f"double: crash {i}", check_double, needs=("double",)) for i in range(4)]
    a = tiny(tmp_path, checks)
    code = REFERENCE.replace("return 2 * x", "import os; os._exit(1)")
    report = grade(submit(tmp_path, code), a)
    outputs = [t.output for t in report.tests]
    assert all("exited with status 1" in o for o in outputs[:2])
    assert all("crashed the sandbox too many times" in o for o in outputs[2:])
    assert any("too many times" in m for m in report.load_messages)


def test_top_level_exit_of_the_process_fails_every_check_once_loaded(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    report = grade(submit(tmp_path, "import os\nos._exit(0)\n"), a)
    assert report.score == 0
    assert all("could not be loaded" in t.output for t in report.tests)
    assert any("could not be loaded" in m for m in report.load_messages)
    assert_valid_report(report)


def test_missing_submission_file_fails_every_check_without_a_sandbox(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE])
    report = grade(str(tmp_path / "nothing.py"), a)
    assert report.score == 0
    assert all("could not be read" in t.output and "no such file" in t.output for t in report.tests)
    assert report.load_messages == ["nothing.py: no such file."]
    assert_valid_report(report)


def test_printed_output_is_captured_in_the_report(tmp_path):
    a = tiny(tmp_path, [DOUBLE])
    report = grade(submit(tmp_path, "print('hello from the top level')\n" + REFERENCE), a)
    assert "hello from the top level" in report.output
    assert report.tests[0].passed


def test_select_runs_only_the_selected_checks(tmp_path):
    a = tiny(tmp_path, [DOUBLE, HALVE, DOUBLE_AGAIN])
    report = grade(str(a.reference), a, select=lambda name: name.startswith("double:"))
    assert [t.name for t in report.tests] == ["double: values", "double: values again"]
    assert report.max_score == 2


def test_include_hidden_false_drops_hidden_checks_and_counts_them(tmp_path):
    hidden = Check("halve: hidden values", check_halve, visibility=Visibility.HIDDEN, needs=("halve",))
    later = Check("halve: after the due date", check_halve, visibility=Visibility.AFTER_DUE_DATE,
                  needs=("halve",))
    a = tiny(tmp_path, [DOUBLE, hidden, later])
    visible_only = grade(str(a.reference), a, include_hidden=False)
    assert [t.name for t in visible_only.tests] == ["double: values"]
    assert visible_only.hidden_not_run == 2
    everything = grade(str(a.reference), a)
    assert [t.visibility for t in everything.tests] == ["visible", "hidden", "after_due_date"]
    assert everything.hidden_not_run == 0


def test_options_reach_the_checks_merged_with_the_defaults(tmp_path):
    seen = []

    def check_options(ctx):
        seen.append(dict(ctx.options))

    a = tiny(tmp_path, [Check("double: options", check_options)], options={"data": "digits", "k": 1})
    grade(str(a.reference), a, options={"data": "mnist:/x"})
    assert seen == [{"data": "mnist:/x", "k": 1}]


def test_each_check_gets_an_rng_seeded_by_its_name(tmp_path):
    draws = {}

    def check_rng(ctx):
        draws.setdefault(ctx.check.name, []).append(ctx.rng.standard_normal(3))

    checks = [Check("double: rng a", check_rng), Check("double: rng b", check_rng)]
    a = tiny(tmp_path, checks)
    grade(str(a.reference), a)
    grade(str(a.reference), a)
    assert np.array_equal(draws["double: rng a"][0], draws["double: rng a"][1])
    assert not np.array_equal(draws["double: rng a"][0], draws["double: rng b"][0])


def test_check_failed_feedback_is_the_rendered_output(tmp_path):
    def check_fails(ctx):
        raise CheckFailed("double is wrong.", expected="2", got="3", slip="a typo")

    a = tiny(tmp_path, [Check("double: always fails", check_fails, kind=Kind.PROPERTY)])
    t = grade(str(a.reference), a).tests[0]
    assert t.output == "double is wrong.\nExpected: 2\nGot: 3\nLikely slip: a typo"
    assert t.kind == "property"


def test_notebook_submission_is_graded_cell_by_cell(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np"),
                nbformat.v4.new_code_cell("def double(x):\n    return 2 * x"),
                nbformat.v4.new_code_cell("raise RuntimeError('a later cell fails')"),
                nbformat.v4.new_code_cell("def halve(x):\n    return x / 2")]
    p = tmp_path / "work.ipynb"
    p.write_text(nbformat.writes(nb), encoding="utf-8")
    a = tiny(tmp_path, [DOUBLE, HALVE])
    report = grade(str(p), a)
    assert [t.status for t in report.tests] == ["passed", "passed"]
    assert any("<cell 3> raised RuntimeError: a later cell fails" in m for m in report.load_messages)
    assert any("IPython magics" in m for m in report.load_messages)


def test_submission_failing_a_property_only_once_fails_the_check_not_the_grader(tmp_path):
    from hypothesis import strategies as st

    from graders.engine.properties import check_property

    def check_double_property(ctx):
        def prop(x):
            got = expect.scalar(ctx.call("double", x), "double(x)")
            if got != 2 * x:
                raise CheckFailed(f"double({x}) is {got}.")
        check_property(prop, st.floats(-10, 10), max_examples=20)

    a = tiny(tmp_path, [Check("double: property", check_double_property, kind=Kind.PROPERTY,
                              needs=("double",))])
    code = ("calls = [0]\n\n\ndef double(x):\n    calls[0] += 1\n"
            "    return 2 * x + (1.0 if calls[0] == 3 else 0.0)  # wrong once: hidden state\n")
    t = grade(submit(tmp_path, code), a).tests[0]
    assert not t.passed
    assert "internal error" not in t.output, t.output


def test_a_trained_check_that_runs_over_its_time_states_its_budget_and_model_size():
    from graders.engine.thresholds import Threshold
    from graders.sandbox.errors import CallTimeout

    budget = Threshold(metric="m", bound=1.0, higher_is_better=True, reference_values=(1.0,), seeds=(0,),
                       margin=0.1, cpu_budget_s=25.0, model_size="the template's sizes (44 k parameters)")
    trained = Check("GAN: trained (threshold)", lambda ctx: None, kind=Kind.THRESHOLD, timeout_s=125.0,
                    threshold=budget)
    text = runner.timeout_feedback(trained, CallTimeout("running task train_gan"))
    assert "125 s for this check" in text and "ran over its budget" in text
    assert "25 s of CPU, for the template's sizes (44 k parameters)" in text
    plain = runner.timeout_feedback(Check("f: value", lambda ctx: None), CallTimeout("calling f"))
    assert plain.endswith("an infinite loop, or far more work than needed.") and "budget" not in plain


def test_a_shared_run_is_made_once_per_grade_and_again_in_the_next_grade(tmp_path):
    made, seen = [], []

    def check_uses_the_run(ctx):
        seen.append(ctx.shared("run", lambda: made.append(ctx.check.name) or len(made)))

    checks = [Check("double: shared a", check_uses_the_run), Check("double: shared b", check_uses_the_run)]
    a = tiny(tmp_path, checks)
    grade(str(a.reference), a)
    assert made == ["double: shared a"] and seen == [1, 1]
    grade(str(a.reference), a)
    assert made == ["double: shared a", "double: shared a"] and seen == [1, 1, 2, 2]


def test_a_shared_runs_failure_fails_every_check_that_asks_and_runs_once(tmp_path):
    made = []

    def make():
        made.append(1)
        raise CheckFailed("the training diverged.")

    def check_uses_the_run(ctx):
        ctx.shared("run", make)

    checks = [Check("double: shared a", check_uses_the_run), Check("double: shared b", check_uses_the_run)]
    a = tiny(tmp_path, checks)
    report = grade(str(a.reference), a)
    assert [t.output for t in report.tests] == ["the training diverged."] * 2
    assert made == [1]


class RecordingSandbox:
    """Stands in for Sandbox: records the isolation mode and hidden paths it is given, loads nothing."""

    modes: list = []
    hidden: list = []

    def __init__(self, cells, *, isolation="default", hide=(), **kwargs):
        self.modes.append(isolation)
        self.hidden.append(list(hide))
        self.alive = True

    def start(self):
        return {"names": {"double": "function"}, "cells": []}

    def close(self):
        self.alive = False

    def captured_output(self):
        return ""


@pytest.mark.parametrize("isolation", ["autograder", "default"])
def test_the_isolation_mode_and_hidden_paths_reach_every_sandbox_from_the_arguments(tmp_path, monkeypatch,
                                                                                    isolation):
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "1" if isolation == "default" else "0")  # not read below the front doors
    monkeypatch.setattr(runner, "Sandbox", RecordingSandbox)
    monkeypatch.setattr(RecordingSandbox, "modes", [])
    monkeypatch.setattr(RecordingSandbox, "hidden", [])

    def check_with_a_fresh_sandbox(ctx):
        with ctx.fresh_sandbox():
            pass

    a = tiny(tmp_path, [Check("double: fresh", check_with_a_fresh_sandbox)])
    report = grade(str(a.reference), a, isolation=isolation, hide=[tmp_path / "class"])
    assert report.tests[0].passed
    assert RecordingSandbox.modes == [isolation, isolation]  # the grade's sandbox, the fresh one
    assert RecordingSandbox.hidden == [[str(tmp_path / "class")]] * 2


def test_a_grade_given_no_mode_runs_in_default_mode_whatever_the_environment_says(tmp_path, monkeypatch):
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "1")
    monkeypatch.setattr(runner, "Sandbox", RecordingSandbox)
    monkeypatch.setattr(RecordingSandbox, "modes", [])
    a = tiny(tmp_path, [DOUBLE])
    grade(str(a.reference), a)
    assert RecordingSandbox.modes == ["default"]


def test_a_submission_already_read_is_not_read_again(tmp_path, monkeypatch):
    from graders.engine.source import read_submission

    a = tiny(tmp_path, [DOUBLE])
    source = read_submission(a.reference)
    monkeypatch.setattr(runner, "read_submission", lambda path: pytest.fail("read again"))
    assert grade(str(a.reference), a, source=source).tests[0].passed
