"""Tests of the beam search reference against exhaustive search on small random models.

A "model" (graders.assignments.beam_search.tasks.random_model) is a table of
log-probabilities by prefix, drawn lazily: the distribution after a prefix comes from
np.random.default_rng([seed, *prefix]), so it does not depend on the order of calls,
and ties have probability zero.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.assignments.beam_search import tasks
from graders.assignments.beam_search.tasks import exhaustive, greedy

REF = Path(__file__).resolve().parents[3] / "reference" / "torch" / "beam_search.py"


def _load():
    spec = importlib.util.spec_from_file_location("beam_search_ref", REF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


beam_search = _load().beam_search


make_model = tasks.random_model


models = st.fixed_dictionaries({
    "seed": st.integers(0, 2**31 - 1),
    "vocab": st.integers(2, 4),
    "max_len": st.integers(1, 4),
    "start": st.integers(0, 3),
    "end": st.integers(0, 3),
}).filter(lambda m: m["start"] < m["vocab"] and m["end"] < m["vocab"])


@settings(max_examples=60, deadline=None)
@given(models)
def test_wide_beam_returns_every_sequence_best_first_like_exhaustive_search(m):
    f = make_model(m["seed"], m["vocab"])
    every = exhaustive(f, m["start"], m["end"], m["max_len"])
    got = beam_search(f, m["start"], m["end"], len(every) + 3, m["max_len"])
    assert [s for s, _ in got] == [s for s, _ in every]
    np.testing.assert_allclose([c for _, c in got], [c for _, c in every], rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(models)
def test_width_one_is_greedy_decoding(m):
    f = make_model(m["seed"], m["vocab"])
    got = beam_search(f, m["start"], m["end"], 1, m["max_len"])
    seq, score = greedy(f, m["start"], m["end"], m["max_len"])
    assert len(got) == 1
    assert got[0][0] == seq
    assert got[0][1] == pytest.approx(score, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(models, st.integers(1, 8))
def test_results_sorted_finished_scored_and_at_most_width(m, width):
    f = make_model(m["seed"], m["vocab"])
    start, end, max_len = m["start"], m["end"], m["max_len"]
    got = beam_search(f, start, end, width, max_len)
    n_all = len(exhaustive(f, start, end, max_len))
    assert len(got) == min(width, n_all)
    scores = [c for _, c in got]
    assert scores == sorted(scores, reverse=True)
    assert len({s for s, _ in got}) == len(got)  # no duplicates
    for seq, score in got:
        assert isinstance(seq, tuple) and seq[0] == start
        generated = seq[1:]
        assert 1 <= len(generated) <= max_len
        assert generated[-1] == end or len(generated) == max_len  # ends at end or max_len
        assert end not in generated[:-1]  # a finished hypothesis is never extended
        recomputed = sum(float(f(seq[:t])[seq[t]]) for t in range(1, len(seq)))
        assert score == pytest.approx(recomputed, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(models, st.integers(1, 8))
def test_best_score_never_beats_exhaustive_and_top_result_is_a_real_sequence(m, width):
    f = make_model(m["seed"], m["vocab"])
    every = dict(exhaustive(f, m["start"], m["end"], m["max_len"]))
    got = beam_search(f, m["start"], m["end"], width, m["max_len"])
    best = max(every.values())
    assert got[0][1] <= best + 1e-12
    for seq, score in got:
        assert seq in every and score == pytest.approx(every[seq], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=3 * 9, max_size=3 * 9))
def test_wide_beam_finds_the_best_score_on_hypothesis_drawn_tables_with_ties(values):
    # a table of raw scores by (last token, depth) drawn by Hypothesis, ties allowed:
    # only scores are compared, so the tie-breaking rule does not matter
    table = np.array(values).reshape(3, 3, 3)

    def f(prefix):
        z = table[prefix[-1], min(len(prefix) - 1, 2)]
        return z - (z.max() + np.log(np.exp(z - z.max()).sum()))

    every = exhaustive(f, 0, 2, 3)
    got = beam_search(f, 0, 2, len(every), 3)
    assert got[0][1] == pytest.approx(every[0][1], abs=1e-9)
    np.testing.assert_allclose(sorted(c for _, c in got), sorted(c for _, c in every), atol=1e-9)


def test_max_len_counts_generated_tokens_after_start_end_included():
    f = make_model(0, 3)
    one = beam_search(f, 0, 2, 10, 1)
    assert sorted(s for s, _ in one) == [(0, 0), (0, 1), (0, 2)]  # one token after start
    two = beam_search(f, 0, 2, 100, 2)
    assert max(len(s) for s, _ in two) == 3 and (0, 2) in [s for s, _ in two]
    assert len(two) == 1 + 2 * 3  # (0, 2) plus 2 non-end first tokens x 3 second tokens


def test_worked_example_greedy_misses_the_best_sequence_a_beam_of_two_finds():
    # after start 0: p(1) = 0.5, p(2) = 0.4, p(end=3) = 0.1
    # after (0, 1): p(1) = 0.4, p(2) = 0.3, p(end) = 0.3; after (0, 2): p(end) = 0.9
    # greedy: (0, 1, 1) with 0.5 * 0.4 = 0.2; best: (0, 2, 3) with 0.4 * 0.9 = 0.36
    table = {(0,): [0.0, 0.5, 0.4, 0.1], (0, 1): [0.0, 0.4, 0.3, 0.3], (0, 2): [0.0, 0.05, 0.05, 0.9]}

    def f(prefix):
        p = np.array(table.get(prefix, [0.0, 0.5, 0.25, 0.25]))
        with np.errstate(divide="ignore"):
            return np.log(p)

    greedy_best = beam_search(f, 0, 3, 1, 2)
    assert greedy_best[0][0] == (0, 1, 1) and greedy_best[0][1] == pytest.approx(math.log(0.2))
    best = beam_search(f, 0, 3, 2, 2)
    assert best[0][0] == (0, 2, 3) and best[0][1] == pytest.approx(math.log(0.36))
    assert len(best) == 2


def test_step_fn_may_return_a_list_or_a_torch_tensor():
    f = make_model(3, 4)
    ref = beam_search(f, 0, 3, 3, 3)
    as_list = beam_search(lambda p: list(f(p)), 0, 3, 3, 3)
    as_tensor = beam_search(lambda p: torch.tensor(f(p)), 0, 3, 3, 3)
    assert as_list == ref
    assert [s for s, _ in as_tensor] == [s for s, _ in ref]


def test_step_fn_is_called_only_on_live_prefixes_starting_with_start():
    f = make_model(5, 3)
    seen = []

    def spy(prefix):
        seen.append(prefix)
        return f(prefix)

    beam_search(spy, 1, 2, 2, 4)
    assert all(p[0] == 1 and 2 not in p[1:] and len(p) <= 4 for p in seen)


def test_tasks_return_plain_lists_and_flag_no_bad_prefix_for_the_reference():
    ref = _load()
    cases = [{"seed": 1, "vocab": 3, "start": 0, "end": 2, "beam_width": w, "max_len": 3} for w in (1, 2, 9)]
    out = tasks.task_beam_search(ref, cases)
    for case, r in zip(cases, out):
        assert r["n_bad_prefixes"] == 0 and r["returned_tuples"]
        expected = beam_search(make_model(1, 3), 0, 2, case["beam_width"], 3)
        assert r["result"] == [[list(s), c] for s, c in expected]
    w = tasks.WORKED_EXAMPLE
    args = (w["rows"], w["default"], w["start"], w["end"])
    greedy_run = tasks.task_beam_search_table(ref, *args, 1, w["max_len"])
    best_run = tasks.task_beam_search_table(ref, *args, 2, w["max_len"])
    assert greedy_run["result"][0][0] == w["greedy"][0]
    assert best_run["result"][0][0] == w["best"][0]
    assert best_run["result"][0][1] == pytest.approx(w["best"][1])


def test_task_reports_an_error_instead_of_raising():
    class Broken:
        @staticmethod
        def beam_search(step_fn, start, end, beam_width, max_len):
            raise RuntimeError("not yet")

    r = tasks.task_beam_search(Broken, [{"seed": 0, "vocab": 3, "start": 0, "end": 2, "beam_width": 2,
                                         "max_len": 2}])
    assert r[0]["error"].startswith("RuntimeError")
