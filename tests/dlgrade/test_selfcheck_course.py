"""The notebook self-check of a course's own assignment: the course comes from `course=` or
DLGRADE_COURSE, and only the visible checks run."""

from __future__ import annotations

import pytest

from dlgrade.selfcheck import check_notebook
from tests.tiny_course import ASSIGNMENT_ID, IN_PLACE, VALUE_CHECK, write_submission, write_tiny_course


def test_the_self_check_of_a_course_assignment_runs_its_visible_checks(tmp_path, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course")
    work = write_submission(tmp_path / "work.py", IN_PLACE)
    report = check_notebook(ASSIGNMENT_ID, path=str(work), show=False, course=str(course))
    assert [(t.name, t.passed) for t in report.tests] == [(VALUE_CHECK, True)] and report.hidden_not_run == 1
    monkeypatch.setenv("DLGRADE_COURSE", str(course))
    assert check_notebook(ASSIGNMENT_ID, path=str(work), show=False).score == 2.0


def test_without_the_course_the_assignment_is_unknown(tmp_path, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    with pytest.raises(KeyError):
        check_notebook(ASSIGNMENT_ID, path=str(tmp_path / "work.py"), show=False)
