"""Calibrating trained checks by grading the reference: the calibration of an assignment that
has no calibrate module of its own (a course's assignment, typically).

The trained checks measure the reference themselves, exactly as they measure a submission:
the reference is graded as a submission (in its sandbox, with only the trained checks), once
per course-secret draw (`calibration.calibration_secret`: the secret of draw i is the text
"calibration draw i"), and each correct-but-unusual variant of the assignment's slips.py
(UNUSUAL) is graded on draw 0 as a harmless variation (`GRADED_RUNS` says so in words, for a
declaration's `runs`). For
these grades each check's declaration (`Check.threshold`: a `TrainedCheck`, or a
`TrainedGroup` of them) is replaced by a `MeasuredCheck`, whose `for_dataset(name)` gives a
threshold that records the value the check compares with it and passes it. The bound of each
declaration is then the worst value over the runs with the declared margin
(`calibration.calibrate_declared`). The time each run took is the check's time in the grade
(wall-clock, the sandbox's training included), which the declared CPU budget is compared with.

A check that never compares a value with its declaration, or that the reference fails, is an
error: nothing is written.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable

from graders.engine.assignment import Assignment
from graders.engine.thresholds import Threshold
from graders.engine.trained_checks import N_DRAWS, CalibrationError, TrainedCheck, TrainedGroup
from graders.tooling.calibration import calibrate_declared


@dataclass(frozen=True)
class MeasuringThreshold(Threshold):
    """A threshold that records every value a check compares with it, and passes it."""

    record: Callable[[float], None] | None = None

    def passes(self, value: float) -> bool:
        self.record(float(value))
        return True


@dataclass(frozen=True)
class MeasuredCheck(TrainedCheck):
    """A declaration whose thresholds record what the check measured: record(key, dataset, value)."""

    record: Callable[[str, str, float], None] | None = None

    def for_dataset(self, dataset: str = "digits") -> Threshold:
        settings = self.settings_for(dataset)
        if settings is None:  # the declaration's own error
            return TrainedCheck.for_dataset(self, dataset)
        unbounded = -math.inf if self.higher_is_better else math.inf
        return MeasuringThreshold(metric=self.metric, bound=unbounded, higher_is_better=self.higher_is_better,
                                  reference_values=(math.nan,), seeds=(0,), margin=self.margin,
                                  cpu_budget_s=self.cpu_budget_s, settings=dict(settings), dataset=dataset,
                                  model_size=self.model_size,
                                  record=lambda value: self.record(self.key, dataset, value))


def measured(declaration: TrainedCheck, record) -> MeasuredCheck:
    return MeasuredCheck(**{f.name: getattr(declaration, f.name) for f in fields(TrainedCheck)}, record=record)


def declared_keys(threshold) -> list[str]:
    """The keys of the trained declarations a check's `threshold` holds (none for another check)."""
    if isinstance(threshold, TrainedCheck):
        return [threshold.key]
    if isinstance(threshold, TrainedGroup):
        return threshold.keys()
    return []


def measuring(assignment: Assignment, chosen: dict[str, TrainedCheck], record) -> Assignment:
    """`assignment` whose checks declaring any key of `chosen` compare with `MeasuredCheck`s of
    the chosen declarations (their settings as chosen), recording through `record`."""

    def as_measured(threshold):
        if isinstance(threshold, TrainedGroup):
            return TrainedGroup(tuple(measured(chosen.get(c.key, c), record) for c in threshold.checks))
        return measured(chosen.get(threshold.key, threshold), record)

    def checks(options):
        for check in assignment.checks(options):
            if set(declared_keys(check.threshold)) & set(chosen):
                check = replace(check, threshold=as_measured(check.threshold))
            yield check

    return replace(assignment, checks=checks)


@dataclass(frozen=True)
class GradedRun:
    """One grade of calibration: its label, the source graded, the calibration draw."""

    label: str
    source: str
    draw: int


def runs(reference: str, slips, n_draws: int) -> tuple[list[GradedRun], list[GradedRun]]:
    """(the reference on draws 0..n_draws-1, each UNUSUAL variant of `slips` on draw 0)."""
    draws = [GradedRun(f"draw {i}", reference, i) for i in range(n_draws)]
    variants = [GradedRun(f"unusual variant {m.name}", m.apply(reference), 0)
                for m in getattr(slips, "UNUSUAL", []) if slips is not None]
    return draws, variants


def measure(assignment: Assignment, run: GradedRun, chosen: dict[str, TrainedCheck],
            options: dict) -> dict[str, tuple[str, float, float]]:
    """{key: (data set, value, seconds the check took)} of one graded run; ValueError when a
    check fails on it or never measures a chosen key."""
    from graders.engine.runner import grade
    from graders.tooling.calibration import calibration_secret

    found: dict[str, list] = {}
    graded = measuring(assignment, chosen, lambda key, dataset, value: found.setdefault(key, []).append(
        (dataset, value)))
    try:
        every = graded.all_checks({**assignment.options, **options})
    except CalibrationError as exc:  # its checks read thresholds.json, which no longer fits their declarations
        raise ValueError(f"{exc}\nThe checks of {assignment.id} cannot be listed to calibrate them: delete the "
                         "stale thresholds.json beside its thresholds.py and run this command again") from None
    names = {c.name: declared_keys(c.threshold) for c in every if set(declared_keys(c.threshold)) & set(chosen)}
    secret = calibration_secret(assignment.id, run.draw)
    with tempfile.TemporaryDirectory(prefix="dlgrade-calibrate-") as folder:
        path = Path(folder) / f"{assignment.id}.py"
        path.write_text(run.source, encoding="utf-8")
        report = grade(str(path), graded, options=options, select=names.__contains__, secret=secret.key)
    if report.load_messages and not report.tests:
        raise ValueError(f"{run.label}: the reference could not be graded: {' '.join(report.load_messages)}")
    out = {}
    for test in report.tests:
        if not test.passed:
            raise ValueError(f"{run.label}: the reference fails {test.name!r}: {test.output.strip()[:600]}")
        for key in names.get(test.name, []):
            if key not in chosen:
                continue
            if key not in found:
                raise ValueError(f"{test.name!r} never compared a value with its declaration {key!r} "
                                 "(ctx.check.threshold.for_dataset(...).passes(value)); it cannot be calibrated "
                                 "by grading")
            datasets = {d for d, _ in found[key]}
            if len(datasets) != 1:
                raise ValueError(f"{test.name!r} compared {key!r} on several data sets {sorted(datasets)}")
            pick = min if chosen[key].higher_is_better else max  # the worst, if it compares several values
            out[key] = (datasets.pop(), pick(v for _, v in found[key]), test.time_s)
    missing = sorted(set(chosen) - set(out))
    if missing:
        raise ValueError(f"no check of {assignment.id} measured {missing} in {run.label}")
    return out


def calibrate(assignment: Assignment, slips, checks, dataset_spec: str | None = None,
              n_draws: int | None = None, verbose: bool = True) -> dict[str, Threshold]:
    """{check key: Threshold} of the declarations `checks`, measured by grading the reference
    (and its unusual variants) with the assignment's own trained checks."""
    chosen = {c.key: c for c in checks}
    # The data set goes to the grade as its option "data" when the assignment declares one;
    # otherwise its checks choose their own, which must then be the one asked for.
    options = {"data": dataset_spec} if dataset_spec and "data" in assignment.options else {}
    reference = Path(assignment.reference).read_text(encoding="utf-8")
    draws, variants = runs(reference, slips, n_draws or N_DRAWS)
    values: dict[str, dict[int, float]] = {key: {} for key in chosen}
    variation: dict[str, dict[str, dict[int, float]]] = {key: {} for key in chosen}
    seconds: dict[str, list[float]] = {key: [] for key in chosen}
    datasets: dict[str, set] = {key: set() for key in chosen}
    for number, run in enumerate(draws + variants):
        for key, (dataset, value, took) in measure(assignment, run, chosen, options).items():
            if run in draws:
                values[key][run.draw] = value
            else:
                variation[key][run.label] = {run.draw: value}
            seconds[key].append(took)
            datasets[key].add(dataset)
            if verbose:
                print(f"{key} run {number} ({run.label}): {value:.6g} ({took:.1f} s)", flush=True)
    table = {}
    for key, check in chosen.items():
        if len(datasets[key]) != 1:
            raise ValueError(f"{key} was measured on several data sets {sorted(datasets[key])}")
        if dataset_spec and dataset_spec.split(":", 1)[0] not in datasets[key]:
            raise ValueError(f"{key} was measured on the data set {datasets[key].pop()!r}, not {dataset_spec!r} "
                             f"({assignment.id} declares no option data to choose it)")
        table[key] = calibrate_declared(check, values[key], seconds[key], datasets[key].pop(),
                                        variation=variation[key], verbose=verbose)
    return table
