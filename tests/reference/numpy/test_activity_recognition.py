"""Reference `activity_recognition`: probabilities against torch.nn.RNN / LSTM / GRU with
dense layers, gradients against torch autograd in float64 (every key, all T steps), the
momentum update, train's batches and history, predict and confusion_matrix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference.numpy import activity_recognition as ref

N, T, D, H, DENSE, K = 5, 7, 3, 4, (6,), 3


def random_params(cell, rng, dense=DENSE, scale=0.6):
    params = ref.init_params(cell, D, H, list(dense), K, seed=int(rng.integers(1000)))
    # non-zero biases, so a misplaced bias shows
    return {k: v + scale * rng.standard_normal(v.shape) if k.startswith("b") else v
            for k, v in params.items()}


def problem(cell, seed=0, dense=DENSE):
    rng = np.random.default_rng(seed)
    params = random_params(cell, rng, dense)
    X = rng.standard_normal((N, T, D))
    y = rng.integers(0, K, N)
    return params, X, y


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_module(cell, params):
    """torch.nn.RNN / LSTM / GRU (batch_first) with the reference's weights. PyTorch stores
    weight_ih as (gates * H, D), in the gate order i, f, g, o (LSTM) and r, z, n (GRU)."""
    torch_cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = torch_cls(D, H, batch_first=True).double()
    gates = {"rnn": [""], "lstm": list("ifgo"), "gru": list("rzn")}[cell]
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.cat([_t(params["Wx" + g].T, False) for g in gates]))
        module.weight_hh_l0.copy_(torch.cat([_t(params["Wh" + g].T, False) for g in gates]))
        if cell == "gru":
            module.bias_ih_l0.copy_(torch.cat([_t(params["bx" + g], False) for g in gates]))
            module.bias_hh_l0.copy_(torch.cat([_t(params["bh" + g], False) for g in gates]))
        else:
            module.bias_ih_l0.copy_(torch.cat([_t(params["b" + g], False) for g in gates]))
            module.bias_hh_l0.zero_()
    return module


def torch_probs(cell, params, X):
    out, _ = torch_module(cell, params)(_t(X, False))
    a = out[:, -1, :]
    L = ref.n_dense_layers(params)
    for l in range(1, L + 1):
        a = a @ _t(params[f"W{l}"], False) + _t(params[f"b{l}"], False)
        if l < L:
            a = torch.relu(a)
    return torch.softmax(a, dim=1)


@pytest.mark.parametrize("cell", ref.CELLS)
@pytest.mark.parametrize("dense", [(), (6,), (5, 2)])
def test_forward_matches_torch_recurrent_modules(cell, dense):
    params, X, _ = problem(cell, 1, dense)
    probs, _ = ref.forward(params, X, cell)
    np.testing.assert_allclose(probs, torch_probs(cell, params, X).detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-14)


def torch_step(cell, x, h, c, P):
    if cell == "rnn":
        return torch.tanh(x @ P["Wx"] + h @ P["Wh"] + P["b"]), c
    if cell == "lstm":
        a = {k: x @ P["Wx" + k] + h @ P["Wh" + k] + P["b" + k] for k in "ifgo"}
        c = torch.sigmoid(a["f"]) * c + torch.sigmoid(a["i"]) * torch.tanh(a["g"])
        return torch.sigmoid(a["o"]) * torch.tanh(c), c
    r = torch.sigmoid(x @ P["Wxr"] + P["bxr"] + h @ P["Whr"] + P["bhr"])
    z = torch.sigmoid(x @ P["Wxz"] + P["bxz"] + h @ P["Whz"] + P["bhz"])
    n = torch.tanh(x @ P["Wxn"] + P["bxn"] + r * (h @ P["Whn"] + P["bhn"]))
    return (1 - z) * n + z * h, c


def torch_loss(cell, P, X, y):
    """The contract's loss written step by step with autograd leaves for every key."""
    h = torch.zeros(X.shape[0], H, dtype=torch.float64)
    c = torch.zeros_like(h)
    for t in range(X.shape[1]):
        h, c = torch_step(cell, _t(X[:, t, :], False), h, c, P)
    L = ref.n_dense_layers(P)
    a = h
    for l in range(1, L + 1):
        a = a @ P[f"W{l}"] + P[f"b{l}"]
        if l < L:
            a = torch.relu(a)
    return torch.nn.functional.cross_entropy(a, torch.as_tensor(y))


@pytest.mark.parametrize("cell", ref.CELLS)
@pytest.mark.parametrize("dense", [(), (6,), (5, 2)])
def test_loss_and_every_gradient_match_torch_autograd(cell, dense):
    params, X, y = problem(cell, 2, dense)
    loss, grads = ref.loss_and_grads(params, X, y, cell)
    P = {k: _t(v) for k, v in params.items()}
    expected = torch_loss(cell, P, X, y)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], P[k].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("cell", ref.CELLS)
def test_the_first_steps_alone_give_the_input_weights_a_gradient(cell):
    """Inputs non-zero only at t = 0, 1: every Wx* gradient comes from the early steps."""
    params, X, y = problem(cell, 3)
    X[:, 2:, :] = 0.0
    _, grads = ref.loss_and_grads(params, X, y, cell)
    P = {k: _t(v) for k, v in params.items()}
    torch_loss(cell, P, X, y).backward()
    for k in ref.CELL_KEYS[cell]:
        if k.startswith("Wx"):
            assert np.abs(grads[k]).max() > 1e-6
            np.testing.assert_allclose(grads[k], P[k].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cell", ref.CELLS)
def test_init_params_keys_shapes_scales_and_zero_biases(cell):
    params = ref.init_params(cell, 40, 50, [30, 20], 4, seed=0)
    expected_keys = set(ref.CELL_KEYS[cell]) | {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert set(params) == expected_keys
    for k, v in params.items():
        assert v.dtype == np.float64
        if k.startswith("b"):
            assert not v.any()
        else:
            # the sample std of n normals is within 4 / sqrt(n) (relative) far beyond 5 sigma
            assert v.std() == pytest.approx(1 / np.sqrt(v.shape[0]), rel=4 / np.sqrt(v.size))
    again = ref.init_params(cell, 40, 50, [30, 20], 4, seed=0)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert params["W1"].shape == (50, 30) and params["W3"].shape == (20, 4)


def test_momentum_update_in_place_over_two_steps():
    rng = np.random.default_rng(4)
    params = {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    arrays = dict(params)
    start = {k: v.copy() for k, v in params.items()}
    g1 = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    g2 = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    velocity = {}
    assert ref.momentum_update(params, g1, velocity, 0.1, 0.9) is None
    ref.momentum_update(params, g2, velocity, 0.1, 0.9)
    for k in params:
        v1 = -0.1 * g1[k]
        v2 = 0.9 * v1 - 0.1 * g2[k]
        np.testing.assert_allclose(arrays[k], start[k] + v1 + v2, rtol=1e-14)
        assert params[k] is arrays[k]
        np.testing.assert_allclose(velocity[k], v2, rtol=1e-14)


def test_momentum_update_matches_torch_sgd_for_a_constant_rate():
    """PyTorch's form (buf = mu buf + g; p -= lr buf) is the same update for a constant lr."""
    rng = np.random.default_rng(5)
    p = rng.standard_normal(4)
    tp = _t(p)
    opt = torch.optim.SGD([tp], lr=0.05, momentum=0.8)
    params, velocity = {"p": p.copy()}, {}
    for _ in range(3):
        g = rng.standard_normal(4)
        tp.grad = _t(g, False)
        opt.step()
        ref.momentum_update(params, {"p": g}, velocity, 0.05, 0.8)
    np.testing.assert_allclose(params["p"], tp.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("cell", ref.CELLS)
def test_train_history_at_zero_rate_is_the_mean_loss(cell):
    params, X, y = problem(cell, 6)
    trained, history = ref.train(X, y, cell, H, list(DENSE), K, 0.0, 0.9, 3, 2, seed=1)
    loss, _ = ref.loss_and_grads(trained, X, y, cell)
    start = ref.init_params(cell, D, H, list(DENSE), K, 1)
    assert all(np.array_equal(trained[k], start[k]) for k in start)
    np.testing.assert_allclose(history, [loss] * 3, rtol=1e-12)


def test_train_on_basic_motions_learns():
    from dlgrade.data import load_basic_motions

    X, y, labels = load_basic_motions("train")
    mean, std = X.mean(axis=(0, 1)), X.std(axis=(0, 1))
    Xs = (X - mean) / std
    params, history = ref.train(Xs[:, ::4], y, "gru", 8, [], 4, 0.1, 0.9, 15, 8, seed=0)
    assert history[-1] < 0.6 * history[0]
    assert np.mean(ref.predict(params, Xs[:, ::4], "gru") == y) > 0.6
    assert labels == ["Standing", "Running", "Walking", "Badminton"]


def test_predict_is_the_argmax_of_forward():
    params, X, _ = problem("lstm", 7)
    np.testing.assert_array_equal(ref.predict(params, X, "lstm"), ref.forward(params, X, "lstm")[0].argmax(1))


def test_confusion_matrix_counts_pairs_like_sklearn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(8)
    y_true, y_pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    got = ref.confusion_matrix(y_true, y_pred, 4)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, confusion_matrix(y_true, y_pred, labels=range(4)))
    np.testing.assert_array_equal(ref.confusion_matrix(np.array([3]), np.array([3]), 5)[3, 3], 1)
