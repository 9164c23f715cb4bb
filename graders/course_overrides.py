"""A course's overrides of an assignment applied: option defaults, extra checks, and per check
its points, visibility, timeout and trained bound, or one bound of a group by its key
(`graders.course_config` reads them).

The assignment keeps its id, contract and reference, so the notebooks written for it keep
working. Its checks become the original generator's, then each extension's (a module of
`COURSE/<id>/` with a `yield_checks(options)` generator, as an assignment's checks.py), each
check replaced by its overridden fields. Every override is checked against the checks the
assignment yields with its default options: an unknown check or option, or a bound for a
check that is not a trained one, is a CourseError naming the course.toml table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from graders.course_config import AssignmentOverrides, CheckOverride, CourseError
from graders.engine.assignment import Assignment
from graders.engine.checks import Check, Visibility


@dataclass(frozen=True)
class OverriddenChecks:
    """An assignment's check generator with a course's extra checks and field overrides."""

    original: Callable[[dict], Iterator[Check]]
    extra: tuple[Callable[[dict], Iterator[Check]], ...] = ()
    overrides: tuple[tuple[str, CheckOverride, str], ...] = ()  # (check name, override, source)

    def unchanged(self, options: dict) -> Iterator[Check]:
        yield from self.original(options)
        for generator in self.extra:
            yield from generator(options)

    def __call__(self, options: dict) -> Iterator[Check]:
        by_name = {name: (override, source) for name, override, source in self.overrides}
        for check in self.unchanged(options):
            if check.name in by_name:
                check = overridden(check, *by_name[check.name])
            yield check


def overridden(check: Check, override: CheckOverride, source: str) -> Check:
    """`check` with the fields `override` sets; a bound only for a trained check (one with a
    `threshold` that has a bound)."""
    changes = {}
    if override.points is not None:
        changes["points"] = override.points
    if override.visibility is not None:
        changes["visibility"] = Visibility(override.visibility)
    if override.timeout_s is not None:
        changes["timeout_s"] = override.timeout_s
    if override.bound is not None:
        changes["threshold"] = overridden_threshold(check, override.bound, source)
    if override.bounds is not None:
        changes["threshold"] = overridden_group(check, override.bounds, source)
    return replace(check, **changes)


def overridden_group(check: Check, bounds: dict, source: str):
    """The check's group of bound declarations (a `TrainedGroup`: `keys()` and `with_bound(bound,
    dataset, key=...)`) with the bound of each key of `bounds` replaced ({key: a number, or {data
    set: number}}); a CourseError for a key the group does not hold or a check with no group."""
    group, where = check.threshold, f"{source} checks.{check.name!r}"
    if not (callable(getattr(group, "keys", None)) and callable(getattr(group, "with_bound", None))):
        what = "one bound: use bound = ..." if group is not None else "no trained bound"
        raise CourseError(f"{where}: bounds is only for a check graded against several trained bounds; this one "
                          f"has {what}")
    unknown = sorted(set(bounds) - set(group.keys()))
    if unknown:
        raise CourseError(f"{where}: bounds: unknown key(s) {unknown}; this check's bounds are "
                          f"{', '.join(group.keys())}")
    try:
        for key, bound in bounds.items():
            for dataset, value in (bound.items() if isinstance(bound, dict) else [(None, bound)]):
                group = group.with_bound(value, dataset, key=key)
    except Exception as exc:  # a calibration's own errors (an unknown data set) included
        raise CourseError(f"{where}: bounds.{key}: {exc}") from None
    return group


def overridden_threshold(check: Check, bound, source: str):
    """The check's threshold declaration with `bound` (a number, or {data set: number}): a
    declaration with calibrations per data set replaces them through its `with_bound(bound,
    dataset)`; a single calibrated `Threshold` gets its `bound` field replaced."""
    threshold, where = check.threshold, f"{source} checks.{check.name!r}"
    try:
        if callable(getattr(threshold, "keys", None)) and len(threshold.keys()) > 1:
            raise ValueError(f"this check compares with several bounds ({', '.join(threshold.keys())}): override "
                             "one by its key, in a table bounds = { KEY = ... }")
        if callable(getattr(threshold, "with_bound", None)):
            if not isinstance(bound, dict):
                return threshold.with_bound(bound)
            for dataset, value in bound.items():
                threshold = threshold.with_bound(value, dataset)
            return threshold
        if dataclasses.is_dataclass(threshold) and any(f.name == "bound" for f in dataclasses.fields(threshold)):
            if isinstance(bound, dict):
                dataset = getattr(threshold, "dataset", "digits")
                if set(bound) != {dataset}:
                    raise ValueError(f"it is calibrated on {dataset!r} only: give bound = {{ {dataset} = ... }}")
                bound = bound[dataset]
            return replace(threshold, bound=bound)
    except Exception as exc:  # a calibration's own errors (an unknown data set) included
        raise CourseError(f"{where}: bound: {exc}") from None
    raise CourseError(f"{where}: bound is only for a trained check (one graded against a calibrated "
                      "threshold); this one has none")


def apply_overrides(base: Assignment, extensions, *, owner_folder: Path, hide=()) -> Assignment:
    """`base` with every course's overrides and extra checks (`extensions`: [(Course,
    AssignmentOverrides)], in order; later ones win) and its sandboxes hiding `hide`."""
    if not extensions:
        return replace(base, hide=tuple(base.hide) + tuple(hide)) if hide else base
    options = dict(base.options)
    extra, tasks, overrides = [], list(base.tasks), []
    for course, table in extensions:
        table: AssignmentOverrides
        unknown = sorted(set(table.options) - set(base.options))
        if unknown:
            declared = ", ".join(sorted(base.options)) or "none"
            raise CourseError(f"{table.source} options: {base.id} declares no option(s) {unknown} "
                              f"(its options: {declared})")
        options.update(table.options)
        folder = course.folder / base.id
        for name in table.extra_checks:
            extra.append(_extra_generator(course, base.id, name, table.source))
        if folder != owner_folder and (folder / "tasks.py").is_file():
            tasks.append(folder / "tasks.py")
        overrides += [(name, override, table.source) for name, override in table.checks.items()]
    checks = OverriddenChecks(base.checks, tuple(extra), tuple(overrides))
    result = replace(base, checks=checks, options=options, tasks=tuple(tasks),
                     hide=tuple(base.hide) + tuple(hide))
    _validate(result, checks, options)
    return result


def _extra_generator(course, assignment_id: str, module_name: str, source: str):
    path = course.folder / assignment_id / f"{module_name}.py"
    if not path.is_file():
        raise CourseError(f"{source} extra_checks: no module {path}")
    module = course.import_module(f"{assignment_id}.{module_name}")
    generator = getattr(module, "yield_checks", None)
    if not callable(generator):
        raise CourseError(f"{path}: defines no yield_checks(options) generator of checks")
    return generator


def _validate(assignment: Assignment, checks: OverriddenChecks, options: dict) -> None:
    names = [c.name for c in checks.unchanged(options)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CourseError(f"{assignment.id}: extra checks repeat check names {duplicates}")
    for name, override, source in checks.overrides:
        if name not in names:
            raise CourseError(f"{source} checks.{name!r}: {assignment.id} has no such check "
                              f"(`dlgrade list {assignment.id}` lists them)")
    list(checks(options))  # a bound on a check that is not trained fails here, not at grade time
