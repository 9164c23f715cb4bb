"""A failure's feedback as a student sees it: answer hiding, in one place for every kind of check.

A check raises `CheckFailed` with everything it knows (the expected value included); what a
report may show is decided here, by the kind of check and the grade's options, never by the
check itself. The policy (docs/courses.md, "What `--reveal-answers` changes"):

    kind       without {"reveal_answers": True}           with it
    symbolic   `expected` and `diff` withheld: they are    every field
               the answer ("expected 2049 (exactly)",
               "off by 1", "expected = 0.24 there")
    others     every field: expected values on the         every field
               grader's own random inputs are outputs,
               not answers a student could copy

A symbolic check therefore puts the answer in `expected` and `diff` only: its `summary`,
`got`, `where` (a point where a formula is wrong, with the student's value there), `slip`
and `details` are always shown.
"""

from __future__ import annotations

from types import MappingProxyType

from graders.engine.checks import CheckFailed, Kind

ANSWER_FIELDS: MappingProxyType[Kind, tuple[str, ...]] = MappingProxyType({Kind.SYMBOLIC: ("expected", "diff")})


def reveals_answers(options: dict) -> bool:
    """Whether the grade shows answers (`--reveal-answers`: an instructor's run)."""
    return bool((options or {}).get("reveal_answers"))


def shown_fields(failure: CheckFailed, kind: Kind, options: dict) -> dict:
    """The failure's fields a report may show for a check of this kind under these options."""
    fields = failure.fields()
    if not reveals_answers(options):
        for name in ANSWER_FIELDS.get(kind, ()):
            fields[name] = None
    return fields


def fields_of_message(text: str) -> dict:
    """The fields of a failure that is not a `CheckFailed` (an exception in the student's code,
    a timeout, a crash): its first line is the summary, the rest the details."""
    summary, _, rest = text.partition("\n")
    return {"summary": summary, "expected": None, "got": None, "where": None, "diff": None,
            "slip": None, "details": rest or None}
