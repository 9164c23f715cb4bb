"""Reference `sparse_autoencoder`: data pipeline properties, the cost and each of its terms
against torch autograd in float64, the tied-weight gradient, and training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference.numpy import sparse_autoencoder as ref

RHO, BETA, LAM = 0.05, 3.0, 1e-3


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def problem(seed=0, N=7, D=6, K=4):
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(scale=0.7, size=(D, K)), "b_h": rng.normal(scale=0.5, size=K),
              "b_v": rng.normal(scale=0.5, size=D)}
    X = rng.uniform(0.1, 0.9, size=(N, D))
    return params, X


def torch_terms(params, X, rho, beta, lam, untied=False):
    """(tensors, dict of the three cost terms) in torch; with untied=True the decoder uses a
    separate copy of W (so its gradient is the decoder path alone)."""
    P = {k: _t(v) for k, v in params.items()}
    if untied:
        P["W_dec"] = _t(params["W"])
    Xt = _t(X, False)
    N = X.shape[0]
    H = torch.sigmoid(Xt @ P["W"] + P["b_h"])
    W_dec = P["W_dec"] if untied else P["W"]
    X_hat = torch.sigmoid(H @ W_dec.T + P["b_v"])
    rho_hat = H.mean(dim=0)
    terms = {
        "reconstruction": ((X_hat - Xt) ** 2).sum() / (2 * N),
        "weight_decay": lam / 2 * (P["W"] ** 2).sum(),
        "sparsity": beta * (rho * torch.log(rho / rho_hat)
                            + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum(),
    }
    return P, terms


def assert_close(got, want, name, tol=1e-10):
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)


# ----------------------------------------------------------------------------- data pipeline
def test_to_grayscale_uses_luminance_weights_and_returns_float64():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(2, 3, 4, 3), dtype=np.uint8)
    gray = ref.to_grayscale(img)
    assert gray.shape == (2, 3, 4) and gray.dtype == np.float64
    f = img.astype(np.float64)
    assert_close(gray, 0.2126 * f[..., 0] + 0.7152 * f[..., 1] + 0.0722 * f[..., 2], "gray", 1e-12)
    assert_close(ref.to_grayscale(f / 255.0), gray / 255.0, "float input", 1e-12)
    for channel, w in enumerate((0.2126, 0.7152, 0.0722)):  # pure red, green, blue
        pure = np.zeros((1, 1, 1, 3))
        pure[..., channel] = 1.0
        assert ref.to_grayscale(pure)[0, 0, 0] == pytest.approx(w, abs=1e-15)


def _numbered_images(N=3, H=9, W=11):
    """Images whose pixels are all distinct, so a patch tells where it came from."""
    return np.arange(N * H * W, dtype=np.float64).reshape(N, H, W)


def _locate(images, patch, p):
    """(k, r, c) such that images[k, r:r+p, c:c+p] is the patch (row-major), or None."""
    k, rem = divmod(int(patch[0]), images.shape[1] * images.shape[2])
    r, c = divmod(rem, images.shape[2])
    if r + p > images.shape[1] or c + p > images.shape[2]:
        return None
    block = images[k, r:r + p, c:c + p].reshape(-1)
    return (k, r, c) if np.array_equal(block, patch) else None


def test_sample_patches_are_contiguous_row_major_blocks_of_one_image():
    images = _numbered_images()
    p = 4
    patches = ref.sample_patches(images, p, 500, seed=3)
    assert patches.shape == (500, 16) and patches.dtype == np.float64
    where = [_locate(images, row, p) for row in patches]
    assert all(w is not None for w in where)
    # Every image, and every feasible top-left corner, is drawn (uniform over positions).
    assert {w[0] for w in where} == {0, 1, 2}
    assert {(w[1], w[2]) for w in where} == {(r, c) for r in range(9 - p + 1) for c in range(11 - p + 1)}


def test_sample_patches_is_reproducible_with_the_seed():
    images = _numbered_images()
    a = ref.sample_patches(images, 3, 50, seed=7)
    assert np.array_equal(a, ref.sample_patches(images, 3, 50, seed=7))
    assert not np.array_equal(a, ref.sample_patches(images, 3, 50, seed=8))


def test_normalize_patches_range_centring_and_mapping():
    rng = np.random.default_rng(1)
    P = rng.normal(size=(200, 16)) * rng.uniform(0.5, 3, size=(200, 1)) + rng.normal(size=(200, 1)) * 10
    out = ref.normalize_patches(P)
    assert out.shape == P.shape and out.dtype == np.float64
    assert out.min() >= 0.1 - 1e-12 and out.max() <= 0.9 + 1e-12
    assert out.min() == pytest.approx(0.1) and out.max() == pytest.approx(0.9)  # clipping happens
    # Per-patch brightness does not matter.
    assert_close(ref.normalize_patches(P + rng.normal(size=(200, 1)) * 50), out, "shifted", 1e-9)
    # The explicit map: centred value v -> 0.5 + 0.4 * clip(v / s, -1, 1).
    C = P - P.mean(axis=1, keepdims=True)
    s = 3 * C.std()
    assert_close(out, 0.5 + 0.4 * np.clip(C / s, -1, 1), "mapping", 1e-12)
    # A patch whose values are within +-s keeps its own mean at 0.5.
    inside = np.all(np.abs(C) < s, axis=1)
    assert inside.any()
    assert_close(out[inside].mean(axis=1), 0.5, "means", 1e-12)


def test_normalize_patches_does_not_modify_its_input():
    P = np.random.default_rng(2).normal(size=(5, 4))
    Q = P.copy()
    ref.normalize_patches(P)
    assert np.array_equal(P, Q)


def test_init_params_shapes_range_and_reproducibility():
    p = ref.init_params(64, 25, seed=0)
    assert p["W"].shape == (64, 25) and p["b_h"].shape == (25,) and p["b_v"].shape == (64,)
    r = np.sqrt(6 / (64 + 25 + 1))
    assert np.abs(p["W"]).max() <= r and np.abs(p["W"]).max() > 0.9 * r
    assert abs(p["W"].mean()) < 0.05 * r
    assert not p["b_h"].any() and not p["b_v"].any()
    assert all(np.array_equal(p[k], ref.init_params(64, 25, 0)[k]) for k in p)
    assert not np.array_equal(p["W"], ref.init_params(64, 25, 1)["W"])


# ----------------------------------------------------------------------------- cost
@pytest.mark.parametrize("seed", [0, 1])
def test_cost_and_gradient_match_torch_autograd_in_float64(seed):
    params, X = problem(seed)
    J, grads = ref.cost(params, X, RHO, BETA, LAM)
    P, terms = torch_terms(params, X, RHO, BETA, LAM)
    total = sum(terms.values())
    total.backward()
    assert J == pytest.approx(total.item(), rel=1e-12)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape
        assert_close(grads[k], P[k].grad.numpy(), k)


@pytest.mark.parametrize("term", ["reconstruction", "weight_decay", "sparsity"])
def test_each_cost_term_alone_matches_torch_autograd(term):
    """Each term isolated through the contract's arguments: reconstruction alone is
    cost(beta=0, lam=0); weight decay is cost(lam) - cost(lam=0); sparsity likewise."""
    params, X = problem(3)
    base_J, base_g = ref.cost(params, X, RHO, 0.0, 0.0)
    if term == "reconstruction":
        J, g = base_J, base_g
    else:
        lam, beta = (LAM, 0.0) if term == "weight_decay" else (0.0, BETA)
        full_J, full_g = ref.cost(params, X, RHO, beta, lam)
        J, g = full_J - base_J, {k: full_g[k] - base_g[k] for k in params}
    P, terms = torch_terms(params, X, RHO, BETA, LAM)
    terms[term].backward()
    assert J == pytest.approx(terms[term].item(), rel=1e-10, abs=1e-14)
    for k in params:
        want = P[k].grad.numpy() if P[k].grad is not None else np.zeros_like(params[k])
        assert_close(g[k], want, f"{term}: {k}")


def test_tied_weight_gradient_is_the_sum_of_encoder_and_decoder_paths():
    params, X = problem(4)
    _, grads = ref.cost(params, X, RHO, BETA, LAM)
    P, terms = torch_terms(params, X, RHO, BETA, LAM, untied=True)
    sum(terms.values()).backward()
    encoder, decoder = P["W"].grad.numpy(), P["W_dec"].grad.numpy()  # encoder includes lam W
    assert_close(grads["W"], encoder + decoder, "sum of paths")
    averaged = (encoder + decoder) / 2
    assert np.max(np.abs(grads["W"] - averaged)) > 1e-3


def test_sparsity_term_is_zero_at_target_and_positive_elsewhere():
    rng = np.random.default_rng(5)
    X = rng.uniform(size=(10, 6))
    logit = np.log(RHO / (1 - RHO))
    at_target = {"W": np.zeros((6, 4)), "b_h": np.full(4, logit), "b_v": rng.normal(size=6)}
    J0, g0 = ref.cost(at_target, X, RHO, 0.0, 0.0)
    J1, g1 = ref.cost(at_target, X, RHO, BETA, 0.0)
    assert J1 - J0 == pytest.approx(0.0, abs=1e-12)
    assert_close(g1["b_h"], g0["b_h"], "KL gradient vanishes at rho_hat = rho", 1e-12)
    for shift in (-1.0, 0.5, 2.0):
        off = dict(at_target, b_h=np.full(4, logit + shift))
        assert ref.cost(off, X, RHO, BETA, 0.0)[0] > ref.cost(off, X, RHO, 0.0, 0.0)[0] + 1e-6


def test_cost_does_not_modify_its_inputs():
    params, X = problem(6)
    copies = ({k: v.copy() for k, v in params.items()}, X.copy())
    ref.cost(params, X, RHO, BETA, LAM)
    assert all(np.array_equal(params[k], copies[0][k]) for k in params)
    assert np.array_equal(X, copies[1])


# ----------------------------------------------------------------------------- train
def test_train_decreases_the_cost_and_is_reproducible():
    X = np.random.default_rng(7).uniform(0.1, 0.9, size=(200, 16))
    params, history = ref.train(X, 5, RHO, BETA, LAM, 0.05, 60, seed=1)
    assert len(history) == 60 and all(np.isfinite(history))
    assert history[-1] < 0.2 * history[0]
    assert ref.cost(params, X, RHO, BETA, LAM)[0] < history[0]
    assert {k: v.shape for k, v in params.items()} == {"W": (16, 5), "b_h": (5,), "b_v": (16,)}
    again, history2 = ref.train(X, 5, RHO, BETA, LAM, 0.05, 60, seed=1)
    assert history == history2 and all(np.array_equal(params[k], again[k]) for k in params)
    assert history[0] == pytest.approx(ref.cost(ref.init_params(16, 5, 1), X, RHO, BETA, LAM)[0])


def test_train_first_step_is_an_adam_step():
    """Adam's bias-corrected first step moves every parameter by lr * g / (|g| + eps), i.e.
    by almost exactly lr against the sign of its gradient (plain gradient steps do not)."""
    X = np.random.default_rng(8).uniform(0.1, 0.9, size=(50, 9))
    lr = 0.01
    start = ref.init_params(9, 4, seed=2)
    _, grads = ref.cost(start, X, RHO, BETA, LAM)
    params, history = ref.train(X, 4, RHO, BETA, LAM, lr, 1, seed=2)
    for k in params:
        g = grads[k]
        big = np.abs(g) > 1e-5  # where eps (wherever a submission puts it) is negligible
        assert big.mean() > 0.5, k
        np.testing.assert_allclose(params[k][big] - start[k][big], -lr * np.sign(g[big]), rtol=1e-5, err_msg=k)


@pytest.mark.slow
def test_calibrated_threshold_passes_for_the_reference_at_calibration_draw_0():
    from graders.assignments.sparse_autoencoder.calibrate import held_out_cost
    from graders.assignments.sparse_autoencoder.thresholds import CHECK, declared

    t = declared()[CHECK].for_dataset("sample_photos")
    value, cpu, untrained = held_out_cost(ref.train, 0)
    assert t.passes(value), (value, t.describe())
    assert not t.passes(untrained)
    assert cpu < t.cpu_budget_s
