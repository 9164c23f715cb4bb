"""What an assignment's known slips must show when graded (its `slips.py`: MUTANTS, UNUSUAL).

The one statement of these expectations, used both by `dlgrade verify` and by the test
suite (tests/graders/test_mutants.py):

- the reference, and every correct but unusual submission (UNUSUAL), gets full marks;
- each buggy submission (MUTANTS) fails every check its `catches` names (a full name or a
  prefix), and the feedback of the first names the slip (`says`);
- every check of the assignment fails on some buggy submission: a check that cannot fail
  is a defect.

Each function returns the problems it finds as sentences (an empty list when all holds).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Iterable

from graders.engine.mutants import Mutant


@dataclass(frozen=True)
class KnownSlips:
    """An assignment's listed slips: `mutants` must be caught, `unusual` get full marks."""

    mutants: tuple[Mutant, ...] = ()
    unusual: tuple[Mutant, ...] = ()


def slips_module(assignment_id: str) -> ModuleType | None:
    """The bundled assignment's `slips.py`, or None when it has none."""
    try:
        return importlib.import_module(f"graders.assignments.{assignment_id}.slips")
    except ModuleNotFoundError as exc:
        if exc.name == f"graders.assignments.{assignment_id}.slips":
            return None
        raise


def known_slips(module: ModuleType | None, slow: bool = False) -> KnownSlips:
    """MUTANTS and UNUSUAL of a slips module (plus SLOW_MUTANTS and SLOW_UNUSUAL with `slow`)."""
    if module is None:
        return KnownSlips()
    kinds = ("", "SLOW_") if slow else ("",)
    return KnownSlips(tuple(m for k in kinds for m in getattr(module, f"{k}MUTANTS", ())),
                      tuple(m for k in kinds for m in getattr(module, f"{k}UNUSUAL", ())))


def named_by(prefixes: Iterable[str]) -> Callable[[str], bool]:
    """Whether a check's name is one of `prefixes` or starts with one."""
    prefixes = tuple(prefixes)
    return lambda name: any(name.startswith(p) for p in prefixes)


def full_marks_problems(failed: dict[str, str], score: float, max_score: float) -> list[str]:
    """A submission that must get full marks: `failed` maps each failed check to its output."""
    problems = [f"{name!r} failed: {_first_line(output)}" for name, output in failed.items()]
    if not problems and score < max_score:
        problems.append(f"scored {score:g} of {max_score:g}")
    if max_score <= 0:
        problems.append("no check was run")
    return problems


def caught_problems(mutant: Mutant, failed: dict[str, str], graded: Iterable[str]) -> list[str]:
    """A buggy submission: each of `mutant.catches` names a graded check that failed, and the
    first one's feedback says `mutant.says`. `failed` maps each failed check to its output;
    `graded` are the names of the checks that were run."""
    if not mutant.catches:
        return [f"{mutant.name} names no check that catches it (its `catches` is empty)"]
    graded = list(graded)
    problems = []
    for i, prefix in enumerate(mutant.catches):
        if not any(named_by([prefix])(name) for name in graded):
            problems.append(f"{prefix!r} names no check of the assignment")
            continue
        hits = [name for name in failed if named_by([prefix])(name)]
        if not hits:
            problems.append(f"{prefix!r} did not fail; failed: {sorted(failed) or 'none'}")
        elif i == 0:
            for word in mutant.says:
                if not any(word in failed[name] for name in hits):
                    problems.append(f"the feedback of {prefix!r} does not say {word!r}")
    return problems


def uncovered_checks(check_names: Iterable[str], failing: Iterable[Iterable[str]]) -> list[str]:
    """The checks that no buggy submission fails. `failing` holds, for each buggy submission,
    the names (or prefixes) of the checks it fails."""
    prefixes = [p for names in failing for p in names]
    covered = named_by(prefixes)
    return [name for name in check_names if not covered(name)]


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:160]
