"""Calibrate the trained-model bound of `autoencoder_numpy` on the reference solution.

    dlgrade calibrate autoencoder_numpy              # print the table
    dlgrade calibrate autoencoder_numpy --write      # also write thresholds.json
    dlgrade calibrate autoencoder_numpy --mutants    # and how the known slips fare

The grader trains the submission's `train` on a secret draw of the digits (scaled to
[0, 1]; `thresholds.graded_data`: secret held-out rows, the pixels in a secret order, a
secret seed) with `SETTINGS` and the learning-rate schedule `lr_schedule(SETTINGS)`, then
measures the held-out mean squared reconstruction error of the trained parameters with the
contract's forward pass, in the grader's process (so a wrong `forward` in the submission cannot flatter its own
result). This script does the same with the reference `train` over the calibration draws
`DRAWS` and, on the first `VARIATION_DRAWS` of them, with each harmless variation of the
reference in `VARIATIONS`; the bound is the worst of all those values times (1 + the declared
margin).

For comparison it also prints the trivial baseline (predict every held-out image as the
per-pixel mean of the training images: thresholds.BASELINE_MSE) and, with --mutants, the
value reached by the buggy and unusual submissions of graders/assignments/autoencoder_numpy/slips.py.
"""

from __future__ import annotations

import sys

import numpy as np

from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (Variation, calibrate_declared, calibration_secret, cpu_summary,
                                         one_blas_thread, over_seeds, perturbed, report_mutants as report,
                                         timed, verdict)

from .thresholds import CHECK, SETTINGS, graded_data, lr_schedule

ASSIGNMENT = "autoencoder_numpy"
DRAWS = tuple(range(10))
VARIATION_DRAWS = 5
VARIATIONS = (
    Variation("the bias gradients summed over the rows in reverse order (a re-associated sum)",
              edits=(("db2 = dZ2.sum(axis=0)", "db2 = dZ2[::-1].sum(axis=0)"),
                     ("db1 = dZ1.sum(axis=0)", "db1 = dZ1[::-1].sum(axis=0)"))),
    Variation("the training inputs perturbed by 1e-12 relative", perturb=1e-12),
    Variation("Adagrad's step computed as g * (lr / (sqrt(G) + eps)) (another update order)",
              edits=(("params[k] -= lr * g / (np.sqrt(state[k]) + eps)",
                      "params[k] -= g * (lr / (np.sqrt(state[k]) + eps))"),)),
)


def draw_data(draw: int) -> dict:
    """The graded data of calibration draw `draw` (see thresholds.graded_data)."""
    return graded_data(calibration_secret(ASSIGNMENT, draw))


def baseline_mse(draws=DRAWS) -> float:
    """Held-out MSE of predicting every image as the per-pixel mean of the training images
    (mean over the draws)."""
    values = []
    for draw in draws:
        data = draw_data(draw)
        values.append(float(np.mean((data["X_test"] - data["X_train"].mean(axis=0)) ** 2)))
    return float(np.mean(values))


def held_out_mse(train_fn, draw: int, settings: dict = SETTINGS, *,
                 perturb: float = 0.0) -> tuple[float, float]:
    """Train with `train_fn` (a contract `train`) on calibration draw `draw` and return
    (held-out MSE, CPU seconds); perturb: the training inputs times 1 + perturb * N(0, 1).

    The MSE is measured with the contract's forward pass on the trained parameters, as the
    check measures it (problems.reconstruction_mse).
    """
    from graders.assignments.autoencoder_numpy.problems import reconstruction_mse

    data = draw_data(draw)
    X_train, X_test = perturbed(data["X_train"], perturb), data["X_test"]
    (params, _history), cpu = timed(train_fn, X_train, settings["n_hidden"], settings["epochs"],
                                    settings["batch_size"], lr_schedule(settings), data["seed"])
    return reconstruction_mse(params, X_test), cpu


def calibrate(checks, dataset_spec=None, n_draws: int | None = None, verbose: bool = True,
              variation_draws: int = VARIATION_DRAWS) -> dict[str, Threshold]:
    """Retrain the reference over the draws (and its variations over the first
    `variation_draws`) with the declared settings; {check key: Threshold}."""
    return one_blas_thread(_calibrate, list(checks), tuple(range(n_draws)) if n_draws else DRAWS, verbose,
                           variation_draws)


def _calibrate(checks, draws, verbose, variation_draws) -> dict[str, Threshold]:
    from reference.numpy import autoencoder_numpy as ref

    (check,) = checks
    settings = check.settings["digits"]
    runs = over_seeds(draws, lambda draw: held_out_mse(ref.train, draw, settings),
                      lambda draw, r: f"draw {draw}: held-out MSE {r[0]:.6f}  ({r[1]:.2f} s CPU)",
                      verbose=verbose)
    cpus = [cpu for _, cpu in runs.values()]
    variation = {}
    for v in VARIATIONS:
        train = v.module(ASSIGNMENT).train
        by_draw = over_seeds(draws[:variation_draws],
                             lambda draw: held_out_mse(train, draw, settings, perturb=v.perturb),
                             lambda draw, r: f"  {v.name}, draw {draw}: {r[0]:.6f}", verbose=verbose)
        variation[v.name] = {draw: value for draw, (value, _) in by_draw.items()}
        cpus += [cpu for _, cpu in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus)}")
        print(f"baseline (per-pixel training mean): held-out MSE {baseline_mse(draws):.6f} (thresholds.BASELINE_MSE)")
    values = {draw: value for draw, (value, _) in runs.items()}
    return {CHECK: calibrate_declared(check, values, cpus, "digits", variation=variation, verbose=verbose)}


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out MSE of the mutants at calibration draw 0."""
    bound = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            value, cpu = held_out_mse(module.train, 0)
        return f"{value:10.6f} {verdict(bound, value)}  ({cpu:.2f} s CPU)"

    report(ASSIGNMENT, describe, names=names, width=45)


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT))
