"""The cases the `beam_search` checks decode, and running the submission on them.

A case is a small random model (a seed and a vocabulary size: `tasks.random_model`, a
fixed table of log-probabilities by prefix, tie-free) with the decoding settings, drawn
by Hypothesis (derandomised: a grade is reproducible). A `step_fn` is code, so it cannot
travel to the sandbox: the task `tasks.task_beam_search` builds it there from the plain
numbers and returns the submission's hypotheses as plain lists. The same model is built
in the grader's process, where the exact answers come from `tasks.exhaustive`. `prove`
runs a property over the cases; a failure shows the smallest case found, with its
probabilities.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.assignments.beam_search import tasks as model
from graders.engine.checks import CheckFailed
from graders.engine.properties import check_property
from graders.sandbox.errors import StudentError

MAX_EXAMPLES = 25


# ------------------------------------------------------------------ the models


@st.composite
def models(draw, width=None):
    """A small random model and the decoding settings: a dict with seed, vocab, start, end,
    max_len and (unless the check sets it) beam_width. start != end."""
    vocab = draw(st.integers(2, 4))
    max_len = draw(st.integers(1, 4 if vocab <= 3 else 3))
    start = draw(st.integers(0, vocab - 1))
    end = draw(st.integers(0, vocab - 2))
    end = end + 1 if end >= start else end  # any token but start
    case = {"seed": draw(st.integers(0, 2**16)), "vocab": vocab, "start": start, "end": end, "max_len": max_len}
    if width == "wide":
        case["extra_width"] = draw(st.integers(0, 2))
    elif width is None:
        case["beam_width"] = draw(st.integers(1, 8))
    else:
        case["beam_width"] = int(width)
    return case


def step_fn(case):
    return model.random_model(case["seed"], case["vocab"])


def all_sequences(case):
    """Every complete sequence with its total log-probability, best first."""
    return model.exhaustive(step_fn(case), case["start"], case["end"], case["max_len"])


def render_case(args) -> str:
    """The drawn case, with the model's probabilities, so the student can redo it by hand."""
    (case,) = args
    f = step_fn(case)
    rows, frontier = [], [(case["start"],)]
    while frontier and len(rows) < 8:
        prefix = frontier.pop(0)
        p = np.exp(f(prefix))
        rows.append(f"    p(next | {prefix}) = [{', '.join(f'{x:.4f}' for x in p)}]")
        if len(prefix) - 1 < case["max_len"] - 1:
            frontier += [prefix + (v,) for v in range(case["vocab"]) if v != case["end"]]
    width = case.get("beam_width", "wide")
    return (f"beam_search(step_fn, start={case['start']}, end={case['end']}, beam_width={width}, "
            f"max_len={case['max_len']}) with a vocabulary of {case['vocab']} tokens; step_fn(prefix) returns "
            f"the log of these probabilities:\n" + "\n".join(rows)
            + ("\n    ..." if frontier else ""))


def fmt_hyps(hyps, n: int = 6) -> str:
    shown = ", ".join(f"({tuple(s)}, {c:.6g})" for s, c in hyps[:n])
    return f"[{shown}{', ...' if len(hyps) > n else ''}] ({len(hyps)} result{'s' if len(hyps) != 1 else ''})"


# ------------------------------------------------------------------ running the submission


def run(ctx, case: dict, width: int) -> tuple[list[tuple[tuple, float]], dict]:
    """The submission's hypotheses on the case's model as [(tuple of ints, float), ...]."""
    spec = {k: case[k] for k in ("seed", "vocab", "start", "end", "max_len")}
    spec["beam_width"] = int(width)
    out = ctx.task("beam_search", cases=[spec])
    if not isinstance(out, list) or len(out) != 1 or not isinstance(out[0], dict):
        raise CheckFailed("beam_search: unexpected reply from the grader's task (an internal error).")
    return unpack(out[0])


def unpack(r: dict) -> tuple[list[tuple[tuple, float]], dict]:
    if "error" in r:
        raise StudentError(str(r.get("error_type", "Exception")), str(r.get("error_message", r["error"])),
                           str(r.get("traceback", "")))
    if "bad_return" in r:
        raise CheckFailed(f"beam_search did not return a list of (sequence, score) pairs: {r['bad_return']}.",
                          expected="[((start, y_1, ..., y_L), score), ...], best first",
                          slip="a missing return, or returning the sequences without their scores.")
    hyps = [(tuple(int(t) for t in s), float(c)) for s, c in r["result"]]
    return hyps, r


def recomputed_score(f, seq) -> float:
    return float(sum(float(f(seq[:t])[seq[t]]) for t in range(1, len(seq))))


def valid_tokens(case, seq) -> bool:
    return len(seq) >= 2 and seq[0] == case["start"] and all(0 <= t < case["vocab"] for t in seq)


def prove(prop, strategy, max_examples: int = MAX_EXAMPLES) -> None:
    """check_property(prop, strategy), with every failure raised from ONE place.

    Hypothesis tells failures apart by where they were raised; two different failures
    (say, a wrong first result on one model and an empty list on another) would otherwise
    come back as an ExceptionGroup, which check_property does not unwrap.
    """
    def single_site(*args):
        failure = None
        try:
            prop(*args)
        except CheckFailed as exc:
            failure = exc
        except StudentError as exc:
            failure = CheckFailed(f"your code raised an exception on this input: {exc.describe()}")
        if failure is not None:
            raise failure.with_traceback(None)

    check_property(single_site, strategy, max_examples=max_examples, render=render_case)
