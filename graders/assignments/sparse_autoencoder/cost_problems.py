"""Shared pieces of the `cost` checks of `sparse_autoencoder`: the problems, calling the
submission's cost, and the reference's cost (numerical gradients always come from the
REFERENCE cost in the grader's process).
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.arguments import copy_params
from graders.engine.compare import fmt
from reference.numpy import sparse_autoencoder as ref

KEYS = ("W", "b_h", "b_v")

# the cost problems: small enough for per-entry gradient localisation, rho_hat well inside (0, 1)
N, D, K = 9, 8, 5
RHO, BETA, LAM = 0.1, 3.0, 0.05


def cost_problem(rng):
    params = {"W": rng.normal(0, 0.7, size=(D, K)), "b_h": rng.normal(0, 0.5, size=K),
              "b_v": rng.normal(0, 0.5, size=D)}
    X = rng.uniform(0.1, 0.9, size=(N, D))
    return params, X


def call_cost(ctx, params, X, rho, beta, lam):
    what = f"cost(params, X, rho={rho:g}, beta={beta:g}, lam={lam:g})"
    J, grads = expect.sequence(ctx.call("cost", copy_params(params), X, rho, beta, lam), what, 2)
    J = expect.scalar(J, f"{what} J")
    grads = expect.array_dict(grads, f"{what} grads", {k: v.shape for k, v in params.items()})
    return J, grads


def ref_J(params, X, rho, beta, lam):
    with np.errstate(all="ignore"):
        return ref.cost(params, X, rho, beta, lam)[0]


def ref_grads(params, X, rho, beta, lam):
    return ref.cost(params, X, rho, beta, lam)[1]


def cost_context(params, X, rho, beta, lam):
    return (f"Inputs: X of shape {X.shape} (values in [0.1, 0.9]), W of shape {params['W'].shape}, "
            f"rho = {rho:g}, beta = {beta:g}, lam = {lam:g}; W[0] = {fmt(params['W'][0])}.")
