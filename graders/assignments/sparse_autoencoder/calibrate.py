"""Calibrate the trained-model bound of `sparse_autoencoder` on the reference solution.

    python -m graders.assignments.sparse_autoencoder.calibrate            # print the table
    python -m graders.assignments.sparse_autoencoder.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.sparse_autoencoder.calibrate --mutants  # and grade the mutants

The grader prepares 8x8 patches of the two scikit-learn sample photos with the reference
pipeline on a draw made from the course secret (`thresholds.graded_data`: secret patch
samples, pixel order and seed), runs the submission's `train` with `SETTINGS`, and
measures the held-out cost J of the returned parameters with the REFERENCE `cost` (so a
wrong `cost` in the submission cannot flatter its own result). This script does the same
with the reference `train` over the calibration draws `DRAWS` and, on the first
`VARIATION_DRAWS` of them, with each harmless variation in `VARIATIONS`; the bound is the
worst of all those values times (1 + MARGIN).

For comparison it prints the held-out cost of the untrained network (`init_params`) and
of the "plateau" (every hidden unit at rho, no weights, X_hat = the mean training patch),
which a training loop that never gets going ends near.
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

import numpy as np

from graders.tooling.calibration import (Variation, calibration_secret, cpu_summary,
                                        one_blas_thread, over_seeds, perturbed, print_tables,
                                        report_mutants, script_arguments, timed, verdict,
                                        write_and_report)
from graders.engine.thresholds import Threshold, calibrate, rewrite_from, table_literal

from .thresholds import CHECK, METRIC, SETTINGS, graded_data

ASSIGNMENT = "sparse_autoencoder"
DRAWS = tuple(range(10))
VARIATION_DRAWS = 5
VARIATIONS = (
    Variation("the tied-weight gradient's terms added as dW_enc + (dW_dec + lam W) (a re-associated sum)",
              edits=(("dW = dW_enc + dW_dec + lam * W", "dW = dW_enc + (dW_dec + lam * W)"),)),
    Variation("the training patches perturbed by 1e-12 relative", perturb=1e-12),
    Variation("Adam's step computed as m_hat * (lr / (sqrt(v_hat) + eps)) (another update order)",
              edits=(("params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)",
                      "params[k] = params[k] - m_hat * (lr / (np.sqrt(v_hat) + eps))"),)),
)
MARGIN = 0.05
CPU_BUDGET_S = 20.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


def patch_data(draw: int = 0, settings: dict = SETTINGS) -> tuple[np.ndarray, np.ndarray]:
    """(X_train (n_train, p*p), X_test (n_test, p*p)) of calibration draw `draw`: normalised
    patches, float64 in [0.1, 0.9], the pixels in the draw's order."""
    data = graded_data(calibration_secret(ASSIGNMENT, draw), settings)
    return data["X_train"], data["X_test"]


def reference_cost(params: dict, X: np.ndarray, settings: dict = SETTINGS) -> float:
    """The reference `cost` (the value only) with the settings' rho, beta and lam."""
    from reference.numpy import sparse_autoencoder as ref

    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    with np.errstate(all="ignore"):
        J, _ = ref.cost(params, X, settings["rho"], settings["beta"], settings["lam"])
    return float(J)


def plateau_cost(draw: int = 0, settings: dict = SETTINGS) -> float:
    """Held-out cost of W = 0, every hidden unit at rho, X_hat = mean training patch."""
    X_train, X_test = patch_data(draw, settings)
    mean = X_train.mean(axis=0)
    rho = settings["rho"]
    params = {"W": np.zeros((X_train.shape[1], settings["n_hidden"])),
              "b_h": np.full(settings["n_hidden"], np.log(rho / (1 - rho))),
              "b_v": np.log(mean / (1 - mean))}
    return reference_cost(params, X_test, settings)


def held_out_cost(train_fn, draw: int, settings: dict = SETTINGS, *,
                  perturb: float = 0.0) -> tuple[float, float, float]:
    """Train with `train_fn` (a contract `train`) on calibration draw `draw` and return
    (held-out cost, CPU seconds of training, held-out cost of the reference init at the
    draw's seed); perturb: the training patches times 1 + perturb * N(0, 1)."""
    from reference.numpy import sparse_autoencoder as ref

    data = graded_data(calibration_secret(ASSIGNMENT, draw), settings)
    X_train, X_test, seed = perturbed(data["X_train"], perturb), data["X_test"], data["seed"]
    (params, _history), cpu = timed(train_fn, X_train, settings["n_hidden"], settings["rho"],
                                    settings["beta"], settings["lam"], settings["lr"],
                                    settings["epochs"], seed)
    untrained = reference_cost(ref.init_params(X_train.shape[1], settings["n_hidden"], seed), X_test, settings)
    return reference_cost(params, X_test, settings), cpu, untrained


def run(draws=DRAWS, margin: float = MARGIN, verbose: bool = True,
        variation_draws: int = VARIATION_DRAWS) -> tuple[dict[str, Threshold], dict]:
    """Retrain the reference over `draws` (and its variations over the first
    `variation_draws`); return (THRESHOLDS table, extra numbers)."""
    from reference.numpy import sparse_autoencoder as ref

    runs = over_seeds(draws, lambda draw: held_out_cost(ref.train, draw),
                      lambda draw, r: f"draw {draw}: held-out cost {r[0]:.6f}  "
                                      f"(untrained {r[2]:.4f}; {r[1]:.2f} s CPU)", verbose=verbose)
    values = {draw: value for draw, (value, _, _) in runs.items()}
    untrained = [u for _, _, u in runs.values()]
    cpus = [cpu for _, cpu, _ in runs.values()]
    variation = {}
    for v in VARIATIONS:
        train = v.module(ASSIGNMENT).train
        by_draw = over_seeds(draws[:variation_draws],
                             lambda draw: held_out_cost(train, draw, perturb=v.perturb),
                             lambda draw, r: f"  {v.name}, draw {draw}: {r[0]:.6f}", verbose=verbose)
        variation[v.name] = {draw: value for draw, (value, _, _) in by_draw.items()}
        cpus += [cpu for _, cpu, _ in by_draw.values()]
    extra = {"untrained": float(np.mean(untrained)),
             "plateau": float(np.mean([plateau_cost(draw) for draw in draws]))}
    if verbose:
        print(f"reference training: {cpu_summary(cpus)}")
        print(f"untrained network: held-out cost {extra['untrained']:.4f} on average "
              f"({min(untrained):.4f} .. {max(untrained):.4f})")
        print(f"plateau (all hidden units at rho, X_hat = mean patch): held-out cost {extra['plateau']:.6f}")
    threshold = calibrate(METRIC, values, higher_is_better=False, margin=margin,
                          cpu_budget_s=CPU_BUDGET_S, settings=SETTINGS, dataset="sample_photos",
                          grade_seed=0, variation=variation)
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
    """Held-out cost of the mutants at calibration draw 0 (needs the tests/ tree)."""
    bound = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            value, cpu, _ = held_out_cost(module.train, 0)
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
