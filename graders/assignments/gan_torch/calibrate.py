"""Calibrate the trained-model bounds of `gan_torch` on the reference solution.

    python -m graders.assignments.gan_torch.calibrate                    # digits, print
    python -m graders.assignments.gan_torch.calibrate --write            # rewrite the table
    python -m graders.assignments.gan_torch.calibrate --dataset mnist:PATH --write

Runs `tasks.task_train_gan` directly on the reference module, with the settings of
`thresholds.py`, over the seeds (>= 5; default 0-4), labels each run's samples with the
shipped digit classifier (`digit_classifier.mode_coverage`), and derives each bound with
`graders.engine.thresholds.calibrate` (worst reference value minus the margin). `--write`
replaces this data set's entry in the CALIBRATED TABLE block of thresholds.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from graders.assignments.autoencoders_torch.calibrate import (SEEDS, load_reference, parse_args,
                                                              write_table)
from graders.engine.thresholds import calibrate, format_table


def run(dataset_spec: str = "digits", seeds=SEEDS, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold})."""
    from dlgrade.data.mnist import load_dataset

    from . import tasks
    from .digit_classifier import load_classifier, mode_coverage
    from .thresholds import (CHECKS, COVERAGE, CPU_BUDGET_S, DATA, MARGINS, METRIC_KEYS, METRICS,
                             SETTINGS, TASK)

    torch.set_num_threads(1)
    name = dataset_spec.split(":", 1)[0]
    data = load_dataset(dataset_spec, **DATA[name])
    classifier = load_classifier(name)
    ref = load_reference("gan_torch")
    settings = SETTINGS[name]["gan"]
    coverage, cpu = {}, []
    for seed in seeds:
        start = time.process_time()
        r = getattr(tasks, f"task_{TASK}")(ref, x_train=data["x_train"], seed=seed, **settings)
        cpu.append(time.process_time() - start)
        coverage[seed] = mode_coverage(r["samples"], classifier, **COVERAGE[name])
        if verbose:
            print(f"seed {seed}: {coverage[seed]} ({cpu[-1]:.1f} s CPU)", flush=True)
    table = {}
    for check in list(checks or CHECKS):
        metric, higher = METRICS[check]
        values = {seed: coverage[seed][METRIC_KEYS[check]] for seed in seeds}
        table[check] = calibrate(metric, values, higher_is_better=higher, margin=MARGINS[check],
                                 cpu_budget_s=CPU_BUDGET_S[check],
                                 settings={**settings, "coverage": dict(COVERAGE[name])},
                                 dataset=name)
        if verbose and max(cpu) > CPU_BUDGET_S[check]:
            print(f"WARNING: {check} took {max(cpu):.1f} s CPU > budget {CPU_BUDGET_S[check]} s")
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    args = parse_args(argv, __doc__.split("\n\n")[0], thresholds.CHECKS)
    name, table = run(args.dataset, tuple(args.seeds), args.checks)
    print()
    print(format_table(table))
    if args.write:
        write_table(Path(thresholds.__file__), thresholds.THRESHOLDS_BY_DATASET, name, table)
        print(f"\nwrote the {name!r} table to {thresholds.__file__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
