"""Calibrated thresholds for trained-model checks.

A trained-model check compares what a submission's training reaches with a bound that
was calibrated on the reference solution. The bound never lives only in prose: each
trained check is declared once (a `graders.engine.trained_checks.TrainedCheck` in its
assignment's thresholds.py) and its calibrated numbers are data, in the assignment's
thresholds.json, written by `dlgrade calibrate` (which retrains the reference over several
course-secret draws and prints the table). A `Threshold` is the record a grade compares with.

The bound is derived from the reference's results over `seeds`:

    lower_is_better:  bound = worst reference value * (1 + margin)
    higher_is_better: bound = worst reference value * (1 - margin)

so every calibrated reference seed passes with room to spare, and a submission that
trains clearly worse than the reference fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean, pstdev


@dataclass(frozen=True)
class Threshold:
    """One calibrated bound.

    metric: what is measured, e.g. "held-out MSE".
    bound: the pass/fail line.
    higher_is_better: direction of `metric`.
    reference_values: the reference's value for each calibration seed.
    seeds: the calibration seeds (the grade itself uses `grade_seed`); for a check whose seed
        and data come from the course secret, the calibration draws
        (`calibration.calibration_secret(assignment, draw)`), and `grade_seed` is unused.
    margin: relative slack added to the worst reference value.
    cpu_budget_s: CPU seconds the check may spend (two cores, this suite's machine).
    settings: the training settings shared by calibration and grading.
    dataset: which data the bound was calibrated on ("digits", "mnist", ...).
    model_size: the model the CPU budget assumes, in words a student can compare with their own
        ("the template's sizes: ..."); a check that runs over its time says so with it. It is
        declared with the check (`TrainedCheck.model_size`), never written by a calibration.
    variation: the harmless variations of the reference the bound was also calibrated on
        ({what was varied: {seed or draw: value}}: a re-associated sum, inputs perturbed by
        1e-12 relative, another correct update order); the bound covers them too. Empty for
        a bound calibrated over seeds alone.
    """

    metric: str
    bound: float
    higher_is_better: bool
    reference_values: tuple[float, ...]
    seeds: tuple[int, ...]
    margin: float
    cpu_budget_s: float
    grade_seed: int = 0
    settings: dict = field(default_factory=dict)
    dataset: str = "digits"
    model_size: str = ""
    variation: dict = field(default_factory=dict)

    @property
    def reference_mean(self) -> float:
        return mean(self.reference_values)

    @property
    def reference_std(self) -> float:
        return pstdev(self.reference_values)

    def passes(self, value: float) -> bool:
        if value != value:  # NaN never passes
            return False
        return value >= self.bound if self.higher_is_better else value <= self.bound

    def describe_budget(self) -> str:
        """The budget in words: "25 s of CPU, for the template's sizes: ..."."""
        return f"{self.cpu_budget_s:g} s of CPU" + (f", for {self.model_size}" if self.model_size else "")

    def describe(self) -> str:
        op = ">=" if self.higher_is_better else "<="
        over = (f"{len(self.seeds)} draws and {len(self.variation)} harmless variations"
                if self.variation else f"{len(self.seeds)} seeds")
        return (
            f"{self.metric} {op} {self.bound:.6g} (reference {self.reference_mean:.6g} "
            f"+/- {self.reference_std:.2g} over {over}, margin {self.margin:.0%}, "
            f"{self.dataset})"
        )


def derived_bound(values, higher_is_better: bool, margin: float, slack: float = 0.0) -> float:
    """The worst of `values` with the relative `margin`, then the absolute `slack`, added on the
    losing side."""
    worst = min(values) if higher_is_better else max(values)
    return worst * (1 - margin) - slack if higher_is_better else worst * (1 + margin) + slack


def calibrate(
    metric: str,
    values_by_seed: dict[int, float],
    *,
    higher_is_better: bool,
    margin: float,
    cpu_budget_s: float,
    settings: dict | None = None,
    dataset: str = "digits",
    grade_seed: int = 0,
    variation: dict[str, dict[int, float]] | None = None,
) -> Threshold:
    """Build a `Threshold` from the reference's value at each calibration seed (or secret
    draw) and, when given, its values under harmless variations ({what: {seed: value}}):
    the bound is set from the worst of them all."""
    if len(values_by_seed) < 5:
        raise ValueError("calibrate a threshold over at least 5 seeds")
    seeds = tuple(sorted(values_by_seed))
    values = tuple(float(values_by_seed[s]) for s in seeds)
    variation = {what: {int(s): float(v) for s, v in sorted(by_seed.items())}
                 for what, by_seed in (variation or {}).items()}
    every = values + tuple(v for by_seed in variation.values() for v in by_seed.values())
    return Threshold(
        metric=metric,
        bound=derived_bound(every, higher_is_better, margin),
        higher_is_better=higher_is_better,
        reference_values=values,
        seeds=seeds,
        margin=margin,
        cpu_budget_s=cpu_budget_s,
        grade_seed=grade_seed,
        settings=dict(settings or {}),
        dataset=dataset,
        variation=variation,
    )


def format_table(thresholds: dict[str, Threshold]) -> str:
    """A markdown table of an assignment's thresholds, for docs and calibrate scripts."""
    lines = [
        "| check | metric | bound | reference mean +/- std | seeds | margin | CPU budget |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t in thresholds.items():
        op = ">=" if t.higher_is_better else "<="
        lines.append(
            f"| {name} | {t.metric} | {op} {t.bound:.4g} | {t.reference_mean:.4g} +/- "
            f"{t.reference_std:.2g} | {len(t.seeds)} | {t.margin:.0%} | {t.cpu_budget_s:g} s |"
        )
    return "\n".join(lines)
