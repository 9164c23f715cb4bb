"""A class dashboard: one static HTML page written from the gradebook database.

    dlgrade dashboard --db grades/gradebook.sqlite --out dashboard/

For each assignment: the distribution of final scores, the pass rate of each check, the
most common diagnosed slips (with how many students made each and one student's feedback
as an example), the pairs of submissions flagged as similar (their matching passages side
by side), and each student's history (every grade, regrade and override). Pictures are
inline PNGs drawn by matplotlib; the page has no scripts and fetches nothing. Everything
that came from a submission (names, feedback, code) is escaped.
"""

from __future__ import annotations

import base64
import html
from collections import Counter, defaultdict
from pathlib import Path

from graders.engine.safe_text import escape_controls
from graders.gradebook import charts
from graders.gradebook.db import assignments as known_assignments
from graders.gradebook.record import current_grades, history
from graders.gradebook.similarity import stored_pairs

TOP_SLIPS = 15


def escape(text) -> str:
    """Text for the page: control characters escaped (graders.engine.safe_text), then HTML's."""
    return html.escape(escape_controls(str(text)))
SIDE_BY_SIDE = 40  # flagged pairs shown with their code (the most similar first); the rest listed
CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #1a1a1a; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #1f77b4; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0; } td, th { border: 1px solid #ccc; padding: .25em .6em;
  text-align: left; vertical-align: top; } th { background: #eef3f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; max-height: 14em; overflow: auto; background: #f6f6f6; padding: .4em; margin: 0; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: .6em; }
.pair pre { max-height: 30em; font-size: .8em; }
mark { background: #ffd48a; }
.stats span { display: inline-block; margin-right: 2em; font-size: 1.15em; }
img { max-width: 100%; }
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _num(x) -> str:
    return "" if x is None else f"{x:g}"


def _marked(code: str, ranges: list[tuple[int, int]]) -> str:
    """`code` escaped, with the matching ranges in <mark>."""
    out, pos = [], 0
    for start, end in sorted(ranges):
        start, end = max(start, pos), min(end, len(code))
        if start >= end:
            continue
        out += [escape(code[pos:start]), "<mark>", escape(code[start:end]), "</mark>"]
        pos = end
    out.append(escape(code[pos:]))
    return "".join(out)


def assignment_section(conn, assignment: str) -> str:
    grades = current_grades(conn, assignment)
    graded = [g for g in grades if g.score is not None]
    finals = [g.final for g in graded]
    max_score = next((g.max_score for g in graded if g.max_score), None)
    parts = [f'<h2 id="{escape(assignment)}">{escape(assignment)}</h2>', '<p class="stats">',
             f"<span>{len(grades)} students</span><span>{len(graded)} graded</span>"]
    if finals:
        finals_sorted = sorted(finals)
        parts.append(f"<span>median {finals_sorted[len(finals) // 2]:g} / {_num(max_score)}</span>"
                     f"<span>mean {sum(finals) / len(finals):.3g}</span>")
    parts.append("</p>")
    if finals:
        parts.append(_img(charts.score_histogram(finals, max_score, title=f"{assignment}: final scores"),
                          "score distribution"))
    # pass rate per check, in the assignment's order (as the latest grades list them)
    order, passed, seen = [], Counter(), Counter()
    slips: dict[tuple[str, str], list[str]] = defaultdict(list)
    for g in graded:
        for c in g.checks:
            if c["name"] not in seen:
                order.append(c["name"])
            seen[c["name"]] += 1
            passed[c["name"]] += c["status"] == "passed"
            if c["slip"] and c["status"] != "passed":
                slips[c["name"], c["slip"]].append(c["feedback"])
    if order:
        rates = [passed[n] / seen[n] for n in order]
        parts.append("<h3>Pass rate per check</h3>")
        parts.append(_img(charts.pass_rate_bars(order, rates, title="students who passed each check"),
                          "pass rate per check"))
        parts.append("<table><tr><th>check</th><th>passed</th><th>of</th><th>rate</th></tr>" + "".join(
            f'<tr><td>{escape(n)}</td><td class="num">{passed[n]}</td><td class="num">{seen[n]}</td>'
            f'<td class="num">{100 * r:.0f}%</td></tr>' for n, r in zip(order, rates)) + "</table>")
    parts.append("<h3>Most common diagnosed slips</h3>")
    if slips:
        top = sorted(slips.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_SLIPS]
        parts.append("<table><tr><th>students</th><th>check</th><th>likely slip</th><th>example feedback</th></tr>"
                     + "".join(f'<tr><td class="num">{len(fb)} ({100 * len(fb) / max(len(graded), 1):.0f}%)</td>'
                               f"<td>{escape(check)}</td><td>{escape(slip)}</td>"
                               f"<td><pre>{escape(fb[0])}</pre></td></tr>"
                               for (check, slip), fb in top) + "</table>")
    else:
        parts.append("<p>No slip was diagnosed.</p>")
    parts.append(_similarities(conn, assignment))
    parts.append(_history(conn, assignment))
    return "\n".join(parts)


def _similarities(conn, assignment: str) -> str:
    pairs = stored_pairs(conn, assignment)
    out = ["<h3>Flagged similarities</h3>"]
    if not pairs:
        out.append("<p>No pair flagged (run <code>dlgrade similarity</code> to look).</p>")
        return "\n".join(out)
    out.append("<table><tr><th>students</th><th>shared code</th></tr>" + "".join(
        f"<tr><td>{escape(p.student_a)} / {escape(p.student_b)}</td>"
        f'<td class="num">{100 * p.similarity_a:.0f}% / {100 * p.similarity_b:.0f}%</td></tr>' for p in pairs)
        + "</table>")
    if len(pairs) > SIDE_BY_SIDE:
        out.append(f"<p>The {SIDE_BY_SIDE} most similar pairs, side by side (raise the threshold to see fewer "
                   "pairs):</p>")
    for p in pairs[:SIDE_BY_SIDE]:
        out.append(f"<details><summary>{escape(p.student_a)} and {escape(p.student_b)}: matching passages "
                   f"highlighted</summary><div class=\"pair\"><div><b>{escape(p.student_a)}</b>"
                   f"<pre>{_marked(p.code_a, p.passages_a)}</pre></div><div><b>{escape(p.student_b)}</b>"
                   f"<pre>{_marked(p.code_b, p.passages_b)}</pre></div></div></details>")
    return "\n".join(out)


def _history(conn, assignment: str) -> str:
    rows = history(conn, assignment)
    out = ["<h3>Per-student history</h3>",
           "<table><tr><th>student</th><th>when</th><th>what</th><th>score</th><th>details</th></tr>"]
    for r in rows:
        out.append(f"<tr><td>{escape(r['student'])}</td><td>{escape(r['at'])}</td><td>{escape(r['kind'])}</td>"
                   f'<td class="num">{_num(r["score"])}{" / " + _num(r["max_score"]) if r["max_score"] else ""}'
                   f"</td><td>{escape(r['detail'] or '')}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def render_dashboard(conn, assignments: list[str] | None = None, progress=None) -> str:
    names = assignments or known_assignments(conn)
    sections = []
    for a in names:
        sections.append(assignment_section(conn, a))
        if progress is not None:
            progress.update(1)
    nav = " · ".join(f'<a href="#{escape(a)}">{escape(a)}</a>' for a in names)
    body = "\n".join(sections) or "<p>The gradebook has no grades yet.</p>"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>dlgrade class dashboard</title>'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
            f'style-src \'unsafe-inline\'"><style>{CSS}</style></head><body><h1>Class dashboard</h1>'
            f"<p>{nav}</p>\n{body}\n</body></html>\n")


def write_dashboard(conn, out_dir, assignments: list[str] | None = None, progress=None) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    tmp = page.with_name("index.html.part")
    tmp.write_text(render_dashboard(conn, assignments, progress), encoding="utf-8")
    tmp.replace(page)
    return page
