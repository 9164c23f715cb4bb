"""Calibrate the trained-model bounds of `sequences_torch` on the reference solution.

    dlgrade calibrate sequences_torch              # print the tables
    dlgrade calibrate sequences_torch --write      # also write thresholds.json
    dlgrade calibrate sequences_torch --mutants    # and report the mutants

Runs what a grade runs, in this process: the grader's training tasks (`tasks.py`) on the
training data of a course-secret draw, then the grader's causal evaluation
(`causal.char_evaluation`, `causal.forecast_evaluation`) on the trained state, over DRAWS
secret draws and the harmless variations of CHAR_VARIATIONS and FORECAST_VARIATIONS. Each
bound is the worst value with the margin (lower is better for the losses and the RMSE;
higher for the fraction of real words in the sample). Also prints the course-style table of
the walk-forward RMSE (mean +/- std per cell type) against the persistence baseline.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from dlgrade.data import load_shampoo
from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (calibrate_declared, cpu_summary, load_reference, or_raised, perturbed,
                                         report_mutants as report, secret_draws, unusual_variant, verdict,
                                         worst_per_draw)

from . import causal, tasks
from .thresholds import (CELLS, CHAR_SETTINGS, CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_FORECAST, CHECK_SAMPLE,
                         PERSISTENCE_RMSE, SHAMPOO_SETTINGS, TEXT_DATA, char_text, sample_word_fraction,
                         training_words)

DRAWS = 5
TASK_KEYS = ("hidden_size", "num_layers", "seq_len", "batch_size", "steps", "lr", "clip")  # task_char_lstm_train's
# (what, the unusual submission of slips.py or None for the reference, perturb the series); the declarations'
# `runs` say the same in words.
CHAR_VARIATIONS = (("the reference", None),
                   ("a CharLSTM fed one-hot rows instead of an embedding", "char_lstm_one_hot_inputs"))
FORECAST_VARIATIONS = (("the reference", None, False),
                       ("the series perturbed 1e-12 relative", None, True),
                       ("the forecast read from the final hidden state h_n", "forecaster_final_hidden_state", False))


def _module(name):
    return load_reference("sequences_torch") if name is None else unusual_variant("sequences_torch", name)


def char_run(module, secret, settings: dict = CHAR_SETTINGS) -> dict:
    """A graded CharLSTM run under `secret`: the grader's metrics, the CPU seconds of the
    training task and of the evaluation."""
    split = causal.char_split(char_text(settings), secret, CHECK_CHAR_STEPWISE, settings["segment_chars"],
                              settings["heldout_segments"])
    start = time.process_time()
    r = tasks.task_char_lstm_train(module, list(split.train_pieces), len(split.vocab),
                                   seed=secret.seed(CHECK_CHAR_STEPWISE, "train"),
                                   **{k: settings[k] for k in TASK_KEYS})
    cpu = time.process_time() - start
    start = time.process_time()
    out = causal.char_evaluation(causal.InProcessBox(tasks, module), r["state"], split, settings,
                                 secret.seed(CHECK_SAMPLE, "sample"))
    out["eval_cpu_seconds"] = time.process_time() - start
    out["task_cpu_seconds"] = cpu
    out["sample_word_fraction"] = sample_word_fraction(out["sample"], training_words(split.train_text))
    return out


def shampoo_run(module, cell: str, secret, perturb: bool = False, settings: dict = SHAMPOO_SETTINGS) -> dict:
    """A graded walk-forward run of `cell` under `secret`: the grader's RMSE and CPU seconds."""
    series = load_shampoo()
    data = causal.forecast_data(perturbed(series) if perturb else series, settings["n_test"], settings["window"])
    start = time.process_time()
    r = tasks.task_forecaster_train(module, data["X_train"], data["y_train"], cell=cell,
                                    hidden_size=settings["hidden_size"], epochs=settings["epochs"],
                                    lr=settings["lr"], seed=secret.seed(CHECK_FORECAST[cell], "train"))
    cpu = time.process_time() - start
    start = time.process_time()
    out = causal.forecast_evaluation(causal.InProcessBox(tasks, module), r["state"], cell,
                                     settings["hidden_size"], data)
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


def calibrate(checks, dataset_spec=None, n_draws: int | None = None, verbose: bool = True) -> dict[str, Threshold]:
    """{check key: Threshold} of the declared `checks` over `n_draws` course-secret draws and the
    harmless variations (the CharLSTM checks share one run a draw and variation); prints the
    course-style table of the forecasts."""
    torch.set_num_threads(1)
    draws = secret_draws("sequences_torch", n_draws or DRAWS)
    checks = list(checks)
    char = [c for c in checks if TEXT_DATA in c.settings]
    found = _calibrate_char(char, draws, verbose) if char else {}
    forecast = {c.key: c for c in checks if c not in char}
    table = {}
    for cell in CELLS:
        check = forecast.get(CHECK_FORECAST[cell])
        if check is None:
            continue
        settings = check.settings["shampoo"]
        modules = [(what, _module(name), perturb) for what, name, perturb in FORECAST_VARIATIONS]
        rmse, cpus, eval_cpus = {}, [], []
        for draw, secret in draws.items():
            for v, (what, module, perturb) in enumerate(modules):
                r = shampoo_run(module, cell, secret, perturb, settings)
                rmse[draw, v] = r["rmse"]
                cpus.append(r["task_cpu_seconds"])
                eval_cpus.append(r["eval_cpu_seconds"])
        table[cell] = [rmse[draw, 0] for draw in draws]
        if verbose:
            print(f"Forecaster {cell}: RMSE " + ", ".join(f"{k}: {x:.1f}" for k, x in rmse.items())
                  + f" (training {cpu_summary(cpus)}; evaluation {cpu_summary(eval_cpus, 3)})", flush=True)
        found[check.key] = calibrate_declared(check, worst_per_draw(rmse, False), cpus, "shampoo", verbose=verbose)
    if verbose and table:
        print()
        print(shampoo_table(table))
    return found


def _calibrate_char(checks, draws: dict, verbose: bool) -> dict[str, Threshold]:
    settings = checks[0].settings[TEXT_DATA]
    if any(c.settings[TEXT_DATA] != settings for c in checks):
        raise ValueError("the CharLSTM checks share one training run: give them the same settings")
    values = {c.key: {} for c in checks}
    cpus, eval_cpus = [], []
    for v, (what, name) in enumerate(CHAR_VARIATIONS):
        module = _module(name)
        for draw, secret in draws.items():
            r = char_run(module, secret, settings)
            for c in checks:
                values[c.key][draw, v] = r[c.metric_key]
            cpus.append(r["task_cpu_seconds"])
            eval_cpus.append(r["eval_cpu_seconds"])
            if verbose:
                print(f"CharLSTM draw {draw} ({what}): val {r['val_loss']:.4f} stepwise {r['val_loss_stepwise']:.4f} "
                      f"one call {r['window_loss_one_call']:.4f} words {r['sample_word_fraction']:.3f} "
                      f"({r['task_cpu_seconds']:.1f} s CPU training, {r['eval_cpu_seconds']:.2f} s evaluating) "
                      f"sample: {r['sample'][:50]!r}", flush=True)
    if verbose:
        print(f"CharLSTM: training {cpu_summary(cpus, 1)}; evaluation {cpu_summary(eval_cpus)}")
    return {c.key: calibrate_declared(c, worst_per_draw(values[c.key], c.higher_is_better), cpus, TEXT_DATA,
                                      verbose=verbose) for c in checks}


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """The metrics of the mutants at calibration draw 0."""
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
        check = CHECK_FORECAST[cell]
        return f"{cell} {rmse:.1f} {verdict(thresholds[check], rmse) if check in thresholds else '?'}"

    def describe(module) -> str:
        cells = [or_raised("char ", lambda: char_cells(module), 60)]
        cells += [or_raised(f"{cell} ", lambda: forecast_cell(module, cell), 60) for cell in CELLS]
        return "; ".join(cells)

    report("sequences_torch", describe, names=names, width=42)


if __name__ == "__main__":
    sys.exit(calibrate_main("sequences_torch"))
