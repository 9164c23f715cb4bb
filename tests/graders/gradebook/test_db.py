"""The gradebook database: schema versions, regrades kept, overrides, concurrent writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from graders.gradebook.db import (SCHEMA_VERSION, GradebookError, NewerSchemaError, add_override, connect,
                                  open_gradebook)
from graders.gradebook.record import Entry, current_grades, history, record_grades, slip_of


def report(score: float, *, slip: str = "", version: str = "0.1.0") -> dict:
    out = "wrong values\nExpected: 1\nGot: 2" + (f"\nLikely slip: {slip}" if slip else "")
    return {"score": score, "max_score": 3.0, "dlgrade_version": version, "tests": [
        {"name": "a", "score": 1.0, "max_score": 1.0, "status": "passed", "output": ""},
        {"name": "b", "score": score - 1.0, "max_score": 2.0, "status": "passed" if score == 3 else "failed",
         "output": "" if score == 3 else out}]}


def test_a_new_database_has_the_current_schema_version(tmp_path):
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_from_a_newer_schema_is_refused_with_a_clear_message_and_left_unchanged(tmp_path):
    path = tmp_path / "g.sqlite"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError, match=r"newer dlgrade \(schema version 2; this dlgrade knows up to 1\)"):
        connect(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_a_gradebook_error(tmp_path):
    path = tmp_path / "g.sqlite"
    path.write_text("not sqlite at all " * 100)
    with pytest.raises(GradebookError, match="not a dlgrade gradebook"):
        connect(path)


def test_every_regrade_is_kept_with_its_version_and_the_latest_is_current(tmp_path):
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        record_grades(conn, "hw", [Entry("alice", "graded", report(2.0, version="0.1.0"), sha256="a1")], "0.1.0")
        record_grades(conn, "hw", [Entry("alice", "graded", report(3.0, version="0.2.0"), sha256="a1")], "0.2.0")
        (grade,) = current_grades(conn, "hw")
        assert (grade.score, grade.dlgrade_version) == (3.0, "0.2.0")
        versions = [r["detail"] for r in history(conn, "hw")]
        assert versions == ["graded (dlgrade 0.1.0)", "graded (dlgrade 0.2.0)"]
        assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1  # same bytes, one submission


def test_diagnosed_slips_are_stored_per_check():
    assert slip_of("x\nLikely slip: divided by N twice\nmore") == "divided by N twice"
    assert slip_of("no slip here") == ""


def test_a_reports_slip_field_is_stored_before_what_its_text_names(tmp_path):
    fielded = report(2.0, slip="named in the text")
    fielded["tests"][1]["slip"] = "a factor of 2 (the field)"
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        record_grades(conn, "hw", [Entry("carol", "graded", fielded, sha256="c1")], "0.1.0")
        assert current_grades(conn, "hw")[0].checks[1]["slip"] == "a factor of 2 (the field)"


def test_an_override_replaces_the_score_and_keeps_who_and_why(tmp_path):
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        record_grades(conn, "hw", [Entry("bob", "graded", report(2.0, slip="a factor of 2"), sha256="b1",
                                         late_penalty=0.5, late_reason="1 day late")], "0.1.0")
        assert current_grades(conn, "hw")[0].final == 1.5
        assert current_grades(conn, "hw")[0].checks[1]["slip"] == "a factor of 2"
        add_override(conn, "bob", "hw", 2.5, "prof", "regrade request: the test was ambiguous")
        grade = current_grades(conn, "hw")[0]
        assert grade.final == 2.5 and grade.override["who"] == "prof" and "ambiguous" in grade.override["why"]
        assert [r["kind"] for r in history(conn, "hw")] == ["grade", "override"]
        with pytest.raises(GradebookError, match="no student"):
            add_override(conn, "nobody", "hw", 1, "prof", "x")
        with pytest.raises(GradebookError, match="who made it and why"):
            add_override(conn, "bob", "hw", 1, "prof", " ")


WRITER = """
import sys
from graders.gradebook.db import open_gradebook
from graders.gradebook.record import Entry, record_grades
path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = {"score": 1.0, "max_score": 1.0, "tests": [
    {"name": "a", "score": 1.0, "max_score": 1.0, "status": "passed", "output": ""},
    {"name": "b", "score": 0.0, "max_score": 0.0, "status": "passed", "output": ""}]}
with open_gradebook(path) as conn:
    for i in range(n):  # one transaction per student: many chances to collide
        record_grades(conn, "hw", [Entry(f"{prefix}{i}", "graded", report, sha256=f"{prefix}{i}")], "0.1.0")
"""


def test_two_processes_writing_the_same_database_lose_no_row(tmp_path):
    path = str(tmp_path / "g.sqlite")
    root = Path(__file__).resolve().parents[3]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, prefix, "40"], cwd=root)
             for prefix in ("x", "y")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with open_gradebook(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM grades").fetchone()[0] == 80
        assert conn.execute("SELECT COUNT(*) FROM check_results").fetchone()[0] == 160
        assert len(current_grades(conn, "hw")) == 80
