"""Calibrate the trained-model bounds of `transfer_torch` on the reference solution.

    python -m graders.assignments.transfer_torch.calibrate            # print the table
    python -m graders.assignments.transfer_torch.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.transfer_torch.calibrate --mutants  # and report the mutants

Runs the grader's sandbox task `tasks.task_transfer` on the reference module with the
settings of `thresholds.py` over SEEDS, for the 5-class and the binary transfer. Each
bound is the worst reference accuracy times (1 - MARGIN).
"""

from __future__ import annotations

import pprint
import sys
import time
from pathlib import Path

import torch

from graders.engine.calibration import (cpu_summary, load_reference, or_raised, over_seeds,
                                        print_tables, report_mutants, script_arguments, verdict,
                                        write_and_report)
from graders.engine.thresholds import Threshold, calibrate, rewrite_from, table_literal

from . import tasks
from .base_model import digits_split, load_weights
from .thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, SPLIT, TRANSFER_SETTINGS

SEEDS = tuple(range(10))
MARGIN = 0.05
CPU_BUDGET_S = 10.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")


def transfer_run(module, classes, seed: int) -> dict:
    """The transfer task at `seed` with the CPU seconds of the whole task."""
    start = time.process_time()
    r = tasks.task_transfer(module, load_weights(), *digits_split(classes, **SPLIT), seed=seed,
                            **TRANSFER_SETTINGS)
    r["task_cpu_seconds"] = time.process_time() - start
    return r


def run(verbose: bool = True) -> dict[str, Threshold]:
    ref = load_reference("transfer_torch")
    thresholds = {}
    for key, classes in CLASSES.items():
        runs = over_seeds(SEEDS, lambda seed: transfer_run(ref, classes, seed), lambda seed, r: (
            f"{key} seed {seed}: head {r['head_accuracy']:.4f} fine-tuned {r['fine_tune_accuracy']:.4f} "
            f"trainable {r['trainable_head']} -> {r['trainable_fine']} ({r['task_cpu_seconds']:.2f} s CPU)"),
            verbose=verbose)
        if verbose:
            print(f"{key}: {cpu_summary([r['task_cpu_seconds'] for r in runs.values()])}")
        head, fine = ({seed: r[metric] for seed, r in runs.items()}
                      for metric in ("head_accuracy", "fine_tune_accuracy"))
        common = dict(higher_is_better=True, margin=MARGIN, cpu_budget_s=CPU_BUDGET_S, grade_seed=0,
                      settings={**TRANSFER_SETTINGS, "classes": classes, **SPLIT},
                      dataset=f"digits {classes} (base pretrained on 0-4)")
        thresholds[CHECK_HEAD[key]] = calibrate("held-out accuracy, head only", head, **common)
        thresholds[CHECK_FINE[key]] = calibrate("held-out accuracy after fine-tuning", fine, **common)
    return thresholds


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals."""
    table = table_literal(thresholds, sources=lambda _, t: {
        "settings": f"{{**TRANSFER_SETTINGS, 'classes': {t.settings['classes']!r}, **SPLIT}}"})
    return rewrite_from(THRESHOLDS_FILE.read_text(encoding="utf-8"), "THRESHOLDS = {", table)


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Grade-seed accuracies of the mutants (needs the tests/ tree)."""
    def cell(module, key: str, classes) -> str:
        r = transfer_run(module, classes, 0)
        head, fine = r["head_accuracy"], r["fine_tune_accuracy"]
        return (f"{key}: head {head:.3f} {verdict(thresholds[CHECK_HEAD[key]], head)} "
                f"fine {fine:.3f} {verdict(thresholds[CHECK_FINE[key]], fine)} drift {r['base_drift']:.2g}")

    report_mutants("transfer_torch", lambda module: "; ".join(
        or_raised(f"{key}: ", lambda: cell(module, key, classes), 70) for key, classes in CLASSES.items()),
        names=names, width=40)


def main(argv=None) -> int:
    args = script_arguments(__doc__).parse_args(argv)
    torch.set_num_threads(1)
    thresholds = run()
    print_tables(thresholds, pprint.pformat({"TRANSFER_SETTINGS": TRANSFER_SETTINGS, "SPLIT": SPLIT,
                                             "CLASSES": CLASSES}, sort_dicts=False))
    from .thresholds import THRESHOLDS  # the mutants meet the written bounds when there are any

    return write_and_report(args, THRESHOLDS_FILE, lambda: render(thresholds),
                            lambda names: mutant_report(THRESHOLDS or thresholds, names))


if __name__ == "__main__":
    sys.exit(main())
