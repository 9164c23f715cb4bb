"""Checks of `init_params`, `forward` and `predict_next` (values against the reference).

The forward pass is

    e = [E[c0], E[c1], E[c2]]  (N, 3D)     h = sigmoid(e W1 + b1)     probs = softmax(h W2 + b2)

and the common slips are computed on the same input so the feedback can name them: the
embeddings interleaved (E[context] transposed before the reshape, so e holds the first
coordinate of the three words, then the second, ...), the softmax over the batch axis,
tanh or no activation in the hidden layer, a missing bias.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.language_model_numpy.problems import (
    KEYS,
    P,
    V,
    call_forward,
    describe_problem,
    lm_problem,
    params_dict,
    random_params,
)
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.sandbox.errors import StudentError
from reference.numpy import language_model_numpy as ref

# ------------------------------------------------------------------ init_params


def check_init_params_shapes(ctx):
    """Shapes for two sizes (so hard-coded sizes fail), float64, zero biases."""
    for v, d, p, seed in ((11, 4, 6, 3), (7, 2, 9, 1)):
        what = f"init_params({v}, {d}, {p}, {seed})"
        value = ctx.call("init_params", v, d, p, seed)
        if isinstance(value, dict) and "W1" in value and isinstance(value["W1"], np.ndarray) \
                and value["W1"].shape == (d, p):
            raise CheckFailed(f"{what}['W1'] has shape {value['W1'].shape}; expected (3 * D, P) = ({3 * d}, {p}).",
                              expected=f"({3 * d}, {p})", got=str(value["W1"].shape),
                              slip="W1 sized for one embedding: the hidden layer sees the three context "
                                   "embeddings side by side, e of shape (N, 3 * D), so W1 has 3 * D rows.")
        params = params_dict(value, what, v, d, p)
        for k in ("b1", "b2"):
            if np.any(params[k] != 0):
                raise CheckFailed(f"{what}: the bias {k} does not start at zero.", expected="all zeros",
                                  got=fmt(params[k]), where=f"params[{k!r}]",
                                  slip="random biases; the docstring starts both biases at zero.")
        for k in ("E", "W1", "W2"):
            if float(params[k].std()) == 0.0:
                raise CheckFailed(f"{what}: every entry of {k} is the same ({float(params[k].flat[0]):.4g}).",
                                  expected="random weights", got="a constant array",
                                  slip="weights initialised to zeros or a constant: the symmetry between "
                                       "units (and between words) is never broken.")


def check_init_params_seed(ctx):
    what = "init_params(11, 4, 6, {})"
    a = params_dict(ctx.call("init_params", 11, 4, 6, 3), what.format(3), 11, 4, 6)
    b = params_dict(ctx.call("init_params", 11, 4, 6, 3), what.format(3) + ", called again", 11, 4, 6)
    c = params_dict(ctx.call("init_params", 11, 4, 6, 4), what.format(4), 11, 4, 6)
    changed = [k for k in KEYS if not np.array_equal(a[k], b[k])]
    if changed:
        raise CheckFailed(
            "init_params is not reproducible: two calls with the same seed returned different values of "
            f"{changed}.", expected="the same parameters for the same seed", got="different parameters",
            slip="a generator that is not seeded with `seed` (np.random.default_rng() with no argument, or "
                 "one created outside the function); use rng = np.random.default_rng(seed) inside init_params.")
    if all(np.array_equal(a[k], c[k]) for k in ("E", "W1", "W2")):
        raise CheckFailed(
            "init_params ignores its seed: seeds 3 and 4 gave the same weights.",
            expected="different weights for different seeds", got="identical weights",
            slip="a fixed seed (np.random.default_rng(0)) or NumPy's global generator (np.random.randn) "
                 "instead of np.random.default_rng(seed).")


# ------------------------------------------------------------------ forward


def softmax_rows(s: np.ndarray) -> np.ndarray:
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def forward_variant(params: dict, context: np.ndarray, *, embed: str = "concatenated",
                    hidden: str = "sigmoid", softmax_axis: int = 1, b1: bool = True,
                    b2: bool = True) -> np.ndarray:
    """The forward pass with one of the common slips switched on (probs only)."""
    n = context.shape[0]
    rows = params["E"][context]  # (N, 3, D)
    e = (rows.transpose(0, 2, 1) if embed == "interleaved" else rows).reshape(n, -1)
    z = e @ params["W1"] + (params["b1"] if b1 else 0.0)
    h = {"sigmoid": lambda t: 0.5 * (1.0 + np.tanh(0.5 * t)), "tanh": np.tanh, "none": lambda t: t}[hidden](z)
    s = h @ params["W2"] + (params["b2"] if b2 else 0.0)
    if softmax_axis == 1:
        return softmax_rows(s)
    e = np.exp(s - s.max(axis=1, keepdims=True))  # the usual slip: only the sum's axis is wrong
    with np.errstate(all="ignore"):  # a column can underflow to 0 / 0 at large scores
        return e / e.sum(axis=0, keepdims=True)


def forward_slips(params: dict, context: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "the embeddings are interleaved, not concatenated: E[context] has shape (N, 3, D) and "
        "reshape(N, 3 * D) puts E[c0], E[c1], E[c2] side by side; a transpose (or a stack on the last "
        "axis) before the reshape mixes their coordinates": forward_variant(params, context, embed="interleaved"),
        "the softmax normalises over the batch axis (sum(axis=0)); each row (one example) must sum "
        "to one: sum(axis=1, keepdims=True)": forward_variant(params, context, softmax_axis=0),
        "tanh in the hidden layer; the contract's is h = sigmoid(e W1 + b1)":
            forward_variant(params, context, hidden="tanh"),
        "no activation in the hidden layer: h = sigmoid(e W1 + b1)": forward_variant(params, context, hidden="none"),
        "the hidden bias b1 is not added": forward_variant(params, context, b1=False),
        "the output bias b2 is not added": forward_variant(params, context, b2=False),
    }


def check_forward_values(ctx):
    params, context, _ = lm_problem(ctx.rng)
    expected, _ = ref.forward(params, context)
    probs, _ = call_forward(ctx, params, context)
    assert_close(probs, expected, "forward(params, context)[0] (probs)", known=forward_slips(params, context),
                 context=describe_problem(params, context))


def large_score_problem(rng: np.random.Generator, n: int = 4):
    """(params, context) whose scores s = h W2 + b2 reach beyond 750 (exp overflows past
    709) and whose rows' maxima differ by more than 800 (so subtracting one global max
    instead of each row's underflows whole rows to 0 / 0)."""
    for _ in range(1000):
        params = random_params(rng)
        params["W2"] = rng.normal(0.0, 900.0, size=(P, V))
        params["b2"] = rng.uniform(-50.0, 50.0, size=V)
        context = rng.integers(0, V, size=(n, 3)).astype(np.int64)
        _, (_, _, h, _) = ref.forward(params, context)
        s = h @ params["W2"] + params["b2"]
        row_max = s.max(axis=1)
        if s.max() > 750.0 and row_max.max() - row_max.min() > 800.0:
            return params, context
    raise RuntimeError("could not draw a large-score problem")


def check_forward_large_scores(ctx):
    params, context = large_score_problem(ctx.rng)
    expected, (_, _, h, _) = ref.forward(params, context)
    s = h @ params["W2"] + params["b2"]
    what = "forward(params, context)[0] (probs) at scores h W2 + b2 up to 1e3"
    detail = (f"The scores of the {len(context)} rows range over [{s.min():.4g}, {s.max():.4g}]; the rows' "
              f"maxima are {fmt(s.max(axis=1))}. exp overflows past 709: subtract each row's maximum "
              "(s - s.max(axis=1, keepdims=True)) before exp; the softmax does not change.")
    try:
        out = expect.sequence(ctx.call("forward", params, context), "forward(params, context)", 2)
        probs = expect.array(out[0], what, (len(context), V))
    except CheckFailed as exc:
        if "not finite" in exc.summary:
            exc.slip = ("a softmax without the max subtraction (exp of scores near 1e3 is inf, and inf / inf "
                        "is NaN), or with one maximum for the whole batch (rows far below it underflow to "
                        "0 / 0): subtract each row's own maximum.")
            exc.details = detail
        raise
    assert_close(probs, expected, what, known=forward_slips(params, context), context=detail)


# ------------------------------------------------------------------ predict_next

PREDICT_VOCAB = ["the", "cat", "sat", "on", "mat", "dog", "saw", "ran", "a"]
# Three-word prompts; one starts a sentence (compared lower-cased, as the docstring says).
PREDICT_PROMPTS = (("the", "cat", "sat"), ("a", "dog", "ran"), ("cat", "cat", "on"), ("saw", "the", "mat"),
                   ("The", "dog", "saw"))


def predict_problem(rng: np.random.Generator) -> dict:
    """Parameters whose best next word is clear (top two probabilities at least 0.02
    apart) for every prompt, and not the prompt's last word for most of them."""
    index = {w: i for i, w in enumerate(PREDICT_VOCAB)}
    for _ in range(1000):
        params = random_params(rng, v=len(PREDICT_VOCAB), d=3, p=4)
        params["W2"] *= 2.0
        context = np.array([[index[w.lower()] for w in p] for p in PREDICT_PROMPTS], dtype=np.int64)
        probs, _ = ref.forward(params, context)
        top2 = np.sort(probs, axis=1)[:, -2:]
        best = probs.argmax(axis=1)
        if np.all(top2[:, 1] - top2[:, 0] > 0.02) and np.sum(best == context[:, 2]) <= 1 \
                and len(set(best.tolist())) >= 3:
            return params
    raise RuntimeError("could not draw a clear predict_next problem")


def check_predict_next_values(ctx):
    params = predict_problem(ctx.rng)
    index = {w: i for i, w in enumerate(PREDICT_VOCAB)}
    for words in PREDICT_PROMPTS:
        what = f"predict_next(params, vocab, {list(words)})"
        try:
            got = ctx.call("predict_next", params, list(PREDICT_VOCAB), list(words))
        except StudentError as exc:
            capital = any(w != w.lower() for w in words)
            raise CheckFailed(f"{what} raised an exception.", got=exc.describe(),
                              slip=("the words are looked up as they are; the docstring compares them "
                                    "lower-cased (vocab holds lower-case words): look up w.lower()."
                                    if capital else None)) from None
        if not isinstance(got, str):
            raise CheckFailed(f"{what} returned {expect.describe_value(got)}; expected a word (a str).",
                              expected="a str from vocab", got=expect.describe_value(got),
                              slip="return vocab[index] (the word), not the index or the probabilities.")
        context = np.array([[index[w.lower()] for w in words]], dtype=np.int64)
        probs = ref.forward(params, context)[0][0]
        expected = PREDICT_VOCAB[int(probs.argmax())]
        if got == expected:
            continue
        slip = None
        if got == words[-1] or got == words[-1].lower():
            slip = "the last context word is returned, not the most probable next word."
        elif got == PREDICT_VOCAB[int(probs.argmin())]:
            slip = "the least probable word: argmax, not argmin, of the probabilities."
        raise CheckFailed(
            f"{what} returned {got!r}; the most probable next word is {expected!r}.",
            expected=f"{expected!r} (probability {probs.max():.3f})",
            got=f"{got!r}" + (f" (probability {probs[PREDICT_VOCAB.index(got)]:.3f})" if got in PREDICT_VOCAB
                              else " (not in vocab)"),
            slip=slip,
            details=f"vocab = {PREDICT_VOCAB}; params of shapes "
                    + ", ".join(f"{k} {params[k].shape}" for k in KEYS)
                    + "; the words are looked up lower-cased, the result is vocab[argmax of the probabilities].")

