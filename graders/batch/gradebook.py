"""The gradebook: one CSV row per student, built from the JSON reports on disk.

Columns: student, status (graded | error | no submission), score, max_score, passed,
failed, then one column per check (the points it gave, in the assignment's order), then
notes (why a student got nothing: the first note on loading, or the error). No timings:
the gradebook of a batch is the same byte for byte whatever the number of workers.
"""

from __future__ import annotations

import csv
import io
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
        messages = report.get("load_messages") or []
        if not note and messages and not any(t.get("status") == "passed" for t in tests):
            row["notes"] = _first_line(messages[-1])
    return row


def render_csv(rows: list[dict], check_names: list[str]) -> str:
    extra = sorted({k[len("check:"):] for r in rows for k in r if k.startswith("check:")} - set(check_names))
    columns = FIXED + list(check_names) + extra + ["notes"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") if c in FIXED or c == "notes" else r.get(f"check:{c}", "")
                         for c in columns])
    return buf.getvalue()
