"""Calibrate the trained-model bound of `char_rnn_numpy` on the reference solution.

    python -m graders.assignments.char_rnn_numpy.calibrate            # print the table
    python -m graders.assignments.char_rnn_numpy.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.char_rnn_numpy.calibrate --mutants  # and the mutants' errors

Trains the reference `train` with `SETTINGS` on the graded text of each calibration draw
in `DRAWS` (`thresholds.graded_text`: the Faust excerpt's verses in a secret order, rotated
to a secret start, and a secret seed) and counts the character errors of the greedy
regeneration (`thresholds.regeneration_errors`); on the first `VARIATION_DRAWS` draws it
does the same with each harmless variation of the reference in `VARIATIONS`.

The bound is ABSOLUTE, not relative: the reference reaches 1 error on (nearly) every
draw (the last character of the text is never a training target under min-char-rnn's
data-pointer rule, so it cannot be learnt), and a relative margin on 1 would leave no
room at all. The bound is the worst reference value (variations included) plus SLACK_CHARS characters; the
`margin` field of the record is the same slack expressed relative to the worst value
(bound = worst * (1 + margin)).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from graders.tooling.calibration import (
    Variation,
    calibration_secret,
    cpu_summary,
    one_blas_thread,
    over_seeds,
    print_tables,
    report_mutants,
    script_arguments,
    verdict,
    write_and_report,
)
from graders.engine.thresholds import Threshold, quoted, rewrite_from, table_literal

from .thresholds import CHECK, METRIC, SETTINGS, graded_text, regenerate, regeneration_errors

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
SLACK_CHARS = 9
CPU_BUDGET_S = 30.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


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


def build_threshold(values: dict[int, int], variation: dict | None = None) -> Threshold:
    seeds = tuple(sorted(values))
    variation = {what: {d: float(v) for d, v in sorted(by_draw.items())}
                 for what, by_draw in (variation or {}).items()}
    worst = max([*values.values(), *(v for by_draw in variation.values() for v in by_draw.values())])
    bound = float(worst + SLACK_CHARS)
    return Threshold(
        metric=METRIC,
        bound=bound,
        higher_is_better=False,
        reference_values=tuple(float(values[s]) for s in seeds),
        seeds=seeds,
        margin=bound / worst - 1.0 if worst > 0 else float("inf"),
        cpu_budget_s=CPU_BUDGET_S,
        grade_seed=0,
        settings=dict(SETTINGS),
        dataset="faust",
        variation=variation,
    )


def run(draws=DRAWS, verbose: bool = True, variation_draws: int = VARIATION_DRAWS) -> dict[str, Threshold]:
    def line(draw, r):
        return (f"draw {draw}: {r['errors']} errors, final loss {r['final_loss']:.3f} "
                f"({r['cpu_s']:.1f} s CPU)  {r['regenerated'][-30:]!r}")

    results = over_seeds(draws, run_seed, line, verbose=verbose)
    cpus = [r["cpu_s"] for r in results.values()]
    variation = {}
    for v in VARIATIONS:
        train = v.train_with_perturbed_init(ASSIGNMENT)
        by_draw = over_seeds(draws[:variation_draws], lambda draw: run_seed(draw, train_fn=train),
                             lambda draw, r: f"  {v.name}: " + line(draw, r), verbose=verbose)
        variation[v.name] = {draw: r["errors"] for draw, r in by_draw.items()}
        cpus += [r["cpu_s"] for r in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus, 1)}")
    return {CHECK: build_threshold({draw: r["errors"] for draw, r in results.items()}, variation)}


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    table = table_literal(
        thresholds, "THRESHOLDS: dict[str, Threshold] = {", key=quoted, values="repr",
        sources=lambda _, t: {"metric": "METRIC", "settings": "dict(SETTINGS)",
                              "dataset": quoted(t.dataset)})
    return rewrite_from(THRESHOLDS_FILE.read_text(encoding="utf-8"), "THRESHOLDS", table)


def mutant_report(thresholds: dict[str, Threshold]) -> None:
    """Errors at calibration draw 0 of the mutants that change training (needs tests/)."""
    t = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            r = run_seed(0, train_fn=module.train)
        return f"{r['errors']:4d} errors {verdict(t, r['errors'])}  ({r['cpu_s']:.1f} s CPU)"

    # train does not use sample
    report_mutants("char_rnn_numpy", describe, width=50, skip=("sample", "init_params_ignores"), slow=True)


def main(argv=None) -> int:
    parser = script_arguments(__doc__, mutants="all")
    parser.add_argument("--draws", type=int, default=len(DRAWS), help="number of calibration draws")
    return one_blas_thread(_main, parser.parse_args(argv))


def _main(args) -> int:
    thresholds = run(draws=tuple(range(args.draws)))
    print_tables(thresholds)
    print(f"settings: {SETTINGS}")
    return write_and_report(args, THRESHOLDS_FILE, lambda: render(thresholds),
                            lambda _: mutant_report(thresholds))


if __name__ == "__main__":
    sys.exit(main())
