"""The autoencoder_numpy reference against PyTorch float64 autograd, and its contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference.numpy import autoencoder_numpy as ae

torch.set_num_threads(1)
KEYS = ("W1", "b1", "W2", "b2")


def _problem(n=7, d=6, h=4, seed=0):
    rng = np.random.default_rng(seed)
    params = ae.init_params(d, h, seed)
    params["b1"] = rng.normal(size=h) * 0.3  # non-zero biases exercise their gradients
    params["b2"] = rng.normal(size=d) * 0.3
    X = rng.uniform(size=(n, d))
    return params, X


def _torch_loss_and_grads(params, X):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    Xt = torch.tensor(X, dtype=torch.float64)
    H = torch.relu(Xt @ P["W1"] + P["b1"])
    X_hat = torch.sigmoid(H @ P["W2"] + P["b2"])
    loss = torch.mean((X_hat - Xt) ** 2)
    loss.backward()
    return X_hat.detach().numpy(), loss.item(), {k: P[k].grad.numpy() for k in KEYS}


# ------------------------------------------------------------------ init_params


def test_init_params_shapes_dtypes_and_zero_biases():
    p = ae.init_params(64, 32, seed=0)
    assert set(p) == set(KEYS)
    assert p["W1"].shape == (64, 32) and p["b1"].shape == (32,)
    assert p["W2"].shape == (32, 64) and p["b2"].shape == (64,)
    assert all(v.dtype == np.float64 for v in p.values())
    assert not p["b1"].any() and not p["b2"].any()


def test_init_params_is_reproducible_from_the_seed_only():
    a, b, c = ae.init_params(64, 32, 5), ae.init_params(64, 32, 5), ae.init_params(64, 32, 6)
    for k in KEYS:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["W1"], c["W1"])


def test_init_params_scales_are_he_and_glorot():
    p = ae.init_params(400, 300, seed=1)
    assert np.isclose(p["W1"].std(), np.sqrt(2 / 400), rtol=0.02)
    assert np.isclose(p["W2"].std(), np.sqrt(2 / 700), rtol=0.02)
    assert abs(p["W1"].mean()) < 0.1 * p["W1"].std()


# ------------------------------------------------------------------ forward, loss, backward


def test_forward_and_loss_match_torch():
    params, X = _problem()
    X_hat, _ = ae.forward(params, X)
    expected_hat, expected_loss, _ = _torch_loss_and_grads(params, X)
    assert X_hat.shape == X.shape and X_hat.dtype == np.float64
    np.testing.assert_allclose(X_hat, expected_hat, rtol=1e-13)
    loss = ae.loss(X_hat, X)
    assert isinstance(loss, float) and np.isclose(loss, expected_loss, rtol=1e-13)


def test_reconstruction_is_in_unit_interval_even_for_huge_weights():
    params, X = _problem()
    params = {k: v * 1e3 for k, v in params.items()}
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        X_hat, _ = ae.forward(params, X)
    assert np.all((X_hat >= 0) & (X_hat <= 1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_torch_autograd_in_float64(seed):
    params, X = _problem(seed=seed)
    _, cache = ae.forward(params, X)
    grads = ae.backward(params, cache, X)
    _, _, expected = _torch_loss_and_grads(params, X)
    assert set(grads) == set(KEYS)
    for k in KEYS:
        assert grads[k].shape == params[k].shape, k
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-11, atol=1e-16, err_msg=k)


def test_backward_matches_central_differences():
    params, X = _problem(n=5, d=4, h=3, seed=4)
    grads = ae.backward(params, ae.forward(params, X)[1], X)
    h = 1e-6
    for k in KEYS:
        numeric = np.zeros_like(params[k])
        for idx in np.ndindex(params[k].shape):
            plus = {q: v.copy() for q, v in params.items()}
            minus = {q: v.copy() for q, v in params.items()}
            plus[k][idx] += h
            minus[k][idx] -= h
            numeric[idx] = (ae.loss(ae.forward(plus, X)[0], X) - ae.loss(ae.forward(minus, X)[0], X)) / (2 * h)
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-5, atol=1e-10, err_msg=k)


def test_forward_and_backward_do_not_modify_inputs():
    params, X = _problem()
    before = {k: v.copy() for k, v in params.items()}, X.copy()
    ae.backward(params, ae.forward(params, X)[1], X)
    for k in KEYS:
        np.testing.assert_array_equal(params[k], before[0][k])
    np.testing.assert_array_equal(X, before[1])


# ------------------------------------------------------------------ adagrad_update


def test_adagrad_update_matches_torch_optim_adagrad():
    params, X = _problem(seed=5)
    ours = {k: v.copy() for k, v in params.items()}
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    opt = torch.optim.Adagrad(list(tp.values()), lr=0.1, eps=1e-8)
    state = {}
    for _ in range(3):
        grads = ae.backward(ours, ae.forward(ours, X)[1], X)
        assert ae.adagrad_update(ours, grads, state, 0.1) is None
        opt.zero_grad()
        _, _, tgrads = _torch_loss_and_grads({k: v.detach().numpy() for k, v in tp.items()}, X)
        for k in KEYS:
            tp[k].grad = torch.tensor(tgrads[k])
        opt.step()
    for k in KEYS:
        np.testing.assert_allclose(ours[k], tp[k].detach().numpy(), rtol=1e-10, atol=1e-13, err_msg=k)


def test_adagrad_update_works_in_place_and_accumulates_state():
    rng = np.random.default_rng(6)
    params = {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    arrays = {k: v for k, v in params.items()}
    start = {k: v.copy() for k, v in params.items()}
    g1 = {k: rng.normal(size=v.shape) for k, v in params.items()}
    g2 = {k: rng.normal(size=v.shape) for k, v in params.items()}
    state = {}
    ae.adagrad_update(params, g1, state, lr=0.5)
    ae.adagrad_update(params, g2, state, lr=0.5, eps=1e-6)
    for k in params:
        assert params[k] is arrays[k]  # the same array objects were updated
        G1, G2 = g1[k] ** 2, g1[k] ** 2 + g2[k] ** 2
        expected = start[k] - 0.5 * g1[k] / (np.sqrt(G1) + 1e-8) - 0.5 * g2[k] / (np.sqrt(G2) + 1e-6)
        np.testing.assert_allclose(state[k], G2, rtol=1e-15)
        np.testing.assert_allclose(params[k], expected, rtol=1e-14)


def test_adagrad_update_adds_missing_state_keys_at_zero():
    params = {"a": np.ones(2), "b": np.ones(2)}
    state = {"a": np.full(2, 3.0)}
    ae.adagrad_update(params, {"a": np.ones(2), "b": np.ones(2)}, state, lr=1.0, eps=0.0)
    np.testing.assert_allclose(state["a"], 4.0)
    np.testing.assert_allclose(state["b"], 1.0)
    np.testing.assert_allclose(params["a"], 0.5)
    np.testing.assert_allclose(params["b"], 0.0)


# ------------------------------------------------------------------ train


def _digits(n=300):
    from dlgrade.data import load_digits

    return load_digits()[0][:n]


def test_train_asks_lr_schedule_once_per_epoch_in_order():
    calls = []

    def schedule(epoch):
        calls.append(epoch)
        return 0.02

    params, history = ae.train(_digits(100), 8, epochs=4, batch_size=32, lr_schedule=schedule, seed=0)
    assert calls == [0, 1, 2, 3]
    assert len(history) == 4 and all(isinstance(h, float) for h in history)
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (64, 8), "b1": (8,), "W2": (8, 64), "b2": (64,)}


def test_train_is_reproducible_and_depends_on_the_seed():
    X = _digits(100)
    a = ae.train(X, 8, 2, 16, lambda e: 0.02, seed=3)
    np.random.seed(123)  # the global generator must not matter
    b = ae.train(X, 8, 2, 16, lambda e: 0.02, seed=3)
    c = ae.train(X, 8, 2, 16, lambda e: 0.02, seed=4)
    assert a[1] == b[1] and a[1] != c[1]
    for k in KEYS:
        np.testing.assert_array_equal(a[0][k], b[0][k])


def test_train_reduces_the_loss_and_leaves_X_unchanged():
    X = _digits()
    X0 = X.copy()
    params, history = ae.train(X, 16, epochs=8, batch_size=32, lr_schedule=lambda e: 0.02, seed=0)
    np.testing.assert_array_equal(X, X0)
    assert history[-1] < 0.5 * history[0]
    assert all(b <= a * 1.05 for a, b in zip(history, history[1:]))
    # history is the per-epoch mean training loss, close to the loss after training
    final = ae.loss(ae.forward(params, X)[0], X)
    assert 0.7 * history[-1] < final < 1.1 * history[-1]


def test_train_history_is_the_sample_weighted_mean_of_batch_losses():
    X = _digits(10)  # batches of 4, 4 and 2 rows
    lr = 0.0  # parameters never move, so every batch loss is the initial model's loss
    params, history = ae.train(X, 5, epochs=1, batch_size=4, lr_schedule=lambda e: lr, seed=0)
    assert np.isclose(history[0], ae.loss(ae.forward(params, X)[0], X), rtol=1e-13)


@pytest.mark.slow
def test_reference_training_passes_the_calibrated_bound_at_calibration_draw_0():
    from graders.assignments.autoencoder_numpy import calibrate
    from graders.assignments.autoencoder_numpy.thresholds import CHECK, declared

    bound = declared()[CHECK].for_dataset("digits")
    value, cpu = calibrate.held_out_mse(ae.train, 0)
    assert bound.passes(value), (value, bound.describe())
    assert np.isclose(value, bound.reference_values[bound.seeds.index(0)], rtol=1e-6)
    assert cpu < bound.cpu_budget_s
    assert value < calibrate.baseline_mse() / 5
