"""What a Gradescope bundle carries: one assignment and what it needs, resolved at build time."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from graders import assignments
from graders.gradescope.bundle import build_bundle
from graders.gradescope.contents import BundleError, assignment_files, imported_modules

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


# ---------------------------------------------------------------- resolution, on a made-up source tree


INSTALLED = {"numpy", "sympy"}


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {"graders/__init__.py": "", "graders/engine/__init__.py": "", "graders/engine/checks.py": "",
            "dlgrade/__init__.py": "", "graders/assignments/__init__.py": "", "reference/__init__.py": "",
            "reference/numpy/__init__.py": "", "reference/numpy/toy.py": "import numpy as np\n",
            "student_templates/__init__.py": "", "student_templates/build.py": "",
            "graders/assignments/toy/__init__.py": "from .checks import yield_checks\n",
            "graders/assignments/toy/assignment.toml": "id = 'toy'\n"}
    for name, text in {**base, **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _toy(root: Path, preload=("numpy",), tasks=()):
    return SimpleNamespace(id="toy", reference=root / "reference" / "numpy" / "toy.py", tasks=tasks, preload=preload)


def _resolve(tmp_path, checks: str, preload=("numpy",), extra=None):
    root = _tree(tmp_path, {"graders/assignments/toy/checks.py": checks, **(extra or {})})
    return {f for f in assignment_files(_toy(root, preload), INSTALLED, root)}


def test_imports_of_course_modules_bring_their_files(tmp_path):
    files = _resolve(tmp_path, "from graders.assignments.other.helpers import f\n"
                               "def yield_checks(options):\n    from reference.numpy import shared\n",
                     extra={"graders/assignments/other/__init__.py": "", "graders/assignments/other/helpers.py": "",
                            "graders/assignments/other/checks.py": "", "reference/numpy/shared.py": "",
                            "reference/numpy/unrelated.py": ""})
    assert {"graders/assignments/other/helpers.py", "graders/assignments/other/__init__.py",
            "reference/numpy/shared.py", "reference/numpy/toy.py"} <= files
    assert "graders/assignments/other/checks.py" not in files and "reference/numpy/unrelated.py" not in files


def test_tooling_files_stay_behind_unless_grading_imports_them(tmp_path):
    extra = {"graders/assignments/toy/calibrate.py": "import tests.mutants\n",
             "graders/assignments/toy/slips.py": "", "graders/assignments/toy/problems.py": ""}
    files = _resolve(tmp_path, "from . import problems\n", extra=extra)
    assert "graders/assignments/toy/problems.py" in files
    assert "graders/assignments/toy/calibrate.py" not in files and "graders/assignments/toy/slips.py" not in files
    assert "graders/assignments/toy/slips.py" in _resolve(tmp_path, "from .slips import MUTANTS\n", extra=extra)


def test_relative_imports_are_resolved_in_their_package(tmp_path):
    root = _tree(tmp_path, {"graders/assignments/toy/checks.py": "from .util import x\nfrom ..other import y\n"})
    assert ("graders.assignments.toy.util", ("x",)) in imported_modules("graders/assignments/toy/checks.py", root)
    assert ("graders.assignments.other", ("y",)) in imported_modules("graders/assignments/toy/checks.py", root)
    assert imported_modules("graders/assignments/toy/__init__.py", root) == [("graders.assignments.toy.checks", ("yield_checks",))]


@pytest.mark.parametrize("checks, message", [
    ("from reference.numpy.missing import f\n", "imports reference.numpy.missing, which is not in dlgrade's source"),
    ("from graders.engine.nonexistent import f\n", "imports graders.engine.nonexistent"),
    ("def f():\n    import torch\n", "does not preload it"),
    ("import not_a_library_anywhere\n", "imports not_a_library_anywhere, which the bundle would not install"),
    ("import scipy\n", "imports scipy, which the bundle would not install"),  # installed here, not required
    ("WEIGHTS = 'toy_weights.npz'\n", "names the data file 'toy_weights.npz', which is not in the bundle"),
])
def test_what_cannot_be_resolved_fails_the_build_and_says_what(tmp_path, checks, message):
    with pytest.raises(BundleError, match=message.replace("(", r"\(").replace(".", r"\.")):
        _resolve(tmp_path, checks)


def test_a_data_file_beside_the_checks_and_torch_in_a_torch_assignment_resolve(tmp_path):
    files = _resolve(tmp_path, "import torch\nWEIGHTS = 'toy_weights.npz'\n", preload=("numpy", "torch"),
                     extra={"graders/assignments/toy/toy_weights.npz": "x"})
    assert "graders/assignments/toy/toy_weights.npz" in files


def test_a_missing_reference_or_task_file_fails_the_build(tmp_path):
    root = _tree(tmp_path, {"graders/assignments/toy/checks.py": ""})
    (root / "reference" / "numpy" / "toy.py").unlink()
    with pytest.raises(BundleError, match="its reference .* does not exist"):
        assignment_files(_toy(root), INSTALLED, root)
    root = _tree(tmp_path, {})
    with pytest.raises(BundleError, match="its task file .* does not exist"):
        assignment_files(_toy(root, tasks=(root / "graders/assignments/toy/tasks.py",)), INSTALLED, root)
