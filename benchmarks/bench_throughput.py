"""Benchmark 4: batch throughput, numpy_basics submissions per minute with 1 and 2 workers.

The class is a folder of one file per student: copies of the reference and mutants from
graders/assignments/numpy_basics/slips.py (realistic slips, whose failing checks also build feedback).
It is graded with graders.batch.run.run_batch (what `dlgrade batch` runs: a spawned
process pool, one sandbox per grade, JSON and HTML reports, the gradebook), twice per
number of workers:

- warm: on a pool whose workers have already imported the grader and started their fork
  server (a running service), with the fork server and without (DLGRADE_FORKSERVER=0);
- cold: run_batch(workers=N) starting its own pool (a one-off `dlgrade batch`).

    .venv/bin/python -m benchmarks.bench_throughput [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import contextlib
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import fork_server_off, log, main, median, result
from graders.batch.run import process_executor, run_batch
from tests.mutants import reference_path
from graders.assignments.numpy_basics.slips import MUTANTS

ASSIGNMENT = "numpy_basics"


def write_class(folder: Path, size: int) -> list[str]:
    """Half the class hands in the reference, the other half a mutant each; returns the mutants' names."""
    source = reference_path(ASSIGNMENT).read_text(encoding="utf-8")
    n_mutants = size // 2
    step = max(len(MUTANTS) // max(n_mutants, 1), 1)
    mutants = MUTANTS[::step][:n_mutants]
    for i in range(size - n_mutants):
        (folder / f"student{i:03d}.py").write_text(source, encoding="utf-8")
    for j, m in enumerate(mutants):
        (folder / f"student{size - n_mutants + j:03d}.py").write_text(m.apply(source), encoding="utf-8")
    return [m.name for m in mutants]


def own_cpu() -> float:
    """CPU seconds of this process and of its finished children."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))


def _warm(_=None) -> float:
    """Import the grader in a pool worker and start its fork server (if on) with one sandbox
    (and hold a moment, so that each worker gets one of these)."""
    from graders import assignments
    from graders.batch import worker  # noqa: F401
    from graders.sandbox.process import Sandbox

    assignment = assignments.get(ASSIGNMENT)
    assignment.all_checks()
    with Sandbox([("cell 1", "x = 1\n")], preload=assignment.preload, limits=assignment.limits) as box:
        box.start()
    time.sleep(0.5)
    return own_cpu()


def children_cpu() -> float:
    """CPU seconds of every finished child process (pool workers and, through them, their sandboxes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade_class(folder: Path, out: Path, workers: int, checks, warm: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the pool's processes and sandboxes) to grade the class."""
    cpu0 = children_cpu()
    if warm:
        with process_executor(workers) as pool:
            cpu0 += sum(pool.map(_warm, range(workers)))  # the warm-up's CPU is not the class's
            t0 = time.perf_counter()
            res = run_batch(folder, ASSIGNMENT, out, executor=pool, force=True, checks=checks, progress=False)
            seconds = time.perf_counter() - t0
    else:
        t0 = time.perf_counter()
        res = run_batch(folder, ASSIGNMENT, out, workers=workers, force=True, checks=checks, progress=False)
        seconds = time.perf_counter() - t0
    if res.errors or len(res.graded) != len(list(folder.iterdir())):
        raise RuntimeError(f"batch did not grade everyone: {res.summary()} {res.errors}")
    return seconds, children_cpu() - cpu0


def full_marks(out: Path) -> int:
    """Students with full marks in the gradebook."""
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return sum(1 for r in rows if r.get("score") and r.get("score") == r.get("max_score"))


COLUMNS = ["workers", "pool", "launcher", "class size", "median (s)", "submissions / min", "s / submission",
           "CPU s / submission", "runs"]


def run(quick: bool = False, repeats: int = 3) -> dict:
    size = 2 if quick else 16
    notes = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlgrade-bench-class-") as tmp:
        folder, out = Path(tmp) / "class", Path(tmp) / "out"
        folder.mkdir()
        mutants = write_class(folder, size)
        checks = None
        if quick:  # a handful of checks: the smoke test only needs the pipeline to run
            from graders import assignments

            checks = [c.name for c in assignments.get(ASSIGNMENT).all_checks()][:4]
        configs = [(w, True, True) for w in (1, 2)]  # (workers, warm pool, fork server)
        if not quick:
            configs += [(w, True, False) for w in (1, 2)] + [(w, False, True) for w in (1, 2)]
        for workers, warm, fork in configs:
            launcher = "forkserver" if fork else "fresh"
            log(f"throughput: {workers} worker(s), {'warm' if warm else 'cold'} pool, {launcher}, {size} submissions")
            with contextlib.nullcontext() if fork else fork_server_off():
                runs = [grade_class(folder, out, workers, checks, warm) for _ in range(repeats)]
            t = median([wall for wall, _ in runs])
            rows.append({"workers": workers, "pool": "warm" if warm else "cold (started by run_batch)",
                         "launcher": launcher, "class size": size, "median (s)": t,
                         "submissions / min": 60.0 * size / t, "s / submission": t / size,
                         "CPU s / submission": median([cpu for _, cpu in runs]) / size, "runs": repeats})
        perfect = full_marks(out) if checks is None else None
    notes.append(f"The class of {size}: the reference x{size - len(mutants)} and {len(mutants)} mutants "
                 f"({', '.join(mutants)})" + (f"; {perfect} students got full marks." if perfect is not None else "."))
    if quick:
        notes.append(f"--quick grades only the first {len(checks)} checks, on warm pools with the fork server only.")
    notes.append("CPU s / submission: user + system CPU of the pool's worker processes, their sandboxes and fork "
                 "servers (RUSAGE_CHILDREN once the pool has shut down), less a warm pool's warm-up (but with its "
                 "fork servers' imports); a cold pool's includes the workers' start-up. 60 x 2 / this is about "
                 "what two otherwise idle cores could grade per minute.")
    notes.append("Each grade runs its own sandbox process: forked from the worker's fork server (forkserver), "
                 "or a fresh interpreter importing NumPy (fresh: DLGRADE_FORKSERVER=0). A warm pool's workers have "
                 "imported the grader and started their fork server before the clock starts; a cold pool is "
                 "what one `dlgrade batch` run pays. With 2 workers, two grades, their sandboxes and fork servers "
                 "share the machine's 2 cores.")
    return result("throughput", f"Batch throughput: {ASSIGNMENT} submissions per minute", COLUMNS, rows, notes,
                  {"quick": quick, "repeats": repeats, "class size": size})


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))
