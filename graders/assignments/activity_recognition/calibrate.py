"""Calibrate the trained-model bounds of `activity_recognition` on the reference solution.

    python -m graders.assignments.activity_recognition.calibrate                      # print the table
    python -m graders.assignments.activity_recognition.calibrate --write              # rewrite thresholds.py
    python -m graders.assignments.activity_recognition.calibrate --data ts:PREFIX --write
    python -m graders.assignments.activity_recognition.calibrate --mutants            # and the mutants

For each cell, trains the reference `train` with `SETTINGS` at the seed that each of the
secrets "calibration 0" ... "calibration N-1" gives the check (as a grade draws its seed
from the course secret), measures the test accuracy with the grader's own forward pass,
and does the same at the first `--variation-draws` of those seeds with each harmless
variation of the reference in `VARIATIONS` (correct programs whose arithmetic differs from
the reference's only in rounding); bound = worst accuracy of them all * (1 - MARGIN).
Also records the reference's mean confusion matrix and loss history (reference_runs.json,
the reference's own draws) for the feedback's pictures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from graders.tooling.calibration import Variation, cpu_summary, one_blas_thread, perturbed, report_mutants
from graders.engine.secret import fixed_secret
from graders.engine.thresholds import calibrate, format_table, write_dataset_table

from . import thresholds as table
from .thresholds import CELLS, CHECKS, CPU_BUDGET_S, MARGIN, METRIC, SETTINGS, evaluate, grade_data

ASSIGNMENT_ID = "activity_recognition"
DRAWS = 10
VARIATION_DRAWS = DRAWS  # every draw: the worst draw sets the bound, so its variations matter most
# Correct programs whose arithmetic differs from the reference's only in rounding: a bound must
# pass them as it passes the reference (named as the thresholds' `variation` records state them).
VARIATIONS = (
    Variation("the bias gradients summed over the batch's rows in reverse order (a re-associated sum)",
              edits=(('"b": da.sum(axis=0)}', '"b": da[::-1].sum(axis=0)}'),
                     ('grads["b" + k] = da[k].sum(axis=0)', 'grads["b" + k] = da[k][::-1].sum(axis=0)'),
                     ('"bxr": da_r.sum(axis=0), "bxz": da_z.sum(axis=0), "bxn": da_n.sum(axis=0),',
                      '"bxr": da_r[::-1].sum(axis=0), "bxz": da_z[::-1].sum(axis=0), '
                      '"bxn": da_n[::-1].sum(axis=0),'),
                     ('"bhr": da_r.sum(axis=0), "bhz": da_z.sum(axis=0), "bhn": dhn.sum(axis=0),',
                      '"bhr": da_r[::-1].sum(axis=0), "bhz": da_z[::-1].sum(axis=0), '
                      '"bhn": dhn[::-1].sum(axis=0),'),
                     ('grads[f"b{l}"] = da.sum(axis=0)', 'grads[f"b{l}"] = da[::-1].sum(axis=0)'))),
    Variation("the training series perturbed by 1e-12 relative", perturb=1e-12),
    Variation("the momentum step applied as params += momentum v, then params -= lr grad "
              "(another update order)",
              edits=(("        params[k] += velocity[k]\n",
                      "        params[k] += momentum * v\n        params[k] -= lr * grads[k]\n"),)),
)
THRESHOLDS_PATH = Path(__file__).with_name("thresholds.py")


def calibration_seeds(cell: str, draws: int = DRAWS) -> tuple[int, ...]:
    """The seeds the secrets "calibration 0", ... give this cell's check (purpose "train")."""
    return tuple(fixed_secret(f"calibration {i}", ASSIGNMENT_ID).seed(CHECKS[cell], "train") for i in range(draws))


def run_seed(cell: str, seed: int, data: dict, train_fn=None, *, perturb: float = 0.0) -> dict:
    """Train with `train_fn` (the reference's by default) at `seed` and measure the test accuracy
    with the grader's forward pass; perturb: the training series times 1 + perturb * N(0, 1)."""
    if train_fn is None:
        from reference.numpy.activity_recognition import train as train_fn
    X_train = perturbed(data["X_train"], perturb, seed=seed % 2**32)
    start = time.process_time()
    params, history = train_fn(X_train, data["y_train"], cell, SETTINGS["n_hidden"],
                               list(SETTINGS["dense_dims"]), len(data["labels"]), SETTINGS["lr"],
                               SETTINGS["momentum"], SETTINGS["epochs"], SETTINGS["batch_size"], seed)
    cpu = time.process_time() - start
    accuracy, confusion = evaluate(params, data, cell)
    return {"accuracy": accuracy, "confusion": confusion, "history": np.asarray(history, dtype=np.float64),
            "cpu_s": cpu}


def run(spec: str, draws: int = DRAWS, verbose: bool = True, variation_draws: int = VARIATION_DRAWS):
    data = grade_data(spec)
    variants = [(v, v.module(ASSIGNMENT_ID).train) for v in VARIATIONS]
    found, runs = {}, {}
    for cell in CELLS:
        results, variation = {}, {}
        seeds = calibration_seeds(cell, draws)
        for seed in seeds:
            results[seed] = r = run_seed(cell, seed, data)
            if verbose:
                print(f"{cell} seed {seed}: test accuracy {r['accuracy']:.3f} ({r['cpu_s']:.1f} s CPU)", flush=True)
        cpus = [r["cpu_s"] for r in results.values()]
        for v, train_fn in variants:
            variation[v.name] = {}
            for seed in seeds[:variation_draws]:
                r = run_seed(cell, seed, data, train_fn, perturb=v.perturb)
                variation[v.name][seed] = r["accuracy"]
                cpus.append(r["cpu_s"])
                if verbose:
                    print(f"  {cell}, {v.name}, seed {seed}: test accuracy {r['accuracy']:.3f}", flush=True)
        if verbose:
            print(f"{cell}: {cpu_summary(cpus)}")
            if max(cpus) > CPU_BUDGET_S:
                print(f"WARNING: {cell} took {max(cpus):.1f} s CPU > budget {CPU_BUDGET_S} s")
        found[CHECKS[cell]] = calibrate(METRIC, {s: r["accuracy"] for s, r in results.items()}, higher_is_better=True,
                                        margin=MARGIN, cpu_budget_s=CPU_BUDGET_S, settings=dict(SETTINGS),
                                        dataset=data["name"], variation=variation)
        runs[cell] = {
            "confusion": np.round(np.mean([r["confusion"] for r in results.values()], axis=0), 3).tolist(),
            "history": np.round(np.mean([r["history"] for r in results.values()], axis=0), 4).tolist(),
            "cpu_s": round(float(np.mean([r["cpu_s"] for r in results.values()])), 1),
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
    parser.add_argument("--variation-draws", type=int, default=VARIATION_DRAWS,
                        help="the first draws that are also run with each harmless variation")
    parser.add_argument("--write", action="store_true", help="rewrite the data set's table in thresholds.py")
    parser.add_argument("--mutants", action="store_true", help="also report the mutants (needs tests/)")
    args = parser.parse_args(argv)
    return one_blas_thread(_main, args)


def _main(args) -> int:
    name, found, runs = run(args.data, args.draws, variation_draws=args.variation_draws)
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
