"""raw_outputs: a trained check's raw outputs validated in the grader, metrics computed there."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graders.engine import raw_outputs
from graders.engine.checks import CheckFailed
from graders.sandbox.wire import Handle


def test_float_array_accepts_float32_and_returns_a_float64_copy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = raw_outputs.float_array(a, "decode(code)", (2, None), lo=0, hi=5)
    assert out.dtype == np.float64 and out.shape == (2, 3)
    out[0, 0] = 99
    assert a[0, 0] == 0


@pytest.mark.parametrize("value, words", [
    (np.zeros((2, 3), dtype=np.int64), "int64"),
    (np.zeros((3, 2)), "wrong shape"),
    (np.array([[0.0, np.nan, 0.0]] * 2), "NaN or inf"),
    (np.full((2, 3), 2.0), "above 1"),
    (np.full((2, 3), -1.0), "below 0"),
    ([[0.0] * 3] * 2, "expected a float tensor"),
    (Handle(1, "submission.Lie"), "submission.Lie"),
    (np.zeros((2, 3000)), "at most 100 are expected"),
])
def test_float_array_refuses_what_is_not_a_finite_bounded_float_array(value, words):
    with pytest.raises(CheckFailed) as info:
        raw_outputs.float_array(value, "decode(code)", (2, None), lo=0.0, hi=1.0, max_values=100)
    assert words in info.value.render()


def test_state_dict_checks_keys_shapes_finiteness_and_total_size():
    state = {"w": np.ones((3, 2)), "b": np.zeros(3, dtype=np.float32)}
    out = raw_outputs.state_dict(state, "the model", max_values=9, shapes={"w": (3, 2), "b": (3,)})
    assert all(v.dtype == np.float32 for v in out.values())
    with pytest.raises(CheckFailed, match="hold 9 numbers; at most 8"):
        raw_outputs.state_dict(state, "the model", max_values=8)
    with pytest.raises(CheckFailed, match="not the expected ones"):
        raw_outputs.state_dict(state, "the model", max_values=9, shapes={"w": (3, 2)})
    with pytest.raises(CheckFailed, match="NaN"):
        raw_outputs.state_dict({"w": np.array([np.inf])}, "the model", max_values=9)
    with pytest.raises(CheckFailed, match="expected a dict"):
        raw_outputs.state_dict([np.ones(3)], "the model", max_values=9)
    with pytest.raises(CheckFailed, match="short string"):
        raw_outputs.state_dict({"x" * 300: np.ones(1)}, "the model", max_values=9)


def test_relay_float32_keeps_only_the_float32_numbers():
    code = np.array([[1.0 + 1e-12, 2.0]])
    out = raw_outputs.relay_float32(code)
    assert out.dtype == np.float32 and out.flags.c_contiguous and out[0, 0] == np.float32(1.0)


def test_mse_and_bce_sum_match_torch():
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0.01, 0.99, (4, 5)), rng.uniform(0, 1, (4, 5))
    assert raw_outputs.mse(p, t) == pytest.approx(float(torch.nn.functional.mse_loss(
        torch.as_tensor(p), torch.as_tensor(t))))
    expected = torch.nn.functional.binary_cross_entropy(torch.as_tensor(p), torch.as_tensor(t),
                                                        reduction="none").sum(dim=1).numpy()
    np.testing.assert_allclose(raw_outputs.bce_sum(p, t), expected, rtol=1e-12)
    assert raw_outputs.accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])) == pytest.approx(2 / 3)
