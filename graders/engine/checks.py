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
from dataclasses import dataclass, field, replace
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
        Left out (None), it is the function named before the colon when that is a contract
        name, else nothing: `Assignment.all_checks` resolves it with `with_contract`. A check
        that calls more or other names states them all.
    timeout_s: wall time for all of the check's calls into the sandbox.
    threshold: for a trained check, the calibrated declaration it is graded against (its CPU
        budget and the model size the budget assumes go into the feedback of a timeout).
    """

    name: str
    run: Callable
    points: float = 1.0
    kind: Kind = Kind.VALUE
    visibility: Visibility = Visibility.VISIBLE
    needs: tuple[str, ...] | None = None
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

    def with_contract(self, contract) -> Check:
        """This check with its `needs` resolved against the assignment's contract names: the
        named function when it is one of them and the check states no needs of its own."""
        if self.needs is not None:
            return self
        return replace(self, needs=(self.function,) if self.function in contract else ())


@dataclass(frozen=True)
class Picture:
    """A picture for a check's feedback, as data: the report layer draws it (only a report that
    shows pictures does: the HTML report, Gradescope's and PrairieLearn's HTML output), so a
    failure costs no drawing in a text or JSON report. See graders.reports.drawing.

    kind: how to draw `data` (the keyword arguments of the drawing function of that name):
        "gradient_error"      yours, numeric (per-entry values), indices, shape (the entries checked)
        "image_grid"          rows (batches of images), labels, lo, hi
        "line_plot"           series ({name: values}), title, xlabel, ylabel, log_y
        "scatter"             points (N, 2), labels
        "confusion_matrices"  matrices ({name: (K, K) counts}), labels
        "loss_curves"         series ({name: values per epoch}), xlabel, ylabel
        "png"                 png (bytes drawn by the check itself: `ctx.attach(title, png)`)
    title: the caption (`ctx.attach(title, picture)` sets it).
    """

    kind: str
    title: str = ""
    data: dict = field(default_factory=dict)


FAILURE_FIELDS = ("summary", "expected", "got", "where", "diff", "slip", "details")


class CheckFailed(Exception):
    """A failed check, with the feedback a student can act on.

    summary: one sentence, e.g. "relu_backward(dout, z) is wrong for negative z".
    expected / got: short renderings of the expected and returned values.
    where: an index, a key, an input ("at index (1, 2)", "for the input shown below").
    diff: by how much ("greatest absolute difference 0.5, allowed 1e-07").
    slip: the likely mistake ("a factor of 2: ...").
    details: anything else (a counterexample, a table).
    pictures: `Picture`s of what went wrong (e.g. a gradient-error heatmap's per-entry errors).
    """

    def __init__(self, summary: str, *, expected: str | None = None, got: str | None = None,
                 where: str | None = None, diff: str | None = None, slip: str | None = None,
                 details: str | None = None, pictures: tuple | list = ()):
        super().__init__(summary)
        self.summary = summary
        self.expected = expected
        self.got = got
        self.where = where
        self.diff = diff
        self.slip = slip
        self.details = details
        self.pictures = list(pictures)

    def fields(self) -> dict:
        """{summary, expected, got, where, diff, slip, details}: what a report shows."""
        return {name: getattr(self, name) for name in FAILURE_FIELDS}

    def render(self) -> str:
        return render_failure(self.fields())


FIELD_LABELS = (("expected", "Expected"), ("got", "Got"), ("where", "Where"), ("diff", "By how much"),
                ("slip", "Likely slip"))


def render_failure(fields: dict) -> str:
    """A failure's fields as the text every report has shown: the summary, one labelled line
    per field given, then the details."""
    lines = [fields.get("summary") or ""]
    lines += [f"{label}: {fields[name]}" for name, label in FIELD_LABELS if fields.get(name)]
    if fields.get("details"):
        lines.append(fields["details"])
    return "\n".join(lines)


@dataclass
class TestResult:
    """The outcome of one check, as every report format needs it.

    output: the feedback as text (Gradescope's `output`); for a failure, also its fields
    (summary, expected, got, where, diff, slip, details: None where the check gave none),
    after answer hiding (graders.engine.feedback). pictures: `Picture`s, drawn by a report.
    extra["pictures"] may hold pictures already drawn ({"title", "png"}: PNG bytes or
    base64 text, e.g. a report read back from JSON).
    """

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
    summary: str | None = None
    expected: str | None = None
    got: str | None = None
    where: str | None = None
    diff: str | None = None
    slip: str | None = None
    details: str | None = None
    pictures: list[Picture] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def failure_fields(self) -> dict | None:
        """{summary, expected, ...} of a failure that has them; None otherwise."""
        if self.summary is None:
            return None
        return {name: getattr(self, name) for name in FAILURE_FIELDS}


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
