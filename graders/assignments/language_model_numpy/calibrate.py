"""Calibrate the trained-model bounds of `language_model_numpy` on the reference solution.

    python -m graders.assignments.language_model_numpy.calibrate            # print the tables
    python -m graders.assignments.language_model_numpy.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.language_model_numpy.calibrate --mutants  # and the mutants' values

Trains the reference `train` with `SETTINGS` over `SEEDS` on the grader's split (see
thresholds.py), and sets

    accuracy:       bound = worst reference accuracy * (1 - MARGIN_ACCURACY)
    cross-entropy:  bound = worst reference cross-entropy * (1 + MARGIN_CROSS_ENTROPY)

It also prints the baselines, a table of the course text's (D, P) configurations (not
graded), and the predicted completions of `PROMPTS` at the grade seed.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

from graders.engine.thresholds import Threshold, calibrate, format_table

from .thresholds import (
    CHECK_ACCURACY,
    CHECK_CROSS_ENTROPY,
    CONFIGS,
    PROMPTS,
    SETTINGS,
    baselines,
    dataset,
    held_out_metrics,
)

SEEDS = tuple(range(10))
CONFIG_SEEDS = (0, 1, 2)
MARGIN_ACCURACY = 0.20
MARGIN_CROSS_ENTROPY = 0.10
CPU_BUDGET_S = 20.0
_DATA: dict = {}


def _data() -> dict:
    if not _DATA:
        _DATA.update(dataset(SETTINGS))
    return _DATA


def run_seed(seed: int, train_fn=None, settings: dict = SETTINGS) -> dict:
    """Train (the reference by default) at `seed`; held-out accuracy, cross-entropy, CPU s."""
    if train_fn is None:
        from reference.numpy.language_model_numpy import train as train_fn
    d = _data()
    start = time.process_time()
    params, history = train_fn(
        d["train_contexts"], d["train_targets"], len(d["vocab"]), settings["embed_dim"],
        settings["hidden_dim"], settings["lr"], settings["momentum"], settings["epochs"],
        settings["batch_size"], seed,
    )
    cpu = time.process_time() - start
    acc, ce = held_out_metrics(params, d["test_contexts"], d["test_targets"])
    return {"accuracy": acc, "cross_entropy": ce, "cpu_s": cpu, "params": params,
            "history": list(history)}


def run(seeds=SEEDS, verbose: bool = True) -> tuple[dict[str, Threshold], dict]:
    acc, ce, cpus, results = {}, {}, [], {}
    for seed in seeds:
        r = run_seed(seed)
        results[seed] = r
        acc[seed], ce[seed] = r["accuracy"], r["cross_entropy"]
        cpus.append(r["cpu_s"])
        if verbose:
            print(f"seed {seed}: accuracy {r['accuracy']:.4f}  cross-entropy "
                  f"{r['cross_entropy']:.4f}  ({r['cpu_s']:.2f} s CPU)", flush=True)
    if verbose:
        print(f"reference training: {np.mean(cpus):.2f} s CPU on average, {max(cpus):.2f} s at most")
    common = dict(cpu_budget_s=CPU_BUDGET_S, settings=SETTINGS, dataset="pydoc_data.topics 4-grams",
                  grade_seed=0)
    thresholds = {
        CHECK_ACCURACY: calibrate("held-out next-word accuracy", acc, higher_is_better=True,
                                  margin=MARGIN_ACCURACY, **common),
        CHECK_CROSS_ENTROPY: calibrate("held-out cross-entropy (nats)", ce, higher_is_better=False,
                                       margin=MARGIN_CROSS_ENTROPY, **common),
    }
    return thresholds, results


def config_table(seeds=CONFIG_SEEDS) -> str:
    lines = ["| D | P | held-out accuracy | held-out cross-entropy | CPU s |", "|---|---|---|---|---|"]
    for D, P in CONFIGS:
        rs = [run_seed(s, settings={**SETTINGS, "embed_dim": D, "hidden_dim": P}) for s in seeds]
        a = [r["accuracy"] for r in rs]
        c = [r["cross_entropy"] for r in rs]
        t = [r["cpu_s"] for r in rs]
        lines.append(f"| {D} | {P} | {np.mean(a):.4f} +/- {np.std(a):.4f} | "
                     f"{np.mean(c):.4f} +/- {np.std(c):.4f} | {np.mean(t):.1f} |")
    return "\n".join(lines)


def completions(params: dict, data: dict) -> list[str]:
    """Predicted next word for each prompt, beside the most frequent continuation in the data."""
    from reference.numpy.language_model_numpy import predict_next

    vocab = data["vocab"]
    C = np.concatenate([data["train_contexts"], data["test_contexts"]])
    T = np.concatenate([data["train_targets"], data["test_targets"]])
    lines = []
    for prompt in PROMPTS:
        ids = [vocab.index(w) for w in prompt]
        seen = np.bincount(T[(C == ids).all(axis=1)], minlength=len(vocab))
        lines.append(f'"{" ".join(prompt)}" -> "{predict_next(params, vocab, list(prompt))}"'
                     f'   (most frequent in the text: "{vocab[int(seen.argmax())]}", '
                     f"{int(seen.max())} of {int(seen.sum())})")
    return lines


def render(thresholds: dict[str, Threshold], base: tuple[str, float, float]) -> str:
    """thresholds.py with the table and the baselines written as literals."""
    source = Path(__file__).with_name("thresholds.py").read_text(encoding="utf-8")
    head, _, _ = source.partition("\nTHRESHOLDS")
    head += "\n"
    head = re.sub(r"(?m)^BASELINE_WORD = .*$", f"BASELINE_WORD = {base[0]!r}", head)
    head = re.sub(r"(?m)^BASELINE_ACCURACY = .*$", f"BASELINE_ACCURACY = {base[1]!r}", head)
    head = re.sub(r"(?m)^BASELINE_CROSS_ENTROPY = .*$", f"BASELINE_CROSS_ENTROPY = {base[2]!r}", head)
    body = ["THRESHOLDS: dict[str, Threshold] = {"]
    for name, t in thresholds.items():
        body.append(f'    "{name}": Threshold(')
        body.append(f'        metric="{t.metric}",')
        body.append(f"        bound={t.bound!r},")
        body.append(f"        higher_is_better={t.higher_is_better!r},")
        body.append("        reference_values=(")
        body += [f"            {v!r},  # seed {s}" for s, v in zip(t.seeds, t.reference_values)]
        body.append("        ),")
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
    """Held-out metrics at the grade seed of the mutants that touch training (needs tests/)."""
    from tests.mutants import load_module_from_source, reference_path
    from tests.mutants.language_model_numpy import MUTANTS, UNUSUAL

    source = reference_path("language_model_numpy").read_text(encoding="utf-8")
    t_acc, t_ce = thresholds[CHECK_ACCURACY], thresholds[CHECK_CROSS_ENTROPY]
    for kind, mutants in (("MUTANT", MUTANTS), ("UNUSUAL", UNUSUAL)):
        for m in mutants:
            if m.name.startswith(("build_dataset", "predict_next", "init_params_ignores")):
                continue  # the grader builds the data itself; not a training question
            mod = load_module_from_source(m.apply(source), m.name)
            try:
                with np.errstate(all="ignore"):
                    r = run_seed(t_acc.grade_seed, train_fn=mod.train)
                ok = t_acc.passes(r["accuracy"]) and t_ce.passes(r["cross_entropy"])
                print(f"{kind:8s} {m.name:50s} acc {r['accuracy']:.4f} ce {r['cross_entropy']:8.4f} "
                      f"{'pass' if ok else 'FAIL'}  ({r['cpu_s']:.1f} s CPU)", flush=True)
            except Exception as exc:
                print(f"{kind:8s} {m.name:50s} raised {type(exc).__name__}: {exc}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    parser.add_argument("--mutants", action="store_true", help="also report the mutants")
    parser.add_argument("--no-configs", action="store_true", help="skip the (D, P) table")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1):  # one BLAS thread: comparable CPU times
        return _main(args)


def _main(args) -> int:
    d = _data()
    print(f"vocab {len(d['vocab'])} words; 4-grams: {len(d['train_targets'])} train, "
          f"{len(d['test_targets'])} held out")
    base = baselines(d)
    print(f'baseline: always "{base[0]}": held-out accuracy {base[1]:.4f}; '
          f"training unigram: held-out cross-entropy {base[2]:.4f}")
    thresholds, results = run()
    print()
    print(format_table(thresholds))
    print()
    print(f"predicted completions (seed {thresholds[CHECK_ACCURACY].grade_seed}):")
    for line in completions(results[thresholds[CHECK_ACCURACY].grade_seed]["params"], d):
        print("  " + line)
    if not args.no_configs:
        print()
        print(config_table())
    if args.write:
        path = Path(__file__).with_name("thresholds.py")
        path.write_text(render(thresholds, base), encoding="utf-8")
        print(f"wrote {path}")
    if args.mutants:
        print()
        mutant_report(thresholds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
