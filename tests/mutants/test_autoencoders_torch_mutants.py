"""The autoencoders_torch mutants against the calibrated trained bounds (the probes of every
mutant: tests/mutants/test_mutant_probes.py)."""

from __future__ import annotations

import pytest

from tests.mutants import load_module_from_source
from graders.assignments.autoencoders_torch.slips import MUTANTS, UNUSUAL
from tests.mutants.probing import source

SOURCE = source("autoencoders_torch")


# ----------------------------------------------------------------------------------------
# The calibrated trained bounds under the suite's course secret (slow: each run trains).

FAILS_TRAINED_BOUND = {
    "l1_summed_over_the_batch": "sparse_reconstruction",
    "dense_forward_returns_the_code": "dense_reconstruction",
}


def _trained_value(mod, check):
    """The check's metric for `mod`, measured as a grade does (secret draw of the suite's
    secret, encode and decode in turn, the metric in the grader), tasks run in this process."""
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.autoencoders_torch.calibrate import in_process_measure
    from graders.assignments.autoencoders_torch.thresholds import declared
    from graders.engine.secret import CourseSecret, load_course_secret

    data = load_dataset("digits")
    declaration = declared()[check]
    bound = declaration.for_dataset("digits")
    secret = CourseSecret(load_course_secret(), "autoencoders_torch")
    try:
        r = in_process_measure(declaration.task, bound.settings, data, secret, mod)
    except Exception:
        return bound, float("nan")
    return bound, r[declaration.metric_key]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.name in FAILS_TRAINED_BOUND],
                         ids=lambda m: m.name)
def test_trained_bound_rejects_broken_training(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    bound, value = _trained_value(mod, FAILS_TRAINED_BOUND[mutant.name])
    assert not bound.passes(value), (mutant.name, value, bound.describe())


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in UNUSUAL if m.name.startswith(("dense", "add_noise", "l1"))],
                         ids=lambda m: m.name)
def test_trained_bounds_accept_unusual_submissions(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    prefix_to_check = {"dense": "dense_reconstruction", "add_noise": "denoising_ratio",
                       "l1": "sparse_reconstruction"}
    check = next(c for p, c in prefix_to_check.items() if mutant.name.startswith(p))
    bound, value = _trained_value(mod, check)
    assert bound.passes(value), (mutant.name, value, bound.describe())
