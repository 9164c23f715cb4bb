"""The checks of `theory`: one `ANSWERS[<question id>]` check per question.

Each check asks the sandbox task `task_answers` (tasks.py) for its own question's answer,
sent back as plain data (SymPy objects as `srepr` text), and judges it with
`answer_key.check_answer` in the grader's process, where answer text is only ever read by
the restricted parser of `graders.symbolic.parse` (never `eval`, `sympify` or
`parse_expr`). One task call per check costs about 3 ms (measured: 38 calls add about
0.05 s to a grade of about 1.3 s, most of which is starting the sandbox and importing
SymPy), so the result is not cached across checks: each check stays independent, and an
answer that cannot be converted, or hangs, fails only its own question.
"""

from __future__ import annotations

import difflib
from functools import partial

from graders.assignments.theory import answer_key
from graders.engine.checks import Check, CheckFailed, Kind, Visibility
from graders.sandbox.wire import Handle

CONTRACT = ("ANSWERS",)
# The questions (id -> text, section, what the answer is) and the hidden ones' ids live in
# the answer key, so that a student pack, which replaces the key by a sealed one of the
# visible questions, carries this module as it is.
QUESTIONS = answer_key.QUESTIONS
# Two points for an answer that is a formula (the general formulas, the sigmoid's
# derivative, the vanishing-gradient bound), one for a number, a shape or a word.
FORMULA_POINTS = 2.0
# Hidden until the grades are released: answer_key.HIDDEN.
# Feedback, of visible and hidden checks alike, never prints the expected value, its
# tolerance, "off by N" or the expected value at a point unless the grade's options say
# {"reveal_answers": True} (`--reveal-answers`: an instructor's run): a visible check that
# printed the answer would hand it to every student who runs the self-check. The named
# slip and, for formulas, a point where the answer is wrong are always given. The checks
# raise every field; the runner withholds the answer's (graders.engine.feedback).
HIDDEN = answer_key.HIDDEN


def submitted_answer(ctx, qid: str) -> dict:
    """The reply of `task_answers` for one question (see tasks.py for its fields)."""
    reply = ctx.task("answers", question_ids=[qid])
    if not isinstance(reply, dict):  # the task always returns a dict; a defence
        raise CheckFailed("the sandbox returned something that is not the task's reply.")
    return reply


def _did_you_mean(qid: str, keys) -> str | None:
    close = difflib.get_close_matches(qid, [str(k) for k in keys if k not in QUESTIONS], n=1, cutoff=0.75)
    return f"ANSWERS has the key {close[0]!r}: a misspelt question id?" if close else None


def check_question(ctx, qid: str):
    """One answer: present, readable, and right (answer_key.check_answer)."""
    reply = submitted_answer(ctx, qid)
    if "error" in reply:
        raise CheckFailed(str(reply["error"]))
    answers, problems = reply.get("answers") or {}, reply.get("problems") or {}
    if qid in problems:
        raise CheckFailed(f"ANSWERS[{qid!r}]: {problems[qid]}.")
    if qid not in answers:
        raise CheckFailed(f"ANSWERS has no entry for {qid}.", slip=_did_you_mean(qid, reply.get("keys") or ()),
                          details=f"The question asks for {QUESTIONS[qid]['answer']}.")
    value = answers[qid]
    if value is None:
        raise CheckFailed(f"Not answered yet: ANSWERS[{qid!r}] is None.",
                          details=f"The question asks for {QUESTIONS[qid]['answer']}.")
    if _has_handle(value):
        raise CheckFailed(f"ANSWERS[{qid!r}] is an object that can't be graded ({_handle_type(value)}); "
                          "give a number, a tuple or list, a string or a SymPy expression.")
    verdict = answer_key.check_answer(qid, value)
    if not verdict.passed:  # the answer is in `expected` and `diff`: the runner withholds them
        raise CheckFailed(**verdict.fields) if verdict.fields else CheckFailed(verdict.message)
    return verdict.message


def _has_handle(value) -> bool:
    if isinstance(value, Handle):
        return True
    return isinstance(value, (list, tuple)) and any(_has_handle(v) for v in value)


def _handle_type(value) -> str:
    if isinstance(value, Handle):
        return value.type
    return next(_handle_type(v) for v in value if _has_handle(v))


def points(qid: str) -> float:
    return FORMULA_POINTS if answer_key.KEY[qid].kind == "expr" else 1.0


def yield_checks(options: dict):
    """One check per question, in the order of the template."""
    for qid in answer_key.QUESTION_IDS:
        hidden = qid in HIDDEN
        section = QUESTIONS[qid]["section"]
        yield Check(f"ANSWERS[{qid}]: {section[0].lower()}{section[1:]}",
                    partial(check_question, qid=qid), points=points(qid),
                    kind=Kind.SYMBOLIC, visibility=Visibility.HIDDEN if hidden else Visibility.VISIBLE,
                    needs=CONTRACT, timeout_s=30.0,
                    description=QUESTIONS[qid]["text"].split("\n")[0][:200])
