"""The checks of `backward` in `autoencoder_numpy`: one central-difference gradient check
per parameter tensor, and the arguments left unchanged.

The function differentiated is the REFERENCE loss(forward(params, X)) in the grader's
process; the analytic gradient is the submission's backward(params, cache, X), with the
cache from the submission's own forward (passed back unchanged: plain data travels as
data, any other object as a handle). No hidden pre-activation is within 1e-3 of relu's kink.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.autoencoder_numpy.problems import (
    KEYS,
    call_forward,
    describe_problem,
    first_change,
    problem,
)
from graders.engine import expect
from graders.engine.arguments import as_argument
from graders.engine.checks import CheckFailed
from graders.engine.gradcheck import assert_gradient
from reference.numpy import autoencoder_numpy as ref


def backward_variant(params, X, *, scale=1.0, bias_scale=1.0, sigmoid_derivative="s(1-s)",
                     relu_mask=True, dH_matrix="W2.T") -> dict[str, np.ndarray]:
    """The reference's backward pass, with one of the common slips switched on."""
    X_hat, (Z1, Hr, _) = ref.forward(params, X)
    dX_hat = scale * 2.0 * (X_hat - X) / X.size
    dZ2 = {"s(1-s)": dX_hat * X_hat * (1.0 - X_hat), "none": dX_hat, "s": dX_hat * X_hat}[sigmoid_derivative]
    dH = dZ2 @ (params["W2"].T if dH_matrix == "W2.T" else params["W1"])
    dZ1 = dH * (Z1 > 0) if relu_mask else dH
    return {"W1": X.T @ dZ1, "b1": bias_scale * dZ1.sum(axis=0),
            "W2": Hr.T @ dZ2, "b2": bias_scale * dZ2.sum(axis=0)}


def backward_slips(params, X, key) -> dict[str, np.ndarray]:
    """Common wrong gradients of params[key], by the slip's name, on this input."""
    n, d = X.shape
    slips = {
        "the MSE gradient without 1/size: dX_hat = 2 (X_hat - X) / M with M = X.size = N * D, "
        "the number of elements the loss averages over":
            backward_variant(params, X, scale=X.size),
        f"the MSE gradient divided by N (the batch size) only: the loss averages over all "
        f"N * D elements, so divide by X.size, not X.shape[0] ({d} times too large)":
            backward_variant(params, X, scale=d),
        "the sigmoid derivative is missing: dZ2 = dX_hat * X_hat * (1 - X_hat)":
            backward_variant(params, X, sigmoid_derivative="none"),
        "the sigmoid derivative without (1 - s): dZ2 = dX_hat * s * (1 - s), s = X_hat":
            backward_variant(params, X, sigmoid_derivative="s"),
        "the relu mask is missing: dZ1 = dH * 1[Z1 > 0]":
            backward_variant(params, X, relu_mask=False),
        "the wrong weight matrix: dH = dZ2 @ W2.T (W2.T has the shape of W1, but W1 is not "
        "the matrix that carried H forward)":
            backward_variant(params, X, dH_matrix="W1"),
    }
    if key in ("b1", "b2"):
        slips = {f"the bias gradient averaged over the batch instead of summed: b is added to every "
                 f"row, so d{key} = sum over the batch (axis=0), not the mean ({n} times too small)":
                 backward_variant(params, X, bias_scale=1.0 / n), **slips}
    return {words: grads[key] for words, grads in slips.items()}


def check_backward_gradient(ctx, key):
    params, X = problem(ctx.rng)
    what = "backward(params, cache, X)"
    X_hat, cache = call_forward(ctx, params, X)
    grads = ctx.call("backward", params, as_argument(cache), X)
    if not isinstance(grads, dict):
        raise CheckFailed(f"{what} returned {expect.describe_value(grads)}; expected a dict of gradients "
                          f"with the keys {list(KEYS)}.", got=expect.describe_value(grads))
    if key not in grads:
        raise CheckFailed(f"{what} returned no gradient for {key!r}.", expected=str(list(KEYS)),
                          got=str(sorted(map(str, grads))))
    analytic = expect.array(grads[key], f"{what}[{key!r}]", params[key].shape)
    context = describe_problem(params, X)
    expected_hat, _ = ref.forward(params, X)
    if not np.allclose(X_hat, expected_hat, rtol=1e-6, atol=1e-9):
        context += ("\nNote: your forward pass does not give the expected X_hat on this input (see the "
                    "check 'forward: values on random inputs'); backward uses its cache, so fix forward first.")

    def f(p):
        return ref.loss(ref.forward(p, X)[0], X)

    assert_gradient(f, params, key, analytic, f"{what}[{key!r}]", rng=ctx.rng, batch_size=X.shape[0],
                    context=context, known=backward_slips(params, X, key))


def check_backward_inputs_unchanged(ctx):
    params, X = problem(ctx.rng)
    _, cache = call_forward(ctx, params, X)
    _, after, _ = ctx.call_echo("backward", params, as_argument(cache), X)
    after = expect.sequence(after, "the arguments of backward after the call", 3)
    for name, before, now in (("params", params, after[0]), ("cache", cache, after[1]), ("X", X, after[2])):
        changed = first_change(before, now, name)
        if changed:
            raise CheckFailed(
                f"backward modified its argument {changed} in place.",
                expected="params, cache and X left as they were", got=f"{changed} changed",
                slip="an in-place operation on an array that belongs to the caller, e.g. "
                     "d = X_hat; d -= X (d is the same array as the cached X_hat); "
                     "write d = X_hat - X, which makes a new array.")
