"""Report formats: text for a terminal, JSON (a superset of Gradescope's results.json),
Gradescope's exact schema, JUnit XML for CI services, and a self-contained HTML page
with the pictures checks attached."""

from __future__ import annotations

from graders.engine.checks import Report

FORMATS = ("text", "json", "gradescope", "junit", "html")


def render(report: Report, fmt: str) -> str:
    if fmt == "text":
        from graders.reports.text import render_text

        return render_text(report)
    if fmt == "json":
        from graders.reports.results_json import render_json

        return render_json(report)
    if fmt == "gradescope":
        from graders.reports.results_json import render_gradescope

        return render_gradescope(report)
    if fmt == "junit":
        from graders.reports.junit import render_junit

        return render_junit(report)
    if fmt == "html":
        from graders.reports.html import render_html

        return render_html(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
