"""Spreadsheet-safe CSV exports of the gradebook: dlgrade's own, Canvas's and Moodle's.

Every cell goes through `safe_cell`: control characters escaped and its length bounded
(graders.engine.safe_text), then, as OWASP recommends against CSV (formula) injection,
a cell that begins with `=`, `+`, `-`, `@`, a tab, a carriage return or a NUL is prefixed
with a single quote, which spreadsheets take as "this is text" and do not show; quoting
is csv's own (RFC 4180, rows ended by CRLF). Numbers dlgrade writes itself (scores) are never negative and go
out unchanged.

Canvas's gradebook import wants `Student, ID, SIS User ID, SIS Login ID, Section` and one
column per assignment named `Title (canvas assignment id)`, after a `Points Possible` row;
Moodle's CSV grade import wants one identifying column (email address, ID number or user
name, chosen on its import page) and one column per grade item. Both identify students by
the LMS's ids, so they are mapped from a roster CSV whose `student` column is dlgrade's
name of the student (the file or folder name of their submission).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from graders.engine.safe_text import safe_text
from graders.gradebook.record import StudentGrade

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
ROSTER_COLUMNS = ("student", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email",
                  "idnumber", "username")
FIXED = ["student", "status", "score", "max_score", "passed", "failed"]


class ExportError(ValueError):
    """A roster that cannot be used: a usage error."""


def safe_cell(value) -> str:
    """A cell's text: controls escaped and length bounded (graders.engine.safe_text), a formula's
    first character neutralised."""
    text = "" if value is None else safe_text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _num(x) -> str:
    return f"{float(x):g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else ""


def write_csv(rows: list[list]) -> str:
    buf = io.StringIO()
    # CRLF ends rows, as RFC 4180 says: csv then also quotes a cell holding a lone \r, which
    # with \n endings it writes raw and a reader takes for the end of the row
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def gradebook_csv(grades: list[StudentGrade], check_names: list[str]) -> str:
    """dlgrade's gradebook: student, status, score (final), max_score, passed, failed, one column
    per check, then raw_score and late_penalty when any grade has a penalty or an override, then notes."""
    extra = sorted({c["name"] for g in grades for c in g.checks} - set(check_names))
    names = list(check_names) + extra
    adjusted = any(g.late_penalty or g.override for g in grades)
    header = FIXED + names + (["raw_score", "late_penalty"] if adjusted else []) + ["notes"]
    rows = [header]
    for g in grades:
        points = {c["name"]: _num(c["points"]) for c in g.checks}
        passed = sum(c["status"] == "passed" for c in g.checks)
        has_report = g.score is not None
        notes = [g.note] if g.note else []
        if g.late_reason:
            notes.append("late: " + g.late_reason)
        if g.override:
            notes.append(f"override {g.override['score']:g} by {g.override['who']}: {g.override['why']}")
        row = [g.student, g.status, _num(g.final), _num(g.max_score) if has_report else "",
               str(passed) if has_report else "", str(len(g.checks) - passed) if has_report else "",
               *[points.get(n, "") for n in names]]
        if adjusted:
            row += [_num(g.score), _num(g.late_penalty) if g.late_penalty else ""]
        rows.append(row + ["; ".join(notes)])
    return write_csv(rows)


def read_roster(path) -> dict[str, dict]:
    """{dlgrade student name: {column: value}} from a roster CSV with a `student` column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the roster ({exc})") from None
    if not rows or "student" not in rows[0]:
        raise ExportError(f"{path}: a roster needs a header with a `student` column "
                          f"(and some of: {', '.join(ROSTER_COLUMNS[1:])})")
    return {r["student"]: {k: (v or "").strip() for k, v in r.items() if k} for r in rows if r.get("student")}


def canvas_csv(grades: list[StudentGrade], roster: dict[str, dict], column: str) -> tuple[str, list[str]]:
    """Canvas's gradebook import; returns (text, students left out because the roster lacks them)."""
    max_score = next((g.max_score for g in grades if g.max_score is not None), None)
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
            ["Points Possible", "", "", "", "", _num(max_score)]]
    missing = []
    for g in grades:
        r = roster.get(g.student)
        if r is None or not (r.get("canvas_id") or r.get("sis_user_id") or r.get("sis_login_id")):
            missing.append(g.student)
            continue
        rows.append([r.get("name") or g.student, r.get("canvas_id", ""), r.get("sis_user_id", ""),
                     r.get("sis_login_id", ""), r.get("section", ""), _num(g.final)])
    return write_csv(rows), missing


def moodle_csv(grades: list[StudentGrade], roster: dict[str, dict], column: str,
               identify_by: str = "email") -> tuple[str, list[str]]:
    """Moodle's CSV grade import, students identified by `identify_by` (email, idnumber or username)."""
    if identify_by not in ("email", "idnumber", "username"):
        raise ExportError("Moodle identifies students by email, idnumber or username")
    label = {"email": "Email address", "idnumber": "ID number", "username": "Username"}[identify_by]
    rows = [[label, column, f"Feedback: {column}"]]
    missing = []
    for g in grades:
        ident = (roster.get(g.student) or {}).get(identify_by)
        if not ident:
            missing.append(g.student)
            continue
        feedback = []
        if g.late_reason:
            feedback.append("Late: " + g.late_reason)
        if g.override:
            feedback.append(f"Score set by {g.override['who']}: {g.override['why']}")
        rows.append([ident, _num(g.final), "; ".join(feedback)])
    return write_csv(rows), missing


def write_text(path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
