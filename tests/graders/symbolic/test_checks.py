"""One answer against one key entry: number formats, tuples, expressions, slips, feedback."""

from __future__ import annotations

import fractions

import numpy as np
import pytest
import sympy
import torch

from graders.symbolic import Slip, Spec, Verdict, check, to_plain

z = sympy.Symbol("z", real=True)
COUNT = Spec(expected=55018, kind="int",
             slips=(Slip("the dense layer's 10 biases are missing", value=55008, name="dense_bias"),))
SHAPE = Spec(expected=(128, 128, 16), kind="int", item_names=("height", "width", "channels"),
             slips=(Slip("valid padding", value=(124, 124, 16)),))
QUARTER = Spec(expected=sympy.Rational(1, 4), kind="number", atol=1e-9,
               slips=(Slip("that is sigma(0)", value=sympy.Rational(1, 2)),))
FOUR_DP = Spec(expected=(1.0034716, 1.5933904), kind="number", atol=1e-4, item_names=("unit 1", "unit 2"),
               slips=(Slip("standard sigmoid", value=(1.055151, 1.603843)),))
DERIV = Spec(expected=sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2, kind="expr", symbols={"z": z},
             slips=(Slip("that is the derivative of tanh", value=1 - sympy.tanh(z) ** 2),))
WORD = Spec(expected="same", kind="string", slips=(Slip("valid shrinks the output", value="valid"),))


@pytest.mark.parametrize("answer", [55018, 55018.0, "55018", "55,018", "55 018", "55_018", " 55018 ",
                                    "Integer(55018)", "55018.0", np.int64(55018), np.float64(55018.0),
                                    [55018], torch.tensor(55018), sympy.Integer(55018)])
def test_whole_numbers_in_any_plain_form_pass(answer):
    assert check(COUNT, answer).passed


def test_a_named_slip_is_reported_with_expected_got_and_difference():
    v = check(COUNT, 55008, "conv_network_params")
    assert isinstance(v, Verdict) and not v.passed
    assert v.slip == "dense_bias"
    for word in ("conv_network_params", "55,018", "55,008", "off by -10", "10 biases are missing"):
        assert word in v.message


@pytest.mark.parametrize("answer, words", [
    (55018.5, ["not a whole number"]),
    (None, ["no answer"]),
    (True, ["boolean"]),
    ("z", ["unknown name"]),
    ({"a": 1}, ["can't be graded"]),
    ((1, 2), ["single value"]),
    ("__import__('os')", ["not allowed"]),
])
def test_unreadable_answers_fail_with_a_reason(answer, words):
    v = check(COUNT, answer)
    assert not v.passed and all(w in v.message for w in words)


@pytest.mark.parametrize("answer", [(128, 128, 16), [128, 128, 16], "(128, 128, 16)", "128x128x16",
                                    "128 × 128 × 16", np.array([128, 128, 16]), torch.Size([128, 128, 16]),
                                    (128.0, 128, 16)])
def test_tuples_pass_in_any_plain_form(answer):
    assert check(SHAPE, to_plain(answer)).passed


def test_tuple_feedback_is_per_element_and_names_the_slip():
    v = check(SHAPE, (124, 124, 16))
    assert not v.passed and "height: off by -4" in v.message and "width: off by -4" in v.message
    assert "channels" not in v.message.split("got")[1].split("Likely")[0]
    assert "valid padding" in v.message


def test_wrong_order_and_batch_dimension_are_named():
    assert "wrong order" in check(SHAPE, (16, 128, 128)).message
    assert "batch dimension" in check(SHAPE, (1, 128, 128, 16)).message


@pytest.mark.parametrize("answer", [0.25, "1/4", "0.25", "Rational(1, 4)", sympy.Rational(1, 4),
                                    fractions.Fraction(1, 4), 1 / 4, "Float('0.25', precision=53)",
                                    "exp(0)/(1 + exp(0))**2", np.float64(0.25)])
def test_one_quarter_passes_in_every_spelling(answer):
    assert check(QUARTER, to_plain(answer)).passed


def test_exact_number_question_rejects_an_approximation():
    v = check(QUARTER, 0.2499)
    assert not v.passed and "1/4" in v.message and "close" in v.message


def test_four_decimals_truncated_or_rounded_pass():
    assert check(FOUR_DP, (1.0034, 1.5933)).passed  # truncated
    assert check(FOUR_DP, (1.0035, 1.5934)).passed  # rounded
    v = check(FOUR_DP, (1.0033, 1.5933))
    assert not v.passed and "unit 1" in v.message and "unit 2" not in v.message.split("got")[1]


def test_four_decimals_slip_and_precision_feedback():
    assert "standard sigmoid" in check(FOUR_DP, (1.0551, 1.6038)).message
    assert "precision" in check(FOUR_DP, (1.0, 1.59)).message


@pytest.mark.parametrize("answer", [
    sympy.exp(z) / (1 + sympy.exp(z)) ** 2,
    (1 / (1 + sympy.exp(-z))) * (1 - 1 / (1 + sympy.exp(-z))),
    "exp(-z)/(1 + exp(-z))**2",
    sympy.srepr(sympy.exp(-sympy.Symbol("z")) / (1 + sympy.exp(-sympy.Symbol("z"))) ** 2),
    "1/(4*cosh(z/2)**2)",
])
def test_equivalent_expressions_pass(answer):
    v = check(DERIV, to_plain(answer))
    assert v.passed, v.message


def test_expression_feedback_shows_a_point_where_they_differ():
    v = check(DERIV, "exp(-z)/(1 + exp(-z))")
    assert not v.passed and "they differ at z = " in v.message and "yours = " in v.message
    assert "derivative of tanh" in check(DERIV, 1 - sympy.tanh(z) ** 2).message
    assert "constant factor of -1" in check(DERIV, "-exp(-z)/(1 + exp(-z))**2").message


def test_reveal_false_hides_the_expected_answer():
    v = check(DERIV, "exp(z)", reveal=False)
    assert not v.passed and "expected" not in v.message and "exp(-z)" not in v.message
    v = check(COUNT, 55008, reveal=False)
    assert "55,018" not in v.message and "biases" in v.message


def test_strings_compare_case_insensitively_and_name_slips():
    assert check(WORD, "Same").passed and check(WORD, " 'same' ").passed
    assert "shrinks" in check(WORD, "valid").message
    assert not check(WORD, 3).passed


def test_to_plain_converts_answer_objects_to_plain_data():
    out = to_plain({"a": sympy.Rational(1, 4), "b": np.array([[1.0], [2.0]]), "c": torch.Size([2, 3]),
                    "d": fractions.Fraction(1, 3), "e": sympy.Matrix([1, z]), "f": (np.int64(3), "x")})
    assert out == {"a": "Rational(1, 4)", "b": [[1.0], [2.0]], "c": (2, 3), "d": "1/3",
                   "e": [["Integer(1)"], ["Symbol('z', real=True)"]], "f": (3, "x")}
    assert check(Spec(expected=(1.0, 2.0), kind="number", atol=1e-9), out["b"]).passed


def test_spec_rejects_unknown_kinds():
    with pytest.raises(ValueError):
        Spec(expected=1, kind="float")
