"""Calibrate the trained-model bound of `autoencoder_numpy` on the reference solution.

    python -m graders.assignments.autoencoder_numpy.calibrate            # print the table
    python -m graders.assignments.autoencoder_numpy.calibrate --write    # also rewrite thresholds.py

The grader trains the submission's `train` on the training split of scikit-learn's
digits (scaled to [0, 1]; `split_train_test(1797, 0.2, seed=0)`) with `SETTINGS` and the
learning-rate schedule `lr_schedule(SETTINGS)`, at seed `grade_seed`, then measures the
held-out mean squared reconstruction error of the trained parameters with the
REFERENCE forward pass (so a wrong `forward` in the submission cannot flatter its own
result). This script does the same with the reference `train` over `SEEDS` and sets
the bound to the worst reference value times (1 + MARGIN).

For comparison it also prints the trivial baseline (predict every held-out image as the
per-pixel mean of the training images) and, with --mutants, the value reached by the
buggy and unusual submissions of tests/mutants/autoencoder_numpy.py.
"""

from __future__ import annotations

import argparse
import pprint
import re
import sys
import time
from pathlib import Path

import numpy as np

from dlgrade.data import load_digits, split_train_test
from graders.engine.thresholds import Threshold, calibrate, format_table

from .thresholds import CHECK, METRIC, SETTINGS, lr_schedule

SEEDS = tuple(range(10))
MARGIN = 0.30
CPU_BUDGET_S = 20.0


def digits_split() -> tuple[np.ndarray, np.ndarray]:
    """(X_train (1438, 64), X_test (359, 64)), float64 in [0, 1]."""
    X, _ = load_digits()
    train_idx, test_idx = split_train_test(len(X), 0.2, seed=0)
    return X[train_idx], X[test_idx]


def baseline_mse() -> float:
    """Held-out MSE of predicting every image as the per-pixel mean of the training images."""
    X_train, X_test = digits_split()
    return float(np.mean((X_test - X_train.mean(axis=0)) ** 2))


def held_out_mse(train_fn, seed: int, settings: dict = SETTINGS) -> tuple[float, float]:
    """Train with `train_fn` (a contract `train`) and return (held-out MSE, CPU seconds).

    The MSE is measured with the reference forward pass on the trained parameters.
    """
    from reference.numpy import autoencoder_numpy as ref

    X_train, X_test = digits_split()
    start = time.process_time()
    params, _history = train_fn(
        X_train,
        settings["n_hidden"],
        settings["epochs"],
        settings["batch_size"],
        lr_schedule(settings),
        seed,
    )
    cpu = time.process_time() - start
    X_hat, _ = ref.forward({k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, X_test)
    return float(np.mean((X_hat - X_test) ** 2)), cpu


def run(seeds=SEEDS, margin: float = MARGIN, verbose: bool = True) -> dict[str, Threshold]:
    """Retrain the reference over `seeds` and build the THRESHOLDS table."""
    from reference.numpy import autoencoder_numpy as ref

    values, cpus = {}, []
    for seed in seeds:
        values[seed], cpu = held_out_mse(ref.train, seed)
        cpus.append(cpu)
        if verbose:
            print(f"seed {seed}: held-out MSE {values[seed]:.6f}  ({cpu:.2f} s CPU)")
    if verbose:
        print(f"reference training: {np.mean(cpus):.2f} s CPU on average, {max(cpus):.2f} s at most")
        print(f"baseline (per-pixel training mean): held-out MSE {baseline_mse():.6f}")
    threshold = calibrate(
        METRIC,
        values,
        higher_is_better=False,
        margin=margin,
        cpu_budget_s=CPU_BUDGET_S,
        settings=SETTINGS,
        dataset="digits",
        grade_seed=0,
    )
    return {CHECK: threshold}


def render(thresholds: dict[str, Threshold], baseline: float) -> str:
    """thresholds.py with the table (and the baseline) written as literals."""
    source = Path(__file__).with_name("thresholds.py").read_text(encoding="utf-8")
    head, _, _ = source.partition("THRESHOLDS = {")
    head = re.sub(r"(?m)^BASELINE_MSE = .*$", f"BASELINE_MSE = {baseline!r}", head)
    body = ["THRESHOLDS = {"]
    for name, t in thresholds.items():
        body.append(f"    {name!r}: Threshold(".replace("'", '"'))
        body.append("        metric=METRIC,")
        body.append(f"        bound={t.bound!r},")
        body.append(f"        higher_is_better={t.higher_is_better!r},")
        body.append("        reference_values=(")
        body += [f"            {v!r},  # seed {s}" for s, v in zip(t.seeds, t.reference_values)]
        body.append("        ),")
        body.append(f"        seeds={t.seeds!r},")
        body.append(f"        margin={t.margin!r},")
        body.append(f"        cpu_budget_s={t.cpu_budget_s!r},")
        body.append(f"        grade_seed={t.grade_seed!r},")
        body.append("        settings=dict(SETTINGS),")
        body.append(f'        dataset="{t.dataset}",')
        body.append("    ),")
    body.append("}")
    return head + "\n".join(body) + "\n"


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out MSE at the grade seed of the mutants (needs the tests/ tree)."""
    from tests.mutants import load_module_from_source, reference_path
    from tests.mutants.autoencoder_numpy import MUTANTS, UNUSUAL

    source = reference_path("autoencoder_numpy").read_text(encoding="utf-8")
    bound = thresholds[CHECK]
    for kind, mutants in (("MUTANT", MUTANTS), ("UNUSUAL", UNUSUAL)):
        for m in mutants:
            if names and m.name not in names:
                continue
            mod = load_module_from_source(m.apply(source), m.name)
            try:
                with np.errstate(all="ignore"):
                    value, cpu = held_out_mse(mod.train, bound.grade_seed)
                verdict = "pass" if bound.passes(value) else "FAIL"
                print(f"{kind:8s} {m.name:45s} {value:10.6f} {verdict}  ({cpu:.2f} s CPU)")
            except Exception as exc:
                print(f"{kind:8s} {m.name:45s} raised {type(exc).__name__}: {exc}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    parser.add_argument("--margin", type=float, default=MARGIN)
    parser.add_argument("--mutants", nargs="*", default=None,
                        help="also report the mutants (all, or those named)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1):  # one BLAS thread: polite on a shared machine, comparable CPU times
        return _main(args)


def _main(args) -> int:
    thresholds = run(margin=args.margin)
    print()
    print(format_table(thresholds))
    print()
    pprint.pprint(SETTINGS, sort_dicts=False)
    if args.write:
        path = Path(__file__).with_name("thresholds.py")
        path.write_text(render(thresholds, baseline_mse()), encoding="utf-8")
        print(f"wrote {path}")
    if args.mutants is not None:
        print()
        mutant_report(thresholds, args.mutants or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
