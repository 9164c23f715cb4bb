"""slips: naming the likely mistake from how a wrong answer relates to the right one."""

from __future__ import annotations

import numpy as np
import pytest

from graders.engine.slips import best_ratio, describe_ratio, diagnose, match_known


@pytest.fixture
def e():
    # a generic, non-symmetric, non-proportional matrix with no zero entries
    return np.random.default_rng(0).uniform(0.5, 2.0, (4, 4)) * np.sign(
        np.random.default_rng(1).standard_normal((4, 4)))


def test_diagnose_names_a_factor_of_two(e):
    assert "factor of 2 too large" in diagnose(2 * e, e)


def test_diagnose_names_half(e):
    assert "half the expected value" in diagnose(0.5 * e, e)


def test_diagnose_names_a_flipped_sign(e):
    assert "sign is flipped" in diagnose(-e, e)


def test_diagnose_names_the_batch_size_factor(e):
    assert diagnose(4 * e, e, batch_size=4).startswith("4 times too large, the batch size")


def test_diagnose_names_one_over_the_batch_size(e):
    assert diagnose(e / 4, e, batch_size=4).startswith("4 times too small, the batch size")


def test_diagnose_names_the_number_of_elements_factor(e):
    assert diagnose(16 * e, e).startswith("16 times too large, the number of elements")
    assert diagnose(e / 16, e, batch_size=4).startswith("16 times too small, the number of elements")


def test_diagnose_names_another_constant_factor(e):
    assert "3 times it" in diagnose(3 * e, e)


def test_diagnose_names_a_transpose(e):
    assert "transpose" in diagnose(e.T, e)


def test_diagnose_names_all_zeros(e):
    assert "all zeros" in diagnose(np.zeros_like(e), e)


def test_diagnose_names_a_row_constant_offset(e):
    bias = np.array([0.3, -1.0, 2.0, 0.5])
    assert "same amount in every row" in diagnose(e + bias, e)


def test_diagnose_names_float32_precision(e):
    assert "float32" in diagnose(e.astype(np.float32).astype(np.float64), e)


def test_diagnose_float32_is_not_named_for_gradient_checks(e):
    slip = diagnose(e.astype(np.float32).astype(np.float64), e, float32_possible=False)
    assert slip is None or "float32" not in slip


def test_diagnose_names_non_finite_values(e):
    a = e.copy()
    a[0, 0] = np.inf
    assert "non-finite" in diagnose(a, e)


def test_diagnose_names_a_reversed_vector():
    v = np.array([1.0, -2.0, 3.5, 0.25])
    assert "reverse order" in diagnose(v[::-1], v)


def test_diagnose_returns_none_for_unrelated_arrays(e):
    other = np.random.default_rng(7).standard_normal(e.shape)
    assert diagnose(other, e) is None


def test_diagnose_returns_none_for_different_shapes(e):
    assert diagnose(np.zeros((2, 8)), e) is None


def test_diagnose_does_not_call_a_symmetric_matrix_transposed():
    s = np.array([[1.0, 2.0], [2.0, 5.0]])
    other = np.array([[3.0, -1.0], [0.5, 2.0]])
    slip = diagnose(other, s)
    assert slip is None or "transpose" not in slip


def test_diagnose_never_calls_a_ratio_near_one_one_times_it(e):
    slip = diagnose(e * 1.0001, e)
    assert slip is None or " 1 times it" not in slip


def test_best_ratio_is_the_exact_factor_or_none():
    e = np.array([1.0, -2.0, 3.0])
    assert best_ratio(2.5 * e, e) == pytest.approx(2.5)
    assert best_ratio(np.array([1.0, 2.0, 3.0]), e) is None
    assert best_ratio(e, np.zeros(3)) is None


def test_describe_ratio_batch_and_size_words_need_those_numbers():
    assert describe_ratio(4.0) == "proportional to the right answer, 4 times it: a constant factor is off"
    assert "batch size" in describe_ratio(4.0, batch_size=4)
    assert "number of elements" in describe_ratio(4.0, size=4)
    assert describe_ratio(0.0) is None


def test_match_known_returns_the_first_matching_slip_words():
    x = np.array([1.0, 2.0])
    known = {"no (1 - s)": np.array([5.0, 5.0]), "no dout": x * (1 + 1e-9), "also": x}
    assert match_known(x, known) == "no dout"


def test_match_known_ignores_wrong_shapes_and_empty_tables():
    x = np.array([1.0, 2.0])
    assert match_known(x, {"flat": np.array([[1.0, 2.0]])}) is None
    assert match_known(x, None) is None
    assert match_known(x, {}) is None
