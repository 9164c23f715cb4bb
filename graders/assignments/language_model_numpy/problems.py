"""Inputs and validation shared by the checks of `language_model_numpy`.

Every problem is drawn by the grader (seeded per check) and sent to the sandbox as plain
arrays; what comes back is validated with `graders.engine.expect` before any comparison,
which happens here against the reference (`reference/numpy/language_model_numpy.py`).
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.arguments import copy_params
from graders.engine.checks import CheckFailed
from graders.sandbox.errors import StudentError
from reference.numpy import language_model_numpy as ref

KEYS = ("E", "W1", "b1", "W2", "b2")
# A small problem in which V, D, 3D, P and N all differ, so a transpose is a shape error
# and factors of N are told apart from other constants.
V, D, P, N = 9, 2, 5, 7


def shapes(v: int, d: int, p: int) -> dict[str, tuple]:
    return {"E": (v, d), "W1": (3 * d, p), "b1": (p,), "W2": (p, v), "b2": (v,)}


def params_dict(value, what: str, v: int, d: int, p: int) -> dict[str, np.ndarray]:
    """A returned parameter (or gradient) dict, validated: the five keys, float64, shapes."""
    return expect.array_dict(value, what, shapes(v, d, p))


def random_params(rng: np.random.Generator, v: int = V, d: int = D, p: int = P) -> dict:
    """Parameters with non-zero biases and weights large enough that the sigmoid's
    curvature and the softmax's competition both matter."""
    return {
        "E": rng.normal(0.0, 1.0, size=(v, d)),
        "W1": rng.normal(0.0, 0.8, size=(3 * d, p)),
        "b1": rng.normal(0.0, 0.3, size=p),
        "W2": rng.normal(0.0, 1.0, size=(p, v)),
        "b2": rng.normal(0.0, 0.3, size=v),
    }


def repeated_word_contexts(rng: np.random.Generator, n: int = N, v: int = V) -> np.ndarray:
    """(n, 3) word indices in which some word appears twice in one context, one context is
    a single word three times, words repeat across the batch, and word v - 1 never
    appears (its gradient row must stay zero)."""
    context = rng.integers(0, v - 1, size=(n, 3))
    context[0] = [2, 5, 2]      # the same word at positions 0 and 2
    context[1] = [4, 4, 4]      # one word in all three positions
    context[2, 0] = 5           # word 5 again, in another example
    return context.astype(np.int64)


def lm_problem(rng: np.random.Generator, n: int = N, v: int = V, d: int = D, p: int = P):
    """(params, context, target) for value and gradient checks."""
    params = random_params(rng, v, d, p)
    context = repeated_word_contexts(rng, n, v)
    target = rng.integers(0, v, size=n).astype(np.int64)
    return params, context, target


def describe_problem(params: dict, context: np.ndarray, target: np.ndarray | None = None) -> str:
    text = (f"Inputs: params with shapes " + ", ".join(f"{k} {params[k].shape}" for k in KEYS)
            + f" (random, non-zero biases); context = {context.tolist()}")
    if target is not None:
        text += f"; target = {target.tolist()}"
    return text


def call_forward(ctx, params: dict, context: np.ndarray, what: str = "forward(params, context)"):
    """(probs validated as an (N, V) float64 array, cache as returned)."""
    out = expect.sequence(ctx.call("forward", params, context), what, 2)
    probs = expect.array(out[0], f"{what}[0] (probs)", (context.shape[0], params["E"].shape[0]))
    return probs, out[1]


def call_loss_and_grads(ctx, params: dict, context: np.ndarray, target: np.ndarray,
                        what: str = "loss_and_grads(params, context, target)"):
    """(loss as a float, grads as a raw dict): the gradients are validated per key by the
    check that grades them, so one wrong key fails only its own check."""
    out = expect.sequence(ctx.call("loss_and_grads", params, context, target), what, 2)
    loss = expect.scalar(out[0], f"the loss returned by {what}")
    grads = out[1]
    if not isinstance(grads, dict):
        raise CheckFailed(f"{what} returned {expect.describe_value(grads)} as its gradients; expected a "
                          f"dict with the keys {list(KEYS)}.", got=expect.describe_value(grads))
    return loss, grads


def gradient_of(grads: dict, key: str, what: str, shape: tuple) -> np.ndarray:
    if key not in grads:
        raise CheckFailed(f"{what} returned no gradient for {key!r}.", expected=str(list(KEYS)),
                          got=str(sorted(map(str, grads))),
                          slip="grads must have exactly the keys of params.")
    return expect.array(grads[key], f"{what}[1][{key!r}]", shape)


def submission_init(ctx, v: int, d: int, p: int, seed: int) -> dict:
    """The submission's init_params(v, d, p, seed), validated (train starts from it)."""
    return params_dict(ctx.call("init_params", v, d, p, seed), f"init_params({v}, {d}, {p}, {seed})",
                       v, d, p)


def reference_grads(params: dict, context: np.ndarray, target: np.ndarray) -> tuple[float, dict]:
    return ref.loss_and_grads(copy_params(params), context, target)


def submission_grads_or_none(ctx, params, context, target) -> tuple[float, dict] | None:
    """The submission's own loss and gradients on this input, or None if it cannot give
    valid ones (used only to tell a wrong update rule from a wrong gradient)."""
    v, d = params["E"].shape
    p = params["b1"].shape[0]
    try:
        loss, grads = call_loss_and_grads(ctx, params, context, target)
        return loss, params_dict(grads, "grads", v, d, p)
    except (CheckFailed, StudentError):
        return None
