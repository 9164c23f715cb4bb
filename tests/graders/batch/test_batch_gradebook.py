"""`dlgrade batch` and its gradebook database: grades recorded, regrades kept, late penalties,
what a submission's top level raised, a database from a newer dlgrade refused.

Grades use two numpy_basics checks only (the sandbox is real), so a batch takes seconds.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dlgrade.cli import main
from graders.batch import BatchError, run_batch
from graders.gradebook.db import SCHEMA_VERSION, open_gradebook
from graders.gradebook.late import LatePolicy
from graders.gradebook.record import current_grades, history

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"
CHECKS = ["relu: values on random inputs", "relu: leaves its input unchanged"]
DUE = datetime(2026, 10, 2, 23, 59, tzinfo=timezone.utc)


def make_class(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REFERENCE, root / "alice.py")
    shutil.copy(REFERENCE, root / "bob.py")
    # defines everything, then its top level raises: full marks, and the note says what it raised
    (root / "carol.py").write_text(REFERENCE.read_text() + "\nraise ValueError('plotting failed')\n")
    late = (DUE + timedelta(hours=30)).timestamp()
    os.utime(root / "bob.py", (late, late))
    early = (DUE - timedelta(hours=1)).timestamp()
    for name in ("alice.py", "carol.py"):
        os.utime(root / name, (early, early))
    return root


def _rows(path: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO(path.read_text()))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_class(tmp_path_factory.mktemp("class") / "submissions")
    out = tmp_path_factory.mktemp("grades")
    result = run_batch(root, "numpy_basics", out, workers=1, checks=CHECKS, progress=False,
                       late_policy=LatePolicy(DUE, percent_per_day=10))
    return root, out, result


def test_batch_records_every_student_in_the_database_beside_the_csv(graded):
    _, out, result = graded
    assert result.database == out / "gradebook.sqlite"
    with open_gradebook(result.database) as conn:
        grades = {g.student: g for g in current_grades(conn, "numpy_basics")}
    assert sorted(grades) == ["alice", "bob", "carol"]
    assert grades["alice"].score == 1.5 and [c["name"] for c in grades["alice"].checks] == CHECKS


def test_a_late_submission_loses_its_penalty_and_the_gradebook_and_report_say_why(graded):
    _, out, result = graded
    rows = _rows(result.gradebook)
    assert rows["bob"]["score"] == "1.2" and rows["bob"]["raw_score"] == "1.5"
    assert rows["bob"]["late_penalty"] == "0.3" and "2 days late" in rows["bob"]["notes"]
    assert rows["alice"]["score"] == "1.5" and rows["alice"]["late_penalty"] == ""
    report = json.loads((out / "reports" / "bob.json").read_text())
    assert report["late_penalty"] == 0.3 and "-20% = -0.3 points" in report["late_reason"]
    page = (out / "reports" / "bob.html").read_text()
    assert "<b>Late penalty:</b> submitted" in page and "Final score: 1.2 / 1.5" in page
    assert "Late penalty" not in (out / "reports" / "alice.html").read_text()


def test_the_note_says_what_the_top_level_raised_even_with_full_marks(graded):
    _, _, result = graded
    carol = _rows(result.gradebook)["carol"]
    assert carol["score"] == "1.5"
    assert carol["notes"] == "top level: carol.py raised ValueError: plotting failed"


def test_a_rerun_adds_no_grade_and_a_forced_one_keeps_the_old_grades(graded, tmp_path):
    root, _, _ = graded
    out = tmp_path / "grades"
    shutil.copytree(graded[1], out)
    run_batch(root, "numpy_basics", out, workers=1, checks=CHECKS, progress=False)
    with open_gradebook(out / "gradebook.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM grades").fetchone()[0] == 3
    run_batch(root, "numpy_basics", out, workers=1, checks=CHECKS, progress=False, force=True)
    with open_gradebook(out / "gradebook.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM grades").fetchone()[0] == 6
        assert len([r for r in history(conn, "numpy_basics") if r["student"] == "bob"]) == 2
        # regraded without a policy: bob's current grade has no penalty, the old one is kept
        assert {g.student: g.late_penalty for g in current_grades(conn, "numpy_basics")}["bob"] == 0.0


def test_a_database_from_a_newer_dlgrade_stops_the_batch_before_grading(tmp_path, capsys):
    root = make_class(tmp_path / "class")
    out = tmp_path / "grades"
    out.mkdir()
    raw = sqlite3.connect(out / "gradebook.sqlite")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    raw.close()
    with pytest.raises(BatchError, match="newer dlgrade"):
        run_batch(root, "numpy_basics", out, workers=1, checks=CHECKS, progress=False)
    assert not (out / "reports" / "alice.json").exists()
    assert main(["batch", str(root), "-a", "numpy_basics", "--out", str(out), "--no-progress"]) == 2
    assert "newer dlgrade" in capsys.readouterr().err


BATCH = """
import sys
from graders.batch import run_batch
run_batch(sys.argv[1], "numpy_basics", sys.argv[2], workers=1, checks=[sys.argv[4]], progress=False, db=sys.argv[3])
"""


def test_two_batches_writing_one_database_at_once_lose_no_row(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "term.sqlite"
    procs = []
    for group in ("a", "b"):
        folder = tmp_path / group
        folder.mkdir()
        for i in range(3):
            shutil.copy(REFERENCE, folder / f"{group}{i}.py")
        procs.append(subprocess.Popen([sys.executable, "-c", BATCH, str(folder), str(tmp_path / f"out_{group}"),
                                       str(db), CHECKS[0]], cwd=REPO))
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    with open_gradebook(db) as conn:
        assert sorted(g.student for g in current_grades(conn, "numpy_basics")) == ["a0", "a1", "a2", "b0", "b1", "b2"]
        assert conn.execute("SELECT COUNT(*) FROM check_results").fetchone()[0] == 6
