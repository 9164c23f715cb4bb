"""The Gradescope autograder bundle, and its real run_autograder run in a simulated /autograder.

The bundle is built into a temporary folder and unzipped as Gradescope does (into
ROOT/source); ROOT/submission gets a notebook; the real `run_autograder` (bash) runs with
AUTOGRADER_ROOT=ROOT and DLGRADE_PYTHON=this interpreter; results.json is checked against
Gradescope's documented schema.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from dlgrade.cli import main
from graders.engine.checks import Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.gradescope.bundle import build_bundle, pinned_requirements
from graders.gradescope.selftest import unpack
from graders.gradescope.run import choose_submission, results_dict
from tests import numpy_basics_totals

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"

# Gradescope's documented results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
             "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_schema(data: dict) -> None:
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    assert set(data) <= TOP_LEVEL, set(data) - TOP_LEVEL
    assert number(data["score"]) and isinstance(data["output"], str)
    assert data.get("visibility", "visible") in VISIBILITY and data.get("stdout_visibility", "visible") in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert data.get(key, "text") in FORMATS
    assert isinstance(data["tests"], list)
    for t in data["tests"]:
        assert set(t) <= TEST_KEYS, set(t) - TEST_KEYS
        assert number(t["score"]) and number(t["max_score"]) and 0 <= t["score"] <= t["max_score"]
        assert t["status"] in {"passed", "failed"} and isinstance(t["name"], str) and isinstance(t["output"], str)
        assert t.get("output_format", "text") in FORMATS and t.get("visibility", "visible") in VISIBILITY
        assert isinstance(t.get("tags", []), list) and isinstance(t.get("number", ""), str)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build_bundle("numpy_basics", tmp_path_factory.mktemp("bundle") / "numpy_basics_autograder.zip")


def _autograder(tmp_path: Path, bundle: Path) -> Path:
    """A simulated /autograder: the bundle unzipped in source/ (modes kept), empty submission/ and results/."""
    return unpack(bundle, tmp_path / "autograder")


def _run(root: Path, python: str = sys.executable) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "DLGRADE_PYTHON": python}
    env.pop("DLGRADE_AUTOGRADER", None)
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def _notebook(code: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
    nb.cells = [nbformat.v4.new_markdown_cell("# my work"), nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


# ---------------------------------------------------------------- the bundle


def test_bundle_has_the_scripts_the_config_the_pins_and_the_source(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) for i in zf.infolist()}
        config = json.loads(zf.read("dlgrade_autograder.json"))
        pins = zf.read("requirements.txt").decode().split()
        setup = zf.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "requirements-ranges.txt",
            "dlgrade_autograder.json"} <= names
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR and stat.S_ISREG(modes[script])
    assert {"dlgrade_src/dlgrade/cli.py", "dlgrade_src/graders/engine/runner.py",
            "dlgrade_src/graders/gradescope/run.py", "dlgrade_src/reference/numpy/numpy_basics.py",
            "dlgrade_src/graders/sandbox/child.py"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith("dlgrade_src/tests") for n in names)
    assert config["assignment"] == "numpy_basics" and config["options"] == {}
    assert all("==" in p for p in pins) and not any(p.lower().startswith("torch==") for p in pins)
    assert any(p.startswith("numpy==") for p in pins) and any(p.lower().startswith("nbformat==") for p in pins)
    assert config["torch"] is None and "TORCH_VERSION" not in setup and "pip install --no-deps torch" not in setup
    assert "requirements.txt" in setup


def test_bundle_is_reproducible(bundle, tmp_path):
    again = build_bundle("numpy_basics", tmp_path / "again.zip")
    assert again.read_bytes() == bundle.read_bytes()


def test_pins_are_the_installed_versions():
    from importlib.metadata import version

    pins = dict(p.split("==") for p in pinned_requirements())
    assert pins["numpy"] == version("numpy") and pins["sympy"] == version("sympy")


def test_shell_scripts_are_valid_bash(bundle, tmp_path):
    root = _autograder(tmp_path, bundle)
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(root / "source" / script)], check=True)


# ---------------------------------------------------------------- run_autograder


def test_run_autograder_grades_the_notebook_in_gradescopes_schema(bundle, tmp_path):
    root = _autograder(tmp_path, bundle)
    (root / "submission" / "numpy_basics.ipynb").write_text(_notebook(REFERENCE.read_text()), encoding="utf-8")
    (root / "submission" / "scratch.py").write_text("raise SystemExit('not this one')\n", encoding="utf-8")
    data = _run(root)
    assert_gradescope_schema(data)
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    assert len(data["tests"]) == numpy_basics_totals()[0] and all(t["status"] == "passed" for t in data["tests"])
    assert data["tests"][0]["name"].startswith("relu:")


def test_run_autograder_without_a_notebook_fails_every_check_and_says_why(bundle, tmp_path):
    root = _autograder(tmp_path, bundle)
    (root / "submission" / "answers.pdf").write_bytes(b"%PDF-1.4")
    data = _run(root)
    assert_gradescope_schema(data)
    assert data["score"] == 0 and data["tests"] and all(t["status"] == "failed" for t in data["tests"])
    assert "No .ipynb notebook or .py file was found" in data["output"] and "answers.pdf" in data["output"]


def test_run_autograder_writes_results_even_when_python_cannot_start(bundle, tmp_path):
    root = _autograder(tmp_path, bundle)
    data = _run(root, python="/nonexistent/python")
    assert_gradescope_schema(data)
    assert data["score"] == 0 and "Please tell your instructor" in data["output"]


# ---------------------------------------------------------------- pieces


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(buf, format="PNG")
    return buf.getvalue()


def test_checks_with_pictures_get_html_output_with_the_pictures_inline():
    tests = [Result("f: plain", 0, 1, "failed", "a < b", "value", "visible", "1"),
             Result("f: picture", 0, 1, "failed", "x <script>", "value", "hidden", "2",
                    extra={"pictures": [{"title": "loss curve", "png": _png()}]})]
    data = results_dict(Report("numpy_basics", "x.ipynb", tests, 1.0))
    assert_gradescope_schema(data)
    plain, pic = data["tests"]
    assert plain["output_format"] == "text" and plain["output"] == "a < b"
    assert pic["output_format"] == "html" and "<img" in pic["output"] and "data:image/png;base64," in pic["output"]
    assert "x &lt;script&gt;" in pic["output"] and "<script>" not in pic["output"]
    assert pic["visibility"] == "hidden"


def test_the_assignments_notebook_is_chosen_first(tmp_path):
    for name in ("a.py", "numpy_basics.py", "b.ipynb", "sub/numpy_basics.ipynb", ".ipynb_checkpoints/x.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert choose_submission(tmp_path, "numpy_basics") == tmp_path / "sub" / "numpy_basics.ipynb"
    (tmp_path / "sub" / "numpy_basics.ipynb").unlink()
    assert choose_submission(tmp_path, "numpy_basics") == tmp_path / "b.ipynb"
    (tmp_path / "b.ipynb").unlink()
    assert choose_submission(tmp_path, "numpy_basics") == tmp_path / "numpy_basics.py"
    assert choose_submission(tmp_path / "missing", "numpy_basics") is None


def test_cli_builds_the_bundle(tmp_path, capsys):
    out = tmp_path / "ag.zip"
    assert main(["gradescope-bundle", "--assignment", "numpy_basics", "--out", str(out)]) == 0
    assert zipfile.is_zipfile(out) and str(out) in capsys.readouterr().out
    assert main(["gradescope-bundle", "--assignment", "no_such_assignment", "--out", str(out)]) == 2


# ---------------------------------------------------------------- the course secret


def test_bundle_carries_the_course_secret_privately_and_run_autograder_uses_it(tmp_path):
    path = build_bundle("numpy_basics", tmp_path / "b.zip", secret=b"the-instructors-secret")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("course-secret")
        assert zf.read(info) == b"the-instructors-secret\n"
        assert (info.external_attr >> 16) & 0o777 == 0o600
    root = _autograder(tmp_path, path)
    # a stand-in interpreter that reports the secret run_autograder hands the grader
    fake = tmp_path / "fake-python"
    fake.write_text('#!/usr/bin/env bash\nprintf \'{"score": 0, "output": "%s|%s|%s", "tests": []}\' '
                    '"${DLGRADE_SECRET:-unset}" "$DLGRADE_SECRET_FILE" "$(cat "$DLGRADE_SECRET_FILE")" '
                    '> "$AUTOGRADER_ROOT/results/results.json"\n', encoding="utf-8")
    fake.chmod(0o755)
    data = _run(root, python=str(fake))
    unset, secret_file, secret = data["output"].split("|")
    assert unset == "unset" and secret == "the-instructors-secret"
    assert Path(secret_file).resolve().is_relative_to(root.resolve())  # under DLGRADE_HIDE's $ROOT


def test_bundle_defaults_to_the_instructors_course_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DLGRADE_SECRET", "from-the-environment")
    path = build_bundle("numpy_basics", tmp_path / "b.zip")
    with zipfile.ZipFile(path) as zf:
        assert zf.read("course-secret") == b"from-the-environment\n"
