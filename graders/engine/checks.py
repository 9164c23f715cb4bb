"""The check model: what one check is, how it fails, and what it reports.

A check is one function `run(ctx)` with a name that starts with the contract function
it checks (`backward: gradient check of W1`), a number of points, a kind and a
visibility. It passes by returning (optionally a short note) and fails by raising
`CheckFailed`, whose fields become the student's feedback: what was expected, what came
back, where, by how much, and the likely slip. Each assignment's grader module yields
its checks from one generator (scikit-learn's `estimator_checks` is the model).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Iterator


class Kind(str, enum.Enum):
    VALUE = "value"
    GRADIENT = "gradient"
    PROPERTY = "property"
    SYMBOLIC = "symbolic"
    THRESHOLD = "threshold"


class Visibility(str, enum.Enum):
    """When a student sees the result (Gradescope's vocabulary)."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"


@dataclass(frozen=True)
class Check:
    """One check of one contract function.

    name: starts with the contract function, then a colon: "relu_backward: gradient check".
    run: `run(ctx) -> str | None`; raises CheckFailed on failure.
    needs: the contract names the check calls; a missing one fails it with a clear message.
    timeout_s: wall time for all of the check's calls into the sandbox.
    threshold: for a trained check, the calibrated declaration it is graded against (its CPU
        budget and the model size the budget assumes go into the feedback of a timeout).
    """

    name: str
    run: Callable
    points: float = 1.0
    kind: Kind = Kind.VALUE
    visibility: Visibility = Visibility.VISIBLE
    needs: tuple[str, ...] = ()
    timeout_s: float = 20.0
    description: str = ""
    threshold: object = None

    def __post_init__(self):
        if ":" not in self.name:
            raise ValueError(f"check name {self.name!r} must start with 'function: '")
        if self.points < 0:
            raise ValueError("points must be >= 0")

    @property
    def function(self) -> str:
        return self.name.split(":", 1)[0].strip()


class CheckFailed(Exception):
    """A failed check, with the feedback a student can act on.

    summary: one sentence, e.g. "relu_backward(dout, z) is wrong for negative z".
    expected / got: short renderings of the expected and returned values.
    where: an index, a key, an input ("at index (1, 2)", "for the input shown below").
    diff: by how much ("greatest absolute difference 0.5, allowed 1e-07").
    slip: the likely mistake ("a factor of 2: ...").
    details: anything else (a counterexample, a table).
    """

    def __init__(self, summary: str, *, expected: str | None = None, got: str | None = None,
                 where: str | None = None, diff: str | None = None, slip: str | None = None,
                 details: str | None = None):
        super().__init__(summary)
        self.summary = summary
        self.expected = expected
        self.got = got
        self.where = where
        self.diff = diff
        self.slip = slip
        self.details = details

    def render(self) -> str:
        lines = [self.summary]
        for label, value in (("Expected", self.expected), ("Got", self.got), ("Where", self.where),
                             ("By how much", self.diff), ("Likely slip", self.slip)):
            if value:
                lines.append(f"{label}: {value}")
        if self.details:
            lines.append(self.details)
        return "\n".join(lines)


@dataclass
class TestResult:
    """The outcome of one check, as every report format needs it."""

    name: str
    score: float
    max_score: float
    status: str  # "passed" | "failed"
    output: str
    kind: str
    visibility: str
    number: str = ""
    time_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class Report:
    """A whole grade."""

    assignment: str
    submission: str
    tests: list[TestResult]
    execution_time: float
    output: str = ""
    load_messages: list[str] = field(default_factory=list)
    hidden_not_run: int = 0

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)


CheckGenerator = Callable[..., Iterator[Check]]
