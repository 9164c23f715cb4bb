"""A tiny course assignment of answers (Kind.SYMBOLIC checks), written into a test's folder:
its key in `answer_key.py` (a whole number with a named slip, a formula, a hidden question),
for the student-pack tests of a course's own answer assignment."""

from __future__ import annotations

import importlib
from pathlib import Path

REFERENCE = '''def answers():
    """The answers, as the contract's function returns them."""
    return {"count": 4321, "formula": "2*x*sin(x) + x**2*cos(x)", "secret_question": 9876}
'''

ANSWER_KEY = '''import sympy

from graders.symbolic import Slip, Spec, check

from . import reference as ref  # noqa: F401 - the reference module of the assignment

x = sympy.Symbol("x", real=True)
KEY = {
    "count": Spec(expected=4321, kind="int", slips=(Slip("one was left out", value=4320),)),
    "formula": Spec(expected=sympy.diff(x**2 * sympy.sin(x), x), kind="expr", symbols={"x": x},
                    slips=(Slip("the product rule's second term is missing", value=2 * x * sympy.sin(x)),)),
    "secret_question": Spec(expected=9876, kind="int"),
}
QUESTION_IDS = tuple(KEY)
QUESTIONS = {"count": {"text": "How many?"}, "formula": {"text": "d/dx x^2 sin x"},
             "secret_question": {"text": "The hidden one"}}
HIDDEN = ("secret_question",)


def check_answer(question_id, answer, *, reveal=True):
    return check(KEY[question_id], answer, question_id, reveal=reveal)
'''

CHECKS = '''from functools import partial

from graders.engine.checks import Check, CheckFailed, Kind, Visibility

from . import answer_key

CONTRACT = ("answers",)


def check_question(ctx, qid):
    value = dict(ctx.call("answers")).get(qid)
    verdict = answer_key.check_answer(qid, value)
    if not verdict.passed:
        raise CheckFailed(**verdict.fields) if verdict.fields else CheckFailed(verdict.message)
    return verdict.message


def yield_checks(options):
    for qid in answer_key.QUESTION_IDS:
        hidden = qid in answer_key.HIDDEN
        yield Check(f"answers: {qid}", partial(check_question, qid=qid), kind=Kind.SYMBOLIC,
                    visibility=Visibility.HIDDEN if hidden else Visibility.VISIBLE)
'''

INIT = '''from pathlib import Path

from graders.engine.assignment import Assignment

from .checks import CONTRACT, yield_checks

ASSIGNMENT = Assignment(id="hw_answers", title="A tiny answer assignment", contract=CONTRACT, checks=yield_checks,
                        reference=Path(__file__).with_name("reference.py"))
'''


def write_tiny_answers(root: Path, package: str):
    """Write the package `package` under `root` and return its ASSIGNMENT, imported (the caller
    has put `root` on sys.path)."""
    folder = root / package / "hw_answers"
    folder.mkdir(parents=True)
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    for name, text in (("__init__.py", INIT), ("reference.py", REFERENCE), ("answer_key.py", ANSWER_KEY),
                       ("checks.py", CHECKS)):
        (folder / name).write_text(text, encoding="utf-8")
    return importlib.import_module(f"{package}.hw_answers").ASSIGNMENT
