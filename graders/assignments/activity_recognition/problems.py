"""Inputs, validation and known wrong answers shared by the checks of `activity_recognition`.

Every problem is drawn by the grader (seeded per check) and sent to the sandbox as plain
arrays; what comes back is validated with `graders.engine.expect` before any comparison,
which happens here against the reference (`reference/numpy/activity_recognition.py`).

The small problem: N = 7 series of T = 6 steps of D = 2 channels, H = 4, one hidden dense
layer of 5 units, K = 3 classes: N, D, H, 5 and K all differ, so a transposed input
weight or dense weight is a shape error, while the recurrent weights (H, H) are square
and a transposed one shows only in the values (the named slip).
"""

from __future__ import annotations

import numpy as np

from graders.assignments.activity_recognition.reference_slips import grads_last_steps
from graders.engine import expect
from graders.engine.arguments import copy_params
from graders.engine.checks import CheckFailed
from graders.sandbox.errors import StudentError
from reference.numpy import activity_recognition as ref

CELLS = ref.CELLS
N, T, D, H, DENSE, K = 7, 6, 2, 4, (5,), 3
RELU_MARGIN = 1e-2  # no hidden dense pre-activation closer to the kink at 0
GRADIENT_FLOOR = 1e-3  # every input weight's gradient, early steps alone included, at least this large


def dense_keys(dense_dims) -> tuple[str, ...]:
    return tuple(f"{p}{l}" for l in range(1, len(dense_dims) + 2) for p in "Wb")


def keys(cell: str, dense_dims=DENSE) -> tuple[str, ...]:
    return tuple(ref.CELL_KEYS[cell]) + dense_keys(dense_dims)


def shapes(cell: str, d: int = D, h: int = H, dense_dims=DENSE, k: int = K) -> dict[str, tuple]:
    out = {}
    for key in ref.CELL_KEYS[cell]:
        out[key] = (d, h) if key.startswith("Wx") else (h, h) if key.startswith("Wh") else (h,)
    dims = [h, *dense_dims, k]
    for l in range(1, len(dims)):
        out[f"W{l}"], out[f"b{l}"] = (dims[l - 1], dims[l]), (dims[l],)
    return out


def params_dict(value, what: str, cell: str, d: int = D, h: int = H, dense_dims=DENSE, k: int = K) -> dict:
    """A returned parameter (or gradient) dict, validated: exactly the keys, float64, shapes."""
    return expect.array_dict(value, what, shapes(cell, d, h, dense_dims, k))


def hidden_preactivations(params: dict, X: np.ndarray, cell: str) -> np.ndarray:
    """Every pre-activation of the hidden dense layers (where relu has its kink)."""
    _, (_, _, activations, _) = ref.forward(params, X, cell)
    L = ref.n_dense_layers(params)
    zs = [activations[l - 1] @ params[f"W{l}"] + params[f"b{l}"] for l in range(1, L)]
    return np.concatenate([z.ravel() for z in zs]) if zs else np.zeros(0)


def random_params(rng: np.random.Generator, cell: str, d: int = D, h: int = H, dense_dims=DENSE,
                  k: int = K) -> dict:
    """Weights at the contract's scale times 1.5 (the recurrence matters), non-zero biases;
    the LSTM's forget-gate bias +1 so that the early steps still reach the last one."""
    params = ref.init_params(cell, d, h, list(dense_dims), k, int(rng.integers(2**31)))
    out = {}
    for key, value in params.items():
        out[key] = 0.5 * rng.standard_normal(value.shape) if key.startswith("b") else 1.5 * value
    if cell == "lstm":
        out["bf"] = out["bf"] + 1.0
    return out


def problem(rng: np.random.Generator, cell: str, *, early_only: bool = False, n: int = N, t: int = T):
    """(params, X, y) away from relu's kink, with a gradient of every input weight of at least
    GRADIENT_FLOOR (far above the gradient check's tolerance); early_only: inputs non-zero
    only at t = 0, 1."""
    for _ in range(100):
        params = random_params(rng, cell)
        X = rng.standard_normal((n, t, D))
        if early_only:
            X[:, 2:, :] = 0.0
        y = rng.integers(0, K, size=n).astype(np.int64)
        z = hidden_preactivations(params, X, cell)
        if np.any(np.abs(z) <= RELU_MARGIN) or not _gradient_reaches_every_input_weight(params, X, y, cell):
            continue
        return params, X, y
    raise RuntimeError("could not draw a problem away from relu's kink")


def _gradient_reaches_every_input_weight(params, X, y, cell) -> bool:
    """Whether every input weight Wx* gets a gradient of at least GRADIENT_FLOOR (relu units
    dead for every series would leave the cell with no gradient at all, and a BPTT slip
    unseen)."""
    _, grads = ref.loss_and_grads(copy_params(params), X, y, cell)
    return all(np.abs(grads[k]).max() >= GRADIENT_FLOOR for k in ref.CELL_KEYS[cell] if k.startswith("Wx"))


def describe_problem(params: dict, X: np.ndarray, y: np.ndarray | None, cell: str) -> str:
    text = (f"Inputs: cell = {cell!r}; params with " + ", ".join(f"{k} {params[k].shape}" for k in params)
            + f" (random, non-zero biases); X of shape {X.shape} (random normal)")
    if y is not None:
        text += f"; y = {y.tolist()}"
    return text


def call_forward(ctx, params: dict, X: np.ndarray, cell: str, what: str | None = None):
    """(probs validated as an (N, K) float64 array, cache as returned)."""
    what = what or f"forward(params, X, {cell!r})"
    out = expect.sequence(ctx.call("forward", params, X, cell), what, 2)
    k = params[f"W{ref.n_dense_layers(params)}"].shape[1]
    return expect.array(out[0], f"{what}[0] (probs)", (X.shape[0], k)), out[1]


def call_loss_and_grads(ctx, params: dict, X: np.ndarray, y: np.ndarray, cell: str):
    """(loss as a float, grads as a raw dict): each gradient is validated by the check that
    grades it, so one wrong key fails only its own check."""
    what = f"loss_and_grads(params, X, y, {cell!r})"
    out = expect.sequence(ctx.call("loss_and_grads", params, X, y, cell), what, 2)
    loss = expect.scalar(out[0], f"the loss returned by {what}")
    grads = out[1]
    if not isinstance(grads, dict):
        raise CheckFailed(f"{what} returned {expect.describe_value(grads)} as its gradients; expected a dict "
                          "with the keys of params.", got=expect.describe_value(grads))
    return loss, grads


def gradient_of(grads: dict, key: str, what: str, shape: tuple) -> np.ndarray:
    if key not in grads:
        raise CheckFailed(f"{what} returned no gradient for {key!r}.", expected=f"a gradient for {key!r}",
                          got=str(sorted(map(str, grads)))[:300],
                          slip="grads must have exactly the keys of params, the dense layers' included.")
    return expect.array(grads[key], f"{what}[1][{key!r}]", shape)


def reference_loss(params: dict, X: np.ndarray, y: np.ndarray, cell: str) -> float:
    probs, _ = ref.forward(params, X, cell)
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def reference_grads(params: dict, X: np.ndarray, y: np.ndarray, cell: str) -> tuple[float, dict]:
    return ref.loss_and_grads(copy_params(params), X, y, cell)


def submission_grads_or_none(ctx, params, X, y, cell) -> tuple[float, dict] | None:
    """The submission's own loss and gradients on this input, or None if it cannot give
    valid ones (used only to tell a wrong update rule from a wrong gradient)."""
    dims = tuple(params[f"b{l}"].shape[0] for l in range(1, ref.n_dense_layers(params)))
    h = params["Wx" if cell == "rnn" else "Wxi" if cell == "lstm" else "Wxr"].shape[1]
    k = params[f"b{ref.n_dense_layers(params)}"].shape[0]
    try:
        loss, grads = call_loss_and_grads(ctx, params, X, y, cell)
        return loss, params_dict(grads, "grads", cell, X.shape[2], h, dims, k)
    except (CheckFailed, StudentError):
        return None


# ------------------------------------------------------------------ known wrong answers


def transposed_recurrent(params: dict, cell: str) -> dict:
    """params with every recurrent weight Wh* transposed (h_{t-1} Wh.T instead of h_{t-1} Wh)."""
    return {k: (v.T.copy() if k in ref.CELL_KEYS[cell] and k.startswith("Wh") else v) for k, v in params.items()}


SOFTMAX_AXIS_SLIP = ("the softmax is taken over the wrong axis (over the batch, axis 0); each ROW of probs is one "
                     "series' distribution over the classes: normalise with axis=1")


def forward_slips(params: dict, X: np.ndarray, cell: str) -> dict[str, np.ndarray]:
    """Common wrong probabilities on this input, by the slip's name."""
    _, (_, _, activations, _) = ref.forward(params, X, cell)
    scores = activations[-1]
    e = np.exp(scores - scores.max(axis=0, keepdims=True))
    return {
        "the recurrent weight is transposed: h_t uses h_{t-1} @ Wh (rows of Wh index h_{t-1}), not Wh @ h_{t-1} "
        "or h_{t-1} @ Wh.T": ref.forward(transposed_recurrent(params, cell), X, cell)[0],
        SOFTMAX_AXIS_SLIP: e / e.sum(axis=0, keepdims=True),
        "the FIRST hidden state goes to the dense layers (h_1, e.g. Hs[:, 0]); the classifier reads the LAST "
        "one, h_T, after the whole series": ref.forward(params, X[:, :1], cell)[0],
    }


def gradient_slips(params: dict, X: np.ndarray, y: np.ndarray, cell: str, key: str, *,
                   early_only: bool = False) -> dict[str, np.ndarray]:
    """Common wrong gradients of params[key] on this input, by the slip's name.

    early_only: the inputs are zero after t = 1, where the gradient of the last step only and
    a BPTT truncated to a few steps are the same (zero), so the words cover both."""
    _, right = reference_grads(params, X, y, cell)
    last_only = ("the gradient of the last step only: BPTT must carry dh (and, for the LSTM, dc) back from step t "
                 "to step t - 1 through all T steps and ADD UP every step's contribution to the shared weights")
    if early_only:
        last_only = ("no gradient reaches the early steps: the gradient of the last step only, or a BPTT loop that "
                     "stops before t = 0. " + last_only.split(": ", 1)[1])
    slips = {last_only: grads_last_steps(params, X, y, cell, 1)[key]}
    if key.startswith("Wh") and key in ref.CELL_KEYS[cell]:
        slips["the recurrent weight's gradient is transposed: dWh = h_prev.T @ da (h_{t-1} @ Wh in the forward "
              "pass)"] = right[key].T
    return slips
