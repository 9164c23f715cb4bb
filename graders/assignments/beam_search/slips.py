"""Buggy and unusual submissions of `beam_search` (edits of the reference)."""

from graders.engine.mutants import Mutant

_KEEP = """        candidates.sort(key=lambda c: -c[1])  # best first; a stable sort keeps ties in order
        live = []
        for seq, score in candidates[:k]:"""

MUTANTS = [
    Mutant(
        name="beam_search_results_not_sorted",
        old="    finished.sort(key=lambda c: -c[1])\n",
        new="",
        catches=(
            'beam_search: sorted best first',
            'beam_search: wide beam finds the exact best',
        ),
        says=('sorted once more',),
    ),
    Mutant(
        name="beam_search_final_ranking_by_average_log_probability",  # length normalisation
        old="    finished.sort(key=lambda c: -c[1])\n",
        new="    finished.sort(key=lambda c: -c[1] / (len(c[0]) - 1))\n",
        catches=(
            'beam_search: sorted best first',
        ),
        says=('length normalisation',),
    ),
    Mutant(
        name="beam_search_sorted_worst_first",
        old="    finished.sort(key=lambda c: -c[1])\n",
        new="    finished.sort(key=lambda c: c[1])\n",
        catches=(
            'beam_search: sorted best first',
            'beam_search: wide beam finds the exact best',
            'beam_search: worked example',
        ),
        says=('reverse=True',),
    ),
    Mutant(
        name="beam_search_keeps_the_worst_candidates",  # ascending sort of log-probabilities
        old="candidates.sort(key=lambda c: -c[1])",
        new="candidates.sort(key=lambda c: c[1])",
        catches=(
            'beam_search: width 1 is greedy',
            'beam_search: worked example',
        ),
        says=('LEAST probable token',),
    ),
    Mutant(
        name="beam_search_sums_probabilities",  # not log-probabilities: p instead of log p
        old="candidates.append((seq + (v,), score + float(log_probs[v])))",
        new="candidates.append((seq + (v,), score + float(np.exp(log_probs[v]))))",
        catches=(
            'beam_search: total log-probability',
            'beam_search: wide beam finds the exact best',
            'beam_search: worked example',
        ),
        says=('probabilities are added',),
    ),
    Mutant(
        name="beam_search_length_normalised",  # mean log-probability per token, not the total
        old="candidates.append((seq + (v,), score + float(log_probs[v])))",
        new="candidates.append((seq + (v,), (score * (len(seq) - 1) + float(log_probs[v])) / len(seq)))",
        catches=(
            'beam_search: total log-probability',
            'beam_search: wide beam finds the exact best',
            'beam_search: worked example',
        ),
        says=('length-normalised',),
    ),
    Mutant(
        name="beam_search_width_ignored",  # no pruning at all
        old="for seq, score in candidates[:k]:",
        new="for seq, score in candidates:",
        catches=(
            'beam_search: at most beam_width results',
            'beam_search: width 1 is greedy',
            'beam_search: worked example',
        ),
        says=('more hypotheses than the beam holds',),
    ),
    Mutant(
        name="beam_search_prunes_per_parent",  # each hypothesis keeps its own k best tokens
        old=_KEEP,
        new="""        candidates = [c for i in range(0, len(candidates), log_probs.shape[0])
                      for c in sorted(candidates[i:i + log_probs.shape[0]], key=lambda c: -c[1])[:k]]
        live = []
        for seq, score in candidates:""",
        catches=(
            'beam_search: at most beam_width results',
        ),
        says=('not k per hypothesis',),
    ),
    # Kept: a beam of width k holds k hypotheses, so it returns at most k (width 1 returns the one
    # greedy sequence). A beam that never shrinks is fine if it returns the best beam_width of its
    # finished hypotheses (tests/graders/assignments/test_beam_search.py grades one: full marks);
    # this one returns all of them.
    Mutant(
        name="beam_search_beam_does_not_shrink",  # k stays beam_width: more than beam_width results
        old="k = beam_width - len(finished)  # the beam shrinks",
        new="k = beam_width  # the beam shrinks",
        catches=(
            'beam_search: at most beam_width results',
        ),
        says=('finished hypotheses do not take a place',),
    ),
    Mutant(
        name="beam_search_does_not_stop_at_end",
        old="(finished if seq[-1] == end else live).append((seq, score))",
        new="live.append((seq, score))",
        catches=(
            'beam_search: hypotheses end at end or max_len',
            'beam_search: wide beam finds the exact best',
            'beam_search: width 1 is greedy',
        ),
        says=('do not extend it',),
    ),
    Mutant(
        name="beam_search_max_len_one_short",  # max_len counted with start included
        old="for _ in range(max_len):",
        new="for _ in range(max_len - 1):",
        catches=(
            'beam_search: hypotheses end at end or max_len',
            'beam_search: wide beam finds the exact best',
            'beam_search: width 1 is greedy',
            'beam_search: worked example',
        ),
        says=('max_len counts the tokens generated AFTER start',),
    ),
    Mutant(
        name="beam_search_max_len_one_long",
        old="for _ in range(max_len):",
        new="for _ in range(max_len + 1):",
        catches=(
            'beam_search: hypotheses end at end or max_len',
            'beam_search: wide beam finds the exact best',
            'beam_search: width 1 is greedy',
            'beam_search: worked example',
        ),
        says=('max_len counts the tokens generated AFTER start',),
    ),
    Mutant(
        name="beam_search_drops_hypotheses_cut_at_max_len",
        old="    finished.extend(live)  # cut at max_len\n",
        new="",
        catches=(
            'beam_search: wide beam finds the exact best',
            'beam_search: width 1 is greedy',
            'beam_search: worked example',
        ),
        says=('cut at max_len',),
    ),
    Mutant(
        name="beam_search_start_not_in_results",
        old="    return finished\n",
        new="    return [(seq[1:], score) for seq, score in finished]\n",
        catches=(
            'beam_search: (tuple, score) pairs, start included',
            'beam_search: hypotheses end at end or max_len',
            'beam_search: wide beam finds the exact best',
            'beam_search: width 1 is greedy',
            'beam_search: worked example',
        ),
        says=('start is part of every returned sequence',),
    ),
]

UNUSUAL = [
    Mutant(
        name="beam_search_heapq_nlargest",
        old=_KEEP,
        new="""        import heapq

        live = []
        for seq, score in heapq.nlargest(k, candidates, key=lambda c: c[1]):""",
    ),
    Mutant(
        name="beam_search_costs_sorted_ascending",  # negative log-probabilities, smallest first
        old=_KEEP,
        new="""        costs = sorted((-score, i) for i, (_, score) in enumerate(candidates))
        live = []
        for seq, score in [candidates[i] for _, i in costs[:k]]:""",
    ),
    Mutant(
        name="beam_search_vectorised_argsort",
        old="""        candidates = []
        for seq, score in live:
            log_probs = np.asarray(step_fn(seq), dtype=np.float64).reshape(-1)
            for v in range(log_probs.shape[0]):
                candidates.append((seq + (v,), score + float(log_probs[v])))  # log p adds up
""" + _KEEP,
        new="""        table = np.stack([score + np.asarray(step_fn(seq), dtype=np.float64).reshape(-1)
                          for seq, score in live])  # (live, V) total scores
        order = np.argsort(-table, axis=None, kind="stable")[:k]
        rows, cols = np.unravel_index(order, table.shape)
        live_before = live
        live = []
        for seq, score in [(live_before[r][0] + (int(c),), float(table[r, c])) for r, c in zip(rows, cols)]:""",
    ),
]
