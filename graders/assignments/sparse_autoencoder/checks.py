"""The checks of `sparse_autoencoder`, one `check_<function>_<property>` per check.

The data pipeline (`to_grayscale`, `sample_patches`, `normalize_patches`) is checked by
value where the contract fixes the values and by properties where it does not (which
random patches a seed gives is the submission's choice). `cost` is checked term by term:
its value and its gradient with every term on, and with each term alone (beta = 0,
lam = 0 for the reconstruction; differences of two calls for weight decay and sparsity),
so the feedback names the wrong term; the tied weight's gradient has a check of its own.
Numerical gradients always come from the REFERENCE cost in the grader's process.

`train` is a trained-model check: the grader builds the patches with the reference
pipeline, sends them to the submission's `train`, and measures the REFERENCE cost of the
returned parameters on held-out patches against the calibrated bound in `thresholds.py`.
"""

from __future__ import annotations

import io
import time

import numpy as np
from hypothesis import strategies as st

from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.common import check_inputs_unchanged
from graders.engine.compare import assert_close, assert_scalar_close, fmt
from graders.engine.gradcheck import assert_gradient
from graders.engine.properties import check_property, floats_array
from graders.engine.slips import best_ratio
from reference.numpy import sparse_autoencoder as ref

from .calibrate import patch_data, reference_cost
from .thresholds import CHECK as TRAIN_CHECK
from .thresholds import PLATEAU_COST, SETTINGS, THRESHOLDS, UNTRAINED_COST

CONTRACT = ("to_grayscale", "sample_patches", "normalize_patches", "init_params", "cost", "train")
KEYS = ("W", "b_h", "b_v")

# the cost problems: small enough for per-entry gradient localisation, rho_hat well inside (0, 1)
N, D, K = 9, 8, 5
RHO, BETA, LAM = 0.1, 3.0, 0.05
TRAIN_TIMEOUT_S = 240.0  # wall time: a correct cost that loops over the samples trains in ~35-40 s CPU,
# which took over 120 s of wall time on a loaded 2-core machine


# ------------------------------------------------------------------ to_grayscale


def check_to_grayscale_values(ctx):
    """uint8 and float images against 0.2126 R + 0.7152 G + 0.0722 B."""
    images = ctx.rng.integers(0, 256, size=(2, 5, 6, 3), dtype=np.uint8)
    # pure red, green and blue pixels in the first row make the weights readable in feedback
    images[0, 0, :3] = 0
    for channel in range(3):
        images[0, 0, channel, channel] = 255
    for what, x in (("uint8 images", images), ("float images in [0, 1]", images / 255.0)):
        got = expect.array(ctx.call("to_grayscale", x), f"to_grayscale({what})", x.shape[:-1])
        f = x.astype(np.float64)
        expected = ref.to_grayscale(x)
        known = {
            "the plain mean of R, G and B: the contract weights them by luminance, "
            "0.2126 R + 0.7152 G + 0.0722 B": f.mean(axis=-1),
            "the weights applied in the order B, G, R (OpenCV's channel order); the images "
            "here are RGB": f[..., ::-1] @ np.array(ref.LUMINANCE),
            "the older Rec. 601 weights 0.299 R + 0.587 G + 0.114 B; the contract uses "
            "0.2126, 0.7152, 0.0722": f @ np.array([0.299, 0.587, 0.114]),
        }
        pure = got[0, 0, :3] / (255.0 if x.dtype == np.uint8 else 1.0)
        assert_close(got, expected, f"to_grayscale({what})", known=known,
                     context=f"A pure red, green and blue pixel gave {fmt(pure)}; expected "
                             f"{fmt(np.array(ref.LUMINANCE))} (times 255 for uint8 input).")


# ------------------------------------------------------------------ sample_patches


def _distinct_images(rng, n_images, H, W):
    """Images whose pixels are all distinct, so a patch's values say where it came from."""
    values = rng.permutation(n_images * H * W).astype(np.float64) + 1.0
    return values.reshape(n_images, H, W)


def _call_sample(ctx, images, p, n, seed):
    out = ctx.call("sample_patches", images, p, n, seed)
    return expect.array(out, f"sample_patches(images, patch_size={p}, n={n}, seed={seed})", (n, p * p))


def _locate_patches(images, patches, p):
    """For each patch: (k, r, c) of the block it is, or raise CheckFailed naming the slip."""
    n_images, H, W = images.shape
    where = {}
    for k in range(n_images):
        for r in range(H):
            for c in range(W):
                where[images[k, r, c]] = (k, r, c)
    found = []
    for j, row in enumerate(patches):
        if row[0] not in where:
            raise CheckFailed(
                f"Patch {j} does not start with a pixel of any input image.",
                expected="every value of a patch is a pixel of the images", got=fmt(row[:p]),
                where=f"row {j} of the result",
                slip="the patches are computed from the pixels (scaled, centred, or converted) or "
                     "come from another array; sample_patches only cuts blocks out of `images`.")
        k, r, c = where[row[0]]
        block = images[k, r:r + p, c:c + p]
        if block.shape == (p, p) and np.array_equal(row, block.ravel()):
            found.append((k, r, c))
            continue
        slip = "each patch must be images[k, r:r+p, c:c+p] for one image k, flattened row by row."
        if block.shape != (p, p):
            slip = (f"the block starting at row {r}, column {c} of image {k} does not fit in a "
                    f"{H}x{W} image: the top-left corner must leave room for the whole block "
                    "(r <= H - p, c <= W - p).")
        elif np.array_equal(row, block.T.ravel()):
            slip = ("the block is flattened column by column (a transpose, or order='F'); the "
                    "contract flattens row-major: entry a * p + b is row a, column b.")
        else:
            flat = images[k].ravel()
            start = r * W + c
            strip = flat[start:start + p * p]
            if strip.size == p * p and np.array_equal(row, strip):
                slip = (f"the patch is {p * p} consecutive pixels of the flattened image, not a "
                        f"{p}x{p} block: index rows r..r+p-1 and columns c..c+p-1 of the 2-D image.")
            elif not all(v in where and where[v][0] == k for v in row):
                slip = "the patch mixes pixels of different images: take all of it from one image."
        raise CheckFailed(
            f"Patch {j} is not a contiguous {p}x{p} block of one image.",
            expected=f"images[{k}, {r}:{r + p}, {c}:{c + p}].ravel() = {fmt(block.ravel())}",
            got=fmt(row), where=f"row {j} of the result", slip=slip,
            details="The test images have all-distinct pixel values, so the first value of a patch "
                    "says which pixel is its top-left corner.")
    return found


def check_sample_patches_blocks(ctx):
    for n_images, H, W, p in ((3, 7, 9, 3), (2, 6, 5, 4), (1, 4, 4, 1)):
        images = _distinct_images(ctx.rng, n_images, H, W)
        seed = int(ctx.rng.integers(0, 2**31 - 1))
        patches = _call_sample(ctx, images, p, 120, seed)
        _locate_patches(images, patches, p)


def check_sample_patches_every_position(ctx):
    """2 images, 5x6, p = 3: 2 * 3 * 4 = 24 (image, row, column) choices, 1500 draws."""
    images = _distinct_images(ctx.rng, 2, 5, 6)
    p, n = 3, 1500
    seed = int(ctx.rng.integers(0, 2**31 - 1))
    found = _locate_patches(images, _call_sample(ctx, images, p, n, seed), p)
    rows = {r for _, r, _ in found}
    cols = {c for _, _, c in found}
    imgs = {k for k, _, _ in found}
    problems = []
    if imgs != {0, 1}:
        problems.append(f"images drawn: {sorted(imgs)} of [0, 1]")
    if rows != {0, 1, 2}:
        problems.append(f"top rows drawn: {sorted(rows)} of [0, 1, 2]")
    if cols != {0, 1, 2, 3}:
        problems.append(f"left columns drawn: {sorted(cols)} of [0, 1, 2, 3]")
    if problems:
        slip = None
        if 2 not in rows or 3 not in cols or 1 not in imgs:
            slip = ("an off-by-one in the upper bound: rng.integers(low, high) excludes `high`, so the "
                    "last feasible corner needs high = H - p + 1 (and N for the image index).")
        raise CheckFailed(
            f"In {n} patches of two 5x6 images with patch_size 3, some positions never occur.",
            expected="every image, every top row 0..H-p and every left column 0..W-p (uniform draws)",
            got="; ".join(problems), slip=slip)
    counts = np.zeros((2, 3, 4))
    for k, r, c in found:
        counts[k, r, c] += 1
    expected = n / counts.size
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    # 23 degrees of freedom: P(chi2 > 80) is about 1e-8 for uniform draws
    if chi2 > 80.0:
        raise CheckFailed(
            "The top-left corners are far from uniform over the positions where a block fits.",
            expected=f"about {expected:.0f} draws of each (image, row, column)",
            got=f"counts from {int(counts.min())} to {int(counts.max())} (chi-square {chi2:.1f}, 23 dof)",
            slip="draw the image index, the row and the column independently and uniformly.")


def check_sample_patches_reproducible(ctx):
    images = _distinct_images(ctx.rng, 2, 8, 8)
    a = _call_sample(ctx, images, 3, 40, 5)
    b = _call_sample(ctx, images, 3, 40, 6)
    a2 = _call_sample(ctx, images, 3, 40, 5)
    if not np.array_equal(a, a2):
        raise CheckFailed(
            "sample_patches with the same seed gave different patches.",
            expected="identical results for seed=5, called twice (with seed=6 in between)",
            got=f"{int(np.sum(np.any(a != a2, axis=1)))} of 40 patches differ",
            slip="the random numbers do not come from `seed` alone: use rng = "
                 "np.random.default_rng(seed) and draw everything from rng (not np.random.* or an "
                 "unseeded default_rng()).")
    if np.array_equal(a, b):
        raise CheckFailed("sample_patches gave the same patches for seed=5 and seed=6.",
                          slip="the seed argument is ignored (a fixed seed inside the function).")


# ------------------------------------------------------------------ normalize_patches


def _raw_patches(rng, n=60, d=16):
    """Patches with their own brightness and contrast, and a few outliers beyond 3 sigma."""
    P = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=(n, 1)) + rng.normal(0, 10, size=(n, 1))
    P[rng.integers(0, n, 4), rng.integers(0, d, 4)] += np.array([12.0, -12.0, 15.0, -15.0])
    return P


def _normalize_variants(P):
    """What the common wrong versions of normalize_patches give on P."""
    C = P - P.mean(axis=1, keepdims=True)
    s = 3 * C.std()
    u = np.clip(C / s, -1, 1)
    G = P - P.mean()
    sg = 3 * G.std()
    s1 = C.std()
    s_row = 3 * C.std(axis=1, keepdims=True)
    s_row = np.where(s_row == 0, 1.0, s_row)
    return {
        "+1 instead of +0.1 in the linear map, (u + 1) * 0.4 + 1: the result lies in [1.0, 1.8], "
        "not [0.1, 0.9]": 0.4 * u + 1.4,
        "mapped to [0, 1] instead of [0.1, 0.9] (-s must go to 0.1 and +s to 0.9)": 0.5 + 0.5 * u,
        "s = 1 standard deviation instead of 3": 0.5 + 0.4 * np.clip(C / s1, -1, 1),
        "the mean of ALL patches is removed; the contract removes each patch's own mean "
        "(mean over axis=1)": 0.5 + 0.4 * np.clip(G / sg, -1, 1),
        "no mean removal": 0.5 + 0.4 * np.clip(P / (3 * P.std()), -1, 1),
        "one s per patch (std over axis=1); the contract uses one s for all values": (
            0.5 + 0.4 * np.clip(C / s_row, -1, 1)),
        "no clipping to [-s, s] before the linear map": 0.5 + 0.4 * C / s,
    }


def _call_normalize(ctx, P, what="normalize_patches(patches)"):
    return expect.array(ctx.call("normalize_patches", P), what, P.shape)


def _sample_std_version(P):
    """normalize_patches with s = 3 * the SAMPLE standard deviation (ddof=1)."""
    C = P - P.mean(axis=1, keepdims=True)
    return 0.5 + 0.4 * np.clip(C / (3 * C.std(ddof=1)), -1, 1)


SAMPLE_STD_NOTE = ("Your s uses the sample standard deviation (ddof=1, as MATLAB's std in Ng's UFLDL "
                   "exercise); NumPy's std (ddof=0) is meant, but the difference is immaterial and accepted.")


def _assert_normalized(got, P, context):
    """got ~ the reference on P, or ~ the ddof=1 reading of the contract (accepted with a note)."""
    expected = ref.normalize_patches(P)
    try:
        assert_close(got, expected, "normalize_patches(patches)", known=_normalize_variants(P), context=context)
    except CheckFailed:
        if np.allclose(got, _sample_std_version(P), rtol=1e-6, atol=1e-9):
            return SAMPLE_STD_NOTE
        raise
    return None


def check_normalize_values(ctx):
    P = _raw_patches(ctx.rng)
    got = _call_normalize(ctx, P)
    return _assert_normalized(got, P, f"Inputs: 60 patches of 16 values each with their own brightness and "
                                      f"contrast (first patch {fmt(P[0])}).")


def check_normalize_range(ctx):
    def prop(P):
        C = P - P.mean(axis=1, keepdims=True)
        if C.std() < 1e-6:  # every patch flat: the contract does not say what s = 0 gives
            return
        out = _call_normalize(ctx, P)
        lo, hi = float(out.min()), float(out.max())
        if lo < 0.1 - 1e-9 or hi > 0.9 + 1e-9:
            slip = None
            if lo >= 1.0 - 1e-9:
                slip = "the constant of the linear map: 0.4 * u + 0.5 (u in [-1, 1]), e.g. +1 instead of +0.1."
            elif lo >= -1e-9 and hi <= 1 + 1e-9:
                slip = "mapped to [0, 1] instead of [0.1, 0.9]."
            elif lo < 0.1 - 1e-9 and hi > 0.9 + 1e-9:
                slip = "the values are not clipped to [-s, s] before the linear map."
            raise CheckFailed("normalize_patches left the range [0.1, 0.9].",
                              expected="every value in [0.1, 0.9]", got=f"min {lo:.6g}, max {hi:.6g}",
                              slip=slip)
    check_property(prop, floats_array(st.tuples(st.integers(1, 6), st.integers(2, 9)), -10.0, 10.0))


def check_normalize_centring(ctx):
    def prop(P, shifts):
        C = P - P.mean(axis=1, keepdims=True)
        if C.std() < 1e-3:
            return
        shift = np.asarray(shifts[:P.shape[0]] + [0.0] * (P.shape[0] - len(shifts)))[:, None]
        a = _call_normalize(ctx, P)
        b = _call_normalize(ctx, P + shift, "normalize_patches(patches + c)")
        worst = float(np.max(np.abs(a - b)))
        if worst > 1e-8:
            raise CheckFailed(
                "Adding a constant c_n to every value of patch n changed the result: each patch's own "
                "mean (its brightness) must be removed first.",
                expected="normalize_patches(P + c[:, None]) == normalize_patches(P)",
                diff=f"greatest difference {worst:.4g}",
                slip="the mean is taken over all patches (P.mean()) or over axis=0, or not removed; "
                     "use P - P.mean(axis=1, keepdims=True).")
    check_property(prop, floats_array(st.tuples(st.integers(2, 6), st.integers(2, 9)), -10.0, 10.0),
                   st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=6))


def check_normalize_mapping(ctx):
    """-s -> 0.1, 0 -> 0.5, +s -> 0.9, linear in between, clipped outside."""
    rng = ctx.rng
    P = rng.normal(size=(40, 9)) * 2.0
    P[:, 4] = 0.0
    P[:, 5:] = -P[:, :4]  # symmetric patches: mean 0 exactly, so 0 stays 0 after centring
    P[0, 0], P[0, 5] = 40.0, -40.0  # far beyond 3 sigma: clipped to 0.9 and 0.1
    P = P + rng.normal(0, 5, size=(40, 1))  # each patch its own brightness
    got = _call_normalize(ctx, P)
    C = P - P.mean(axis=1, keepdims=True)
    s = 3 * C.std()
    anchors = (f"the patch means (centred value 0) gave {fmt(got[:4, 4])} (expected 0.5); "
               f"a value 40 above its patch mean (beyond +s = {s:.4g}) gave {got[0, 0]:.6g} (expected 0.9); "
               f"40 below gave {got[0, 5]:.6g} (expected 0.1)")
    inside = np.abs(C) < s
    if inside.sum() > 2:
        x, y = C[inside] / s, got[inside]
        A = np.stack([x, np.ones_like(x)], axis=1)
        (slope, intercept), *_ = np.linalg.lstsq(A, y, rcond=None)
        anchors += f"; inside [-s, s] your map is about {slope:.4g} * v / s + {intercept:.4g} (expected 0.4 * v / s + 0.5)"
    return _assert_normalized(got, P, "The linear map: a centred value v becomes 0.5 + 0.4 * clip(v / s, -1, 1), "
                                      "s = 3 * std of all centred values. Here " + anchors + ".")


def check_normalize_unchanged(ctx):
    check_inputs_unchanged(ctx, "normalize_patches", (_raw_patches(ctx.rng, 10, 9),))


# ------------------------------------------------------------------ init_params


def _call_init(ctx, n_visible, n_hidden, seed):
    out = ctx.call("init_params", n_visible, n_hidden, seed)
    return expect.array_dict(out, f"init_params({n_visible}, {n_hidden}, seed={seed})",
                             {"W": (n_visible, n_hidden), "b_h": (n_hidden,), "b_v": (n_visible,)})


def check_init_params_range(ctx):
    nv, nh = 64, 25
    p = _call_init(ctx, nv, nh, 3)
    r = np.sqrt(6.0 / (nv + nh + 1))
    W = p["W"]
    if np.any(p["b_h"] != 0) or np.any(p["b_v"] != 0):
        raise CheckFailed("The biases must start at zero.", expected="b_h = 0 and b_v = 0",
                          got=f"max |b_h| {np.abs(p['b_h']).max():.4g}, max |b_v| {np.abs(p['b_v']).max():.4g}")
    lo, hi, mean = float(W.min()), float(W.max()), float(W.mean())
    # 5% slack: r without the "+ 1" (Glorot's sqrt(6 / (fan_in + fan_out))) is 0.6% larger, and fine
    if lo < -1.05 * r or hi > 1.05 * r or lo > -0.8 * r or hi < 0.8 * r or abs(mean) > 0.15 * r:
        slip = None
        if lo >= 0:
            slip = "every weight is positive: Uniform(0, r) instead of Uniform(-r, r)."
        elif hi > 1.05 * r or lo < -1.05 * r:
            slip = "weights beyond r: a normal distribution, or a wrong r (the formula has n_visible + n_hidden + 1)."
        elif hi < 0.8 * r or lo > -0.8 * r:
            slip = "the weights are too small: r = sqrt(6 / (n_visible + n_hidden + 1)), not a smaller scale."
        raise CheckFailed(
            "W is not drawn from Uniform(-r, r), r = sqrt(6 / (n_visible + n_hidden + 1)).",
            expected=f"values spread over [-{r:.4g}, {r:.4g}] with mean about 0",
            got=f"min {lo:.4g}, max {hi:.4g}, mean {mean:.4g}", slip=slip)


def check_init_params_reproducible(ctx):
    a = _call_init(ctx, 10, 4, 7)
    b = _call_init(ctx, 10, 4, 7)
    c = _call_init(ctx, 10, 4, 8)
    if not np.array_equal(a["W"], b["W"]):
        raise CheckFailed("init_params with the same seed gave different W.",
                          expected="identical W for seed=7, called twice", got="different W",
                          slip="use rng = np.random.default_rng(seed) for every random draw.")
    if np.array_equal(a["W"], c["W"]):
        raise CheckFailed("init_params gave the same W for seed=7 and seed=8.",
                          slip="the seed argument is ignored.")


# ------------------------------------------------------------------ cost


def _problem(rng):
    params = {"W": rng.normal(0, 0.7, size=(D, K)), "b_h": rng.normal(0, 0.5, size=K),
              "b_v": rng.normal(0, 0.5, size=D)}
    X = rng.uniform(0.1, 0.9, size=(N, D))
    return params, X


def _copy(params):
    return {k: np.array(v, copy=True) for k, v in params.items()}


def _call_cost(ctx, params, X, rho, beta, lam):
    what = f"cost(params, X, rho={rho:g}, beta={beta:g}, lam={lam:g})"
    J, grads = expect.sequence(ctx.call("cost", _copy(params), X, rho, beta, lam), what, 2)
    J = expect.scalar(J, f"{what} J")
    grads = expect.array_dict(grads, f"{what} grads", {k: v.shape for k, v in params.items()})
    return J, grads


def _ref_J(params, X, rho, beta, lam):
    with np.errstate(all="ignore"):
        return ref.cost(params, X, rho, beta, lam)[0]


def _ref_grads(params, X, rho, beta, lam):
    return ref.cost(params, X, rho, beta, lam)[1]


def _ref_terms(params, X, rho):
    """(reconstruction, sum of W**2 / 2, sum_j KL(rho || rho_hat_j)) and the pieces slips need."""
    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]
    H = ref.sigmoid(X @ W + b_h)
    X_hat = ref.sigmoid(H @ W.T + b_v)
    q = H.mean(axis=0)
    return {
        "rec": 0.5 / X.shape[0] * np.sum((X_hat - X) ** 2),
        "wd": 0.5 * np.sum(W**2),
        "kl": np.sum(rho * np.log(rho / q) + (1 - rho) * np.log((1 - rho) / (1 - q))),
        "kl_first_part": np.sum(rho * np.log(rho / q)),
        "kl_swapped": np.sum(q * np.log(q / rho) + (1 - q) * np.log((1 - q) / (1 - rho))),
        "sq": np.sum((X_hat - X) ** 2),
    }


def _context(params, X, rho, beta, lam):
    return (f"Inputs: X of shape {X.shape} (values in [0.1, 0.9]), W of shape {params['W'].shape}, "
            f"rho = {rho:g}, beta = {beta:g}, lam = {lam:g}; W[0] = {fmt(params['W'][0])}.")


def _named_value(got, expected, variants, what, context):
    """assert_scalar_close, naming the slip when `got` equals a known wrong value."""
    tol = 1e-5 * abs(expected) + 1e-8
    if abs(got - expected) <= tol:
        return
    for words, value in variants.items():
        if abs(got - value) <= 1e-6 * abs(value) + 1e-9:
            raise CheckFailed(f"{what} is {got:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                              got=f"{got:.10g}", diff=f"absolute difference {abs(got - expected):.4g}",
                              slip=words, details=context)
    assert_scalar_close(got, expected, what, batch_size=N, context=context)


def check_cost_value_all_terms(ctx):
    params, X = _problem(ctx.rng)
    J, _ = _call_cost(ctx, params, X, RHO, BETA, LAM)
    t = _ref_terms(params, X, RHO)
    expected = _ref_J(params, X, RHO, BETA, LAM)
    variants = {
        "the weight decay term without its 1/2 (lam/2 * sum W**2)": t["rec"] + LAM * 2 * t["wd"] + BETA * t["kl"],
        "the sparsity term is missing": t["rec"] + LAM * t["wd"],
        "the weight decay term is missing": t["rec"] + BETA * t["kl"],
        "the sparsity term without beta": t["rec"] + LAM * t["wd"] + t["kl"],
    }
    _named_value(J, expected, variants, "cost(...) J with every term on", _context(params, X, RHO, BETA, LAM))


def check_cost_value_reconstruction(ctx):
    params, X = _problem(ctx.rng)
    J, _ = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    t = _ref_terms(params, X, RHO)
    variants = {
        "the mean over all N*D entries instead of 1/(2N) times the sum over them": t["sq"] / (2 * X.size),
        "the mean over all N*D entries without the 1/2": t["sq"] / X.size,
        "1/N sum (X_hat - X)**2 without the 1/2": t["sq"] / X.shape[0],
        "the sum over the batch without 1/(2N)": t["sq"],
        "with beta = 0 your J still contains the sparsity term (beta does not multiply it)": t["rec"] + t["kl"],
    }
    _named_value(J, t["rec"], variants, "cost(..., beta=0, lam=0) J (the reconstruction term alone)",
                 _context(params, X, RHO, 0.0, 0.0))


def check_cost_value_weight_decay(ctx):
    params, X = _problem(ctx.rng)
    J0, _ = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    J1, _ = _call_cost(ctx, params, X, RHO, 0.0, LAM)
    t = _ref_terms(params, X, RHO)
    b2 = float(np.sum(params["b_h"] ** 2) + np.sum(params["b_v"] ** 2))
    variants = {
        "lam * sum W**2 without the 1/2": LAM * 2 * t["wd"],
        "the biases are decayed too; the contract's weight decay is lam/2 * sum(W**2), W only": LAM * (t["wd"] + b2 / 2),
        "lam * sum |W| (L1) instead of lam/2 * sum W**2": LAM * float(np.sum(np.abs(params["W"]))),
    }
    _named_value(J1 - J0, LAM * t["wd"], variants,
                 f"the weight-decay term, cost(lam={LAM:g}) - cost(lam=0) with beta = 0",
                 _context(params, X, RHO, 0.0, LAM))


def check_cost_value_sparsity(ctx):
    params, X = _problem(ctx.rng)
    J0, _ = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    J1, _ = _call_cost(ctx, params, X, RHO, BETA, 0.0)
    t = _ref_terms(params, X, RHO)
    variants = {
        "only rho log(rho / rho_hat): the (1 - rho) log((1 - rho) / (1 - rho_hat)) part of the KL "
        "divergence is missing": BETA * t["kl_first_part"],
        "KL(rho_hat || rho): the arguments of the divergence are swapped": BETA * t["kl_swapped"],
        "the KL sum is not multiplied by beta": t["kl"],
    }
    _named_value(J1 - J0, BETA * t["kl"], variants,
                 f"the sparsity term, cost(beta={BETA:g}) - cost(beta=0) with lam = 0",
                 _context(params, X, RHO, BETA, 0.0) + " rho_hat = the mean of H over the batch (axis 0).")


def check_cost_kl_zero_at_target(ctx):
    """KL(rho || rho_hat) summed over units: 0 when every rho_hat_j = rho, positive otherwise."""
    X = ctx.rng.uniform(0.1, 0.9, size=(6, D))

    def sparsity(rho, b_h):
        # W = 0: every sample has H = sigmoid(b_h), so rho_hat = sigmoid(b_h) exactly
        params = {"W": np.zeros((D, b_h.size)), "b_h": b_h, "b_v": np.zeros(D)}
        J1, _ = _call_cost(ctx, params, X, rho, 1.0, 0.0)
        J0, _ = _call_cost(ctx, params, X, rho, 0.0, 0.0)
        return J1 - J0

    def prop(rho, shift):
        logit = np.log(rho / (1 - rho))
        at_target = sparsity(rho, np.full(shift.size, logit))
        if abs(at_target) > 1e-9:
            raise CheckFailed(
                "The sparsity term is not 0 when every hidden unit's mean activation rho_hat equals rho.",
                expected="cost(beta=1) - cost(beta=0) = 0", got=f"{at_target:.6g}",
                where=f"rho = {rho:.6g}, W = 0, b_h = logit(rho), so rho_hat = rho",
                slip="KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)) "
                     "vanishes at rho_hat = rho; check the logs' arguments.")
        if np.max(np.abs(shift)) < 0.05:
            return
        rho_hat = ref.sigmoid(logit + shift)
        away = sparsity(rho, logit + shift)
        if not away > 1e-12:
            raise CheckFailed(
                "The sparsity term is not positive when some rho_hat_j differs from rho.",
                expected="cost(beta=1) - cost(beta=0) > 0 (a KL divergence)", got=f"{away:.6g}",
                where=f"rho = {rho:.6g}, rho_hat = {fmt(rho_hat)}",
                slip="only part of the Bernoulli KL divergence: both rho log(rho / rho_hat) and "
                     "(1 - rho) log((1 - rho) / (1 - rho_hat)) are needed; alone the first is "
                     "negative for rho_hat > rho.")

    check_property(prop, st.floats(0.02, 0.5), floats_array(st.integers(1, 4), -2.0, 2.0), max_examples=20)


# ------------------------------------------------------------------ cost: gradients


def _tied_paths(params, X):
    """(encoder path, decoder path) of dW for the reconstruction term alone."""
    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]
    H = ref.sigmoid(X @ W + b_h)
    X_hat = ref.sigmoid(H @ W.T + b_v)
    dZ_v = (X_hat - X) / X.shape[0] * X_hat * (1 - X_hat)
    dZ_h = (dZ_v @ W) * H * (1 - H)
    return X.T @ dZ_h, dZ_v.T @ H


def _tied_known(params, X, extra_W=0.0):
    enc, dec = _tied_paths(params, X)
    return {
        "the tied weight's gradient AVERAGES its two paths, (encoder + decoder) / 2; W is used twice, "
        "so its gradient is their SUM: X.T dZ_h + (H.T dZ_v).T": (enc + dec) / 2 + extra_W,
        "only the encoder path X.T dZ_h: the decoder also uses W (as W.T), add (H.T dZ_v).T": enc + extra_W,
        "only the decoder path (H.T dZ_v).T: the encoder also uses W, add X.T dZ_h": dec + extra_W,
    }


def _gradient_check(ctx, f, params, X, grads, what, context, known_by_key=None):
    for key in KEYS:
        assert_gradient(f, params, key, grads[key], what, rng=ctx.rng, batch_size=N, context=context,
                        known=(known_by_key or {}).get(key))


def check_cost_gradient_all_terms(ctx):
    params, X = _problem(ctx.rng)
    _, grads = _call_cost(ctx, params, X, RHO, BETA, LAM)
    kl = {k: _ref_grads(params, X, RHO, BETA, 0.0)[k] - _ref_grads(params, X, RHO, 0.0, 0.0)[k] for k in KEYS}
    full = _ref_grads(params, X, RHO, BETA, LAM)
    known = {
        "W": {"the weight decay gradient lam * W is missing": full["W"] - LAM * params["W"],
              "the sparsity (KL) gradient is missing": full["W"] - kl["W"]},
        "b_h": {"the sparsity (KL) gradient is missing": full["b_h"] - kl["b_h"]},
    }
    _gradient_check(ctx, lambda p: _ref_J(p, X, RHO, BETA, LAM), params, X, grads,
                    "cost(...) with every term on", _context(params, X, RHO, BETA, LAM), known)


def _sparsity_leak(params, X, analytic_rec):
    """If analytic_rec = reconstruction gradient + c * (KL gradient at beta=1), c != 0: c."""
    rec = _ref_grads(params, X, RHO, 0.0, 0.0)
    kl1 = {k: _ref_grads(params, X, RHO, 1.0, 0.0)[k] - rec[k] for k in KEYS}
    resid = np.concatenate([(analytic_rec[k] - rec[k]).ravel() for k in ("W", "b_h")])
    basis = np.concatenate([kl1[k].ravel() for k in ("W", "b_h")])
    if np.max(np.abs(resid)) < 1e-9 or np.max(np.abs(analytic_rec["b_v"] - rec["b_v"])) > 1e-8:
        return None
    c = best_ratio(resid, basis)
    return c if c is not None and abs(c) > 1e-6 else None


def check_cost_gradient_reconstruction(ctx):
    params, X = _problem(ctx.rng)
    _, grads = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    try:
        _gradient_check(ctx, lambda p: _ref_J(p, X, RHO, 0.0, 0.0), params, X, grads,
                        "cost(..., beta=0, lam=0), the reconstruction term alone",
                        _context(params, X, RHO, 0.0, 0.0), {"W": _tied_known(params, X)})
    except CheckFailed as exc:
        c = _sparsity_leak(params, X, grads)
        if c is not None:
            exc.slip = (f"with beta=0 your gradient still has a sparsity part ({c:.4g} times the KL "
                        "gradient at beta = 1): the KL term's gradient must be multiplied by beta, "
                        "so that it vanishes when beta = 0.")
        raise


def check_cost_gradient_weight_decay(ctx):
    params, X = _problem(ctx.rng)
    _, g0 = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    _, g1 = _call_cost(ctx, params, X, RHO, 0.0, LAM)
    diff = {k: g1[k] - g0[k] for k in KEYS}
    known = {"W": {"2 lam W: the derivative of lam/2 sum W**2 is lam W": 2 * LAM * params["W"],
                   "the weight-decay gradient is missing (lam * W)": np.zeros_like(params["W"])},
             "b_h": {"the biases are decayed too: weight decay applies to W only": LAM * params["b_h"]},
             "b_v": {"the biases are decayed too: weight decay applies to W only": LAM * params["b_v"]}}
    _gradient_check(ctx, lambda p: LAM / 2 * float(np.sum(p["W"] ** 2)), params, X, diff,
                    f"the weight-decay term: grads(lam={LAM:g}) - grads(lam=0), beta = 0",
                    _context(params, X, RHO, 0.0, LAM), known)


def check_cost_gradient_sparsity(ctx):
    params, X = _problem(ctx.rng)
    _, g0 = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    _, g1 = _call_cost(ctx, params, X, RHO, BETA, 0.0)
    diff = {k: g1[k] - g0[k] for k in KEYS}
    c = _sparsity_leak(params, X, g0)
    if c is not None:
        raise CheckFailed(
            "Your sparsity gradient does not scale with beta.",
            expected="grads(beta) - grads(beta=0) = the gradient of beta * sum_j KL(rho || rho_hat_j)",
            got=f"with beta=0 your gradient still has a sparsity part ({c:.4g} times the KL gradient at beta = 1)",
            slip="the KL gradient beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / N is missing its "
                 "factor beta.", details=_context(params, X, RHO, BETA, 0.0))
    f = lambda p: _ref_J(p, X, RHO, BETA, 0.0) - _ref_J(p, X, RHO, 0.0, 0.0)  # noqa: E731
    kl = {k: _ref_grads(params, X, RHO, BETA, 0.0)[k] - _ref_grads(params, X, RHO, 0.0, 0.0)[k] for k in KEYS}
    known = {k: {"the sign of the KL gradient is flipped: d/d rho_hat of KL(rho || rho_hat) is "
                 "-rho / rho_hat + (1 - rho) / (1 - rho_hat)": -kl[k],
                 f"{N} times too large, the batch size: rho_hat is a MEAN over the batch, so each "
                 "sample gets 1/N of d KL / d rho_hat": N * kl[k],
                 "the KL gradient is not multiplied by beta": kl[k] / BETA} for k in ("W", "b_h")}
    _gradient_check(ctx, f, params, X, diff,
                    f"the sparsity term: grads(beta={BETA:g}) - grads(beta=0), lam = 0",
                    _context(params, X, RHO, BETA, 0.0), known)


def check_cost_tied_weight(ctx):
    """dJ/dW of the reconstruction term: encoder path + decoder path."""
    params, X = _problem(ctx.rng)
    _, grads = _call_cost(ctx, params, X, RHO, 0.0, 0.0)
    enc, dec = _tied_paths(params, X)
    try:
        assert_gradient(lambda p: _ref_J(p, X, RHO, 0.0, 0.0), params, "W", grads["W"],
                        "cost(..., beta=0, lam=0): the tied weight W", rng=ctx.rng, batch_size=N,
                        context=_context(params, X, RHO, 0.0, 0.0), known=_tied_known(params, X))
    except CheckFailed as exc:
        if exc.slip is None or not exc.slip.startswith(("the tied", "only the")):
            exc.slip = ((exc.slip + " ") if exc.slip else "") + (
                "Remember that W is used twice (X W in the encoder, H W.T in the decoder): its gradient "
                "is the SUM of the encoder path X.T dZ_h and the decoder path (H.T dZ_v).T, not their average.")
        exc.details = (exc.details or "") + (
            f"\nFor reference, at index (0, 0): encoder path {enc[0, 0]:.6g}, decoder path {dec[0, 0]:.6g}, "
            f"their sum {enc[0, 0] + dec[0, 0]:.6g}; yours {grads['W'][0, 0]:.6g}.")
        raise


# ------------------------------------------------------------------ train


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


def check_train_held_out(ctx):
    s = SETTINGS
    threshold = THRESHOLDS[TRAIN_CHECK]
    X_train, X_test = patch_data()
    start = time.monotonic()
    out = ctx.call("train", X_train, s["n_hidden"], s["rho"], s["beta"], s["lam"], s["lr"], s["epochs"],
                   threshold.grade_seed)
    took = time.monotonic() - start
    what = (f"train(X, n_hidden={s['n_hidden']}, rho={s['rho']}, beta={s['beta']}, lam={s['lam']}, "
            f"lr={s['lr']}, epochs={s['epochs']}, seed={threshold.grade_seed})")
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
    value = reference_cost(params, X_test)
    try:
        ctx.attach("learned filters", filters_png(params["W"]))
    except Exception:  # a picture must never cost a grade
        pass
    setting = (f"{X_train.shape[0]} training patches of 8x8 pixels from the two sample photos; "
               f"held-out cost measured with the contract's cost on {X_test.shape[0]} other patches. "
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


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of sparse_autoencoder, in the order of the contract."""
    yield Check("to_grayscale: luminance weights 0.2126 R + 0.7152 G + 0.0722 B", check_to_grayscale_values,
                needs=("to_grayscale",))
    yield Check("sample_patches: every patch is a contiguous row-major block of one image",
                check_sample_patches_blocks, points=2, kind=Kind.PROPERTY, needs=("sample_patches",))
    yield Check("sample_patches: every image and every position can be drawn",
                check_sample_patches_every_position, kind=Kind.PROPERTY, needs=("sample_patches",))
    yield Check("sample_patches: reproducible with the seed, different seeds differ",
                check_sample_patches_reproducible, kind=Kind.PROPERTY, needs=("sample_patches",))
    yield Check("normalize_patches: values on random patches", check_normalize_values,
                needs=("normalize_patches",))
    yield Check("normalize_patches: values lie in [0.1, 0.9]", check_normalize_range, kind=Kind.PROPERTY,
                needs=("normalize_patches",))
    yield Check("normalize_patches: each patch's own mean is removed", check_normalize_centring,
                kind=Kind.PROPERTY, needs=("normalize_patches",))
    yield Check("normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9",
                check_normalize_mapping, needs=("normalize_patches",))
    yield Check("normalize_patches: leaves its input unchanged", check_normalize_unchanged, points=0.5,
                kind=Kind.PROPERTY, needs=("normalize_patches",))
    yield Check("init_params: zero biases, W uniform in [-r, r]", check_init_params_range,
                kind=Kind.PROPERTY, needs=("init_params",))
    yield Check("init_params: reproducible with the seed", check_init_params_reproducible, points=0.5,
                kind=Kind.PROPERTY, needs=("init_params",))
    yield Check("cost: J with every term on", check_cost_value_all_terms, needs=("cost",))
    yield Check("cost: reconstruction term of J (beta = 0, lam = 0)", check_cost_value_reconstruction,
                needs=("cost",))
    yield Check("cost: weight-decay term of J", check_cost_value_weight_decay, points=0.5, needs=("cost",))
    yield Check("cost: sparsity (KL) term of J", check_cost_value_sparsity, needs=("cost",))
    yield Check("cost: KL term is 0 when rho_hat = rho, positive otherwise", check_cost_kl_zero_at_target,
                kind=Kind.PROPERTY, needs=("cost",))
    yield Check("cost: gradient check with every term on", check_cost_gradient_all_terms, points=2,
                kind=Kind.GRADIENT, needs=("cost",))
    yield Check("cost: gradient of the reconstruction term alone (beta = 0, lam = 0)",
                check_cost_gradient_reconstruction, points=1.5, kind=Kind.GRADIENT, needs=("cost",))
    yield Check("cost: gradient of the weight-decay term alone", check_cost_gradient_weight_decay,
                kind=Kind.GRADIENT, needs=("cost",))
    yield Check("cost: gradient of the sparsity (KL) term alone", check_cost_gradient_sparsity, points=1.5,
                kind=Kind.GRADIENT, needs=("cost",))
    yield Check("cost: tied-weight gradient", check_cost_tied_weight, points=2, kind=Kind.GRADIENT,
                needs=("cost",))
    yield Check(TRAIN_CHECK, check_train_held_out, points=4, kind=Kind.THRESHOLD, needs=("train",),
                timeout_s=TRAIN_TIMEOUT_S)

