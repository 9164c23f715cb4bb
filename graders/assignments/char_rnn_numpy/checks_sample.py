"""The checks of `sample(params, h, seed_ix, n, seed) -> list[int]`.

A correct sampler's draws are random, so no single list of indices is "the" answer: a
sampler that uses its generator differently (inverse CDF, multinomial) is as right as the
reference. The checks therefore test what every correct sampler shares:

- the draws follow the model's distribution. With Whh = 0 and bh = 0 the next-character
  distribution depends only on the previous character, p(. | x) = softmax(tanh(Wxh[x]) Why + by):
  a Markov chain whose transition matrix the grader computes from the params. Counting the
  transitions (previous, next) of a few thousand draws, a chi-square goodness-of-fit test per
  previous character (pooled over characters) rejects a sampler that takes the argmax, draws
  with the same random number at every step, or does not feed its draw back (it then follows
  the row of seed_ix forever), at a significance level of 1e-4, at fixed seeds;
- feeding back and carrying h: on a model whose next character is nearly certain at every
  step (probability above 1 - 1e-10: the logit gap is at least 25), every correct sampler
  returns the greedy path, which the grader computes; a draw not fed back, or a hidden state
  not carried from step to step, gives another path;
- n ints in [0, V), and reproducibility: the same list for the same seed, another for another.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.char_rnn_numpy.problems import index_list, random_params
from graders.engine.checks import CheckFailed
from graders.engine.compare import fmt

ALPHA = 1e-4             # significance level of the distribution test
MIN_EXPECTED = 5.0       # a previous character is tested when every expected count is >= this
MARKOV_V, MARKOV_H = 5, 5
MARKOV_DRAWS = ((2500, 7), (2500, 8))   # (n, seed) of the two calls
MIN_PROB = 0.05          # smallest transition probability of the test's chain (0.25 / V)
MIN_ROW_DISTANCE = 0.2   # total-variation distance between any two rows of the chain
PEAK_GAP = 25.0          # logit gap of the nearly deterministic model: p(other) <= 5 e^-25
PEAK_MAX_LOGIT = 300.0   # far from exp's overflow at 709 (min-char-rnn's softmax does not shift)
PEAK_N = 24


def softmax(y):
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------ the Markov-chain model


def transition_matrix(params) -> np.ndarray:
    """P[x, y] = p(next = y | previous = x) when Whh = 0: every row from the reference step."""
    hidden = np.tanh(params["Wxh"] + params["bh"])          # h for each one-hot input, (V, H)
    return softmax(hidden @ params["Why"] + params["by"])    # (V, V)


def markov_model(rng):
    """(params with Whh = 0 and bh = 0, transition matrix): rows far apart, no tiny entry.

    The chain is drawn first (rows 0.75 Dirichlet(1) + 0.25 uniform), then the weights that
    realise it: tanh(Wxh) = A, a random well-conditioned matrix, and Why = A^-1 (log P - by),
    so that tanh(Wxh[x]) Why + by = log P[x]."""
    V = MARKOV_V
    for _ in range(1000):
        P = 0.75 * rng.dirichlet(np.ones(V), size=V) + 0.25 / V
        A = rng.uniform(-0.8, 0.8, size=(V, MARKOV_H))
        distances = [0.5 * np.abs(P[a] - P[b]).sum() for a in range(V) for b in range(a)]
        if min(distances) < MIN_ROW_DISTANCE or np.linalg.cond(A) > 20:
            continue
        by = rng.normal(0.0, 0.5, size=V)
        params = {"Wxh": np.arctanh(A), "Whh": np.zeros((MARKOV_H, MARKOV_H)),
                  "Why": np.linalg.solve(A, np.log(P) - by), "bh": np.zeros(MARKOV_H), "by": by}
        return params, transition_matrix(params)
    raise RuntimeError("could not draw a Markov-chain model")


def transition_counts(draws: list[int], seed_ix: int, V: int) -> np.ndarray:
    counts = np.zeros((V, V))
    for prev, nxt in zip([seed_ix] + draws[:-1], draws):
        counts[prev, nxt] += 1
    return counts


def chi_square(counts: np.ndarray, P: np.ndarray):
    """(statistic, degrees of freedom, p-value, per-row statistics) over the rows tested."""
    from scipy.special import chdtrc  # the chi-square survival function

    stat, dof, rows = 0.0, 0, {}
    for s in range(P.shape[0]):
        n_s = counts[s].sum()
        expected = n_s * P[s]
        if n_s == 0 or expected.min() < MIN_EXPECTED:
            continue
        rows[s] = float(((counts[s] - expected) ** 2 / expected).sum())
        stat += rows[s]
        dof += P.shape[1] - 1
    return stat, dof, (float(chdtrc(dof, stat)) if dof else 1.0), rows


def _always_followed_by_one(draws, seed_ix, V) -> dict[int, int]:
    """{character: the one character that always follows it}, or {} if some character is
    followed by several."""
    counts = transition_counts(draws, seed_ix, V)
    seen = [s for s in range(V) if counts[s].sum() > 0]
    if all(counts[s].max() == counts[s].sum() for s in seen):
        return {s: int(np.argmax(counts[s])) for s in seen}
    return {}


def _distribution_slip(P, calls) -> str | None:
    """The likely slip, from the draws of each call [(draws, seed_ix), ...]."""
    follows = [_always_followed_by_one(draws, seed_ix, P.shape[0]) for draws, seed_ix in calls]
    if all(follows):  # in each call, every character is always followed by the same one
        if all(nxt == np.argmax(P[s]) for f in follows for s, nxt in f.items()):
            return ("every draw is the most probable character: np.argmax(p) instead of a random draw "
                    "from p (rng.choice(V, p=p))")
        return ("every character is always followed by the same one, though not the most probable: the "
                "generator is re-created (re-seeded) inside the loop, so every step uses the same random "
                "number; create rng = np.random.default_rng(seed) once, before the loop")
    fits_seed_row = []
    for draws, seed_ix in calls:
        freq = np.bincount(draws, minlength=P.shape[1]).astype(float)
        _, _, p_value, _ = chi_square(freq[None, :], P[seed_ix][None, :])
        fits_seed_row.append(p_value >= 1e-3)
    if all(fits_seed_row):
        return ("the draw is not fed back: every step uses seed_ix as its input, so every draw comes from "
                "the distribution after seed_ix; set the input of the next step to the character just drawn")
    return None


def check_sample_distribution(ctx):
    params, P = markov_model(ctx.rng)
    h = ctx.rng.uniform(-0.8, 0.8, size=MARKOV_H)
    counts, calls = np.zeros((MARKOV_V, MARKOV_V)), []
    for n, seed in MARKOV_DRAWS:
        seed_ix = int(ctx.rng.integers(MARKOV_V))
        what = f"sample(params, h, seed_ix={seed_ix}, n={n}, seed={seed})"
        draws = index_list(ctx.call("sample", params, h, seed_ix, n, seed), what, n, MARKOV_V)
        counts += transition_counts(draws, seed_ix, MARKOV_V)
        calls.append((draws, seed_ix))
    stat, dof, p_value, rows = chi_square(counts, P)
    if dof and p_value >= ALPHA:
        return None
    worst = max(rows, key=rows.get) if rows else int(np.argmax(counts.sum(axis=1)))
    n_worst = counts[worst].sum()
    table = "\n".join(f"  next = {y}: expected {n_worst * P[worst, y]:8.1f}, yours {int(counts[worst, y]):6d}"
                      for y in range(MARKOV_V))
    raise CheckFailed(
        "sample: the draws do not follow the model's distribution p_t = softmax(h_t Why + by).",
        expected=f"transition frequencies consistent with the model (chi-square p-value >= {ALPHA:g})",
        got=(f"chi-square {stat:.1f} with {dof} degrees of freedom, p-value {p_value:.3g}" if dof else
             "no character was followed often enough to be tested"),
        where=f"the {int(n_worst)} draws that follow character {worst}:\n{table}",
        slip=_distribution_slip(P, calls),
        details=(f"The test model: V = {MARKOV_V}, Whh = 0 and bh = 0, so the next character's distribution "
                 "depends only on the previous one: p(. | x) = softmax(tanh(Wxh[x]) Why + by), every "
                 f"probability >= {MIN_PROB}. Two calls of {MARKOV_DRAWS[0][0]} draws; every pair (previous, "
                 "next) is counted, the first draw's previous character being seed_ix."))


# ------------------------------------------------------------------ the nearly deterministic model


def greedy_path(params, h, seed_ix, n, *, feed_back=True, carry_h=True):
    """(the most probable path, the smallest logit gap along it, the largest |logit| along it),
    with a slip switched on or off."""
    h0 = np.array(h, dtype=np.float64)
    h, ix, path, gap, biggest = h0, seed_ix, [], np.inf, 0.0
    for _ in range(n):
        x = ix if feed_back else seed_ix
        h = np.tanh(params["Wxh"][x] + (h if carry_h else h0) @ params["Whh"] + params["bh"])
        y = h @ params["Why"] + params["by"]
        top = np.sort(y)
        gap, biggest = min(gap, float(top[-1] - top[-2])), max(biggest, float(np.abs(y).max()))
        ix = int(np.argmax(y))
        path.append(ix)
    return path, gap, biggest


def peaked_model(rng, V=6, H=5):
    """(params, h, seed_ix, path): the greedy path has probability > 1 - 1e-9, visits at least three
    characters, and differs from the paths of a sampler that does not feed back or carry h."""
    for _ in range(20000):
        params = random_params(rng, V, H, scale=1.2)
        h = rng.uniform(-0.8, 0.8, size=H)
        seed_ix = int(rng.integers(V))
        path, gap, biggest = greedy_path(params, h, seed_ix, PEAK_N)
        scale = PEAK_GAP / gap   # scaling Why and by scales the logits: same path, every gap widened
        if (scale * biggest > PEAK_MAX_LOGIT or len(set(path)) < 3
                or path == greedy_path(params, h, seed_ix, PEAK_N, feed_back=False)[0]
                or path == greedy_path(params, h, seed_ix, PEAK_N, carry_h=False)[0]):
            continue
        params["Why"] = params["Why"] * scale
        params["by"] = params["by"] * scale
        return params, h, seed_ix, path
    raise RuntimeError("could not draw a nearly deterministic model")


def check_sample_feeds_back(ctx):
    params, h, seed_ix, expected = peaked_model(ctx.rng)
    what = f"sample(params, h, seed_ix={seed_ix}, n={PEAK_N}, seed=5)"
    got = index_list(ctx.call("sample", params, h, seed_ix, PEAK_N, 5), what, PEAK_N, params["Why"].shape[1])
    if got == expected:
        return None
    first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
    slip = None
    for words, kw in (
            ("the draw is not fed back: every step uses seed_ix as its input; the next input is the character "
             "just drawn", dict(feed_back=False)),
            ("the hidden state is not carried: every step starts again from the h passed in; "
             "h = tanh(x Wxh + h Whh + bh) must update h itself", dict(carry_h=False))):
        if got == greedy_path(params, h, seed_ix, PEAK_N, **kw)[0]:
            slip = words
            break
    if slip is None and got == greedy_path(params, np.zeros_like(h), seed_ix, PEAK_N)[0]:
        slip = "the h argument is ignored: the first step starts from zeros instead of h"
    raise CheckFailed(
        f"sample: on a model whose next character is nearly certain at every step, the draws leave the "
        f"only likely path at position {first}.",
        expected=str(expected), got=str(got), where=f"position {first}: expected {expected[first]}, "
                                                    f"got {got[first]}",
        slip=slip,
        details=(f"The model: V = {params['Why'].shape[1]}, H = {h.shape[0]}, Why and by scaled so that at every "
                 f"step the most probable character has probability > 1 - 1e-10 (logit gap >= {PEAK_GAP:g}); "
                 f"h = {fmt(h)}. Any correct sampler returns this path whatever its random numbers: each "
                 "draw is fed back as the next input and h is carried from step to step."))


# ------------------------------------------------------------------ list, reproducibility


def check_sample_returns_indices(ctx):
    params = random_params(ctx.rng)
    h = ctx.rng.uniform(-0.8, 0.8, size=params["Whh"].shape[0])
    V = params["Why"].shape[1]
    for n, seed in ((1, 3), (17, 4)):
        what = f"sample(params, h, seed_ix=2, n={n}, seed={seed})"
        index_list(ctx.call("sample", params, h, 2, n, seed), what, n, V)


def check_sample_reproducible(ctx):
    V, H, n = 6, 5, 30
    params = {k: np.zeros(s) for k, s in (("Wxh", (V, H)), ("Whh", (H, H)), ("Why", (H, V)), ("bh", (H,)),
                                          ("by", (V,)))}  # every character equally likely
    h = np.zeros(H)
    a, b, c = (index_list(ctx.call("sample", params, h, 0, n, seed), f"sample(..., n={n}, seed={seed})", n, V)
               for seed in (11, 11, 12))
    if a != b:
        raise CheckFailed(
            "sample is not reproducible: two calls with seed=11 returned different draws.",
            expected=str(a), got=str(b),
            slip="a generator that is not seeded with `seed` (np.random.default_rng() with no argument); "
                 "create rng = np.random.default_rng(seed) inside sample.")
    if a == c:
        raise CheckFailed(
            "sample ignores its seed: seeds 11 and 12 gave the same draws (with all 6 characters equally "
            f"likely, that happens with probability 6^-{n}).",
            expected="different draws for different seeds", got=str(a),
            slip="NumPy's global generator (np.random.choice, as min-char-rnn writes it) or a fixed seed; "
                 "draw with rng = np.random.default_rng(seed), rng.choice(V, p=p).")
