"""The terminal report: one line per check, feedback indented under each failure.

Everything in it that a submission can influence (what it printed, its exceptions' messages,
the notes on loading it, names of its objects) reaches the terminal of whoever reads the
report: control characters other than newline and tab are shown escaped (`escape_controls`),
so that no escape sequence (ANSI colours, cursor moves, OSC titles or links) and no carriage
return or bidirectional override can redraw the screen, e.g. forge a "Score:" line.
"""

from __future__ import annotations

import textwrap

from graders.engine.checks import Report, TestResult, render_failure
from graders.engine.safe_text import escape_controls

__all__ = ["escape_controls", "feedback_text", "render_text"]


def _fmt_points(x: float) -> str:
    return f"{x:g}"


def feedback_text(test: TestResult) -> str:
    """A failed check's feedback: its fields (summary, expected, got, ...) when it has them,
    else its text output. No picture is drawn: the text report shows none."""
    fields = test.failure_fields()
    return render_failure(fields) if fields else test.output


def render_text(report: Report) -> str:
    out = [f"dlgrade: {report.assignment}: {report.submission}",
           f"Score: {_fmt_points(report.score)} / {_fmt_points(report.max_score)}   "
           f"({len([t for t in report.tests if t.passed])} of {len(report.tests)} checks passed, "
           f"{report.execution_time:.1f} s)"]
    if report.load_messages:
        out.append("")
        out.append("Notes on loading your submission:")
        out += [textwrap.indent(m, "  ") for m in report.load_messages]
    out.append("")
    width = max((len(t.name) for t in report.tests), default=20)
    for t in report.tests:
        mark = "PASS" if t.passed else "FAIL"
        tag = "" if t.visibility == "visible" else f"  [{t.visibility}]"
        out.append(f"{mark}  {t.name.ljust(width)}  {_fmt_points(t.score)}/{_fmt_points(t.max_score)}{tag}")
        feedback = "" if t.passed else feedback_text(t)
        if feedback:
            out.append(textwrap.indent(feedback.rstrip(), "      "))
    if report.hidden_not_run:
        out.append("")
        out.append(f"{report.hidden_not_run} hidden check(s) were not run: your final score may differ.")
    if report.output:
        out.append("")
        out.append("What your code printed:")
        out.append(textwrap.indent(report.output.rstrip(), "  | ", lambda line: True))
    return escape_controls("\n".join(out) + "\n")
