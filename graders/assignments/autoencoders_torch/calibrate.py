"""Calibrate the trained-model bounds of `autoencoders_torch` on the reference solution.

    python -m graders.assignments.autoencoders_torch.calibrate                    # digits, print
    python -m graders.assignments.autoencoders_torch.calibrate --write            # rewrite the table
    python -m graders.assignments.autoencoders_torch.calibrate --dataset mnist:PATH --write

Measures each check exactly as a grade does (`trained_runs.measure`: secret subset and seed,
training, encode and decode of the relayed code, the metric computed by the grader), with
the tasks run in this process on the reference, over the runs of
`graders.tooling.calibration_runs` (five course-secret draws, a draw with inputs perturbed
by 1e-12 relative, a draw with the unusual variant of `thresholds.VARIANT_EDITS`), and
derives each bound from the worst run with the check's margin. `--write` replaces this data
set's entry in the CALIBRATED TABLE block of thresholds.py. The checks `sparsity_factor`
and `sparse_reconstruction` share one measurement per run.
"""

from __future__ import annotations

import sys

import torch

from graders.engine import torch_tasks
from graders.tooling.calibration import dataset_main, load_calibration_data, load_reference
from graders.tooling.calibration_runs import calibrate_over_runs, standard_runs, variant_module

ASSIGNMENT = "autoencoders_torch"


def in_process_measure(task, settings, data, secret, module):
    """trained_runs.measure with the tasks called directly on `module` (no sandbox)."""
    from . import tasks
    from .trained_runs import Reach, measure

    reach = Reach(train=lambda name, kwargs: getattr(tasks, f"task_{name}")(module, **kwargs),
                  apply=lambda class_name, state, method, inputs, args: torch_tasks.task_torch_apply(
                      module, class_name, state, method, inputs, args=args))
    return measure(task, settings, data, secret, reach)


def run(dataset_spec: str = "digits", seeds=None, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold}).
    (`seeds` is the command line's --seeds, unused: the runs are calibration_runs'.)"""
    from . import thresholds

    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec, thresholds.DATA)
    ref = load_reference(ASSIGNMENT)
    runs = standard_runs(ASSIGNMENT, ref, variant_module(ref, thresholds.VARIANT_EDITS, "variant"))
    table = calibrate_over_runs(list(checks or thresholds.TASKS), runs, in_process_measure, thresholds,
                                data, name, verbose=verbose)
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    return dataset_main(argv, __doc__, thresholds, thresholds.TASKS, run)


if __name__ == "__main__":
    sys.exit(main())
