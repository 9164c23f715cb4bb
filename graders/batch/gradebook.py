"""The gradebook of a batch: its students' grades go into the gradebook database, and
`gradebook.csv` is exported from it.

Columns: student, status (graded | error | no submission), score, max_score, passed,
failed, then one column per check (the points it gave, in the assignment's order), then
notes (why a student got nothing: the first note on loading, or the error; what the
submission's top level raised, also when the checks passed on what it defined first). No
timings: the gradebook of a batch is the same byte for byte whatever the number of workers.
Every cell is spreadsheet-safe (graders/gradebook/exports.py).
"""

from __future__ import annotations

import json
from pathlib import Path

FIXED = ["student", "status", "score", "max_score", "passed", "failed"]


def read_report(path: Path) -> dict | None:
    """A JSON report written by the batch, or None if it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("tests"), list) else None


def _num(x) -> str:
    return f"{float(x):g}" if isinstance(x, (int, float)) else ""


def _first_line(text: str, limit: int = 200) -> str:
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    return line[:limit]


def note_for(report: dict) -> str:
    """The gradebook's note on a graded report: what the top level raised (a cell or the file
    raised while loading), else, when nothing passed, the last note on loading."""
    messages = [str(m) for m in report.get("load_messages") or []]
    raised = next((m for m in messages if " raised " in _first_line(m)), None)
    if raised is not None:
        return "top level: " + _first_line(raised)
    tests = [t for t in report["tests"] if isinstance(t, dict)]
    if messages and not any(t.get("status") == "passed" for t in tests):
        return _first_line(messages[-1])
    return ""


def row_for(name: str, status: str, report: dict | None, note: str = "") -> dict:
    row = {"student": name, "status": status, "score": "", "max_score": "", "passed": "", "failed": "",
           "notes": note}
    if report is not None:
        tests = [t for t in report["tests"] if isinstance(t, dict)]
        row["score"] = _num(report.get("score"))
        row["max_score"] = _num(report.get("max_score", sum(float(t.get("max_score", 0)) for t in tests)))
        row["passed"] = str(sum(1 for t in tests if t.get("status") == "passed"))
        row["failed"] = str(sum(1 for t in tests if t.get("status") != "passed"))
        for t in tests:
            row[f"check:{t.get('name')}"] = _num(t.get("score"))
        if not note:
            row["notes"] = note_for(report)
    return row


def batch_entries(students, reports: Path, result, *, assignment: str, recorded: dict,
                  late_policy=None, times: dict | None = None) -> list:
    """The gradebook database's entries for a batch: every student graded or failed in this run,
    and those skipped whose current submission the database has no grade for yet (`recorded`:
    {student: sha256 of their latest graded submission})."""
    import hashlib

    from graders.gradebook.late import file_time
    from graders.gradebook.record import Entry

    graded = set(result.graded)
    entries = []
    for s in students:
        if s.submission is None:
            if recorded.get(s.name, "") is not None:
                entries.append(Entry(s.name, "no submission", note="no .ipynb or .py file in the folder"))
            continue
        if s.key in result.errors:
            entries.append(Entry(s.name, "error", note=(result.errors[s.key].splitlines() or [""])[0][:200]))
            continue
        path = reports / f"{s.key}.json"
        report = read_report(path)
        sha = (report or {}).get("submission_sha256") or hashlib.sha256(s.submission.read_bytes()).hexdigest()
        if s.name not in graded and recorded.get(s.name) == sha:
            continue  # skipped, and already in the database
        submitted = (times or {}).get(s.name) if times is not None else file_time(s.submission)
        if report is None:
            entries.append(Entry(s.name, "error", note="the report could not be read", sha256=sha,
                                 filename=s.relpath))
            continue
        penalty, why = late_policy.penalty(submitted, report.get("score")) if late_policy else (0.0, "")
        if late_policy is not None:
            report["late_penalty"], report["late_reason"] = penalty, why
            tmp = path.with_name(path.name + ".part")
            tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
            tmp.replace(path)
            if penalty:
                _say_late_in_html(path.with_suffix(".html"), report, penalty, why)
        entries.append(Entry(s.name, "graded", report=report, note=note_for(report), sha256=sha,
                             filename=s.relpath, submitted_at=submitted.isoformat() if submitted else None,
                             late_penalty=penalty, late_reason=why))
    return entries


def _say_late_in_html(page: Path, report: dict, penalty: float, why: str) -> None:
    """Put the late penalty under the score of the student's HTML report (once)."""
    from html import escape

    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return
    start = text.find("<div class=score>")
    end = text.find("</div>", start)
    if start < 0 or end < 0 or "<div class=late>" in text:
        return
    final = max(0.0, float(report.get("score") or 0.0) - penalty)
    notice = (f"<div class=late><b>Late penalty:</b> {escape(why)}. Final score: {final:g} / "
              f"{_num(report.get('max_score'))}</div>")
    tmp = page.with_name(page.name + ".part")
    tmp.write_text(text[:end + len("</div>")] + notice + text[end + len("</div>"):], encoding="utf-8")
    tmp.replace(page)


def record_batch(db_path: Path, students, reports: Path, result, *, assignment: str, check_names: list[str],
                 late_policy=None, times: dict | None = None) -> str:
    """Write a batch's grades into the database at `db_path`; return gradebook.csv's text, exported from it."""
    from graders.version import __version__
    from graders.gradebook.db import open_gradebook
    from graders.gradebook.exports import gradebook_csv
    from graders.gradebook.record import current_grades, record_grades

    with open_gradebook(db_path) as conn:
        recorded = {}
        for row in conn.execute(
                "SELECT st.name, s.sha256 FROM grades g JOIN students st ON st.id = g.student_id "
                "LEFT JOIN submissions s ON s.id = g.submission_id WHERE g.id IN "
                "(SELECT MAX(id) FROM grades WHERE assignment = ? GROUP BY student_id)", (assignment,)):
            recorded[row[0]] = row[1]
        entries = batch_entries(students, reports, result, assignment=assignment, recorded=recorded,
                                late_policy=late_policy, times=times)
        if entries:
            record_grades(conn, assignment, entries, __version__)
        return gradebook_csv(current_grades(conn, assignment), check_names)
