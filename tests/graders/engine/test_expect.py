"""expect: returned values are validated before anything is compared."""

from __future__ import annotations

import numpy as np
import pytest

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.sandbox.wire import Handle


def _fails(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return info.value.render()


# ------------------------------------------------------------------ array


def test_array_passes_a_valid_float64_array_through_unchanged():
    a = np.arange(12.0).reshape(3, 4)
    assert expect.array(a, "f(x)", (3, 4)) is a


def test_array_shape_none_entries_match_any_size():
    a = np.zeros((7, 4))
    assert expect.array(a, "f(x)", (None, 4)) is a
    assert expect.array(a, "f(x)") is a


def test_array_rejects_a_list_and_says_return_a_numpy_array():
    text = _fails(expect.array, [1.0, 2.0], "relu(z)", (2,))
    assert "relu(z) returned a list of length 2" in text
    assert "not a Python list" in text


def test_array_rejects_a_tuple():
    assert "tuple" in _fails(expect.array, (1.0, 2.0), "relu(z)", (2,))


def test_array_rejects_none_and_asks_about_a_missing_return():
    text = _fails(expect.array, None, "relu(z)", (2, 3))
    assert "returned None" in text
    assert "forget a `return`" in text
    assert "Expected: array of shape (2, 3)" in text


def test_array_rejects_a_handle_and_names_its_type():
    text = _fails(expect.array, Handle(3, "submission.Net"), "make_net()", (2,))
    assert "a submission.Net object" in text


def test_array_rejects_a_scalar_float():
    assert "float 1.5" in _fails(expect.array, 1.5, "f(x)", ())


def test_array_rejects_float32_and_names_the_cast():
    text = _fails(expect.array, np.zeros((2, 2), np.float32), "f(x)", (2, 2))
    assert "float32" in text and "float64" in text
    assert "Likely slip: a cast to float32" in text


def test_array_rejects_float16():
    assert "float16" in _fails(expect.array, np.zeros(2, np.float16), "f(x)", (2,))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_array_rejects_integer_and_bool_arrays(dtype):
    text = _fails(expect.array, np.zeros((2, 2), dtype), "f(x)", (2, 2))
    assert "integer array" in text
    assert "expected float64" in text


def test_array_rejects_complex_arrays():
    assert "complex128" in _fails(expect.array, np.zeros(2, np.complex128), "f(x)", (2,))


def test_array_dtype_none_accepts_any_dtype():
    a = np.arange(3)
    assert expect.array(a, "argmax(x)", (3,), dtype=None) is a


def test_array_transposed_shape_is_named_a_transpose():
    text = _fails(expect.array, np.zeros((3, 4)), "f(x)", (4, 3))
    assert "wrong shape" in text
    assert "Expected: (4, 3)" in text and "Got: (3, 4)" in text
    assert "transpose" in text


def test_array_extra_axis_of_size_one_is_named_a_reshape_or_extra_axis():
    text = _fails(expect.array, np.zeros((4, 3, 1)), "f(x)", (4, 3))
    assert "wrong shape" in text and "axis" in text


def test_array_extra_axis_with_other_size_is_named_an_extra_axis():
    text = _fails(expect.array, np.zeros((4, 3, 2)), "f(x)", (4, 3))
    assert "extra or missing axis" in text


def test_array_missing_axis_is_named():
    text = _fails(expect.array, np.zeros(4), "f(x)", (4, 3))
    assert "extra or missing axis" in text


def test_array_one_dimensional_expected_shape_is_written_with_a_comma():
    assert "Expected: (5,)" in _fails(expect.array, np.zeros(4), "f(x)", (5,))


def test_array_wildcard_shape_is_written_with_a_star():
    assert "(*, 3)" in _fails(expect.array, np.zeros((2, 4)), "f(x)", (None, 3))


def test_array_nan_is_reported_with_count_and_first_index():
    a = np.zeros((3, 4))
    a[1, 2] = np.nan
    a[2, 0] = np.nan
    text = _fails(expect.array, a, "softmax(z)", (3, 4))
    assert "softmax(z) contains NaN (2 of 12 entries are not finite)" in text
    assert "first at index (1, 2)" in text
    assert "log-sum-exp" in text


def test_array_inf_is_reported_as_inf():
    a = np.zeros(5)
    a[3] = -np.inf
    text = _fails(expect.array, a, "exp(z)", (5,))
    assert "contains inf" in text
    assert "first at index (3,)" in text


def test_array_finite_false_allows_nan():
    a = np.array([np.nan, 1.0])
    assert expect.array(a, "f(x)", (2,), finite=False) is a


def test_array_zero_dimensional_nan_is_reported_without_an_index():
    text = _fails(expect.array, np.array(np.nan), "loss", ())
    assert "contains NaN" in text
    assert "Where" not in text


# ------------------------------------------------------------------ scalar


@pytest.mark.parametrize("value, expected", [
    (1.5, 1.5), (3, 3.0), (np.float64(2.5), 2.5), (np.array(4.0), 4.0), (np.array([5.0]), 5.0),
    (np.array([[6]]), 6.0),
])
def test_scalar_accepts_numbers_and_one_element_arrays(value, expected):
    out = expect.scalar(value, "loss")
    assert out == expected and type(out) is float


def test_scalar_rejects_a_bool():
    assert "bool True" in _fails(expect.scalar, True, "loss")


def test_scalar_rejects_none_and_strings():
    assert "returned None" in _fails(expect.scalar, None, "loss")
    assert "the string 'abc'" in _fails(expect.scalar, "abc", "loss")


def test_scalar_rejects_an_array_of_several_values_and_suggests_a_missing_mean():
    text = _fails(expect.scalar, np.zeros(4), "loss")
    assert "expected a single number" in text
    assert "missing mean/sum" in text


def test_scalar_rejects_a_non_numeric_one_element_array():
    assert "expected a float" in _fails(expect.scalar, np.array([1 + 2j]), "loss")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), np.array([-np.inf])])
def test_scalar_rejects_non_finite_values(value):
    assert "expected a finite number" in _fails(expect.scalar, value, "loss")


def test_scalar_finite_false_allows_nan():
    assert np.isnan(expect.scalar(float("nan"), "loss", finite=False))


# ------------------------------------------------------------------ sequence and array_dict


def test_sequence_accepts_a_tuple_or_list_of_the_right_length_as_a_tuple():
    assert expect.sequence([1, 2], "f()", 2) == (1, 2)
    assert expect.sequence((1, 2, 3), "f()") == (1, 2, 3)


def test_sequence_rejects_a_wrong_length():
    text = _fails(expect.sequence, (1, 2, 3), "loss_fn(...)", 2)
    assert "returned 3 values; expected 2" in text


def test_sequence_rejects_a_non_sequence():
    text = _fails(expect.sequence, np.zeros(2), "loss_fn(...)", 2)
    assert "expected a tuple of 2 values" in text


def test_array_dict_validates_every_key_and_ignores_extra_keys():
    value = {"W": np.zeros((2, 3)), "b": np.zeros(3), "cache": np.zeros(1)}
    out = expect.array_dict(value, "grads", {"W": (2, 3), "b": (3,)})
    assert set(out) == {"W", "b"}
    assert out["W"] is value["W"]


def test_array_dict_names_the_missing_key():
    text = _fails(expect.array_dict, {"W": np.zeros((2, 3))}, "grads", {"W": (2, 3), "b": (3,)})
    assert "missing key(s) ['b']" in text


def test_array_dict_names_the_key_with_a_wrong_entry():
    text = _fails(expect.array_dict, {"W": np.zeros((3, 2))}, "grads", {"W": (2, 3)})
    assert "grads['W'] has the wrong shape" in text


def test_array_dict_rejects_a_non_dict():
    assert "expected a dict of arrays" in _fails(expect.array_dict, [1], "grads", {"W": (1,)})


def test_describe_value_is_short_for_long_strings():
    assert len(expect.describe_value("x" * 10_000)) < 100
