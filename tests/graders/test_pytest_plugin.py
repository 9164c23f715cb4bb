"""Instructors' pytest (graders.pytest_plugin): one test per check against any submission.

Each test runs pytest inline with pytester in a fresh folder; the plugin is loaded with
`-p graders.pytest_plugin` (its pytest11 entry point loads it too once dlgrade is installed).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from graders import assignments
from graders.engine.runner import grade

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"
WRONG_RELU = "import numpy as np\n\n\ndef relu(z):\n    return 2 * np.maximum(z, 0)\n"
RELU_CHECKS = "(relu and random) or (relu and unchanged and not backward)"  # -k: two checks


@pytest.fixture(autouse=True, scope="module")
def _assignments_imported_outside_pytester():
    """Every assignment package (and so torch) imported before any inline run: pytester takes
    modules first imported during its run out of sys.modules again, and torch, once taken
    out, cannot be imported a second time in the same process (it crashes it)."""
    for aid in assignments.assignment_ids():
        assignments.get(aid)


def _n_checks() -> int:
    return len(assignments.get("numpy_basics").all_checks())


def _run(pytester, *args):
    # --opt=VALUE: a separate path argument would make pytest look for its rootdir (and this
    # repository's pytest settings) there
    return pytester.runpytest("-p", "graders.pytest_plugin", "-p", "no:cacheprovider", *args)


def test_every_check_is_one_parametrized_test(pytester):
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=numpy_basics",
                  "--collect-only", "-q")
    names = [c.name for c in assignments.get("numpy_basics").all_checks()]
    for name in names:
        result.stdout.fnmatch_lines([f"*test_check[[]{name}[]]*"])
    assert result.ret == 0


def test_reference_passes_the_selected_checks_and_the_score_is_shown(pytester):
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=numpy_basics",
                  "-k", RELU_CHECKS)
    result.assert_outcomes(passed=2, deselected=_n_checks() - 2)
    result.stdout.fnmatch_lines(["*dlgrade: numpy_basics: *numpy_basics.py*",
                                 "*dlgrade: numpy_basics: score 1.5 / 1.5 (2 of 2 checks passed)*"])


def test_a_failing_checks_message_is_its_feedback(pytester, tmp_path):
    sub = tmp_path / "wrong.py"
    sub.write_text(WRONG_RELU, encoding="utf-8")
    result = _run(pytester, f"--dlgrade-submission={sub}", "--dlgrade-assignment=numpy_basics",
                  "-k", RELU_CHECKS)
    result.assert_outcomes(passed=1, failed=1, deselected=_n_checks() - 2)
    expected = grade(str(sub), assignments.get("numpy_basics"), select="relu: values on random inputs".__eq__)
    feedback = expected.tests[0].output.splitlines()
    assert "factor of 2" in expected.tests[0].output
    result.stdout.fnmatch_lines([line.replace("[", "[[]") for line in feedback[:3]])
    assert "Traceback" not in result.stdout.str() and "assert_check_passed" not in result.stdout.str()


def test_the_assignment_is_read_from_the_notebooks_metadata(pytester, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
    nb.cells = [nbformat.v4.new_code_cell(REFERENCE.read_text())]
    sub = tmp_path / "work.ipynb"
    sub.write_text(nbformat.writes(nb), encoding="utf-8")
    result = _run(pytester, f"--dlgrade-submission={sub}", "-k", "relu and random")
    result.assert_outcomes(passed=1, deselected=_n_checks() - 1)


def test_visible_only_runs_only_the_visible_checks(pytester):
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=numpy_basics",
                  "--dlgrade-visible-only", "--collect-only", "-q")
    visible = [c for c in assignments.get("numpy_basics").all_checks() if c.visibility.value == "visible"]
    result.stdout.fnmatch_lines([f"{len(visible)} tests collected*"])


def test_checks_can_be_chosen_by_their_exact_names(pytester):
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=numpy_basics",
                  "--dlgrade-check=relu: values on random inputs", "--dlgrade-check=softmax: values on random inputs")
    result.assert_outcomes(passed=2)
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=numpy_basics",
                  "--dlgrade-check=relu: no such check")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_usage_errors(pytester, tmp_path):
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=no_such")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown assignment 'no_such'*"])
    result = _run(pytester, f"--dlgrade-submission={tmp_path / 'missing.py'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    sub = tmp_path / "plain.py"
    sub.write_text("x = 1\n", encoding="utf-8")
    result = _run(pytester, f"--dlgrade-submission={sub}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dlgrade-assignment*"])
    result = _run(pytester, f"--dlgrade-submission={REFERENCE}", "--dlgrade-assignment=numpy_basics",
                  "--dlgrade-option=nope=1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dlgrade-option nope: numpy_basics has no such option*"])


def test_without_a_submission_the_plugin_stays_out_of_the_way(pytester):
    pytester.makepyfile(test_mine="""
        def test_plain():
            assert 1 + 1 == 2

        def test_uses_a_check(dlgrade_check):
            assert dlgrade_check.passed
    """)
    result = _run(pytester)
    result.assert_outcomes(passed=1, skipped=1)


def test_own_tests_run_beside_the_checks_and_can_use_the_report(pytester):
    pytester.makepyfile(test_mine="""
        def test_whole_report(dlgrade_report):
            assert dlgrade_report.assignment == "numpy_basics"
            assert dlgrade_report.score == dlgrade_report.max_score
    """)
    result = _run(pytester, "test_mine.py", f"--dlgrade-submission={REFERENCE}",
                  "--dlgrade-assignment=numpy_basics", "-k", "whole_report or (relu and random)")
    result.assert_outcomes(passed=2, deselected=_n_checks() - 1)


def test_a_course_assignment_is_graded_with_dlgrade_course(pytester, tmp_path, monkeypatch):
    from tests.tiny_course import ASSIGNMENT_ID, WRONG, write_submission, write_tiny_course

    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course")
    sub = write_submission(tmp_path / "wrong.py", WRONG)
    result = _run(pytester, f"--dlgrade-submission={sub}", f"--dlgrade-assignment={ASSIGNMENT_ID}",
                  f"--dlgrade-course={course}")
    result.assert_outcomes(passed=1, failed=1)
    monkeypatch.setenv("DLGRADE_COURSE", str(course))
    _run(pytester, f"--dlgrade-submission={sub}", f"--dlgrade-assignment={ASSIGNMENT_ID}").assert_outcomes(
        passed=1, failed=1)
    monkeypatch.setenv("DLGRADE_COURSE", str(tmp_path / "nowhere"))
    result = _run(pytester, f"--dlgrade-submission={sub}", f"--dlgrade-assignment={ASSIGNMENT_ID}")
    assert "no such course folder" in result.stderr.str()
