"""Whether a generator hands back its training images, measured in the grader.

A generator can pass a classifier's coverage check by returning training images (learned by
heart, or smuggled to the evaluation inside its "weights"). Real generated digits are new
images: each lies about as far from its nearest training image as an unseen real digit does.
So the grader compares, by Euclidean nearest-neighbour distance to the training images:

    copy_ratio = quantile_q(distance of each sample to its nearest training image)
                 / median(distance of each unseen real image to its nearest training image)

with q = QUANTILE (0.1): when more than a tenth of the samples are training images (distance
0) or near copies, the ratio falls towards 0. A calibrated bound (thresholds.py, check
"gan_not_memorised") says how low it may go.
"""

from __future__ import annotations

import numpy as np

QUANTILE = 0.1


def nearest_distances(points: np.ndarray, reference: np.ndarray, block: int = 512) -> np.ndarray:
    """Euclidean distance of each row of `points` to its nearest row of `reference` (float64)."""
    p = np.asarray(points, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    r2 = np.einsum("ij,ij->i", r, r)
    out = np.empty(len(p))
    for i in range(0, len(p), block):
        q = p[i:i + block]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] - 2.0 * q @ r.T + r2[None, :]
        out[i:i + block] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


def copy_ratio(samples: np.ndarray, train: np.ndarray, unseen: np.ndarray) -> dict:
    """{"ratio", "sample_quantile", "unseen_median", "exact_copies"}: see the module docstring;
    exact_copies counts the samples within 1e-6 of a training image."""
    ds = nearest_distances(samples, train)
    du = nearest_distances(unseen, train)
    scale = float(np.median(du))
    q = float(np.quantile(ds, QUANTILE))
    return {"ratio": q / scale if scale > 0 else float("nan"), "sample_quantile": q, "unseen_median": scale,
            "exact_copies": int(np.sum(ds <= 1e-6))}
