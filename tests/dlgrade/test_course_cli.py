"""The course verbs end to end: batch with a late policy, override, exports, history, similarity,
dashboard; bad input is a usage error (exit status 2) with a clear message."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from dlgrade.cli import main
from graders.gradebook.db import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"
CHECK = "relu: values on random inputs"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    subs = root / "submissions"
    subs.mkdir()
    for name in ("alice", "bob"):
        shutil.copy(REFERENCE, subs / f"{name}.py")
    (root / "times.csv").write_text("student,submitted_at\nalice,2026-10-01T12:00:00Z\nbob,2026-10-03T12:00:00Z\n")
    (root / "late.json").write_text(json.dumps({"numpy_basics": {"due": "2026-10-02T23:59:00Z",
                                                                 "percent_per_day": 50}}))
    (root / "roster.csv").write_text("student,name,canvas_id,sis_user_id,sis_login_id,section,email\n"
                                     "alice,Alice A,11,S1,a1,Sec 1,alice@example.com\n"
                                     "bob,Bob B,12,S2,b2,Sec 1,bob@example.com\n")
    out = root / "grades"
    # only one check: seconds, not minutes
    from graders.batch import run_batch
    from graders.gradebook.late import load_policies, times_from_csv

    run_batch(subs, "numpy_basics", out, workers=1, checks=[CHECK], progress=False,
              late_policy=load_policies(root / "late.json")["numpy_basics"],
              submission_times=times_from_csv(root / "times.csv"))
    return root, out / "gradebook.sqlite"


def test_override_then_exports_use_the_final_scores(course, tmp_path, capsys):
    root, db = course
    assert main(["gradebook", "override", "--db", str(db), "-a", "numpy_basics", "--student", "alice",
                 "--score", "0.75", "--by", "prof", "--reason", "=regrade"]) == 0
    canvas = tmp_path / "canvas.csv"
    assert main(["gradebook", "export", "--db", str(db), "-a", "numpy_basics", "--format", "canvas",
                 "--roster", str(root / "roster.csv"), "--column", "HW 1 (77)", "--out", str(canvas)]) == 0
    rows = list(csv.reader(canvas.open()))
    assert rows[0][-1] == "HW 1 (77)" and rows[1] == ["Points Possible", "", "", "", "", "1"]
    assert {r[0]: r[-1] for r in rows[2:]} == {"Alice A": "0.75", "Bob B": "0.5"}  # bob: 1 day late, -50%
    capsys.readouterr()
    assert main(["gradebook", "export", "--db", str(db), "-a", "numpy_basics", "--format", "moodle",
                 "--roster", str(root / "roster.csv")]) == 0
    moodle = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert moodle[0] == ["Email address", "numpy_basics", "Feedback: numpy_basics"]
    assert moodle[1][:2] == ["alice@example.com", "0.75"] and moodle[1][2] == "Score set by prof: =regrade"
    assert "1 day late" in moodle[2][2]
    assert main(["gradebook", "export", "--db", str(db), "-a", "numpy_basics"]) == 0
    own = {r["student"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert own["bob"]["score"] == "0.5" and own["bob"]["late_penalty"] == "0.5"
    assert main(["gradebook", "history", "--db", str(db), "-a", "numpy_basics"]) == 0
    assert "override" in capsys.readouterr().out


def test_similarity_and_dashboard_from_the_command_line(course, tmp_path, capsys):
    root, db = course
    assert main(["similarity", str(root / "submissions"), "-a", "numpy_basics", "--db", str(db),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "alice  bob" in out and "1 pair(s) of 2 submissions" in out
    assert main(["dashboard", "--db", str(db), "--out", str(tmp_path / "dash"), "--no-progress"]) == 0
    page = (tmp_path / "dash" / "index.html").read_text()
    assert "alice and bob: matching passages" in page and "Per-student history" in page


@pytest.mark.parametrize("argv, message", [
    (["gradebook", "export", "--db", "missing.sqlite", "-a", "numpy_basics"], "no such gradebook database"),
    (["dashboard", "--db", "missing.sqlite", "--out", "x"], "no such gradebook database"),
])
def test_missing_databases_are_usage_errors(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_database_from_a_newer_schema_is_a_clear_usage_error(tmp_path, capsys):
    db = tmp_path / "g.sqlite"
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    for argv in (["dashboard", "--db", str(db), "--out", str(tmp_path / "d")],
                 ["gradebook", "history", "--db", str(db)]):
        assert main(argv) == 2
        assert "written by a newer dlgrade" in capsys.readouterr().err


def test_a_canvas_export_without_a_roster_and_a_bad_late_policy_are_usage_errors(course, tmp_path, capsys):
    root, db = course
    assert main(["gradebook", "export", "--db", str(db), "-a", "numpy_basics", "--format", "canvas"]) == 2
    assert "needs --roster" in capsys.readouterr().err
    bad = tmp_path / "late.json"
    bad.write_text('{"due": "soon"}')
    assert main(["batch", str(root / "submissions"), "-a", "numpy_basics", "--out", str(tmp_path / "g"),
                 "--late-policy", str(bad)]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    (tmp_path / "class.zip").write_bytes(b"")
    assert main(["batch", str(tmp_path / "class.zip"), "-a", "numpy_basics", "--late-policy",
                 str(root / "late.json")]) == 2
    assert "give --submission-times" in capsys.readouterr().err


def test_gradescope_bundle_takes_a_late_policy(tmp_path):
    import zipfile

    policy = tmp_path / "late.json"
    policy.write_text(json.dumps({"*": {"due": "gradescope", "percent_per_day": 20}}))
    out = tmp_path / "b.zip"
    assert main(["gradescope-bundle", "-a", "numpy_basics", "--out", str(out), "--late-policy", str(policy)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("dlgrade_autograder.json"))["late_policy"]["percent_per_day"] == 20.0
