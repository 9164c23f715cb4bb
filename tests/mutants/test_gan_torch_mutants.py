"""The gan_torch mutants' specific probes and the calibrated trained bound (the probes of every
mutant: tests/mutants/test_mutant_probes.py)."""

from __future__ import annotations

import pytest

from tests.mutants import load_module_from_source
from graders.assignments.gan_torch.slips import MUTANTS, UNUSUAL
from tests.mutants.probing import mutant_probe, source

SOURCE = source("gan_torch")


def test_train_step_without_detach_raises_on_the_second_backward():
    mutant = next(m for m in MUTANTS if m.name == "train_step_without_detach")
    assert mutant_probe("gan_torch", mutant)["train_step"] == "raised RuntimeError"


# ----------------------------------------------------------------------------------------
# The calibrated trained bound at the grade seed (slow: each run trains for ~10 s CPU).

FAILS_TRAINED_BOUND = ("generator_ignores_z", "generator_loss_target_zero",
                       "discriminator_loss_labels_swapped")
PASSES_TRAINED_BOUND = ("generator_loss_softplus", "train_step_no_grad_fake_for_d")


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS + UNUSUAL
                                    if m.name in FAILS_TRAINED_BOUND + PASSES_TRAINED_BOUND],
                         ids=lambda m: m.name)
def test_trained_bound_separates_mode_collapse_from_unusual_training(mutant):
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.gan_torch.calibrate import graded_metrics
    from graders.assignments.gan_torch.digit_classifier import load_classifier
    from graders.assignments.gan_torch.thresholds import SETTINGS, declared
    from graders.engine.secret import fixed_secret

    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    secret = fixed_secret("dlgrade-test-suite-secret", "gan_torch")
    settings = SETTINGS["digits"]
    m, _ = graded_metrics(mod, load_dataset("digits"), secret, load_classifier("digits"), settings,
                          settings["coverage"])
    passed = all(c.for_dataset("digits").passes(m[c.metric_key]) for c in declared().checks)
    assert passed == (mutant.name in PASSES_TRAINED_BOUND), (mutant.name, m)
