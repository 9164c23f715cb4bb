"""An installed package registers a course in the entry-point group `dlgrade.courses`: the
entry point names a package (the course is its folder) or a path. Simulated here by a
distribution's metadata the test writes on sys.path."""

from __future__ import annotations

import sys

import pytest

from graders.courses import CourseError, catalog
from graders.engine.runner import grade
from tests.tiny_course import ASSIGNMENT_ID, write_tiny_course


def _install(site, entry_point: str, name: str = "fake_course") -> None:
    dist = site / f"{name}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[dlgrade.courses]\n{entry_point}\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [m for m in sys.modules if m.split(".")[0] in ("fake_course_pkg", "fake_course_paths")]:
        del sys.modules[name]


def test_a_package_registered_as_a_course_is_in_every_catalog_under_its_own_name(site):
    package = write_tiny_course(site / "fake_course_pkg")
    (package / "__init__.py").write_text("", encoding="utf-8")
    _install(site, "mine = fake_course_pkg")
    found = catalog()
    assert ASSIGNMENT_ID in found.ids() and found.course_folders() == [package.resolve()]
    assignment = found.get(ASSIGNMENT_ID)
    assert "fake_course_pkg.scaling" in sys.modules
    assert grade(str(assignment.reference), assignment).score == 3.0


def test_an_entry_point_may_name_a_path(site, tmp_path):
    course = write_tiny_course(tmp_path / "elsewhere")
    (site / "fake_course_paths.py").write_text(f"COURSE = {str(course)!r}\n", encoding="utf-8")
    _install(site, "mine = fake_course_paths:COURSE")
    assert ASSIGNMENT_ID in catalog().ids()
    assert catalog().folder(ASSIGNMENT_ID) == course.resolve() / ASSIGNMENT_ID


def test_an_entry_point_that_cannot_be_loaded_is_a_clear_error(site):
    _install(site, "broken = fake_course_nosuch")
    with pytest.raises(CourseError, match="entry point broken = fake_course_nosuch .*cannot be loaded"):
        catalog()


def test_an_installed_course_and_a_folder_defining_the_same_id_is_a_clear_error(site, tmp_path):
    package = write_tiny_course(site / "fake_course_pkg")
    (package / "__init__.py").write_text("", encoding="utf-8")
    _install(site, "mine = fake_course_pkg")
    with pytest.raises(CourseError, match="'scaling' is already defined by"):
        catalog(write_tiny_course(tmp_path / "course"))
