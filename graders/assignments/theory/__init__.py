"""Grader of the `theory` assignment: answers checked symbolically and numerically.

A submission defines `ANSWERS: dict[str, object]` (question id -> a number, a tuple or
list, a SymPy expression, or a string; see `reference/theory.py` for the questions). The
sandbox sends each value as plain data (`tasks.task_answers`, with a copy of
`graders.symbolic.to_plain`: SymPy objects as `srepr` text), and the grader process checks
it with `graders.assignments.theory.answer_key.check_answer(question_id, answer)`, which
never evaluates the student's text (a restricted `ast` parser builds the SymPy
expression). One check per question: `checks.py`; the questions and rules:
docs/assignments/theory.md.
"""

from pathlib import Path

from graders.assignments.theory.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="theory",
    title="Theory: shapes, parameter counts, gradients and an LSTM by hand (answers checked with SymPy)",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "theory.py",
    # No preload beyond NumPy: a submission that builds SymPy objects imports SymPy itself,
    # and the task only converts SymPy objects when SymPy is loaded.
    preload=("numpy",),
    tasks=(Path(__file__).with_name("tasks.py"),),
    limits=Limits(cpu_s=120, memory_mb=4096, startup_s=60),
)
