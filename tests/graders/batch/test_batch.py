"""run_batch and `dlgrade batch`: gradebook, reports, resuming, broken submissions, executors.

Grades use two numpy_basics checks only (the sandbox is real), so a batch takes seconds.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import shutil
import zipfile
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import nbformat
import pytest

import graders.batch.run as batch_run
from dlgrade.cli import main
from graders.batch import BatchError, run_batch
from graders.batch.worker import grade_job
from tests import numpy_basics_totals

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"
CHECKS = ["relu: values on random inputs", "relu: leaves its input unchanged"]
WRONG_RELU = "import numpy as np\n\n\ndef relu(z):\n    return 2 * np.maximum(z, 0)\n"


def _notebook(code: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
    nb.cells = [nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


def make_class(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REFERENCE, root / "alice.py")
    (root / "bob.py").write_text(WRONG_RELU, encoding="utf-8")
    (root / "carol" / "work").mkdir(parents=True)
    (root / "carol" / "work" / "hw.ipynb").write_text(_notebook(REFERENCE.read_text()), encoding="utf-8")
    (root / "dave").mkdir()
    (root / "dave" / "readme.txt").write_text("I forgot", encoding="utf-8")
    (root / "eve.ipynb").write_text('{"cells": [', encoding="utf-8")  # a broken notebook
    (root / "frank.py").write_text("import os\nos._exit(3)\n", encoding="utf-8")  # kills its sandbox
    return root


def _rows(result) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO(result.gradebook.read_text()))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class graded once with 2 worker processes."""
    root = make_class(tmp_path_factory.mktemp("class") / "submissions")
    out = tmp_path_factory.mktemp("grades")
    result = run_batch(root, "numpy_basics", out, workers=2, checks=CHECKS, progress=False)
    return root, out, result


def test_gradebook_has_a_row_per_student_with_score_status_and_per_check_columns(graded):
    _, _, result = graded
    header = result.gradebook.read_text().splitlines()[0].split(",")
    assert header == ["student", "status", "score", "max_score", "passed", "failed", *CHECKS, "notes"]
    rows = _rows(result)
    assert list(rows) == ["alice", "bob", "carol", "dave", "eve", "frank"]
    assert {n: r["status"] for n, r in rows.items()} == {
        "alice": "graded", "bob": "graded", "carol": "graded", "dave": "no submission", "eve": "graded",
        "frank": "graded"}
    assert (rows["alice"]["score"], rows["alice"]["max_score"]) == ("1.5", "1.5")
    assert rows["carol"]["score"] == "1.5"  # the notebook in a nested folder
    assert (rows["bob"][CHECKS[0]], rows["bob"][CHECKS[1]]) == ("0", "0.5")
    assert rows["eve"]["score"] == "0" and "not a valid Jupyter notebook" in rows["eve"]["notes"]
    assert rows["frank"]["score"] == "0"
    assert rows["dave"]["score"] == "" and "no .ipynb or .py" in rows["dave"]["notes"]


def test_each_graded_student_gets_a_json_and_an_html_report(graded):
    _, out, result = graded
    assert sorted(p.name for p in (out / "reports").iterdir()) == sorted(
        f"{n}.{ext}" for n in ["alice", "bob", "carol", "eve", "frank"] for ext in ("json", "html"))
    data = json.loads((out / "reports" / "bob.json").read_text())
    assert data["student"] == "bob" and data["submission"] == "bob.py" and len(data["submission_sha256"]) == 64
    assert [t["name"] for t in data["tests"]] == CHECKS
    assert "factor of 2" in data["tests"][0]["output"]
    assert "<!DOCTYPE html>" in (out / "reports" / "bob.html").read_text()
    assert sorted(result.graded) == ["alice", "bob", "carol", "eve", "frank"] and result.missing == ["dave"]


def test_a_second_run_skips_everyone_and_rebuilds_the_same_gradebook(graded):
    root, out, first = graded
    before = first.gradebook.read_text()
    again = run_batch(root, "numpy_basics", out, workers=2, checks=CHECKS, progress=False)
    assert again.graded == [] and sorted(again.skipped) == ["alice", "bob", "carol", "eve", "frank"]
    assert again.gradebook.read_text() == before


def test_gradebook_is_the_same_whatever_the_number_of_workers(graded, tmp_path):
    root, _, first = graded
    one = run_batch(root, "numpy_basics", tmp_path / "one", workers=1, checks=CHECKS, progress=False)
    assert one.gradebook.read_text() == first.gradebook.read_text()
    for name in ("alice", "bob"):
        a = json.loads((tmp_path / "one" / "reports" / f"{name}.json").read_text())
        b = json.loads((first.out_dir / "reports" / f"{name}.json").read_text())
        for d in (a, b):
            d.pop("execution_time")
            for t in d["tests"]:
                t.pop("time_s")
        assert a == b


def test_a_changed_submission_is_regraded_and_force_regrades_all(tmp_path):
    root = tmp_path / "subs"
    root.mkdir()
    shutil.copy(REFERENCE, root / "alice.py")
    (root / "bob.py").write_text(WRONG_RELU, encoding="utf-8")
    out = tmp_path / "out"
    with cf.ThreadPoolExecutor(1) as pool:  # any concurrent.futures executor will do
        run_batch(root, "numpy_basics", out, executor=pool, checks=CHECKS[:1], progress=False)
        shutil.copy(REFERENCE, root / "bob.py")  # bob resubmits, fixed
        second = run_batch(root, "numpy_basics", out, executor=pool, checks=CHECKS[:1], progress=False)
        assert second.graded == ["bob"] and second.skipped == ["alice"]
        assert _rows(second)["bob"]["score"] == "1"
        forced = run_batch(root, "numpy_basics", out, executor=pool, checks=CHECKS[:1], progress=False,
                           force=True)
    assert sorted(forced.graded) == ["alice", "bob"] and forced.skipped == []


def test_a_worker_that_raises_is_recorded_as_an_error_and_the_batch_goes_on(tmp_path, monkeypatch):
    root = tmp_path / "subs"
    root.mkdir()
    shutil.copy(REFERENCE, root / "alice.py")
    (root / "bob.py").write_text(WRONG_RELU, encoding="utf-8")

    def flaky(job):
        if job["student"] == "alice":
            raise MemoryError("the worker ran out of memory")
        return grade_job(job)

    monkeypatch.setattr(batch_run, "grade_job", flaky)
    with cf.ThreadPoolExecutor(2) as pool:
        result = run_batch(root, "numpy_basics", tmp_path / "out", executor=pool, checks=CHECKS[:1], progress=False)
    rows = _rows(result)
    assert rows["alice"]["status"] == "error" and "MemoryError" in rows["alice"]["notes"]
    assert rows["bob"]["status"] == "graded"
    assert not (tmp_path / "out" / "reports" / "alice.json").exists()  # so the next run retries alice
    monkeypatch.undo()
    with cf.ThreadPoolExecutor(1) as pool:
        retry = run_batch(root, "numpy_basics", tmp_path / "out", executor=pool, checks=CHECKS[:1], progress=False)
    assert retry.graded == ["alice"] and _rows(retry)["alice"]["status"] == "graded"


def test_the_worker_function_never_raises():
    result = grade_job({"key": "x", "student": "x", "assignment": "no_such_assignment"})
    assert result["status"] == "error" and "KeyError" in result["error"]


def test_jobs_lost_to_a_broken_pool_are_returned_for_a_retry():
    class Broken(cf.Executor):
        def submit(self, fn, *args, **kwargs):
            future = cf.Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future

    jobs = [{"key": "a", "student": "a"}, {"key": "b", "student": "b"}]
    seen = []
    lost = batch_run._run_jobs(jobs, Broken(), seen.append)
    assert seen == [] and sorted(j["key"] for j in lost) == ["a", "b"]


def test_unknown_assignment_and_empty_folder_are_batch_errors(tmp_path):
    with pytest.raises(BatchError, match="unknown assignment"):
        run_batch(tmp_path, "no_such_assignment", tmp_path / "out", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="no submissions found"):
        run_batch(tmp_path / "empty", "numpy_basics", tmp_path / "out", progress=False)


# ---------------------------------------------------------------- the command line


def test_cli_batch_grades_a_zip_and_prints_a_summary(tmp_path, capsys):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(REFERENCE, "export/alice.py")
        zf.writestr("export/bob/hw.py", WRONG_RELU)
    out = tmp_path / "grades"
    assert main(["batch", str(archive), "-a", "numpy_basics", "--workers", "2", "--out", str(out),
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "2 students, 2 graded" in printed and str(out / "gradebook.csv") in printed
    rows = list(csv.DictReader(open(out / "gradebook.csv")))
    total = numpy_basics_totals()[1]
    assert [(r["student"], r["score"], r["max_score"]) for r in rows] == [("alice", total, total),
                                                                          ("bob", "1.5", total)]


def test_cli_batch_usage_errors_exit_2(tmp_path, capsys):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.py", "x = 1")
    assert main(["batch", str(evil), "-a", "numpy_basics", "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "unsafe path" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "-a", "nope", "--no-progress"]) == 2
    assert main(["batch", str(tmp_path), "-a", "numpy_basics", "--workers", "0"]) == 2


class _InThisProcess(cf.Executor):
    """Runs each job at once, in this process (so that a test can watch what it reads)."""

    def submit(self, fn, *args, **kwargs):
        future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_a_notebook_chosen_from_a_students_folder_is_read_once_for_choosing_and_grading(tmp_path, monkeypatch):
    import graders.engine.runner as runner
    import graders.engine.source as source_module

    root = tmp_path / "class"
    (root / "carol" / "work").mkdir(parents=True)
    notebook = root / "carol" / "work" / "hw.ipynb"
    notebook.write_text(_notebook(REFERENCE.read_text()), encoding="utf-8")
    shutil.copy(REFERENCE, root / "alice.py")
    reads = []
    real = source_module.read_submission

    def counted(path):
        reads.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(source_module, "read_submission", counted)  # the chooser's
    monkeypatch.setattr(runner, "read_submission", counted)  # the grade's
    result = run_batch(root, "numpy_basics", tmp_path / "out", executor=_InThisProcess(), checks=CHECKS,
                       progress=False)
    assert sorted(result.graded) == ["alice", "carol"]
    assert sorted(reads) == ["alice.py", "hw.ipynb"]
    carol = json.loads((tmp_path / "out" / "reports" / "carol.json").read_text(encoding="utf-8"))
    assert carol["score"] == carol["max_score"] > 0
