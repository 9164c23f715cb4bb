"""Calibrate the trained-model bounds of `language_model_numpy` on the reference solution.

    dlgrade calibrate language_model_numpy              # print the tables
    dlgrade calibrate language_model_numpy --write      # also write thresholds.json
    dlgrade calibrate language_model_numpy --mutants    # and the mutants' values

Trains the reference `train` with the declared settings on each calibration draw in `DRAWS` (secret
held-out 4-grams, word order and seed: thresholds.graded_data) and, on the first
`VARIATION_DRAWS` draws, with each harmless variation of the reference in `VARIATIONS`,
and sets, over all those runs,

    accuracy:       bound = worst reference accuracy * (1 - its declared margin)
    cross-entropy:  bound = worst reference cross-entropy * (1 + its declared margin)

It also prints the baselines, a table of the course text's (D, P) configurations (not
graded; thresholds.CONFIG_REFERENCE holds its means), and the predicted completions of
`PROMPTS` at draw 0.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (Variation, calibrate_declared, calibration_secret, cpu_summary,
                                         one_blas_thread, over_seeds, report_mutants as report)

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
METRIC_KEYS = {CHECK_ACCURACY: "accuracy", CHECK_CROSS_ENTROPY: "cross_entropy"}  # entries of run_seed's result


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


def calibrate(checks, dataset_spec=None, n_draws: int | None = None, verbose: bool = True,
              variation_draws: int = VARIATION_DRAWS, configs: bool = True) -> dict[str, Threshold]:
    """Retrain the reference over the draws (and its variations over the first
    `variation_draws`) with the declared settings (the two checks share each run); print the
    baselines, completions and, with `configs`, the (D, P) table; {check key: Threshold}."""
    return one_blas_thread(_calibrate, list(checks), tuple(range(n_draws)) if n_draws else DRAWS, verbose,
                           variation_draws, configs)


def _calibrate(checks, draws, verbose, variation_draws, configs) -> dict[str, Threshold]:
    settings = checks[0].settings["pydoc_data.topics 4-grams"]
    if any(c.settings["pydoc_data.topics 4-grams"] != settings for c in checks):
        raise ValueError("the checks of language_model_numpy share one training run: give them the same settings")

    def line(draw, r):
        return (f"draw {draw}: accuracy {r['accuracy']:.4f}  cross-entropy {r['cross_entropy']:.4f}  "
                f"({r['cpu_s']:.2f} s CPU)")

    d = draw_data(0)
    base = baselines(d)
    if verbose:
        print(f"vocab {len(d['vocab'])} words; 4-grams: {len(d['train_targets'])} train, "
              f"{len(d['test_targets'])} held out")
        print(f'baseline: always "{base[0]}": held-out accuracy {base[1]:.4f}; '
              f"training unigram: held-out cross-entropy {base[2]:.4f} (thresholds.BASELINE_*)")
    results = over_seeds(draws, lambda draw: run_seed(draw, settings=settings), line, verbose=verbose)
    cpus = [r["cpu_s"] for r in results.values()]
    variation = {key: {} for key in METRIC_KEYS}
    for v in VARIATIONS:
        train = v.train_with_perturbed_init(ASSIGNMENT)
        by_draw = over_seeds(draws[:variation_draws], lambda draw: run_seed(draw, train_fn=train, settings=settings),
                             lambda draw, r: f"  {v.name}: " + line(draw, r), verbose=verbose)
        for key, entry in METRIC_KEYS.items():
            variation[key][v.name] = {draw: r[entry] for draw, r in by_draw.items()}
        cpus += [r["cpu_s"] for r in by_draw.values()]
    if verbose:
        print(f"reference training: {cpu_summary(cpus)}")
        print("predicted completions (draw 0):")
        for text in completions(results[draws[0]]["params"], draw_data(draws[0])):
            print("  " + text)
        if configs:
            print()
            print(config_table(settings=settings)[0])
            print("(thresholds.CONFIG_REFERENCE holds the means of this table)")
    return {c.key: calibrate_declared(c, {draw: r[METRIC_KEYS[c.key]] for draw, r in results.items()}, cpus,
                                      "pydoc_data.topics 4-grams", variation=variation[c.key], verbose=verbose)
            for c in checks}


def config_table(seeds=CONFIG_SEEDS, settings: dict = SETTINGS) -> tuple[str, dict]:
    """(markdown table, {(D, P): (mean accuracy, mean cross-entropy, mean CPU s)})."""
    lines = ["| D | P | held-out accuracy | held-out cross-entropy | CPU s |", "|---|---|---|---|---|"]
    means = {}
    for D, P in CONFIGS:
        rs = [run_seed(s, settings={**settings, "embed_dim": D, "hidden_dim": P}) for s in seeds]
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


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out metrics at calibration draw 0 of the mutants that touch training."""
    t_acc, t_ce = thresholds[CHECK_ACCURACY], thresholds[CHECK_CROSS_ENTROPY]

    def describe(module) -> str:
        with np.errstate(all="ignore"):
            r = run_seed(0, train_fn=module.train)
        ok = t_acc.passes(r["accuracy"]) and t_ce.passes(r["cross_entropy"])
        return (f"acc {r['accuracy']:.4f} ce {r['cross_entropy']:8.4f} {'pass' if ok else 'FAIL'}  "
                f"({r['cpu_s']:.1f} s CPU)")

    # the grader builds the data itself, and init_params_ignores is not a training question
    report(ASSIGNMENT, describe, names=names, width=50, slow=True,
           skip=("build_dataset", "predict_next", "init_params_ignores"))


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT))
