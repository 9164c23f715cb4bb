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

import torch

from graders.engine.calibration import (DATASET_SEEDS, calibrate_check, dataset_main,
                                        load_calibration_data, load_reference, over_seeds, timed)


def run(dataset_spec: str = "digits", seeds=DATASET_SEEDS, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold})."""
    from . import tasks, thresholds
    from .digit_classifier import load_classifier, mode_coverage

    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec, thresholds.DATA)
    classifier = load_classifier(name)
    ref = load_reference("gan_torch")
    settings = thresholds.SETTINGS[name]["gan"]
    train = getattr(tasks, f"task_{thresholds.TASK}")

    def coverage(seed: int) -> tuple[dict, float]:
        r, cpu = timed(train, ref, x_train=data["x_train"], seed=seed, **settings)
        return mode_coverage(r["samples"], classifier, **thresholds.COVERAGE[name]), cpu

    runs = over_seeds(seeds, coverage, lambda seed, c: f"seed {seed}: {c[0]} ({c[1]:.1f} s CPU)",
                      verbose=verbose)
    cpus = [cpu for _, cpu in runs.values()]
    table = {}
    for check in list(checks or thresholds.CHECKS):
        values = {seed: runs[seed][0][thresholds.METRIC_KEYS[check]] for seed in seeds}
        table[check] = calibrate_check(
            check, values, cpus, table=thresholds, dataset=name, verbose=verbose,
            settings={**settings, "coverage": dict(thresholds.COVERAGE[name])})
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    return dataset_main(argv, __doc__, thresholds, thresholds.CHECKS, run)


if __name__ == "__main__":
    sys.exit(main())
