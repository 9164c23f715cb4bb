"""Numerical gradient checks in float64: fast when right, precise when wrong.

For a scalar function f(params) and a claimed gradient G of one parameter tensor P,
the fast path draws a few random unit directions v and compares the directional
derivative two ways:

    numeric:  (f(P + h v) - f(P - h v)) / (2 h)      (central difference, error O(h^2))
    analytic: <G, v> = sum(G * v)

Three probes cost six evaluations per tensor, whatever the tensor's size, and a wrong
gradient passes a random probe only on a set of directions of measure zero. Only when a
probe fails does the check fall back to per-entry central differences, on all entries
of a small tensor or a random sample of a large one, to report the worst entries, their
indices, and the likely slip (x2, x1/2, x N, sign, transpose, zeros).

The caller chooses points away from kinks (relu at 0, hard sigmoid at +-2.5): a finite
difference across a kink measures neither one-sided derivative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from graders.engine.checks import CheckFailed, Picture
from graders.engine.slips import diagnose, match_known

Params = dict[str, np.ndarray]

STEP = 1e-5          # h: float64 round-off ~1e-16 / h, truncation ~h^2 |f'''|
PROBE_RTOL = 1e-5    # |numeric - analytic| <= PROBE_ATOL + PROBE_RTOL * max(|numeric|, |analytic|)
PROBE_ATOL = 1e-8
LOCALISE_ENTRIES = 64


@dataclass
class GradientVerdict:
    """The result of checking one tensor's gradient."""

    key: str
    ok: bool
    evaluations: int
    probes: list[tuple[float, float]] = field(default_factory=list)  # (numeric, analytic)
    worst: list[tuple[tuple[int, ...], float, float]] = field(default_factory=list)  # (index, analytic, numeric)
    mismatched: int = 0
    checked: int = 0
    slip: str | None = None
    # every entry the per-entry check looked at: (indices, yours, numeric), for a heatmap
    entries: tuple | None = None

    def message(self, what: str) -> str:
        lines = []
        if self.probes:
            lines.append("Directional derivatives along random directions (numeric vs yours): "
                         + "; ".join(f"{n:.6g} vs {a:.6g}" for n, a in self.probes))
        if self.worst:
            lines.append(f"Per-entry check: {self.mismatched} of {self.checked} entries checked are wrong. "
                         "Worst entries (index: yours vs numeric):")
            lines += [f"  {idx}: {a:.6g} vs {n:.6g}" for idx, a, n in self.worst]
        return "\n".join(lines)


def _shifted(params: Params, key: str, delta: np.ndarray) -> Params:
    out = dict(params)
    out[key] = params[key] + delta
    return out


def directional_probe(f: Callable[[Params], float], params: Params, key: str, v: np.ndarray,
                      h: float = STEP) -> float:
    """(f(P + h v) - f(P - h v)) / 2h for the tensor `key`."""
    return (f(_shifted(params, key, h * v)) - f(_shifted(params, key, -h * v))) / (2 * h)


def numeric_entries(f: Callable[[Params], float], params: Params, key: str,
                    indices: list[tuple[int, ...]], h: float = STEP) -> np.ndarray:
    """Central differences of f with respect to single entries of tensor `key`."""
    out = np.empty(len(indices))
    for i, idx in enumerate(indices):
        e = np.zeros_like(params[key])
        e[idx] = h
        out[i] = (f(_shifted(params, key, e)) - f(_shifted(params, key, -e))) / (2 * h)
    return out


def check_gradient(f: Callable[[Params], float], params: Params, key: str, analytic: np.ndarray,
                   *, rng: np.random.Generator, probes: int = 3, batch_size: int | None = None,
                   rtol: float = PROBE_RTOL, atol: float = PROBE_ATOL) -> GradientVerdict:
    """Check `analytic` against the numerical gradient of f with respect to params[key]."""
    p = params[key]
    if np.shape(analytic) != p.shape:
        raise CheckFailed(f"the gradient of {key!r} has shape {np.shape(analytic)}; the parameter has shape "
                          f"{p.shape}.", expected=str(p.shape), got=str(np.shape(analytic)),
                          slip="a gradient must have exactly its parameter's shape: a missing sum over "
                               "the batch (db = dZ.sum(axis=0)), keepdims, or a transpose.")
    verdict = GradientVerdict(key=key, ok=True, evaluations=0)
    for _ in range(probes):
        v = rng.standard_normal(p.shape)
        v /= max(np.linalg.norm(v), 1e-300)
        numeric = directional_probe(f, params, key, v)
        analytic_dd = float(np.sum(analytic * v))
        verdict.evaluations += 2
        verdict.probes.append((numeric, analytic_dd))
        if not abs(numeric - analytic_dd) <= atol + rtol * max(abs(numeric), abs(analytic_dd)):
            verdict.ok = False
    if verdict.ok:
        return verdict
    _localise(f, params, key, analytic, rng, verdict, batch_size, rtol, atol)
    return verdict


def _localise(f, params, key, analytic, rng, verdict, batch_size, rtol, atol) -> None:
    p = params[key]
    all_indices = list(np.ndindex(p.shape))
    full = len(all_indices) <= LOCALISE_ENTRIES
    if full:
        indices = all_indices
    else:
        pick = rng.choice(len(all_indices), size=LOCALISE_ENTRIES, replace=False)
        indices = [all_indices[i] for i in sorted(pick)]
    numeric = numeric_entries(f, params, key, indices)
    verdict.evaluations += 2 * len(indices)
    mine = np.array([analytic[idx] for idx in indices])
    bad = ~(np.abs(mine - numeric) <= atol + rtol * np.maximum(np.abs(mine), np.abs(numeric)))
    verdict.entries = (indices, mine, numeric)
    verdict.checked = len(indices)
    verdict.mismatched = int(bad.sum())
    order = np.argsort(-np.abs(mine - numeric))[:3]
    verdict.worst = [(tuple(int(i) for i in indices[j]), float(mine[j]), float(numeric[j])) for j in order]
    if full:
        verdict.slip = diagnose(analytic, numeric.reshape(p.shape), batch_size=batch_size,
                                float32_possible=False)
    else:
        verdict.slip = diagnose(mine, numeric, batch_size=batch_size, float32_possible=False)
    if verdict.slip is None:
        verdict.slip = describe_spread(mine, numeric, bad, atol)


def describe_spread(mine: np.ndarray, numeric: np.ndarray, bad: np.ndarray, atol: float) -> str | None:
    """What is known about wrong entries that no named slip explains: which entries are off, and
    by what factor, without guessing at a cause the numbers do not show.

    An entry counts as right only where the gradient is clearly nonzero (|numeric| > 100 atol):
    tiny entries match any factor within the absolute tolerance."""
    significant = np.abs(numeric) > 100 * atol
    right = ~bad & significant
    wrong = bad & significant
    if not wrong.any():
        return None
    if right.any():
        return (f"only some entries are wrong ({int(wrong.sum())} of {int(significant.sum())} clearly nonzero "
                "entries; the others match): look for a term that reaches only part of the tensor (a mask, "
                "a missing path through time, a missing contribution).")
    ratio = mine[wrong] / numeric[wrong]
    if np.all(ratio > 0):
        return (f"every entry is off, by a factor that varies from entry to entry (yours / numeric from "
                f"{ratio.min():.3g} to {ratio.max():.3g}): not a constant factor, a transpose or a missing "
                "part, but a term computed at the wrong values, such as a derivative evaluated at the wrong "
                "point.")
    return (f"every entry is off (yours / numeric from {ratio.min():.3g} to {ratio.max():.3g}, some with the "
            "wrong sign), by no constant factor.")


def assert_gradient(f: Callable[[Params], float], params: Params, key: str, analytic: np.ndarray,
                    what: str, *, rng: np.random.Generator, batch_size: int | None = None,
                    probes: int = 3, context: str | None = None,
                    known: dict[str, np.ndarray] | None = None) -> GradientVerdict:
    """check_gradient, raising CheckFailed with full feedback when the gradient is wrong.

    known: common wrong gradients on the same input, by the slip's name.
    """
    verdict = check_gradient(f, params, key, analytic, rng=rng, probes=probes, batch_size=batch_size)
    if not verdict.ok:
        verdict.slip = match_known(analytic, known) or verdict.slip
        worst = verdict.worst[0] if verdict.worst else None
        raise CheckFailed(
            f"{what}: your gradient of {key!r} does not match the numerical gradient of the loss.",
            expected=f"{worst[2]:.8g} at index {worst[0]}" if worst else None,
            got=f"{worst[1]:.8g}" if worst else None,
            diff=verdict.message(what),
            slip=verdict.slip,
            details=context,
            pictures=_heatmap(verdict, params[key].shape),
        )
    return verdict


def _heatmap(verdict: GradientVerdict, shape) -> list[Picture]:
    """Which entries of the gradient are wrong, as data (the report layer draws the heatmap)."""
    if verdict.entries is None or len(shape) not in (1, 2):
        return []
    indices, mine, numeric = verdict.entries
    if len(shape) == 1:  # a bias vector is drawn as one row
        indices, shape = [(0,) + tuple(i) for i in indices], (1,) + tuple(shape)
    return [Picture("gradient_error", f"gradient error of {verdict.key} per entry (grey: not checked)",
                    {"yours": np.asarray(mine, dtype=np.float64), "numeric": np.asarray(numeric, dtype=np.float64),
                     "indices": [tuple(int(i) for i in idx) for idx in indices], "shape": tuple(shape)})]
