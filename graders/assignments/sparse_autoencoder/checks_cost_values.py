"""The value checks of `cost` in `sparse_autoencoder`, term by term: J with every term on,
and each term alone (beta = 0, lam = 0 for the reconstruction; differences of two calls for
weight decay and sparsity), so the feedback names the wrong term; and the KL term's
properties (0 at rho_hat = rho, positive elsewhere) with Hypothesis.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.assignments.sparse_autoencoder.cost_problems import (
    BETA,
    LAM,
    RHO,
    D,
    N,
    call_cost,
    cost_context,
    cost_problem,
    ref_J,
)
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_scalar_close, fmt
from graders.engine.properties import check_property, floats_array
from reference.numpy import sparse_autoencoder as ref


def _ref_terms(params, X, rho):
    """(reconstruction, sum of W**2 / 2, sum_j KL(rho || rho_hat_j)) and the pieces slips need."""
    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]
    H = ref.sigmoid(X @ W + b_h)
    X_hat = ref.sigmoid(H @ W.T + b_v)
    q = H.mean(axis=0)
    return {
        "rec": 0.5 / X.shape[0] * np.sum((X_hat - X) ** 2),
        "wd": 0.5 * np.sum(W**2),
        "kl": np.sum(rho * np.log(rho / q) + (1 - rho) * np.log((1 - rho) / (1 - q))),
        "kl_first_part": np.sum(rho * np.log(rho / q)),
        "kl_swapped": np.sum(q * np.log(q / rho) + (1 - q) * np.log((1 - q) / (1 - rho))),
        "sq": np.sum((X_hat - X) ** 2),
    }


def _named_value(got, expected, variants, what, context):
    """assert_scalar_close, naming the slip when `got` equals a known wrong value."""
    tol = 1e-5 * abs(expected) + 1e-8
    if abs(got - expected) <= tol:
        return
    for words, value in variants.items():
        if abs(got - value) <= 1e-6 * abs(value) + 1e-9:
            raise CheckFailed(f"{what} is {got:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                              got=f"{got:.10g}", diff=f"absolute difference {abs(got - expected):.4g}",
                              slip=words, details=context)
    assert_scalar_close(got, expected, what, batch_size=N, context=context)


def check_cost_value_all_terms(ctx):
    params, X = cost_problem(ctx.rng)
    J, _ = call_cost(ctx, params, X, RHO, BETA, LAM)
    t = _ref_terms(params, X, RHO)
    expected = ref_J(params, X, RHO, BETA, LAM)
    variants = {
        "the weight decay term without its 1/2 (lam/2 * sum W**2)": t["rec"] + LAM * 2 * t["wd"] + BETA * t["kl"],
        "the sparsity term is missing": t["rec"] + LAM * t["wd"],
        "the weight decay term is missing": t["rec"] + BETA * t["kl"],
        "the sparsity term without beta": t["rec"] + LAM * t["wd"] + t["kl"],
    }
    _named_value(J, expected, variants, "cost(...) J with every term on", cost_context(params, X, RHO, BETA, LAM))


def check_cost_value_reconstruction(ctx):
    params, X = cost_problem(ctx.rng)
    J, _ = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    t = _ref_terms(params, X, RHO)
    variants = {
        "the mean over all N*D entries instead of 1/(2N) times the sum over them": t["sq"] / (2 * X.size),
        "the mean over all N*D entries without the 1/2": t["sq"] / X.size,
        "1/N sum (X_hat - X)**2 without the 1/2": t["sq"] / X.shape[0],
        "the sum over the batch without 1/(2N)": t["sq"],
        "with beta = 0 your J still contains the sparsity term (beta does not multiply it)": t["rec"] + t["kl"],
    }
    _named_value(J, t["rec"], variants, "cost(..., beta=0, lam=0) J (the reconstruction term alone)",
                 cost_context(params, X, RHO, 0.0, 0.0))


def check_cost_value_weight_decay(ctx):
    params, X = cost_problem(ctx.rng)
    J0, _ = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    J1, _ = call_cost(ctx, params, X, RHO, 0.0, LAM)
    t = _ref_terms(params, X, RHO)
    b2 = float(np.sum(params["b_h"] ** 2) + np.sum(params["b_v"] ** 2))
    variants = {
        "lam * sum W**2 without the 1/2": LAM * 2 * t["wd"],
        "the biases are decayed too; the contract's weight decay is lam/2 * sum(W**2), W only": LAM * (t["wd"] + b2 / 2),
        "lam * sum |W| (L1) instead of lam/2 * sum W**2": LAM * float(np.sum(np.abs(params["W"]))),
    }
    _named_value(J1 - J0, LAM * t["wd"], variants,
                 f"the weight-decay term, cost(lam={LAM:g}) - cost(lam=0) with beta = 0",
                 cost_context(params, X, RHO, 0.0, LAM))


def check_cost_value_sparsity(ctx):
    params, X = cost_problem(ctx.rng)
    J0, _ = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    J1, _ = call_cost(ctx, params, X, RHO, BETA, 0.0)
    t = _ref_terms(params, X, RHO)
    variants = {
        "only rho log(rho / rho_hat): the (1 - rho) log((1 - rho) / (1 - rho_hat)) part of the KL "
        "divergence is missing": BETA * t["kl_first_part"],
        "KL(rho_hat || rho): the arguments of the divergence are swapped": BETA * t["kl_swapped"],
        "the KL sum is not multiplied by beta": t["kl"],
    }
    _named_value(J1 - J0, BETA * t["kl"], variants,
                 f"the sparsity term, cost(beta={BETA:g}) - cost(beta=0) with lam = 0",
                 cost_context(params, X, RHO, BETA, 0.0) + " rho_hat = the mean of H over the batch (axis 0).")


def check_cost_kl_zero_at_target(ctx):
    """KL(rho || rho_hat) summed over units: 0 when every rho_hat_j = rho, positive otherwise."""
    X = ctx.rng.uniform(0.1, 0.9, size=(6, D))

    def sparsity(rho, b_h):
        # W = 0: every sample has H = sigmoid(b_h), so rho_hat = sigmoid(b_h) exactly
        params = {"W": np.zeros((D, b_h.size)), "b_h": b_h, "b_v": np.zeros(D)}
        J1, _ = call_cost(ctx, params, X, rho, 1.0, 0.0)
        J0, _ = call_cost(ctx, params, X, rho, 0.0, 0.0)
        return J1 - J0

    def prop(rho, shift):
        logit = np.log(rho / (1 - rho))
        at_target = sparsity(rho, np.full(shift.size, logit))
        if abs(at_target) > 1e-9:
            raise CheckFailed(
                "The sparsity term is not 0 when every hidden unit's mean activation rho_hat equals rho.",
                expected="cost(beta=1) - cost(beta=0) = 0", got=f"{at_target:.6g}",
                where=f"rho = {rho:.6g}, W = 0, b_h = logit(rho), so rho_hat = rho",
                slip="KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)) "
                     "vanishes at rho_hat = rho; check the logs' arguments.")
        if np.max(np.abs(shift)) < 0.05:
            return
        rho_hat = ref.sigmoid(logit + shift)
        away = sparsity(rho, logit + shift)
        if not away > 1e-12:
            raise CheckFailed(
                "The sparsity term is not positive when some rho_hat_j differs from rho.",
                expected="cost(beta=1) - cost(beta=0) > 0 (a KL divergence)", got=f"{away:.6g}",
                where=f"rho = {rho:.6g}, rho_hat = {fmt(rho_hat)}",
                slip="only part of the Bernoulli KL divergence: both rho log(rho / rho_hat) and "
                     "(1 - rho) log((1 - rho) / (1 - rho_hat)) are needed; alone the first is "
                     "negative for rho_hat > rho.")

    check_property(prop, st.floats(0.02, 0.5), floats_array(st.integers(1, 4), -2.0, 2.0), max_examples=20)
