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

import torch

from graders.engine.calibration import (DATASET_SEEDS, calibrate_task_checks, dataset_main,
                                        load_calibration_data, load_reference)


def _details(r: dict) -> str:
    return f"negative ELBO {r['test_loss']:.4g}, KL {r['test_kl']:.3g}, floor {r['entropy_floor']:.4g}; "


def run(dataset_spec: str = "digits", seeds=DATASET_SEEDS, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold})."""
    from . import tasks, thresholds

    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec, thresholds.DATA)
    ref = load_reference("vae_torch")
    table = calibrate_task_checks(tasks, ref, data, name, list(checks or thresholds.TASKS), seeds,
                                  thresholds, details=_details, verbose=verbose)
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    return dataset_main(argv, __doc__, thresholds, thresholds.TASKS, run)


if __name__ == "__main__":
    sys.exit(main())
