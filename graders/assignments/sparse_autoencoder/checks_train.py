"""The trained-model check of `sparse_autoencoder`: the grader builds the patches with the
reference pipeline on the course's secret draw (thresholds.graded_data: secret patch
samples, pixel order and seed, so filters prepared in advance do not fit), sends them to
the submission's `train`, and measures the REFERENCE cost of the returned parameters on
held-out patches against the calibrated bound in `thresholds.py`; the learned filters are
attached to the report as a picture, their pixels back in place.
"""

from __future__ import annotations

import io
import time

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed

from .thresholds import PLATEAU_COST, UNTRAINED_COST, graded_data, heldout_cost

TRAIN_TIMEOUT_S = 240.0  # wall time: a correct cost that loops over the samples trains in ~35-40 s CPU,
# which took over 120 s of wall time on a loaded 2-core machine


def filters_png(W: np.ndarray, scale: int = 4) -> bytes:
    """The columns of W as a grid of p x p grey images (each scaled to its own range)."""
    from PIL import Image

    W = np.asarray(W, dtype=np.float64)
    d, k = W.shape
    p = int(round(np.sqrt(d)))
    cols = int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    grid = np.ones((rows * (p + 1) + 1, cols * (p + 1) + 1))
    for j in range(k):
        f = W[:, j].reshape(p, p)
        m = np.max(np.abs(f - f.mean()))
        f = 0.5 + 0.5 * (f - f.mean()) / (m if m > 0 else 1.0)
        r, c = divmod(j, cols)
        grid[1 + r * (p + 1): 1 + r * (p + 1) + p, 1 + c * (p + 1): 1 + c * (p + 1) + p] = f
    img = Image.fromarray(np.uint8(np.clip(grid, 0, 1) * 255)).resize(
        (grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _history_summary(history) -> str:
    try:
        h = np.asarray(history, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return "your history could not be read as numbers"
    if h.size == 0:
        return "your history is empty"
    return f"your own cost went from {h[0]:.6g} to {h[-1]:.6g} over {h.size} recorded steps"


def unpermuted(W: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """W's rows back in the photos' pixel order: row i of W belongs to pixel pixels[i]."""
    W_photo = np.empty_like(W)
    W_photo[pixels] = W
    return W_photo


def check_train_held_out(ctx):
    threshold = ctx.check.threshold.for_dataset("sample_photos")
    s = threshold.settings
    data = graded_data(ctx.session.secret, s)
    X_train, X_test = data["X_train"], data["X_test"]
    start = time.monotonic()
    out = ctx.call("train", X_train, s["n_hidden"], s["rho"], s["beta"], s["lam"], s["lr"], s["epochs"],
                   data["seed"])
    took = time.monotonic() - start
    what = (f"train(X, n_hidden={s['n_hidden']}, rho={s['rho']}, beta={s['beta']}, lam={s['lam']}, "
            f"lr={s['lr']}, epochs={s['epochs']}, seed=<secret seed>)")
    params, history = expect.sequence(out, what, 2)
    if isinstance(params, dict):
        bad = [k for k, v in params.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"
               and not np.all(np.isfinite(v))]
        if bad:
            raise CheckFailed(
                "Training diverged: the returned parameters contain NaN or inf.",
                expected="finite parameters", got=f"non-finite values in {', '.join(bad)}",
                diff=_history_summary(history),
                slip="steps far too large: a gradient with the wrong sign or without its 1/N, or Adam "
                     "without its bias corrections m / (1 - 0.9**t), v / (1 - 0.999**t) (the first steps "
                     "then divide by a tiny sqrt(v)). The gradient checks of cost above tell which.")
    d = X_train.shape[1]
    params = expect.array_dict(params, f"{what} params",
                               {"W": (d, s["n_hidden"]), "b_h": (s["n_hidden"],), "b_v": (d,)})
    value = heldout_cost(params, X_test)
    try:
        ctx.attach("learned filters", filters_png(unpermuted(params["W"], data["pixels"])))
    except Exception:  # a picture must never cost a grade
        pass
    setting = (f"{X_train.shape[0]} training patches of 8x8 pixels from the two sample photos (this course's "
               "secret draw of patches, pixel order and seed); held-out cost measured with the contract's cost "
               f"on {X_test.shape[0]} other patches. "
               f"Your train took {took:.1f} s (the reference needs about 2-3 s CPU; "
               f"budget {threshold.cpu_budget_s:g} s CPU, check timeout {TRAIN_TIMEOUT_S:g} s).")
    if threshold.passes(value):
        return (f"Held-out cost {value:.6g}; passes {threshold.describe()}. {_history_summary(history)}. "
                + setting)
    slip = None
    if value != value:
        slip = "the parameters make the cost NaN: they diverged (a wrong gradient sign or scale)."
    elif value >= UNTRAINED_COST * 0.5:
        slip = "no better than the untrained network: the parameters barely moved or moved the wrong way."
    elif value >= PLATEAU_COST * 0.98:
        slip = ("training stalled on the plateau where every hidden unit is off and X_hat is the mean "
                f"patch (held-out cost about {PLATEAU_COST:.4g}): plain gradient steps instead of Adam "
                "(the template's train takes full-batch Adam steps), a learning rate ignored, or a "
                "wrong gradient.")
    raise CheckFailed(
        "The trained sparse autoencoder does not reach the calibrated held-out cost.",
        expected=threshold.describe(), got=f"held-out cost {value:.6g}",
        diff=f"{_history_summary(history)}; untrained networks reach about {UNTRAINED_COST:.4g}",
        slip=slip or "check cost's gradient (the gradient checks above) and the Adam update in train.",
        details=setting)
