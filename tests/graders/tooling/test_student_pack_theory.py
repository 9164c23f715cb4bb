"""The student pack of an answer assignment (`theory`): a sealed key of the visible questions,
no answer and no hidden question in it, and the full grader's verdicts on the known slips.

The fast tests build one pack (without recording the slips: an answer assignment's checks ask
the reference nothing) and grade the reference and a few slips with it; the slow one grades
every slip (graders/assignments/theory/slips.py: MUTANTS and UNUSUAL) both ways.
"""

from __future__ import annotations

import json
import shutil
import uuid

import pytest

from graders import assignments
from graders.assignments.theory import answer_key
from graders.tooling.student_pack.answers import SEALED_FILE, answer_markers
from graders.tooling.student_pack.build import build_student_pack
from graders.engine.runner import grade
from graders.tooling.student_pack.leaks import scan
from graders.tooling.student_pack.loading import load_pack
from tests.graders.tooling.test_student_pack_verdicts import compare_on_slips
from tests.graders.tooling.tiny_answers import write_tiny_answers

FAST_SLIPS = ("conv_count_without_biases", "same_shape_computed_as_valid", "sigmoid_derivative_wrong_sign",
              "sigmoid_derivative_cosh_form_simplify_cannot_prove", "lstm_truncated_to_4_decimals")


@pytest.fixture(scope="module")
def theory_pack(tmp_path_factory):
    return build_student_pack(assignments.get("theory"), tmp_path_factory.mktemp("theory") / "pack")


def pack_files(summary) -> dict[str, str]:
    return {p.relative_to(summary.folder).as_posix(): p.read_text(encoding="utf-8", errors="ignore")
            for p in summary.folder.rglob("*") if p.is_file()}


def test_the_theory_pack_runs_every_visible_question_and_no_hidden_one(theory_pack):
    visible = [qid for qid in answer_key.QUESTION_IDS if qid not in answer_key.HIDDEN]
    assert len(theory_pack.visible) == len(visible) and theory_pack.hidden == len(answer_key.HIDDEN)
    sealed = json.loads((theory_pack.folder / theory_pack.package / "assignment" / SEALED_FILE).read_text())
    assert sorted(sealed["key"]) == sorted(visible) and sorted(sealed["questions"]) == sorted(visible)


def test_the_pack_holds_no_hidden_question_outside_the_notebook_and_no_answer_in_plain_text(theory_pack):
    markers = answer_markers(answer_key.KEY)
    for relative, text in pack_files(theory_pack).items():
        if relative.endswith(".ipynb"):
            continue  # the template asks every question; it is what the student gets anyway
        assert not any(qid in text for qid in answer_key.HIDDEN), relative
    assert scan(theory_pack.folder, "", (), "", markers) == []


@pytest.mark.parametrize("planted", ["CONV = 1216\n", "SHAPE = (128,128, 16)\n",
                                     "F = '" + "Mul(Pow(Add(Integer(1), exp(Mul(Integer(-1), Symbol('z', real=True)))), "
                                     "Integer(-2)), exp(Mul(Integer(-1), Symbol('z', real=True))))'\n"])
def test_the_leak_scan_finds_an_answer_planted_in_a_pack(theory_pack, tmp_path, planted):
    copy = tmp_path / "pack"
    shutil.copytree(theory_pack.folder, copy)
    (copy / theory_pack.package / "assignment" / "notes.py").write_text(planted, encoding="utf-8")
    leaks = scan(copy, "", (), "", answer_markers(answer_key.KEY))
    assert [leak.file for leak in leaks] == [f"{theory_pack.package}/assignment/notes.py"]


def test_the_pack_gives_the_full_graders_verdicts_on_a_few_slips(theory_pack, tmp_path):
    assert compare_on_slips("theory", theory_pack.folder, tmp_path, FAST_SLIPS) == []


@pytest.mark.slow
def test_the_pack_gives_the_full_graders_verdicts_on_every_slip(theory_pack, tmp_path):
    assert compare_on_slips("theory", theory_pack.folder, tmp_path) == []


def test_a_courses_own_answer_assignment_packs_with_a_sealed_key(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    assignment = write_tiny_answers(tmp_path / "src", f"tiny_{uuid.uuid4().hex[:12]}")
    summary = build_student_pack(assignment, tmp_path / "pack")
    assert summary.visible == ["answers: count", "answers: formula"] and summary.hidden == 1
    texts = "\n".join(pack_files(summary).values())
    assert "secret_question" not in texts and "4321" not in texts and "product rule" not in texts
    pack = load_pack(summary.folder).load_assignment()
    for answers, expected in (({"count": 4320, "formula": "2*x*sin(x)"}, [0.0, 0.0]),
                              ({"count": "4,321", "formula": "x*(2*sin(x) + x*cos(x))"}, [1.0, 1.0])):
        path = tmp_path / "submission.py"
        path.write_text(f"def answers():\n    return {answers!r}\n", encoding="utf-8")
        full = grade(str(path), assignment, include_hidden=False)
        mine = grade(str(path), pack, include_hidden=False)
        assert [(t.name, t.status, t.score) for t in mine.tests] == [(t.name, t.status, t.score) for t in full.tests]
        assert [t.score for t in mine.tests] == expected
        if expected == [0.0, 0.0]:  # each named slip's feedback, read from the sealed key
            assert ["one was left out" in mine.tests[0].output, "product rule" in mine.tests[1].output] == [True, True]
