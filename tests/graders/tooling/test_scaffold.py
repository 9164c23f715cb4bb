"""`dlgrade new`'s scaffold (graders.tooling.scaffold): an assignment that grades at once.

Its reference gets full marks, its known slips are caught by the checks they name and every
check is failed by one, its unusual variant gets full marks, its notebook builds, and it
never overwrites nor reuses an id.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from graders.courses import catalog
from graders.engine.runner import grade
from graders.tooling.notebooks import build_notebooks
from graders.tooling.scaffold import ScaffoldError, scaffold


def grade_edit(assignment, mutant, directory: Path):
    source = Path(assignment.reference).read_text(encoding="utf-8")
    path = directory / f"{mutant.name}.py"
    path.write_text(mutant.apply(source), encoding="utf-8")
    return grade(str(path), assignment)


def assert_grades_at_once(course: Path, assignment_id: str, tmp_path: Path):
    found = catalog(course)
    assignment = found.get(assignment_id)
    report = grade(str(assignment.reference), assignment)
    assert report.score == report.max_score > 0, [t.output for t in report.tests if not t.passed]
    slips = found.slips(assignment_id)
    caught = set()
    for mutant in slips.MUTANTS:
        failed = {t.name for t in grade_edit(assignment, mutant, tmp_path).tests if not t.passed}
        assert set(mutant.catches) <= failed, (mutant.name, failed)
        caught |= failed
    assert caught == {c.name for c in assignment.all_checks()}
    for mutant in slips.UNUSUAL:
        report = grade_edit(assignment, mutant, tmp_path)
        assert report.score == report.max_score, (mutant.name, [t.output for t in report.tests if not t.passed])


def test_numpy_scaffold_grades_at_once(tmp_path):
    course = tmp_path / "my_course"
    folder = scaffold("affine_layer", course)
    assert sorted(p.name for p in folder.iterdir()) == [
        "__init__.py", "assignment.toml", "checks.py", "reference.py", "slips.py"]
    assert_grades_at_once(course, "affine_layer", tmp_path)


@pytest.mark.slow  # starts PyTorch in the grader and in every sandbox
def test_torch_scaffold_grades_at_once(tmp_path):
    course = tmp_path / "my_course"
    scaffold("affine_layer_torch", course, kind="torch")
    assert catalog(course).get("affine_layer_torch").preload == ("numpy", "torch")
    assert_grades_at_once(course, "affine_layer_torch", tmp_path)


@pytest.mark.parametrize("kind", ["numpy", "torch", "trained"])
def test_scaffold_files_are_valid_python_importing_only_the_public_api(kind, tmp_path):
    folder = scaffold("layer", tmp_path / "my_course", kind=kind)
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert modules <= {"graders.authoring", "numpy", "torch", "pathlib", "__future__"}, (path.name, modules)


def test_scaffold_notebook_builds_with_the_stubs_and_the_id(tmp_path):
    course = tmp_path / "my_course"
    scaffold("affine_layer", course)
    written, stale = build_notebooks(catalog(course), ["affine_layer"], tmp_path / "out")
    text = written[0].read_text(encoding="utf-8")
    assert not stale and '"assignment": "affine_layer"' in text
    assert "raise NotImplementedError" in text and "return x @ w + b" not in text


def test_scaffold_refuses_to_overwrite(tmp_path):
    course = tmp_path / "my_course"
    scaffold("affine_layer", course)
    (course / "affine_layer" / "reference.py").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("affine_layer", course)
    assert (course / "affine_layer" / "reference.py").read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.parametrize("bad", ["1layer", "my-layer", "class", "_private", ""])
def test_scaffold_refuses_an_id_that_is_not_an_identifier(bad, tmp_path):
    with pytest.raises(ScaffoldError, match="not a valid assignment id"):
        scaffold(bad, tmp_path / "my_course")
    assert not (tmp_path / "my_course").exists()


def test_scaffold_refuses_an_id_of_the_catalog(tmp_path):
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("numpy_basics", tmp_path / "my_course")
    assert not (tmp_path / "my_course" / "numpy_basics").exists()


def test_scaffold_refuses_an_unknown_kind(tmp_path):
    with pytest.raises(ScaffoldError, match="unknown kind"):
        scaffold("layer", tmp_path / "my_course", kind="jax")
