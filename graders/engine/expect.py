"""Validating what a submission returned, before anything is compared.

Everything that comes back from the sandbox is plain data, but not necessarily the
plain data the contract asks for. These helpers turn a returned value into exactly the
type, shape and dtype expected, or raise `CheckFailed` saying what came back instead
(a list, None, a float32 array, a transposed shape, a NaN at some index).
"""

from __future__ import annotations

import numpy as np

from graders.engine.checks import CheckFailed
from graders.engine.safe_text import describe_int
from graders.sandbox.wire import Handle


def describe_value(value) -> str:
    """A short, safe description of a returned value for feedback."""
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {tuple(value.shape)}"
    if isinstance(value, Handle):
        return f"a {value.type} object"
    if value is None:
        return "None"
    if isinstance(value, bool) or isinstance(value, float):
        return f"{type(value).__name__} {value!r}"
    if isinstance(value, int):  # a huge one by its digit count (graders.engine.safe_text)
        text = describe_int(value)
        return f"int {text}" if text.lstrip("-").isdigit() else text
    if isinstance(value, str):
        return f"the string {value[:60]!r}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    return type(value).__name__


def array(value, what: str, shape: tuple | None = None, *, dtype=np.float64,
          finite: bool = True, nonfinite_slip=None) -> np.ndarray:
    """`value` as an array of `dtype` and `shape`, or CheckFailed.

    what: how the value is named in feedback, e.g. "relu(z)".
    shape: expected shape; None entries match any size.
    nonfinite_slip: bad_mask -> the slip that explains these non-finite entries, or None to
        fall back on the general list of causes (a check that knows its inputs can tell
        a 0/0 from an overflow).
    """
    if not isinstance(value, np.ndarray):
        hint = ""
        if isinstance(value, (list, tuple)):
            hint = " Return a NumPy array (np.asarray(...)), not a Python list or tuple."
        elif value is None:
            hint = " Did the function forget a `return`?"
        raise CheckFailed(f"{what} returned {describe_value(value)}; expected a NumPy array." + hint,
                          expected=f"array of shape {_fmt_shape(shape)}" if shape else "a NumPy array",
                          got=describe_value(value))
    a = value
    if dtype is not None and np.dtype(dtype) == np.float64 and a.dtype != np.float64:
        if a.dtype in (np.float32, np.float16):
            raise CheckFailed(
                f"{what} returned a {a.dtype} array; the contract asks for float64 throughout.",
                expected="float64", got=str(a.dtype),
                slip="a cast to float32 somewhere (np.float32, .astype('float32'), a float32 constant "
                     "array); float32 loses the precision the gradient checks need.")
        if a.dtype.kind in "iub":
            raise CheckFailed(f"{what} returned an integer array ({a.dtype}); expected float64.",
                              expected="float64", got=str(a.dtype),
                              slip="an integer array was created (np.zeros_like of an int input, "
                                   "integer division, or a comparison mask returned as is).")
        raise CheckFailed(f"{what} returned a {a.dtype} array; expected float64.", expected="float64",
                          got=str(a.dtype))
    if shape is not None and not _shape_matches(a.shape, shape):
        slip = None
        if len(shape) == 2 and tuple(a.shape) == tuple(reversed(shape)):
            slip = "a transpose: the rows and columns are swapped."
        elif a.size == int(np.prod([s for s in shape if s is not None])) and None not in shape:
            slip = "the right number of entries in the wrong shape: a reshape or a missing/extra axis."
        elif a.ndim == len(shape) + 1 or a.ndim + 1 == len(shape):
            slip = "an extra or missing axis (keepdims, a sum over the wrong axis, or a missing squeeze)."
        raise CheckFailed(f"{what} has the wrong shape.", expected=_fmt_shape(shape),
                          got=str(tuple(a.shape)), slip=slip)
    if finite and a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        bad = ~np.isfinite(a)
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
        kind = "NaN" if np.isnan(a[idx]) else "inf"
        known = nonfinite_slip(bad) if nonfinite_slip is not None else None
        raise CheckFailed(
            f"{what} contains {kind} ({int(bad.sum())} of {a.size} entries are not finite).",
            where=f"first at index {idx}" if idx else None,
            slip=known or "an overflow (exp of a large number), a log of 0, or a division by 0; "
                          "use the max-subtraction / log-sum-exp tricks and keep probabilities away from 0.")
    return a


def scalar(value, what: str, *, finite: bool = True) -> float:
    """`value` as a Python float (a float, int or 0-d / 1-element array), or CheckFailed."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.ndarray)):
        raise CheckFailed(f"{what} returned {describe_value(value)}; expected a number.",
                          expected="a float", got=describe_value(value))
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise CheckFailed(f"{what} returned an array of shape {value.shape}; expected a single number.",
                              expected="a float", got=describe_value(value),
                              slip="a missing mean/sum over the batch.")
        if value.dtype.kind not in "fiu":
            raise CheckFailed(f"{what} returned a {value.dtype} value; expected a float.")
        value = value.reshape(())[()]
    try:
        out = float(value)
    except OverflowError:  # an int beyond any float
        raise CheckFailed(f"{what} returned {describe_value(value)}, which the grader cannot convert to a number; "
                          "expected a float.", expected="a float",
                          got=describe_value(value)) from None
    if finite and not np.isfinite(out):
        raise CheckFailed(f"{what} is {out}; expected a finite number.",
                          slip="an overflow or a log of 0 (see the numerically stable forms).")
    return out


def sequence(value, what: str, length: int | None = None) -> tuple:
    """`value` as a tuple (a returned tuple or list) of the given length, or CheckFailed."""
    if not isinstance(value, (tuple, list)):
        raise CheckFailed(f"{what} returned {describe_value(value)}; expected a tuple"
                          + (f" of {length} values." if length else "."),
                          got=describe_value(value))
    if length is not None and len(value) != length:
        raise CheckFailed(f"{what} returned {len(value)} values; expected {length}.",
                          expected=f"{length} values", got=f"{len(value)} values")
    return tuple(value)


def array_dict(value, what: str, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """`value` as a dict with exactly the keys of `shapes`, each a float64 array of that shape."""
    if not isinstance(value, dict):
        raise CheckFailed(f"{what} returned {describe_value(value)}; expected a dict of arrays.",
                          expected=f"dict with keys {sorted(shapes)}", got=describe_value(value))
    missing = sorted(set(shapes) - set(value))
    extra = sorted(set(value) - set(shapes))
    if missing:
        raise CheckFailed(f"{what} is missing key(s) {missing}.", expected=str(sorted(shapes)),
                          got=str(sorted(value)))
    out = {k: array(value[k], f"{what}[{k!r}]", shapes[k]) for k in shapes}
    if extra:
        # extra keys are allowed (helpers may cache things) but are not graded
        pass
    return out


def _shape_matches(actual: tuple, expected: tuple) -> bool:
    return len(actual) == len(expected) and all(e is None or a == e for a, e in zip(actual, expected))


def _fmt_shape(shape) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
