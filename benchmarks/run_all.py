"""Run every benchmark, one after the other, and print their tables (markdown).

    .venv/bin/python -m benchmarks.run_all            # the full run recorded in docs/benchmarks.md
    .venv/bin/python -m benchmarks.run_all --quick    # tiny sizes, one run each: does it all work?
    .venv/bin/python -m benchmarks.run_all --json benchmarks/results.json --only gradcheck grade

The full run takes about fourteen minutes on an idle two-core machine. Run it when the machine
is otherwise idle (`uptime`): every number is a wall-clock median, and the load at the
start and the end is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks import (bench_course, bench_grade, bench_gradcheck, bench_memory, bench_sandbox_start,
                        bench_throughput, bench_trained_evaluation, bench_wire,
                        sandbox_start_forkserver)
from benchmarks.common import default_repeats, log, machine, markdown

BENCHMARKS = {
    "gradcheck": bench_gradcheck,
    "sandbox_start": bench_sandbox_start,
    "sandbox_start_forkserver": sandbox_start_forkserver,  # the same, phase by phase
    "grade": bench_grade,
    "throughput": bench_throughput,
    "memory": bench_memory,
    "course": bench_course,  # gradebook database, dashboard, similarity for a class of 300
    "wire": bench_wire,
    # trained checks of the PyTorch assignments: training CPU and the separate evaluation
    "trained_evaluation": bench_trained_evaluation,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each")
    parser.add_argument("--repeats", type=int, help="runs per measurement for every benchmark")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--json", metavar="PATH", help="also write all results and the machine as JSON")
    args = parser.parse_args(argv)
    before = machine()
    results = []
    for name in args.only or BENCHMARKS:
        module = BENCHMARKS[name]
        repeats = args.repeats or (1 if args.quick else default_repeats(module.run))
        log(f"== {name} (repeats {repeats})")
        res = module.run(quick=args.quick, repeats=repeats)
        results.append(res)
        print(markdown(res), flush=True)
    after = machine()
    print(f"Started {before['date']} (load {before['load_avg_1_5_15']}), ended {after['date']} "
          f"(load {after['load_avg_1_5_15']}); {before['cpus']} CPUs, Python {before['python']}, "
          f"numpy {before.get('numpy')}, torch {before.get('torch')}.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"command": " ".join(["python -m benchmarks.run_all"] + list(argv or sys.argv[1:])),
                       "machine_before": before, "machine_after": after, "results": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
