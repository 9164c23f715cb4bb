"""Calibrate the trained-model bound of `sparse_autoencoder` on the reference solution.

    python -m graders.assignments.sparse_autoencoder.calibrate            # print the table
    python -m graders.assignments.sparse_autoencoder.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.sparse_autoencoder.calibrate --mutants  # and grade the mutants

The grader prepares 8x8 patches of the two scikit-learn sample photos with the reference
pipeline (`patch_data`), runs the submission's `train` with `SETTINGS` at seed
`grade_seed`, and measures the held-out cost J of the returned parameters with the
REFERENCE `cost` (so a wrong `cost` in the submission cannot flatter its own result).
This script does the same with the reference `train` over `SEEDS` and sets the bound to
the worst reference value times (1 + MARGIN).

For comparison it prints the held-out cost of the untrained network (`init_params`) and
of the "plateau" (every hidden unit at rho, no weights, X_hat = the mean training patch),
which a training loop that never gets going ends near.
"""

from __future__ import annotations

import functools
import pprint
import sys
from pathlib import Path

import numpy as np

from graders.engine.calibration import (cpu_summary, one_blas_thread, over_seeds, print_tables,
                                        report_mutants, script_arguments, timed, verdict,
                                        write_and_report)
from graders.engine.thresholds import Threshold, calibrate, rewrite_from, table_literal

from .thresholds import CHECK, METRIC, SETTINGS

SEEDS = tuple(range(10))
MARGIN = 0.05
CPU_BUDGET_S = 20.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


@functools.lru_cache(maxsize=4)
def _patch_data(items: tuple) -> tuple[np.ndarray, np.ndarray]:
    from dlgrade.data import load_sample_photos
    from reference.numpy import sparse_autoencoder as ref

    s = dict(items)
    gray = ref.to_grayscale(load_sample_photos())
    X_train = ref.normalize_patches(ref.sample_patches(gray, s["patch_size"], s["n_train"], s["train_patch_seed"]))
    X_test = ref.normalize_patches(ref.sample_patches(gray, s["patch_size"], s["n_test"], s["test_patch_seed"]))
    X_train.flags.writeable = False
    X_test.flags.writeable = False
    return X_train, X_test


def patch_data(settings: dict = SETTINGS) -> tuple[np.ndarray, np.ndarray]:
    """(X_train (n_train, p*p), X_test (n_test, p*p)): normalised patches, float64 in [0.1, 0.9]."""
    X_train, X_test = _patch_data(tuple(sorted(settings.items())))
    return X_train.copy(), X_test.copy()


def reference_cost(params: dict, X: np.ndarray, settings: dict = SETTINGS) -> float:
    """The reference `cost` (the value only) with the settings' rho, beta and lam."""
    from reference.numpy import sparse_autoencoder as ref

    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    with np.errstate(all="ignore"):
        J, _ = ref.cost(params, X, settings["rho"], settings["beta"], settings["lam"])
    return float(J)


def plateau_cost(settings: dict = SETTINGS) -> float:
    """Held-out cost of W = 0, every hidden unit at rho, X_hat = mean training patch."""
    X_train, X_test = patch_data(settings)
    mean = X_train.mean(axis=0)
    rho = settings["rho"]
    params = {"W": np.zeros((X_train.shape[1], settings["n_hidden"])),
              "b_h": np.full(settings["n_hidden"], np.log(rho / (1 - rho))),
              "b_v": np.log(mean / (1 - mean))}
    return reference_cost(params, X_test, settings)


def held_out_cost(train_fn, seed: int, settings: dict = SETTINGS) -> tuple[float, float, float]:
    """Train with `train_fn` (a contract `train`) and return
    (held-out cost, CPU seconds of training, held-out cost of the reference init at `seed`)."""
    from reference.numpy import sparse_autoencoder as ref

    X_train, X_test = patch_data(settings)
    (params, _history), cpu = timed(train_fn, X_train, settings["n_hidden"], settings["rho"],
                                    settings["beta"], settings["lam"], settings["lr"],
                                    settings["epochs"], seed)
    untrained = reference_cost(ref.init_params(X_train.shape[1], settings["n_hidden"], seed), X_test, settings)
    return reference_cost(params, X_test, settings), cpu, untrained


def run(seeds=SEEDS, margin: float = MARGIN, verbose: bool = True) -> tuple[dict[str, Threshold], dict]:
    """Retrain the reference over `seeds`; return (THRESHOLDS table, extra numbers)."""
    from reference.numpy import sparse_autoencoder as ref

    runs = over_seeds(seeds, lambda seed: held_out_cost(ref.train, seed),
                      lambda seed, r: f"seed {seed}: held-out cost {r[0]:.6f}  "
                                      f"(untrained {r[2]:.4f}; {r[1]:.2f} s CPU)", verbose=verbose)
    values = {seed: value for seed, (value, _, _) in runs.items()}
    untrained = [u for _, _, u in runs.values()]
    extra = {"untrained": float(np.mean(untrained)), "plateau": plateau_cost()}
    if verbose:
        print(f"reference training: {cpu_summary([cpu for _, cpu, _ in runs.values()])}")
        print(f"untrained network: held-out cost {extra['untrained']:.4f} on average "
              f"({min(untrained):.4f} .. {max(untrained):.4f})")
        print(f"plateau (all hidden units at rho, X_hat = mean patch): held-out cost {extra['plateau']:.6f}")
    threshold = calibrate(METRIC, values, higher_is_better=False, margin=margin,
                          cpu_budget_s=CPU_BUDGET_S, settings=SETTINGS, dataset="sample_photos",
                          grade_seed=0)
    return {CHECK: threshold}, extra


def render(thresholds: dict[str, Threshold], extra: dict) -> str:
    """thresholds.py with the table written as literals."""
    table = table_literal(thresholds, sources=lambda _, t: {"metric": "METRIC",
                                                            "settings": "dict(SETTINGS)"})
    constants = [f"UNTRAINED_COST = {round(extra['untrained'], 4)!r}",
                 f"PLATEAU_COST = {round(extra['plateau'], 6)!r}", "", table]
    return rewrite_from(THRESHOLDS_FILE.read_text(encoding="utf-8"), "UNTRAINED_COST = ",
                        "\n".join(constants))


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out cost at the grade seed of the mutants (needs the tests/ tree)."""
    bound = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            value, cpu, _ = held_out_cost(module.train, bound.grade_seed)
        return f"{value:10.6f} {verdict(bound, value)}  ({cpu:.2f} s CPU)"

    report_mutants("sparse_autoencoder", describe, names=names, width=50)


def main(argv=None) -> int:
    args = script_arguments(__doc__, margin=MARGIN).parse_args(argv)
    return one_blas_thread(_main, args)


def _main(args) -> int:
    thresholds, extra = run(margin=args.margin)
    print_tables(thresholds, pprint.pformat(SETTINGS, sort_dicts=False))
    return write_and_report(args, THRESHOLDS_FILE, lambda: render(thresholds, extra),
                            lambda names: mutant_report(thresholds, names))


if __name__ == "__main__":
    sys.exit(main())
