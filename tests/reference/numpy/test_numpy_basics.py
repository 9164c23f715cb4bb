"""The numpy_basics reference against PyTorch float64 autograd, and its stated properties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reference.numpy import numpy_basics as nb

torch.set_num_threads(1)
PROPS = settings(derandomize=True, max_examples=60, deadline=None)
BIG = np.array([[1e3, -1e3, 0.0, 2.0], [-1e3, 1e3, -3.0, 1e3]])


def _t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def _away_from_kinks(shape, seed, kinks=(0.0,), gap=1e-3, scale=3.0):
    """Random float64 values at least `gap` away from every kink."""
    z = np.random.default_rng(seed).normal(size=shape) * scale
    for k in kinks:
        close = np.abs(z - k) < gap
        z[close] = k + np.where(z[close] >= k, gap, -gap) * 2
    return z


def _torch_grad(torch_fn, z, dout):
    zt = _t(z, grad=True)
    out = torch_fn(zt)
    out.backward(_t(dout))
    return out.detach().numpy(), zt.grad.numpy()


ACTIVATIONS = {
    # name: (torch equivalent, kinks to avoid)
    "relu": (torch.relu, (0.0,)),
    "sigmoid": (torch.sigmoid, ()),
    "tanh": (torch.tanh, ()),
    "hard_sigmoid": (lambda z: torch.clamp(0.2 * z + 0.5, 0.0, 1.0), (-2.5, 2.5)),
}


# ------------------------------------------------------------------ activations


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_backward_match_torch_autograd_in_float64(name):
    torch_fn, kinks = ACTIVATIONS[name]
    z = _away_from_kinks((7, 5), seed=1, kinks=kinks)
    dout = np.random.default_rng(2).normal(size=z.shape)
    expected_out, expected_dz = _torch_grad(torch_fn, z, dout)
    out = getattr(nb, name)(z)
    dz = getattr(nb, name + "_backward")(dout, z)
    assert out.shape == z.shape and dz.shape == z.shape
    assert out.dtype == np.float64 and dz.dtype == np.float64
    np.testing.assert_allclose(out, expected_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dz, expected_dz, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_backward_matches_central_differences(name):
    _, kinks = ACTIVATIONS[name]
    z = _away_from_kinks((3, 4), seed=3, kinks=kinks, gap=1e-2)
    dout = np.random.default_rng(4).normal(size=z.shape)
    f = getattr(nb, name)
    h = 1e-6
    numeric = (np.sum(dout * f(z + h)) - np.sum(dout * f(z - h)))  # directional, all at once
    numeric_dz = dout * (f(z + h) - f(z - h)) / (2 * h)  # element-wise (f is element-wise)
    analytic = getattr(nb, name + "_backward")(dout, z)
    np.testing.assert_allclose(analytic, numeric_dz, rtol=1e-6, atol=1e-8)
    assert np.isclose(np.sum(analytic) * 2 * h, numeric, rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_are_finite_without_warnings_at_1e3(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            out = getattr(nb, name)(BIG)
            dz = getattr(nb, name + "_backward")(np.ones_like(BIG), BIG)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dz))


def test_sigmoid_limits_at_1e3_are_exact():
    s = nb.sigmoid(np.array([-1e3, 1e3]))
    assert s[0] == 0.0 and s[1] == 1.0


@PROPS
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e3, 1e3)))
def test_sigmoid_is_symmetric_and_in_unit_interval(z):
    s = nb.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(nb.sigmoid(-z), 1.0 - s, atol=1e-15)


@PROPS
@given(arrays(np.float64, st.integers(2, 20), elements=st.floats(-50, 50)))
def test_activations_are_monotone(z):
    z = np.sort(z)
    for name in ACTIVATIONS:
        out = getattr(nb, name)(z)
        assert np.all(np.diff(out) >= 0), name


def test_hard_sigmoid_is_the_keras_definition():
    z = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0])
    np.testing.assert_allclose(nb.hard_sigmoid(z), [0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0], atol=1e-15)
    dz = nb.hard_sigmoid_backward(np.ones(4), np.array([-3.0, -2.4, 2.4, 3.0]))
    np.testing.assert_allclose(dz, [0.0, 0.2, 0.2, 0.0])


def test_relu_backward_is_zero_for_negative_and_dout_for_positive():
    z = np.array([-2.0, -1e-9, 1e-9, 3.0])
    dout = np.array([5.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(nb.relu_backward(dout, z), [0.0, 0.0, 7.0, 8.0])


# ------------------------------------------------------------------ softmax


def test_softmax_matches_torch():
    z = np.random.default_rng(5).normal(size=(6, 4)) * 4
    np.testing.assert_allclose(nb.softmax(z), torch.softmax(_t(z), dim=1).numpy(), rtol=1e-13, atol=0)


@PROPS
@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 8)), elements=st.floats(-1e3, 1e3)),
    st.floats(-1e3, 1e3),
)
def test_softmax_rows_sum_to_one_and_ignore_a_constant_shift(z, c):
    p = nb.softmax(z)
    assert p.shape == z.shape and np.all(np.isfinite(p)) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(nb.softmax(z + c), p, atol=1e-9)


def test_softmax_is_finite_without_warnings_at_1e3():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = nb.softmax(BIG)
    np.testing.assert_allclose(p, torch.softmax(_t(BIG), dim=1).numpy(), atol=1e-15)


def test_softmax_normalises_the_last_axis_of_3d_input():
    z = np.random.default_rng(6).normal(size=(2, 3, 4))
    np.testing.assert_allclose(nb.softmax(z).sum(axis=-1), 1.0)


# ------------------------------------------------------------------ losses


def test_mse_loss_matches_torch_autograd_in_float64():
    rng = np.random.default_rng(7)
    y_hat, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    yt = _t(y_hat, grad=True)
    expected = torch.nn.functional.mse_loss(yt, _t(y))
    expected.backward()
    loss, grad = nb.mse_loss(y_hat, y)
    assert isinstance(loss, float)
    assert np.isclose(loss, expected.item(), rtol=1e-13)
    np.testing.assert_allclose(grad, yt.grad.numpy(), rtol=1e-13)


def test_bce_loss_matches_torch_autograd_in_float64():
    rng = np.random.default_rng(8)
    p, y = rng.uniform(0.01, 0.99, size=(4, 6)), rng.uniform(size=(4, 6))
    pt = _t(p, grad=True)
    expected = torch.nn.functional.binary_cross_entropy(pt, _t(y))
    expected.backward()
    loss, grad = nb.bce_loss(p, y)
    assert isinstance(loss, float)
    assert np.isclose(loss, expected.item(), rtol=1e-13)
    np.testing.assert_allclose(grad, pt.grad.numpy(), rtol=1e-12)


def test_bce_loss_is_finite_for_saturated_probabilities():
    # The sigmoid of logits of magnitude 1e3 is exactly 0 or 1.
    p = nb.sigmoid(np.array([[1e3, -1e3, 1e3, -1e3]]))
    for y in (np.array([[1.0, 0.0, 0.0, 1.0]]), np.full((1, 4), 0.5)):
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            loss, grad = nb.bce_loss(p, y)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
    loss, grad = nb.bce_loss(p, np.array([[1.0, 0.0, 1.0, 0.0]]))  # right and confident
    assert loss < 1e-15 and np.all(np.abs(grad) <= 1.0)
    # Clipping is only as far as needed: probabilities well inside (0, 1) are untouched.
    q = np.array([1e-300, 1e-20, 1 - 1e-15])
    expected = -np.mean(np.log(q))
    assert np.isclose(nb.bce_loss(q, np.ones(3))[0], expected, rtol=1e-14)


def test_softmax_cross_entropy_matches_torch_autograd_in_float64():
    rng = np.random.default_rng(9)
    logits, labels = rng.normal(size=(6, 5)) * 3, rng.integers(0, 5, size=6)
    lt = _t(logits, grad=True)
    expected = torch.nn.functional.cross_entropy(lt, torch.as_tensor(labels))
    expected.backward()
    loss, grad = nb.softmax_cross_entropy(logits, labels)
    assert isinstance(loss, float)
    assert np.isclose(loss, expected.item(), rtol=1e-13)
    np.testing.assert_allclose(grad, lt.grad.numpy(), rtol=1e-12, atol=1e-16)


def test_softmax_cross_entropy_is_finite_and_exact_at_1e3():
    # Row 0's label has logit -1e3 against a max of 1e3: loss 2e3. Row 1's label ties for
    # the max with one other logit: loss log 2.
    labels = np.array([1, 3])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, grad = nb.softmax_cross_entropy(BIG, labels)
    lt = _t(BIG, grad=True)
    expected = torch.nn.functional.cross_entropy(lt, torch.as_tensor(labels))
    expected.backward()
    assert np.isclose(loss, expected.item(), rtol=1e-13)
    assert np.isclose(loss, (2e3 + np.log(2.0)) / 2, rtol=1e-14)
    np.testing.assert_allclose(grad, lt.grad.numpy(), atol=1e-15)


@PROPS
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=st.floats(0.001, 0.999)))
def test_losses_are_nonnegative_and_smallest_at_the_target(y):
    rng = np.random.default_rng(0)
    other = np.clip(y + rng.normal(size=y.shape) * 0.1, 0.001, 0.999)
    assert nb.mse_loss(y, y)[0] == 0.0 and np.all(nb.mse_loss(y, y)[1] == 0.0)
    assert nb.mse_loss(other, y)[0] >= 0.0
    assert nb.bce_loss(other, y)[0] >= nb.bce_loss(y, y)[0] - 1e-12 >= -1e-12
    np.testing.assert_allclose(nb.bce_loss(y, y)[1], 0.0, atol=1e-9)  # stationary at p = y


def test_losses_gradients_match_central_differences():
    rng = np.random.default_rng(10)
    a, y = rng.uniform(0.1, 0.9, size=(3, 4)), rng.uniform(size=(3, 4))
    logits, labels = rng.normal(size=(3, 4)), rng.integers(0, 4, size=3)
    cases = [(nb.mse_loss, a, y), (nb.bce_loss, a, y), (nb.softmax_cross_entropy, logits, labels)]
    h = 1e-6
    for fn, x, target in cases:
        grad = fn(x, target)[1]
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = h
            numeric[idx] = (fn(x + e, target)[0] - fn(x - e, target)[0]) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9, err_msg=fn.__name__)


def test_no_function_modifies_its_inputs():
    rng = np.random.default_rng(11)
    z, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    p, y = rng.uniform(0.1, 0.9, size=(3, 4)), rng.uniform(size=(3, 4))
    labels = np.array([0, 3, 1])
    copies = [a.copy() for a in (z, dout, p, y, labels)]
    for name in ACTIVATIONS:
        getattr(nb, name)(z)
        getattr(nb, name + "_backward")(dout, z)
    nb.softmax(z)
    nb.mse_loss(p, y)
    nb.bce_loss(p, y)
    nb.softmax_cross_entropy(z, labels)
    for before, after in zip(copies, (z, dout, p, y, labels)):
        np.testing.assert_array_equal(before, after)
