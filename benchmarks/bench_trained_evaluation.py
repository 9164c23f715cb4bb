"""The trained checks of transfer_torch, sequences_torch and gan_torch: what training costs
in the grade's sandbox, and what the separate evaluation in a fresh sandbox adds.

    .venv/bin/python -m benchmarks.bench_trained_evaluation            # the run in docs/benchmarks.md
    .venv/bin/python -m benchmarks.bench_trained_evaluation --quick    # transfer_torch only, once

Grades each reference with only its trained checks selected, and times, inside the grade,
every `ctx.fresh_sandbox()` block (starting the fresh sandbox, loading the submission again,
the evaluation's calls, closing it): the cost of keeping evaluation apart from training.
The training's CPU seconds are the sandbox's own count for the training task (the figure to
hold against the 20 s CPU budget of a trained check).
"""

from __future__ import annotations

import contextlib
import sys
import time

from benchmarks.common import log, machine, markdown, median, parse_args, result

TRAINED = {
    "transfer_torch": ("replace_head: head-only", "unfreeze_from: fine-tuned"),
    "sequences_torch": ("CharLSTM: validation loss after", "CharLSTM: sampling", "Forecaster: rnn walk",
                        "Forecaster: lstm walk", "Forecaster: gru walk"),
    "gan_torch": ("GAN: samples cover",),
}


def grade_once(assignment_id: str) -> dict:
    """One grade of the reference's trained checks: wall time, evaluation wall time, the
    sandbox CPU of the training tasks, the score."""
    from graders import assignments
    from graders.engine import runner
    from graders.sandbox.process import Sandbox

    evaluation, training_cpu = [], []
    original_fresh, original_task = runner.Context.fresh_sandbox, Sandbox.run_task

    @contextlib.contextmanager
    def timed_fresh(ctx):
        start = time.perf_counter()
        with original_fresh(ctx) as box:
            yield box
        evaluation.append(time.perf_counter() - start)

    def counted_task(self, name, kwargs=None, *, timeout=60.0, seed=0):
        before = _sandbox_cpu(self)
        value = original_task(self, name, kwargs, timeout=timeout, seed=seed)
        if "train" in name:
            training_cpu.append(_sandbox_cpu(self) - before)
        return value

    a = assignments.get(assignment_id)
    runner.Context.fresh_sandbox, Sandbox.run_task = timed_fresh, counted_task
    try:
        start = time.perf_counter()
        report = runner.grade(str(a.reference), a, select=lambda n: n.startswith(TRAINED[assignment_id]))
        wall = time.perf_counter() - start
    finally:
        runner.Context.fresh_sandbox, Sandbox.run_task = original_fresh, original_task
    return {"wall": wall, "evaluation": sum(evaluation), "fresh": len(evaluation),
            "training_cpu": training_cpu, "score": f"{report.score:g}/{report.max_score:g}",
            "checks": len(report.tests)}


def _sandbox_cpu(sandbox) -> float:
    """CPU seconds of the sandbox process so far (user + system, from /proc)."""
    import os

    pid = getattr(getattr(sandbox, "proc", None), "pid", None)
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return float("nan")


def run(quick: bool = False, repeats: int = 3) -> dict:
    rows = []
    for assignment_id in (("transfer_torch",) if quick else TRAINED):
        runs = []
        for i in range(repeats):
            log(f"{assignment_id}: grade {i + 1}/{repeats}")
            runs.append(grade_once(assignment_id))
        rows.append({
            "assignment": assignment_id,
            "trained checks": runs[0]["checks"],
            "score": runs[0]["score"],
            "grade (s)": median(r["wall"] for r in runs),
            "training runs": len(runs[0]["training_cpu"]),
            "heaviest training: sandbox CPU (s)": median(max(r["training_cpu"], default=0.0) for r in runs),
            "fresh sandboxes": runs[0]["fresh"],
            "separate evaluation, all of it (s)": median(r["evaluation"] for r in runs),
        })
    return result("trained_evaluation", "Trained checks: training, and the separate evaluation in fresh sandboxes",
                  list(rows[0]), rows,
                  notes=["separate evaluation: wall time of every fresh sandbox of the grade (start, the submission "
                         "loaded again, the evaluation calls one step at a time, close), summed over the "
                         "assignment's trained checks; the target is at most 1 s per assignment.",
                         "heaviest training: the sandbox CPU of the largest training task (the 20 s CPU budget "
                         "of a trained check)."],
                  settings={"repeats": repeats, "quick": quick})


def main(argv=None) -> int:
    args = parse_args(argv, __doc__.splitlines()[0], 3)
    before = machine()
    res = run(quick=args.quick, repeats=args.repeats or (1 if args.quick else 3))
    print(markdown(res))
    after = machine()
    print(f"Started {before['date']} (load {before['load_avg_1_5_15']}), ended {after['date']} "
          f"(load {after['load_avg_1_5_15']}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
