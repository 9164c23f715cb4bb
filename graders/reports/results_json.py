"""JSON reports.

`render_gradescope` writes exactly Gradescope's `results.json` schema (top-level score,
execution_time, output, visibility, stdout_visibility, tests; per test score, max_score,
status, name, number, output, tags, visibility). `render_json` writes a superset: the
same keys plus max_score, the assignment, the submission, each check's kind and time,
a failure's fields (summary, expected, got, where, diff, slip, details: null where the
check gave none or answer hiding withheld it), the pictures a report would draw (kind and
title; the data stay in the HTML report), and the notes on loading.
"""

from __future__ import annotations

import json

from graders.version import __version__
from graders.engine.checks import FAILURE_FIELDS, Report


def _summary(report: Report) -> str:
    lines = [f"dlgrade {__version__}: {report.assignment}"]
    lines += report.load_messages
    if report.hidden_not_run:
        lines.append(f"{report.hidden_not_run} hidden check(s) were not run.")
    return "\n".join(lines)


def gradescope_dict(report: Report) -> dict:
    return {
        "score": report.score,
        "execution_time": round(report.execution_time, 3),
        "output": _summary(report),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "score": t.score,
                "max_score": t.max_score,
                "status": t.status,
                "name": t.name,
                "name_format": "text",
                "number": t.number,
                "output": t.output,
                "output_format": "text",
                "tags": [t.kind],
                "visibility": t.visibility,
            }
            for t in report.tests
        ],
    }


def render_gradescope(report: Report) -> str:
    return json.dumps(gradescope_dict(report), indent=2) + "\n"


def render_json(report: Report) -> str:
    data = gradescope_dict(report)
    data["max_score"] = report.max_score
    data["assignment"] = report.assignment
    data["submission"] = report.submission
    data["dlgrade_version"] = __version__
    data["load_messages"] = report.load_messages
    data["hidden_not_run"] = report.hidden_not_run
    data["captured_output"] = report.output
    for entry, t in zip(data["tests"], report.tests):
        entry["kind"] = t.kind
        entry["time_s"] = t.time_s
        entry.update({name: getattr(t, name) for name in FAILURE_FIELDS})
        entry["pictures"] = [{"kind": p.kind, "title": p.title} for p in t.pictures]
    return json.dumps(data, indent=2) + "\n"
