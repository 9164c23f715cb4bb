"""Calibrate the trained-model bounds of `transfer_torch` on the reference solution.

    dlgrade calibrate transfer_torch              # print the table
    dlgrade calibrate transfer_torch --write      # also write thresholds.json
    dlgrade calibrate transfer_torch --mutants    # and report the mutants

Runs the grader's sandbox tasks on the reference module with the settings of
`thresholds.py`, as a grade does: training (`tasks.task_transfer_train`) on the training rows
of a course-secret draw, logits of the held-out rows from the trained states
(`tasks.task_transfer_logits`), accuracy computed here. Over DRAWS secret draws (seed and
held-out rows) and the harmless VARIATIONS (the reference, its training images perturbed
1e-12 relative, global average pooling summed another way); each bound is the worst
accuracy times (1 - the declared margin).
"""

from __future__ import annotations

import sys
import time

import torch

from graders.engine.thresholds import Threshold
from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (calibrate_declared, cpu_summary, load_reference, or_raised, perturbed,
                                         reference_variant, report_mutants as report, secret_draws, verdict,
                                         worst_per_draw)

from . import tasks
from .checks_trained import accuracy
from .data import secret_draw, weights
from .thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, FINE, HEAD, TRANSFER_SETTINGS, data_set

DRAWS = 10
TRAIN_KEYS = tuple(TRANSFER_SETTINGS)  # the settings task_transfer_train takes
# (what, reference edit (old, new) or None, perturb the training images); the declarations' `runs`
# say the same in words.
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


def transfer_run(module, key: str, secret, perturb: bool = False, settings: dict = TRANSFER_SETTINGS) -> dict:
    """One graded run of CLASSES[key] under `secret`: the grader's accuracies, and the CPU
    seconds of training and of the evaluation of both states."""
    draw = secret_draw(secret, key)
    x_train = perturbed(draw["X_train"]) if perturb else draw["X_train"]
    start = time.process_time()
    r = tasks.task_transfer_train(module, weights(), x_train, draw["y_train"], seed=draw["seed"],
                                  **{k: settings[k] for k in TRAIN_KEYS})
    train_cpu = time.process_time() - start
    out = {"task_cpu_seconds": train_cpu}
    start = time.process_time()
    for stage in ("head", "fine"):
        logits = tasks.task_transfer_logits(module, weights(), len(CLASSES[key]), r[f"state_{stage}"],
                                            draw["X_test"])
        out[f"{stage}_accuracy"] = accuracy(logits, draw["y_test"], CLASSES[key])
    out["eval_cpu_seconds"] = time.process_time() - start
    return out


def calibrate(checks, dataset_spec=None, n_draws: int | None = None, verbose: bool = True) -> dict[str, Threshold]:
    """{check key: Threshold} of the declared `checks` over `n_draws` course-secret draws and the
    harmless variations (the head-only and fine-tuned bounds of a class set share each run)."""
    torch.set_num_threads(1)
    draws = secret_draws("transfer_torch", n_draws or DRAWS)
    modules = [(what, reference_variant("transfer_torch", (edit,)) if edit else load_reference("transfer_torch"),
                perturb) for what, edit, perturb in VARIATIONS]
    chosen = {c.key: c for c in checks}
    thresholds = {}
    for key in CLASSES:
        mine = [c for c in (HEAD[key], FINE[key]) if c.key in chosen]
        if not mine:
            continue
        settings = chosen[mine[0].key].settings[data_set(key)]
        if any(chosen[c.key].settings[data_set(key)] != settings for c in mine):
            raise ValueError(f"the bounds of {key} share one training run: give them the same settings")
        head, fine, cpus, eval_cpus = {}, {}, [], []
        for draw, secret in draws.items():
            for v, (what, module, perturb) in enumerate(modules):
                r = transfer_run(module, key, secret, perturb, settings)
                head[draw, v], fine[draw, v] = r["head_accuracy"], r["fine_accuracy"]
                cpus.append(r["task_cpu_seconds"])
                eval_cpus.append(r["eval_cpu_seconds"])
                if verbose:
                    print(f"{key} draw {draw} ({what[:40]}): head {r['head_accuracy']:.4f} fine-tuned "
                          f"{r['fine_accuracy']:.4f} ({r['task_cpu_seconds']:.2f} s CPU training, "
                          f"{r['eval_cpu_seconds']:.3f} s evaluating)", flush=True)
        if verbose:
            print(f"{key}: training {cpu_summary(cpus)}; evaluation {cpu_summary(eval_cpus, 3)}")
        for check, values in ((HEAD[key], head), (FINE[key], fine)):
            if check.key in chosen:
                thresholds[check.key] = calibrate_declared(chosen[check.key], worst_per_draw(values, True), cpus,
                                                           data_set(key), verbose=verbose)
    return thresholds


def report_mutants(thresholds: dict[str, Threshold], names=None) -> None:
    """Accuracies of the mutants at calibration draw 0."""
    def verdict_of(check: str, value: float) -> str:
        return verdict(thresholds[check], value) if check in thresholds else "?"

    def cell(module, key: str) -> str:
        r = transfer_run(module, key, secret_draws("transfer_torch")[0])
        head, fine = r["head_accuracy"], r["fine_accuracy"]
        return (f"{key}: head {head:.3f} {verdict_of(CHECK_HEAD[key], head)} "
                f"fine {fine:.3f} {verdict_of(CHECK_FINE[key], fine)}")

    report("transfer_torch", lambda module: "; ".join(
        or_raised(f"{key}: ", lambda: cell(module, key), 70) for key in CLASSES),
        names=names, width=40)


if __name__ == "__main__":
    sys.exit(calibrate_main("transfer_torch"))
