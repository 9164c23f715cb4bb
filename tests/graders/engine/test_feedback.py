"""Answer hiding, in one place for every kind of check: a symbolic check's answer fields
(`expected`, `diff`) are withheld unless the grade reveals answers; every other kind of
check shows every field. End to end through the runner with a tiny assignment."""

from __future__ import annotations

import pytest

from graders.engine.assignment import Assignment
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.feedback import ANSWER_FIELDS, fields_of_message, shown_fields
from graders.engine.runner import grade
from graders.sandbox.limits import Limits

FAILURE = dict(summary="f: wrong.", expected="2049 (exact)", got="1", where="at index 0", diff="off by -2048",
               slip="a missing bias", details="Inputs: x = 1")


def _fail(ctx):
    raise CheckFailed(**FAILURE)


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("reveal", [False, True])
def test_only_a_symbolic_checks_answer_fields_are_withheld_and_only_without_reveal(kind, reveal):
    shown = shown_fields(CheckFailed(**FAILURE), kind, {"reveal_answers": True} if reveal else {})
    withheld = {name for name, value in shown.items() if value is None}
    assert withheld == (set() if reveal or kind is not Kind.SYMBOLIC else {"expected", "diff"})
    assert all(shown[name] == FAILURE[name] for name in FAILURE if name not in withheld)


def test_the_policy_names_the_fields_that_carry_an_answer():
    assert ANSWER_FIELDS == {Kind.SYMBOLIC: ("expected", "diff")}


def test_a_message_without_fields_becomes_a_summary_and_details():
    assert fields_of_message("Your code raised an exception:\nValueError: x")["details"] == "ValueError: x"
    assert fields_of_message("stopped")["summary"] == "stopped"


def test_the_runner_applies_the_policy_to_the_result_fields_and_text_of_every_kind(tmp_path):
    ref = tmp_path / "reference.py"
    ref.write_text("def f(x):\n    return x\n", encoding="utf-8")
    checks = [Check(f"f: {kind.value}", _fail, kind=kind) for kind in Kind]
    a = Assignment(id="tiny", title="t", contract=("f",), checks=lambda o: iter(checks), reference=ref,
                   limits=Limits(cpu_s=60, memory_mb=2048, startup_s=20))
    for reveal in (False, True):
        report = grade(str(ref), a, options={"reveal_answers": True} if reveal else {})
        for t in report.tests:
            hidden = t.kind == "symbolic" and not reveal
            assert (t.expected, t.diff) == ((None, None) if hidden else (FAILURE["expected"], FAILURE["diff"]))
            assert ("2049" in t.output) is not hidden and ("off by" in t.output) is not hidden
            assert (t.summary, t.got, t.where, t.slip, t.details) == tuple(
                FAILURE[n] for n in ("summary", "got", "where", "slip", "details"))
