"""Calibrate the trained-model bounds of `sequences_torch` on the reference solution.

    python -m graders.assignments.sequences_torch.calibrate            # print the tables
    python -m graders.assignments.sequences_torch.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.sequences_torch.calibrate --mutants  # and report the mutants

Runs the grader's own sandbox tasks (`tasks.py`) on the reference module with the
settings of `thresholds.py`: the CharLSTM over CHAR_SEEDS, the shampoo forecaster over
SHAMPOO_SEEDS for each cell type. Each bound is the worst reference value with the
margin (lower is better for the losses and the RMSE; higher for the fraction of real
words in the sample). Also prints the course-style table of the walk-forward RMSE
(mean +/- std per cell type) against the persistence baseline.
"""

from __future__ import annotations

import pprint
import sys
import time
from pathlib import Path

import numpy as np
import torch

from dlgrade.data import load_shampoo
from graders.engine.calibration import (cpu_summary, load_reference, or_raised, over_seeds,
                                        print_tables, report_mutants, script_arguments, verdict,
                                        write_and_report)
from graders.engine.thresholds import Threshold, calibrate, rewrite_from, table_literal

from . import tasks
from .thresholds import (CELLS, CHAR_SETTINGS, CHAR_SETTINGS_TASK, CHECK_CHAR, CHECK_CHAR_STEPWISE,
                         CHECK_FORECAST, CHECK_SAMPLE, PERSISTENCE_RMSE, SHAMPOO_SETTINGS, char_text,
                         sample_word_fraction, training_words)

CHAR_SEEDS = tuple(range(5))
SHAMPOO_SEEDS = tuple(range(10))
CHAR_MARGIN = 0.20  # a correct one-hot CharLSTM reaches 1.95-2.02 at these settings (embedding: 1.79-1.83)
SHAMPOO_MARGIN = 0.20
SAMPLE_MARGIN = 0.50  # a correct one-hot CharLSTM samples fewer real words (it learns more slowly)
CHAR_CPU_BUDGET_S = 20.0
SHAMPOO_CPU_BUDGET_S = 5.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


def char_run(module, seed: int) -> dict:
    """The CharLSTM task at `seed`, with CPU seconds of the whole task."""
    start = time.process_time()
    text = char_text()
    r = tasks.task_char_lstm_train(module, text, seed=seed, **CHAR_SETTINGS_TASK)
    r["task_cpu_seconds"] = time.process_time() - start
    r["sample_word_fraction"] = sample_word_fraction(r["sample"], training_words(text))
    return r


def shampoo_run(module, cell: str, seed: int) -> dict:
    start = time.process_time()
    r = tasks.task_shampoo_forecast(module, load_shampoo(), cell=cell, seed=seed, **SHAMPOO_SETTINGS)
    r["task_cpu_seconds"] = time.process_time() - start
    return r


def shampoo_table(results: dict[str, list[float]]) -> str:
    """The course-style table: walk-forward test RMSE per cell type over seeds."""
    lines = ["| model | test RMSE mean +/- std | min | max | beats persistence |", "|---|---|---|---|---|"]
    for cell, v in results.items():
        v = np.asarray(v)
        lines.append(f"| {cell} | {v.mean():.1f} +/- {v.std():.1f} | {v.min():.1f} | {v.max():.1f} | "
                     f"{int((v < PERSISTENCE_RMSE).sum())}/{len(v)} |")
    lines.append(f"| persistence | {PERSISTENCE_RMSE:.1f} | | | |")
    return "\n".join(lines)


def run(verbose: bool = True) -> tuple[dict[str, Threshold], dict[str, list[float]]]:
    ref = load_reference("sequences_torch")
    thresholds = {}
    char = over_seeds(CHAR_SEEDS, lambda seed: char_run(ref, seed), lambda seed, r: (
        f"CharLSTM seed {seed}: val {r['val_loss']:.4f} stepwise {r['val_loss_stepwise']:.4f} "
        f"train {r['train_loss']:.4f} words {r['sample_word_fraction']:.3f} "
        f"({r['task_cpu_seconds']:.1f} s CPU) sample: {r['sample'][:60]!r}"), verbose=verbose)
    if verbose:
        cpus = [r["task_cpu_seconds"] for r in char.values()]
        last = char[CHAR_SEEDS[-1]]
        print(f"CharLSTM task: {cpu_summary(cpus, 1)}; "
              f"uniform {last['uniform_loss']:.3f}, unigram {last['unigram_loss']:.3f}")
    common = dict(higher_is_better=False, margin=CHAR_MARGIN, cpu_budget_s=CHAR_CPU_BUDGET_S,
                  settings=CHAR_SETTINGS, dataset="pydoc_data.topics (load_english_text)", grade_seed=0)
    val, step, words = ({seed: r[key] for seed, r in char.items()}
                        for key in ("val_loss", "val_loss_stepwise", "sample_word_fraction"))
    thresholds[CHECK_CHAR] = calibrate("validation cross-entropy (nats/char, windows of 50)", val, **common)
    thresholds[CHECK_CHAR_STEPWISE] = calibrate("validation cross-entropy (nats/char, one char per call)",
                                                step, **common)
    thresholds[CHECK_SAMPLE] = calibrate(
        f"fraction of the sample's words found in the training text ({CHAR_SETTINGS['sample_len']} "
        f"characters at temperature {CHAR_SETTINGS['temperature']})", words,
        **{**common, "higher_is_better": True, "margin": SAMPLE_MARGIN})
    table = {}
    for cell in CELLS:
        runs = over_seeds(SHAMPOO_SEEDS, lambda seed: shampoo_run(ref, cell, seed))
        assert all(abs(r["persistence_rmse"] - PERSISTENCE_RMSE) < 1e-9 for r in runs.values())
        values = {seed: r["rmse"] for seed, r in runs.items()}
        table[cell] = [values[s] for s in SHAMPOO_SEEDS]
        if verbose:
            cpus = [r["task_cpu_seconds"] for r in runs.values()]
            print(f"Forecaster {cell}: RMSE {np.round(table[cell], 1).tolist()} ({cpu_summary(cpus)})")
        thresholds[CHECK_FORECAST[cell]] = calibrate(
            "walk-forward test RMSE (sales units, last 12 months)", values, higher_is_better=False,
            margin=SHAMPOO_MARGIN, cpu_budget_s=SHAMPOO_CPU_BUDGET_S,
            settings={**SHAMPOO_SETTINGS, "cell": cell}, dataset="shampoo", grade_seed=0)
    return thresholds, table


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    def settings(name: str, t: Threshold) -> dict:
        if name in (CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_SAMPLE):
            return {"settings": "dict(CHAR_SETTINGS)"}
        return {"settings": f"{{**SHAMPOO_SETTINGS, 'cell': {t.settings['cell']!r}}}"}

    source = THRESHOLDS_FILE.read_text(encoding="utf-8")
    return rewrite_from(source, "THRESHOLDS = {", table_literal(thresholds, sources=settings))


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """The grade-seed metrics of the mutants (needs the tests/ tree)."""
    def char_cells(module) -> str:
        r = char_run(module, 0)
        cells = []
        for check, key in ((CHECK_CHAR, "val_loss"), (CHECK_CHAR_STEPWISE, "val_loss_stepwise"),
                           (CHECK_SAMPLE, "sample_word_fraction")):
            ok = verdict(thresholds[check], r[key]) if check in thresholds else "?"
            cells.append(f"{key} {r[key]:.3f} {ok}")
        return "; ".join(cells)

    def forecast_cell(module, cell: str) -> str:
        rmse = shampoo_run(module, cell, 0)["rmse"]
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
