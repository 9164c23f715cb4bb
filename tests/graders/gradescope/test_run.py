"""graders.gradescope.run: the file graded is named, and hidden checks follow the instructor's choice."""

from __future__ import annotations

import json
import zipfile

import nbformat
import pytest

import graders.assignments
from dlgrade.cli import main
from graders.engine.checks import Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.gradescope.bundle import bundle_config
from graders.gradescope.run import WITHHELD, grade_submission, results_dict
from student_templates.build import build_notebook, render
from tests import numpy_basics_totals

REFERENCE = graders.assignments.get("numpy_basics").reference


def test_a_submission_with_the_work_and_a_blank_copy_grades_the_work_and_says_so(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "blank_copy.ipynb").write_text(render(build_notebook("numpy_basics", REFERENCE)))
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
    nb.cells = [nbformat.v4.new_code_cell(REFERENCE.read_text())]
    (folder / "hw1.ipynb").write_text(nbformat.writes(nb))
    data = grade_submission(tmp_path, {"assignment": "numpy_basics"})
    assert data["score"] == float(numpy_basics_totals()[1])
    assert ("Graded: hw1.ipynb. Not graded: blank_copy.ipynb (the template with nothing filled in)."
            in data["output"].splitlines())


def test_the_graded_notebook_is_opened_once(tmp_path, monkeypatch):
    import graders.engine.source as source

    folder = tmp_path / "submission"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
    nb.cells = [nbformat.v4.new_code_cell(REFERENCE.read_text())]
    (folder / "hw1.ipynb").write_text(nbformat.writes(nb))
    reads, real = [], source.Path.read_bytes

    def counting(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(source.Path, "read_bytes", counting)
    data = grade_submission(tmp_path, {"assignment": "numpy_basics"})
    assert data["score"] == float(numpy_basics_totals()[1])
    assert reads.count("hw1.ipynb") == 1


def _report():
    return Report("theory", "hw.ipynb", [
        Result("q1: visible", 1, 1, "passed", "", "value", "visible", "1"),
        Result("q2: hidden", 0, 2, "failed", "expected 3, got 4", "value", "hidden", "2"),
        Result("q3: later", 3, 3, "passed", "", "value", "after_due_date", "3")], 1.0)


def test_as_declared_hidden_checks_keep_gradescopes_visibility():
    data = results_dict(_report())
    assert [t["visibility"] for t in data["tests"]] == ["visible", "hidden", "after_due_date"]
    assert data["tests"][1]["output"] == "expected 3, got 4" and data["score"] == 4


def test_score_only_shows_anonymous_points_of_hidden_checks_so_the_total_stays_visible(capsys):
    data = results_dict(_report(), "score_only")
    assert [t["visibility"] for t in data["tests"]] == ["visible"] * 3
    assert [t["name"] for t in data["tests"]] == ["q1: visible", "Hidden check 1", "Hidden check 2"]
    assert [t["score"] for t in data["tests"]] == [1, 0, 3] and data["score"] == 4
    assert [t["output"] for t in data["tests"][1:]] == [WITHHELD, WITHHELD]
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    # the feedback goes to the autograder's stdout, which Gradescope shows to instructors only
    assert "Hidden check 1 is 'q2: hidden' (failed):\nexpected 3, got 4" in capsys.readouterr().out


def test_an_unknown_hidden_checks_setting_is_an_error():
    with pytest.raises(ValueError, match="as_declared, score_only"):
        results_dict(_report(), "sometimes")


def test_the_bundle_carries_the_hidden_checks_setting(tmp_path, capsys):
    assert bundle_config("theory")["hidden_checks"] == "as_declared"
    out = tmp_path / "ag.zip"
    assert main(["gradescope-bundle", "-a", "theory", "--hidden-checks", "score_only", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("dlgrade_autograder.json"))["hidden_checks"] == "score_only"
