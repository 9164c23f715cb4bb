"""The `theory` grader end to end: its checks, its sandbox task, its safety and its template.

The buggy and unusual submissions of graders/assignments/theory/slips.py are graded by
tests/graders/test_mutants.py; here: the task's copy of `to_plain`, the task's replies,
answers written differently, hostile answer text (never evaluated), a submission whose
ANSWERS is missing, misspelt or odd, the template notebook, and hidden checks.
"""

from __future__ import annotations

import fractions
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
import sympy
import torch

from graders import assignments
from graders.assignments.theory import answer_key, tasks
from graders.assignments.theory.checks import HIDDEN, QUESTIONS
from graders.engine.checks import Kind, Visibility
from graders.engine.runner import grade
from graders.symbolic import to_plain
from reference import theory as ref
from student_templates.build import build_notebook

REPO = Path(__file__).resolve().parents[3]
THEORY = assignments.get("theory")
REFERENCE_SOURCE = THEORY.reference.read_text(encoding="utf-8")
TEMPLATE = REPO / "student_templates" / "theory.ipynb"


def _write(tmp_path: Path, source: str, name: str = "submission.py") -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return str(path)


def _results(report) -> dict:
    return {t.name.split("]")[0] + "]": t for t in report.tests}


def _only(*qids):
    return lambda name: any(name.startswith(f"ANSWERS[{q}]") for q in qids)


# -- the checks -----------------------------------------------------------------------------------


def test_one_symbolic_check_per_question_named_after_answers():
    checks = THEORY.all_checks()
    assert [c.name.split("]")[0] for c in checks] == [f"ANSWERS[{q}" for q in answer_key.QUESTION_IDS]
    assert list(QUESTIONS) == list(answer_key.QUESTION_IDS)
    assert all(c.name.startswith("ANSWERS") and c.kind is Kind.SYMBOLIC and c.needs == ("ANSWERS",)
               for c in checks)


def test_formulas_get_two_points_and_the_rest_one():
    for c in THEORY.all_checks():
        qid = c.name[len("ANSWERS["):c.name.index("]")]
        assert c.points == (2.0 if answer_key.KEY[qid].kind == "expr" else 1.0), c.name


def test_lstm_and_formula_checks_are_visible_and_a_few_are_hidden():
    visibility = {c.name[len("ANSWERS["):c.name.index("]")]: c.visibility for c in THEORY.all_checks()}
    assert {q for q, v in visibility.items() if v is Visibility.HIDDEN} == set(HIDDEN)
    assert 1 <= len(HIDDEN) <= 2
    for qid, spec in answer_key.KEY.items():
        if qid.startswith("lstm_") or spec.kind == "expr":
            assert visibility[qid] is Visibility.VISIBLE, qid


# -- the sandbox task -----------------------------------------------------------------------------

x = sympy.Symbol("x")
PLAIN_CASES = [
    None, True, 0, -3, 2.5, float("inf"), "exp(-z)", fractions.Fraction(1, 4),
    sympy.Rational(1, 4), sympy.Integer(55018), sympy.Float(0.25), sympy.exp(-x) / (1 + sympy.exp(-x)) ** 2,
    sympy.Abs(sympy.Symbol("theta", real=True)) ** sympy.Symbol("k", positive=True) / 4,
    sympy.Matrix([0.0, 0.6854]), sympy.Tuple(1, 2, 3),
    np.float64(0.5), np.int64(7), np.array([1.0, 2.0]), np.array([[1, 2], [3, 4]]),
    torch.tensor([0.5, 1.5], dtype=torch.float64), torch.Size([128, 128, 16]),
    (128, 128, 16), [1, (2, sympy.Rational(1, 2))], {"a": 1, 2: [x]}, object.__new__(object),
]


@pytest.mark.parametrize("value", PLAIN_CASES, ids=lambda v: type(v).__name__)
def test_the_task_copy_of_to_plain_agrees_with_graders_symbolic(value):
    assert repr(tasks.to_plain(value)) == repr(to_plain(value))


def test_the_task_copy_of_to_plain_is_the_same_code():
    import inspect

    from graders.symbolic import plain

    assert inspect.getsource(tasks.to_plain) == inspect.getsource(plain.to_plain)


def _sub(**names):
    return types.SimpleNamespace(**names)


def test_task_reports_a_missing_or_non_dict_answers():
    assert "not defined" in tasks.task_answers(_sub())["error"]
    assert "must be a dict" in tasks.task_answers(_sub(ANSWERS=[1, 2]))["error"]
    assert "list" in tasks.task_answers(_sub(ANSWERS=[1, 2]))["error"]


def test_task_converts_answers_and_reports_odd_ones_on_their_own_question():
    sub = _sub(ANSWERS={"a": sympy.Rational(1, 4), "b": (128, 128, 16), "c": print, "d": {"x": 1},
                        "e": list(range(1000)), 7: 1.5})
    reply = tasks.task_answers(sub)
    assert reply["answers"]["a"] == "Rational(1, 4)" and reply["answers"]["b"] == (128, 128, 16)
    assert reply["answers"]["7"] == 1.5 and reply["keys"] == ["a", "b", "c", "d", "e", "7"]
    assert "a builtin_function_or_method object, which can't be graded" in reply["problems"]["c"]
    assert "a dict object" in reply["problems"]["d"] and "1000 items" in reply["problems"]["e"]
    assert tasks.task_answers(_sub(ANSWERS={"a": np.float64(0.25)}))["answers"] == {"a": 0.25}
    only = tasks.task_answers(sub, question_ids=["b"])
    assert list(only["answers"]) == ["b"] and not only["problems"]


def test_task_file_imports_nothing_of_the_project():
    source = Path(tasks.__file__).read_text(encoding="utf-8")
    assert not any(word in source for word in ("import graders", "from graders", "import reference",
                                               "from reference", "import dlgrade", "from dlgrade", "from ."))


# -- grading --------------------------------------------------------------------------------------

DIFFERENT_FORMS = '''
# the student's own symbols, without the template's assumptions, and text answers
k, C_in, C_out, H, W, P, S, h, z, theta = sympy.symbols("k C_in C_out H W P S h z theta")
sig = 1 / (1 + sympy.exp(-z))
ANSWERS.update({
    "conv_params_formula": C_out + C_in * C_out * k * k,
    "conv_out_shape_formula": [(H - k + 2 * P + S) / S, "(W - k + 2*P)/S + 1", C_out],
    "conv_same_padding_formula": "k/2 - 1/2",
    "dense_ae_params_formula": sympy.expand((h + 1) * 784 + 785 * h),
    "sigmoid_derivative": sympy.diff(sig, z),
    "vanishing_bound": sympy.exp(k * sympy.log(sympy.Abs(theta) / 4)),
    "sigmoid_derivative_max": fractions.Fraction(1, 4),
    "vanishing_theta_threshold": np.float64(4.0),
    "conv_network_params": "55_018",
    "lstm_y1": np.array([[1.94050], [0.17851], [0.0], [1.0]]),
})
'''
FORMULA_IDS = ("conv_params_formula", "conv_out_shape_formula", "conv_same_padding_formula",
               "dense_ae_params_formula", "sigmoid_derivative", "vanishing_bound", "sigmoid_derivative_max",
               "vanishing_theta_threshold", "conv_network_params", "lstm_y1")


def test_answers_written_differently_pass(tmp_path):
    source = REFERENCE_SOURCE + "\nimport fractions\nimport numpy as np\n" + DIFFERENT_FORMS
    report = grade(_write(tmp_path, source), THEORY, select=_only(*FORMULA_IDS))
    assert len(report.tests) == len(FORMULA_IDS)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed, failed


HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "exec(\"open('{marker}', 'w').close()\")",
    "(lambda: open('{marker}', 'w'))()",
    "[c for c in ().__class__.__base__.__subclasses__()] and open('{marker}', 'w')",
    "Symbol('h') + eval(\"open('{marker}', 'w')\")",
]


def test_hostile_answer_text_is_refused_and_never_evaluated(tmp_path):
    marker = tmp_path / "marker"
    answers = {"sigmoid_derivative": HOSTILE[0], "vanishing_bound": HOSTILE[1], "conv_same_padding_formula":
               HOSTILE[2], "conv_params_formula": HOSTILE[3], "dense_ae_params_formula": HOSTILE[4]}
    answers = {q: text.format(marker=marker) for q, text in answers.items()}
    source = REFERENCE_SOURCE + f"\nANSWERS.update({answers!r})\n"
    report = grade(_write(tmp_path, source), THEORY, select=_only(*answers))
    assert len(report.tests) == len(answers) and report.score == 0
    for t in report.tests:
        assert "allowed" in t.output and "internal error" not in t.output, t.output
    # the key alone, in this process: the text is parsed, never run
    for qid, text in answers.items():
        assert not answer_key.check_answer(qid, text).passed
    assert not marker.exists()


ODD = '''
ANSWERS.pop("conv_padding_name")
ANSWERS["conv_padding_nam"] = "same"   # a misspelt id
del ANSWERS["conv_stack_shape"]
ANSWERS["conv_same_shape"] = print     # a function
ANSWERS["conv_valid_shape"] = (124, 124)
ANSWERS["conv_same_params"] = None
ANSWERS["conv_dense_params"] = "forty thousand"
ANSWERS["transfer_head_2048_1"] = 1    # a wrong answer to a hidden question
'''


def test_missing_misspelt_and_odd_answers_get_clear_feedback(tmp_path):
    ids = ("conv_padding_name", "conv_stack_shape", "conv_same_shape", "conv_valid_shape", "conv_same_params",
           "conv_dense_params", "conv_network_params", "transfer_head_2048_1")
    report = grade(_write(tmp_path, REFERENCE_SOURCE + ODD), THEORY, select=_only(*ids))
    out = {name: t.output for name, t in _results(report).items()}
    assert "ANSWERS has no entry for conv_padding_name" in out["ANSWERS[conv_padding_name]"]
    assert "'conv_padding_nam'" in out["ANSWERS[conv_padding_name]"]
    assert "ANSWERS has no entry for conv_stack_shape" in out["ANSWERS[conv_stack_shape]"]
    assert "can't be graded" in out["ANSWERS[conv_same_shape]"]
    assert "expected a tuple of 3 values (height, width, channels), got 2" in out["ANSWERS[conv_valid_shape]"]
    assert "Not answered yet" in out["ANSWERS[conv_same_params]"]
    assert "could not read 'forty thousand'" in out["ANSWERS[conv_dense_params]"]
    assert _results(report)["ANSWERS[conv_network_params]"].passed
    # a hidden check's feedback names the slip but never the expected answer
    assert "transfer_head_2048_1" in HIDDEN and "2049" not in out["ANSWERS[transfer_head_2048_1]"]
    assert "expected" not in out["ANSWERS[transfer_head_2048_1]"]
    assert not any("internal error" in o for o in out.values())


@pytest.mark.parametrize("tail, says", [
    ("\nANSWERS = [1, 2, 3]\n", "ANSWERS must be a dict"),
    ("\ndel ANSWERS\n", "`ANSWERS` is not defined"),
])
def test_answers_not_a_dict_or_missing_fails_every_check_clearly(tmp_path, tail, says):
    report = grade(_write(tmp_path, REFERENCE_SOURCE + tail), THEORY)
    assert report.score == 0 and len(report.tests) == len(answer_key.QUESTION_IDS)
    assert all(says in t.output for t in report.tests), report.tests[0].output


def test_the_template_notebook_grades_to_zero_without_internal_errors():
    report = grade(str(TEMPLATE), THEORY)
    assert report.score == 0 and len(report.tests) == len(answer_key.QUESTION_IDS)
    for t in report.tests:
        assert "Not answered yet" in t.output and "internal error" not in t.output, t.output
    assert not report.load_messages


def test_hidden_checks_are_left_out_of_a_self_check():
    report = grade(str(THEORY.reference), THEORY, include_hidden=False)
    ran = {t.name[len("ANSWERS["):t.name.index("]")] for t in report.tests}
    assert ran == set(answer_key.QUESTION_IDS) - set(HIDDEN)
    assert report.hidden_not_run == len(HIDDEN) and report.score == report.max_score
    assert "simplify" in _results(report)["ANSWERS[sigmoid_derivative]"].output  # how it was proved


# -- the template ---------------------------------------------------------------------------------


def test_the_template_states_every_question_then_asks_for_answers():
    nb = build_notebook("theory", THEORY.reference)
    assert nbformat.writes(nb) + "\n" == TEMPLATE.read_text(encoding="utf-8"), "run python -m student_templates.build"
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for q in ref.QUESTIONS:
        (cell,) = [m for m in markdown if f". `{q['id']}`\n" in m]
        assert q["text"].split("\n")[0] in cell and q["answer"] in cell
        assert all(f"`{s}`" in cell for s in q["symbols"])
    sections = [m.split("\n")[0] for m in markdown if m.startswith("## ") and not m.startswith("## Check")]
    assert sections == list(dict.fromkeys(f"## {q['section']}" for q in ref.QUESTIONS))
    setup, answers = code[0], code[1]
    assert "QUESTIONS" not in setup and "_q" not in setup and "LSTM_EXAMPLE = {" in setup
    assert "ANSWERS.update" in answers and "### BEGIN SOLUTION" not in answers
    namespace: dict = {}
    exec(setup + "\n" + answers, namespace)  # noqa: S102 - the template is our own code
    assert list(namespace["ANSWERS"]) == list(answer_key.QUESTION_IDS)
    assert all(v is None for v in namespace["ANSWERS"].values())
    assert namespace["LSTM_EXAMPLE"] == ref.LSTM_EXAMPLE and namespace["theta"] == ref.theta


WRONG_ANSWERS = '''
ANSWERS["sigmoid_derivative"] = "exp(z)"        # a formula
ANSWERS["sigmoid_derivative_max"] = 0.5         # a number
ANSWERS["transfer_head_2048_1"] = 1             # a hidden question
'''


@pytest.mark.parametrize("reveal", [False, True])
def test_reveal_answers_decides_whether_every_answer_check_prints_the_expected_answer(tmp_path, reveal):
    ids = ("sigmoid_derivative", "sigmoid_derivative_max", "transfer_head_2048_1")
    options = {"reveal_answers": True} if reveal else {}
    report = grade(_write(tmp_path, REFERENCE_SOURCE + WRONG_ANSWERS), THEORY, select=_only(*ids),
                   options=options)
    out = {name: t.output for name, t in _results(report).items()}
    assert len(out) == 3 and not any(t.passed for t in report.tests)
    for qid in ids:
        assert ("Expected: " in out[f"ANSWERS[{qid}]"]) is reveal, out[f"ANSWERS[{qid}]"]
    assert ("2049" in out["ANSWERS[transfer_head_2048_1]"]) is reveal
    assert ("expected = " in out["ANSWERS[sigmoid_derivative]"]) is reveal
    assert "it is wrong at z = " in out["ANSWERS[sigmoid_derivative]"] or reveal
