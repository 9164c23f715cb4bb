"""Writing grades into the gradebook database, and reading each student's current grade.

`record_grades` takes plain entries (one per student: the JSON report dlgrade wrote, or a
status and a note) and writes them in one transaction. `current_grades` gives one row per
student of an assignment: their latest grade, its checks, its late penalty, the latest
override, and the final score every export uses.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from graders.gradebook.db import now_utc, student_id, transaction

_SLIP = re.compile(r"^Likely slip:\s*(.+)$", re.MULTILINE)
_INLINE_SLIP = re.compile(r"Likely slip:\s*([^\n]+)")
MAX_FEEDBACK = 2000


@dataclass
class Entry:
    """One student's outcome in a batch (or one Gradescope submission)."""

    student: str
    status: str  # graded | error | no submission
    report: dict | None = None
    note: str = ""
    sha256: str | None = None
    filename: str = ""
    submitted_at: str | None = None
    late_penalty: float = 0.0
    late_reason: str = ""


@dataclass
class StudentGrade:
    """A student's current grade for one assignment (see `current_grades`)."""

    student: str
    status: str
    score: float | None
    max_score: float | None
    checks: list[dict] = field(default_factory=list)  # {name, points, max_points, status, slip, feedback}
    note: str = ""
    late_penalty: float = 0.0
    late_reason: str = ""
    override: dict | None = None  # {score, who, why, at}
    graded_at: str = ""
    dlgrade_version: str = ""
    submitted_at: str | None = None

    @property
    def final(self) -> float | None:
        if self.override is not None:
            return self.override["score"]
        if self.score is None:
            return None
        return max(0.0, self.score - self.late_penalty)


def slip_of(output: str) -> str:
    """The diagnosed slip named in a check's feedback ('Likely slip: ...'), or ''."""
    match = _SLIP.search(output or "") or _INLINE_SLIP.search(output or "")
    return match.group(1).strip()[:500] if match else ""


def _slip(test: dict) -> str:
    """A JSON report's test's slip: its `slip` field, else the one its feedback text names
    (a report written before the fields were given)."""
    slip = test.get("slip")
    if isinstance(slip, str):
        return slip.strip()[:500]
    return slip_of(str(test.get("output") or ""))


def _float(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def record_grades(conn: sqlite3.Connection, assignment: str, entries: list[Entry], version: str) -> int:
    """Write `entries` as new grades (one transaction); returns the number of grades written."""
    at = now_utc()
    with transaction(conn):
        for e in entries:
            sid = student_id(conn, e.student)
            submission = None
            if e.sha256:
                conn.execute("INSERT OR IGNORE INTO submissions (student_id, assignment, sha256, filename, "
                             "submitted_at, first_seen) VALUES (?, ?, ?, ?, ?, ?)",
                             (sid, assignment, e.sha256, e.filename, e.submitted_at, at))
                if e.submitted_at:
                    conn.execute("UPDATE submissions SET submitted_at = ? WHERE student_id = ? AND assignment = ? "
                                 "AND sha256 = ?", (e.submitted_at, sid, assignment, e.sha256))
                submission = conn.execute("SELECT id FROM submissions WHERE student_id = ? AND assignment = ? "
                                          "AND sha256 = ?", (sid, assignment, e.sha256)).fetchone()[0]
            report = e.report or {}
            tests = [t for t in report.get("tests", []) if isinstance(t, dict)]
            score, max_score = _float(report.get("score")), _float(report.get("max_score"))
            if e.report is not None and max_score is None:
                max_score = sum(_float(t.get("max_score")) or 0.0 for t in tests)
            cur = conn.execute(
                "INSERT INTO grades (submission_id, student_id, assignment, graded_at, dlgrade_version, status, "
                "score, max_score, late_penalty, late_reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (submission, sid, assignment, at, str(report.get("dlgrade_version") or version), e.status,
                 score, max_score, float(e.late_penalty), e.late_reason, e.note))
            conn.executemany(
                "INSERT INTO check_results (grade_id, position, check_name, points, max_points, status, slip, "
                "feedback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(cur.lastrowid, i, str(t.get("name")), _float(t.get("score")), _float(t.get("max_score")),
                  str(t.get("status")), _slip(t),
                  str(t.get("output") or "")[:MAX_FEEDBACK]) for i, t in enumerate(tests)])
    return len(entries)


def latest_grade(conn: sqlite3.Connection, assignment: str, student: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT g.*, s.sha256 FROM grades g JOIN students st ON st.id = g.student_id "
        "LEFT JOIN submissions s ON s.id = g.submission_id "
        "WHERE g.assignment = ? AND st.name = ? ORDER BY g.id DESC LIMIT 1", (assignment, student)).fetchone()


def current_grades(conn: sqlite3.Connection, assignment: str, students: list[str] | None = None) -> list[StudentGrade]:
    """Each student's latest grade (every student with one, or those named, in that order)."""
    latest = conn.execute(
        "SELECT g.*, st.name AS student, s.submitted_at FROM grades g JOIN students st ON st.id = g.student_id "
        "LEFT JOIN submissions s ON s.id = g.submission_id "
        "WHERE g.id IN (SELECT MAX(id) FROM grades WHERE assignment = ? GROUP BY student_id)", (assignment,)).fetchall()
    ids = [r["id"] for r in latest]
    checks: dict[int, list[dict]] = {i: [] for i in ids}
    for r in conn.execute("SELECT c.* FROM check_results c JOIN grades g ON g.id = c.grade_id "
                          "WHERE g.id IN (SELECT MAX(id) FROM grades WHERE assignment = ? GROUP BY student_id) "
                          "ORDER BY c.grade_id, c.position", (assignment,)):
        checks[r["grade_id"]].append({"name": r["check_name"], "points": r["points"], "max_points": r["max_points"],
                                      "status": r["status"], "slip": r["slip"], "feedback": r["feedback"]})
    latest_overrides = conn.execute(
        "SELECT st.name, o.* FROM overrides o JOIN students st ON st.id = o.student_id WHERE o.id IN "
        "(SELECT MAX(id) FROM overrides WHERE assignment = ? GROUP BY student_id)", (assignment,))
    overrides = {r["name"]: {"score": r["score"], "who": r["who"], "why": r["why"], "at": r["at"]}
                 for r in latest_overrides}
    by_name = {}
    for r in latest:
        by_name[r["student"]] = StudentGrade(
            student=r["student"], status=r["status"], score=r["score"], max_score=r["max_score"],
            checks=checks[r["id"]], note=r["note"], late_penalty=r["late_penalty"], late_reason=r["late_reason"],
            override=overrides.get(r["student"]), graded_at=r["graded_at"], dlgrade_version=r["dlgrade_version"],
            submitted_at=r["submitted_at"])
    if students is None:
        return [by_name[k] for k in sorted(by_name, key=lambda s: (s.lower(), s))]
    return [by_name[s] for s in students if s in by_name]


def history(conn: sqlite3.Connection, assignment: str | None = None) -> list[sqlite3.Row]:
    """Every grade and override, oldest first: (student, assignment, at, kind, score, max_score, detail)."""
    where, args = ("WHERE g.assignment = ?", (assignment,)) if assignment else ("", ())
    where_o = where.replace("g.", "o.")
    return conn.execute(
        f"SELECT st.name AS student, g.assignment, g.graded_at AS at, 'grade' AS kind, g.score, g.max_score, "
        f"g.status || ' (dlgrade ' || g.dlgrade_version || ')' || "
        f"CASE WHEN g.late_penalty > 0 THEN '; late: -' || g.late_penalty ELSE '' END AS detail, g.id AS seq "
        f"FROM grades g JOIN students st ON st.id = g.student_id {where} "
        f"UNION ALL SELECT st.name, o.assignment, o.at, 'override', o.score, NULL, "
        f"'by ' || o.who || ': ' || o.why, o.id FROM overrides o JOIN students st ON st.id = o.student_id {where_o} "
        f"ORDER BY 1, 3, 4, 8", args + args).fetchall()
