"""Calibrate the trained-model bounds of `transfer_torch` on the reference solution.

    python -m graders.assignments.transfer_torch.calibrate            # print the table
    python -m graders.assignments.transfer_torch.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.transfer_torch.calibrate --mutants  # and report the mutants

Runs the grader's sandbox tasks on the reference module with the settings of
`thresholds.py`, as a grade does: training (`tasks.task_transfer_train`) on the training rows
of a course-secret draw, logits of the held-out rows from the trained states
(`tasks.task_transfer_logits`), accuracy computed here. Over DRAWS secret draws (seed and
held-out rows) and the harmless VARIATIONS (the reference, its training images perturbed
1e-12 relative, global average pooling summed another way); each bound is the worst
accuracy times (1 - MARGIN).
"""

from __future__ import annotations

import pprint
import sys
import time
from pathlib import Path

import torch

from graders.tooling.calibration import (cpu_summary, load_reference, or_raised, perturbed, print_tables,
                                        reference_variant, report_mutants, script_arguments, secret_draws,
                                        variation_note, verdict, worst_per_draw, write_and_report)
from graders.engine.thresholds import Threshold, calibrate, rewrite_from, set_constant, table_literal

from . import tasks
from .checks_trained import accuracy
from .data import secret_draw, weights
from .thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, SPLIT, TRANSFER_SETTINGS

DRAWS = 10
MARGIN = 0.05
CPU_BUDGET_S = 10.0
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.py")
# (what, reference edit (old, new) or None, perturb the training images)
VARIATIONS = (
    ("the reference", None, False),
    ("training images perturbed 1e-12 relative", None, True),
    ("global average pooling as x.mean(dim=(2, 3)) in a custom module (another summation order)",
     ("    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))",
      "    return _MeanHead(base, nn.Linear(n_features, n_out))\n\n\n"
      "class _MeanHead(nn.Module):\n"
      "    def __init__(self, base, fc):\n"
      "        super().__init__()\n"
      "        self.base, self.fc = base, fc\n\n"
      "    def forward(self, x):\n"
      "        return self.fc(self.base(x).mean(dim=(3, 2)))"), False),
)


def transfer_run(module, key: str, secret, perturb: bool = False) -> dict:
    """One graded run of CLASSES[key] under `secret`: the grader's accuracies, and the CPU
    seconds of training and of the evaluation of both states."""
    draw = secret_draw(secret, key)
    x_train = perturbed(draw["X_train"]) if perturb else draw["X_train"]
    start = time.process_time()
    r = tasks.task_transfer_train(module, weights(), x_train, draw["y_train"], seed=draw["seed"],
                                  **TRANSFER_SETTINGS)
    train_cpu = time.process_time() - start
    out = {"task_cpu_seconds": train_cpu}
    start = time.process_time()
    for stage in ("head", "fine"):
        logits = tasks.task_transfer_logits(module, weights(), len(CLASSES[key]), r[f"state_{stage}"],
                                            draw["X_test"])
        out[f"{stage}_accuracy"] = accuracy(logits, draw["y_test"], CLASSES[key])
    out["eval_cpu_seconds"] = time.process_time() - start
    return out


def run(verbose: bool = True) -> dict[str, Threshold]:
    draws = secret_draws("transfer_torch", DRAWS)
    modules = [(what, reference_variant("transfer_torch", (edit,)) if edit else load_reference("transfer_torch"),
                perturb) for what, edit, perturb in VARIATIONS]
    note = variation_note([what for what, _, _ in VARIATIONS], draws)
    thresholds = {}
    for key, classes in CLASSES.items():
        head, fine, cpus, eval_cpus = {}, {}, [], []
        for draw, secret in draws.items():
            for v, (what, module, perturb) in enumerate(modules):
                r = transfer_run(module, key, secret, perturb)
                head[draw, v], fine[draw, v] = r["head_accuracy"], r["fine_accuracy"]
                cpus.append(r["task_cpu_seconds"])
                eval_cpus.append(r["eval_cpu_seconds"])
                if verbose:
                    print(f"{key} draw {draw} ({what[:40]}): head {r['head_accuracy']:.4f} fine-tuned "
                          f"{r['fine_accuracy']:.4f} ({r['task_cpu_seconds']:.2f} s CPU training, "
                          f"{r['eval_cpu_seconds']:.3f} s evaluating)", flush=True)
        if verbose:
            print(f"{key}: training {cpu_summary(cpus)}; evaluation {cpu_summary(eval_cpus, 3)}")
        common = dict(higher_is_better=True, margin=MARGIN, cpu_budget_s=CPU_BUDGET_S, grade_seed=0,
                      settings={**TRANSFER_SETTINGS, "classes": classes, **SPLIT, "calibrated_over": note},
                      dataset=f"digits {classes} (base pretrained on 0-4)")
        thresholds[CHECK_HEAD[key]] = calibrate("held-out accuracy, head only",
                                                worst_per_draw(head, True), **common)
        thresholds[CHECK_FINE[key]] = calibrate("held-out accuracy after fine-tuning",
                                                worst_per_draw(fine, True), **common)
    return thresholds


def render(thresholds: dict[str, Threshold]) -> str:
    """thresholds.py with the table written as literals (and CALIBRATED_OVER, the variation)."""
    note = next(iter(thresholds.values())).settings["calibrated_over"]
    table = table_literal(thresholds, sources=lambda _, t: {
        "settings": f"{{**TRANSFER_SETTINGS, 'classes': {t.settings['classes']!r}, **SPLIT, "
                    f"'calibrated_over': CALIBRATED_OVER}}"})
    source = set_constant(THRESHOLDS_FILE.read_text(encoding="utf-8"), "CALIBRATED_OVER", note)
    return rewrite_from(source, "THRESHOLDS = {", table)


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Grade-seed accuracies of the mutants (needs the tests/ tree)."""
    def cell(module, key: str) -> str:
        r = transfer_run(module, key, secret_draws("transfer_torch")[0])
        head, fine = r["head_accuracy"], r["fine_accuracy"]
        return (f"{key}: head {head:.3f} {verdict(thresholds[CHECK_HEAD[key]], head)} "
                f"fine {fine:.3f} {verdict(thresholds[CHECK_FINE[key]], fine)}")

    report_mutants("transfer_torch", lambda module: "; ".join(
        or_raised(f"{key}: ", lambda: cell(module, key), 70) for key in CLASSES),
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
