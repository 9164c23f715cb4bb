"""Calibrate the trained-model bound of `autoencoder_numpy` on the reference solution.

    python -m graders.assignments.autoencoder_numpy.calibrate            # print the table
    python -m graders.assignments.autoencoder_numpy.calibrate --write    # also rewrite thresholds.py

The grader trains the submission's `train` on a secret draw of the digits (scaled to
[0, 1]; `thresholds.graded_data`: secret held-out rows, the pixels in a secret order, a
secret seed) with `SETTINGS` and the learning-rate schedule `lr_schedule(SETTINGS)`, then
measures the held-out mean squared reconstruction error of the trained parameters with the
REFERENCE forward pass (so a wrong `forward` in the submission cannot flatter its own
result). This script does the same with the reference `train` over the calibration draws
`DRAWS` and, on the first `VARIATION_DRAWS` of them, with each harmless variation of the
reference in `VARIATIONS`; the bound is the worst of all those values times (1 + MARGIN).

For comparison it also prints the trivial baseline (predict every held-out image as the
per-pixel mean of the training images) and, with --mutants, the value reached by the
buggy and unusual submissions of graders/assignments/autoencoder_numpy/slips.py.
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
from graders.engine.thresholds import (Threshold, calibrate, quoted, rewrite_from, set_constant,
                                       table_literal)

from .thresholds import CHECK, METRIC, SETTINGS, graded_data, lr_schedule

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
MARGIN = 0.30
CPU_BUDGET_S = 20.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


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

    The MSE is measured with the reference forward pass on the trained parameters.
    """
    from reference.numpy import autoencoder_numpy as ref

    data = draw_data(draw)
    X_train, X_test = perturbed(data["X_train"], perturb), data["X_test"]
    (params, _history), cpu = timed(train_fn, X_train, settings["n_hidden"], settings["epochs"],
                                    settings["batch_size"], lr_schedule(settings), data["seed"])
    X_hat, _ = ref.forward({k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, X_test)
    return float(np.mean((X_hat - X_test) ** 2)), cpu


def run(draws=DRAWS, margin: float = MARGIN, verbose: bool = True,
        variation_draws: int = VARIATION_DRAWS) -> dict[str, Threshold]:
    """Retrain the reference over `draws` (and its variations over the first
    `variation_draws`) and build the THRESHOLDS table."""
    from reference.numpy import autoencoder_numpy as ref

    runs = over_seeds(draws, lambda draw: held_out_mse(ref.train, draw),
                      lambda draw, r: f"draw {draw}: held-out MSE {r[0]:.6f}  ({r[1]:.2f} s CPU)",
                      verbose=verbose)
    cpus = [cpu for _, cpu in runs.values()]
    variation = {}
    for v in VARIATIONS:
        train = v.module(ASSIGNMENT).train
        by_draw = over_seeds(draws[:variation_draws],
                             lambda draw: held_out_mse(train, draw, perturb=v.perturb),
                             lambda draw, r: f"  {v.name}, draw {draw}: {r[0]:.6f}", verbose=verbose)
        variation[v.name] = {draw: value for draw, (value, _) in by_draw.items()}
        cpus += [cpu for _, cpu in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus)}")
        print(f"baseline (per-pixel training mean): held-out MSE {baseline_mse(draws):.6f}")
    values = {draw: value for draw, (value, _) in runs.items()}
    threshold = calibrate(METRIC, values, higher_is_better=False, margin=margin,
                          cpu_budget_s=CPU_BUDGET_S, settings=SETTINGS, dataset="digits",
                          grade_seed=0, variation=variation)
    return {CHECK: threshold}


def render(thresholds: dict[str, Threshold], baseline: float) -> str:
    """thresholds.py with the table (and the baseline) written as literals."""
    source = set_constant(THRESHOLDS_FILE.read_text(encoding="utf-8"), "BASELINE_MSE", baseline)
    table = table_literal(thresholds, key=quoted, values="per_seed", sources=lambda _, t: {
        "metric": "METRIC", "settings": "dict(SETTINGS)", "dataset": quoted(t.dataset)})
    return rewrite_from(source, "THRESHOLDS = {", table)


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out MSE of the mutants at calibration draw 0 (needs the tests/ tree)."""
    bound = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            value, cpu = held_out_mse(module.train, 0)
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
