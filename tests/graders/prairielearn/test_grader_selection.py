"""A PrairieLearn grader carries, of a course folder, only the assignment it grades and what that
imports (the selection of a Gradescope bundle), and refuses to write what cannot be resolved."""

from __future__ import annotations

import pytest

from graders.gradescope.contents import BundleError
from graders.prairielearn.grader import write_grader
from tests.tiny_course import ASSIGNMENT_ID, write_tiny_course

OTHER = {"other/assignment.toml": 'id = "other"\ntitle = "Other"\n', "other/__init__.py": "",
         "other/checks.py": "", "other/reference.py": "def solution():\n    return 42\n"}


def _course(tmp_path, extra_checks: str = ""):
    course = write_tiny_course(tmp_path / "course", f'[assignments.other]\noptions = {{}}\n\n'
                                                    f'[assignments.{ASSIGNMENT_ID}]\noptions = {{ size = 5 }}\n')
    for name, text in OTHER.items():
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text(text, encoding="utf-8")
    checks = course / ASSIGNMENT_ID / "checks.py"
    checks.write_text(checks.read_text(encoding="utf-8") + extra_checks, encoding="utf-8")
    return course


def test_the_grader_carries_only_its_assignment_of_the_course(tmp_path):
    out = write_grader(ASSIGNMENT_ID, tmp_path / "grader", course=_course(tmp_path), secret=b"s")
    shipped = out / "dlgrade_courses" / "0_course"
    files = {p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file()}
    assert files == {"course.toml", f"{ASSIGNMENT_ID}/__init__.py", f"{ASSIGNMENT_ID}/assignment.toml",
                     f"{ASSIGNMENT_ID}/checks.py", f"{ASSIGNMENT_ID}/reference.py"}
    assert "other" not in (shipped / "course.toml").read_text(encoding="utf-8")


def test_the_grader_of_an_assignment_with_an_unresolved_import_is_not_written(tmp_path):
    course = _course(tmp_path, "from .gone import helper\n")
    with pytest.raises(BundleError, match="gone, which is in neither"):
        write_grader(ASSIGNMENT_ID, tmp_path / "grader", course=course, secret=b"s")
    assert not (tmp_path / "grader").exists()
