"""The vae_torch mutants against the calibrated trained bound (the probes of every mutant:
tests/mutants/test_mutant_probes.py)."""

from __future__ import annotations

import pytest

from tests.mutants import load_module_from_source
from graders.assignments.vae_torch.slips import MUTANTS, UNUSUAL
from tests.mutants.probing import source

SOURCE = source("vae_torch")


# ----------------------------------------------------------------------------------------
# The calibrated trained bound under the suite's course secret (slow: each run trains).

FAILS_TRAINED_BOUND = ("vae_loss_bce_mean_over_features", "kl_wrong_sign", "vae_loss_without_kl")
PASSES_TRAINED_BOUND = ("vae_loss_sums_then_divides_by_batch", "kl_torch_distributions",
                        "reparameterize_logvar_clamped_outside_the_tested_range")


def _trained_value(mod):
    """The check's metric for `mod`, measured as a grade does under the suite's course secret
    (tasks run in this process)."""
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.vae_torch.calibrate import in_process_measure
    from graders.assignments.vae_torch.thresholds import declared
    from graders.engine.secret import CourseSecret, load_course_secret

    data = load_dataset("digits")
    check = declared()["vae_test_loss"]
    bound = check.for_dataset("digits")
    secret = CourseSecret(load_course_secret(), "vae_torch")
    try:
        r = in_process_measure(check.task, bound.settings, data, secret, mod)
    except Exception:
        return bound, float("nan")
    return bound, r[check.metric_key]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS + UNUSUAL
                                    if m.name in FAILS_TRAINED_BOUND + PASSES_TRAINED_BOUND],
                         ids=lambda m: m.name)
def test_trained_bound_separates_broken_from_unusual_training(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    bound, value = _trained_value(mod)
    assert bound.passes(value) == (mutant.name in PASSES_TRAINED_BOUND), (mutant.name, value,
                                                                          bound.describe())
