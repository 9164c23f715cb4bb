"""Sandbox tasks of `beam_search`, and the small random models it is checked on.

A `step_fn` is a Python callable, not plain data, so the grader cannot send one to the
sandbox: the task builds it inside the child from plain numbers (a seed and a vocabulary
size, or an explicit table) and returns the student's hypotheses as plain lists. The
same builders (`random_model`, `table_model`) and the exact decoders (`exhaustive`,
`greedy`) run in the grader's process to compute the expected answers.

Imports only the standard library and numpy (no project imports).
"""

import math
import os
import sys
import traceback

import numpy as np


def random_model(seed, vocab, spread=2.0):
    """step_fn(prefix) -> log-probabilities over `vocab` tokens, fixed per prefix.

    The distribution after a prefix is a softmax of spread * N(0, 1) scores drawn from
    np.random.default_rng([seed, len(prefix), *(token + 1 for token in prefix)]): it does
    not depend on the order of calls, and ties have probability zero. (NumPy's SeedSequence
    ignores trailing zero words, so [seed, *prefix] would give (0,), (0, 0), (0, 0, 0) the
    same distribution; the length and the + 1 keep every prefix's distribution its own.)
    """

    def step_fn(prefix):
        key = [int(seed), len(prefix), *[int(t) + 1 for t in prefix]]
        z = np.random.default_rng(key).normal(size=int(vocab)) * spread
        return z - (z.max() + np.log(np.exp(z - z.max()).sum()))

    return step_fn


def table_model(rows, default):
    """step_fn from explicit probabilities: rows = [[prefix list, probs list], ...].

    Prefixes not listed get `default` (a probability list). Zero probabilities give -inf.
    """
    table = {tuple(int(t) for t in prefix): np.asarray(p, dtype=np.float64) for prefix, p in rows}
    default = np.asarray(default, dtype=np.float64)

    def step_fn(prefix):
        p = table.get(tuple(int(t) for t in prefix), default)
        with np.errstate(divide="ignore"):
            return np.log(p)

    return step_fn


def exhaustive(step_fn, start, end, max_len):
    """Every complete sequence (ending at `end`, or with max_len tokens after start), best first."""
    out = []

    def grow(seq, score):
        lp = np.asarray(step_fn(seq), dtype=np.float64)
        for v in range(len(lp)):
            new, s = seq + (v,), score + float(lp[v])
            if v == end or len(new) - 1 == max_len:
                out.append((new, s))
            else:
                grow(new, s)

    grow((int(start),), 0.0)
    return sorted(out, key=lambda c: -c[1])


def greedy(step_fn, start, end, max_len):
    """Greedy decoding: the most probable token at each step, until `end` or max_len tokens."""
    seq, score = (int(start),), 0.0
    while len(seq) - 1 < max_len:
        lp = np.asarray(step_fn(seq), dtype=np.float64)
        v = int(np.argmax(lp))
        seq, score = seq + (v,), score + float(lp[v])
        if v == end:
            break
    return seq, score


def _describe(value):
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, (list, tuple)):
        return f"{article} {name} of length {len(value)}"
    return "None" if value is None else f"{article} {name}"


def _plain(result):
    """The student's hypotheses as [[list of ints, float], ...]; TypeError (with a message for
    the student) on a wrong structure."""
    if not isinstance(result, (list, tuple)):
        raise TypeError(f"beam_search returned {_describe(result)}; expected a list of (sequence, score) pairs")
    out = []
    for i, item in enumerate(result):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise TypeError(f"item {i} of the returned list is {_describe(item)}; expected a (sequence, score) pair")
        seq, score = item
        try:
            tokens = [int(t) for t in seq]
        except (TypeError, ValueError):
            raise TypeError(f"the sequence of item {i} is {_describe(seq)}; expected a tuple of ints") from None
        try:
            value = float(score)
        except (TypeError, ValueError):
            raise TypeError(f"the score of item {i} is {_describe(score)}; expected a float") from None
        out.append([tokens, value])
    return out


def _student_frames(exc):
    """The traceback of `exc` without this file's frames and the libraries' (the submission's)."""
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != here and not f.filename.startswith(prefixes)]
    return "\n".join(f'  {f.filename}, line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}'
                     for f in frames)[-2000:]


def _run(sub, step_fn, start, end, beam_width, max_len):
    calls = []

    def spy(prefix):
        calls.append(tuple(int(t) for t in prefix))
        return step_fn(prefix)

    try:
        result = sub.beam_search(spy, int(start), int(end), int(beam_width), int(max_len))
    except Exception as exc:  # noqa: BLE001 - reported to the grader as feedback
        return {"error": f"{type(exc).__name__}: {exc}"[:2000], "error_type": type(exc).__name__,
                "error_message": str(exc)[:2000], "traceback": _student_frames(exc), "calls": len(calls)}
    try:
        hyps = _plain(result)
    except TypeError as exc:
        return {"bad_return": str(exc), "calls": len(calls)}
    returned_tuples = all(isinstance(item[0], tuple) for item in result)
    bad = [list(p) for p in calls
           if not p or p[0] != start or end in p[1:] or len(p) - 1 >= max_len]
    return {"result": hyps, "returned_tuples": returned_tuples, "returned_list": isinstance(result, list),
            "calls": len(calls), "bad_prefixes": bad[:5], "n_bad_prefixes": len(bad)}


def task_beam_search(sub, cases):
    """The student's beam_search on random models.

    cases: a list of dicts with keys seed, vocab, start, end, beam_width, max_len (and
    optionally spread). Returns one dict per case: result ([[sequence as a list, score],
    ...] in the student's order), returned_tuples (bool: every sequence a tuple),
    returned_list (bool), calls (number of step_fn calls), n_bad_prefixes and
    bad_prefixes (calls on a prefix that does not start with `start`, extends a finished
    hypothesis, or is already max_len tokens long); or, if beam_search raised, error
    ("Type: message"), error_type, error_message and traceback (the submission's frames);
    or, if it returned something else than (sequence, score) pairs, bad_return (what).
    """
    out = []
    for c in cases:
        f = random_model(c["seed"], c["vocab"], c.get("spread", 2.0))
        out.append(_run(sub, f, c["start"], c["end"], c["beam_width"], c["max_len"]))
    return out


def task_beam_search_table(sub, rows, default, start, end, beam_width, max_len):
    """The student's beam_search on an explicit probability table (see table_model)."""
    return _run(sub, table_model(rows, default), start, end, beam_width, max_len)


# A worked example where greedy decoding misses the best sequence and a beam of 2 finds it:
# after start 0, p(1) = 0.5, p(2) = 0.4, p(end = 3) = 0.1; after (0, 1): p(1) = 0.4,
# p(2) = 0.3, p(end) = 0.3; after (0, 2): p(end) = 0.9. Greedy: (0, 1, 1), probability 0.2;
# best: (0, 2, 3), probability 0.36 (max_len 2).
WORKED_EXAMPLE = {
    "rows": [[[0], [0.0, 0.5, 0.4, 0.1]], [[0, 1], [0.0, 0.4, 0.3, 0.3]], [[0, 2], [0.0, 0.05, 0.05, 0.9]]],
    "default": [0.0, 0.5, 0.25, 0.25],
    "start": 0,
    "end": 3,
    "max_len": 2,
    "greedy": ([0, 1, 1], math.log(0.2)),
    "best": ([0, 2, 3], math.log(0.36)),
}
