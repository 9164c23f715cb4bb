"""`--course DIR` (or DLGRADE_COURSE) on the verbs that take an assignment: a course's own
assignment is listed, graded, self-checked and batch-graded like a bundled one, and a broken
course is a usage error naming the file, never a traceback."""

from __future__ import annotations

import json

import pytest

from dlgrade.cli import main
from tests.tiny_course import (ASSIGNMENT_ID, HIDDEN_CHECK, IN_PLACE, VALUE_CHECK, WRONG, write_submission,
                               write_tiny_course)


@pytest.fixture
def course(tmp_path, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    return write_tiny_course(tmp_path / "course")


def test_list_with_a_course_shows_its_assignment_and_its_checks(course, capsys):
    assert main(["list", "--course", str(course)]) == 0
    listing = capsys.readouterr().out
    assert f"{ASSIGNMENT_ID:24s} Scaling arrays in NumPy" in listing and "numpy_basics" in listing
    assert main(["list", ASSIGNMENT_ID, "--course", str(course)]) == 0
    checks = capsys.readouterr().out
    assert VALUE_CHECK in checks and HIDDEN_CHECK in checks and "hidden" in checks
    assert main(["list", ASSIGNMENT_ID]) == 2  # not without the course
    assert f"unknown assignment {ASSIGNMENT_ID!r}" in capsys.readouterr().err


def test_grade_with_a_course_grades_its_own_assignment(course, tmp_path, capsys):
    wrong = write_submission(tmp_path / "wrong.py", WRONG)
    assert main(["grade", str(wrong), "-a", ASSIGNMENT_ID, "--course", str(course), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {t["name"]: t["score"] for t in report["tests"]} == {VALUE_CHECK: 0.0, HIDDEN_CHECK: 1.0}


def test_the_course_comes_from_dlgrade_course_when_no_flag_is_given(course, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DLGRADE_COURSE", str(course))
    reference = course / ASSIGNMENT_ID / "reference.py"
    assert main(["grade", str(reference), "-a", ASSIGNMENT_ID, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["score"] == 3.0


def test_check_with_a_course_runs_only_the_visible_checks(course, tmp_path, capsys):
    in_place = write_submission(tmp_path / "in_place.py", IN_PLACE)
    assert main(["check", str(in_place), "-a", ASSIGNMENT_ID, "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert VALUE_CHECK in out and HIDDEN_CHECK not in out and "hidden" in out


def test_a_course_override_changes_what_the_cli_grades(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course", f'''
[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]
points = 10
''')
    reference = course / ASSIGNMENT_ID / "reference.py"
    assert main(["grade", str(reference), "-a", ASSIGNMENT_ID, "--course", str(course), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["score"] == 11.0


def test_batch_with_a_course_grades_each_student_in_workers_that_load_the_course(course, tmp_path, capsys):
    students = tmp_path / "class"
    students.mkdir()
    write_submission(students / "ada.py", (course / ASSIGNMENT_ID / "reference.py").read_text(encoding="utf-8"))
    write_submission(students / "bob.py", WRONG)
    out = tmp_path / "grades"
    assert main(["batch", str(students), "-a", ASSIGNMENT_ID, "--course", str(course), "--workers", "2",
                 "--out", str(out), "--no-progress", "--trusted"]) == 0
    scores = {p.stem: json.loads(p.read_text(encoding="utf-8"))["score"] for p in (out / "reports").glob("*.json")}
    assert scores == {"ada": 3.0, "bob": 1.0}


def test_contract_of_a_course_assignment_without_a_section_says_so(course, capsys):
    assert main(["contract", ASSIGNMENT_ID, "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "has no section on scaling" in out and "double" in out
    (course / "CONTRACT.md").write_text("### `scaling`\n\n`double(x)`: 2 x, a new array.\n", encoding="utf-8")
    assert main(["contract", ASSIGNMENT_ID, "--course", str(course)]) == 0
    assert capsys.readouterr().out.startswith("### `scaling`")


@pytest.mark.parametrize("argv", [["list"], ["list", "numpy_basics"], ["grade", "x.py", "-a", "numpy_basics"],
                                  ["contract", "numpy_basics"]])
def test_a_broken_course_is_a_usage_error_naming_the_file(tmp_path, capsys, argv, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course", "[assignments.numpy_basics\n")
    assert main(argv + ["--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert f"{course / 'course.toml'}: not valid TOML" in err and "Traceback" not in err


def test_a_missing_course_folder_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DLGRADE_COURSE", str(tmp_path / "nowhere"))
    assert main(["list"]) == 2
    assert "no such course folder" in capsys.readouterr().err


def test_similarity_with_a_course_ignores_the_template_built_from_its_reference(course, tmp_path, capsys):
    students = tmp_path / "class"
    students.mkdir()
    body = "def double(x):\n    y = np.asarray(x, dtype=np.float64)\n    return y + y\n"
    for name in ("ada", "bob"):
        write_submission(students / f"{name}.py", "import numpy as np\n\n\n" + body * 3)
    assert main(["similarity", str(students), "-a", ASSIGNMENT_ID, "--course", str(course), "--no-progress"]) == 0
    assert "ada  bob" in capsys.readouterr().out
    assert main(["similarity", str(students), "-a", ASSIGNMENT_ID, "--no-progress"]) == 2
    assert f"unknown assignment {ASSIGNMENT_ID!r}" in capsys.readouterr().err
