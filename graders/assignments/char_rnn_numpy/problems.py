"""Shared pieces of the `char_rnn_numpy` checks: shapes, random problems, validation.

Every problem is drawn in the grader's process from the check's seeded `ctx.rng`, sent to
the sandbox as plain arrays and lists, and what comes back is validated here before it is
compared with the reference (`reference/numpy/char_rnn_numpy.py`, run in this process).
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import fmt

KEYS = ("Wxh", "Whh", "Why", "bh", "by")
V, H, T = 6, 5, 12   # V != H: a swapped Wxh / Why is a shape error, not a silent mix-up
WEIGHT_SCALE = 0.7   # large enough that the path through Whh carries real gradient over T steps

COLUMN_LAYOUT = ("min-char-rnn stores the weights for column vectors (Wxh (H, V), Why (V, H)); "
                 "the course's row convention is h @ W: Wxh (V, H), Whh (H, H), Why (H, V).")


def shapes(vocab_size: int, hidden_size: int) -> dict[str, tuple]:
    return {"Wxh": (vocab_size, hidden_size), "Whh": (hidden_size, hidden_size),
            "Why": (hidden_size, vocab_size), "bh": (hidden_size,), "by": (vocab_size,)}


def params_dict(value, what: str, vocab_size: int, hidden_size: int) -> dict[str, np.ndarray]:
    """A returned params (or grads) dict validated key by key: float64 arrays of the contract's
    shapes, finite; a transposed Wxh / Why gets min-char-rnn's column layout named."""
    try:
        return expect.array_dict(value, what, shapes(vocab_size, hidden_size))
    except CheckFailed as exc:
        if exc.slip and exc.slip.startswith("a transpose") and ("'Wxh'" in exc.summary or "'Why'" in exc.summary):
            exc.slip = f"{exc.slip} {COLUMN_LAYOUT}"
        raise


def random_params(rng: np.random.Generator, vocab_size: int = V, hidden_size: int = H,
                  scale: float = WEIGHT_SCALE) -> dict[str, np.ndarray]:
    """Weights and (non-zero) biases from N(0, scale^2)."""
    return {k: rng.normal(0.0, scale, size=s) for k, s in shapes(vocab_size, hidden_size).items()}


def random_chunk(rng: np.random.Generator, length: int = T, vocab_size: int = V):
    """(inputs, targets, h_prev): lists of Python ints and a non-zero starting state."""
    inputs = [int(i) for i in rng.integers(0, vocab_size, size=length)]
    targets = [int(i) for i in rng.integers(0, vocab_size, size=length)]
    h_prev = rng.uniform(-0.8, 0.8, size=H)
    return inputs, targets, h_prev


def describe_chunk(inputs, targets, h_prev) -> str:
    return (f"Inputs: V = {V}, H = {H}, T = {len(inputs)}; inputs = {inputs}; targets = {targets}; "
            f"h_prev = {fmt(h_prev)}; weights and biases drawn from N(0, {WEIGHT_SCALE}^2).")


def index_list(value, what: str, n: int, vocab_size: int) -> list[int]:
    """A returned sequence of character indices: n integers in [0, vocab_size).

    A list (or tuple) of ints or NumPy integers, or a 1-D integer array, is accepted."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        items = [int(v) for v in value]
    elif isinstance(value, (list, tuple)):
        items = []
        for i, v in enumerate(value):
            if isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "iu":
                v = int(v)
            if isinstance(v, bool) or not isinstance(v, int):
                raise CheckFailed(
                    f"{what}: entry {i} is {expect.describe_value(v)}; expected an int (a character index).",
                    expected="a list of ints", got=expect.describe_value(v),
                    slip=("a float index; append int(ix)." if isinstance(v, float) else
                          "something other than the drawn index appended (the probabilities, a one-hot "
                          "vector?); append int(ix)."))
            items.append(v)
    else:
        raise CheckFailed(f"{what} returned {expect.describe_value(value)}; expected a list of {n} ints.",
                          expected=f"a list of {n} ints", got=expect.describe_value(value))
    if len(items) != n:
        slip = None
        if len(items) == n + 1:
            slip = ("one index too many: seed_ix itself is not returned, only the n characters drawn "
                    "after it.")
        elif len(items) == n - 1:
            slip = "one index too few: the loop must draw n characters (range(n))."
        raise CheckFailed(f"{what} returned {len(items)} indices; expected n = {n}.",
                          expected=f"{n} indices", got=f"{len(items)} indices", slip=slip)
    bad = [(i, v) for i, v in enumerate(items) if not 0 <= v < vocab_size]
    if bad:
        i, v = bad[0]
        raise CheckFailed(f"{what}: index {v} at position {i} is outside [0, {vocab_size}).",
                          expected=f"indices in [0, {vocab_size})", got=str(v),
                          slip="an index into something other than the vocabulary (V = Why.shape[1]).")
    return items
