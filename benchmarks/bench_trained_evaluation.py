"""The trained checks of the PyTorch assignments: what training costs in the grade's sandbox,
and what the separate evaluation in fresh sandboxes adds to a grade.

    .venv/bin/python -m benchmarks.bench_trained_evaluation              # the run in docs/benchmarks.md
    .venv/bin/python -m benchmarks.bench_trained_evaluation --quick      # transfer_torch only, once
    .venv/bin/python -m benchmarks.bench_trained_evaluation --only sequences_torch --repeats 5

Grades each reference with only its trained (threshold) checks selected, in default mode
(`--autograder`: autograder mode) with the course secret of DLGRADE_SECRET (or the default one), and times, inside the grade, every
fresh sandbox (`ctx.fresh_sandbox()`, which `ctx.fresh_task` and `evaluation.apply` use too:
starting it from the fork server, loading the submission again, the evaluation's calls,
closing it): the cost of keeping evaluation apart from training. A training's CPU seconds are
the sandbox's own count for the training task (the child's getrusage around the call, sent
with its reply): the figure held against a trained check's CPU budget. (Not /proc of the
sandbox's process: in autograder mode that process waits in another PID namespace.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

from benchmarks.common import log, machine, markdown, median, result

ASSIGNMENTS = ("autoencoders_torch", "vae_torch", "transfer_torch", "sequences_torch", "gan_torch")
QUICK = ("transfer_torch",)
TARGET_S = 1.0  # what the separate evaluation may add to a grade, per assignment


def grade_once(assignment_id: str, isolation: str = "default") -> dict:
    """One grade of the reference's trained checks: its wall time, the fresh sandboxes' wall
    time and count, the sandbox CPU of each training task, the score."""
    from graders import assignments
    from graders.engine import runner
    from graders.sandbox.process import Sandbox

    evaluation, training_cpu = [], []
    original_fresh, original_request = runner.Context.fresh_sandbox, Sandbox._request

    @contextlib.contextmanager
    def timed_fresh(ctx):
        start = time.perf_counter()
        with original_fresh(ctx) as box:
            yield box
        evaluation.append(time.perf_counter() - start)

    def counted_request(self, request, timeout, what):
        reply = original_request(self, request, timeout, what)
        if request.get("op") == "task" and "train" in str(request.get("name")) and reply.get("ok"):
            training_cpu.append(float(reply.get("cpu_s") or 0.0))
        return reply

    a = assignments.get(assignment_id)
    trained = {c.name for c in a.all_checks() if c.kind.value == "threshold"}
    runner.Context.fresh_sandbox, Sandbox._request = timed_fresh, counted_request
    try:
        start = time.perf_counter()
        report = runner.grade(str(a.reference), a, select=trained.__contains__, isolation=isolation)
        wall = time.perf_counter() - start
    finally:
        runner.Context.fresh_sandbox, Sandbox._request = original_fresh, original_request
    failed = [t.name for t in report.tests if not t.passed]
    if failed:
        raise RuntimeError(f"{assignment_id}: the reference failed {failed}")
    return {"wall": wall, "evaluation": sum(evaluation), "fresh": len(evaluation),
            "training_cpu": training_cpu, "score": f"{report.score:g}/{report.max_score:g}",
            "checks": len(report.tests)}


def run(quick: bool = False, repeats: int = 3, only=None, isolation: str = "default") -> dict:
    rows = []
    for assignment_id in only or (QUICK if quick else ASSIGNMENTS):
        runs = []
        for i in range(repeats):
            log(f"{assignment_id}: grade {i + 1}/{repeats}")
            runs.append(grade_once(assignment_id, isolation))
        rows.append({
            "assignment": assignment_id,
            "trained checks": runs[0]["checks"],
            "score": runs[0]["score"],
            "grade (s)": round(median(r["wall"] for r in runs), 2),
            "training runs": len(runs[0]["training_cpu"]),
            "heaviest training: sandbox CPU (s)": round(median(max(r["training_cpu"], default=0.0) for r in runs), 2),
            "fresh sandboxes": runs[0]["fresh"],
            "separate evaluation, all of it (s)": round(median(r["evaluation"] for r in runs), 3),
        })
    return result("trained_evaluation", "Trained checks: training, and the separate evaluation in fresh sandboxes",
                  list(rows[0]), rows,
                  notes=["separate evaluation: wall time of every fresh sandbox of the grade (start, the submission "
                         "loaded again, the evaluation calls, close), summed over the assignment's trained checks; "
                         f"the target is at most {TARGET_S:g} s per assignment.",
                         "heaviest training: the CPU seconds the sandbox reports for its largest training task "
                         "(a trained check's CPU budget is 15-25 s). A run shared by two checks (the L1 pair) "
                         "trains and is evaluated once."],
                  settings={"repeats": repeats, "quick": quick, "only": list(only or []), "isolation": isolation})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{', '.join(QUICK)} only, one grade")
    parser.add_argument("--repeats", type=int, help="grades per assignment, medians reported (default 3)")
    parser.add_argument("--only", nargs="+", choices=ASSIGNMENTS, help="these assignments only")
    parser.add_argument("--autograder", action="store_true", help="grade in autograder mode (default: default mode)")
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    args = parser.parse_args(argv)
    before = machine()
    res = run(quick=args.quick, repeats=args.repeats or (1 if args.quick else 3), only=args.only,
              isolation="autograder" if args.autograder else "default")
    print(markdown(res))
    after = machine()
    print(f"Started {before['date']} (load {before['load_avg_1_5_15']}), ended {after['date']} "
          f"(load {after['load_avg_1_5_15']}).")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine_before": before, "machine_after": after, "results": [res]}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
