"""What a Gradescope bundle carries: one assignment and what it needs, resolved at build time."""

from __future__ import annotations

import json
import tomllib
import zipfile
from pathlib import Path

import pytest

from graders import assignments
from graders.courses import catalog
from graders.gradescope.bundle import build_bundle
from graders.gradescope.contents import BundleError, bundle_contents, imported_modules
from tests.tiny_course import ASSIGNMENT_ID, HIDDEN_CHECK, write_tiny_course

COURSE_PREFIXES = ("dlgrade_src/graders/assignments/", "dlgrade_src/reference/", "dlgrade_src/student_templates/")
SHARED = {"dlgrade_src/graders/assignments/__init__.py", "dlgrade_src/reference/__init__.py",
          "dlgrade_src/student_templates/__init__.py", "dlgrade_src/student_templates/build.py"}


def _contents(path: Path) -> tuple[set[str], dict, str]:
    with zipfile.ZipFile(path) as zf:
        return (set(zf.namelist()), json.loads(zf.read("dlgrade_autograder.json")), zf.read("setup.sh").decode())


def _course_files(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith(COURSE_PREFIXES)} - SHARED


@pytest.mark.parametrize("assignment", ["numpy_basics", "vae_torch"])
def test_bundle_carries_only_its_assignment_and_its_reference(assignment, tmp_path):
    names, config, setup = _contents(build_bundle(assignment, tmp_path / "b.zip", secret=b"s"))
    reference = assignments.get(assignment).reference
    folder = f"dlgrade_src/graders/assignments/{assignment}/"
    others = [n for n in _course_files(names) if not n.startswith(folder) and not n.endswith("/__init__.py")]
    assert others == [f"dlgrade_src/reference/{reference.parent.name}/{reference.name}"]
    assert f"{folder}checks.py" in names and f"{folder}assignment.toml" in names
    assert f"{folder}slips.py" not in names and f"{folder}calibrate.py" not in names
    assert not any(n.endswith(".ipynb") for n in names) and not any("/tooling/" in n for n in names)
    assert "dlgrade_src/graders/engine/runner.py" in names and "dlgrade_src/dlgrade/data/files/faust.txt" in names


def test_bundle_carries_its_assignments_data_files(tmp_path):
    names, _, _ = _contents(build_bundle("transfer_torch", tmp_path / "b.zip", secret=b"s"))
    assert "dlgrade_src/graders/assignments/transfer_torch/base_weights.npz" in names
    assert "dlgrade_src/graders/assignments/gan_torch/digit_classifier_digits.npz" not in names


def test_numpy_bundle_installs_no_torch_and_a_torch_bundle_the_cpu_build(tmp_path):
    _, config, setup = _contents(build_bundle("numpy_basics", tmp_path / "n.zip", secret=b"s"))
    assert config["torch"] is None and "torch" not in setup.replace("preloads no torch", "")
    _, config, setup = _contents(build_bundle("vae_torch", tmp_path / "t.zip", secret=b"s"))
    assert config["torch"] and f"TORCH_VERSION={config['torch']}" in setup
    assert "download.pytorch.org/whl/cpu" in setup


# ---------------------------------------------------------------- a course's own assignment


def _course(tmp_path: Path, checks_extra: str = "", files: dict | None = None, course_toml: str | None = None,
            preload: str = '["numpy"]') -> Path:
    """The tiny course, with more lines in its checks.py, more files, a course.toml."""
    course = write_tiny_course(tmp_path / "course", course_toml)
    checks = course / ASSIGNMENT_ID / "checks.py"
    checks.write_text(checks.read_text(encoding="utf-8") + checks_extra, encoding="utf-8")
    manifest = course / ASSIGNMENT_ID / "assignment.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('["numpy"]', preload), encoding="utf-8")
    for name, text in (files or {}).items():
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text(text, encoding="utf-8")
    return course


def _names(course: Path) -> set[str]:
    return {name for name, _ in bundle_contents(catalog(course), ASSIGNMENT_ID, INSTALLED).files}


INSTALLED = {"numpy", "sympy", "nbformat", "hypothesis"}
SHIPPED = "dlgrade_courses/0_course"
OTHER = {"other/assignment.toml": 'id = "other"\ntitle = "Other"\n',
         "other/__init__.py": "", "other/checks.py": "", "other/reference.py": ""}


def test_a_course_assignment_travels_alone_with_what_it_imports(tmp_path):
    course = _course(tmp_path, "from .._shared.helpers import helper\n",
                     files={"_shared/__init__.py": "", "_shared/helpers.py": "def helper():\n    pass\n",
                            "_shared/unused.py": "", **OTHER})
    names = _names(course)
    assert {f"{SHIPPED}/scaling/checks.py", f"{SHIPPED}/scaling/reference.py", f"{SHIPPED}/scaling/__init__.py",
            f"{SHIPPED}/_shared/helpers.py", f"{SHIPPED}/_shared/__init__.py"} <= names
    assert not {f"{SHIPPED}/_shared/unused.py", f"{SHIPPED}/other/checks.py", f"{SHIPPED}/scaling/slips.py"} & names
    assert not [n for n in names if n.startswith("dlgrade_src/graders/assignments/") and n.count("/") > 3]
    assert not [n for n in names if n.startswith("dlgrade_src/reference/") and not n.endswith("__init__.py")]


def test_a_course_bundle_carries_course_toml_reduced_to_the_assignment(tmp_path):
    course = _course(tmp_path, files=OTHER, course_toml=f"""[course]
name = "ml101"

[assignments.other.checks."x: y"]
points = 3

[assignments.{ASSIGNMENT_ID}.checks."{HIDDEN_CHECK}"]
points = 4  # more
""")
    contents = dict(bundle_contents(catalog(course), ASSIGNMENT_ID, INSTALLED).files)
    reduced = tomllib.loads(contents[f"{SHIPPED}/course.toml"].decode())
    assert reduced == {"course": {"name": "ml101"},
                       "assignments": {ASSIGNMENT_ID: {"checks": {HIDDEN_CHECK: {"points": 4}}}}}


def test_a_course_toml_that_cannot_be_reduced_fails_the_build(tmp_path):
    course = _course(tmp_path, files=OTHER, course_toml=f"""[assignments]
other = {{ options = {{}} }}
{ASSIGNMENT_ID} = {{ options = {{ size = 4 }} }}
""")
    with pytest.raises(BundleError, match="cannot be reduced to scaling"):
        _names(course)


def test_a_bundled_assignments_bundle_carries_no_course_folder(tmp_path):
    course = _course(tmp_path)
    contents = bundle_contents(catalog(course), "numpy_basics", INSTALLED)
    assert contents.courses == [] and not [n for n, _ in contents.files if n.startswith("dlgrade_courses/")]


def test_a_course_that_extends_a_bundled_assignment_travels_with_it(tmp_path):
    course = _course(tmp_path, files={"numpy_basics/more_checks.py": "def yield_checks(options):\n    yield from ()\n"},
                     course_toml='[assignments.numpy_basics]\nextra_checks = ["more_checks"]\n')
    contents = bundle_contents(catalog(course), "numpy_basics", INSTALLED)
    names = {n for n, _ in contents.files}
    assert contents.courses == [SHIPPED] and f"{SHIPPED}/numpy_basics/more_checks.py" in names
    assert f"{SHIPPED}/scaling/checks.py" not in names


@pytest.mark.parametrize("checks_extra, message", [
    ("from .missing import f\n", "imports dlgrade_course_.*missing, which is in neither"),
    ("from reference.numpy.missing import f\n", "imports reference.numpy.missing, which is in neither"),
    ("from graders.engine.nonexistent import f\n", "imports graders.engine.nonexistent"),
    ("def f():\n    import torch\n", "imports torch, but scaling's sandbox does not preload it"),
    ("import not_a_library_anywhere\n", "imports not_a_library_anywhere, which the bundle would not install"),
    ("import scipy\n", "imports scipy, which the bundle would not install"),  # installed here, not required
    ("WEIGHTS = 'scaling_weights.npz'\n", "names the data file 'scaling_weights.npz', which is not in the bundle"),
])
def test_what_cannot_be_resolved_fails_the_build_and_says_what(tmp_path, checks_extra, message):
    with pytest.raises(BundleError, match=message):
        _names(_course(tmp_path, checks_extra))


def test_data_files_beside_the_checks_and_torch_in_a_torch_assignment_resolve(tmp_path):
    course = _course(tmp_path, "import torch\nWEIGHTS = 'scaling_weights.npz'\n", preload='["numpy", "torch"]',
                     files={f"{ASSIGNMENT_ID}/scaling_weights.npz": "x"})
    assert f"{SHIPPED}/scaling/scaling_weights.npz" in _names(course)


def test_tooling_files_stay_behind_unless_grading_imports_them(tmp_path):
    course = _course(tmp_path, "from .slips import MUTANTS\n", files={f"{ASSIGNMENT_ID}/calibrate.py": "import tests\n"})
    names = _names(course)
    assert f"{SHIPPED}/scaling/slips.py" in names and f"{SHIPPED}/scaling/calibrate.py" not in names


def test_relative_imports_are_resolved_in_their_package(tmp_path):
    path = tmp_path / "checks.py"
    path.write_text("from .util import x\nfrom ..other import y\nfrom . import z\n", encoding="utf-8")
    assert imported_modules(path, "course.scaling") == [
        ("course.scaling.util", ("x",)), ("course.other", ("y",)), ("course.scaling", ("z",))]


def test_a_missing_reference_fails_the_build(tmp_path):
    course = _course(tmp_path)
    init = course / ASSIGNMENT_ID / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace('"reference.py"', '"solution.py"'), encoding="utf-8")
    with pytest.raises(BundleError, match="its reference .*solution.py does not exist"):
        _names(course)
