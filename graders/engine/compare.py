"""Comparing a submission's numbers with the reference's, with feedback.

Tolerances live in one named table (as in `torch.testing`), and a mismatch is reported
the way `torch.testing.assert_close` reports it: how many elements differ, the worst
element, its index, and the tolerance that was allowed, followed by the likely slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from graders.engine.checks import CheckFailed
from graders.engine.safe_text import describe_int
from graders.engine.slips import diagnose, match_known


@dataclass(frozen=True)
class Tolerance:
    """|actual - expected| <= atol + rtol * |expected|, element-wise."""

    rtol: float
    atol: float

    def __str__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


TOLERANCES: MappingProxyType[str, Tolerance] = MappingProxyType({
    # the same formula evaluated by a different but equivalent float64 program
    "value": Tolerance(rtol=1e-6, atol=1e-9),
    # losses and values computed through exp/log, where stable and naive forms differ slightly
    "loss": Tolerance(rtol=1e-5, atol=1e-8),
    # analytic gradients compared with the reference's analytic gradients
    "gradient": Tolerance(rtol=1e-5, atol=1e-8),
    # integer-valued results (shapes, counts, indices)
    "exact": Tolerance(rtol=0.0, atol=0.0),
})


def fmt(x) -> str:
    """A compact rendering of a number or a small array for feedback."""
    if isinstance(x, int) and not isinstance(x, bool):
        return describe_int(x)
    a = np.asarray(x)
    if a.ndim == 0:
        return f"{float(a):.6g}" if a.dtype.kind == "f" else str(a.item())
    if a.size <= 12:
        return np.array2string(a, precision=5, suppress_small=False, separator=", ")
    return f"array of shape {a.shape}, first values {np.array2string(a.ravel()[:6], precision=5, separator=', ')}"


def mismatch(actual: np.ndarray, expected: np.ndarray, tol: Tolerance) -> dict | None:
    """Statistics of the elements outside tolerance, or None if all are within it."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    abs_diff = np.abs(a - e)
    allowed = tol.atol + tol.rtol * np.abs(e)
    bad = ~(abs_diff <= allowed)  # NaN counts as bad
    if not bad.any():
        return None
    rel = abs_diff / np.maximum(np.abs(e), 1e-300)
    # NaN ranks as the worst difference (argmax of NaN-free keys; np.nanargmax would skip it)
    abs_key = np.where(bad, np.where(np.isnan(abs_diff), np.inf, abs_diff), -1.0)
    rel_key = np.where(bad, np.where(np.isnan(rel), np.inf, rel), -1.0)
    worst = np.unravel_index(int(np.argmax(abs_key)), a.shape) if a.ndim else ()
    worst_rel = np.unravel_index(int(np.argmax(rel_key)), a.shape) if a.ndim else ()
    return {
        "count": int(bad.sum()),
        "size": int(a.size),
        "index": tuple(int(i) for i in worst),
        "abs": float(abs_diff[worst]),
        "rel_index": tuple(int(i) for i in worst_rel),
        "rel": float(rel[worst_rel]),
        "actual": float(a[worst]),
        "expected": float(e[worst]),
    }


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str, tol: str | Tolerance = "value",
                 *, batch_size: int | None = None, context: str | None = None,
                 known: dict[str, np.ndarray] | None = None) -> None:
    """Raise CheckFailed with a torch.testing-style message unless actual ~ expected.

    what: names the value in feedback ("sigmoid_backward(dout, z)").
    context: the inputs, rendered, for the student to reproduce the case.
    known: common wrong answers on the same input, by the slip's name (see slips.match_known).
    """
    tolerance = TOLERANCES[tol] if isinstance(tol, str) else tol
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise CheckFailed(f"{what} has shape {a.shape}; expected {e.shape}.")
    m = mismatch(a, e, tolerance)
    if m is None:
        return
    idx = m["index"]
    where = f"index {idx}" if idx else "the value"
    diff = (f"mismatched elements: {m['count']} / {m['size']} ({100.0 * m['count'] / m['size']:.1f}%); "
            f"greatest absolute difference {m['abs']:.4g} at {where} (up to {tolerance.atol:g} allowed); "
            f"greatest relative difference {m['rel']:.4g} at index {m['rel_index']} "
            f"(up to {tolerance.rtol:g} allowed)")
    raise CheckFailed(
        f"{what} does not match the expected values.",
        expected=f"{m['expected']:.8g} at {where}" if idx else f"{m['expected']:.8g}",
        got=f"{m['actual']:.8g}",
        diff=diff,
        slip=match_known(a, known) or diagnose(a, e, batch_size=batch_size),
        details=context,
    )


def assert_scalar_close(actual: float, expected: float, what: str, tol: str | Tolerance = "loss",
                        *, batch_size: int | None = None, size: int | None = None,
                        context: str | None = None) -> None:
    """Like assert_close for a single number, with ratio-based slip names."""
    from graders.engine.slips import describe_ratio

    tolerance = TOLERANCES[tol] if isinstance(tol, str) else tol
    if abs(actual - expected) <= tolerance.atol + tolerance.rtol * abs(expected):
        return
    slip = None
    if expected != 0 and actual != 0:
        ratio = actual / expected
        slip = describe_ratio(ratio, batch_size, size)
        if slip and slip.startswith("proportional"):
            slip = None
    raise CheckFailed(
        f"{what} is {actual:.8g}; expected {expected:.8g}.",
        expected=f"{expected:.10g}", got=f"{actual:.10g}",
        diff=f"absolute difference {abs(actual - expected):.4g} (up to {tolerance.atol:g} + "
             f"{tolerance.rtol:g} * |expected| allowed)",
        slip=slip, details=context)
