"""A self-contained HTML report of one grade: the score, every check's result and feedback
(a failure's fields: summary, expected, got, where, by how much, likely slip, details), and
the pictures checks returned, drawn here (graders.reports.drawing), inline as data: URIs.

One file, no scripts, no external resources: it can be mailed, opened from a batch's
`reports/` folder, shown in a notebook (`render_fragment`; its CSS is scoped to the
report's own `<div class="dlgrade-report">`), or put into Gradescope's HTML output
(`check_feedback_html`). Everything that comes from a submission (feedback quotes its
values, captured output, names) is escaped with `html.escape`.
"""

from __future__ import annotations

import base64
import html

from graders.engine.checks import FIELD_LABELS, Report, TestResult
from graders.engine.safe_text import safe_text
from graders.reports.drawing import MAX_PICTURE_BYTES, PNG_SIGNATURE, drawn_pictures, has_pictures
from graders.version import __version__

__all__ = ["MAX_PICTURE_BYTES", "PNG_SIGNATURE", "check_feedback_html", "pictures_of", "render_fragment",
           "render_html"]

CSS = """
.dlgrade-report { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif;
  color: #1b1b1b; background: #fff; max-width: 1100px; margin: 0 auto; padding: 16px 24px;
  line-height: 1.45; font-size: 15px; }
.dlgrade-report h1 { font-size: 24px; margin: 0 0 4px 0; }
.dlgrade-report h2 { font-size: 19px; margin: 28px 0 8px 0; border-bottom: 1px solid #ddd; }
.dlgrade-report h3 { font-size: 16px; margin: 0 0 6px 0; }
.dlgrade-report .meta { color: #555; font-size: 13px; word-break: break-all; }
.dlgrade-report .score { font-size: 20px; font-weight: 600; margin: 14px 0 4px 0; }
.dlgrade-report .bar { height: 12px; background: #eee; border-radius: 6px; overflow: hidden;
  max-width: 420px; }
.dlgrade-report .bar > div { height: 100%; background: #2e7d32; }
.dlgrade-report .note { background: #fff8e1; border-left: 4px solid #f9a825; padding: 8px 12px;
  margin: 10px 0; }
.dlgrade-report table { border-collapse: collapse; width: 100%; font-size: 14px; }
.dlgrade-report th, .dlgrade-report td { border-bottom: 1px solid #e5e5e5; padding: 5px 8px;
  text-align: left; vertical-align: top; }
.dlgrade-report th { background: #f5f5f5; }
.dlgrade-report td.num { text-align: right; white-space: nowrap; }
.dlgrade-report .badge { display: inline-block; padding: 1px 8px; border-radius: 10px;
  font-size: 12px; font-weight: 600; color: #fff; }
.dlgrade-report .passed { background: #2e7d32; }
.dlgrade-report .failed { background: #c62828; }
.dlgrade-report .tag { color: #555; font-size: 12px; }
.dlgrade-report .check { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px;
  margin: 12px 0; }
.dlgrade-report .check.fail { border-left: 5px solid #c62828; }
.dlgrade-report .check.pass { border-left: 5px solid #2e7d32; }
.dlgrade-report pre { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 4px;
  padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-word;
  font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; margin: 6px 0; }
.dlgrade-report figure { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; }
.dlgrade-report figure img { max-width: 100%; border: 1px solid #ddd; image-rendering: pixelated; }
.dlgrade-report figcaption { font-size: 13px; color: #444; }
.dlgrade-report a { color: #1565c0; text-decoration: none; }
.dlgrade-report p.summary { margin: 4px 0; font-weight: 600; }
.dlgrade-report table.fields { width: auto; margin: 4px 0; }
.dlgrade-report table.fields th { background: none; white-space: nowrap; font-weight: 600; }
.dlgrade-report table.fields pre { margin: 0; padding: 2px 6px; }
"""


def _e(text) -> str:
    return html.escape(safe_text(text), quote=True)


def _points(x: float) -> str:
    return f"{x:g}"


def pictures_of(test: TestResult) -> list[tuple[str, bytes]]:
    """(title, PNG bytes) of each picture of the check, drawn (graders.reports.drawing)."""
    return drawn_pictures(test)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figures_html(pictures: list[tuple[str, bytes]]) -> str:
    return "".join(f'<figure><img alt="{_e(title)}" src="{data_uri(png)}">'
                   f"<figcaption>{_e(title)}</figcaption></figure>"
                   for title, png in pictures)


def failure_html(fields: dict) -> str:
    """A failure's fields: the summary, a table of expected / got / where / by how much /
    likely slip (those given), the details preformatted."""
    parts = [f"<p class=summary>{_e(fields['summary'])}</p>"] if fields.get("summary") else []
    rows = "".join(f"<tr><th>{label}</th><td><pre>{_e(fields[name])}</pre></td></tr>"
                   for name, label in FIELD_LABELS if fields.get(name))
    if rows:
        parts.append(f"<table class=fields>{rows}</table>")
    if fields.get("details"):
        parts.append(f"<pre>{_e(fields['details'].rstrip())}</pre>")
    return "".join(parts)


def check_feedback_html(test: TestResult, pictures: list[tuple[str, bytes]] | None = None) -> str:
    """One check's feedback (a failure's fields, or its text; escaped) and its pictures
    (`pictures`: already drawn, else drawn here): Gradescope's per-test HTML."""
    parts = []
    fields = None if test.passed else test.failure_fields()
    if fields:
        parts.append(failure_html(fields))
    elif test.output:
        parts.append(f"<pre>{_e(test.output.rstrip())}</pre>")
    parts.append(figures_html(pictures_of(test) if pictures is None else pictures))
    return "".join(parts)


def _summary_table(report: Report) -> str:
    rows = []
    for i, t in enumerate(report.tests, 1):
        status = "passed" if t.passed else "failed"
        label = "PASS" if t.passed else "FAIL"
        anchor = f"check-{i}"
        name = f'<a href="#{anchor}">{_e(t.name)}</a>' if (t.output or has_pictures(t)) else _e(t.name)
        rows.append(f"<tr><td class=num>{_e(t.number or i)}</td><td>{name}</td>"
                    f"<td><span class='badge {status}'>{label}</span></td>"
                    f"<td class=num>{_points(t.score)} / {_points(t.max_score)}</td>"
                    f"<td class=tag>{_e(t.kind)}</td><td class=tag>{_e(t.visibility)}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>check</th><th>result</th><th>points</th><th>kind</th>"
            "<th>visibility</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _details(report: Report) -> str:
    blocks = []
    for i, t in enumerate(report.tests, 1):
        if not (t.output or has_pictures(t)):
            continue
        status = "pass" if t.passed else "fail"
        label = "PASS" if t.passed else "FAIL"
        blocks.append(f'<div class="check {status}" id="check-{i}">'
                      f"<h3><span class='badge {'passed' if t.passed else 'failed'}'>{label}</span> "
                      f"{_e(t.name)} <span class=tag>{_points(t.score)} / {_points(t.max_score)}"
                      f"{'' if t.visibility == 'visible' else ' · ' + _e(t.visibility)}</span></h3>"
                      f"{check_feedback_html(t)}</div>")
    if not blocks:
        return ""
    return "<h2>Feedback</h2>" + "".join(blocks)


def render_fragment(report: Report, *, note: str | None = None) -> str:
    """The report as one `<div>` with its own scoped `<style>` (for a notebook or another page)."""
    passed = sum(1 for t in report.tests if t.passed)
    frac = report.score / report.max_score if report.max_score else 0.0
    parts = [f'<div class="dlgrade-report"><style>{CSS}</style>',
             f"<h1>{_e(report.assignment)}</h1>",
             f"<div class=meta>Submission: {_e(report.submission)} · dlgrade {_e(__version__)} · "
             f"{report.execution_time:.1f} s</div>",
             f"<div class=score>Score: {_points(report.score)} / {_points(report.max_score)}</div>",
             f"<div class=bar><div style='width: {100 * max(0.0, min(frac, 1.0)):.1f}%'></div></div>",
             f"<div class=meta>{passed} of {len(report.tests)} checks passed</div>"]
    if report.hidden_not_run:
        parts.append(f"<div class=note>{report.hidden_not_run} hidden check(s) were not run: "
                     "your final score may differ.</div>")
    if note:
        parts.append(f"<div class=note>{_e(note)}</div>")
    if report.load_messages:
        parts.append("<h2>Notes on loading your submission</h2>"
                     + "".join(f"<pre>{_e(m)}</pre>" for m in report.load_messages))
    parts.append("<h2>Checks</h2>" + _summary_table(report))
    parts.append(_details(report))
    if report.output:
        parts.append(f"<h2>What your code printed</h2><pre>{_e(report.output.rstrip())}</pre>")
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


def render_html(report: Report) -> str:
    """A whole HTML page, self-contained."""
    title = f"dlgrade: {report.assignment}: {report.score:g} / {report.max_score:g}"
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title></head>\n<body style='margin:0'>\n"
            f"{render_fragment(report)}\n</body></html>\n")
