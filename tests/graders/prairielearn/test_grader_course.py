"""A PrairieLearn grader written with `--course` carries the course folder, and its run.sh
grades the course's own assignment with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat

from dlgrade.cli import main
from tests.graders.prairielearn.test_grader import assert_prairielearn_schema
from tests.tiny_course import ASSIGNMENT_ID, VALUE_CHECK, WRONG, write_tiny_course


def test_the_grader_of_a_course_assignment_carries_the_course_and_grades_with_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course")
    out = tmp_path / "serverFilesCourse" / "dlgrade_scaling"
    assert main(["prairielearn-grader", ASSIGNMENT_ID, "--course", str(course), "--out", str(out)]) == 0
    config = json.loads((out / "dlgrade_prairielearn.json").read_text(encoding="utf-8"))
    assert config["courses"] == ["dlgrade_courses/0_course"]
    assert (out / "dlgrade_courses" / "0_course" / ASSIGNMENT_ID / "checks.py").is_file()
    root = tmp_path / "grade"
    shutil.copytree(out, root / "serverFilesCourse" / out.name)
    (root / "student").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": ASSIGNMENT_ID}
    nb.cells = [nbformat.v4.new_code_cell(WRONG)]
    (root / "student" / "scaling.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    env = {**os.environ, "DLGRADE_GRADE_ROOT": str(root), "DLGRADE_PYTHON": sys.executable}
    env.pop("DLGRADE_AUTOGRADER", None)
    proc = subprocess.run(["bash", str(root / "serverFilesCourse" / out.name / "run.sh")], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_prairielearn_schema(data)
    assert data["gradable"] and {t["name"]: t["points"] for t in data["tests"]}[VALUE_CHECK] == 0
    assert abs(data["score"] - 1 / 3) < 1e-5 and len(data["tests"]) == 2  # the hidden check's point only


def test_an_unknown_course_assignment_writes_no_grader(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    assert main(["prairielearn-grader", ASSIGNMENT_ID, "--out", str(tmp_path / "g")]) == 2
    assert not (tmp_path / "g").exists()
