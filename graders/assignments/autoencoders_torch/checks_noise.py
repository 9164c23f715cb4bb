"""The checks of `add_noise`.

Clipped to [0, 1] with x's shape and dtype, the mean, spread and shape of the added noise on
a constant image (20,000 pixels per noise factor at a fixed seed, so the statistics are exact
numbers, not a flaky test), reproducibility through the torch.Generator, and x left unchanged.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.assignments.autoencoders_torch.task_calls import field
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import run_task

NOISE_RANGE_FACTOR = 0.5                              # many pixels clipped at 0 and 1
NOISE_STAT_FACTORS = (0.1, 0.15)                      # on x = 0.5: clipping below 0.1%
NOISE_STAT_SHAPE = (200, 100)                         # 20,000 pixels per factor
NOISE_STAT_SEED = 7


def noise_run(ctx, x: np.ndarray, factor: float, seed: int) -> dict:
    return run_task(ctx, "add_noise", "add_noise", share=True, objects=("add_noise",), x=x,
                    noise_factor=factor, seed=seed)


def _noisy(r: dict, key: str, what: str, shape) -> np.ndarray:
    return expect.array(field(r, key, what), what, shape)


def range_input() -> np.ndarray:
    """Digits-like x in [0, 1] with exact 0s and 1s (where clipping matters most)."""
    x = np.random.default_rng(11).uniform(0.0, 1.0, size=(16, 64))
    x[:, :8], x[:, 8:16] = 0.0, 1.0
    return x


def check_add_noise_range(ctx):
    x = range_input()
    what = f"add_noise(x, {NOISE_RANGE_FACTOR}, generator)"
    r = noise_run(ctx, x, NOISE_RANGE_FACTOR, seed=1)
    noisy = _noisy(r, "noisy", what, x.shape)
    lo, hi = float(noisy.min()), float(noisy.max())
    if lo < 0.0 or hi > 1.0:
        outside = int(np.sum((noisy < 0) | (noisy > 1)))
        raise CheckFailed(
            f"{what} left [0, 1]: {outside} of {noisy.size} pixels are outside.",
            expected="every pixel in [0, 1] (clip(x + noise_factor * eps, 0, 1))",
            got=f"min {lo:.6g}, max {hi:.6g}",
            slip="the noisy image is not clipped: torch.clamp(x + noise_factor * eps, 0.0, 1.0).",
            details=f"x: {x.shape} in [0, 1], with columns of exact 0s and 1s.")
    dtype = field(r, "dtype", what)
    if dtype != "torch.float64":
        raise CheckFailed(
            f"{what} returned a {dtype} tensor for a float64 x; the result has x's dtype.",
            expected="torch.float64", got=str(dtype),
            slip="noise drawn in float32 and the result cast to it: torch.randn(x.shape, generator=generator, "
                 "dtype=x.dtype).")
    if np.array_equal(noisy, x):
        raise CheckFailed(f"{what} returned x unchanged: no noise was added.", expected="noisy pixels",
                          got="x itself", slip="the noise is drawn but never added (or noise_factor ignored).")


def _noise_stats(d: np.ndarray) -> tuple[float, float, float]:
    std = float(d.std())
    return float(d.mean()), std, float(np.mean(np.abs(d) <= std)) if std > 0 else 0.0


# Cached for the process, not per grade: a pure function of `factor` (a fixed-seed sample).
@functools.lru_cache(maxsize=None)
def _slip_stats(factor: float) -> dict[str, tuple[float, float]]:
    """(mean, std) of the added noise (noisy - x) on x = 0.5 for the common slips, by name,
    from a large NumPy sample (the slips' statistics are far apart; 2e5 samples is plenty)."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal(200_000)
    u = rng.uniform(size=200_000)
    x = 0.5
    slips = {
        "the noise is not multiplied by noise_factor (standard deviation 1 instead of noise_factor)":
            np.clip(x + z, 0, 1),
        "uniform noise (torch.rand) instead of standard normal noise (torch.randn)":
            np.clip(x + factor * u, 0, 1),
        "noise_factor used as the variance (sqrt(noise_factor) * eps): it is the standard deviation":
            np.clip(x + np.sqrt(factor) * z, 0, 1),
        "noise_factor ** 2 * eps: noise_factor is the standard deviation itself":
            np.clip(x + factor ** 2 * z, 0, 1),
        "the image is scaled too: noise_factor * (x + eps) instead of x + noise_factor * eps":
            np.clip(factor * (x + z), 0, 1),
        "only the noise is returned, without the image: x + noise_factor * eps":
            np.clip(factor * z, 0, 1),
    }
    return {words: (float((v - x).mean()), float((v - x).std())) for words, v in slips.items()}


def check_add_noise_statistics(ctx):
    x = np.full(NOISE_STAT_SHAPE, 0.5)
    rows, failure = [], None
    for factor in NOISE_STAT_FACTORS:
        what = f"add_noise(x, {factor}, generator)"
        r = noise_run(ctx, x, factor, seed=NOISE_STAT_SEED)
        d = _noisy(r, "noisy", what, x.shape) - x
        mean, std, within = _noise_stats(d)
        rows.append(f"  noise_factor {factor}: mean {mean:+.5f} (expected 0), standard deviation {std:.5f} "
                    f"(expected {factor}), {within:.1%} within one standard deviation (normal: 68.3%)")
        # 20,000 pixels: the standard errors are 0.7% of the factor for the mean, 0.5% for the
        # standard deviation and 0.3% for the fraction; the tolerances are 6 to 10 times those.
        ok = abs(mean) <= 0.04 * factor and abs(std / factor - 1) <= 0.05 and abs(within - 0.683) <= 0.025
        if not ok and failure is None:
            slip = next((words for words, (m, s) in _slip_stats(factor).items()
                         if abs(mean - m) <= 0.04 * max(s, factor) and abs(std - s) <= 0.05 * s), None)
            failure = (factor, mean, std, within, slip)
    if failure is None:
        return None
    factor, mean, std, within, slip = failure
    raise CheckFailed(
        f"add_noise(x, {factor}, generator): the added noise (noisy - x) does not have mean 0 and standard "
        f"deviation noise_factor = {factor}.",
        expected=f"mean 0 +/- {0.04 * factor:.3g}, standard deviation {factor} +/- 5%, 68.3% +/- 2.5% of the "
                 "pixels within one standard deviation (normal noise)",
        got=f"mean {mean:+.5f}, standard deviation {std:.5f}, {within:.1%} within one standard deviation",
        slip=slip or ("the noise is not standard normal noise times noise_factor: "
                      "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)."),
        details=f"x: a constant image of 0.5 of shape {x.shape} (clipping at 0 and 1 is then more than 3 "
                f"standard deviations away), generator seeded {NOISE_STAT_SEED}.\n" + "\n".join(rows))


def check_add_noise_reproducible(ctx):
    x = range_input()
    what = f"add_noise(x, {NOISE_RANGE_FACTOR}, generator)"
    r = noise_run(ctx, x, NOISE_RANGE_FACTOR, seed=1)
    first = _noisy(r, "noisy", what, x.shape)
    again = _noisy(r, "repeat", what + " with a new generator seeded the same", x.shape)
    other = _noisy(r, "other", what + " with a generator seeded differently", x.shape)
    if not np.array_equal(first, again):
        raise CheckFailed(
            f"{what} is not reproducible: two generators seeded the same (1) gave different noise.",
            expected="the same noisy image for the same generator state", got="different noisy images",
            where=f"{int(np.sum(first != again))} of {first.size} pixels differ",
            slip="the noise is not drawn from `generator` (torch.randn(x.shape) uses PyTorch's global "
                 "generator): pass generator=generator to torch.randn.")
    if np.array_equal(first, other):
        raise CheckFailed(
            f"{what}: generators seeded 1 and 2 gave the same noise, so the generator is ignored.",
            expected="different noise for different seeds", got="identical noisy images",
            slip="a fixed seed inside add_noise (torch.manual_seed(...) or generator.manual_seed(...)): the "
                 "caller's generator is the only source of randomness; never reseed it.")


def check_add_noise_input_unchanged(ctx):
    x = range_input()
    r = noise_run(ctx, x, NOISE_RANGE_FACTOR, seed=1)
    if not field(r, "input_unchanged", "add_noise"):
        raise CheckFailed(
            f"add_noise(x, {NOISE_RANGE_FACTOR}, generator) modified x in place.",
            expected="x unchanged (the clean image is still needed as the training target)",
            got="x changed",
            slip="an in-place operation on x (x += ..., x.add_(...), x.clamp_(...)): work on a new tensor, "
                 "x + noise_factor * eps, or on x.clone().")
