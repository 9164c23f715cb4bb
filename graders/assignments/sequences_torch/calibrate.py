"""Calibrate the trained-model bounds of `sequences_torch` on the reference solution.

    python -m graders.assignments.sequences_torch.calibrate            # print the tables
    python -m graders.assignments.sequences_torch.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.sequences_torch.calibrate --mutants  # and report the mutants

Runs what a grade runs, in this process: the grader's training tasks (`tasks.py`) on the
training data of a course-secret draw, then the grader's causal evaluation
(`causal.char_evaluation`, `causal.forecast_evaluation`) on the trained state, over DRAWS
secret draws and the harmless variations of CHAR_VARIATIONS and FORECAST_VARIATIONS. Each
bound is the worst value with the margin (lower is better for the losses and the RMSE;
higher for the fraction of real words in the sample). Also prints the course-style table of
the walk-forward RMSE (mean +/- std per cell type) against the persistence baseline.
"""

from __future__ import annotations

import pprint
import sys
import time
from pathlib import Path

import numpy as np
import torch

from dlgrade.data import load_shampoo
from graders.tooling.calibration import (cpu_summary, load_reference, or_raised, perturbed, print_tables,
                                        report_mutants, script_arguments, secret_draws, unusual_variant,
                                        variation_note, verdict, worst_per_draw, write_and_report)
from graders.engine.thresholds import Threshold, calibrate, rewrite_from, set_constant, table_literal

from . import causal, tasks
from .thresholds import (CELLS, CHAR_SETTINGS, CHAR_SETTINGS_TASK, CHECK_CHAR, CHECK_CHAR_STEPWISE,
                         CHECK_FORECAST, CHECK_SAMPLE, PERSISTENCE_RMSE, SHAMPOO_SETTINGS, char_text,
                         sample_word_fraction, training_words)

DRAWS = 5
CHAR_MARGIN = 0.20  # a correct one-hot CharLSTM learns more slowly at these settings
SHAMPOO_MARGIN = 0.20
SAMPLE_MARGIN = 0.50  # a correct one-hot CharLSTM samples fewer real words (it learns more slowly)
CHAR_CPU_BUDGET_S = 20.0
SHAMPOO_CPU_BUDGET_S = 5.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")
# (what, the unusual submission of tests/mutants or None for the reference, perturb the series)
CHAR_VARIATIONS = (("the reference", None),
                   ("a CharLSTM fed one-hot rows instead of an embedding", "char_lstm_one_hot_inputs"))
FORECAST_VARIATIONS = (("the reference", None, False),
                       ("the series perturbed 1e-12 relative", None, True),
                       ("the forecast read from the final hidden state h_n", "forecaster_final_hidden_state", False))


def _module(name):
    return load_reference("sequences_torch") if name is None else unusual_variant("sequences_torch", name)


def char_run(module, secret) -> dict:
    """A graded CharLSTM run under `secret`: the grader's metrics, the CPU seconds of the
    training task and of the evaluation."""
    split = causal.char_split(char_text(), secret, CHECK_CHAR_STEPWISE, CHAR_SETTINGS["segment_chars"],
                              CHAR_SETTINGS["heldout_segments"])
    start = time.process_time()
    r = tasks.task_char_lstm_train(module, list(split.train_pieces), len(split.vocab),
                                   seed=secret.seed(CHECK_CHAR_STEPWISE, "train"), **CHAR_SETTINGS_TASK)
    cpu = time.process_time() - start
    start = time.process_time()
    out = causal.char_evaluation(causal.InProcessBox(tasks, module), r["state"], split, CHAR_SETTINGS,
                                 secret.seed(CHECK_SAMPLE, "sample"))
    out["eval_cpu_seconds"] = time.process_time() - start
    out["task_cpu_seconds"] = cpu
    out["sample_word_fraction"] = sample_word_fraction(out["sample"], training_words(split.train_text))
    return out


def shampoo_run(module, cell: str, secret, perturb: bool = False) -> dict:
    """A graded walk-forward run of `cell` under `secret`: the grader's RMSE and CPU seconds."""
    series = load_shampoo()
    data = causal.forecast_data(perturbed(series) if perturb else series, SHAMPOO_SETTINGS["n_test"],
                                SHAMPOO_SETTINGS["window"])
    start = time.process_time()
    r = tasks.task_forecaster_train(module, data["X_train"], data["y_train"], cell=cell,
                                    hidden_size=SHAMPOO_SETTINGS["hidden_size"], epochs=SHAMPOO_SETTINGS["epochs"],
                                    lr=SHAMPOO_SETTINGS["lr"], seed=secret.seed(CHECK_FORECAST[cell], "train"))
    cpu = time.process_time() - start
    start = time.process_time()
    out = causal.forecast_evaluation(causal.InProcessBox(tasks, module), r["state"], cell,
                                     SHAMPOO_SETTINGS["hidden_size"], data)
    out["eval_cpu_seconds"] = time.process_time() - start
    out["task_cpu_seconds"] = cpu
    return out


def shampoo_table(results: dict[str, list[float]]) -> str:
    """The course-style table: walk-forward test RMSE per cell type over the draws."""
    lines = ["| model | test RMSE mean +/- std | min | max | beats persistence |", "|---|---|---|---|---|"]
    for cell, v in results.items():
        v = np.asarray(v)
        lines.append(f"| {cell} | {v.mean():.1f} +/- {v.std():.1f} | {v.min():.1f} | {v.max():.1f} | "
                     f"{int((v < PERSISTENCE_RMSE).sum())}/{len(v)} |")
    lines.append(f"| persistence | {PERSISTENCE_RMSE:.1f} | | | |")
    return "\n".join(lines)


def run(verbose: bool = True) -> tuple[dict[str, Threshold], dict[str, list[float]]]:
    draws = secret_draws("sequences_torch", DRAWS)
    thresholds = {}
    char_note = variation_note([w for w, _ in CHAR_VARIATIONS], draws)
    values = {key: {} for key in ("val_loss", "val_loss_stepwise", "sample_word_fraction")}
    cpus, eval_cpus = [], []
    for v, (what, name) in enumerate(CHAR_VARIATIONS):
        module = _module(name)
        for draw, secret in draws.items():
            r = char_run(module, secret)
            for key in values:
                values[key][draw, v] = r[key]
            cpus.append(r["task_cpu_seconds"])
            eval_cpus.append(r["eval_cpu_seconds"])
            if verbose:
                print(f"CharLSTM draw {draw} ({what}): val {r['val_loss']:.4f} stepwise {r['val_loss_stepwise']:.4f} "
                      f"one call {r['window_loss_one_call']:.4f} words {r['sample_word_fraction']:.3f} "
                      f"({r['task_cpu_seconds']:.1f} s CPU training, {r['eval_cpu_seconds']:.2f} s evaluating) "
                      f"sample: {r['sample'][:50]!r}", flush=True)
    if verbose:
        print(f"CharLSTM: training {cpu_summary(cpus, 1)}; evaluation {cpu_summary(eval_cpus)}")
    common = dict(higher_is_better=False, margin=CHAR_MARGIN, cpu_budget_s=CHAR_CPU_BUDGET_S,
                  settings={**CHAR_SETTINGS, "calibrated_over": char_note},
                  dataset="pydoc_data.topics (load_english_text)", grade_seed=0)
    thresholds[CHECK_CHAR] = calibrate("validation cross-entropy (nats/char, windows of 50 from a fresh state)",
                                       worst_per_draw(values["val_loss"], False), **common)
    thresholds[CHECK_CHAR_STEPWISE] = calibrate("validation cross-entropy (nats/char, state carried)",
                                                worst_per_draw(values["val_loss_stepwise"], False), **common)
    thresholds[CHECK_SAMPLE] = calibrate(
        f"fraction of the sample's words found in the training text ({CHAR_SETTINGS['sample_len']} "
        f"characters at temperature {CHAR_SETTINGS['temperature']})",
        worst_per_draw(values["sample_word_fraction"], True),
        **{**common, "higher_is_better": True, "margin": SAMPLE_MARGIN})
    table = {}
    forecast_note = variation_note([w for w, _, _ in FORECAST_VARIATIONS], draws)
    modules = [(what, _module(name), perturb) for what, name, perturb in FORECAST_VARIATIONS]
    for cell in CELLS:
        rmse, cpus, eval_cpus = {}, [], []
        for draw, secret in draws.items():
            for v, (what, module, perturb) in enumerate(modules):
                r = shampoo_run(module, cell, secret, perturb)
                assert abs(r["persistence_rmse"] - PERSISTENCE_RMSE) < 1e-6
                rmse[draw, v] = r["rmse"]
                cpus.append(r["task_cpu_seconds"])
                eval_cpus.append(r["eval_cpu_seconds"])
        table[cell] = [rmse[draw, 0] for draw in draws]
        if verbose:
            print(f"Forecaster {cell}: RMSE " + ", ".join(f"{k}: {x:.1f}" for k, x in rmse.items())
                  + f" (training {cpu_summary(cpus)}; evaluation {cpu_summary(eval_cpus, 3)})", flush=True)
        thresholds[CHECK_FORECAST[cell]] = calibrate(
            "walk-forward test RMSE (sales units, last 12 months)", worst_per_draw(rmse, False),
            higher_is_better=False, margin=SHAMPOO_MARGIN, cpu_budget_s=SHAMPOO_CPU_BUDGET_S,
            settings={**SHAMPOO_SETTINGS, "cell": cell, "calibrated_over": forecast_note}, dataset="shampoo",
            grade_seed=0)
    return thresholds, table


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    def settings(name: str, t: Threshold) -> dict:
        if name in (CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_SAMPLE):
            return {"settings": "{**CHAR_SETTINGS, 'calibrated_over': CALIBRATED_OVER['CharLSTM']}"}
        return {"settings": f"{{**SHAMPOO_SETTINGS, 'cell': {t.settings['cell']!r}, "
                            "'calibrated_over': CALIBRATED_OVER['Forecaster']}"}

    notes = {"CharLSTM": thresholds[CHECK_CHAR].settings["calibrated_over"],
             "Forecaster": thresholds[CHECK_FORECAST[CELLS[0]]].settings["calibrated_over"]}
    source = set_constant(THRESHOLDS_FILE.read_text(encoding="utf-8"), "CALIBRATED_OVER", notes)
    return rewrite_from(source, "THRESHOLDS = {", table_literal(thresholds, sources=settings))


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """The grade-seed metrics of the mutants (needs the tests/ tree)."""
    secret = secret_draws("sequences_torch")[0]

    def char_cells(module) -> str:
        r = char_run(module, secret)
        cells = []
        for check, key in ((CHECK_CHAR, "val_loss"), (CHECK_CHAR_STEPWISE, "val_loss_stepwise"),
                           (CHECK_SAMPLE, "sample_word_fraction")):
            ok = verdict(thresholds[check], r[key]) if check in thresholds else "?"
            cells.append(f"{key} {r[key]:.3f} {ok}")
        return "; ".join(cells)

    def forecast_cell(module, cell: str) -> str:
        rmse = shampoo_run(module, cell, secret)["rmse"]
        return f"{cell} {rmse:.1f} {verdict(thresholds[CHECK_FORECAST[cell]], rmse)}"

    def describe(module) -> str:
        cells = [or_raised("char ", lambda: char_cells(module), 60)]
        cells += [or_raised(f"{cell} ", lambda: forecast_cell(module, cell), 60) for cell in CELLS]
        return "; ".join(cells)

    report_mutants("sequences_torch", describe, names=names, width=42)


def main(argv=None) -> int:
    args = script_arguments(__doc__).parse_args(argv)
    torch.set_num_threads(1)
    thresholds, table = run()
    print_tables(thresholds, shampoo_table(table),
                 pprint.pformat({"CHAR_SETTINGS": CHAR_SETTINGS, "SHAMPOO_SETTINGS": SHAMPOO_SETTINGS},
                                sort_dicts=False))
    return write_and_report(args, THRESHOLDS_FILE, lambda: render(thresholds),
                            lambda names: mutant_report(thresholds, names))  # the bounds just calibrated


if __name__ == "__main__":
    sys.exit(main())
