"""The probe of beam_search's contract for its mutants (the harness: tests/mutants/probing.py)."""

import numpy as np

from graders.assignments.beam_search.slips import MUTANTS, UNUSUAL



def make_model(seed, vocab):
    """Log-probabilities by prefix, fixed per prefix (tie-free with probability one)."""

    def step_fn(prefix):
        z = np.random.default_rng([seed, *prefix]).normal(size=vocab) * 2.0
        return z - (z.max() + np.log(np.exp(z - z.max()).sum()))

    return step_fn


CASES = [(seed, vocab, width, max_len)
         for seed, vocab in ((0, 3), (1, 4), (2, 3), (3, 5))
         for width in (1, 2, 3, 50)
         for max_len in (1, 2, 4)]


def contract_outputs(mod):
    out = {}
    for seed, vocab, width, max_len in CASES:
        end = vocab - 1
        try:
            res = mod.beam_search(make_model(seed, vocab), 0, end, width, max_len)
            out[(seed, vocab, width, max_len)] = [(tuple(int(t) for t in s), float(c)) for s, c in res]
        except Exception as exc:  # noqa: BLE001 - a crash is an observable difference
            out[(seed, vocab, width, max_len)] = f"raised {type(exc).__name__}"
    return out


probe = contract_outputs
BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-10
CONTRACT = None  # one function: every mutant is of beam_search


def check_reference(reference: dict) -> None:
    """The cases include pruning and early ends."""
    assert any(len(v) > 1 and len(v[0][0]) < 1 + k[3] for k, v in reference.items())  # ended at `end`
    assert any(len(r) == k[2] for k, r in reference.items() if k[2] < 50)  # the width is reached
