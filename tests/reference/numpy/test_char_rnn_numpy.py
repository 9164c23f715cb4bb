"""Tests of the char_rnn_numpy reference: gradients vs torch float64, clipping, sampling,
training, and (slow) the calibrated Faust threshold."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
PATH = REPO / "reference" / "numpy" / "char_rnn_numpy.py"
KEYS = ("Wxh", "Whh", "Why", "bh", "by")


def _load():
    spec = importlib.util.spec_from_file_location("char_rnn_numpy_ref", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


m = _load()


def _problem(V=7, H=6, T=10, seed=0, scale=0.5):
    """Random params large enough that every path matters (not the 0.01 init)."""
    rng = np.random.default_rng(seed)
    params = {
        "Wxh": rng.standard_normal((V, H)) * scale,
        "Whh": rng.standard_normal((H, H)) * scale,
        "Why": rng.standard_normal((H, V)) * scale,
        "bh": rng.standard_normal(H) * scale,
        "by": rng.standard_normal(V) * scale,
    }
    inputs = [int(i) for i in rng.integers(0, V, T)]
    targets = [int(i) for i in rng.integers(0, V, T)]
    h_prev = rng.standard_normal(H) * 0.8
    return params, inputs, targets, h_prev


def _torch_loss(params, inputs, targets, h_prev):
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    h0 = torch.tensor(h_prev, dtype=torch.float64, requires_grad=True)
    V = params["Wxh"].shape[0]
    h = h0
    loss = torch.zeros((), dtype=torch.float64)
    for x, y in zip(inputs, targets):
        xt = torch.nn.functional.one_hot(torch.tensor(x), V).double()
        h = torch.tanh(xt @ tp["Wxh"] + h @ tp["Whh"] + tp["bh"])
        logits = h @ tp["Why"] + tp["by"]
        loss = loss - torch.log_softmax(logits, dim=0)[y]
    loss.backward()
    return loss.item(), {k: t.grad.numpy() for k, t in tp.items()}, h.detach().numpy(), h0.grad.numpy()


def test_init_params_shapes_scale_and_determinism():
    p = m.init_params(5, 4, seed=3)
    shapes = {"Wxh": (5, 4), "Whh": (4, 4), "Why": (4, 5), "bh": (4,), "by": (5,)}
    assert {k: v.shape for k, v in p.items()} == shapes
    assert all(v.dtype == np.float64 for v in p.values())
    assert not p["bh"].any() and not p["by"].any()
    assert 0 < np.abs(p["Whh"]).max() < 0.1
    q = m.init_params(5, 4, seed=3)
    assert all(np.array_equal(p[k], q[k]) for k in KEYS)
    assert not np.array_equal(p["Wxh"], m.init_params(5, 4, seed=4)["Wxh"])


@pytest.mark.parametrize("seed,T", [(0, 8), (1, 12), (2, 20)])
def test_loss_and_grads_match_torch_autograd_in_float64(seed, T):
    params, inputs, targets, h_prev = _problem(T=T, seed=seed)
    loss, grads, h_last = m.loss_and_grads(params, inputs, targets, h_prev)
    t_loss, t_grads, t_h, _ = _torch_loss(params, inputs, targets, h_prev)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for k in KEYS:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], t_grads[k], rtol=1e-9, atol=1e-11, err_msg=k)
    np.testing.assert_allclose(h_last, t_h, rtol=1e-12, atol=1e-14)


def test_gradients_flow_through_h_prev_and_across_time():
    """The loss depends on h_prev only through the recurrence, so a finite difference in
    h_prev matches torch's dL/dh_prev, and the first step's Whh gradient uses h_prev."""
    params, inputs, targets, h_prev = _problem(T=9, seed=5)
    _, _, _, dh_prev = _torch_loss(params, inputs, targets, h_prev)
    assert np.abs(dh_prev).max() > 1e-3  # the late outputs still reach h_prev
    eps = 1e-6
    for j in range(len(h_prev)):
        d = np.zeros_like(h_prev)
        d[j] = eps
        num = (m.loss_and_grads(params, inputs, targets, h_prev + d)[0]
               - m.loss_and_grads(params, inputs, targets, h_prev - d)[0]) / (2 * eps)
        assert num == pytest.approx(dh_prev[j], rel=1e-5, abs=1e-8)
    # A different h_prev changes the Whh gradient (its first step uses h_prev).
    g1 = m.loss_and_grads(params, inputs, targets, h_prev)[1]["Whh"]
    g2 = m.loss_and_grads(params, inputs, targets, np.zeros_like(h_prev))[1]["Whh"]
    assert not np.allclose(g1, g2)


def test_loss_is_a_sum_over_time_steps():
    params, inputs, targets, h_prev = _problem(T=8, seed=7)
    loss, _, h1 = m.loss_and_grads(params, inputs[:4], targets[:4], h_prev)
    loss2, _, _ = m.loss_and_grads(params, inputs[4:], targets[4:], h1)
    total, _, _ = m.loss_and_grads(params, inputs, targets, h_prev)
    assert total == pytest.approx(loss + loss2, rel=1e-12)


def test_loss_and_grads_does_not_modify_inputs_and_is_not_clipped():
    params, inputs, targets, h_prev = _problem(T=10, seed=2, scale=3.0)
    before = {k: v.copy() for k, v in params.items()}
    h_before = h_prev.copy()
    _, grads, _ = m.loss_and_grads(params, inputs, targets, h_prev)
    assert all(np.array_equal(before[k], params[k]) for k in KEYS)
    assert np.array_equal(h_before, h_prev)
    assert max(np.abs(g).max() for g in grads.values()) > 5.0  # large grads left as they are


def test_clip_grads_clips_in_place_and_returns_none():
    g = {"a": np.array([-7.0, -1.0, 0.5, 9.0]), "b": np.array([[6.0, -5.5]])}
    a = g["a"]
    assert m.clip_grads(g, limit=5.0) is None
    assert g["a"] is a
    np.testing.assert_array_equal(a, [-5.0, -1.0, 0.5, 5.0])
    np.testing.assert_array_equal(g["b"], [[5.0, -5.0]])
    m.clip_grads(g, limit=0.7)
    np.testing.assert_array_equal(g["a"], [-0.7, -0.7, 0.5, 0.7])


def test_sample_is_deterministic_and_does_not_modify_h():
    params, _, _, h = _problem(seed=3)
    h0 = h.copy()
    a = m.sample(params, h, 2, 30, seed=11)
    assert a == m.sample(params, h, 2, 30, seed=11)
    assert np.array_equal(h, h0)
    assert len(a) == 30 and all(isinstance(i, int) and 0 <= i < 7 for i in a)
    assert a != m.sample(params, h, 2, 30, seed=12)


def _step_probs(params, h, ix):
    h = np.tanh(params["Wxh"][ix] + h @ params["Whh"] + params["bh"])
    y = h @ params["Why"] + params["by"]
    p = np.exp(y - y.max())
    return h, p / p.sum()


def test_sample_first_draw_follows_p1_chi_square():
    """Over many seeds the first draw is distributed as p_1 (a chi-square test)."""
    params, _, _, h = _problem(seed=4, scale=0.6)
    _, p1 = _step_probs(params, h, 1)
    n = 3000
    counts = np.bincount([m.sample(params, h, 1, 1, seed=s)[0] for s in range(n)], minlength=7)
    chi2 = float(((counts - n * p1) ** 2 / (n * p1)).sum())
    assert chi2 < 22.46  # chi-square with 6 dof, p = 0.001


def test_sample_feeds_back_each_draw():
    """The second draw follows p_2 computed from the FIRST DRAW as input: the joint
    frequencies of (draw 1, draw 2) match p_1(a) * p_2(b | a)."""
    params, _, _, h = _problem(V=4, H=5, seed=6, scale=1.5)
    h1, p1 = _step_probs(params, h, 0)
    joint = np.array([p1[a] * _step_probs(params, h1, a)[1] for a in range(4)])
    n = 4000
    counts = np.zeros((4, 4))
    for s in range(n):
        a, b = m.sample(params, h, 0, 2, seed=s)
        counts[a, b] += 1
    expected = n * joint
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 37.70  # chi-square with 15 dof, p = 0.001


def test_train_is_deterministic_and_the_loss_falls():
    text = "hello world, hello numpy. " * 3
    p1, hist1 = m.train(text, 16, 10, 0.1, 150, seed=0)
    p2, hist2 = m.train(text, 16, 10, 0.1, 150, seed=0)
    assert len(hist1) == 150
    assert hist1 == hist2 and all(np.array_equal(p1[k], p2[k]) for k in KEYS)
    V = len(set(text))
    assert p1["Wxh"].shape == (V, 16) and p1["by"].shape == (V,)
    assert hist1[0] == pytest.approx(10 * np.log(V), rel=0.01)  # near-uniform start
    assert np.mean(hist1[-10:]) < 0.5 * hist1[0]


def test_train_first_iteration_is_one_clipped_adagrad_step():
    text = "abcabdabe" * 4
    params, hist = m.train(text, 5, 6, 0.05, 1, seed=2)
    chars = sorted(set(text))
    data = [chars.index(c) for c in text]
    p0 = m.init_params(len(chars), 5, 2)
    loss, g, _ = m.loss_and_grads(p0, data[:6], data[1:7], np.zeros(5))
    m.clip_grads(g, 5.0)
    assert hist[0] == pytest.approx(loss, rel=1e-12)
    for k in KEYS:
        expected = p0[k] - 0.05 * g[k] / np.sqrt(g[k] ** 2 + 1e-8)
        np.testing.assert_allclose(params[k], expected, rtol=1e-12, atol=1e-15)


def test_train_pointer_wraps_and_resets_h_like_min_char_rnn():
    """len 12, seq 4: chunks start at 0, 4 (then 8 + 5 >= 12 wraps): iteration 2 equals
    iteration 0's chunk with h reset, so with lr = 0 the losses repeat with period 2."""
    text = "abcdefghijkl"
    _, hist = m.train(text, 4, 4, 0.0, 5, seed=0)
    assert hist[2] == pytest.approx(hist[0], rel=1e-12)
    assert hist[4] == pytest.approx(hist[0], rel=1e-12)
    assert hist[3] == pytest.approx(hist[1], rel=1e-12)


@pytest.mark.slow
def test_calibrated_faust_threshold_passes_for_calibration_draw_0():
    from graders.assignments.char_rnn_numpy.calibrate import run_seed
    from graders.assignments.char_rnn_numpy.thresholds import CHECK, declared

    from threadpoolctl import threadpool_limits

    t = declared()[CHECK].for_dataset("faust")
    with threadpool_limits(limits=1):
        errors = run_seed(0)["errors"]
    assert t.passes(errors)
    assert errors == t.reference_values[t.seeds.index(0)]
