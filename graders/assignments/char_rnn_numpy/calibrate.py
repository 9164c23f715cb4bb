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

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from graders.engine.thresholds import Threshold, format_table

from .thresholds import CHECK, METRIC, SETTINGS, regenerate, regeneration_errors

SEEDS = tuple(range(20))
SLACK_CHARS = 9
CPU_BUDGET_S = 30.0


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
    values, cpus = {}, []
    for seed in seeds:
        r = run_seed(seed)
        values[seed] = r["errors"]
        cpus.append(r["cpu_s"])
        if verbose:
            print(f"seed {seed}: {r['errors']} errors, final loss {r['final_loss']:.3f} "
                  f"({r['cpu_s']:.1f} s CPU)  {r['regenerated'][-30:]!r}", flush=True)
    if verbose:
        print(f"reference training: {np.mean(cpus):.1f} s CPU on average, {max(cpus):.1f} s at most")
    return {CHECK: build_threshold(values)}


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    source = Path(__file__).with_name("thresholds.py").read_text(encoding="utf-8")
    head, _, _ = source.partition("\nTHRESHOLDS")
    head += "\n"
    body = ["THRESHOLDS: dict[str, Threshold] = {"]
    for name, t in thresholds.items():
        body.append(f'    "{name}": Threshold(')
        body.append("        metric=METRIC,")
        body.append(f"        bound={t.bound!r},")
        body.append(f"        higher_is_better={t.higher_is_better!r},")
        body.append(f"        reference_values={t.reference_values!r},")
        body.append(f"        seeds={t.seeds!r},")
        body.append(f"        margin={t.margin!r},")
        body.append(f"        cpu_budget_s={t.cpu_budget_s!r},")
        body.append(f"        grade_seed={t.grade_seed!r},")
        body.append("        settings=dict(SETTINGS),")
        body.append(f'        dataset="{t.dataset}",')
        body.append("    ),")
    body.append("}")
    return head + "\n".join(body) + "\n"


def mutant_report(thresholds: dict[str, Threshold]) -> None:
    """Errors at the grade seed of the mutants that change training (needs tests/)."""
    from tests.mutants import load_module_from_source, reference_path
    from tests.mutants.char_rnn_numpy import MUTANTS, UNUSUAL

    source = reference_path("char_rnn_numpy").read_text(encoding="utf-8")
    t = thresholds[CHECK]
    for kind, mutants in (("MUTANT", MUTANTS), ("UNUSUAL", UNUSUAL)):
        for m in mutants:
            if m.name.startswith(("sample", "clip_grads_with", "init_params_ignores")):
                continue  # train does not use sample; the grade seed is what matters
            mod = load_module_from_source(m.apply(source), m.name)
            try:
                with np.errstate(all="ignore"):
                    r = run_seed(t.grade_seed, train_fn=mod.train)
                verdict = "pass" if t.passes(r["errors"]) else "FAIL"
                print(f"{kind:8s} {m.name:50s} {r['errors']:4d} errors {verdict}  "
                      f"({r['cpu_s']:.1f} s CPU)", flush=True)
            except Exception as exc:
                print(f"{kind:8s} {m.name:50s} raised {type(exc).__name__}: {exc}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    parser.add_argument("--mutants", action="store_true", help="also report the mutants")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="number of seeds")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1):  # one BLAS thread: comparable CPU times
        return _main(args)


def _main(args) -> int:
    thresholds = run(seeds=tuple(range(args.seeds)))
    print()
    print(format_table(thresholds))
    print(f"settings: {SETTINGS}")
    if args.write:
        path = Path(__file__).with_name("thresholds.py")
        path.write_text(render(thresholds), encoding="utf-8")
        print(f"wrote {path}")
    if args.mutants:
        print()
        mutant_report(thresholds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
