"""Calibrate the trained-model bounds of `activity_recognition` on the reference solution.

    python -m graders.assignments.activity_recognition.calibrate                      # print the table
    python -m graders.assignments.activity_recognition.calibrate --write              # rewrite thresholds.py
    python -m graders.assignments.activity_recognition.calibrate --data ts:PREFIX --write
    python -m graders.assignments.activity_recognition.calibrate --mutants            # and the mutants

For each cell, trains the reference `train` with `SETTINGS` at the seed that each of the
secrets "calibration 0" ... "calibration N-1" gives the check (as a grade draws its seed
from the course secret), measures the test accuracy with the grader's own forward pass,
and sets bound = worst reference accuracy * (1 - MARGIN). Also records the reference's
mean confusion matrix and loss history (reference_runs.json) for the feedback's pictures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from graders.engine.calibration import cpu_summary, one_blas_thread, report_mutants
from graders.engine.secret import fixed_secret
from graders.engine.thresholds import calibrate, format_table, write_dataset_table

from . import thresholds as table
from .thresholds import CELLS, CHECKS, CPU_BUDGET_S, MARGIN, METRIC, SETTINGS, evaluate, grade_data

ASSIGNMENT_ID = "activity_recognition"
DRAWS = 10
THRESHOLDS_PATH = Path(__file__).with_name("thresholds.py")


def calibration_seeds(cell: str, draws: int = DRAWS) -> tuple[int, ...]:
    """The seeds the secrets "calibration 0", ... give this cell's check (purpose "train")."""
    return tuple(fixed_secret(f"calibration {i}", ASSIGNMENT_ID).seed(CHECKS[cell], "train") for i in range(draws))


def run_seed(cell: str, seed: int, data: dict, train_fn=None) -> dict:
    if train_fn is None:
        from reference.numpy.activity_recognition import train as train_fn
    start = time.process_time()
    params, history = train_fn(data["X_train"], data["y_train"], cell, SETTINGS["n_hidden"],
                               list(SETTINGS["dense_dims"]), len(data["labels"]), SETTINGS["lr"],
                               SETTINGS["momentum"], SETTINGS["epochs"], SETTINGS["batch_size"], seed)
    cpu = time.process_time() - start
    accuracy, confusion = evaluate(params, data, cell)
    return {"accuracy": accuracy, "confusion": confusion, "history": np.asarray(history, dtype=np.float64),
            "cpu_s": cpu}


def run(spec: str, draws: int = DRAWS, verbose: bool = True):
    data = grade_data(spec)
    found, runs = {}, {}
    for cell in CELLS:
        results = {}
        for seed in calibration_seeds(cell, draws):
            results[seed] = r = run_seed(cell, seed, data)
            if verbose:
                print(f"{cell} seed {seed}: test accuracy {r['accuracy']:.3f} ({r['cpu_s']:.1f} s CPU)", flush=True)
        cpus = [r["cpu_s"] for r in results.values()]
        if verbose:
            print(f"{cell}: {cpu_summary(cpus)}")
            if max(cpus) > CPU_BUDGET_S:
                print(f"WARNING: {cell} took {max(cpus):.1f} s CPU > budget {CPU_BUDGET_S} s")
        found[CHECKS[cell]] = calibrate(METRIC, {s: r["accuracy"] for s, r in results.items()}, higher_is_better=True,
                                        margin=MARGIN, cpu_budget_s=CPU_BUDGET_S, settings=dict(SETTINGS),
                                        dataset=data["name"])
        runs[cell] = {
            "confusion": np.round(np.mean([r["confusion"] for r in results.values()], axis=0), 3).tolist(),
            "history": np.round(np.mean([r["history"] for r in results.values()], axis=0), 4).tolist(),
            "cpu_s": round(float(np.mean(cpus)), 1),
        }
    return data["name"], found, runs


def runs_json(runs: dict) -> str:
    """JSON of the reference runs, each list of numbers on one line."""
    text = json.dumps(runs, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def mutant_report(spec: str) -> None:
    data = grade_data(spec)
    t = table.thresholds_for(data["name"])

    def describe(module) -> str:
        parts = []
        for cell in CELLS:
            seed = calibration_seeds(cell, 1)[0]
            try:
                with np.errstate(all="ignore"):
                    r = run_seed(cell, seed, data, train_fn=module.train)
                ok = t[CHECKS[cell]].passes(r["accuracy"])
                parts.append(f"{cell} {r['accuracy']:.3f} {'pass' if ok else 'FAIL'}")
            except Exception as exc:  # a mutant may crash: that is a result too
                parts.append(f"{cell} raised {type(exc).__name__}")
        return "; ".join(parts)

    report_mutants(ASSIGNMENT_ID, describe, width=50, slow=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=table.DEFAULT_DATA, help='"basic_motions" or "ts:PATH_PREFIX"')
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--write", action="store_true", help="rewrite the data set's table in thresholds.py")
    parser.add_argument("--mutants", action="store_true", help="also report the mutants (needs tests/)")
    args = parser.parse_args(argv)
    return one_blas_thread(_main, args)


def _main(args) -> int:
    name, found, runs = run(args.data, args.draws)
    print()
    print(format_table(found))
    if args.write:
        write_dataset_table(THRESHOLDS_PATH, table.THRESHOLDS_BY_DATASET, name, found)
        all_runs = {**table.reference_runs(), name: runs}
        table.REFERENCE_RUNS_PATH.write_text(runs_json(all_runs), encoding="utf-8")
        print(f"\nwrote the {name!r} table to {THRESHOLDS_PATH}")
    if args.mutants:
        import importlib

        importlib.reload(table)
        mutant_report(args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
