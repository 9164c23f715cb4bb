"""The checks of `forward` and `loss` in `autoencoder_numpy`: values against the reference
(also at output pre-activations of 1e3), and the loss's properties with Hypothesis."""

from __future__ import annotations

import numpy as np

from graders.assignments.autoencoder_numpy.problems import N, D, call_forward, describe_problem, problem
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, assert_scalar_close, fmt
from graders.engine.properties import check_property, floats_array, matrix_shapes
from reference.numpy import autoencoder_numpy as ref


# ------------------------------------------------------------------ forward


def forward_slips(params, X) -> dict[str, np.ndarray]:
    Z1 = X @ params["W1"] + params["b1"]
    Hr = ref.relu(Z1)
    return {
        "the output bias b2 is not added (Z2 = H W2 + b2)": ref.sigmoid(Hr @ params["W2"]),
        "the hidden bias b1 is not added (Z1 = X W1 + b1)": ref.sigmoid(ref.relu(X @ params["W1"]) @ params["W2"]
                                                                      + params["b2"]),
        "a sigmoid in the hidden layer: the contract's code is H = relu(X W1 + b1)":
            ref.sigmoid(ref.sigmoid(Z1) @ params["W2"] + params["b2"]),
        "no sigmoid on the output: X_hat = sigmoid(H W2 + b2)": Hr @ params["W2"] + params["b2"],
    }


def check_forward_values(ctx):
    params, X = problem(ctx.rng)
    expected, _ = ref.forward(params, X)
    X_hat, _ = call_forward(ctx, params, X)
    assert_close(X_hat, expected, "forward(params, X)[0] (X_hat)", known=forward_slips(params, X),
                 context=describe_problem(params, X))


def check_forward_large_preactivations(ctx):
    """Output pre-activations Z2 of magnitude up to 1e3: X_hat finite, in [0, 1], exact."""
    params, X = problem(ctx.rng, n=3)
    params["W2"] = params["W2"] * 1e-3
    params["b2"] = np.array([-1e3, -750.0, -40.0, 0.5, 40.0, 750.0, 1e3])
    expected, _ = ref.forward(params, X)
    what = "forward(params, X)[0] with output pre-activations up to |Z2| = 1e3"
    X_hat, _ = call_forward(ctx, params, X, what=what)  # validated finite
    if np.any(X_hat < 0) or np.any(X_hat > 1):
        raise CheckFailed(f"{what} left [0, 1].", got=f"min {X_hat.min():.6g}, max {X_hat.max():.6g}")
    assert_close(X_hat, expected, what,
                 context=f"b2 = {fmt(params['b2'])}; W2 scaled down so that Z2 is close to b2.")


# ------------------------------------------------------------------ loss


def check_loss_value(ctx):
    X_hat = ctx.rng.uniform(0.05, 0.95, size=(N, D))
    X = ctx.rng.uniform(0.0, 1.0, size=(N, D))
    got = expect.scalar(ctx.call("loss", X_hat, X), "loss(X_hat, X)")
    expected = ref.loss(X_hat, X)
    context = f"Inputs: X_hat and X of shape {X.shape}, X_hat = {fmt(X_hat)}"
    known = {
        "the differences are not squared: mean of (X_hat - X)**2, not of X_hat - X": np.mean(X_hat - X),
        "the absolute error (L1), not the squared error": np.mean(np.abs(X_hat - X)),
        "the root of the mean square (RMSE), not the mean square": np.sqrt(expected),
        "the squared error summed over the features and averaged over the rows only: the mean is over "
        "all N * D elements": np.sum((X_hat - X) ** 2) / N,
    }
    for words, wrong in known.items():
        if abs(got - expected) > 1e-8 and abs(got - wrong) <= 1e-9 + 1e-6 * abs(wrong):
            raise CheckFailed(f"loss(X_hat, X) is {got:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                              got=f"{got:.10g}", slip=words, details=context)
    assert_scalar_close(got, expected, "loss(X_hat, X)", batch_size=N, size=N * D, context=context)


def check_loss_zero_at_target(ctx):
    """loss(X, X) = 0 and loss(1 - X, X) >= 0, on shapes and values Hypothesis draws."""
    def prop(X):
        at_target = expect.scalar(ctx.call("loss", X, X.copy()), "loss(X, X)")
        if abs(at_target) > 1e-12:
            raise CheckFailed("loss(X, X) must be 0: the reconstruction equals its target.",
                              expected="0", got=f"{at_target:.6g}")
        other = expect.scalar(ctx.call("loss", 1.0 - X, X), "loss(1 - X, X)")
        if other < 0:
            raise CheckFailed("loss(X_hat, X) is negative; a mean of squares never is.",
                              expected=">= 0", got=f"{other:.6g}",
                              slip="the differences are not squared (mean of X_hat - X).")
    check_property(prop, floats_array(matrix_shapes(), 0.0, 1.0), max_examples=25)
