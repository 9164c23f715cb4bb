"""Calibrate the trained-model bound of `char_rnn_numpy` on the reference solution.

    dlgrade calibrate char_rnn_numpy              # print the table
    dlgrade calibrate char_rnn_numpy --write      # also write thresholds.json
    dlgrade calibrate char_rnn_numpy --mutants    # and the mutants' errors

Trains the reference `train` with `SETTINGS` on the graded text of each calibration draw
in `DRAWS` (`thresholds.graded_text`: the Faust excerpt's verses in a secret order, rotated
to a secret start, and a secret seed) and counts the character errors of the greedy
regeneration (`thresholds.regeneration_errors`); on the first `VARIATION_DRAWS` draws it
does the same with each harmless variation of the reference in `VARIATIONS`.

The bound is ABSOLUTE, not relative: the reference reaches 1 error on (nearly) every
draw (the last character of the text is never a training target under min-char-rnn's
data-pointer rule, so it cannot be learnt), and a relative margin on 1 would leave no
room at all. The bound is the worst reference value (variations included) plus the declared
slack (9 characters); the `margin` field of the record is the same slack expressed relative to
the worst value (bound = worst * (1 + margin)).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (Variation, calibrate_declared, calibration_secret, cpu_summary,
                                         one_blas_thread, over_seeds, report_mutants as report, verdict)

from .thresholds import CHECK, SETTINGS, graded_text, regenerate, regeneration_errors

ASSIGNMENT = "char_rnn_numpy"
DRAWS = tuple(range(5))
VARIATION_DRAWS = 1
VARIATIONS = (
    Variation("the pre-activation summed as Wxh[x] + (h Whh + bh) (a re-associated sum)",
              edits=(("hs[t] = np.tanh(Wxh[inputs[t]] + hs[t - 1] @ Whh + bh)",
                      "hs[t] = np.tanh(Wxh[inputs[t]] + (hs[t - 1] @ Whh + bh))"),)),
    Variation("the initial parameters perturbed by 1e-12 relative", perturb=1e-12),
    Variation("Adagrad's step computed as g * (lr / sqrt(mem + 1e-8)) (another update order)",
              edits=(("params[k] -= lr * grads[k] / np.sqrt(mem[k] + 1e-8)",
                      "params[k] -= grads[k] * (lr / np.sqrt(mem[k] + 1e-8))"),)),
)


def draw_text(draw: int) -> dict:
    """The graded text and seed of calibration draw `draw` (see thresholds.graded_text)."""
    return graded_text(calibration_secret(ASSIGNMENT, draw))


def run_seed(draw: int, train_fn=None, settings: dict = SETTINGS) -> dict:
    """Train (the reference by default) on calibration draw `draw`: errors, CPU seconds,
    regenerated text."""
    if train_fn is None:
        from reference.numpy.char_rnn_numpy import train as train_fn
    graded = draw_text(draw)
    text = graded["text"]
    start = time.process_time()
    params, history = train_fn(text, settings["hidden_size"], settings["seq_length"],
                               settings["lr"], settings["n_iter"], graded["seed"])
    cpu = time.process_time() - start
    return {
        "errors": regeneration_errors(params, text),
        "cpu_s": cpu,
        "regenerated": regenerate(params, text),
        "final_loss": float(np.mean(history[-50:])),
    }


def calibrate(checks, dataset_spec=None, n_draws: int | None = None, verbose: bool = True,
              variation_draws: int = VARIATION_DRAWS) -> dict[str, Threshold]:
    """Retrain the reference over the draws (and its variations over the first
    `variation_draws`) with the declared settings; {check key: Threshold}."""
    return one_blas_thread(_calibrate, list(checks), tuple(range(n_draws)) if n_draws else DRAWS, verbose,
                           variation_draws)


def _calibrate(checks, draws, verbose, variation_draws) -> dict[str, Threshold]:
    (check,) = checks
    settings = check.settings["faust"]

    def line(draw, r):
        return (f"draw {draw}: {r['errors']} errors, final loss {r['final_loss']:.3f} "
                f"({r['cpu_s']:.1f} s CPU)  {r['regenerated'][-30:]!r}")

    results = over_seeds(draws, lambda draw: run_seed(draw, settings=settings), line, verbose=verbose)
    cpus = [r["cpu_s"] for r in results.values()]
    variation = {}
    for v in VARIATIONS:
        train = v.train_with_perturbed_init(ASSIGNMENT)
        by_draw = over_seeds(draws[:variation_draws], lambda draw: run_seed(draw, train_fn=train, settings=settings),
                             lambda draw, r: f"  {v.name}: " + line(draw, r), verbose=verbose)
        variation[v.name] = {draw: r["errors"] for draw, r in by_draw.items()}
        cpus += [r["cpu_s"] for r in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus, 1)}")
    values = {draw: float(r["errors"]) for draw, r in results.items()}
    return {CHECK: calibrate_declared(check, values, cpus, "faust", variation=variation, verbose=verbose)}


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """Errors at calibration draw 0 of the mutants that change training."""
    t = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            r = run_seed(0, train_fn=module.train)
        return f"{r['errors']:4d} errors {verdict(t, r['errors'])}  ({r['cpu_s']:.1f} s CPU)"

    # train does not use sample
    report(ASSIGNMENT, describe, names=names, width=50, skip=("sample", "init_params_ignores"), slow=True)


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT))
