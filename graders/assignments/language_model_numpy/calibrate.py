"""Calibrate the trained-model bounds of `language_model_numpy` on the reference solution.

    python -m graders.assignments.language_model_numpy.calibrate            # print the tables
    python -m graders.assignments.language_model_numpy.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.language_model_numpy.calibrate --mutants  # and the mutants' values

Trains the reference `train` with `SETTINGS` on each calibration draw in `DRAWS` (secret
held-out 4-grams, word order and seed: thresholds.graded_data) and, on the first
`VARIATION_DRAWS` draws, with each harmless variation of the reference in `VARIATIONS`,
and sets, over all those runs,

    accuracy:       bound = worst reference accuracy * (1 - MARGIN_ACCURACY)
    cross-entropy:  bound = worst reference cross-entropy * (1 + MARGIN_CROSS_ENTROPY)

It also prints the baselines, a table of the course text's (D, P) configurations (not
graded), and the predicted completions of `PROMPTS` at draw 0.
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
    report_mutants,
    script_arguments,
    write_and_report,
)
from graders.engine.thresholds import (
    Threshold,
    calibrate,
    format_table,
    quoted,
    rewrite_from,
    set_constant,
    table_literal,
)

from .thresholds import (
    CHECK_ACCURACY,
    CHECK_CROSS_ENTROPY,
    CONFIGS,
    PROMPTS,
    SETTINGS,
    baselines,
    graded_data,
    held_out_metrics,
)

ASSIGNMENT = "language_model_numpy"
DRAWS = tuple(range(6))
VARIATION_DRAWS = 2
VARIATIONS = (
    Variation("the bias gradients summed over the rows in reverse order (a re-associated sum)",
              edits=(("db2 = ds.sum(axis=0)", "db2 = ds[::-1].sum(axis=0)"),
                     ("db1 = dz.sum(axis=0)", "db1 = dz[::-1].sum(axis=0)"))),
    Variation("the initial parameters perturbed by 1e-12 relative", perturb=1e-12),
    Variation("momentum as v = momentum v + g; params -= lr v (another update order)",
              edits=(("v[k] = momentum * v[k] - lr * g[k]  #", "v[k] = momentum * v[k] + g[k]  #"),
                     ("\n                params[k] += v[k]\n", "\n                params[k] -= lr * v[k]\n"))),
)
CONFIG_SEEDS = (0, 1, 2)
MARGIN_ACCURACY = 0.20
MARGIN_CROSS_ENTROPY = 0.10
CPU_BUDGET_S = 20.0
THRESHOLDS_PATH = Path(__file__).with_name("thresholds.py")


def draw_data(draw: int) -> dict:
    """The graded data of calibration draw `draw` (see thresholds.graded_data)."""
    return graded_data(calibration_secret(ASSIGNMENT, draw))


def run_seed(draw: int, train_fn=None, settings: dict = SETTINGS) -> dict:
    """Train (the reference by default) on calibration draw `draw`; held-out accuracy,
    cross-entropy, CPU s."""
    if train_fn is None:
        from reference.numpy.language_model_numpy import train as train_fn
    d = draw_data(draw)
    start = time.process_time()
    params, history = train_fn(
        d["train_contexts"], d["train_targets"], len(d["vocab"]), settings["embed_dim"],
        settings["hidden_dim"], settings["lr"], settings["momentum"], settings["epochs"],
        settings["batch_size"], d["seed"],
    )
    cpu = time.process_time() - start
    acc, ce = held_out_metrics(params, d["test_contexts"], d["test_targets"])
    return {"accuracy": acc, "cross_entropy": ce, "cpu_s": cpu, "params": params,
            "history": list(history)}


def run(draws=DRAWS, verbose: bool = True,
        variation_draws: int = VARIATION_DRAWS) -> tuple[dict[str, Threshold], dict]:
    def line(draw, r):
        return (f"draw {draw}: accuracy {r['accuracy']:.4f}  cross-entropy {r['cross_entropy']:.4f}  "
                f"({r['cpu_s']:.2f} s CPU)")

    results = over_seeds(draws, run_seed, line, verbose=verbose)
    acc = {draw: r["accuracy"] for draw, r in results.items()}
    ce = {draw: r["cross_entropy"] for draw, r in results.items()}
    cpus = [r["cpu_s"] for r in results.values()]
    acc_variation, ce_variation = {}, {}
    for v in VARIATIONS:
        train = v.train_with_perturbed_init(ASSIGNMENT)
        by_draw = over_seeds(draws[:variation_draws], lambda draw: run_seed(draw, train_fn=train),
                             lambda draw, r: f"  {v.name}: " + line(draw, r), verbose=verbose)
        acc_variation[v.name] = {draw: r["accuracy"] for draw, r in by_draw.items()}
        ce_variation[v.name] = {draw: r["cross_entropy"] for draw, r in by_draw.items()}
        cpus += [r["cpu_s"] for r in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus)}")
    common = dict(cpu_budget_s=CPU_BUDGET_S, settings=SETTINGS, dataset="pydoc_data.topics 4-grams",
                  grade_seed=0)
    thresholds = {
        CHECK_ACCURACY: calibrate("held-out next-word accuracy", acc, higher_is_better=True,
                                  margin=MARGIN_ACCURACY, variation=acc_variation, **common),
        CHECK_CROSS_ENTROPY: calibrate("held-out cross-entropy (nats)", ce, higher_is_better=False,
                                       margin=MARGIN_CROSS_ENTROPY, variation=ce_variation, **common),
    }
    return thresholds, results


def config_table(seeds=CONFIG_SEEDS) -> tuple[str, dict]:
    """(markdown table, {(D, P): (mean accuracy, mean cross-entropy, mean CPU s)})."""
    lines = ["| D | P | held-out accuracy | held-out cross-entropy | CPU s |", "|---|---|---|---|---|"]
    means = {}
    for D, P in CONFIGS:
        rs = [run_seed(s, settings={**SETTINGS, "embed_dim": D, "hidden_dim": P}) for s in seeds]
        a = [r["accuracy"] for r in rs]
        c = [r["cross_entropy"] for r in rs]
        t = [r["cpu_s"] for r in rs]
        means[(D, P)] = (round(float(np.mean(a)), 3), round(float(np.mean(c)), 2), round(float(np.mean(t)), 1))
        lines.append(f"| {D} | {P} | {np.mean(a):.4f} +/- {np.std(a):.4f} | "
                     f"{np.mean(c):.4f} +/- {np.std(c):.4f} | {np.mean(t):.1f} |")
    return "\n".join(lines), means


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


def render(thresholds: dict[str, Threshold], base: tuple[str, float, float],
           configs: dict | None = None) -> str:
    """thresholds.py with the table, the baselines (and the configurations' means) as literals."""
    text = THRESHOLDS_PATH.read_text(encoding="utf-8")
    if configs:
        text = set_constant(text, "CONFIG_REFERENCE", configs)
    for name, value in zip(("BASELINE_WORD", "BASELINE_ACCURACY", "BASELINE_CROSS_ENTROPY"), base):
        text = set_constant(text, name, value)
    table = table_literal(
        thresholds, "THRESHOLDS: dict[str, Threshold] = {", key=quoted, values="per_seed",
        sources=lambda _, t: {"metric": quoted(t.metric), "settings": "dict(SETTINGS)",
                              "dataset": quoted(t.dataset)})
    return rewrite_from(text, "THRESHOLDS", table)


def mutant_report(thresholds: dict[str, Threshold]) -> None:
    """Held-out metrics at calibration draw 0 of the mutants that touch training (needs tests/)."""
    t_acc, t_ce = thresholds[CHECK_ACCURACY], thresholds[CHECK_CROSS_ENTROPY]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            r = run_seed(0, train_fn=module.train)
        ok = t_acc.passes(r["accuracy"]) and t_ce.passes(r["cross_entropy"])
        return (f"acc {r['accuracy']:.4f} ce {r['cross_entropy']:8.4f} {'pass' if ok else 'FAIL'}  "
                f"({r['cpu_s']:.1f} s CPU)")

    # the grader builds the data itself, and init_params_ignores is not a training question
    report_mutants("language_model_numpy", describe, width=50, slow=True,
                   skip=("build_dataset", "predict_next", "init_params_ignores"))


def main(argv=None) -> int:
    parser = script_arguments(__doc__, mutants="all")
    parser.add_argument("--no-configs", action="store_true", help="skip the (D, P) table")
    return one_blas_thread(_main, parser.parse_args(argv))


def _main(args) -> int:
    d = draw_data(0)
    print(f"vocab {len(d['vocab'])} words; 4-grams: {len(d['train_targets'])} train, "
          f"{len(d['test_targets'])} held out")
    base = baselines(d)
    print(f'baseline: always "{base[0]}": held-out accuracy {base[1]:.4f}; '
          f"training unigram: held-out cross-entropy {base[2]:.4f}")
    thresholds, results = run()
    print()
    print(format_table(thresholds))
    print()
    print("predicted completions (draw 0):")
    for line in completions(results[0]["params"], d):
        print("  " + line)
    configs = None
    if not args.no_configs:
        print()
        table, configs = config_table()
        print(table)
    return write_and_report(args, THRESHOLDS_PATH, lambda: render(thresholds, base, configs),
                            lambda _: mutant_report(thresholds))


if __name__ == "__main__":
    sys.exit(main())
