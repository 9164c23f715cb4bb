"""A course's `course.toml`: its name and its overrides of assignments, read and validated.

    [course]
    name = "ml101"

    [assignments.numpy_basics]
    options = { data = "digits" }            # new defaults of options the assignment declares
    extra_checks = ["more_checks"]           # modules of COURSE/numpy_basics/ yielding more checks

    [assignments.numpy_basics.checks."relu: values"]
    points = 2                               # any of points, visibility, timeout_s, bound
    visibility = "hidden"                    # visible | hidden | after_due_date
    timeout_s = 30
    bound = 0.05                             # a trained check's bound (its Check.threshold);
                                             # or one per data set: bound = { digits = 0.05 }

    [assignments.gan_torch.checks."gan: ...".bounds]
    gan_distinct_classes = 8                 # one bound of a check graded against several (a
                                             # TrainedGroup), by its key; or { digits = 8 }

Reading checks the file's shape only (types, known keys); whether each assignment, option
and check exists is checked against the assignment (`graders.course_overrides`). Every
problem is a `CourseError` naming the file and the table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILE = "course.toml"
VISIBILITIES = ("visible", "hidden", "after_due_date")
CHECK_KEYS = {"points": (int, float), "visibility": (str,), "timeout_s": (int, float), "bound": (int, float, dict),
              "bounds": (dict,)}
ASSIGNMENT_KEYS = ("options", "extra_checks", "checks")


class CourseError(ValueError):
    """A course that cannot be used as it is: the message names the file and what is wrong."""


@dataclass(frozen=True)
class CheckOverride:
    """New values for one check's fields; None keeps the check's own."""

    points: float | None = None
    visibility: str | None = None
    timeout_s: float | None = None
    bound: float | dict[str, float] | None = None  # one bound, or {data set: bound}
    bounds: dict[str, float | dict[str, float]] | None = None  # {key in a group of bounds: bound as above}


@dataclass(frozen=True)
class AssignmentOverrides:
    """A course's `[assignments.<id>]` table."""

    assignment: str
    source: str  # "<course.toml path> [assignments.<id>]", for messages
    options: dict = field(default_factory=dict)
    extra_checks: tuple[str, ...] = ()
    checks: dict[str, CheckOverride] = field(default_factory=dict)


@dataclass(frozen=True)
class CourseConfig:
    """A course.toml's content (empty for a course without one)."""

    path: Path | None = None
    name: str = ""
    assignments: dict[str, AssignmentOverrides] = field(default_factory=dict)


def read_toml(path: Path) -> dict:
    """The TOML file at `path` (a course.toml or an assignment.toml); a CourseError naming the
    file when it cannot be read or parsed."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise CourseError(f"{path}: cannot be read ({exc.strerror})") from None


def read_course_config(folder: Path) -> CourseConfig:
    """The course.toml in `folder`, validated; an empty config when there is none."""
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        return CourseConfig()
    data = read_toml(path)
    unknown = sorted(set(data) - {"course", "assignments"})
    if unknown:
        raise CourseError(f"{path}: unknown table(s) {unknown}; expected [course] and [assignments.<id>]")
    course = _table(data.get("course", {}), f"{path}: [course]")
    name = course.get("name", "")
    if not isinstance(name, str) or set(course) - {"name"}:
        raise CourseError(f"{path}: [course] holds only name = \"...\"")
    assignments = {}
    for aid, table in _table(data.get("assignments", {}), f"{path}: [assignments]").items():
        assignments[aid] = _assignment(aid, table, f"{path}: [assignments.{aid}]")
    return CourseConfig(path=path, name=name, assignments=assignments)


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise CourseError(f"{where} must be a table")
    return value


def _assignment(aid: str, table, where: str) -> AssignmentOverrides:
    if not aid.isidentifier():
        raise CourseError(f"{where}: {aid!r} is not an assignment id")
    table = _table(table, where)
    unknown = sorted(set(table) - set(ASSIGNMENT_KEYS))
    if unknown:
        raise CourseError(f"{where}: unknown key(s) {unknown}; expected {list(ASSIGNMENT_KEYS)}")
    options = _table(table.get("options", {}), f"{where} options")
    extra = table.get("extra_checks", [])
    if not isinstance(extra, list) or not all(isinstance(m, str) and m.isidentifier() for m in extra):
        raise CourseError(f"{where}: extra_checks must be a list of module names (without .py)")
    checks = {name: _check(_table(value, f"{where} checks.{name!r}"), f"{where} checks.{name!r}")
              for name, value in _table(table.get("checks", {}), f"{where} checks").items()}
    return AssignmentOverrides(assignment=aid, source=where, options=dict(options), extra_checks=tuple(extra),
                               checks=checks)


def _check(table: dict, where: str) -> CheckOverride:
    unknown = sorted(set(table) - set(CHECK_KEYS))
    if unknown:
        raise CourseError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(CHECK_KEYS)}")
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, CHECK_KEYS[key]):
            kind = {"visibility": "text", "bounds": "table of bounds by key"}.get(key, "number")
            raise CourseError(f"{where}: {key} must be a {kind}")
    if isinstance(table.get("bound"), dict) and not _bound_table(table["bound"]):
        raise CourseError(f"{where}: bound must be a number or a table of numbers by data set "
                          "(bound = {{ digits = 0.05 }})")
    if "bounds" in table and "bound" in table:
        raise CourseError(f"{where}: give bound (a check graded against one bound) or bounds (one of several, "
                          "by key), not both")
    for key, bound in table.get("bounds", {}).items():
        if isinstance(bound, bool) or not (isinstance(bound, (int, float)) or _bound_table(bound)):
            raise CourseError(f"{where}: bounds.{key} must be a number or a table of numbers by data set "
                              f"({key} = {{ digits = 0.05 }})")
    if "bounds" in table and not table["bounds"]:
        raise CourseError(f"{where}: bounds is empty; name the key of each bound to override")
    if table.get("visibility", "visible") not in VISIBILITIES:
        raise CourseError(f"{where}: visibility must be one of {', '.join(VISIBILITIES)}")
    if table.get("points", 0) < 0 or table.get("timeout_s", 1) <= 0:
        raise CourseError(f"{where}: points must be >= 0 and timeout_s > 0")
    def number(v):
        return {name: float(b) for name, b in v.items()} if isinstance(v, dict) else float(v)

    def value(key, v):
        if key == "visibility":
            return v
        return {name: number(b) for name, b in v.items()} if key == "bounds" else number(v)

    return CheckOverride(**{k: value(k, v) for k, v in table.items()})


def _bound_table(value) -> bool:
    """Whether `value` is a non-empty {data set: number} table."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values())
