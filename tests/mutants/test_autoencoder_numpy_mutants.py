"""The autoencoder_numpy mutants against the calibrated trained bound (the probes of every
mutant: tests/mutants/test_mutant_probes.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mutants import load_module_from_source
from graders.assignments.autoencoder_numpy.slips import MUTANTS, UNUSUAL
from tests.mutants.probing import source

SOURCE = source("autoencoder_numpy")


FAILS_TRAINED_BOUND = (
    "adagrad_without_sqrt",
    "adagrad_not_accumulating_state",
    "backward_forgets_relu_mask",
    "backward_sign_flipped",
    "init_params_zero_weights",
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "mutant",
    [m for m in MUTANTS if m.name in FAILS_TRAINED_BOUND] + UNUSUAL,
    ids=lambda m: m.name,
)
def test_trained_bound_rejects_broken_training_and_accepts_unusual(mutant):
    from graders.assignments.autoencoder_numpy import calibrate
    from graders.assignments.autoencoder_numpy.thresholds import CHECK, declared

    bound = declared()[CHECK].for_dataset("digits")
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    with np.errstate(all="ignore"):
        value, _cpu = calibrate.held_out_mse(mod.train, 0)
    expected_pass = mutant in UNUSUAL
    assert bound.passes(value) == expected_pass, (mutant.name, value, bound.describe())
