"""The `dlgrade-engine` distribution: the engine without a course.

The wheel is built from this source tree (graders/tooling/engine_dist.py). Fast tests read the
wheel; the slow one installs it into a fresh virtual environment (its requirements from PyPI or
pip's cache, no torch), grades a tiny assignment written here with it, lists and checks a tiny
course folder given by DLGRADE_COURSE, and scans every file of that environment for reference
code and for the names of hidden checks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from dlgrade.cli import main
from graders.tooling.engine_dist import (FORBIDDEN, EngineDistError, build_engine_dist, check_wheel,
                                         engine_files)
from tests.tiny_course import ASSIGNMENT_ID, HIDDEN_CHECK, VALUE_CHECK, WRONG, write_tiny_course

REPO = Path(__file__).resolve().parents[2]
MIN_LINE = 35  # shorter solution lines are too generic to say that a reference was copied
# an argument taken as a float64 array (`s = np.asarray(series, dtype=np.float64)`): any code
# that reads that argument starts so, the checks' own too; no part of a solution
ARGUMENT_AS_ARRAY = re.compile(r"\w+ = np\.asarray\(\w+, dtype=np\.float64\)")


def solution_lines() -> set[str]:
    """The distinctive code lines of the references' solutions (between the SOLUTION markers),
    less any line that the engine's own source also contains."""
    lines = set()
    for path in sorted((REPO / "reference").glob("*/*.py")):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text.startswith("### BEGIN SOLUTION"):
                inside = True
            elif text.startswith("### END SOLUTION"):
                inside = False
            elif (inside and len(text) >= MIN_LINE and not text.startswith(("#", '"', "'"))
                  and not ARGUMENT_AS_ARRAY.fullmatch(text)):
                lines.add(text)
    engine = "\n".join((REPO / name).read_text(encoding="utf-8", errors="replace") for name in engine_files(REPO))
    return {line for line in lines if line not in engine}


def hidden_check_names() -> set[str]:
    """The names of theory's hidden checks, and the question ids they are made of."""
    from graders import assignments
    from graders.assignments.theory.checks import HIDDEN
    from graders.engine.checks import Visibility

    hidden = {c.name for c in assignments.get("theory").all_checks() if c.visibility is not Visibility.VISIBLE}
    assert hidden and len(hidden) == len(HIDDEN)
    return hidden | set(HIDDEN)


def scan(folder: Path, needles: set[str]) -> dict[str, list[str]]:
    """{needle: files under `folder` that contain it}, for every regular file."""
    found: dict[str, list[str]] = {}
    encoded = {needle: needle.encode() for needle in needles}
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        for needle, raw in encoded.items():
            if raw in data:
                found.setdefault(needle, []).append(str(path.relative_to(folder)))
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_engine_dist(tmp_path_factory.mktemp("engine-dist"))


# ---------------------------------------------------------------- the wheel


def test_wheel_holds_the_engine_and_its_front_doors(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert wheel.name.startswith("dlgrade_engine-")
    assert {"dlgrade/cli.py", "dlgrade/selfcheck.py", "dlgrade/data/mnist.py", "dlgrade/data/files/faust.txt",
            "graders/engine/runner.py", "graders/sandbox/child.py", "graders/reports/text.py",
            "graders/symbolic/parse.py", "graders/version.py", "graders/data.py", "graders/courses.py",
            "graders/assignments/__init__.py"} <= names
    assert "Name: dlgrade-engine" in metadata and "Requires-Dist: numpy" in metadata
    assert "torch" not in metadata.lower()
    assert "dlgrade = dlgrade.cli:main" in entry_points


def test_wheel_holds_no_course(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert not [n for n in names if n.startswith(("reference/", "student_templates/", "tests/"))]
    assert not [n for n in names if n.startswith("graders/assignments/") and n != "graders/assignments/__init__.py"]
    assert not [n for n in names if n.endswith((".ipynb", "CONTRACT.md"))]


def test_a_wheel_with_a_course_file_is_refused(tmp_path):
    bad = tmp_path / "dlgrade_engine-0-py3-none-any.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("graders/engine/runner.py", "")
        zf.writestr("reference/numpy/numpy_basics.py", "")
    with pytest.raises(EngineDistError, match="reference/numpy/numpy_basics.py"):
        check_wheel(bad)


def test_every_course_path_is_forbidden():
    for name in ("graders/assignments/numpy_basics/checks.py", "graders/assignments/theory/answer_key.py",
                 "reference/torch/vae_torch.py", "student_templates/numpy_basics.ipynb", "dlgrade/CONTRACT.md"):
        assert any(rule.search(name) for rule in FORBIDDEN), name
    assert not any(rule.search("graders/engine/slips.py") for rule in FORBIDDEN)


def test_a_source_tree_without_the_engine_is_refused(tmp_path):
    with pytest.raises(EngineDistError, match="not a dlgrade source tree"):
        engine_files(tmp_path)


def test_scan_finds_reference_code_and_hidden_names_where_they_are(tmp_path):
    """The scan of the installed files can fail: it finds what it looks for in the full source."""
    lines, hidden = solution_lines(), hidden_check_names()
    assert len(lines) > 100
    found = scan(REPO / "reference" / "numpy", lines)
    assert set(found) and all(files for files in found.values())
    assert set(scan(REPO / "graders" / "assignments" / "theory", hidden)) == {n for n in hidden if ":" not in n}


def test_cli_builds_the_wheel(tmp_path, capsys):
    assert main(["engine-dist", "--out", str(tmp_path)]) == 0
    wheels = list(tmp_path.glob("dlgrade_engine-*.whl"))
    assert len(wheels) == 1 and str(wheels[0]) in capsys.readouterr().out


# ---------------------------------------------------------------- installed in a fresh environment

TINY_REFERENCE = "def double(x):\n    return 2.0 * x\n"
TINY_GRADE = '''
import json, sys
from pathlib import Path

import numpy as np

from graders.engine import expect
from graders.engine.assignment import Assignment
from graders.engine.checks import Check
from graders.engine.compare import assert_close
from graders.engine.runner import grade


def check_double_values(ctx):
    x = ctx.rng.standard_normal((3, 4))
    got = expect.array(ctx.call("double", x), "double(x)", x.shape)
    assert_close(got, 2.0 * x, "double(x)")


def yield_checks(options):
    yield Check("double: values on random inputs", check_double_values, points=2)


tiny = Assignment(id="tiny", title="tiny", contract=("double",), checks=yield_checks,
                  reference=Path(sys.argv[1]))
scores = {}
for path in sys.argv[1:]:
    report = grade(path, tiny)
    scores[Path(path).name] = [report.score, report.max_score]
print(json.dumps(scores))
'''


def _venv_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DLGRADE_COURSE", "VIRTUAL_ENV", "PYTHONHOME")}
    env["HOME"] = str(tmp_path / "home")  # Hypothesis and Matplotlib caches stay in tmp_path
    return env


def _in_venv(venv: Path, args: list[str], tmp_path: Path, timeout: float = 300, **env) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=tmp_path, env={**_venv_env(tmp_path), **env}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def engine_venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with only dlgrade-engine and its requirements."""
    root = tmp_path_factory.mktemp("engine-venv")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    (root / "home").mkdir()
    proc = _in_venv(venv, [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                    root, timeout=600)
    if proc.returncode != 0:
        pytest.skip(f"the engine's requirements could not be installed (no PyPI, no pip cache?):\n"
                    f"{proc.stderr[-2000:]}")
    return venv


@pytest.mark.slow
def test_installed_engine_lists_no_assignment_and_says_why(engine_venv, tmp_path):
    (tmp_path / "home").mkdir()
    proc = _in_venv(engine_venv, [str(engine_venv / "bin" / "dlgrade"), "list"], tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "No assignment is installed" in proc.stderr and "DLGRADE_COURSE" in proc.stderr
    proc = _in_venv(engine_venv, [str(engine_venv / "bin" / "python"), "-c",
                                  "import graders.engine.runner, graders.sandbox.child, dlgrade.selfcheck; "
                                  "import importlib.util as u; print(u.find_spec('reference'), u.find_spec('torch'))"],
                    tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["None", "None"]  # no reference solutions, and no torch
    for command in (["demo"], ["batch", "x", "-a", "numpy_basics"], ["contract"]):
        proc = _in_venv(engine_venv, [str(engine_venv / "bin" / "dlgrade"), *command], tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (command, proc.stderr)


@pytest.mark.slow
def test_installed_engine_grades_an_assignment_of_its_own_in_the_sandbox(engine_venv, tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "reference.py").write_text(TINY_REFERENCE, encoding="utf-8")
    (tmp_path / "wrong.py").write_text("def double(x):\n    return x + 2.0\n", encoding="utf-8")
    (tmp_path / "tiny_grade.py").write_text(textwrap.dedent(TINY_GRADE), encoding="utf-8")
    proc = _in_venv(engine_venv, [str(engine_venv / "bin" / "python"), "tiny_grade.py", "reference.py", "wrong.py"],
                    tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scores = json.loads(proc.stdout.strip().splitlines()[-1])
    assert scores == {"reference.py": [2.0, 2.0], "wrong.py": [0.0, 2.0]}


@pytest.mark.slow
def test_installed_engine_lists_checks_and_grades_a_course_given_by_dlgrade_course(engine_venv, tmp_path):
    (tmp_path / "home").mkdir()
    course = write_tiny_course(tmp_path / "course")
    (tmp_path / "wrong.py").write_text(WRONG, encoding="utf-8")
    dlgrade = str(engine_venv / "bin" / "dlgrade")
    listed = _in_venv(engine_venv, [dlgrade, "list"], tmp_path, DLGRADE_COURSE=str(course))
    assert listed.returncode == 0 and listed.stdout.split()[0] == ASSIGNMENT_ID, listed.stderr
    checked = _in_venv(engine_venv, [dlgrade, "check", "wrong.py", "-a", ASSIGNMENT_ID], tmp_path,
                       DLGRADE_COURSE=str(course))
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert "Score: 0 / 2" in checked.stdout and f"FAIL  {VALUE_CHECK}" in checked.stdout
    assert HIDDEN_CHECK not in checked.stdout and "1 hidden check(s) were not run" in checked.stdout
    graded = _in_venv(engine_venv, [dlgrade, "grade", str(course / ASSIGNMENT_ID / "reference.py"), "-a",
                                    ASSIGNMENT_ID, "--course", str(course), "--format", "json"], tmp_path)
    assert graded.returncode == 0, graded.stderr[-3000:]
    report = json.loads(graded.stdout)
    assert report["score"] == sum(t["max_score"] for t in report["tests"]) == 3


@pytest.mark.slow
def test_installed_files_hold_no_reference_code_and_no_hidden_check_name(engine_venv):
    found = scan(engine_venv, solution_lines() | hidden_check_names())
    assert found == {}
