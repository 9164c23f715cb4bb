"""The gradient checks of `cost` in `sparse_autoencoder`, term by term: with every term on,
and each term alone (beta = 0, lam = 0 for the reconstruction; differences of two calls for
weight decay and sparsity), so the feedback names the wrong term; the tied weight's
gradient (encoder path + decoder path) has a check of its own. The numerical gradients
come from the REFERENCE cost in the grader's process.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.sparse_autoencoder.cost_problems import (
    BETA,
    KEYS,
    LAM,
    RHO,
    N,
    call_cost,
    cost_context,
    cost_problem,
    ref_grads,
    ref_J,
)
from graders.engine.checks import CheckFailed
from graders.engine.gradcheck import assert_gradient
from graders.engine.slips import best_ratio
from reference.numpy import sparse_autoencoder as ref


def _tied_paths(params, X):
    """(encoder path, decoder path) of dW for the reconstruction term alone."""
    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]
    H = ref.sigmoid(X @ W + b_h)
    X_hat = ref.sigmoid(H @ W.T + b_v)
    dZ_v = (X_hat - X) / X.shape[0] * X_hat * (1 - X_hat)
    dZ_h = (dZ_v @ W) * H * (1 - H)
    return X.T @ dZ_h, dZ_v.T @ H


def _tied_known(params, X, extra_W=0.0):
    enc, dec = _tied_paths(params, X)
    return {
        "the tied weight's gradient AVERAGES its two paths, (encoder + decoder) / 2; W is used twice, "
        "so its gradient is their SUM: X.T dZ_h + (H.T dZ_v).T": (enc + dec) / 2 + extra_W,
        "only the encoder path X.T dZ_h: the decoder also uses W (as W.T), add (H.T dZ_v).T": enc + extra_W,
        "only the decoder path (H.T dZ_v).T: the encoder also uses W, add X.T dZ_h": dec + extra_W,
    }


def grads_with_derivatives_at_outputs(params, X, rho, beta, lam, *, hidden: bool) -> dict:
    """cost's gradients when sigmoid'(z) = s(z) (1 - s(z)) is evaluated at a layer's OUTPUT
    (a helper sigmoid_prime(z) called on X_hat, and on H too when `hidden`): every entry is
    then off by a factor that varies from entry to entry."""
    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]
    N = X.shape[0]
    H = ref.sigmoid(X @ W + b_h)
    X_hat = ref.sigmoid(H @ W.T + b_v)
    rho_hat = H.mean(axis=0)
    prime = lambda a: ref.sigmoid(a) * (1 - ref.sigmoid(a))  # noqa: E731
    dZ_v = (X_hat - X) / N * prime(X_hat)
    dH = dZ_v @ W + beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / N
    dZ_h = dH * (prime(H) if hidden else H * (1 - H))
    return {"W": X.T @ dZ_h + dZ_v.T @ H + lam * W, "b_h": dZ_h.sum(axis=0), "b_v": dZ_v.sum(axis=0)}


def derivative_at_output_known(params, X, rho, beta, lam) -> dict[str, dict[str, np.ndarray]]:
    words = {False: "the sigmoid derivative of the output layer is taken at its output: sigmoid'(X_hat) = "
                    "s(X_hat) (1 - s(X_hat)) instead of sigmoid'(z_v) = X_hat (1 - X_hat) (a sigmoid_prime(z) "
                    "helper called on the activation instead of the pre-activation)",
             True: "the sigmoid derivatives are taken at the layers' outputs: sigmoid'(X_hat) and sigmoid'(H) "
                   "instead of X_hat (1 - X_hat) and H (1 - H) (a sigmoid_prime(z) helper called on the "
                   "activations instead of the pre-activations)"}
    out: dict[str, dict[str, np.ndarray]] = {k: {} for k in KEYS}
    for hidden, text in words.items():
        for k, v in grads_with_derivatives_at_outputs(params, X, rho, beta, lam, hidden=hidden).items():
            out[k][text] = v
    return out


def _gradient_check(ctx, f, params, X, grads, what, context, known_by_key=None):
    for key in KEYS:
        assert_gradient(f, params, key, grads[key], what, rng=ctx.rng, batch_size=N, context=context,
                        known=(known_by_key or {}).get(key))


def check_cost_gradient_all_terms(ctx):
    params, X = cost_problem(ctx.rng)
    _, grads = call_cost(ctx, params, X, RHO, BETA, LAM)
    kl = {k: ref_grads(params, X, RHO, BETA, 0.0)[k] - ref_grads(params, X, RHO, 0.0, 0.0)[k] for k in KEYS}
    full = ref_grads(params, X, RHO, BETA, LAM)
    known = derivative_at_output_known(params, X, RHO, BETA, LAM)
    known["W"].update({"the weight decay gradient lam * W is missing": full["W"] - LAM * params["W"],
                       "the sparsity (KL) gradient is missing": full["W"] - kl["W"]})
    known["b_h"]["the sparsity (KL) gradient is missing"] = full["b_h"] - kl["b_h"]
    _gradient_check(ctx, lambda p: ref_J(p, X, RHO, BETA, LAM), params, X, grads,
                    "cost(...) with every term on", cost_context(params, X, RHO, BETA, LAM), known)


def _sparsity_leak(params, X, analytic_rec):
    """If analytic_rec = reconstruction gradient + c * (KL gradient at beta=1), c != 0: c."""
    rec = ref_grads(params, X, RHO, 0.0, 0.0)
    kl1 = {k: ref_grads(params, X, RHO, 1.0, 0.0)[k] - rec[k] for k in KEYS}
    resid = np.concatenate([(analytic_rec[k] - rec[k]).ravel() for k in ("W", "b_h")])
    basis = np.concatenate([kl1[k].ravel() for k in ("W", "b_h")])
    if np.max(np.abs(resid)) < 1e-9 or np.max(np.abs(analytic_rec["b_v"] - rec["b_v"])) > 1e-8:
        return None
    c = best_ratio(resid, basis)
    return c if c is not None and abs(c) > 1e-6 else None


def _reconstruction_known(params, X):
    known = derivative_at_output_known(params, X, RHO, 0.0, 0.0)
    known["W"].update(_tied_known(params, X))
    return known


def check_cost_gradient_reconstruction(ctx):
    params, X = cost_problem(ctx.rng)
    _, grads = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    try:
        _gradient_check(ctx, lambda p: ref_J(p, X, RHO, 0.0, 0.0), params, X, grads,
                        "cost(..., beta=0, lam=0), the reconstruction term alone",
                        cost_context(params, X, RHO, 0.0, 0.0), _reconstruction_known(params, X))
    except CheckFailed as exc:
        c = _sparsity_leak(params, X, grads)
        if c is not None:
            exc.slip = (f"with beta=0 your gradient still has a sparsity part ({c:.4g} times the KL "
                        "gradient at beta = 1): the KL term's gradient must be multiplied by beta, "
                        "so that it vanishes when beta = 0.")
        raise


def check_cost_gradient_weight_decay(ctx):
    params, X = cost_problem(ctx.rng)
    _, g0 = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    _, g1 = call_cost(ctx, params, X, RHO, 0.0, LAM)
    diff = {k: g1[k] - g0[k] for k in KEYS}
    known = {"W": {"2 lam W: the derivative of lam/2 sum W**2 is lam W": 2 * LAM * params["W"],
                   "the weight-decay gradient is missing (lam * W)": np.zeros_like(params["W"])},
             "b_h": {"the biases are decayed too: weight decay applies to W only": LAM * params["b_h"]},
             "b_v": {"the biases are decayed too: weight decay applies to W only": LAM * params["b_v"]}}
    _gradient_check(ctx, lambda p: LAM / 2 * float(np.sum(p["W"] ** 2)), params, X, diff,
                    f"the weight-decay term: grads(lam={LAM:g}) - grads(lam=0), beta = 0",
                    cost_context(params, X, RHO, 0.0, LAM), known)


def check_cost_gradient_sparsity(ctx):
    params, X = cost_problem(ctx.rng)
    _, g0 = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    _, g1 = call_cost(ctx, params, X, RHO, BETA, 0.0)
    diff = {k: g1[k] - g0[k] for k in KEYS}
    c = _sparsity_leak(params, X, g0)
    if c is not None:
        raise CheckFailed(
            "Your sparsity gradient does not scale with beta.",
            expected="grads(beta) - grads(beta=0) = the gradient of beta * sum_j KL(rho || rho_hat_j)",
            got=f"with beta=0 your gradient still has a sparsity part ({c:.4g} times the KL gradient at beta = 1)",
            slip="the KL gradient beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / N is missing its "
                 "factor beta.", details=cost_context(params, X, RHO, BETA, 0.0))
    f = lambda p: ref_J(p, X, RHO, BETA, 0.0) - ref_J(p, X, RHO, 0.0, 0.0)  # noqa: E731
    kl = {k: ref_grads(params, X, RHO, BETA, 0.0)[k] - ref_grads(params, X, RHO, 0.0, 0.0)[k] for k in KEYS}
    known = {k: {"the sign of the KL gradient is flipped: d/d rho_hat of KL(rho || rho_hat) is "
                 "-rho / rho_hat + (1 - rho) / (1 - rho_hat)": -kl[k],
                 f"{N} times too large, the batch size: rho_hat is a MEAN over the batch, so each "
                 "sample gets 1/N of d KL / d rho_hat": N * kl[k],
                 "the KL gradient is not multiplied by beta": kl[k] / BETA} for k in ("W", "b_h")}
    _gradient_check(ctx, f, params, X, diff,
                    f"the sparsity term: grads(beta={BETA:g}) - grads(beta=0), lam = 0",
                    cost_context(params, X, RHO, BETA, 0.0), known)


def check_cost_tied_weight(ctx):
    """dJ/dW of the reconstruction term: encoder path + decoder path."""
    params, X = cost_problem(ctx.rng)
    _, grads = call_cost(ctx, params, X, RHO, 0.0, 0.0)
    enc, dec = _tied_paths(params, X)
    try:
        assert_gradient(lambda p: ref_J(p, X, RHO, 0.0, 0.0), params, "W", grads["W"],
                        "cost(..., beta=0, lam=0): the tied weight W", rng=ctx.rng, batch_size=N,
                        context=cost_context(params, X, RHO, 0.0, 0.0), known=_tied_known(params, X))
    except CheckFailed as exc:
        if exc.slip is None or not exc.slip.startswith(("the tied", "only the")):
            exc.slip = ((exc.slip + " ") if exc.slip else "") + (
                "Remember that W is used twice (X W in the encoder, H W.T in the decoder): its gradient "
                "is the SUM of the encoder path X.T dZ_h and the decoder path (H.T dZ_v).T, not their average.")
        exc.details = (exc.details or "") + (
            f"\nFor reference, at index (0, 0): encoder path {enc[0, 0]:.6g}, decoder path {dec[0, 0]:.6g}, "
            f"their sum {enc[0, 0] + dec[0, 0]:.6g}; yours {grads['W'][0, 0]:.6g}.")
        raise
