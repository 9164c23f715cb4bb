"""Calibrated thresholds for trained-model checks.

A trained-model check compares what a submission's training reaches with a bound that
was calibrated on the reference solution. The bound never lives only in prose: each
assignment keeps a `THRESHOLDS` table of `Threshold` records in its `thresholds.py`,
written by its `calibrate.py` (which retrains the reference over several seeds and
prints the table), and the README/docs quote the table.

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
    seeds: the calibration seeds (the grade itself uses `grade_seed`).
    margin: relative slack added to the worst reference value.
    cpu_budget_s: CPU seconds the check may spend (two cores, this suite's machine).
    settings: the training settings shared by calibration and grading.
    dataset: which data the bound was calibrated on ("digits", "mnist", ...).
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

    def describe(self) -> str:
        op = ">=" if self.higher_is_better else "<="
        return (
            f"{self.metric} {op} {self.bound:.6g} (reference {self.reference_mean:.6g} "
            f"+/- {self.reference_std:.2g} over {len(self.seeds)} seeds, margin {self.margin:.0%}, "
            f"{self.dataset})"
        )


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
) -> Threshold:
    """Build a `Threshold` from the reference's value at each calibration seed."""
    if len(values_by_seed) < 5:
        raise ValueError("calibrate a threshold over at least 5 seeds")
    seeds = tuple(sorted(values_by_seed))
    values = tuple(float(values_by_seed[s]) for s in seeds)
    worst = min(values) if higher_is_better else max(values)
    bound = worst * (1 - margin) if higher_is_better else worst * (1 + margin)
    return Threshold(
        metric=metric,
        bound=bound,
        higher_is_better=higher_is_better,
        reference_values=values,
        seeds=seeds,
        margin=margin,
        cpu_budget_s=cpu_budget_s,
        grade_seed=grade_seed,
        settings=dict(settings or {}),
        dataset=dataset,
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
