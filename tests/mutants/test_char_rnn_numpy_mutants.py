"""The char_rnn_numpy probes' own checks: training really clips, and the distribution test that
compares an unusual sampler with the reference rejects a real slip (the probes of every mutant:
tests/mutants/test_mutant_probes.py)."""

from __future__ import annotations

import numpy as np

from tests.mutants import load_module_from_source
from graders.assignments.char_rnn_numpy.slips import MUTANTS
from tests.mutants.probes.char_rnn_numpy import TEXT, _joint_counts, distributions_differ
from tests.mutants.probing import source

SOURCE = source("char_rnn_numpy")


def test_probe_training_really_clips():
    """Without clipping the probe's train would be the same: check clipping is active."""
    mod = load_module_from_source(SOURCE, "char_rnn_numpy_reference_2")
    chars = sorted(set(TEXT))
    data = [chars.index(c) for c in TEXT]
    p = mod.init_params(len(chars), 6, 1)
    _, g, _ = mod.loss_and_grads(p, data[:15], data[1:16], np.zeros(6))
    assert max(np.abs(v).max() for v in g.values()) > 5.0


def test_argmax_sampler_fails_the_distribution_test():
    """The statistical test used for unusual samplers does reject a real slip (argmax sampling)."""
    argmax = next(m for m in MUTANTS if m.name == "sample_takes_argmax")
    mod = load_module_from_source(argmax.apply(SOURCE), argmax.name)
    ref = load_module_from_source(SOURCE, "char_rnn_numpy_reference_4")
    assert distributions_differ(_joint_counts(mod, 1000), _joint_counts(ref, 1000))
