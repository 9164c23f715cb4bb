"""The gradebook database (SQLite, through the standard library's sqlite3).

Every grade is kept: a regrade adds a row to `grades` (with the dlgrade version that gave
it), it never replaces one. A student's current grade for an assignment is their latest
grade; their final score is a manual override when there is one (the latest, with who and
why), else that grade's score less its late penalty.

    students       (id, name)
    submissions    (id, student_id, assignment, sha256, filename, submitted_at, first_seen)
    grades         (id, submission_id, student_id, assignment, graded_at, dlgrade_version,
                    status, score, max_score, late_penalty, late_reason, note)
    check_results  (grade_id, position, check_name, points, max_points, status, slip, feedback)
    overrides      (id, student_id, assignment, score, who, why, at)
    similarities   (id, assignment, run_at, student_a, student_b, similarity_a, similarity_b, passages)

The schema's version is SQLite's `user_version`; `open_gradebook` brings an older file up to
date (MIGRATIONS) and refuses one written by a newer dlgrade (NewerSchemaError) rather than
guess at it. Writers never lose a row to each other: the file is in WAL mode, each batch of
writes is one `BEGIN IMMEDIATE` transaction, and a writer waits (busy_timeout) for another
to finish.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000

# MIGRATIONS[n] brings a database at version n to version n + 1.
MIGRATIONS = [
    """
    CREATE TABLE students (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        student_id INTEGER NOT NULL REFERENCES students(id),
        assignment TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        filename TEXT NOT NULL,
        submitted_at TEXT,
        first_seen TEXT NOT NULL,
        UNIQUE (student_id, assignment, sha256));
    CREATE TABLE grades (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER REFERENCES submissions(id),
        student_id INTEGER NOT NULL REFERENCES students(id),
        assignment TEXT NOT NULL,
        graded_at TEXT NOT NULL,
        dlgrade_version TEXT NOT NULL,
        status TEXT NOT NULL,
        score REAL,
        max_score REAL,
        late_penalty REAL NOT NULL DEFAULT 0,
        late_reason TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '');
    CREATE INDEX grades_by_student ON grades (assignment, student_id, id);
    CREATE TABLE check_results (
        grade_id INTEGER NOT NULL REFERENCES grades(id),
        position INTEGER NOT NULL,
        check_name TEXT NOT NULL,
        points REAL,
        max_points REAL,
        status TEXT NOT NULL,
        slip TEXT NOT NULL DEFAULT '',
        feedback TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (grade_id, position));
    CREATE TABLE overrides (
        id INTEGER PRIMARY KEY,
        student_id INTEGER NOT NULL REFERENCES students(id),
        assignment TEXT NOT NULL,
        score REAL NOT NULL,
        who TEXT NOT NULL,
        why TEXT NOT NULL,
        at TEXT NOT NULL);
    CREATE TABLE similarities (
        id INTEGER PRIMARY KEY,
        assignment TEXT NOT NULL,
        run_at TEXT NOT NULL,
        student_a TEXT NOT NULL,
        student_b TEXT NOT NULL,
        similarity_a REAL NOT NULL,
        similarity_b REAL NOT NULL,
        passages TEXT NOT NULL);
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


class GradebookError(Exception):
    """The database cannot be used (not a gradebook, unreadable): a usage error."""


class NewerSchemaError(GradebookError):
    """The database was written by a newer dlgrade, whose schema this one does not know."""


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path) -> sqlite3.Connection:
    """A connection to the gradebook at `path` (created if missing), migrated to SCHEMA_VERSION."""
    path = Path(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise GradebookError(f"{path}: cannot open the gradebook database ({exc})") from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _refuse_newer(conn, path)  # before anything writes to the file
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise GradebookError(f"{path}: not a dlgrade gradebook database ({exc})") from None
    except GradebookError:
        conn.close()
        raise
    return conn


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path}: this gradebook was written by a newer dlgrade (schema version {version}; this "
            f"dlgrade knows up to {SCHEMA_VERSION}). Upgrade dlgrade to read it; it was not changed.")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another writer may have migrated
        _refuse_newer(conn, path)
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def transaction(conn: sqlite3.Connection):
    """One write transaction, taken at once (BEGIN IMMEDIATE): writers queue, none loses a row."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def open_gradebook(path):
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


def student_id(conn: sqlite3.Connection, name: str) -> int:
    conn.execute("INSERT OR IGNORE INTO students (name) VALUES (?)", (name,))
    return conn.execute("SELECT id FROM students WHERE name = ?", (name,)).fetchone()[0]


def add_override(conn: sqlite3.Connection, student: str, assignment: str, score: float, who: str,
                 why: str) -> None:
    """A manual score for `student` (replaces the computed one in every export until a later override)."""
    if not who.strip() or not why.strip():
        raise GradebookError("an override needs who made it and why")
    with transaction(conn):
        known = conn.execute("SELECT id FROM students WHERE name = ?", (student,)).fetchone()
        if known is None:
            raise GradebookError(f"no student {student!r} in the gradebook")
        conn.execute("INSERT INTO overrides (student_id, assignment, score, who, why, at) VALUES (?, ?, ?, ?, ?, ?)",
                     (known[0], assignment, float(score), who.strip(), why.strip(), now_utc()))


def assignments(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT assignment FROM grades ORDER BY assignment")]
