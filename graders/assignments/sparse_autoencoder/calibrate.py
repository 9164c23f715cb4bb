"""Calibrate the trained-model bound of `sparse_autoencoder` on the reference solution.

    dlgrade calibrate sparse_autoencoder              # print the table
    dlgrade calibrate sparse_autoencoder --write      # also write thresholds.json
    dlgrade calibrate sparse_autoencoder --mutants    # and grade the mutants

The grader prepares 8x8 patches of the two scikit-learn sample photos with the reference
pipeline on a draw made from the course secret (`thresholds.graded_data`: secret patch
samples, pixel order and seed), runs the submission's `train` with `SETTINGS`, and
measures the held-out cost J of the returned parameters with the REFERENCE `cost` (so a
wrong `cost` in the submission cannot flatter its own result). This script does the same
with the reference `train` over the calibration draws `DRAWS` and, on the first
`VARIATION_DRAWS` of them, with each harmless variation in `VARIATIONS`; the bound is the
worst of all those values times (1 + the declared margin).

For comparison it prints the held-out cost of the untrained network (`init_params`) and
of the "plateau" (every hidden unit at rho, no weights, X_hat = the mean training patch),
which a training loop that never gets going ends near (thresholds.UNTRAINED_COST and
PLATEAU_COST hold them).
"""

from __future__ import annotations

import sys

import numpy as np

from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (Variation, calibrate_declared, calibration_secret, cpu_summary,
                                         one_blas_thread, over_seeds, perturbed, report_mutants as report,
                                         timed, verdict)

from .thresholds import CHECK, SETTINGS, graded_data, heldout_cost

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


def patch_data(draw: int = 0, settings: dict = SETTINGS) -> tuple[np.ndarray, np.ndarray]:
    """(X_train (n_train, p*p), X_test (n_test, p*p)) of calibration draw `draw`: normalised
    patches, float64 in [0.1, 0.9], the pixels in the draw's order."""
    data = graded_data(calibration_secret(ASSIGNMENT, draw), settings)
    return data["X_train"], data["X_test"]


def plateau_cost(draw: int = 0, settings: dict = SETTINGS) -> float:
    """Held-out cost of W = 0, every hidden unit at rho, X_hat = mean training patch."""
    X_train, X_test = patch_data(draw, settings)
    mean = X_train.mean(axis=0)
    rho = settings["rho"]
    params = {"W": np.zeros((X_train.shape[1], settings["n_hidden"])),
              "b_h": np.full(settings["n_hidden"], np.log(rho / (1 - rho))),
              "b_v": np.log(mean / (1 - mean))}
    return heldout_cost(params, X_test, settings)


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
    untrained = heldout_cost(ref.init_params(X_train.shape[1], settings["n_hidden"], seed), X_test, settings)
    return heldout_cost(params, X_test, settings), cpu, untrained


def calibrate(checks, dataset_spec=None, n_draws: int | None = None, verbose: bool = True,
              variation_draws: int = VARIATION_DRAWS) -> dict[str, Threshold]:
    """Retrain the reference over the draws (and its variations over the first
    `variation_draws`) with the declared settings; {check key: Threshold}."""
    return one_blas_thread(_calibrate, list(checks), tuple(range(n_draws)) if n_draws else DRAWS, verbose,
                           variation_draws)


def _calibrate(checks, draws, verbose, variation_draws) -> dict[str, Threshold]:
    from reference.numpy import sparse_autoencoder as ref

    (check,) = checks
    settings = check.settings["sample_photos"]
    runs = over_seeds(draws, lambda draw: held_out_cost(ref.train, draw, settings),
                      lambda draw, r: f"draw {draw}: held-out cost {r[0]:.6f}  "
                                      f"(untrained {r[2]:.4f}; {r[1]:.2f} s CPU)", verbose=verbose)
    values = {draw: value for draw, (value, _, _) in runs.items()}
    untrained = [u for _, _, u in runs.values()]
    cpus = [cpu for _, cpu, _ in runs.values()]
    variation = {}
    for v in VARIATIONS:
        train = v.module(ASSIGNMENT).train
        by_draw = over_seeds(draws[:variation_draws],
                             lambda draw: held_out_cost(train, draw, settings, perturb=v.perturb),
                             lambda draw, r: f"  {v.name}, draw {draw}: {r[0]:.6f}", verbose=verbose)
        variation[v.name] = {draw: value for draw, (value, _, _) in by_draw.items()}
        cpus += [cpu for _, cpu, _ in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus)}")
        print(f"untrained network: held-out cost {np.mean(untrained):.4f} on average "
              f"({min(untrained):.4f} .. {max(untrained):.4f}) (thresholds.UNTRAINED_COST)")
        plateau = float(np.mean([plateau_cost(draw, settings) for draw in draws]))
        print(f"plateau (all hidden units at rho, X_hat = mean patch): held-out cost {plateau:.6f} "
              "(thresholds.PLATEAU_COST)")
    return {CHECK: calibrate_declared(check, values, cpus, "sample_photos", variation=variation, verbose=verbose)}


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out cost of the mutants at calibration draw 0."""
    bound = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            value, cpu, _ = held_out_cost(module.train, 0)
        return f"{value:10.6f} {verdict(bound, value)}  ({cpu:.2f} s CPU)"

    report(ASSIGNMENT, describe, names=names, width=50)


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT))
