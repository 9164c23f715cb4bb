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

import argparse
import importlib.util
import pprint
import sys
import time
from pathlib import Path

import numpy as np
import torch

from dlgrade.data import load_shampoo
from graders.engine.thresholds import Threshold, calibrate, format_table

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
REFERENCE = Path(__file__).resolve().parents[3] / "reference" / "torch" / "sequences_torch.py"


def load_reference():
    spec = importlib.util.spec_from_file_location("sequences_torch_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    ref = load_reference()
    thresholds = {}
    val, step, words, cpus = {}, {}, {}, []
    for seed in CHAR_SEEDS:
        r = char_run(ref, seed)
        val[seed], step[seed] = r["val_loss"], r["val_loss_stepwise"]
        words[seed] = r["sample_word_fraction"]
        cpus.append(r["task_cpu_seconds"])
        if verbose:
            print(f"CharLSTM seed {seed}: val {r['val_loss']:.4f} stepwise {r['val_loss_stepwise']:.4f} "
                  f"train {r['train_loss']:.4f} words {r['sample_word_fraction']:.3f} "
                  f"({r['task_cpu_seconds']:.1f} s CPU) sample: {r['sample'][:60]!r}")
    if verbose:
        print(f"CharLSTM task: {np.mean(cpus):.1f} s CPU on average, {max(cpus):.1f} s at most; "
              f"uniform {r['uniform_loss']:.3f}, unigram {r['unigram_loss']:.3f}")
    common = dict(higher_is_better=False, margin=CHAR_MARGIN, cpu_budget_s=CHAR_CPU_BUDGET_S,
                  settings=CHAR_SETTINGS, dataset="pydoc_data.topics (load_english_text)", grade_seed=0)
    thresholds[CHECK_CHAR] = calibrate("validation cross-entropy (nats/char, windows of 50)", val, **common)
    thresholds[CHECK_CHAR_STEPWISE] = calibrate("validation cross-entropy (nats/char, one char per call)",
                                                step, **common)
    thresholds[CHECK_SAMPLE] = calibrate(
        f"fraction of the sample's words found in the training text ({CHAR_SETTINGS['sample_len']} "
        f"characters at temperature {CHAR_SETTINGS['temperature']})", words,
        **{**common, "higher_is_better": True, "margin": SAMPLE_MARGIN})
    table = {}
    for cell in CELLS:
        values, cpus = {}, []
        for seed in SHAMPOO_SEEDS:
            r = shampoo_run(ref, cell, seed)
            values[seed] = r["rmse"]
            cpus.append(r["task_cpu_seconds"])
            assert abs(r["persistence_rmse"] - PERSISTENCE_RMSE) < 1e-9
        table[cell] = [values[s] for s in SHAMPOO_SEEDS]
        if verbose:
            print(f"Forecaster {cell}: RMSE {np.round(table[cell], 1).tolist()} "
                  f"({np.mean(cpus):.2f} s CPU on average, {max(cpus):.2f} s at most)")
        thresholds[CHECK_FORECAST[cell]] = calibrate(
            "walk-forward test RMSE (sales units, last 12 months)", values, higher_is_better=False,
            margin=SHAMPOO_MARGIN, cpu_budget_s=SHAMPOO_CPU_BUDGET_S,
            settings={**SHAMPOO_SETTINGS, "cell": cell}, dataset="shampoo", grade_seed=0)
    return thresholds, table


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    source = Path(__file__).with_name("thresholds.py").read_text(encoding="utf-8")
    head, _, _ = source.partition("THRESHOLDS = {")
    body = ["THRESHOLDS = {"]
    for name, t in thresholds.items():
        body.append(f"    {name!r}: Threshold(")
        for field in ("metric", "bound", "higher_is_better", "reference_values", "seeds", "margin",
                      "cpu_budget_s", "grade_seed"):
            value = getattr(t, field)
            if isinstance(value, tuple) and value and isinstance(value[0], float):
                body.append(f"        {field}=({', '.join(f'{v!r}' for v in value)},),")
            else:
                body.append(f"        {field}={value!r},")
        if name in (CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_SAMPLE):
            body.append("        settings=dict(CHAR_SETTINGS),")
        else:
            body.append(f"        settings={{**SHAMPOO_SETTINGS, 'cell': {t.settings['cell']!r}}},")
        body.append(f"        dataset={t.dataset!r},")
        body.append("    ),")
    body.append("}")
    return head + "\n".join(body) + "\n"


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """The grade-seed metrics of the mutants (needs the tests/ tree)."""
    from tests.mutants import load_module_from_source, reference_path
    from tests.mutants.sequences_torch import MUTANTS, UNUSUAL

    source = reference_path("sequences_torch").read_text(encoding="utf-8")
    for kind, mutants in (("MUTANT", MUTANTS), ("UNUSUAL", UNUSUAL)):
        for m in mutants:
            if names and m.name not in names:
                continue
            mod = load_module_from_source(m.apply(source), m.name)
            cells = []
            try:
                r = char_run(mod, 0)
                for check, key in ((CHECK_CHAR, "val_loss"), (CHECK_CHAR_STEPWISE, "val_loss_stepwise"),
                                   (CHECK_SAMPLE, "sample_word_fraction")):
                    ok = thresholds[check].passes(r[key]) if check in thresholds else None
                    cells.append(f"{key} {r[key]:.3f} {'?' if ok is None else 'pass' if ok else 'FAIL'}")
            except Exception as exc:  # noqa: BLE001
                cells.append(f"char raised {type(exc).__name__}: {str(exc)[:60]}")
            for cell in CELLS:
                try:
                    r = shampoo_run(mod, cell, 0)
                    ok = thresholds[CHECK_FORECAST[cell]].passes(r["rmse"])
                    cells.append(f"{cell} {r['rmse']:.1f} {'pass' if ok else 'FAIL'}")
                except Exception as exc:  # noqa: BLE001
                    cells.append(f"{cell} raised {type(exc).__name__}: {str(exc)[:60]}")
            print(f"{kind:8s} {m.name:42s} " + "; ".join(cells))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    parser.add_argument("--mutants", nargs="*", default=None, help="also report the mutants (all, or those named)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    thresholds, table = run()
    print()
    print(format_table(thresholds))
    print()
    print(shampoo_table(table))
    print()
    pprint.pprint({"CHAR_SETTINGS": CHAR_SETTINGS, "SHAMPOO_SETTINGS": SHAMPOO_SETTINGS}, sort_dicts=False)
    if args.write:
        path = Path(__file__).with_name("thresholds.py")
        path.write_text(render(thresholds), encoding="utf-8")
        print(f"wrote {path}")
    if args.mutants is not None:
        print()
        mutant_report(thresholds, args.mutants or None)  # the bounds just calibrated
    return 0


if __name__ == "__main__":
    sys.exit(main())
