"""A Gradescope bundle built with `--course` carries the course folder, and its run_autograder
grades the course's own assignment (and a course's override of a bundled one) with it."""

from __future__ import annotations

import json
import zipfile

import nbformat

from dlgrade.cli import main
from graders.gradescope.bundle import build_bundle
from tests.graders.gradescope.test_bundle import _autograder, _run, assert_gradescope_schema
from tests.tiny_course import ASSIGNMENT_ID, HIDDEN_CHECK, VALUE_CHECK, WRONG, write_tiny_course


def _notebook(code: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": ASSIGNMENT_ID}
    nb.cells = [nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


def test_the_bundle_of_a_course_assignment_carries_the_course_and_grades_with_it(tmp_path):
    course = write_tiny_course(tmp_path / "course", f'''
[assignments.{ASSIGNMENT_ID}.checks."{HIDDEN_CHECK}"]
points = 4
''')
    bundle = build_bundle(ASSIGNMENT_ID, tmp_path / "scaling_autograder.zip", course=course)
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("dlgrade_autograder.json"))
    assert config["courses"] == ["dlgrade_courses/0_course"]
    assert {"dlgrade_courses/0_course/course.toml", "dlgrade_courses/0_course/scaling/checks.py",
            "dlgrade_courses/0_course/scaling/reference.py"} <= names
    root = _autograder(tmp_path / "run", bundle)
    (root / "submission" / "scaling.ipynb").write_text(_notebook(WRONG), encoding="utf-8")
    data = _run(root)
    assert_gradescope_schema(data)
    assert {t["name"]: (t["score"], t["max_score"]) for t in data["tests"]} == {VALUE_CHECK: (0.0, 2.0),
                                                                              HIDDEN_CHECK: (4.0, 4.0)}


def test_the_cli_builds_a_course_bundle_and_refuses_an_unknown_id(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course")
    out = tmp_path / "b.zip"
    assert main(["gradescope-bundle", "-a", ASSIGNMENT_ID, "--course", str(course), "--out", str(out)]) == 0
    assert out.is_file()
    assert main(["gradescope-bundle", "-a", ASSIGNMENT_ID, "--out", str(tmp_path / "c.zip")]) == 2
    assert f"unknown assignment {ASSIGNMENT_ID!r}" in capsys.readouterr().err
