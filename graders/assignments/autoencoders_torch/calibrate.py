"""Calibrate the trained-model bounds of `autoencoders_torch` on the reference solution.

    python -m graders.assignments.autoencoders_torch.calibrate                    # digits, print
    python -m graders.assignments.autoencoders_torch.calibrate --write            # rewrite the table
    python -m graders.assignments.autoencoders_torch.calibrate --dataset mnist:PATH --write

Runs the sandbox tasks (`tasks.py`) directly on the reference module, with the settings of
`thresholds.py`, over the seeds (>= 5; default 0-4), and derives each bound with
`graders.engine.thresholds.calibrate` (worst reference value plus the check's margin).
`--write` replaces this data set's entry in the CALIBRATED TABLE block of thresholds.py and
keeps the other data sets' entries. The checks `sparsity_factor` and `sparse_reconstruction`
share one task run per seed.
"""

from __future__ import annotations

import sys

import torch

from graders.engine.calibration import (DATASET_SEEDS, calibrate_task_checks, dataset_main,
                                        load_calibration_data, load_reference)


def run(dataset_spec: str = "digits", seeds=DATASET_SEEDS, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold})."""
    from . import tasks, thresholds

    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec, thresholds.DATA)
    ref = load_reference("autoencoders_torch")
    table = calibrate_task_checks(tasks, ref, data, name, list(checks or thresholds.TASKS), seeds,
                                  thresholds, verbose=verbose)
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    return dataset_main(argv, __doc__, thresholds, thresholds.TASKS, run)


if __name__ == "__main__":
    sys.exit(main())
