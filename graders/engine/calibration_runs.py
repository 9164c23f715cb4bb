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

`standard_runs` builds these; `calibrate_over_runs` measures each check over them (checks
that share a task share its measurement per run) and derives the `Threshold` with the
check's margin (`calibration.calibrate_check`): the bound holds for the worst run with the
stated margin. `Threshold.seeds` holds the run numbers; RUNS_TEXT describes them for the
thresholds file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from graders.engine.calibration import calibrate_check
from graders.engine.secret import CourseSecret, fixed_secret
from graders.engine.thresholds import Threshold

N_DRAWS = 5
PERTURBATION = 1e-12

RUNS_TEXT = (f"runs 0-{N_DRAWS - 1}: {N_DRAWS} course-secret draws of the seed and the held-out rows, the "
             f"reference; run {N_DRAWS}: draw 0 with every input perturbed by {PERTURBATION:g} relative; run "
             f"{N_DRAWS + 1}: draw 1 with the correct-but-unusual variant of the reference named in VARIANT_EDITS")


@dataclass(frozen=True)
class CalibrationRun:
    """One measurement of the reference: a secret, the module measured, a change of the data."""

    label: str
    secret: CourseSecret
    module: object
    change_data: Callable[[dict], dict] = field(default=lambda data: data)


def calibration_secret(assignment: str, draw: int) -> CourseSecret:
    return fixed_secret(f"calibration draw {draw}", assignment)


def perturbed(data: dict, relative: float = PERTURBATION, seed: int = 0) -> dict:
    """`data` with every float array multiplied by (1 + relative * u), u uniform in [-1, 1]."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, value in data.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value = value * (1.0 + relative * rng.uniform(-1.0, 1.0, value.shape))
        out[key] = value
    return out


def variant_module(reference, edits: list[tuple[str, str]], name: str):
    """The reference's source with each (old, new) edit applied (each old text must occur),
    loaded as a module."""
    import types
    from pathlib import Path

    source = Path(reference.__file__).read_text(encoding="utf-8")
    for old, new in edits:
        if old not in source:
            raise ValueError(f"variant edit not found in the reference: {old[:60]!r}")
        source = source.replace(old, new)
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def standard_runs(assignment: str, reference, variant) -> list[CalibrationRun]:
    """The runs of RUNS_TEXT: N_DRAWS draws, a perturbed draw 0, draw 1 with the variant."""
    runs = [CalibrationRun(f"draw {i}", calibration_secret(assignment, i), reference) for i in range(N_DRAWS)]
    runs.append(CalibrationRun("draw 0, inputs perturbed", calibration_secret(assignment, 0), reference,
                               perturbed))
    runs.append(CalibrationRun("draw 1, unusual variant", calibration_secret(assignment, 1), variant))
    return runs


def calibrate_over_runs(checks, runs: list[CalibrationRun], measure, table, data: dict, dataset: str,
                        verbose: bool = True) -> dict[str, Threshold]:
    """{check: Threshold} from measure(task, settings, data, secret, module) -> {metric key: value}
    over `runs`, with the METRIC_KEYS / TASKS / SETTINGS / METRICS / MARGINS / CPU_BUDGET_S of the
    thresholds module `table`. Checks that share a task share its measurement in each run."""
    measured: dict[tuple[str, int], tuple[dict, float]] = {}
    thresholds = {}
    for check in checks:
        task, settings = table.TASKS[check], table.SETTINGS[dataset][check]
        values, cpus = {}, []
        for number, run in enumerate(runs):
            if (task, number) not in measured:
                start = time.process_time()
                result = measure(task, settings, run.change_data(data), run.secret, run.module)
                measured[(task, number)] = (result, time.process_time() - start)
            result, cpu = measured[(task, number)]
            values[number] = float(result[table.METRIC_KEYS[check]])
            cpus.append(cpu)
            if verbose:
                print(f"{check} run {number} ({run.label}): {values[number]:.6g} ({cpu:.1f} s CPU)", flush=True)
        thresholds[check] = calibrate_check(check, values, cpus, table=table, settings=settings,
                                            dataset=dataset, verbose=verbose)
    return thresholds
