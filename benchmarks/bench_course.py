"""Running a course: the gradebook database, the dashboard and similarity, for a class of 300.

    .venv/bin/python -m benchmarks.bench_course [--quick] [--repeats N] [--json PATH]

- database: what the gradebook adds to `dlgrade batch` once the reports are written: read
  300 students' JSON reports (numpy_basics' 46 checks each, a third with a diagnosed slip),
  write them into a new SQLite gradebook in one transaction, and export gradebook.csv;
- dashboard: `dlgrade dashboard` of that class (two matplotlib charts, slips, history,
  flagged pairs) to one HTML page;
- similarity: `dlgrade similarity` of 300 notebooks (read, fingerprinted, compared), each
  the template's cells plus twelve functions, each a student's own (random NumPy statements)
  or, one time in four, one of numpy_basics' reference functions; three pairs are planted
  copies (found, as the row says).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

from benchmarks.common import main, median, result, timed

REPO = Path(__file__).resolve().parents[1]
STUDENTS = 300
PLANTED = 3


def _reports(reports: Path, n: int, check_names: list[str]) -> None:
    rng = random.Random(0)
    for i in range(n):
        tests = []
        for name in check_names:
            ok = rng.random() > 0.15
            out = "" if ok else ("wrong values\nExpected: 0.5\nGot: 0.005\nLikely slip: " +
                                 rng.choice(["divided by N twice", "a factor of 2 too large", "the sign is flipped"]))
            tests.append({"name": name, "score": 1.0 if ok else 0.0, "max_score": 1.0,
                          "status": "passed" if ok else "failed", "output": out, "kind": "value"})
        data = {"score": sum(t["score"] for t in tests), "max_score": float(len(tests)), "tests": tests,
                "assignment": "numpy_basics", "load_messages": [], "dlgrade_version": "0.1.0",
                "student": f"student{i:03d}", "submission_sha256": f"{i:064x}"}
        (reports / f"student{i:03d}.json").write_text(json.dumps(data, indent=2) + "\n")


def _student_function(rng: random.Random, name: str) -> str:
    """A function of a student's own: random NumPy statements (distinct code, as independent work is)."""
    ops = ["+", "-", "*", "/"]
    calls = ["np.sum({v}, axis=0)", "np.maximum({v}, 0)", "np.exp(-{v})", "{v}.T @ {w}", "np.mean({v})",
             "np.tanh({v})", "{v}.reshape(-1)", "np.clip({v}, -1, 1)", "np.sqrt(np.abs({v}))", "{v}[::2]"]
    names = ["x", "y", "h", "g", "out", "acc", "w", "b", "grad", "tmp"]
    lines = [f"def {name}(x, y):"]
    for k in range(rng.randint(4, 9)):
        v, w = rng.choice(names[:k + 2] if k < 8 else names), rng.choice(names)
        expr = rng.choice(calls).format(v=v, w=w)
        if rng.random() < 0.5:
            expr = f"{expr} {rng.choice(ops)} {rng.randint(1, 9)}"
        if rng.random() < 0.3:
            lines.append(f"    for i in range({rng.randint(2, 5)}):")
            lines.append(f"        {rng.choice(names)} = {expr}")
        else:
            lines.append(f"    {rng.choice(names)} = {expr}")
    lines.append(f"    return {rng.choice(names)}")
    return "\n".join(lines)


def _notebooks(folder: Path, n: int) -> None:
    """Notebooks of a class: the template's cells, then each student's own functions (and, for
    a quarter of the functions, the reference's code, as students who write the obvious thing do)."""
    import nbformat

    from graders.gradebook.similarity import template_code

    template = template_code("numpy_basics")
    reference = (REPO / "reference" / "numpy" / "numpy_basics.py").read_text().split("\n\n\ndef ")
    rng = random.Random(1)
    bodies = []
    for i in range(n):
        parts = ["import numpy as np"]
        for f in range(12):
            if rng.random() < 0.25 and len(reference) > 1:
                parts.append("def " + rng.choice(reference[1:]))
            else:
                parts.append(_student_function(rng, f"f{f}"))
        bodies.append("\n\n\n".join(parts))
    for k in range(PLANTED):  # planted copies: one student's notebook under another name
        bodies[2 * k + 1] = bodies[2 * k]
    for i, body in enumerate(bodies):
        nb = nbformat.v4.new_notebook()
        nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
        nb.cells = [nbformat.v4.new_code_cell(template), nbformat.v4.new_code_cell(body)]
        (folder / f"student{i:03d}.ipynb").write_text(nbformat.writes(nb))


def run(quick: bool = False, repeats: int = 3) -> dict:
    from graders import assignments
    from graders.batch import discover
    from graders.batch.gradebook import record_batch
    from graders.batch.run import BatchResult
    from graders.gradebook.dashboard import write_dashboard
    from graders.gradebook.db import open_gradebook
    from graders.gradebook.similarity import find_similar, record_pairs, submission_code, template_code

    n = 20 if quick else STUDENTS
    names = [c.name for c in assignments.get("numpy_basics").all_checks()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlgrade-bench-course-") as tmp:
        tmp = Path(tmp)
        subs, reports = tmp / "submissions", tmp / "reports"
        subs.mkdir()
        reports.mkdir()
        _notebooks(subs, n)
        _reports(reports, n, names)
        students = discover(subs)
        batch = BatchResult(out_dir=tmp, gradebook=tmp / "gradebook.csv", rows=[],
                            graded=[s.name for s in students])

        def record(k=[0]):
            k[0] += 1
            return record_batch(tmp / f"g{k[0]}.sqlite", students, reports, batch, assignment="numpy_basics",
                                check_names=names)

        times = [timed(record)[0] for _ in range(repeats)]
        rows.append({"step": f"gradebook database: {n} students' reports recorded, gradebook.csv exported",
                     "students": n, "seconds": median(times), "target": "< 2 s", "result": ""})

        def similarity():
            codes = {s.name: submission_code(s.submission) for s in students}
            return find_similar(codes, template_code("numpy_basics"))

        times, pairs = [], []
        for _ in range(repeats):
            t, pairs = timed(similarity)
            times.append(t)
        planted = {(f"student{2 * k:03d}", f"student{2 * k + 1:03d}") for k in range(PLANTED)}
        found = {(p.student_a, p.student_b) for p in pairs}
        rows.append({"step": f"similarity: {n} notebooks read, fingerprinted and compared", "students": n,
                     "seconds": median(times), "target": "< 60 s",
                     "result": f"{len(planted & found)} of {PLANTED} planted copies flagged, "
                               f"{len(found - planted)} other pairs"})
        with open_gradebook(tmp / "g1.sqlite") as conn:
            record_pairs(conn, "numpy_basics", pairs)
            times = [timed(lambda: write_dashboard(conn, tmp / "dash"))[0] for _ in range(repeats)]
        size = (tmp / "dash" / "index.html").stat().st_size
        rows.append({"step": "dashboard: one HTML page with its charts", "students": n, "seconds": median(times),
                     "target": "< 10 s", "result": f"{size / 1e6:.2f} MB page"})
    return result("course", "Running a course: gradebook database, dashboard, similarity",
                  ["step", "students", "seconds", "target", "result"], rows,
                  notes=[f"median of {repeats} runs; the database is new for each run (the worst case: "
                         "every student inserted)"], settings={"students": n, "repeats": repeats})


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))
