"""A sealed answer key (graders.symbolic.sealed) gives the full key's visible verdicts and holds
no answer: checked on every known slip of `theory` (its slips.py: MUTANTS and UNUSUAL), on
the reference, and on the plain text of the sealed entries."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from graders.assignments.theory import answer_key, slips
from graders.symbolic import AnswerError, normalize, to_plain
from graders.symbolic.sealed import CELLS_PER_TOLERANCE, SLIP_CELLS_PER_TOLERANCE, check_sealed, new_salt, seal
from graders.tooling.student_pack.answers import answer_markers
from graders.tooling.student_pack.leaks import answer_pattern

VISIBLE = [qid for qid in answer_key.QUESTION_IDS if qid not in answer_key.HIDDEN]


@pytest.fixture(scope="module")
def sealed():
    salt = new_salt()  # one PBKDF2 round: the same verdicts, without the cost
    return {qid: seal(answer_key.KEY[qid], qid, salt, iterations=1) for qid in VISIBLE}


def answers_of(source: str) -> dict:
    namespace: dict = {"__name__": "submission"}
    exec(compile(source, "submission.py", "exec"), namespace)  # trusted: the reference and its known slips
    return {qid: to_plain(value) for qid, value in namespace["ANSWERS"].items()}


def submissions():
    source = Path(answer_key.ref.__file__).read_text(encoding="utf-8")  # whatever loader imported it
    yield "reference", source
    for mutant in [*slips.MUTANTS, *slips.UNUSUAL]:
        yield mutant.name, mutant.apply(source)


def exact(x) -> Fraction:
    """A parsed number (sympy Rational or Float) as a Fraction."""
    return Fraction(int(x.p), int(x.q)) if x.is_Rational else Fraction(str(x))


def withheld(fields):
    return None if fields is None else {**fields, "expected": None, "diff": None}


def test_a_sealed_key_gives_the_full_keys_visible_verdict_on_every_known_slip(sealed):
    differ = []
    for name, source in submissions():
        for qid, value in answers_of(source).items():
            if qid not in sealed:
                continue
            full = answer_key.check_answer(qid, value, reveal=False)
            mine = check_sealed(sealed[qid], value, qid)
            if (mine.passed, mine.slip) != (full.passed, full.slip) or (
                    full.fields and full.slip and withheld(full.fields) != mine.fields):
                differ.append(f"{name} | {qid}: {full.fields or full.passed} vs {mine.fields or mine.passed}")
    assert differ == []


def test_the_reference_passes_every_sealed_question(sealed):
    answers = answers_of(dict(submissions())["reference"])
    assert [qid for qid in VISIBLE if not check_sealed(sealed[qid], answers[qid], qid).passed] == []


def test_a_formula_is_wrong_at_the_full_graders_point_and_its_expected_value_there_is_not_shown(sealed):
    full = answer_key.check_answer("sigmoid_derivative", "exp(-z)/(1 + exp(-z))", reveal=False)
    mine = check_sealed(sealed["sigmoid_derivative"], "exp(-z)/(1 + exp(-z))", "sigmoid_derivative")
    assert not mine.passed and mine.fields["where"] == full.fields["where"]
    assert "expected" not in mine.message and mine.fields["expected"] is None and mine.fields["diff"] is None


def test_equivalent_forms_of_a_formula_pass_and_an_unreadable_answer_gets_the_full_graders_message(sealed):
    for text in ("exp(-z)/(1 + exp(-z))**2", "1/(4*cosh(z/2)**2)", "exp(z)/(exp(z) + 1)**2"):
        assert check_sealed(sealed["sigmoid_derivative"], text, "sigmoid_derivative").passed, text
    assert check_sealed(sealed["conv_same_params"], "12,16", "conv_same_params").passed is False
    for odd in ("exp(", None, "x + 1", (1, 2)):
        full = answer_key.check_answer("sigmoid_derivative", odd, reveal=False)
        mine = check_sealed(sealed["sigmoid_derivative"], odd, "sigmoid_derivative")
        assert (mine.passed, mine.message) == (full.passed, full.message)


def test_a_sealed_entry_holds_no_expected_value_in_plain_text(sealed):
    text = json.dumps(sealed)
    markers = answer_markers({qid: answer_key.KEY[qid] for qid in VISIBLE})
    assert len(markers) > 20
    assert [m for m in markers if answer_pattern(m).search(text)] == []
    assert "shrinks" not in text and "biases" not in text  # the slips' feedback is sealed too


def test_no_known_answer_sits_in_the_band_at_the_tolerances_edge():
    """Within step / 2 of the tolerance's edge the sealed verdict may differ from the full one;
    no slip value of the key and no answer of a known slip lies there."""
    near = []
    values = [(qid, s.value, f"slip {s.name or s.feedback[:30]}") for qid in VISIBLE
              for s in answer_key.KEY[qid].slips if answer_key.KEY[qid].kind == "number"]
    values += [(qid, v, name) for name, source in submissions() for qid, v in answers_of(source).items()
               if qid in VISIBLE and answer_key.KEY[qid].kind == "number"]
    for qid, value, what in values:
        spec = answer_key.KEY[qid]
        try:
            got = normalize(value, spec)
        except AnswerError:
            continue
        pairs = zip(got, spec.expected) if isinstance(spec.expected, tuple) else [(got, spec.expected)]
        for g, want in pairs:
            tol = Fraction(spec.atol) + Fraction(spec.rtol) * abs(Fraction(want))
            off = abs(exact(g) - Fraction(want))
            for edge, step in ((tol, tol / CELLS_PER_TOLERANCE), (2 * tol, tol / SLIP_CELLS_PER_TOLERANCE)):
                if abs(off - edge) <= step / 2:  # in the verdict's band, or the slip match's
                    near.append(f"{what} | {qid}: off by {float(off):.8g}")
    assert near == []
