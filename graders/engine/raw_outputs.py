"""Validating a trained check's raw outputs in the grader, before any metric is computed.

A trained check never trusts a number computed where the submission runs: the sandbox
returns raw outputs (trained parameters, codes, reconstructions, logits) as float arrays,
and the grader checks each one here -- type, dtype, shape, finiteness, range, size -- and
computes the metric itself (`mse`, `bce_sum`, ...). Everything that is wrong comes back as
`CheckFailed` saying what came back instead; nothing here trusts a value's own methods
(arrays arrive from `wire.py` as plain base ndarrays).

    state = raw_outputs.state_dict(out["state"], "the trained DenseAutoencoder", max_values=5_000)
    codes = raw_outputs.float_array(reply, "encode(x)", (n, None), max_values=n * 64)
    mse = raw_outputs.mse(recon, x)
"""

from __future__ import annotations

import math

import numpy as np

from graders.engine.checks import CheckFailed
from graders.engine.expect import describe_value

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
MAX_KEY_CHARS = 200
MAX_TENSORS = 256
MAX_STATE_BYTES = 64 * 1024 * 1024  # what a state_dict may weigh at most, whatever a check allows


def _shape_text(shape) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def float_array(value, what: str, shape: tuple | None = None, *, lo: float | None = None,
                hi: float | None = None, max_values: int | None = None,
                dtype=np.float64) -> np.ndarray:
    """`value` as a finite float array of `shape` (None entries match any size), every entry in
    [lo, hi], at most `max_values` entries; returned as `dtype` (a copy). CheckFailed otherwise.

    Both float32 and float64 are accepted (what a model computes in is its own business);
    integers, booleans, complex numbers and anything that is not an array are not.
    """
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"{what} gave {describe_value(value)}; expected a float tensor"
                          + (f" of shape {_shape_text(shape)}." if shape is not None else "."),
                          got=describe_value(value))
    if value.dtype not in FLOAT_DTYPES:
        raise CheckFailed(f"{what} gave a {value.dtype} tensor; expected float32 or float64.",
                          got=describe_value(value))
    if max_values is not None and value.size > max_values:
        raise CheckFailed(f"{what} gave {value.size} values; at most {max_values} are expected.",
                          got=describe_value(value))
    if shape is not None and (value.ndim != len(shape)
                              or any(e is not None and a != e for a, e in zip(value.shape, shape))):
        raise CheckFailed(f"{what} has the wrong shape.", expected=_shape_text(shape),
                          got=str(tuple(value.shape)))
    out = np.array(value, dtype=dtype, copy=True)
    bad = ~np.isfinite(out)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CheckFailed(f"{what} contains NaN or inf ({int(bad.sum())} of {out.size} entries).",
                          where=f"first at index {idx}" if idx else None,
                          slip="an overflow or a division by 0 in the model, or a training that diverged.")
    for bound, outside, word in ((lo, out < lo if lo is not None else None, "below"),
                                 (hi, out > hi if hi is not None else None, "above")):
        if bound is not None and outside.any():
            idx = tuple(int(i) for i in np.argwhere(outside)[0])
            raise CheckFailed(f"{what} has entries {word} {bound:g} ({int(outside.sum())} of {out.size}).",
                              where=f"first at index {idx}: {out[idx]:.6g}" if idx else None,
                              expected=f"every entry in [{lo if lo is not None else '-inf'}, "
                                       f"{hi if hi is not None else 'inf'}]")
    return out


def state_dict(value, what: str, *, max_values: int, shapes: dict[str, tuple] | None = None,
               dtype=np.float32) -> dict[str, np.ndarray]:
    """`value` as a trained model's parameters: a dict of str keys -> finite float arrays, at
    most `max_values` numbers in all (and at most MAX_STATE_BYTES), with exactly the keys and
    shapes of `shapes` when given; each array returned as `dtype` (float32: what the
    evaluation loads). CheckFailed otherwise.

    Bounding the size keeps a training from smuggling its data to the evaluation inside its
    "weights"; a model of the contract's architecture fits with room to spare.
    """
    if not isinstance(value, dict):
        raise CheckFailed(f"{what}: the training gave {describe_value(value)} for the model's "
                          "parameters; expected a dict of float arrays.", got=describe_value(value))
    if len(value) > MAX_TENSORS:
        raise CheckFailed(f"{what}: the model has {len(value)} parameter tensors; at most "
                          f"{MAX_TENSORS} are expected.")
    for key in value:
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
            raise CheckFailed(f"{what}: a parameter's name is not a short string ({describe_value(key)}).")
    if shapes is not None:
        missing, extra = sorted(set(shapes) - set(value)), sorted(set(value) - set(shapes))
        if missing or extra:
            raise CheckFailed(f"{what}: the model's parameters are not the expected ones.",
                              expected=str(sorted(shapes)), got=str(sorted(value)),
                              details=(f"missing: {missing}. " if missing else "")
                                      + (f"unexpected: {extra}." if extra else ""))
    total = sum(v.size for v in value.values() if isinstance(v, np.ndarray))
    limit = min(int(max_values), MAX_STATE_BYTES // np.dtype(dtype).itemsize)
    if total > limit:
        raise CheckFailed(f"{what}: the model's parameters and buffers hold {total} numbers; at most "
                          f"{limit} are expected for the contract's architecture.",
                          slip="extra layers or buffers beyond the contract's (a buffer that keeps "
                               "training images, for instance).")
    return {key: float_array(array, f"{what}: parameter {key!r}",
                             None if shapes is None else shapes[key], dtype=dtype)
            for key, array in value.items()}


def relay_float32(array: np.ndarray) -> np.ndarray:
    """What the grader passes on from one evaluation process to the next (a code, a latent z):
    the validated values cast to float32, so nothing but those numbers crosses over."""
    return np.ascontiguousarray(np.asarray(array, dtype=np.float64).astype(np.float32))


# ----------------------------------------------------------------- metrics, in the grader


def mse(prediction: np.ndarray, target: np.ndarray) -> float:
    """Mean over all entries of (prediction - target)**2, in float64."""
    p, t = np.asarray(prediction, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if p.shape != t.shape:
        raise ValueError(f"mse of shapes {p.shape} and {t.shape}")
    return float(np.mean((p - t) ** 2))


def bce_sum(probabilities: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-row binary cross-entropy summed over the features, -sum(t log p + (1-t) log(1-p)),
    with each log clamped at -100 as torch's binary_cross_entropy does (so p = 0 or 1 stays
    finite and scores as torch would)."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_p, log_q = np.maximum(np.log(p), -100.0), np.maximum(np.log1p(-p), -100.0)
    terms = -(t * log_p + (1.0 - t) * log_q)
    return terms.reshape(len(t), -1).sum(axis=1)


def accuracy(predicted_labels: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of equal entries."""
    p, y = np.asarray(predicted_labels), np.asarray(labels)
    if p.shape != y.shape:
        raise ValueError(f"accuracy of shapes {p.shape} and {y.shape}")
    return float(np.mean(p == y)) if p.size else math.nan
