"""Benchmark: trained checks with separate evaluation processes (autoencoders_torch, vae_torch).

Grades the reference on the trained checks only (the course secret of DLGRADE_SECRET, or the
default one) and reports, per trained check: its wall time, the CPU the sandbox reports for
the training (the figure held against the 20 s CPU budget), and the wall time spent in the
fresh evaluation sandboxes (`graders.engine.evaluation.apply`: fork from the fork server,
the submission's cells, load the state_dict, one method call, close); per assignment, the
evaluation's total, the cost that separate evaluation adds to a grade.

    .venv/bin/python -m benchmarks.bench_trained_eval [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import sys
import time

from benchmarks.common import main, median, result

ASSIGNMENTS = ("autoencoders_torch", "vae_torch")


def grade_once(assignment_id: str) -> dict:
    """{check: (wall s, training CPU s, evaluation wall s, evaluation calls)} of one grade."""
    from graders import assignments
    from graders.engine import evaluation
    from graders.engine.runner import grade

    a = assignments.get(assignment_id)
    trained = {c.name for c in a.all_checks() if c.kind.value == "threshold"}
    spent: dict[str, list[float]] = {}
    real_apply = evaluation.apply

    def timed_apply(ctx, *args, **kwargs):
        start = time.perf_counter()
        try:
            return real_apply(ctx, *args, **kwargs)
        finally:
            spent.setdefault(ctx.check.name, []).append(time.perf_counter() - start)

    evaluation.apply = timed_apply
    try:
        report = grade(str(a.reference), a, select=lambda name: name in trained)
    finally:
        evaluation.apply = real_apply
    out = {}
    for t in report.tests:
        if not t.passed:
            raise RuntimeError(f"{assignment_id}: the reference failed {t.name!r}: {t.output[:300]}")
        cpu = _training_cpu(t.output)
        out[t.name] = (t.time_s, cpu, sum(spent.get(t.name, [])), len(spent.get(t.name, [])))
    return out


def _training_cpu(note: str) -> float:
    """The 'N s CPU of training' figure of a passing note (nan when absent)."""
    import re

    found = re.search(r"([0-9.]+) s CPU of training", note)
    return float(found.group(1)) if found else float("nan")


def run(quick: bool = False, repeats: int = 3) -> dict:
    columns = ["assignment", "check", "wall (s)", "training CPU (s)", "evaluation calls", "evaluation wall (s)",
               "runs"]
    rows, notes = [], []
    for assignment_id in ASSIGNMENTS:
        runs = [grade_once(assignment_id) for _ in range(1 if quick else repeats)]
        total_eval = []
        for check in runs[0]:
            values = [r[check] for r in runs]
            rows.append({"assignment": assignment_id, "check": check,
                         "wall (s)": round(median(v[0] for v in values), 2),
                         "training CPU (s)": round(median(v[1] for v in values), 2),
                         "evaluation calls": values[0][3],
                         "evaluation wall (s)": round(median(v[2] for v in values), 3),
                         "runs": len(values)})
        for r in runs:
            total_eval.append(sum(v[2] for v in r.values()))
        notes.append(f"{assignment_id}: separate evaluation adds {median(total_eval):.2f} s of wall time per grade "
                     f"(median over {len(runs)} grades; {sum(v[3] for v in runs[0].values())} fresh sandboxes).")
    notes.append("training CPU: what the training sandbox reports in the check's note (the 20 s budget's "
                 "figure); evaluation wall: time inside evaluation.apply, fresh sandboxes included. "
                 "A check that shares its training with another (the L1 pair) trains once, in the first.")
    return result("trained_eval", "Trained checks: training CPU and separate evaluation", columns, rows, notes,
                  {"repeats": repeats, "quick": quick})


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__))
