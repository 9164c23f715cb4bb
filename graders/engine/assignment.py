"""What the engine needs to know about an assignment.

Each package under `graders/assignments/` defines `ASSIGNMENT = Assignment(...)`; the
registry in `graders.assignments` finds them. The grader never imports a submission:
the `contract` lists the names a submission must define, `checks(options)` yields the
checks, and `tasks` are trusted files the sandbox loads before the submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from graders.engine.checks import Check
from graders.sandbox.limits import Limits


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course.

    id: the contract's identifier, e.g. "numpy_basics".
    title: a line for listings.
    contract: the names a submission defines (functions and classes).
    checks: `checks(options: dict) -> Iterator[Check]`, the per-assignment generator.
    reference: path of the reference module (also a valid, full-marks submission).
    preload: modules the sandbox imports before the submission ("numpy", "torch").
    tasks: paths of trusted task files run inside the sandbox (see tasks.py files).
    limits: the sandbox's resource limits for this assignment.
    options: defaults of the options a grade may set (e.g. {"data": "digits"}).
    hide: more folders its sandboxes may never read (the course folders it comes from: set by
        `graders.courses.Catalog.get`).
    """

    id: str
    title: str
    contract: tuple[str, ...]
    checks: Callable[[dict], Iterator[Check]]
    reference: Path
    preload: tuple[str, ...] = ("numpy",)
    tasks: tuple[Path, ...] = ()
    limits: Limits = field(default_factory=Limits)
    options: dict = field(default_factory=dict)
    hide: tuple[Path, ...] = ()

    def all_checks(self, options: dict | None = None) -> list[Check]:
        merged = {**self.options, **(options or {})}
        checks = [check.with_contract(self.contract) for check in self.checks(merged)]
        names = [c.name for c in checks]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"{self.id}: duplicate check names {sorted(duplicates)}")
        return checks

    def parse_options(self, items) -> dict:
        """Options from "NAME=VALUE" strings (the command line's --option): each NAME must be one
        this assignment declares (a typo would otherwise change nothing, silently); values
        become bools, numbers or text (`option_value`). ValueError says what is wrong."""
        options = {}
        for item in items:
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or not name:
                raise ValueError(f"--option {item!r}: expected NAME=VALUE")
            if name not in self.options:
                declared = ", ".join(sorted(self.options))
                raise ValueError(f"--option {name}: {self.id} has no such option; "
                                 + (f"its options: {declared}" if declared else "it declares none"))
            options[name] = option_value(value.strip())
        return options


def option_value(text: str):
    """`true`/`false` (any case) as bools, then an int, then a float, else the text itself."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
