"""The checks of `beam_search`, one `check_beam_search_<property>` per check, and the generator.

A `step_fn` is code, so it cannot travel to the sandbox: the task `tasks.task_beam_search`
builds it there from plain numbers (a seed and a vocabulary size: `tasks.random_model`,
a fixed table of log-probabilities by prefix, tie-free) and returns the submission's
hypotheses as plain lists. The same model is built in the grader's process, where the
exact answers come from `tasks.exhaustive` (every sequence, best first) and
`tasks.greedy`. The small models are drawn by Hypothesis (derandomised: a grade is
reproducible); a failure shows the smallest model found, with its probabilities. Drawing
the models and running the submission on them: cases.py.

Conventions pinned here (the reference's docstring states them): every returned sequence
is a tuple that starts with `start`; `max_len` counts the tokens generated after `start`,
`end` included; the score is the total log-probability of the generated tokens.
"""

from __future__ import annotations

import math

import numpy as np

from graders.assignments.beam_search import tasks as model
from graders.assignments.beam_search.cases import (
    all_sequences,
    fmt_hyps,
    models,
    prove,
    recomputed_score,
    run,
    step_fn,
    unpack,
    valid_tokens,
)
from graders.engine.checks import Check, CheckFailed, Kind

CONTRACT = ("beam_search",)
SCORE_TOL = 1e-9            # scores are sums of at most 4 float64 log-probabilities
PROPERTY_TIMEOUT_S = 60.0   # all the sandbox calls of one property check, shrinking included
MAX_LEN_RULE = ("max_len counts the tokens generated AFTER start, the end token included: a returned tuple "
                "has between 2 and max_len + 1 elements (start, y_1, ..., y_L with L <= max_len).")


def _expect_hyps(hyps, what):
    if not hyps:
        raise CheckFailed(f"{what}: beam_search returned an empty list.", expected="at least one hypothesis",
                          slip="finished hypotheses are never collected, or the loop never runs (max_len "
                               "counted wrongly?).")


# ------------------------------------------------------------------ checks


def check_beam_search_wide_beam_exact(ctx):
    """With a beam at least as wide as the number of sequences, beam search is exhaustive."""
    def prop(case):
        every = all_sequences(case)
        width = len(every) + case["extra_width"]
        case["beam_width"] = width
        got, _ = run(ctx, case, width)
        what = f"beam_search with beam_width {width} >= the {len(every)} possible sequences"
        _expect_hyps(got, what)
        expected_seqs = [s for s, _ in every]
        got_seqs = [s for s, _ in got]
        exp_set, got_set = set(expected_seqs), set(got_seqs)
        own_order = all(got[i][1] >= got[i + 1][1] for i in range(len(got) - 1))
        order_slip = ("the sequences are ranked by a score that is not their total log-probability (your "
                      "scores are in decreasing order, but they are not the right ones): see the check "
                      "'beam_search: total log-probability'." if own_order else
                      "the results are not sorted best first (highest total log-probability first).")
        if got_seqs[0] != expected_seqs[0] and got_seqs[0] in exp_set and expected_seqs[0] in got_set:
            raise CheckFailed(f"{what}: the first result is not the most probable sequence.",
                              expected=f"{expected_seqs[0]} first (log-probability {every[0][1]:.6g})",
                              got=fmt_hyps(got), slip=order_slip)
        missing = [s for s in expected_seqs if s not in got_set]
        extra = [s for s in got_seqs if s not in exp_set]
        if missing or extra:
            slip = None
            longest = max(len(s) for s in got_seqs) - 1
            if any(s[:1] != (case["start"],) for s in got_seqs):
                slip = "the returned sequences must include start as their first element."
            elif longest > case["max_len"]:
                slip = MAX_LEN_RULE + " Some returned sequences are longer."
            elif any(case["end"] in s[1:-1] for s in got_seqs):
                slip = "a hypothesis that generated `end` is finished: it is not extended further."
            elif missing and all(len(s) - 1 == case["max_len"] and s[-1] != case["end"] for s in missing):
                slip = ("the hypotheses still live after max_len steps are missing: they are finished too "
                        "(cut at max_len) and belong in the results. " + MAX_LEN_RULE)
            elif missing and all(len(s) - 1 == case["max_len"] for s in missing):
                slip = "the sequences of exactly max_len tokens are missing. " + MAX_LEN_RULE
            raise CheckFailed(
                f"{what}: the results are not exactly the possible sequences.",
                expected=f"all {len(expected_seqs)} sequences, best first: {fmt_hyps(every)}",
                got=fmt_hyps(got),
                where=(f"missing {missing[:3]}" if missing else "") + ("; " if missing and extra else "")
                      + (f"not possible {extra[:3]}" if extra else ""),
                slip=slip)
        if got_seqs != expected_seqs:
            raise CheckFailed(f"{what}: the results are not in the order of their total log-probability.",
                              expected=fmt_hyps(every), got=fmt_hyps(got), slip=order_slip)
    prove(prop, models("wide"))


def anti_greedy(f, start, end, max_len):
    """The sequence that takes the LEAST probable token at each step."""
    seq = (start,)
    while len(seq) - 1 < max_len:
        v = int(np.argmin(f(seq)))
        seq += (v,)
        if v == end:
            break
    return seq


def check_beam_search_width_one_greedy(ctx):
    def prop(case):
        f = step_fn(case)
        seq, score = model.greedy(f, case["start"], case["end"], case["max_len"])
        got, _ = run(ctx, case, 1)
        what = "beam_search with beam_width 1"
        _expect_hyps(got, what)
        if len(got) == 1 and got[0][0] == seq:
            return  # (the score is the business of the check 'beam_search: total log-probability')
        slip = None
        if len(got) > 1:
            slip = ("more than one result for a beam of width 1: the candidates are not pruned to the beam "
                    "width (keep the k best extensions over ALL live hypotheses).")
        elif got[0][0] == anti_greedy(f, case["start"], case["end"], case["max_len"]):
            slip = ("the LEAST probable token is kept at each step: the candidates are sorted in ascending "
                    "order of log-probability; keep the highest scores.")
        raise CheckFailed(f"{what} is not greedy decoding (the most probable token at each step).",
                          expected=fmt_hyps([(seq, score)]), got=fmt_hyps(got), slip=slip)
    prove(prop, models(1))


def length_normalised_order(got) -> str | None:
    """Which per-token average the order of `got` follows (best first), when it follows one and
    the totals do not: "score / number of tokens after start" or "score / length with start"."""
    if len({len(seq) for seq, _ in got}) < 2:
        return None
    for words, length in (("score / number of tokens after start", lambda seq: len(seq) - 1),
                          ("score / length with start", len)):
        if any(length(seq) <= 0 for seq, _ in got):
            continue
        keys = [score / length(seq) for seq, score in got]
        if all(keys[i + 1] <= keys[i] + 1e-12 for i in range(len(keys) - 1)):
            return words
    return None


def check_beam_search_sorted(ctx):
    def prop(case):
        got, _ = run(ctx, case, case["beam_width"])
        scores = [c for _, c in got]
        bad = [i for i in range(len(scores) - 1) if scores[i + 1] > scores[i] + 1e-12]
        if not bad:
            return
        ascending = all(scores[i + 1] >= scores[i] for i in range(len(scores) - 1))
        normalised = length_normalised_order(got)
        raise CheckFailed(
            f"beam_search's results are not sorted best first: result {bad[0] + 1} scores higher than result "
            f"{bad[0]}.",
            expected="scores in decreasing order (the highest total log-probability first)",
            got=f"scores {[round(c, 6) for c in scores]}",
            slip=("sorted worst first (ascending): sort by -score, or with reverse=True."
                  if ascending and len(scores) >= 3 else
                  f"ranked by the AVERAGE log-probability per token ({normalised}): that is length "
                  "normalisation, which favours longer hypotheses; the contract ranks by the TOTAL "
                  "log-probability, the score returned."
                  if normalised else
                  "the final results are not sorted best first: hypotheses finish at different steps, so the "
                  "finished ones must be sorted once more at the end, by score, highest first "
                  "(key=lambda h: -h[1], or reverse=True)."))
    prove(prop, models())


def check_beam_search_ends(ctx):
    def prop(case):
        got, info = run(ctx, case, case["beam_width"])
        start, end, max_len = case["start"], case["end"], case["max_len"]
        for seq, _ in got:
            generated = seq[1:]
            problem, slip = None, None
            if not seq or seq[0] != start:
                problem = f"{seq} does not start with start = {start}"
                slip = "every returned sequence is a tuple that includes start as its first element."
            elif len(generated) == 0:
                problem = f"{seq} has no generated token"
                slip = MAX_LEN_RULE
            elif len(generated) > max_len:
                problem = f"{seq} has {len(generated)} tokens after start, more than max_len = {max_len}"
                slip = MAX_LEN_RULE + (" One step too many: the loop runs max_len + 1 times?"
                                       if len(generated) == max_len + 1 else "")
            elif end in generated[:-1]:
                problem = f"{seq} goes on after the end token {end}"
                slip = "a hypothesis whose last token is `end` is finished: move it out of the beam, do not extend it."
            elif generated[-1] != end and len(generated) < max_len:
                problem = (f"{seq} stops after {len(generated)} tokens without the end token {end} "
                           f"(max_len = {max_len})")
                slip = MAX_LEN_RULE + (" One step short: start counted as one of the max_len tokens?"
                                       if len(generated) == max_len - 1 else "")
            if problem:
                details = None
                if info.get("n_bad_prefixes"):
                    details = (f"step_fn was also called on {int(info['n_bad_prefixes'])} prefix(es) that extend "
                               f"a finished hypothesis or already have max_len tokens, e.g. "
                               f"{[tuple(p) for p in info.get('bad_prefixes', [])[:3]]}.")
                raise CheckFailed(f"beam_search returned a hypothesis that does not end at `end` or at max_len: "
                                  f"{problem}.", expected="(start, y_1, ..., y_L) ending with end, or with "
                                                          "L == max_len", got=fmt_hyps(got), slip=slip,
                                  details=details)
    prove(prop, models())


def check_beam_search_total_log_prob(ctx):
    def prop(case):
        f = step_fn(case)
        got, _ = run(ctx, case, case["beam_width"])
        for seq, score in got:
            if not valid_tokens(case, seq):
                continue  # the other checks say what is wrong with it
            total = recomputed_score(f, seq)
            if abs(score - total) <= SCORE_TOL:
                continue
            logs = [float(f(seq[:t])[seq[t]]) for t in range(1, len(seq))]
            known = {
                "the probabilities are added, not their logs: work with log-probabilities, log p(y_1..y_L) = "
                "sum of log p(y_t | prefix)": sum(math.exp(x) for x in logs),
                "the probability itself (a product of probabilities), not its log": math.exp(total),
                "length-normalised (the mean log-probability per token): the contract's score is the TOTAL "
                "log-probability": total / len(logs),
                "the log-probability of the last token only, not the sum over the sequence": logs[-1],
                "the negative log-probability (a cost): the score is the log-probability itself": -total,
            }
            slip = next((words for words, value in known.items() if abs(score - value) <= 1e-9), None)
            raise CheckFailed(
                f"beam_search: the score of {seq} is {score:.10g}; its total log-probability is {total:.10g}.",
                expected=f"{total:.10g} = " + " + ".join(f"{x:.4g}" for x in logs)
                         + " (the log-probabilities of the generated tokens)",
                got=f"{score:.10g}", diff=f"absolute difference {abs(score - total):.4g} (up to {SCORE_TOL:g})",
                slip=slip)
    prove(prop, models())


def check_beam_search_at_most_width(ctx):
    def prop(case):
        width = case["beam_width"]
        got, _ = run(ctx, case, width)
        _expect_hyps(got, f"beam_search with beam_width {width}")
        if len(got) <= width:
            return
        raise CheckFailed(
            f"beam_search with beam_width {width} returned {len(got)} hypotheses.",
            expected=f"at most {width}", got=fmt_hyps(got),
            slip="more hypotheses than the beam holds: either the candidates are not pruned to the k best "
                 "over ALL live hypotheses (not k per hypothesis), or finished hypotheses do not take a place "
                 "in the beam (k = beam_width - number finished) and the results are not cut to the best "
                 "beam_width.")
    prove(prop, models())


def check_beam_search_tuples(ctx):
    def prop(case):
        got, info = run(ctx, case, case["beam_width"])
        _expect_hyps(got, "beam_search")
        if not info.get("returned_tuples", False):
            raise CheckFailed("beam_search returned sequences that are not tuples.",
                              expected="(start, y_1, ..., y_L) as a tuple of ints",
                              got="a list (or another sequence type)",
                              slip="sequences built as lists (seq + [v]); build tuples (seq + (v,)): the "
                                   "contract returns tuple[int, ...], hashable and comparable.")
        bad = [s for s, _ in got if s[:1] != (case["start"],)]
        if bad:
            raise CheckFailed(f"beam_search returned sequences that do not start with start = {case['start']}.",
                              expected=f"every sequence starting with {case['start']}", got=fmt_hyps(got),
                              slip="start is part of every returned sequence (the tuple starts with it; it is "
                                   "not scored).")
    prove(prop, models(), max_examples=10)


def check_beam_search_worked_example(ctx):
    w = model.WORKED_EXAMPLE
    context = ("The worked example: after start 0, p(1) = 0.5, p(2) = 0.4, p(end = 3) = 0.1; after (0, 1): "
               "p(1) = 0.4, p(2) = 0.3, p(end) = 0.3; after (0, 2): p(1) = p(2) = 0.05, p(end) = 0.9; max_len 2. "
               "Greedy decoding takes 1 then 1: (0, 1, 1) with probability 0.2; the best sequence is (0, 2, 3) "
               "with probability 0.36.")
    for width, (seq, score), name in ((1, w["greedy"], "greedy's (0, 1, 1)"), (2, w["best"], "the best (0, 2, 3)")):
        out = ctx.task("beam_search_table", rows=w["rows"], default=w["default"], start=w["start"], end=w["end"],
                       beam_width=width, max_len=w["max_len"])
        if not isinstance(out, dict):
            raise CheckFailed("beam_search: unexpected reply from the grader's task (an internal error).")
        got, _ = unpack(out)
        what = f"beam_search(step_fn, 0, 3, beam_width={width}, max_len=2)"
        _expect_hyps(got, what)
        if got[0][0] == tuple(seq) and not abs(got[0][1] - score) <= SCORE_TOL:
            raise CheckFailed(f"{what}: the right sequence first, {tuple(seq)}, with the wrong score.",
                              expected=f"log {math.exp(score):.2f} = {score:.6g}", got=f"{got[0][1]:.6g}",
                              details=context, slip="the score is the total log-probability: the sum of the "
                                                    "log-probabilities of the generated tokens.")
        if got[0][0] != tuple(seq):
            raise CheckFailed(f"{what} must return {name} first.",
                              expected=f"({tuple(seq)}, log {math.exp(score):.2f} = {score:.6g}) first",
                              got=fmt_hyps(got), details=context,
                              slip=("a beam of 2 keeps (0, 1) AND (0, 2) after the first step, and (0, 2, 3) wins "
                                    "after the second." if width == 2 else None))


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of beam_search."""
    def prop_check(name, fn, points=1.0):
        return Check(f"beam_search: {name}", fn, points=points, kind=Kind.PROPERTY,
                     timeout_s=PROPERTY_TIMEOUT_S)

    yield prop_check("wide beam finds the exact best", check_beam_search_wide_beam_exact, 2)
    yield prop_check("width 1 is greedy", check_beam_search_width_one_greedy, 2)
    yield prop_check("sorted best first", check_beam_search_sorted)
    yield prop_check("hypotheses end at end or max_len", check_beam_search_ends, 2)
    yield prop_check("total log-probability", check_beam_search_total_log_prob)
    yield prop_check("at most beam_width results", check_beam_search_at_most_width)
    yield prop_check("(tuple, score) pairs, start included", check_beam_search_tuples, 0.5)
    yield Check("beam_search: worked example (greedy misses the best, a beam of 2 finds it)",
                check_beam_search_worked_example, kind=Kind.VALUE)
