"""gradcheck: six evaluations for a right gradient, precise feedback for a wrong one,
and the same verdicts as torch.autograd.gradcheck on clear cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graders.engine.checks import CheckFailed
from graders.engine.common import away_from
from graders.engine.gradcheck import LOCALISE_ENTRIES, assert_gradient, check_gradient, describe_spread

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((6, 4))
W0 = RNG.standard_normal((4, 4))


class Counted:
    """f(params) = sum((X W)^2), counting its evaluations."""

    def __init__(self, X):
        self.X, self.calls = X, 0

    def __call__(self, p):
        self.calls += 1
        return float(np.sum((self.X @ p["W"]) ** 2))

    def grad(self, W):
        return 2 * self.X.T @ (self.X @ W)


def _one_wrong(G, idx=(1, 2), by=0.5):
    G = G.copy()
    G[idx] += by
    return G


def test_right_gradient_passes_with_exactly_six_evaluations():
    f = Counted(X)
    verdict = check_gradient(f, {"W": W0}, "W", f.grad(W0), rng=np.random.default_rng(0))
    assert verdict.ok
    assert verdict.evaluations == 6 == f.calls
    assert len(verdict.probes) == 3


def test_six_evaluations_whatever_the_tensor_size():
    Xb = RNG.standard_normal((10, 50))
    Wb = RNG.standard_normal((50, 40))
    f = Counted(Xb)
    assert check_gradient(f, {"W": Wb}, "W", f.grad(Wb), rng=np.random.default_rng(0)).ok
    assert f.calls == 6


def test_assert_gradient_returns_the_verdict_when_right():
    f = Counted(X)
    verdict = assert_gradient(f, {"W": W0}, "W", f.grad(W0), "loss", rng=np.random.default_rng(0))
    assert verdict.ok and verdict.worst == []


def test_only_the_named_tensor_is_perturbed():
    b = RNG.standard_normal(4)
    seen = []

    def f(p):
        seen.append(p["b"])
        return float(np.sum((X @ p["W"] + p["b"]) ** 2))

    G = 2 * X.T @ (X @ W0 + b)
    assert check_gradient(f, {"W": W0, "b": b}, "W", G, rng=np.random.default_rng(0)).ok
    assert all(s is b for s in seen)


@pytest.mark.parametrize("wrong, slip_words", [
    (lambda G: 2 * G, "factor of 2"),
    (lambda G: 0.5 * G, "half"),
    (lambda G: -G, "sign"),
    (lambda G: G.T, "transpose"),
    (lambda G: np.zeros_like(G), "all zeros"),
    (lambda G: 6 * G, "batch size"),
])
def test_wrong_gradient_fails_and_names_the_slip(wrong, slip_words):
    f = Counted(X)
    with pytest.raises(CheckFailed) as info:
        assert_gradient(f, {"W": W0}, "W", wrong(f.grad(W0)), "layer: gradient of W",
                        rng=np.random.default_rng(0), batch_size=6)
    exc = info.value
    assert exc.summary.startswith("layer: gradient of W: your gradient of 'W' does not match")
    assert slip_words in exc.slip
    assert "Directional derivatives along random directions" in exc.diff
    assert "Worst entries (index: yours vs numeric)" in exc.diff


def test_one_wrong_entry_is_localised_to_its_index():
    f = Counted(X)
    G = f.grad(W0)
    with pytest.raises(CheckFailed) as info:
        assert_gradient(f, {"W": W0}, "W", _one_wrong(G), "loss", rng=np.random.default_rng(0))
    exc = info.value
    assert "1 of 16 entries checked are wrong" in exc.diff
    assert exc.expected == f"{G[1, 2]:.8g} at index (1, 2)"
    assert exc.got == f"{G[1, 2] + 0.5:.8g}"
    assert "(1, 2):" in exc.diff.splitlines()[2]  # the first of the worst entries
    assert "only some entries are wrong" in exc.slip


def test_failed_small_tensor_is_checked_entry_by_entry():
    f = Counted(X)
    verdict = check_gradient(f, {"W": W0}, "W", 2 * f.grad(W0), rng=np.random.default_rng(0))
    assert not verdict.ok
    assert verdict.checked == 16 and verdict.mismatched == 16
    assert verdict.evaluations == 6 + 2 * 16 == f.calls
    assert len(verdict.worst) == 3


def test_larger_tensor_is_localised_on_a_sample():
    Xb = RNG.standard_normal((8, 20))
    Wb = RNG.standard_normal((20, 10))
    f = Counted(Xb)
    G = f.grad(Wb)
    G[:, 3] *= 2  # one wrong column
    verdict = check_gradient(f, {"W": Wb}, "W", G, rng=np.random.default_rng(0))
    assert not verdict.ok
    assert verdict.checked == LOCALISE_ENTRIES < Wb.size
    assert verdict.evaluations == 6 + 2 * LOCALISE_ENTRIES == f.calls
    assert 0 < verdict.mismatched < verdict.checked
    assert all(idx[1] == 3 for idx, _, _ in verdict.worst[:verdict.mismatched])


def test_larger_tensor_sample_still_names_a_constant_factor():
    Xb = RNG.standard_normal((8, 20))
    Wb = RNG.standard_normal((20, 10))
    f = Counted(Xb)
    verdict = check_gradient(f, {"W": Wb}, "W", 2 * f.grad(Wb), rng=np.random.default_rng(0))
    assert "factor of 2" in verdict.slip


def test_known_wrong_gradient_names_that_slip():
    f = Counted(X)
    G = f.grad(W0)
    wrong = X.T @ (X @ W0)  # forgot the 2 of d(x^2)/dx
    with pytest.raises(CheckFailed) as info:
        assert_gradient(f, {"W": W0}, "W", wrong, "loss", rng=np.random.default_rng(0),
                        known={"the 2 of d(x**2)/dx forgotten": wrong, "other": G + 1})
    assert info.value.slip == "the 2 of d(x**2)/dx forgotten"


def test_context_is_passed_to_the_feedback():
    f = Counted(X)
    with pytest.raises(CheckFailed) as info:
        assert_gradient(f, {"W": W0}, "W", 2 * f.grad(W0), "loss", rng=np.random.default_rng(0),
                        context="Inputs: X = ...")
    assert info.value.details == "Inputs: X = ..."


def test_verdict_is_the_same_for_the_same_rng_seed():
    f = Counted(X)
    G = _one_wrong(f.grad(W0))
    a = check_gradient(f, {"W": W0}, "W", G, rng=np.random.default_rng(5))
    b = check_gradient(f, {"W": W0}, "W", G, rng=np.random.default_rng(5))
    assert a.probes == b.probes and a.worst == b.worst


@pytest.mark.parametrize("shape", [(4, 1), (4,)])
def test_wrongly_shaped_gradient_raises_check_failed(shape):
    f = Counted(X)
    with pytest.raises(CheckFailed):
        assert_gradient(f, {"W": W0}, "W", np.ones(shape), "loss", rng=np.random.default_rng(0))


def test_away_from_keeps_every_sample_away_from_the_kinks():
    x = away_from(np.random.default_rng(0), (50, 50), -3.0, 3.0, kinks=(-2.5, 0.0, 2.5), margin=1e-2)
    assert x.shape == (50, 50) and x.dtype == np.float64
    assert np.all((x >= -3.0) & (x <= 3.0))
    for k in (-2.5, 0.0, 2.5):
        assert np.min(np.abs(x - k)) >= 1e-2


# ------------------------------------------------------------------ agreement with torch


def _functions():
    """(name, f(W) in numpy, f(W) in torch, gradient in numpy) on X, float64."""
    Xt = torch.from_numpy(X)
    return [
        ("sum of squares", lambda W: float(np.sum((X @ W) ** 2)),
         lambda W: ((Xt @ W) ** 2).sum(), lambda W: 2 * X.T @ (X @ W)),
        ("sum of tanh", lambda W: float(np.sum(np.tanh(X @ W))),
         lambda W: torch.tanh(Xt @ W).sum(), lambda W: X.T @ (1 - np.tanh(X @ W) ** 2)),
        ("softplus", lambda W: float(np.sum(np.logaddexp(0, X @ W))),
         lambda W: torch.nn.functional.softplus(Xt @ W).sum(),
         lambda W: X.T @ (1 / (1 + np.exp(-(X @ W))))),
    ]


CANDIDATES = {
    "right": lambda G: G,
    "x2": lambda G: 2 * G,
    "transposed": lambda G: G.T,
    "one wrong entry": lambda G: _one_wrong(G),
    "sign": lambda G: -G,
    "zeros": lambda G: np.zeros_like(G),
}


def _torch_verdict(f_torch, candidate_grad, W) -> bool:
    """torch.autograd.gradcheck of f whose backward returns `candidate_grad(W)`."""

    class F(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w):
            ctx.save_for_backward(w)
            return f_torch(w.detach())

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return g * torch.from_numpy(candidate_grad(w.detach().numpy()))

    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    return torch.autograd.gradcheck(F.apply, (Wt,), raise_exception=False)


@pytest.mark.parametrize("candidate", list(CANDIDATES))
@pytest.mark.parametrize("function", [name for name, *_ in _functions()])
def test_verdict_agrees_with_torch_autograd_gradcheck_in_float64(function, candidate):
    torch.set_num_threads(1)
    _, f_np, f_torch, grad = next(t for t in _functions() if t[0] == function)
    wrong = CANDIDATES[candidate]
    ours = check_gradient(lambda p: f_np(p["W"]), {"W": W0}, "W", wrong(grad(W0)),
                          rng=np.random.default_rng(0)).ok
    theirs = _torch_verdict(f_torch, lambda W: wrong(grad(W)), W0)
    assert ours == theirs == (candidate == "right")


def test_every_entry_off_by_a_varying_factor_is_said_so_and_not_called_partial():
    f = Counted(X)
    G = f.grad(W0)
    factors = np.linspace(1.3, 2.9, G.size).reshape(G.shape)  # no constant ratio
    with pytest.raises(CheckFailed) as info:
        assert_gradient(f, {"W": W0}, "W", G * factors, "loss", rng=np.random.default_rng(0))
    assert "every entry is off, by a factor that varies from entry to entry" in info.value.slip
    assert "only some entries" not in info.value.slip


def test_entries_that_match_only_because_they_are_tiny_do_not_make_the_error_partial():
    numeric = np.array([1.0, -2.0, 1e-12, 3.0])
    mine = numeric * np.array([1.5, 1.7, 1.0, 2.2])
    bad = np.array([True, True, False, True])
    assert describe_spread(mine, numeric, bad, 1e-8).startswith("every entry is off")
    bad_partial = np.array([True, False, False, True])
    mine[1] = numeric[1]
    assert describe_spread(mine, numeric, bad_partial, 1e-8).startswith("only some entries are wrong (2 of 3")
