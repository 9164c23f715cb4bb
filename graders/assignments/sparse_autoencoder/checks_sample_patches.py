"""The checks of `sample_patches` in `sparse_autoencoder`, by properties: which random
patches a seed gives is the submission's choice, so each patch is located in test images
whose pixels are all distinct (its first value names its top-left corner), and the
positions drawn are tested for coverage and uniformity.
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import fmt


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


# every_position: two wide 5x8 images (W - H = 3, so a column bound taken from the height
# misses three columns, an off-by-one only the last one), patch size 3
POSITION_IMAGES, POSITION_H, POSITION_W, POSITION_P, POSITION_DRAWS = 2, 5, 8, 3, 2000
# 2 * 3 * 6 - 1 = 35 degrees of freedom: P(chi2 > 110) is about 1e-9 for uniform draws
POSITION_CHI2 = 110.0


def position_slip(imgs: set, rows: set, cols: set, n_images: int, H: int, W: int, p: int) -> str:
    """What the corners never drawn say about the bounds of the draws (only what they show)."""
    all_rows, all_cols = set(range(H - p + 1)), set(range(W - p + 1))
    slips = []
    if cols and max(cols) == H - p and H < W:
        slips.append(f"the left columns stop at {H - p} = H - p: the column bound is taken from the image's "
                     f"height; columns range over 0..W - p, so draw them with rng.integers(0, W - p + 1) "
                     f"(W = images.shape[2]).")
    elif cols and max(cols) == W - p - 1:
        slips.append("an off-by-one in the column bound: rng.integers(low, high) excludes `high`, so the last "
                     "feasible left column needs high = W - p + 1.")
    if rows and max(rows) == H - p - 1:
        slips.append("an off-by-one in the row bound: rng.integers(low, high) excludes `high`, so the last "
                     "feasible top row needs high = H - p + 1.")
    if imgs and max(imgs) == n_images - 2:
        slips.append("an off-by-one in the image index: rng.integers(0, N) already includes image N - 1.")
    if slips:
        return " ".join(slips)
    missing = [what for what, got, want in (("rows", rows, all_rows), ("columns", cols, all_cols)) if got != want]
    return ("some " + " and ".join(missing) + " in the middle of the range are never drawn: the draws are not "
            "uniform over the feasible corners." if missing else None)


def check_sample_patches_every_position(ctx):
    """2 images, 5x8, p = 3: 2 * 3 * 6 = 36 (image, row, column) choices, 2000 draws."""
    n_images, H, W, p, n = POSITION_IMAGES, POSITION_H, POSITION_W, POSITION_P, POSITION_DRAWS
    images = _distinct_images(ctx.rng, n_images, H, W)
    seed = int(ctx.rng.integers(0, 2**31 - 1))
    found = _locate_patches(images, _call_sample(ctx, images, p, n, seed), p)
    rows = {r for _, r, _ in found}
    cols = {c for _, _, c in found}
    imgs = {k for k, _, _ in found}
    problems = []
    if imgs != set(range(n_images)):
        problems.append(f"images drawn: {sorted(imgs)} of {list(range(n_images))}")
    if rows != set(range(H - p + 1)):
        problems.append(f"top rows drawn: {sorted(rows)} of {list(range(H - p + 1))}")
    if cols != set(range(W - p + 1)):
        problems.append(f"left columns drawn: {sorted(cols)} of {list(range(W - p + 1))}")
    if problems:
        raise CheckFailed(
            f"In {n} patches of two {H}x{W} images (H = {H} rows, W = {W} columns) with patch_size {p}, some "
            "positions never occur.",
            expected="every image, every top row 0..H-p and every left column 0..W-p (uniform draws)",
            got="; ".join(problems), slip=position_slip(imgs, rows, cols, n_images, H, W, p))
    counts = np.zeros((n_images, H - p + 1, W - p + 1))
    for k, r, c in found:
        counts[k, r, c] += 1
    expected = n / counts.size
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    if chi2 > POSITION_CHI2:
        raise CheckFailed(
            "The top-left corners are far from uniform over the positions where a block fits.",
            expected=f"about {expected:.0f} draws of each (image, row, column)",
            got=f"counts from {int(counts.min())} to {int(counts.max())} (chi-square {chi2:.1f}, "
                f"{counts.size - 1} dof)",
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
