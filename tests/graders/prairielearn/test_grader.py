"""The PrairieLearn external grader, its real run.sh run in a simulated /grade.

The grader folder is written as `dlgrade prairielearn-grader` writes it and copied into
ROOT/serverFilesCourse/ as PrairieLearn does; ROOT/student gets the submission; run.sh runs
with DLGRADE_GRADE_ROOT=ROOT and DLGRADE_PYTHON=this interpreter; results.json is checked
against PrairieLearn's documented external-grading format.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlgrade.cli import main
from graders.prairielearn.grader import CONFIG, ENTRY_POINT, SECRET, write_grader
from graders.prairielearn.run import WITHHELD
from tests.mutants import reference_path
from graders.assignments.theory.slips import MUTANTS

ASSIGNMENT = "theory"  # quick to grade, and it has hidden checks

# PrairieLearn's documented results.json (docs/externalGrading.md, "Grading results")
TOP_LEVEL = {"gradable", "score", "message", "output", "images", "tests", "format_errors"}
TEST_KEYS = {"name", "description", "points", "max_points", "message", "output", "images"}
MAX_BYTES = 1_000_000


def assert_prairielearn_schema(data: dict) -> None:
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    assert set(data) <= TOP_LEVEL, set(data) - TOP_LEVEL
    assert isinstance(data["gradable"], bool) and number(data["score"]) and 0 <= data["score"] <= 1
    assert isinstance(data["message"], str) and isinstance(data["output"], str)
    assert isinstance(data.get("format_errors", []), (str, list)) and isinstance(data["tests"], list)
    for image in data.get("images", []):
        assert isinstance(image["label"], str) and image["url"].startswith("data:image/")
    for t in data["tests"]:
        assert set(t) <= TEST_KEYS, set(t) - TEST_KEYS
        assert isinstance(t["name"], str) and isinstance(t["description"], str)
        assert isinstance(t["message"], str) and isinstance(t["output"], str)
        assert number(t["points"]) and number(t["max_points"]) and 0 <= t["points"] <= t["max_points"]
        for image in t.get("images", []):
            assert isinstance(image["label"], str) and image["url"].startswith("data:image/png;base64,")
    assert len(json.dumps(data).encode()) <= MAX_BYTES


@pytest.fixture(scope="module")
def grader(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("course") / "serverFilesCourse" / f"dlgrade_{ASSIGNMENT}"
    assert main(["prairielearn-grader", ASSIGNMENT, "--out", str(out)]) == 0
    return out


def _grade_root(tmp_path: Path, grader: Path) -> Path:
    """A simulated /grade: the grader in serverFilesCourse/, an empty student/, data/data.json."""
    root = tmp_path / "grade"
    shutil.copytree(grader, root / "serverFilesCourse" / grader.name)
    (root / "student").mkdir()
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps({"params": {}, "submitted_answers": {}}))
    return root


def _run(root: Path, python: str = sys.executable) -> dict:
    env = {**os.environ, "DLGRADE_GRADE_ROOT": str(root), "DLGRADE_PYTHON": python}
    env.pop("DLGRADE_AUTOGRADER", None)
    entry = root / "serverFilesCourse" / f"dlgrade_{ASSIGNMENT}" / ENTRY_POINT
    proc = subprocess.run(["bash", str(entry)], env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_prairielearn_schema(data)
    return data


def _submit(root: Path, source: str, name: str = f"{ASSIGNMENT}.ipynb") -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": ASSIGNMENT}
    nb.cells = [nbformat.v4.new_markdown_cell("# my work"), nbformat.v4.new_code_cell(source)]
    (root / "student" / name).write_text(nbformat.writes(nb), encoding="utf-8")


# ---------------------------------------------------------------- the folder


def test_the_folder_holds_the_entry_point_the_config_and_the_course_secret_only(grader):
    assert sorted(p.name for p in grader.iterdir()) == sorted([ENTRY_POINT, CONFIG, SECRET])
    assert (grader / ENTRY_POINT).stat().st_mode & stat.S_IXUSR
    assert stat.S_IMODE((grader / SECRET).stat().st_mode) == 0o600
    assert (grader / SECRET).read_text().strip() == os.environ["DLGRADE_SECRET"]
    config = json.loads((grader / CONFIG).read_text())
    assert config["assignment"] == ASSIGNMENT and config["options"] == {}
    subprocess.run(["bash", "-n", str(grader / ENTRY_POINT)], check=True)


def test_an_unknown_assignment_or_option_is_a_usage_error_and_writes_nothing(tmp_path):
    assert main(["prairielearn-grader", "no_such_assignment", "--out", str(tmp_path / "a")]) == 2
    assert main(["prairielearn-grader", ASSIGNMENT, "--option", "nope=1", "--out", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_grader_written_in_python_matches_the_cli(tmp_path):
    out = write_grader(ASSIGNMENT, tmp_path / "g", secret=b"another secret")
    assert (out / SECRET).read_text() == "another secret\n"


# ---------------------------------------------------------------- run.sh


def test_the_reference_gets_full_marks_and_hidden_checks_show_their_points_only(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    _submit(root, reference_path(ASSIGNMENT).read_text())
    (root / "student" / "scratch.py").write_text("raise SystemExit('not this one')\n")
    data = _run(root)
    assert data["gradable"] is True and data["score"] == 1.0
    assert all(t["points"] == t["max_points"] > 0 for t in data["tests"])
    assert data["output"].splitlines()[0] == f"Graded: {ASSIGNMENT}.ipynb. Not graded: scratch.py " \
                                             "(a .py file; a notebook is graded first)."
    hidden = [t for t in data["tests"] if t["name"].startswith("Hidden check")]
    assert [t["name"] for t in hidden] == ["Hidden check 1", "Hidden check 2"]
    assert all(t["message"] == WITHHELD and t["output"] == "" for t in hidden)
    assert f"{sum(t['max_points'] for t in data['tests']):g} / " in data["message"]


def test_a_buggy_submission_gets_partial_credit_and_the_failed_checks_say_why(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    mutant = next(m for m in MUTANTS if m.name == "dense_ae_counts_without_biases")
    _submit(root, mutant.apply(reference_path(ASSIGNMENT).read_text()))
    data = _run(root)
    assert data["gradable"] is True and 0 < data["score"] < 1
    failed = [t for t in data["tests"] if t["points"] < t["max_points"]]
    for prefix in mutant.catches:  # the theory checks' names start with the question's
        caught = [t for t in failed if t["name"].startswith(prefix)]
        assert caught and all(t["message"] == "Failed." and t["output"] for t in caught), prefix


def test_an_empty_submission_folder_is_not_gradable_and_says_what_was_found(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    (root / "student" / "answers.pdf").write_bytes(b"%PDF-1.4")
    data = _run(root)
    assert data["gradable"] is False and data["score"] == 0 and data["tests"] == []
    assert "No .ipynb notebook or .py file was found" in data["message"] and "answers.pdf" in data["message"]
    assert data["format_errors"] == [data["message"]]


@pytest.mark.parametrize("content", [b"", b"{not a notebook", b"\xff\xfe\x00bad"])
def test_an_empty_or_unreadable_notebook_is_not_gradable_and_says_why(grader, tmp_path, content):
    root = _grade_root(tmp_path, grader)
    (root / "student" / f"{ASSIGNMENT}.ipynb").write_bytes(content)
    data = _run(root)
    assert data["gradable"] is False and data["tests"] == []
    assert data["message"].startswith(f"Your submission {ASSIGNMENT}.ipynb could not be read")


def test_a_crash_of_the_grader_still_writes_a_result_that_costs_no_attempt(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    config = root / "serverFilesCourse" / grader.name / CONFIG
    config.write_text(json.dumps({"assignment": "no_such_assignment"}))
    _submit(root, "x = 1\n")
    data = _run(root)
    assert data["gradable"] is False and "The grader failed (KeyError" in data["message"]
    assert "Please tell your instructor" in data["message"]


def test_when_python_cannot_start_run_sh_still_writes_a_result(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    data = _run(root, python="/nonexistent/python")
    assert data["gradable"] is False and "Please tell your instructor" in data["message"]


def test_run_sh_grades_in_autograder_mode_with_the_grade_root_hidden_and_the_course_secret(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    seen = tmp_path / "env.json"
    fake = tmp_path / "fake_python"
    fake.write_text(f"#!{sys.executable}\nimport json, os\n"
                    f"json.dump(dict(os.environ), open({str(seen)!r}, 'w'))\nraise SystemExit(3)\n")
    fake.chmod(0o755)
    data = _run(root, python=str(fake))
    env = json.loads(seen.read_text())
    assert env["DLGRADE_AUTOGRADER"] == "1" and str(root) in env["DLGRADE_HIDE"].split(os.pathsep)
    assert env["DLGRADE_SECRET_FILE"] == str(root / "serverFilesCourse" / grader.name / SECRET)
    assert "DLGRADE_SECRET" not in env  # the file is the secret, not the grader's environment
    assert data["gradable"] is False and "exit status 3" in data["message"]


def test_a_submission_that_does_not_run_is_graded_and_the_error_is_shown(grader, tmp_path):
    root = _grade_root(tmp_path, grader)
    _submit(root, "def broken(:\n    pass\n")
    data = _run(root)
    assert data["gradable"] is True and data["score"] == 0
    assert "SyntaxError" in data["output"] and all(t["points"] == 0 for t in data["tests"])
