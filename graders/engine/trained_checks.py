"""One declaration per trained check, and its calibrated numbers read from thresholds.json.

A trained check trains the submission and compares what the training reaches with a bound
calibrated on the reference. What a course writes by hand is declared once, in a
`TrainedCheck` (in the assignment's thresholds.py): the task that trains, the metric and
the entry of the measurement that holds it, its direction, the margin, the CPU budget, the
training settings and the data subset of each data set, the model size the budget assumes
and the calibration runs in words. What calibration measures (the bound, the reference's
value in each run, the runs, the harmless variations) is data: `thresholds.json` beside
it, one entry a data set and a check, written by `dlgrade calibrate ID --write`:

    {"digits": {"vae_test_loss": {"bound": 12.47, "reference_values": [...], "seeds": [...],
                                  "grade_seed": 0, "settings": {...}, "variation": {...}}}}

`with_calibration(folder, declarations)` reads it and validates each entry against its
declaration (the settings it was calibrated with must be the declared ones, and its bound
the worst reference value with the declared margin), so a declaration edited without a
recalibration fails loudly, naming the command that rewrites the file. A check grades
against `ctx.check.threshold.for_dataset(name)`: the declaration its `Check` carries (a
course may override a bound), never a table read at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from .thresholds import Threshold, derived_bound

THRESHOLDS_FILE = "thresholds.json"
# The standard calibration runs in words (`graders.tooling.calibration_runs.standard_runs`),
# for a declaration's `runs`.
N_DRAWS = 5
PERTURBATION = 1e-12
STANDARD_RUNS = (f"runs 0-{N_DRAWS - 1}: {N_DRAWS} course-secret draws of the seed and the held-out rows, the "
                 f"reference; run {N_DRAWS}: draw 0 with every input perturbed by {PERTURBATION:g} relative; run "
                 f"{N_DRAWS + 1}: draw 1 with the correct-but-unusual variant of the reference named in the "
                 "calibrate module's VARIANT_EDITS")
# The runs of a calibration by grading (`graders.tooling.graded_calibration`: an assignment with
# no calibrate module), in words, for a declaration's `runs`.
GRADED_RUNS = (f"runs 0-{N_DRAWS - 1}: the reference graded with {N_DRAWS} course-secret draws; then draw 0 graded "
               "with each correct-but-unusual variant of the assignment's slips.py (UNUSUAL)")
_ENTRY_FIELDS = frozenset({"bound", "reference_values", "seeds", "grade_seed", "settings", "variation"})


class CalibrationError(LookupError):
    """A calibrated entry is missing or malformed; the message names the command that writes it."""

    def __str__(self) -> str:  # a LookupError would print its message quoted
        return str(self.args[0]) if self.args else ""


def calibrate_command(assignment: str, dataset: str = "digits") -> str:
    """The command line that writes `dataset`'s entries of `assignment`'s thresholds.json."""
    spec = "mnist:PATH" if dataset == "mnist" else dataset
    return f"dlgrade calibrate {assignment} --dataset {spec} --write"


def as_json(value):
    """`value` as JSON gives it back (tuples become lists): how declared settings compare with
    the settings stored in thresholds.json."""
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class Calibration:
    """What calibration measured for one check on one data set."""

    bound: float
    reference_values: tuple[float, ...]
    seeds: tuple[int, ...]
    grade_seed: int = 0
    settings: dict = field(default_factory=dict)
    variation: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        entry = {"bound": self.bound, "reference_values": list(self.reference_values),
                 "seeds": list(self.seeds), "grade_seed": self.grade_seed, "settings": as_json(self.settings)}
        if self.variation:
            entry["variation"] = {what: {str(s): v for s, v in by_seed.items()}
                                  for what, by_seed in self.variation.items()}
        return entry

    @classmethod
    def of(cls, threshold: Threshold) -> Calibration:
        return cls(bound=threshold.bound, reference_values=tuple(threshold.reference_values),
                   seeds=tuple(threshold.seeds), grade_seed=threshold.grade_seed,
                   settings=dict(threshold.settings), variation=dict(threshold.variation))


@dataclass(frozen=True)
class TrainedCheck:
    """The declaration of one trained check.

    assignment, key: the assignment and the check's name in thresholds.json.
    metric: what is measured, in words ("held-out MSE"); higher_is_better: its direction.
    margin: relative slack added to the worst reference value; cpu_budget_s: CPU seconds the
        training may take (two cores, this suite's machine).
    settings: {data set: the training settings shared by calibration and grading}; the key "*"
        holds those of any data set not named (a course's own data set of the same kind).
    task, metric_key: the grader task that trains and the entry of the measurement compared
        with the bound (empty for a check measured by code of its own).
    data: {data set: the subset sizes of `graders.data.load_dataset`}.
    model_size: the model the budget assumes, in words a student can compare with their own.
    runs: the calibration runs in words (secret draws, harmless variations).
    slack: an absolute slack added after the margin (a count of errors, where a relative margin
        of a small worst value means little); its Threshold then states the margin the bound
        amounts to (bound / worst - 1), as such a bound always has.
    calibrated: {data set: Calibration}, filled from thresholds.json by `with_calibration`.
    """

    assignment: str
    key: str
    metric: str
    higher_is_better: bool
    margin: float
    cpu_budget_s: float
    settings: dict
    task: str = ""
    metric_key: str = ""
    data: dict = field(default_factory=lambda: {"digits": {}})
    model_size: str = ""
    runs: str = ""
    slack: float = 0.0
    calibrated: dict = field(default_factory=dict)

    def settings_for(self, dataset: str) -> dict | None:
        """The declared training settings of `dataset` (those of "*" when it is not named)."""
        return self.settings.get(dataset, self.settings.get("*"))

    def for_dataset(self, dataset: str = "digits") -> Threshold:
        """The bound a grade on `dataset` compares with; CalibrationError when none is calibrated."""
        if self.settings_for(dataset) is None:
            raise CalibrationError(f"{self.assignment} declares no settings of {self.key!r} for the data set "
                                   f"{dataset!r} (it knows {', '.join(self.settings)})")
        if dataset not in self.calibrated:
            raise CalibrationError(f"no calibrated threshold of {self.assignment}'s {self.key!r} for {dataset!r}; "
                                   f"run `{calibrate_command(self.assignment, dataset)}`")
        c = self.calibrated[dataset]
        margin = self.margin
        if self.slack:
            every = c.reference_values + tuple(v for by_seed in c.variation.values() for v in by_seed.values())
            worst = min(every) if self.higher_is_better else max(every)
            margin = abs(c.bound / worst - 1.0) if worst else math.inf
        return Threshold(metric=self.metric, bound=c.bound, higher_is_better=self.higher_is_better,
                         reference_values=c.reference_values, seeds=c.seeds, margin=margin,
                         cpu_budget_s=self.cpu_budget_s, grade_seed=c.grade_seed,
                         settings=dict(self.settings_for(dataset)), dataset=dataset, model_size=self.model_size,
                         variation=dict(c.variation))

    def describe_budget(self) -> str:
        """The budget in words (what the runner says when the check runs over its time)."""
        return f"{self.cpu_budget_s:g} s of CPU" + (f", for {self.model_size}" if self.model_size else "")

    def with_bound(self, bound: float, dataset: str | None = None) -> TrainedCheck:
        """This declaration with `dataset`'s bound replaced (a course's override); dataset None: the
        one data set it is calibrated on, or "digits" when there are several."""
        if dataset is None:
            dataset = next(iter(self.calibrated)) if len(self.calibrated) == 1 else "digits"
        if dataset not in self.calibrated:
            raise CalibrationError(f"no calibrated threshold of {self.assignment}'s {self.key!r} for {dataset!r} "
                                   f"to override")
        calibrated = {**self.calibrated, dataset: replace(self.calibrated[dataset], bound=float(bound))}
        return replace(self, calibrated=calibrated)


@dataclass(frozen=True)
class TrainedGroup:
    """The declarations of the bounds one check compares a single training run with (a GAN's
    coverage, confidence and memorisation bounds): what such a check's `Check.threshold` holds."""

    checks: tuple

    def __getitem__(self, key: str) -> TrainedCheck:
        for check in self.checks:
            if check.key == key:
                return check
        raise KeyError(key)

    def keys(self) -> list[str]:
        return [c.key for c in self.checks]

    def describe_budget(self) -> str:
        return max(self.checks, key=lambda c: c.cpu_budget_s).describe_budget()

    def with_bound(self, bound: float, dataset: str | None = None, *, key: str | None = None) -> TrainedGroup:
        """This group with the bound of `key` (on `dataset`, see `TrainedCheck.with_bound`) replaced
        (a course's override); key None only for a group of one bound."""
        if key is None:
            if len(self.checks) != 1:
                raise ValueError(f"this check compares with several bounds ({', '.join(self.keys())}): name the "
                                 "one to override")
            key = self.checks[0].key
        self[key]  # noqa: B018 - KeyError for a key the group does not hold
        return TrainedGroup(tuple(c.with_bound(bound, dataset) if c.key == key else c for c in self.checks))


def _numbers(value, what: str, kind=float) -> tuple:
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v in value):
        raise ValueError(f"{what} is not a list of numbers")
    return tuple(kind(v) for v in value)


def parse_entry(entry, check: TrainedCheck, dataset: str) -> Calibration:
    """The Calibration of one thresholds.json entry, validated against its declaration."""
    if not isinstance(entry, dict) or not {"bound", "reference_values", "seeds"} <= set(entry):
        raise ValueError("an entry needs bound, reference_values and seeds")
    if set(entry) - _ENTRY_FIELDS:
        raise ValueError(f"unknown fields {sorted(set(entry) - _ENTRY_FIELDS)}")
    bound = entry["bound"]
    if not isinstance(bound, (int, float)) or isinstance(bound, bool) or not math.isfinite(bound):
        raise ValueError(f"bound {bound!r} is not a finite number")
    values = _numbers(entry["reference_values"], "reference_values")
    seeds = _numbers(entry["seeds"], "seeds", int)
    if len(values) != len(seeds) or not values:
        raise ValueError(f"{len(values)} reference values for {len(seeds)} seeds")
    variation = entry.get("variation", {})
    if not isinstance(variation, dict) or not all(isinstance(v, dict) for v in variation.values()):
        raise ValueError("variation is not {what: {seed: value}}")
    variation = {what: dict(zip((int(s) for s in by_seed), _numbers(list(by_seed.values()), f"variation {what!r}")))
                 for what, by_seed in variation.items()}
    settings = entry.get("settings", {})
    if settings != as_json(check.settings_for(dataset)):
        raise ValueError(f"it was calibrated with the settings {settings}, not the declared "
                         f"{as_json(check.settings_for(dataset))}")
    every = values + tuple(v for by_seed in variation.values() for v in by_seed.values())
    expected = derived_bound(every, check.higher_is_better, check.margin, check.slack)
    if not math.isclose(bound, expected, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(f"its bound {bound!r} is not the worst reference value with the declared margin "
                         f"{check.margin:g}" + (f" and slack {check.slack:g}" if check.slack else "") +
                         f" ({expected!r})")
    return Calibration(bound=float(bound), reference_values=values, seeds=seeds,
                       grade_seed=int(entry.get("grade_seed", 0)), settings=settings, variation=variation)


def read_calibrations(path: Path, checks) -> dict[str, dict[str, Calibration]]:
    """{key: {data set: Calibration}} of the file at `path` for the declarations `checks`
    (every entry validated; a missing file holds none)."""
    path = Path(path)
    by_key = {c.key: c for c in checks}
    assignment = next(iter(by_key.values())).assignment if by_key else "ID"
    if not path.exists():
        return {key: {} for key in by_key}
    try:
        tables = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
            raise ValueError("not {data set: {check: entry}}")
    except ValueError as exc:
        raise CalibrationError(f"{path} is malformed ({exc}); run `{calibrate_command(assignment)}`") from None
    out: dict[str, dict[str, Calibration]] = {key: {} for key in by_key}
    for dataset, table in tables.items():
        for key, entry in table.items():
            if key not in by_key:
                raise CalibrationError(f"{path} holds {key!r}, which {assignment} does not declare; run "
                                       f"`{calibrate_command(assignment, dataset)}`")
            try:
                out[key][dataset] = parse_entry(entry, by_key[key], dataset)
            except (ValueError, TypeError) as exc:
                raise CalibrationError(f"{path}: the {dataset!r} entry of {key!r} is malformed: {exc}; run "
                                       f"`{calibrate_command(assignment, dataset)}`") from None
    return out


def with_calibration(folder, checks) -> dict[str, TrainedCheck]:
    """{key: declaration with its calibrated numbers} for the declarations `checks`, read from
    `folder`/thresholds.json (the assignment's folder)."""
    checks = list(checks)
    found = read_calibrations(Path(folder) / THRESHOLDS_FILE, checks)
    return {c.key: replace(c, calibrated=found[c.key]) for c in checks}
