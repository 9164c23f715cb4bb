"""Calibrate the trained-model bound of `char_rnn_numpy` on the reference solution.

    python -m graders.assignments.char_rnn_numpy.calibrate            # print the table
    python -m graders.assignments.char_rnn_numpy.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.char_rnn_numpy.calibrate --mutants  # and the mutants' errors

Trains the reference `train` on the Faust excerpt with `SETTINGS` over `SEEDS` and
counts the character errors of the greedy regeneration (`thresholds.regeneration_errors`).

The bound is ABSOLUTE, not relative: the reference reaches 1 error on (nearly) every
seed (the last character of the text is never a training target under min-char-rnn's
data-pointer rule, so it cannot be learnt), and a relative margin on 1 would leave no
room at all. The bound is the worst reference value plus SLACK_CHARS characters; the
`margin` field of the record is the same slack expressed relative to the worst value
(bound = worst * (1 + margin)).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from graders.engine.calibration import (
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

from .thresholds import CHECK, METRIC, SETTINGS, regenerate, regeneration_errors

SEEDS = tuple(range(20))
SLACK_CHARS = 9
CPU_BUDGET_S = 30.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


def faust() -> str:
    from dlgrade.data import load_faust

    return load_faust()


def run_seed(seed: int, train_fn=None, settings: dict = SETTINGS) -> dict:
    """Train (the reference by default) at `seed`: errors, CPU seconds, regenerated text."""
    if train_fn is None:
        from reference.numpy.char_rnn_numpy import train as train_fn
    text = faust()
    start = time.process_time()
    params, history = train_fn(text, settings["hidden_size"], settings["seq_length"],
                               settings["lr"], settings["n_iter"], seed)
    cpu = time.process_time() - start
    return {
        "errors": regeneration_errors(params, text),
        "cpu_s": cpu,
        "regenerated": regenerate(params, text),
        "final_loss": float(np.mean(history[-50:])),
    }


def build_threshold(values: dict[int, int]) -> Threshold:
    seeds = tuple(sorted(values))
    worst = max(values.values())
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
    )


def run(seeds=SEEDS, verbose: bool = True) -> dict[str, Threshold]:
    results = over_seeds(seeds, run_seed, lambda seed, r: (
        f"seed {seed}: {r['errors']} errors, final loss {r['final_loss']:.3f} "
        f"({r['cpu_s']:.1f} s CPU)  {r['regenerated'][-30:]!r}"), verbose=verbose)
    if verbose:
        print(f"reference training: {cpu_summary([r['cpu_s'] for r in results.values()], 1)}")
    return {CHECK: build_threshold({seed: r["errors"] for seed, r in results.items()})}


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    table = table_literal(
        thresholds, "THRESHOLDS: dict[str, Threshold] = {", key=quoted, values="repr",
        sources=lambda _, t: {"metric": "METRIC", "settings": "dict(SETTINGS)",
                              "dataset": quoted(t.dataset)})
    return rewrite_from(THRESHOLDS_FILE.read_text(encoding="utf-8"), "THRESHOLDS", table)


def mutant_report(thresholds: dict[str, Threshold]) -> None:
    """Errors at the grade seed of the mutants that change training (needs tests/)."""
    t = thresholds[CHECK]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            r = run_seed(t.grade_seed, train_fn=module.train)
        return f"{r['errors']:4d} errors {verdict(t, r['errors'])}  ({r['cpu_s']:.1f} s CPU)"

    # train does not use sample; the grade seed is what matters
    report_mutants("char_rnn_numpy", describe, width=50, skip=("sample", "init_params_ignores"), slow=True)


def main(argv=None) -> int:
    parser = script_arguments(__doc__, mutants="all")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="number of seeds")
    return one_blas_thread(_main, parser.parse_args(argv))


def _main(args) -> int:
    thresholds = run(seeds=tuple(range(args.seeds)))
    print_tables(thresholds)
    print(f"settings: {SETTINGS}")
    return write_and_report(args, THRESHOLDS_FILE, lambda: render(thresholds),
                            lambda _: mutant_report(thresholds))


if __name__ == "__main__":
    sys.exit(main())
