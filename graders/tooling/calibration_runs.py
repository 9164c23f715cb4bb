"""Calibrating a trained check over course-secret draws and harmless variation.

A trained check's seed and held-out rows come from the course secret, so its bound must hold
for any secret, not for one seed. A calibration therefore measures the reference over
`CalibrationRun`s, each a secret (a known text, `fixed_secret`), the module measured and
a change to the data:

    run 0-4   five secret draws ("calibration draw 0" ... "4"), the reference;
    run 5     draw 0 with every input perturbed by 1e-12 relative (a harmless change of the
              data: for float32 models the cast absorbs it, for float64 ones it moves the
              last bits);
    run 6     draw 1 with a correct-but-unusual variant of the reference (the assignment
              names its edits: re-associated sums, another correct formula).

`standard_runs` builds these (`n_draws` other than five for a quick trial);
`calibrate_over_runs` measures each declared check over them (checks that share a task
share its measurement per run) and derives the `Threshold` with the declared margin
(`calibration.calibrate_declared`): the bound holds for the worst run with the stated margin.
`Threshold.seeds` holds the run numbers; RUNS_TEXT describes them for a declaration's `runs`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from graders.engine.secret import CourseSecret
from graders.engine.thresholds import Threshold
from graders.engine.trained_checks import N_DRAWS, PERTURBATION, STANDARD_RUNS, TrainedCheck
from graders.tooling.calibration import calibrate_declared, calibration_secret, reference_variant


RUNS_TEXT = STANDARD_RUNS  # the runs of `standard_runs`, in words, for a declaration's `runs`


@dataclass(frozen=True)
class CalibrationRun:
    """One measurement of the reference: a secret, the module measured, a change of the data."""

    label: str
    secret: CourseSecret
    module: object
    change_data: Callable[[dict], dict] = field(default=lambda data: data)


def perturbed_data(data: dict, relative: float = PERTURBATION, seed: int = 0) -> dict:
    """`data` with every float array multiplied by (1 + relative * u), u uniform in [-1, 1]."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, value in data.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value = value * (1.0 + relative * rng.uniform(-1.0, 1.0, value.shape))
        out[key] = value
    return out


def standard_runs(assignment: str, reference, variant_edits, n_draws: int = N_DRAWS) -> list[CalibrationRun]:
    """The runs of RUNS_TEXT: `n_draws` draws, a perturbed draw 0, draw 1 with the reference
    edited by `variant_edits` ((old, new) pairs, each replacing every occurrence of old)."""
    variant = reference_variant(assignment, variant_edits, "variant", once=False)
    runs = [CalibrationRun(f"draw {i}", calibration_secret(assignment, i), reference) for i in range(n_draws)]
    runs.append(CalibrationRun("draw 0, inputs perturbed", calibration_secret(assignment, 0), reference,
                               perturbed_data))
    runs.append(CalibrationRun("draw 1, unusual variant", calibration_secret(assignment, 1), variant))
    return runs


def calibrate_over_runs(checks: list[TrainedCheck], runs: list[CalibrationRun], measure, data: dict,
                        dataset: str, verbose: bool = True) -> dict[str, Threshold]:
    """{check key: Threshold} from measure(task, settings, data, secret, module) -> {metric key:
    value} over `runs`, with each declaration's task, metric key, settings, margin and budget.
    Checks that share a task and its settings share its measurement in each run."""
    measured: dict[tuple, tuple[dict, float]] = {}
    thresholds = {}
    for check in checks:
        settings = check.settings_for(dataset)
        values, cpus = {}, []
        for number, run in enumerate(runs):
            key = (check.task, repr(sorted(settings.items())), number)
            if key not in measured:
                start = time.process_time()
                result = measure(check.task, settings, run.change_data(data), run.secret, run.module)
                measured[key] = (result, time.process_time() - start)
            result, cpu = measured[key]
            values[number] = float(result[check.metric_key])
            cpus.append(cpu)
            if verbose:
                print(f"{check.key} run {number} ({run.label}): {values[number]:.6g} ({cpu:.1f} s CPU)", flush=True)
        thresholds[check.key] = calibrate_declared(check, values, cpus, dataset, verbose=verbose)
    return thresholds


def in_process(trained_runs, tasks):
    """measure(task, settings, data, secret, module): `trained_runs.measure` with the tasks of
    the module `tasks` and the shared `task_torch_apply` called in this process on `module`
    (no sandbox): the same measurement as a grade, of a trusted module."""
    from graders.engine import torch_tasks

    def measure(task, settings, data, secret, module):
        reach = trained_runs.Reach(
            train=lambda name, kwargs: getattr(tasks, f"task_{name}")(module, **kwargs),
            apply=lambda class_name, state, method, inputs, args: torch_tasks.task_torch_apply(
                module, class_name, state, method, inputs, args=args))
        return trained_runs.measure(task, settings, data, secret, reach)

    return measure


def calibrate_trained_runs(assignment: str, checks: list[TrainedCheck], dataset_spec: str | None, n_draws: int,
                           verbose: bool, *, variant_edits, measure) -> dict[str, Threshold]:
    """The calibration of an assignment whose trained checks are measured by `measure` (see
    `in_process`: autoencoders_torch, vae_torch) over `standard_runs` with `n_draws` draws, on
    `dataset_spec` (None: "digits"). Returns {check key: Threshold}."""
    import torch

    from graders.tooling.calibration import load_calibration_data, load_reference

    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec or "digits", checks[0])
    runs = standard_runs(assignment, load_reference(assignment), variant_edits, n_draws or N_DRAWS)
    return calibrate_over_runs(checks, runs, measure, data, name, verbose)
