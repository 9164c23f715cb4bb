"""Naming the likely slip from how a wrong answer relates to the right one.

Most wrong answers in a deep-learning course are the right answer transformed in a
recognisable way: scaled by 2, 1/2, -1, N or 1/N, transposed, all zeros, shifted by a
bias, or right only to float32 precision. `diagnose(actual, expected)` tests those
relations in turn and says which holds, in words a student can act on.
"""

from __future__ import annotations

import numpy as np

# How close `actual` must be to `c * expected` (relative to |expected|) for a ratio to count.
_RATIO_RTOL = 1e-3


def best_ratio(actual: np.ndarray, expected: np.ndarray) -> float | None:
    """The c minimising |actual - c expected|, when that fit is (nearly) exact."""
    e = expected.ravel()
    a = actual.ravel()
    ee = float(e @ e)
    if ee == 0.0:
        return None
    c = float(a @ e) / ee
    residual = np.linalg.norm(a - c * e)
    if residual <= _RATIO_RTOL * max(np.linalg.norm(a), np.linalg.norm(e)):
        return c
    return None


def describe_ratio(c: float, batch_size: int | None = None, size: int | None = None) -> str | None:
    """Words for `actual == c * expected`."""
    named = [
        (2.0, "a factor of 2 too large: a derivative like d(x**2)/dx = 2x counted twice, or a "
              "1/2 in the loss forgotten"),
        (0.5, "half the expected value: a factor of 2 missing (d(x**2)/dx = 2x) or an average "
              "of two paths where they should be summed"),
        (-1.0, "the sign is flipped: check (y_hat - y) versus (y - y_hat), or a gradient step "
               "with + instead of -"),
    ]
    if batch_size and batch_size > 2:
        named += [
            (float(batch_size), f"{batch_size} times too large, the batch size: a missing 1/N "
                                "(mean over the batch)"),
            (1.0 / batch_size, f"{batch_size} times too small, the batch size: a mean taken where "
                               "a sum is needed (or 1/N applied twice)"),
        ]
    if size and size > 2 and size != batch_size:
        named += [
            (float(size), f"{size} times too large, the number of elements: a missing 1/size "
                          "(mean over all elements)"),
            (1.0 / size, f"{size} times too small, the number of elements: divided by the size "
                         "once too often"),
        ]
    for value, words in named:
        if abs(c - value) <= 1e-3 * abs(value):
            return words
    if abs(c) < 1e-12:
        return None
    if abs(c - 1.0) < 0.01:
        return f"about {100 * (c - 1):+.3g}% off everywhere: a small constant factor (an eps, a rounding)"
    return f"proportional to the right answer, {c:.6g} times it: a constant factor is off"


def diagnose(actual: np.ndarray, expected: np.ndarray, *, batch_size: int | None = None,
             float32_possible: bool = True) -> str | None:
    """The likely slip that turns `expected` into `actual`, or None if none is recognised."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return None
    if not np.all(np.isfinite(actual)):
        return "non-finite values (overflow, log of 0 or 0/0)."
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-300)
    if np.all(actual == 0) and np.any(expected != 0):
        return "all zeros: the result is never written (or the gradient never reaches this tensor)."
    if float32_possible:
        rel = float(np.abs(actual - expected).max()) / scale
        if 1e-9 < rel < 1e-5:
            return ("right only to about float32 precision: somewhere the computation runs in "
                    "float32 (np.float32, a float32 constant); keep everything float64.")
    c = best_ratio(actual, expected)
    if c is not None:
        words = describe_ratio(c, batch_size, expected.size)
        if words:
            return words
    if actual.ndim == 2 and actual.shape[0] == actual.shape[1]:
        if np.allclose(actual.T, expected, rtol=1e-6, atol=1e-9 * scale):
            return "the transpose of the right answer: a missing or extra .T (X.T @ dZ versus dZ @ X)."
    if actual.ndim >= 2:
        d = actual - expected
        if np.allclose(d, d[:1], rtol=1e-6, atol=1e-9 * scale) and np.abs(d).max() > 1e-9 * scale:
            return "off by the same amount in every row: a bias added twice, or not added at all."
    if actual.ndim >= 1 and expected.ndim >= 1:
        flipped = actual[::-1] if actual.ndim == 1 else None
        if flipped is not None and np.allclose(flipped, expected, rtol=1e-6, atol=1e-9 * scale):
            return "the right values in reverse order."
    return None


def match_known(actual: np.ndarray, known: dict[str, np.ndarray] | None) -> str | None:
    """The name of the first known wrong answer that `actual` equals, if any.

    known: {"the slip in words": what that slip returns on the same input}. A check
    that knows the common wrong formulas for its function computes them on its inputs,
    and the student is told exactly which one they wrote.
    """
    actual = np.asarray(actual, dtype=np.float64)
    for words, wrong in (known or {}).items():
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == actual.shape and np.allclose(actual, wrong, rtol=1e-6, atol=1e-10):
            return words
    return None
