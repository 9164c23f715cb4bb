"""A course folder is loaded as the bundled course is: its manifests list it, its packages are
imported under a stable synthetic name (relative imports work), and whatever is wrong with it
is a CourseError naming the file."""

from __future__ import annotations

import sys

import pytest

from graders import assignments
from graders.courses import BUNDLED_FOLDER, CourseError, catalog
from graders.engine.runner import grade
from tests.tiny_course import (ASSIGNMENT_ID, CORRECT, HIDDEN_CHECK, IN_PLACE, VALUE_CHECK, WRONG,
                               write_submission, write_tiny_course)


@pytest.fixture
def course(tmp_path):
    return write_tiny_course(tmp_path / "course")


def test_the_catalog_without_a_course_is_the_bundled_course():
    found = catalog()
    assert found.ids() == assignments.assignment_ids()
    assert found.course_folders() == []
    assert found.folder("numpy_basics") == BUNDLED_FOLDER / "numpy_basics"


def test_a_course_folder_adds_its_assignments_to_the_bundled_ones(course):
    found = catalog(course)
    assert found.ids() == sorted(assignments.assignment_ids() + [ASSIGNMENT_ID])
    assert found.manifests()[ASSIGNMENT_ID].title == "Scaling arrays in NumPy"
    assert found.course_folders() == [course.resolve()]
    assert found.folder(ASSIGNMENT_ID) == course.resolve() / ASSIGNMENT_ID


def test_a_course_assignment_is_imported_under_a_stable_synthetic_name_with_relative_imports(course):
    first = catalog(course).get(ASSIGNMENT_ID)
    again = catalog(course).get(ASSIGNMENT_ID)
    names = [c.name for c in first.all_checks()]
    assert names == [VALUE_CHECK, HIDDEN_CHECK]
    assert first.checks is again.checks  # one module, imported once
    assert first.reference.parent == course.resolve() / ASSIGNMENT_ID
    package = [m for m in sys.modules if m.startswith("dlgrade_course_course_") and m.endswith(f".{ASSIGNMENT_ID}")]
    assert len(package) == 1 and f"{package[0]}.checks" in sys.modules


def test_the_slips_of_a_course_assignment_come_from_its_folder(course):
    found = catalog(course)
    assert found.slips(ASSIGNMENT_ID).MUTANTS == []
    assert found.slips("numpy_basics").__name__ == "graders.assignments.numpy_basics.slips"


def test_an_assignment_of_a_course_folder_hides_the_folder_from_its_sandboxes(course):
    found = catalog(course)
    assert course.resolve() in found.get(ASSIGNMENT_ID).hide
    assert course.resolve() in found.get("numpy_basics").hide
    assert catalog().get("numpy_basics").hide == ()


def test_a_course_assignment_grades_the_reference_fully_and_a_slip_partly(course, tmp_path):
    assignment = catalog(course).get(ASSIGNMENT_ID)
    full = grade(str(assignment.reference), assignment)
    assert (full.score, full.max_score) == (3.0, 3.0), [t.output for t in full.tests]
    wrong = grade(str(write_submission(tmp_path / "wrong.py", WRONG)), assignment)
    assert {t.name: t.passed for t in wrong.tests} == {VALUE_CHECK: False, HIDDEN_CHECK: True}
    in_place = grade(str(write_submission(tmp_path / "in_place.py", IN_PLACE)), assignment)
    assert {t.name: t.passed for t in in_place.tests} == {VALUE_CHECK: True, HIDDEN_CHECK: False}
    unusual = grade(str(write_submission(tmp_path / "unusual.py", CORRECT)), assignment)
    assert unusual.score == 3.0


def test_an_unknown_id_is_a_key_error_in_a_catalog_too(course):
    for aid in ("nosuch", "../scaling", ""):
        with pytest.raises(KeyError):
            catalog(course).get(aid)


def test_a_missing_course_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CourseError, match="no such course folder"):
        catalog(tmp_path / "nowhere")


def test_an_assignment_folder_given_as_the_course_is_a_clear_error(course):
    with pytest.raises(CourseError, match="an assignment's folder, not a course's"):
        catalog(course / ASSIGNMENT_ID)


def test_a_malformed_manifest_of_a_course_names_its_file(course):
    manifest = course / ASSIGNMENT_ID / "assignment.toml"
    manifest.write_text("id = [\n", encoding="utf-8")
    with pytest.raises(CourseError, match=f"{manifest}: not valid TOML"):
        catalog(course)
    manifest.write_text('id = "other"\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(CourseError, match="needs id = 'scaling'"):
        catalog(course)


@pytest.mark.parametrize("code, message", [("def broken(:\n", "SyntaxError"),
                                           ("X = 1\nraise RuntimeError('no data here')\n",
                                            r"checks.py:2: RuntimeError: no data here")])
def test_an_error_in_a_course_module_is_a_clear_error_naming_the_file(course, code, message):
    (course / ASSIGNMENT_ID / "checks.py").write_text(code, encoding="utf-8")
    with pytest.raises(CourseError, match=message) as caught:
        catalog(course).get(ASSIGNMENT_ID)
    assert f"{course.resolve() / ASSIGNMENT_ID}: cannot be imported" in str(caught.value)


def test_a_package_without_assignment_is_a_clear_error(course):
    (course / ASSIGNMENT_ID / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(CourseError, match="defines no ASSIGNMENT"):
        catalog(course).get(ASSIGNMENT_ID)


def test_an_assignment_whose_id_is_not_its_manifests_is_a_clear_error(course):
    init = course / ASSIGNMENT_ID / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace('id="scaling"', 'id="scale"'), encoding="utf-8")
    with pytest.raises(CourseError, match="its ASSIGNMENT's id is 'scale', its assignment.toml's 'scaling'"):
        catalog(course).get(ASSIGNMENT_ID)


def test_a_course_defining_a_bundled_id_again_is_a_clear_error(tmp_path):
    root = write_tiny_course(tmp_path / "course")
    (root / ASSIGNMENT_ID).rename(root / "numpy_basics")
    (root / "numpy_basics" / "assignment.toml").write_text('id = "numpy_basics"\ntitle = "again"\n',
                                                         encoding="utf-8")
    with pytest.raises(CourseError, match="'numpy_basics' is already defined by"):
        catalog(root)


def test_a_folder_of_shared_code_is_not_an_assignment(course):
    (course / "common").mkdir()
    (course / "common" / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    assert "common" not in catalog(course).ids()


def test_a_folder_extending_an_assignment_without_listing_its_modules_is_a_clear_error(course):
    (course / "numpy_basics").mkdir()
    (course / "numpy_basics" / "more.py").write_text("", encoding="utf-8")
    with pytest.raises(CourseError, match=r"extends numpy_basics, but .*course.toml lists none of its modules"):
        catalog(course)


def test_a_manifest_without_a_package_is_a_clear_error(course):
    (course / ASSIGNMENT_ID / "__init__.py").unlink()
    with pytest.raises(CourseError, match="has assignment.toml but no __init__.py"):
        catalog(course)
