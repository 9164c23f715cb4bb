"""Calibrate the trained-model bounds of `transfer_torch` on the reference solution.

    python -m graders.assignments.transfer_torch.calibrate            # print the table
    python -m graders.assignments.transfer_torch.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.transfer_torch.calibrate --mutants  # and report the mutants

Runs the grader's sandbox task `tasks.task_transfer` on the reference module with the
settings of `thresholds.py` over SEEDS, for the 5-class and the binary transfer. Each
bound is the worst reference accuracy times (1 - MARGIN).
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

from graders.engine.thresholds import Threshold, calibrate, format_table

from . import tasks
from .base_model import digits_split, load_weights
from .thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, SPLIT, TRANSFER_SETTINGS

SEEDS = tuple(range(10))
MARGIN = 0.05
CPU_BUDGET_S = 10.0
REFERENCE = Path(__file__).resolve().parents[3] / "reference" / "torch" / "transfer_torch.py"


def load_reference():
    spec = importlib.util.spec_from_file_location("transfer_torch_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def transfer_run(module, classes, seed: int) -> dict:
    """The transfer task at `seed` with the CPU seconds of the whole task."""
    start = time.process_time()
    r = tasks.task_transfer(module, load_weights(), *digits_split(classes, **SPLIT), seed=seed,
                            **TRANSFER_SETTINGS)
    r["task_cpu_seconds"] = time.process_time() - start
    return r


def run(verbose: bool = True) -> dict[str, Threshold]:
    ref = load_reference()
    thresholds = {}
    for key, classes in CLASSES.items():
        head, fine, cpus = {}, {}, []
        for seed in SEEDS:
            r = transfer_run(ref, classes, seed)
            head[seed], fine[seed] = r["head_accuracy"], r["fine_tune_accuracy"]
            cpus.append(r["task_cpu_seconds"])
            if verbose:
                print(f"{key} seed {seed}: head {r['head_accuracy']:.4f} fine-tuned {r['fine_tune_accuracy']:.4f} "
                      f"trainable {r['trainable_head']} -> {r['trainable_fine']} ({r['task_cpu_seconds']:.2f} s CPU)")
        if verbose:
            print(f"{key}: {np.mean(cpus):.2f} s CPU on average, {max(cpus):.2f} s at most")
        common = dict(higher_is_better=True, margin=MARGIN, cpu_budget_s=CPU_BUDGET_S, grade_seed=0,
                      settings={**TRANSFER_SETTINGS, "classes": classes, **SPLIT},
                      dataset=f"digits {classes} (base pretrained on 0-4)")
        thresholds[CHECK_HEAD[key]] = calibrate("held-out accuracy, head only", head, **common)
        thresholds[CHECK_FINE[key]] = calibrate("held-out accuracy after fine-tuning", fine, **common)
    return thresholds


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
        body.append(f"        settings={{**TRANSFER_SETTINGS, 'classes': {t.settings['classes']!r}, **SPLIT}},")
        body.append(f"        dataset={t.dataset!r},")
        body.append("    ),")
    body.append("}")
    return head + "\n".join(body) + "\n"


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Grade-seed accuracies of the mutants (needs the tests/ tree)."""
    from tests.mutants import load_module_from_source, reference_path
    from tests.mutants.transfer_torch import MUTANTS, UNUSUAL

    source = reference_path("transfer_torch").read_text(encoding="utf-8")
    for kind, mutants in (("MUTANT", MUTANTS), ("UNUSUAL", UNUSUAL)):
        for m in mutants:
            if names and m.name not in names:
                continue
            mod = load_module_from_source(m.apply(source), m.name)
            cells = []
            for key, classes in CLASSES.items():
                try:
                    r = transfer_run(mod, classes, 0)
                    ok_h = thresholds[CHECK_HEAD[key]].passes(r["head_accuracy"])
                    ok_f = thresholds[CHECK_FINE[key]].passes(r["fine_tune_accuracy"])
                    cells.append(f"{key}: head {r['head_accuracy']:.3f} {'pass' if ok_h else 'FAIL'} "
                                 f"fine {r['fine_tune_accuracy']:.3f} {'pass' if ok_f else 'FAIL'} "
                                 f"drift {r['base_drift']:.2g}")
                except Exception as exc:  # noqa: BLE001
                    cells.append(f"{key}: raised {type(exc).__name__}: {str(exc)[:70]}")
            print(f"{kind:8s} {m.name:40s} " + "; ".join(cells))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    parser.add_argument("--mutants", nargs="*", default=None, help="also report the mutants (all, or those named)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    thresholds = run()
    print()
    print(format_table(thresholds))
    print()
    pprint.pprint({"TRANSFER_SETTINGS": TRANSFER_SETTINGS, "SPLIT": SPLIT, "CLASSES": CLASSES}, sort_dicts=False)
    if args.write:
        path = Path(__file__).with_name("thresholds.py")
        path.write_text(render(thresholds), encoding="utf-8")
        print(f"wrote {path}")
    if args.mutants is not None:
        from .thresholds import THRESHOLDS

        print()
        mutant_report(THRESHOLDS if THRESHOLDS else thresholds, args.mutants or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
