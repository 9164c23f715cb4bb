"""compare: tolerances, torch.testing-style mismatch reports, scalar ratio slips."""

from __future__ import annotations

import numpy as np
import pytest

from graders.engine.checks import CheckFailed
from graders.engine.compare import TOLERANCES, Tolerance, assert_close, assert_scalar_close, fmt, mismatch


def _fails(fn, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return info.value


# ------------------------------------------------------------------ the tolerance table


def test_tolerance_table_has_the_documented_entries():
    assert TOLERANCES["value"] == Tolerance(rtol=1e-6, atol=1e-9)
    assert TOLERANCES["loss"] == Tolerance(rtol=1e-5, atol=1e-8)
    assert TOLERANCES["gradient"] == Tolerance(rtol=1e-5, atol=1e-8)
    assert TOLERANCES["exact"] == Tolerance(rtol=0.0, atol=0.0)


def test_tolerance_str_names_rtol_and_atol():
    assert str(Tolerance(rtol=1e-6, atol=1e-9)) == "rtol=1e-06, atol=1e-09"


def test_unknown_tolerance_name_is_a_key_error():
    with pytest.raises(KeyError):
        assert_close(np.zeros(2), np.zeros(2), "f(x)", "nope")


# ------------------------------------------------------------------ assert_close


def test_assert_close_passes_within_tolerance():
    e = np.linspace(-3, 3, 12).reshape(3, 4)
    assert assert_close(e * (1 + 5e-7), e, "f(x)") is None
    assert assert_close(e + 5e-10, e, "f(x)", "value") is None


def test_assert_close_exact_tolerance_rejects_any_difference():
    _fails(assert_close, np.array([1.0, 2.0 + 1e-15]), np.array([1.0, 2.0]), "argmax", "exact")


def test_assert_close_accepts_a_tolerance_object():
    assert_close(np.array([1.1]), np.array([1.0]), "f(x)", Tolerance(rtol=0.2, atol=0.0))


def test_assert_close_message_has_count_worst_index_and_tolerances():
    e = np.arange(12.0).reshape(3, 4)
    a = e.copy()
    a[1, 2] += 0.5
    a[2, 3] += 0.1
    exc = _fails(assert_close, a, e, "layer_forward(x, W)")
    text = exc.render()
    assert exc.summary == "layer_forward(x, W) does not match the expected values."
    assert "mismatched elements: 2 / 12 (16.7%)" in text
    assert "greatest absolute difference 0.5 at index (1, 2) (up to 1e-09 allowed)" in text
    assert "(up to 1e-06 allowed)" in text
    assert "Expected: 6 at index (1, 2)" in text
    assert "Got: 6.5" in text


def test_assert_close_message_names_the_gradient_tolerances():
    text = _fails(assert_close, np.array([1.0, 2.0]), np.array([1.0, 3.0]), "dW", "gradient").render()
    assert "up to 1e-08 allowed" in text and "up to 1e-05 allowed" in text


def test_assert_close_reports_worst_relative_index_separately():
    e = np.array([1000.0, 0.001])
    a = np.array([1001.0, 0.002])
    text = _fails(assert_close, a, e, "f(x)").render()
    assert "greatest absolute difference 1 at index (0,)" in text
    assert "greatest relative difference 1 at index (1,)" in text


def test_assert_close_of_a_zero_dimensional_value_says_the_value():
    text = _fails(assert_close, np.array(2.0), np.array(1.0), "loss").render()
    assert "at the value" in text
    assert "Expected: 1\n" in text + "\n"


def test_assert_close_shape_mismatch_names_both_shapes():
    exc = _fails(assert_close, np.zeros((2, 3)), np.zeros((3, 2)), "f(x)")
    assert exc.summary == "f(x) has shape (2, 3); expected (3, 2)."


def test_assert_close_adds_the_context_and_the_slip():
    e = np.random.default_rng(0).standard_normal((3, 4))
    exc = _fails(assert_close, 2 * e, e, "f(x)", context="Inputs: x = ...")
    assert exc.details == "Inputs: x = ..."
    assert "factor of 2" in exc.slip


def test_assert_close_passes_batch_size_to_the_slip_diagnosis():
    e = np.random.default_rng(1).standard_normal((5, 3))
    exc = _fails(assert_close, 5 * e, e, "dW", batch_size=5)
    assert "batch size" in exc.slip


def test_assert_close_prefers_a_matching_known_wrong_answer():
    e = np.random.default_rng(2).standard_normal((3, 3))
    wrong = e * (1 - e)
    exc = _fails(assert_close, wrong, e, "sigmoid_backward", known={"dout * s without (1 - s)": e,
                                                                     "s (1 - s) without dout": wrong})
    assert exc.slip == "s (1 - s) without dout"


def test_assert_close_nan_among_finite_values_points_at_the_nan():
    e = np.array([1.0, 2.0, 3.0])
    a = np.array([1.0, np.nan, 3.0])
    exc = _fails(assert_close, a, e, "f(x)")
    assert "mismatched elements: 1 / 3" in exc.render()
    assert "non-finite" in exc.slip


def test_assert_close_worst_index_is_the_nan_entry():
    e = np.array([1.0, 2.0, 3.0])
    a = np.array([1.0, np.nan, 3.0])
    exc = _fails(assert_close, a, e, "f(x)")
    assert "index (1,)" in exc.render()
    assert exc.got == "nan"


def test_assert_close_all_nan_raises_check_failed_not_value_error():
    _fails(assert_close, np.array([np.nan, np.nan]), np.array([1.0, 2.0]), "f(x)")


def test_mismatch_is_none_when_close_and_counts_otherwise():
    tol = TOLERANCES["value"]
    assert mismatch(np.ones(3), np.ones(3), tol) is None
    m = mismatch(np.array([1.0, 5.0, 1.0]), np.ones(3), tol)
    assert (m["count"], m["size"], m["index"], m["abs"]) == (1, 3, (1,), 4.0)


# ------------------------------------------------------------------ assert_scalar_close


def test_assert_scalar_close_passes_within_loss_tolerance():
    assert assert_scalar_close(1.0 + 5e-6, 1.0, "loss") is None


def test_assert_scalar_close_message_has_both_values_and_the_allowed_difference():
    exc = _fails(assert_scalar_close, 1.5, 1.0, "mse_loss(...) loss")
    assert exc.summary == "mse_loss(...) loss is 1.5; expected 1."
    assert exc.expected == "1" and exc.got == "1.5"
    assert "absolute difference 0.5 (up to 1e-08 + 1e-05 * |expected| allowed)" in exc.diff


@pytest.mark.parametrize("ratio, words, kwargs", [
    (2.0, "factor of 2 too large", {}),
    (0.5, "half the expected value", {}),
    (-1.0, "sign is flipped", {}),
    (8.0, "8 times too large, the batch size", {"batch_size": 8}),
    (1 / 8, "8 times too small, the batch size", {"batch_size": 8}),
    (40.0, "40 times too large, the number of elements", {"batch_size": 8, "size": 40}),
    (1 / 40, "40 times too small, the number of elements", {"batch_size": 8, "size": 40}),
])
def test_assert_scalar_close_names_ratio_slips(ratio, words, kwargs):
    exc = _fails(assert_scalar_close, 0.7312 * ratio, 0.7312, "loss", **kwargs)
    assert words in exc.slip


def test_assert_scalar_close_names_no_slip_for_an_unnamed_ratio():
    assert _fails(assert_scalar_close, 3.0, 1.0, "loss").slip is None


def test_assert_scalar_close_names_no_slip_when_either_value_is_zero():
    assert _fails(assert_scalar_close, 0.0, 1.0, "loss").slip is None
    assert _fails(assert_scalar_close, 1.0, 0.0, "loss").slip is None


def test_assert_scalar_close_batch_ratio_needs_a_batch_larger_than_two():
    # with batch_size 2 a factor of 2 is "factor of 2", not "the batch size"
    assert "factor of 2" in _fails(assert_scalar_close, 2.0, 1.0, "loss", batch_size=2).slip


# ------------------------------------------------------------------ fmt


def test_fmt_renders_floats_ints_small_and_large_arrays():
    assert fmt(1.5) == "1.5"
    assert fmt(np.float64(1 / 3)) == "0.333333"
    assert fmt(3) == "3"
    assert fmt(np.array([1.0, 2.0])) == "[1., 2.]"
    big = fmt(np.arange(100.0).reshape(10, 10))
    assert big.startswith("array of shape (10, 10), first values [0., 1., 2., 3., 4., 5.]")
