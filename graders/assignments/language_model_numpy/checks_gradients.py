"""Checks of `loss_and_grads`: the loss's value and one gradient check per parameter.

The function differentiated is the REFERENCE mean cross-entropy of the contract,

    f(params) = (1/N) sum_n -log softmax(sigmoid(e W1 + b1) W2 + b2)[n, target[n]],

in the grader's process (float64 central differences: three random directional probes,
then per-entry localisation when one fails); the analytic gradient is the one the
submission's loss_and_grads returns. The contexts hold repeated words (one word twice in
a context, one word three times, words shared across examples): the embedding gradient
must add up every occurrence, and `dE[context] += ...` (or `=`) keeps only one of them.
Known wrong gradients are computed on the same input so the feedback names the slip.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.language_model_numpy.problems import (
    call_forward,
    call_loss_and_grads,
    describe_problem,
    gradient_of,
    lm_problem,
)
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_scalar_close
from graders.engine.gradcheck import assert_gradient
from graders.sandbox.errors import StudentError
from reference.numpy import language_model_numpy as ref

WHAT = "loss_and_grads(params, context, target)"


def reference_loss(params: dict, context: np.ndarray, target: np.ndarray) -> float:
    probs, _ = ref.forward(params, context)
    return float(-np.mean(np.log(probs[np.arange(len(target)), target])))


def grads_variant(params: dict, context: np.ndarray, target: np.ndarray, *, scale: float = 1.0,
                  sigmoid_derivative: str = "h(1-h)", dW1_from: str = "dz", embedding: str = "add",
                  bias_scale: float = 1.0) -> dict[str, np.ndarray]:
    """The reference backward pass with one of the common slips switched on."""
    probs, (_, e, h, _) = ref.forward(params, context)
    n = len(target)
    ds = probs.copy()
    ds[np.arange(n), target] -= 1.0
    ds *= scale / n
    dh = ds @ params["W2"].T
    dz = {"h(1-h)": dh * h * (1.0 - h), "none": dh, "h": dh * h}[sigmoid_derivative]
    de = (dz @ params["W1"].T).reshape(n, 3, -1)
    dE = np.zeros_like(params["E"])
    if embedding == "add":
        np.add.at(dE, context, de)
    elif embedding == "last":
        dE[context] = de  # what dE[context] += de does on zeros: one write per repeated index
    else:  # "first position only"
        np.add.at(dE, context[:, 0], de[:, 0])
    return {"E": dE, "W1": e.T @ (dz if dW1_from == "dz" else dh), "b1": bias_scale * dz.sum(axis=0),
            "W2": h.T @ ds, "b2": bias_scale * ds.sum(axis=0)}


def gradient_slips(params, context, target, key: str) -> dict[str, np.ndarray]:
    """Common wrong gradients of params[key] on this input, by the slip's name."""
    n = len(target)
    slips = {
        "the embedding gradient keeps only one contribution of a repeated word: with fancy indexing, "
        "dE[context] += de (or dE[context] = de) writes each index once even when a word appears twice "
        "in a context or in several examples; accumulate with np.add.at(dE, context, de.reshape(N, 3, D))":
            grads_variant(params, context, target, embedding="last"),
        "the embedding gradient of the first position only: E is shared by all three positions, so "
        "dE adds up the slices of de of every position":
            grads_variant(params, context, target, embedding="first"),
        f"the gradient without 1/N: the loss is the MEAN over the N = {n} examples, so "
        f"ds = (probs - Y) / N": grads_variant(params, context, target, scale=n),
        "the sigmoid derivative is missing: dz = dh * h * (1 - h)":
            grads_variant(params, context, target, sigmoid_derivative="none"),
        "the sigmoid derivative without (1 - h): sigmoid'(z) = h * (1 - h)":
            grads_variant(params, context, target, sigmoid_derivative="h"),
        "dW1 from dh instead of dz: dW1 = e^T dz, with dz = dh * h * (1 - h) the gradient at the "
        "pre-activation (your b1 gradient, the sum of dz, is right)":
            grads_variant(params, context, target, dW1_from="dh"),
        "the sign is flipped: ds = probs - Y (one-hot targets), not Y - probs":
            grads_variant(params, context, target, scale=-1.0),
    }
    if key in ("b1", "b2"):
        slips = {f"the bias gradient averaged over the batch instead of summed (the 1/N is already in "
                 f"ds): {n} times too small": grads_variant(params, context, target, bias_scale=1.0 / n),
                 **slips}
    return {words: grads[key] for words, grads in slips.items()}


def check_loss_value(ctx):
    params, context, target = lm_problem(ctx.rng)
    loss, _ = call_loss_and_grads(ctx, params, context, target)
    expected = reference_loss(params, context, target)
    n, v = len(target), params["E"].shape[0]
    probs, _ = ref.forward(params, context)
    picked = probs[np.arange(n), target]
    known = {
        f"the loss is summed over the batch; the contract's loss is the MEAN over the N = {n} examples":
            -np.sum(np.log(picked)),
        "the loss is averaged over all N * V entries of the one-hot cross-entropy, not over the N examples":
            -np.sum(np.log(picked)) / (n * v),
        "log base 10 or 2: the cross-entropy uses the natural log": -np.mean(np.log10(picked)),
        "the sign is flipped: loss = -mean(log probs[n, target[n]])": np.mean(np.log(picked)),
        "the loss of the most probable word, not of the target word": -np.mean(np.log(probs.max(axis=1))),
    }
    context_text = describe_problem(params, context, target)
    for words, wrong in known.items():
        if abs(loss - expected) > 1e-8 and abs(loss - wrong) <= 1e-9 + 1e-6 * abs(wrong):
            raise CheckFailed(f"{WHAT}[0] is {loss:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                              got=f"{loss:.10g}", slip=words, details=context_text)
    assert_scalar_close(loss, expected, f"{WHAT}[0] (the loss)", batch_size=n, context=context_text)


def check_gradient(ctx, key: str):
    params, context, target = lm_problem(ctx.rng)
    _, grads = call_loss_and_grads(ctx, params, context, target)
    analytic = gradient_of(grads, key, WHAT, params[key].shape)
    context_text = describe_problem(params, context, target)
    if key == "E":
        context_text += (" (word 2 twice in the first context, word 4 three times in the second, word 5 in "
                         "two examples; the last word of the vocabulary in none)")
    try:
        probs, _ = call_forward(ctx, params, context)
        if not np.allclose(probs, ref.forward(params, context)[0], rtol=1e-6, atol=1e-9):
            context_text += ("\nNote: your forward pass does not give the expected probs on this input (see "
                             "'forward: values on random inputs'); fix forward first.")
    except (CheckFailed, StudentError):  # forward is graded by its own checks
        pass

    def f(p):
        return reference_loss(p, context, target)

    known = gradient_slips(params, context, target, key)
    if key == "W1":
        # e^T dh is also the W1 gradient without the sigmoid derivative; a right b1 (the sum
        # of the same dz) tells the two apart
        b1 = grads.get("b1")
        right_b1 = ref.loss_and_grads(params, context, target)[1]["b1"]
        if isinstance(b1, np.ndarray) and b1.shape == right_b1.shape and np.allclose(b1, right_b1, rtol=1e-6,
                                                                                     atol=1e-9):
            known = {w: g for w, g in known.items() if w.startswith("dW1")} | known
    assert_gradient(f, params, key, analytic, f"{WHAT}[1][{key!r}]", rng=ctx.rng, batch_size=len(target),
                    context=context_text, known=known)
