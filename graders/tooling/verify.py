"""Proving an assignment's graders: `verify(assignment, slips, grader=...)`.

1. The reference and every correct but unusual variant (UNUSUAL) get full marks.
2. Every listed buggy variant (MUTANTS) is caught by the checks its `catches` names, graded
   on those checks only (`graders.tooling.known_slips` states what "caught" means).
3. Every check is failed by some listed buggy variant (without `slow`, a check only slow
   slips name counts as theirs, and is listed as such).
4. With `auto=N`, N automatic mutants of the reference (`graders.tooling.automutants`) are
   graded, each stopping at its first failed check (the checks of the function it edits
   first, then the others). A survivor whose grade made the same
   calls and got the same replies as the reference's (`graders.engine.call_record`) is
   marked likely equivalent: no check could tell it apart, and none may need to. The kill
   rate is killed / (killed + survivors not likely equivalent).

1-3 are the expectations: any that fails makes the verification fail. Survivors fail it only
below a requested `min_kill_rate`. All grades go to one `grader` (graders.tooling.grading_jobs:
a process pool, or this process) at once, so they run in parallel.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Callable

from graders.engine.assignment import Assignment
from graders.engine.call_record import first_difference
from graders.tooling.automutants import automatic_mutants
from graders.tooling.grading_jobs import make_job
from graders.tooling.known_slips import (caught_problems, full_marks_problems, known_slips, named_by,
                                         uncovered_checks)


@dataclass
class ListedOutcome:
    """The grade of the reference or of one listed variant, and what it broke."""

    kind: str  # "reference", "unusual" or "mutant"
    name: str
    score: float
    max_score: float
    failed: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class AutoOutcome:
    """The grade of one automatic mutant."""

    name: str
    operator: str
    diff: str
    killed: bool
    killed_by: str | None  # the first check that failed
    likely_equivalent: bool = False
    differs_at: str | None = None  # a survivor's first call whose reply differs from the reference's


@dataclass
class Verification:
    assignment: str
    checks: list[str]
    listed: list[ListedOutcome]
    uncovered: list[str]
    auto: list[AutoOutcome] = field(default_factory=list)
    auto_requested: int = 0
    seed: int = 0
    min_kill_rate: float | None = None
    seconds: float = 0.0
    slow_only: list[str] = field(default_factory=list)  # named only by slow slips, not graded (no --slow)

    @property
    def killed(self) -> int:
        return sum(a.killed for a in self.auto)

    @property
    def equivalent(self) -> int:
        return sum(a.likely_equivalent for a in self.auto)

    @property
    def kill_rate(self) -> float | None:
        """killed / non-equivalent automatic mutants; None when there are none."""
        relevant = len(self.auto) - self.equivalent
        return self.killed / relevant if relevant else None

    @property
    def problems(self) -> list[str]:
        found = [f"{o.kind} {o.name}: {p}" for o in self.listed for p in o.problems]
        found += [f"check {name!r} is failed by no listed buggy variant: it may be unable to fail"
                  for name in self.uncovered]
        rate = self.kill_rate
        if self.min_kill_rate is not None and self.auto and rate is not None and rate < self.min_kill_rate:
            found.append(f"kill rate {rate:.1%} of the automatic mutants is below the minimum "
                         f"{self.min_kill_rate:.1%}")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "ok": self.ok, "problems": self.problems,
                "checks": len(self.checks), "listed": [asdict(o) for o in self.listed],
                "uncovered_checks": self.uncovered, "checks_for_slow_slips": self.slow_only,
                "auto": {"requested": self.auto_requested, "seed": self.seed, "graded": len(self.auto),
                         "killed": self.killed, "likely_equivalent": self.equivalent,
                         "survived": len(self.auto) - self.killed, "kill_rate": self.kill_rate,
                         "min_kill_rate": self.min_kill_rate,
                         "mutants": [asdict(a) for a in self.auto]},
                "seconds": round(self.seconds, 2)}


def verify(assignment: Assignment, slips: ModuleType | None, grader: Callable, *, slow: bool = False,
           auto: int = 0, seed: int = 0, select: Callable[[str], bool] | None = None,
           min_kill_rate: float | None = None) -> Verification:
    """Grade the reference, the listed slips (`slips`: the assignment's slips module) and `auto`
    automatic mutants with `grader` (jobs -> results, in order); what holds and what does not.
    select: only the checks whose names it accepts (the others are as if absent)."""
    start = time.monotonic()
    checks = [c.name for c in assignment.all_checks() if select is None or select(c.name)]
    reference = assignment.reference.read_text(encoding="utf-8")
    listed = known_slips(slips, slow)
    jobs, kinds, broken = [make_job("reference", reference, checks, record=auto > 0)], ["reference"], []
    for variant in listed.unusual:
        source, problem = _applied(variant, reference)
        if problem:
            broken.append(ListedOutcome("unusual", variant.name, 0.0, 0.0, [], [problem]))
        else:
            jobs.append(make_job(variant.name, source, checks))
            kinds.append("unusual")
    for variant in listed.mutants:
        source, problem = _applied(variant, reference)
        if problem:
            broken.append(ListedOutcome("mutant", variant.name, 0.0, 0.0, [], [problem]))
        else:
            jobs.append(make_job(variant.name, source, [c for c in checks if named_by(variant.catches)(c)]))
            kinds.append("mutant")
    mutants = automatic_mutants(reference, auto, seed, assignment.contract) if auto > 0 else []
    jobs += [make_job(m.name, m.source, checks, record=True, stop_at_first_failure=True,
                      first=[c for c in checks if _checks_function(c, m.function)]) for m in mutants]

    results = list(grader(jobs))
    by_name = {m.name: m for m in listed.mutants}
    outcomes, caught = [], []
    for kind, result in zip(kinds, results):
        failed = result["failed"]
        if kind == "mutant":
            problems = caught_problems(by_name[result["name"]], failed, result["graded"])
            caught.append(list(failed))
        else:
            problems = full_marks_problems(failed, result["score"], result["max_score"])
        outcomes.append(ListedOutcome(kind, result["name"], result["score"], result["max_score"],
                                      list(failed), problems))
    outcomes += broken
    reference_calls = results[0]["calls"]
    auto_outcomes = [auto_outcome(m, r, reference_calls) for m, r in zip(mutants, results[len(kinds):])]
    uncovered = uncovered_checks(checks, caught)
    # a check only slow slips name is covered by them: without --slow they are not graded
    slow = set(known_slips(slips, slow=True).mutants) - set(listed.mutants)
    for_slow = named_by([p for m in slow for p in m.catches])
    return Verification(assignment.id, checks, outcomes, [c for c in uncovered if not for_slow(c)], auto_outcomes,
                        auto, seed, min_kill_rate, time.monotonic() - start,
                        slow_only=[c for c in uncovered if for_slow(c)])


def _checks_function(check: str, function: str) -> bool:
    """Whether a check's name says it checks `function` ("relu: ...", "Layer.forward: ...")."""
    return bool(function) and (check.startswith(f"{function}:") or check.startswith(f"{function}."))


def _applied(variant, reference: str) -> tuple[str, str | None]:
    try:
        return variant.apply(reference), None
    except AssertionError as exc:  # its `old` text is no longer in the reference
        return "", str(exc).removeprefix(f"mutant {variant.name!r}: ")


def auto_outcome(mutant, result: dict, reference_calls: dict | None) -> AutoOutcome:
    """An automatic mutant's grade (a `grade_variant` result) against the reference's call
    record: killed, or survived and likely equivalent or not (and where its replies differ)."""
    failed = list(result["failed"])
    killed = bool(failed) or result["score"] < result["max_score"]
    outcome = AutoOutcome(mutant.name, mutant.operator, mutant.diff, killed, failed[0] if failed else None)
    if not killed and reference_calls is not None and result["calls"] is not None:
        outcome.differs_at = first_difference(result["calls"], reference_calls)
        outcome.likely_equivalent = outcome.differs_at is None
    return outcome
