"""`dlgrade verify ID --auto N`: wall time and the kill rate of the automatic mutants.

    .venv/bin/python -m benchmarks.bench_verify [--quick] [--auto N] [--workers W]
                                                [--assignments ID ...] [--json PATH]

Each run is the command line as an author types it (`dlgrade verify ID --auto N --workers W
--format json`, a new process: interpreter, imports, process pool and fork servers
included), once per assignment, one after the other. The kill rate is killed / (automatic
mutants not likely equivalent); the survivors that are not likely equivalent are listed in
the notes: each is an edit of the reference that no check noticed although its replies
differ from the reference's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks.common import log, machine, markdown, result

NUMPY_ASSIGNMENTS = ("numpy_basics", "autoencoder_numpy", "sparse_autoencoder", "char_rnn_numpy",
                     "lstm_gru_numpy", "language_model_numpy", "activity_recognition", "beam_search")
COLUMNS = ["assignment", "automatic mutants", "time (s)", "listed variants", "listed ok", "killed",
           "likely equivalent", "survived, not equivalent", "kill rate", "verify"]


def verify_once(assignment: str, auto: int, workers: int) -> tuple[float, dict]:
    """(wall seconds, the JSON report) of one `dlgrade verify` run."""
    command = [sys.executable, "-m", "dlgrade", "verify", assignment, "--auto", str(auto),
               "--workers", str(workers), "--format", "json"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"dlgrade verify {assignment} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def row_for(assignment: str, seconds: float, report: dict) -> dict:
    auto = report["auto"]
    return {"assignment": assignment, "automatic mutants": auto["graded"], "time (s)": round(seconds, 1),
            "listed variants": len(report["listed"]),
            "listed ok": sum(not o["problems"] for o in report["listed"]), "killed": auto["killed"],
            "likely equivalent": auto["likely_equivalent"],
            "survived, not equivalent": auto["survived"] - auto["likely_equivalent"],
            "kill rate": None if auto["kill_rate"] is None else f"{auto['kill_rate']:.1%}",
            "verify": "ok" if report["ok"] else f"{len(report['problems'])} problems"}


def run(quick: bool = False, repeats: int = 1, assignments=NUMPY_ASSIGNMENTS, auto: int = 100,
        workers: int = 2) -> dict:
    """One run per assignment (repeats > 1 repeats the first assignment's and reports the median)."""
    if quick:
        assignments, auto = ("numpy_basics",), 2
    rows, notes = [], []
    for i, assignment in enumerate(assignments):
        log(f"verify {assignment} --auto {auto} --workers {workers}")
        times, report = [], None
        for _ in range(repeats if i == 0 else 1):
            seconds, report = verify_once(assignment, auto, workers)
            times.append(seconds)
        rows.append(row_for(assignment, sorted(times)[len(times) // 2], report))
        log(f"  {rows[-1]}")
        for mutant in report["auto"]["mutants"]:
            if not mutant["killed"] and not mutant["likely_equivalent"]:
                notes.append(f"{assignment} survivor ({mutant['operator']}): {mutant['diff']}; replies first "
                             f"differ at {mutant['differs_at']}")
        notes += [f"{assignment}: {p}" for p in report["problems"]]
    return result("verify", f"dlgrade verify --auto {auto}, {workers} workers", COLUMNS, rows, notes,
                  {"auto": auto, "workers": workers, "repeats": repeats, "assignments": list(assignments)})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="numpy_basics with 2 automatic mutants")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--auto", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--assignments", nargs="+", default=list(NUMPY_ASSIGNMENTS))
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    args = parser.parse_args(argv)
    res = run(args.quick, args.repeats, tuple(args.assignments), args.auto, args.workers)
    print(markdown(res))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": machine(), "results": [res]}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
