"""Calibrate the trained-model bounds of `activity_recognition` on the reference solution.

    dlgrade calibrate activity_recognition                               # print the table
    dlgrade calibrate activity_recognition --write                       # write thresholds.json
    dlgrade calibrate activity_recognition --dataset ts:PREFIX --write
    dlgrade calibrate activity_recognition --mutants                     # and the mutants

For each cell, trains the reference `train` with the declared settings at the seed that each of the
secrets "calibration 0" ... "calibration N-1" gives the check (as a grade draws its seed
from the course secret), measures the test accuracy with the grader's own forward pass,
and does the same at each of those seeds with each harmless variation of the reference in
`VARIATIONS` (correct programs whose arithmetic differs from the reference's only in
rounding); bound = worst accuracy of them all * (1 - the declared margin). When the bounds
are written, also records the reference's mean confusion matrix and loss history
(reference_runs.json, the reference's own draws) for the feedback's pictures.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from graders.engine.secret import fixed_secret
from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (Variation, calibrate_declared, cpu_summary, one_blas_thread, perturbed,
                                         report_mutants as report)

from . import thresholds as table
from .thresholds import CELLS, CHECKS, SETTINGS, evaluate, grade_data

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


def calibration_seeds(cell: str, draws: int = DRAWS) -> tuple[int, ...]:
    """The seeds the secrets "calibration 0", ... give this cell's check (purpose "train")."""
    return tuple(fixed_secret(f"calibration {i}", ASSIGNMENT_ID).seed(CHECKS[cell], "train") for i in range(draws))


def run_seed(cell: str, seed: int, data: dict, train_fn=None, *, perturb: float = 0.0,
             settings: dict = SETTINGS) -> dict:
    """Train with `train_fn` (the reference's by default) at `seed` and measure the test accuracy
    with the grader's forward pass; perturb: the training series times 1 + perturb * N(0, 1)."""
    if train_fn is None:
        from reference.numpy.activity_recognition import train as train_fn
    s = settings
    X_train = perturbed(data["X_train"], perturb, seed=seed % 2**32)
    start = time.process_time()
    params, history = train_fn(X_train, data["y_train"], cell, s["n_hidden"], list(s["dense_dims"]),
                               len(data["labels"]), s["lr"], s["momentum"], s["epochs"], s["batch_size"], seed)
    cpu = time.process_time() - start
    accuracy, confusion = evaluate(params, data, cell)
    return {"accuracy": accuracy, "confusion": confusion, "history": np.asarray(history, dtype=np.float64),
            "cpu_s": cpu}


def calibrate(checks, dataset_spec: str | None = None, n_draws: int | None = None, verbose: bool = True,
              write_to: Path | None = None) -> dict[str, Threshold]:
    """{check key: Threshold} of the declared `checks` (one a cell) on `dataset_spec` (BasicMotions by
    default) over `n_draws` seeds and the harmless variations; with `write_to`, the reference's runs
    of this data set go into write_to/reference_runs.json."""
    spec = dataset_spec or table.DEFAULT_DATA
    found, runs = one_blas_thread(_calibrate, list(checks), spec, n_draws or DRAWS, verbose)
    if write_to is not None:
        path = Path(write_to) / table.REFERENCE_RUNS_PATH.name
        before = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        path.write_text(runs_json({**before, grade_data(spec)["name"]: runs}), encoding="utf-8")
    return found


def _calibrate(checks, spec: str, draws: int, verbose: bool):
    data = grade_data(spec)
    variants = [(v, v.module(ASSIGNMENT_ID).train) for v in VARIATIONS]
    cells = {check.key: cell for cell, check in zip(CELLS, table.TRAINED_CHECKS)}
    found, runs = {}, {}
    for check in checks:
        cell, settings = cells[check.key], check.settings_for(data["name"])
        results, variation = {}, {}
        seeds = calibration_seeds(cell, draws)
        for seed in seeds:
            results[seed] = r = run_seed(cell, seed, data, settings=settings)
            if verbose:
                print(f"{cell} seed {seed}: test accuracy {r['accuracy']:.3f} ({r['cpu_s']:.1f} s CPU)", flush=True)
        cpus = [r["cpu_s"] for r in results.values()]
        for v, train_fn in variants:
            variation[v.name] = {}
            for seed in seeds[:VARIATION_DRAWS]:
                r = run_seed(cell, seed, data, train_fn, perturb=v.perturb, settings=settings)
                variation[v.name][seed] = r["accuracy"]
                cpus.append(r["cpu_s"])
                if verbose:
                    print(f"  {cell}, {v.name}, seed {seed}: test accuracy {r['accuracy']:.3f}", flush=True)
        if verbose:
            print(f"{cell}: {cpu_summary(cpus)}")
        found[check.key] = calibrate_declared(check, {s: r["accuracy"] for s, r in results.items()}, cpus,
                                              data["name"], variation=variation, verbose=verbose)
        runs[cell] = {
            "confusion": np.round(np.mean([r["confusion"] for r in results.values()], axis=0), 3).tolist(),
            "history": np.round(np.mean([r["history"] for r in results.values()], axis=0), 4).tolist(),
            "cpu_s": round(float(np.mean([r["cpu_s"] for r in results.values()])), 1),
        }
    return found, runs


def runs_json(runs: dict) -> str:
    """JSON of the reference runs, each list of numbers on one line."""
    text = json.dumps(runs, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """Test accuracy of each mutant at the first calibration seed of each cell, on the bounds' data set."""
    data = grade_data(table.DEFAULT_DATA)

    def describe(module) -> str:
        parts = []
        for cell in CELLS:
            if CHECKS[cell] not in thresholds:
                continue
            seed = calibration_seeds(cell, 1)[0]
            try:
                with np.errstate(all="ignore"):
                    r = run_seed(cell, seed, data, train_fn=module.train)
                ok = thresholds[CHECKS[cell]].passes(r["accuracy"])
                parts.append(f"{cell} {r['accuracy']:.3f} {'pass' if ok else 'FAIL'}")
            except Exception as exc:  # a mutant may crash: that is a result too
                parts.append(f"{cell} raised {type(exc).__name__}")
        return "; ".join(parts)

    report(ASSIGNMENT_ID, describe, names=names, width=50, slow=True)


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT_ID))
