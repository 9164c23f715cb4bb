"""Benchmark 3: full grade wall time per assignment, grading its reference solution.

For every assignment of graders.assignments.assignment_ids(), graders.engine.runner.grade
on the reference, several times (5 by default; 3 for a grade that takes over 30 s); the
table gives the median wall time and where it goes: starting the sandbox, round trips
into it (calls and tasks, which include the submission's compute), CPU of the grader
process and of the sandbox process.

The measurement wraps, in this process only, the runner's Sandbox class (to time its
start and its requests: calls and tasks) and each check's run (to read the sandbox
process's CPU time from /proc/<pid>/stat before and after it); neither changes what a
grade does.

    .venv/bin/python -m benchmarks.bench_grade [--quick] [--repeats N] [--json PATH] [--only ID ...]
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
import time
from collections import defaultdict

from benchmarks.common import fork_server_off, log, main, median, result
from graders import assignments
from graders.engine import runner
from graders.sandbox.process import Sandbox

TICK = os.sysconf("SC_CLK_TCK")
QUICK_CHECKS = 6
LONG_GRADE_S = 30.0


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (all its threads), 0.0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


class Stats:
    def __init__(self):
        self.totals = defaultdict(float)
        self.checks: list[dict] = []
        self.launchers: set[str] = set()  # "forkserver" or "fresh", where the engine says


STATS = Stats()


class TimedSandbox(Sandbox):
    def start(self):
        t0 = time.perf_counter()
        try:
            return super().start()
        finally:
            STATS.totals["starts"] += 1
            STATS.totals["start s"] += time.perf_counter() - t0
            STATS.launchers.add(getattr(self, "launcher", None) or "fresh")
            if self.proc is not None:
                STATS.totals["start cpu"] += process_cpu(self.proc.pid)

    def _request(self, *args, **kwargs):  # every call and task goes through here
        t0 = time.perf_counter()
        try:
            return super()._request(*args, **kwargs)
        finally:
            STATS.totals["calls"] += 1
            STATS.totals["in calls s"] += time.perf_counter() - t0


def timed_check(check):
    def run(ctx):
        proc = ctx.session.current.proc if ctx.session.current is not None else None
        cpu0 = process_cpu(proc.pid) if proc is not None else 0.0
        wall0, own0, calls0 = time.perf_counter(), time.process_time(), STATS.totals["calls"]
        try:
            return check.run(ctx)
        finally:
            still = ctx.session.current.proc if ctx.session.current is not None else None
            sandbox_cpu = process_cpu(proc.pid) - cpu0 if proc is not None and still is proc else None
            STATS.checks.append({"name": check.name, "kind": check.kind, "wall": time.perf_counter() - wall0,
                                 "grader cpu": time.process_time() - own0, "sandbox cpu": sandbox_cpu,
                                 "calls": int(STATS.totals["calls"] - calls0)})
    return dataclasses.replace(check, run=run)


@contextlib.contextmanager
def instrumented(assignment):
    """The assignment with timed checks, graded with TimedSandbox (restored afterwards)."""
    original = runner.Sandbox
    runner.Sandbox = TimedSandbox
    try:
        yield dataclasses.replace(assignment, checks=lambda options: map(timed_check, assignment.checks(options)))
    finally:
        runner.Sandbox = original


def grade_once(assignment, select=None) -> dict:
    global STATS
    STATS = Stats()
    with instrumented(assignment) as timed_assignment:
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        report = runner.grade(str(assignment.reference), timed_assignment, select=select)
        wall = time.perf_counter() - t0
        grader_cpu = time.process_time() - cpu0
    checks = STATS.checks
    slowest = max(checks, key=lambda c: c["wall"])
    return {
        "wall": wall, "score": sum(t.score for t in report.tests), "max": sum(t.max_score for t in report.tests),
        "checks": len(report.tests), "starts": STATS.totals["starts"], "start": STATS.totals["start s"],
        "calls": STATS.totals["calls"], "in calls": STATS.totals["in calls s"], "grader cpu": grader_cpu,
        "sandbox cpu": STATS.totals["start cpu"] + sum(c["sandbox cpu"] or 0.0 for c in checks),
        "start cpu": STATS.totals["start cpu"], "slowest": slowest, "launchers": sorted(STATS.launchers), "per check": checks,
        "heaviest": max(checks, key=lambda c: c["sandbox cpu"] or 0.0),
    }


COLUMNS = ["assignment", "preload", "launcher", "checks", "score", "median (s)", "min-max (s)", "sandbox start (s)",
           "sandbox start CPU (s)", "calls", "in calls (s)", "grader CPU (s)", "sandbox CPU (s)",
           "heaviest check: sandbox CPU (s)", "runs"]


def breakdown(run: dict) -> str:
    """Where one grade's time went, by kind of check."""
    by_kind = defaultdict(lambda: [0, 0.0, 0.0])
    for c in run["per check"]:
        entry = by_kind[c["kind"].value]
        entry[0] += 1
        entry[1] += c["wall"]
        entry[2] += c["grader cpu"]
    parts = [f"{kind} {n} checks {wall:.2f} s (grader CPU {cpu:.2f} s)"
             for kind, (n, wall, cpu) in sorted(by_kind.items(), key=lambda kv: -kv[1][1])]
    slow = sorted(run["per check"], key=lambda c: -c["wall"])[:3]
    return ("; ".join(parts) + ". Slowest: "
            + "; ".join(f"'{c['name']}' {c['wall']:.2f} s, {c['calls']} calls" for c in slow))


def measure(aid: str, quick: bool, repeats: int) -> tuple[dict, str]:
    """(table row, note) for grading assignment `aid`'s reference `repeats` times."""
    assignment = assignments.get(aid)
    select = None
    if quick:  # the smoke test only needs the pipeline to run
        select = {c.name for c in assignment.all_checks()[:QUICK_CHECKS]}.__contains__
    runs = [grade_once(assignment, select)]
    # a long grade (trained checks) varies less, relative to its length: fewer runs
    n = repeats if runs[0]["wall"] < LONG_GRADE_S else min(repeats, 3)
    runs += [grade_once(assignment, select) for _ in range(n - 1)]
    mid = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
    walls = [r["wall"] for r in runs]
    row = {
        "assignment": aid, "preload": "+".join(assignment.preload),
        "launcher": ", ".join(sorted({x for r in runs for x in r["launchers"]})), "checks": mid["checks"],
        "score": f"{mid['score']:g}/{mid['max']:g}", "median (s)": median(walls),
        "min-max (s)": f"{min(walls):.2f}-{max(walls):.2f}",
        "sandbox start (s)": median([r["start"] / max(r["starts"], 1) for r in runs]),
        "sandbox start CPU (s)": median([r["start cpu"] / max(r["starts"], 1) for r in runs]),
        "calls": int(mid["calls"]), "in calls (s)": median([r["in calls"] for r in runs]),
        "grader CPU (s)": median([r["grader cpu"] for r in runs]),
        "sandbox CPU (s)": median([r["sandbox cpu"] for r in runs]),
        "heaviest check: sandbox CPU (s)": (f"{median([r['heaviest']['sandbox cpu'] or 0.0 for r in runs]):.2f} "
                                            f"({mid['heaviest']['name']})"),
        "runs": len(runs),
    }
    return row, f"{aid} (median run): {breakdown(mid)}."


def run(quick: bool = False, repeats: int = 5, only=None) -> dict:
    ids = list(only) if only else (["numpy_basics"] if quick else assignments.assignment_ids())
    rows, notes = [], []
    for aid in ids:
        log(f"grading {aid} x{repeats}")
        row, note = measure(aid, quick, repeats)
        rows.append(row)
        notes.append(note)
    if not quick and "numpy_basics" in ids:
        log(f"grading numpy_basics x{repeats}, fork server off")
        with fork_server_off():
            row, _ = measure("numpy_basics", quick, repeats)
        rows.append(row)
        notes.append("The last row grades numpy_basics with DLGRADE_FORKSERVER=0 (a fresh interpreter per "
                     "sandbox), for comparison.")
    if quick:
        notes.append(f"--quick grades only the first {QUICK_CHECKS} checks.")
    notes.append("launcher: how the sandbox processes started (forkserver: forked from the grader's fork "
                 "server; fresh: a new interpreter). This process keeps its fork servers from one grade to the "
                 "next, so only the first grade of each preload pays for starting one (see min-max); the "
                 "sandbox start CPU is then the forked process's own CPU, not the server's imports.")
    notes.append("in calls: wall time inside the sandbox's requests (calls and tasks: the round trip and the "
                 "submission's compute); grader CPU: this process (the checks' reference computations, Hypothesis, "
                 "comparisons); sandbox CPU: the sandbox process from /proc (its start plus every check); heaviest "
                 "check: the most sandbox CPU one check used (a trained check's training, for the trained "
                 "assignments: the figure to hold against the 20 s CPU budget).")
    return result("grade", "Full grade of the reference, per assignment", COLUMNS, rows, notes,
                  {"quick": quick, "repeats": repeats, "assignments": ids})


if __name__ == "__main__":
    argv = sys.argv[1:]
    only = None
    if "--only" in argv:
        i = argv.index("--only")
        only, argv = argv[i + 1:], argv[:i]
    sys.exit(main(functools.partial(run, only=only), argv, __doc__.splitlines()[0]))
