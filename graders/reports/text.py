"""The terminal report: one line per check, feedback indented under each failure."""

from __future__ import annotations

import textwrap

from graders.engine.checks import Report


def _fmt_points(x: float) -> str:
    return f"{x:g}"


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
        if not t.passed and t.output:
            out.append(textwrap.indent(t.output.rstrip(), "      "))
    if report.hidden_not_run:
        out.append("")
        out.append(f"{report.hidden_not_run} hidden check(s) were not run: your final score may differ.")
    if report.output:
        out.append("")
        out.append("What your code printed:")
        out.append(textwrap.indent(report.output.rstrip(), "  | ", lambda line: True))
    return "\n".join(out) + "\n"
