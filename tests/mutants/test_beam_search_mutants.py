"""Every beam_search mutant applies; buggy ones change the result, unusual ones do not."""

import numpy as np
import pytest

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.beam_search import MUTANTS, UNUSUAL

SOURCE = reference_path("beam_search").read_text(encoding="utf-8")


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


def same(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return len(a) == len(b) and all(sa == sb and abs(ca - cb) <= 1e-10 for (sa, ca), (sb, cb) in zip(a, b))


REFERENCE = contract_outputs(load_module_from_source(SOURCE, "beam_search_reference"))


def test_reference_cases_include_pruning_and_early_ends():
    assert any(len(v) > 1 and len(v[0][0]) < 1 + k[3] for k, v in REFERENCE.items())  # ended at `end`
    assert any(len(r) == k[2] for k, r in REFERENCE.items() if k[2] < 50)  # the width is reached


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_buggy_mutant_changes_the_result(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = contract_outputs(mod)
    changed = [k for k in REFERENCE if not same(REFERENCE[k], got[k])]
    assert changed, f"{mutant.name} behaves like the reference on every case"


@pytest.mark.parametrize("mutant", UNUSUAL, ids=lambda m: m.name)
def test_unusual_submission_matches_the_reference(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = contract_outputs(mod)
    differ = [k for k in REFERENCE if not same(REFERENCE[k], got[k])]
    assert not differ, f"{mutant.name} differs from the reference on {differ[:5]}"


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS + UNUSUAL]
    assert len(names) == len(set(names))
