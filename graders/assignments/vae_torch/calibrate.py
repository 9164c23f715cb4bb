"""Calibrate the trained-model bound of `vae_torch` on the reference solution.

    python -m graders.assignments.vae_torch.calibrate                    # digits, print
    python -m graders.assignments.vae_torch.calibrate --write            # rewrite the table
    python -m graders.assignments.vae_torch.calibrate --dataset mnist:PATH --write

Runs `tasks.task_train_vae` directly on the reference module, with the settings of
`thresholds.py`, over the seeds (>= 5; default 0-4), and derives the bound with
`graders.engine.thresholds.calibrate` (worst reference value plus the margin). `--write`
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
    from .thresholds import CPU_BUDGET_S, DATA, MARGINS, METRIC_KEYS, METRICS, SETTINGS, TASKS

    torch.set_num_threads(1)
    name = dataset_spec.split(":", 1)[0]
    data = load_dataset(dataset_spec, **DATA[name])
    ref = load_reference("vae_torch")
    table = {}
    for check in list(checks or TASKS):
        settings = SETTINGS[name][check]
        values, cpu = {}, []
        for seed in seeds:
            start = time.process_time()
            r = getattr(tasks, f"task_{TASKS[check]}")(
                ref, x_train=data["x_train"], x_test=data["x_test"], seed=seed, **settings)
            cpu.append(time.process_time() - start)
            values[seed] = r[METRIC_KEYS[check]]
            if verbose:
                print(f"{check} seed {seed}: {values[seed]:.6g} (negative ELBO {r['test_loss']:.4g}, "
                      f"KL {r['test_kl']:.3g}, floor {r['entropy_floor']:.4g}; {cpu[-1]:.1f} s CPU)",
                      flush=True)
        metric, higher = METRICS[check]
        table[check] = calibrate(metric, values, higher_is_better=higher, margin=MARGINS[check],
                                 cpu_budget_s=CPU_BUDGET_S[check], settings=dict(settings),
                                 dataset=name)
        if verbose and max(cpu) > CPU_BUDGET_S[check]:
            print(f"WARNING: {check} took {max(cpu):.1f} s CPU > budget {CPU_BUDGET_S[check]} s")
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    args = parse_args(argv, __doc__.split("\n\n")[0], thresholds.TASKS)
    name, table = run(args.dataset, tuple(args.seeds), args.checks)
    print()
    print(format_table(table))
    if args.write:
        write_table(Path(thresholds.__file__), thresholds.THRESHOLDS_BY_DATASET, name, table)
        print(f"\nwrote the {name!r} table to {thresholds.__file__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
