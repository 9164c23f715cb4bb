"""A submission graded under a course folder cannot read that course: its reference, its
checks, its course.toml, the extra checks it adds to a bundled assignment.

The course lies outside the checkout (an instructor's own folder, which no other rule hides),
and the submission is told where: it reads every file there it can, and copies the reference
if it finds it. In default and autograder mode it reads nothing where the platform can refuse
it (Landlock's allow-list, or the sandbox's own mount namespace), so it scores what its own
code is worth. The strongest case is a course inside what a sandbox may read (an installed
course in site-packages, under Landlock alone): only the course's own hiding keeps it out, as
the same grade without it shows. (Under Landlock, the names in a hidden folder may be listed,
never read: docs/security.md.)
"""

from __future__ import annotations

import dataclasses

import pytest

import graders.sandbox.process as sandbox_process

from graders.courses import catalog
from graders.engine.runner import grade
from tests.hostile import corpus
from tests.tiny_course import ASSIGNMENT_ID, HIDDEN_CHECK, VALUE_CHECK, write_tiny_course

PROTECT = corpus.protections()
SNOOP = '''
import os

import numpy as np

_read = []
for _dir, _subdirs, _files in os.walk({course!r}):
    for _name in _files:
        try:
            with open(os.path.join(_dir, _name), encoding="utf-8") as _f:
                _read.append((_name, _f.read()))
        except (OSError, UnicodeDecodeError):
            pass
for _name, _text in _read:
    print("HOSTILE-SUCCESS read", _name)
_copied = next((t for n, t in _read if n == "reference.py"), None)
if _copied:
    exec(compile(_copied, "copied", "exec"))
else:
    def double(x):
        return np.asarray(x)  # its own, wrong
'''
EXTRA = '''
from graders.engine.checks import Check, Visibility


def yield_checks(options):
    yield Check("relu: a course secret check", lambda ctx: None, visibility=Visibility.HIDDEN)
'''


def _course_and_snoop(tmp_path):
    course = write_tiny_course(tmp_path / "site" / "course",
                               '[assignments.numpy_basics]\nextra_checks = ["secret_checks"]\n')
    (course / "numpy_basics").mkdir()
    (course / "numpy_basics" / "secret_checks.py").write_text(EXTRA, encoding="utf-8")
    submission = tmp_path / "student" / "work.py"
    submission.parent.mkdir()
    submission.write_text(SNOOP.format(course=str(course)), encoding="utf-8")
    return course, submission


def _assert_nothing_read(report):
    assert corpus.SUCCESS not in report.output, report.output
    assert {t.name: t.passed for t in report.tests} == {VALUE_CHECK: False, HIDDEN_CHECK: True}, \
        [t.output for t in report.tests]


@pytest.mark.parametrize("mode", ["default", "autograder"])
def test_a_submission_cannot_read_the_course_it_is_graded_under(mode, tmp_path):
    if not (PROTECT["landlock"] or PROTECT["namespaces"]):
        pytest.skip("neither Landlock nor namespaces here: a sandbox can read any folder it is "
                    "allowed to by file modes (see docs/security.md)")
    course, submission = _course_and_snoop(tmp_path)
    _assert_nothing_read(grade(str(submission), catalog(course).get(ASSIGNMENT_ID), isolation=mode))
    assert course.resolve() in catalog(course).get("numpy_basics").hide  # its extension's folder too


@pytest.mark.parametrize("mode", ["default", "autograder"])
def test_a_course_inside_what_a_sandbox_may_read_is_still_hidden(mode, tmp_path, monkeypatch):
    if not PROTECT["landlock"]:
        pytest.skip("no Landlock here (see docs/security.md)")
    course, submission = _course_and_snoop(tmp_path)
    installed = str(course.parent.resolve())  # as site-packages would be: on the allow-list
    real = sandbox_process.readable_paths
    monkeypatch.setattr(sandbox_process, "readable_paths", lambda: real() + [installed])
    monkeypatch.setenv("DLGRADE_ISOLATION_SKIP", "mountns")  # Landlock alone: no private /tmp
    assignment = catalog(course).get(ASSIGNMENT_ID)
    _assert_nothing_read(grade(str(submission), assignment, isolation=mode))
    if mode == "default":  # the control: without the course's own hiding, it reads the course
        exposed = grade(str(submission), dataclasses.replace(assignment, hide=()), isolation=mode)
        assert corpus.SUCCESS in exposed.output
