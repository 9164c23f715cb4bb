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

import pprint
import sys
from pathlib import Path

import numpy as np

from dlgrade.data import load_digits, split_train_test
from graders.engine.calibration import (cpu_summary, one_blas_thread, over_seeds, print_tables,
                                        report_mutants, script_arguments, timed, verdict,
                                        write_and_report)
from graders.engine.thresholds import (Threshold, calibrate, quoted, rewrite_from, set_constant,
                                       table_literal)

from .thresholds import CHECK, METRIC, SETTINGS, lr_schedule

SEEDS = tuple(range(10))
MARGIN = 0.30
CPU_BUDGET_S = 20.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


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
    (params, _history), cpu = timed(train_fn, X_train, settings["n_hidden"], settings["epochs"],
                                    settings["batch_size"], lr_schedule(settings), seed)
    X_hat, _ = ref.forward({k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, X_test)
    return float(np.mean((X_hat - X_test) ** 2)), cpu


def run(seeds=SEEDS, margin: float = MARGIN, verbose: bool = True) -> dict[str, Threshold]:
    """Retrain the reference over `seeds` and build the THRESHOLDS table."""
    from reference.numpy import autoencoder_numpy as ref

    runs = over_seeds(seeds, lambda seed: held_out_mse(ref.train, seed),
                      lambda seed, r: f"seed {seed}: held-out MSE {r[0]:.6f}  ({r[1]:.2f} s CPU)",
                      verbose=verbose)
    if verbose:
        print(f"reference training: {cpu_summary([cpu for _, cpu in runs.values()])}")
        print(f"baseline (per-pixel training mean): held-out MSE {baseline_mse():.6f}")
    values = {seed: value for seed, (value, _) in runs.items()}
    threshold = calibrate(METRIC, values, higher_is_better=False, margin=margin,
                          cpu_budget_s=CPU_BUDGET_S, settings=SETTINGS, dataset="digits",
                          grade_seed=0)
    return {CHECK: threshold}


def render(thresholds: dict[str, Threshold], baseline: float) -> str:
    """thresholds.py with the table (and the baseline) written as literals."""
    source = set_constant(THRESHOLDS_FILE.read_text(encoding="utf-8"), "BASELINE_MSE", baseline)
    table = table_literal(thresholds, key=quoted, values="per_seed", sources=lambda _, t: {
        "metric": "METRIC", "settings": "dict(SETTINGS)", "dataset": quoted(t.dataset)})
    return rewrite_from(source, "THRESHOLDS = {", table)


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out MSE at the grade seed of the mutants (needs the tests/ tree)."""
    bound = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            value, cpu = held_out_mse(module.train, bound.grade_seed)
        return f"{value:10.6f} {verdict(bound, value)}  ({cpu:.2f} s CPU)"

    report_mutants("autoencoder_numpy", describe, names=names, width=45)


def main(argv=None) -> int:
    args = script_arguments(__doc__, margin=MARGIN).parse_args(argv)
    return one_blas_thread(_main, args)


def _main(args) -> int:
    thresholds = run(margin=args.margin)
    print_tables(thresholds, pprint.pformat(SETTINGS, sort_dicts=False))
    return write_and_report(args, THRESHOLDS_FILE, lambda: render(thresholds, baseline_mse()),
                            lambda names: mutant_report(thresholds, names))


if __name__ == "__main__":
    sys.exit(main())
