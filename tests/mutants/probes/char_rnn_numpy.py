"""The probe of char_rnn_numpy's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.probing import same
from graders.assignments.char_rnn_numpy.slips import INEXACT, MUTANTS, SLOW_MUTANTS, SLOW_UNUSUAL, UNUSUAL
from tests.mutants import probing

SOURCE = reference_path("char_rnn_numpy").read_text(encoding="utf-8")
CONTRACT = ("init_params", "loss_and_grads", "clip_grads", "sample", "train")
TEXT = "aaaaaaaaaa b aaaaaaaaaa c aaaaaaaaaa dd "  # repeated characters make some grads exceed 5


def _params(V=6, H=5, seed=0, scale=0.7):
    rng = np.random.default_rng(seed)
    return {
        "Wxh": rng.standard_normal((V, H)) * scale,
        "Whh": rng.standard_normal((H, H)) * scale,
        "Why": rng.standard_normal((H, V)) * scale,
        "bh": rng.standard_normal(H) * scale,
        "by": rng.standard_normal(V) * scale,
    }


def _copy(d):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in d.items()}


def probe(mod) -> dict[str, object]:
    """What every contract function returns on fixed small inputs (plus reproducibility)."""
    params = _params()
    rng = np.random.default_rng(1)
    inputs = [int(i) for i in rng.integers(0, 6, 10)]
    targets = [int(i) for i in rng.integers(0, 6, 10)]
    h_prev = rng.standard_normal(5) * 0.8
    out: dict[str, object] = {}

    record = probing.recorder(out)

    record("init_params", lambda: mod.init_params(6, 4, seed=3))
    record("init_params:reproducible",
           lambda: same(mod.init_params(6, 4, 3), mod.init_params(6, 4, 3), 0))

    def lag():
        loss, grads, h_last = mod.loss_and_grads(_copy(params), list(inputs), list(targets),
                                                 h_prev.copy())
        return {"loss": loss, "grads": grads, "h_last": h_last}

    record("loss_and_grads", lag)

    def lag_inputs_unchanged():
        h = h_prev.copy()
        mod.loss_and_grads(_copy(params), list(inputs), list(targets), h)
        return bool(np.array_equal(h, h_prev))

    record("loss_and_grads:inputs unchanged", lag_inputs_unchanged)

    def clip(limit=5.0):
        g = {"a": np.array([-7.0, -1.0, 0.5, 9.0]), "b": np.array([[6.0, -5.5]])}
        returned = mod.clip_grads(g, limit)
        return {"returned None": returned is None, "grads after": g}

    record("clip_grads", clip)
    record("clip_grads:limit 2", lambda: clip(2.0))
    record("sample", lambda: mod.sample(_copy(params), h_prev.copy(), 2, 25, seed=4))

    def sample_inputs_unchanged():
        h = h_prev.copy()
        mod.sample(_copy(params), h, 2, 5, seed=4)
        return bool(np.array_equal(h, h_prev))

    record("sample:inputs unchanged", sample_inputs_unchanged)

    def train():
        trained, history = mod.train(TEXT, 6, 15, 0.1, 12, seed=1)
        return {"params": trained, "history": np.asarray(history)}

    record("train", train)
    record("train:reproducible", lambda: same(train(), train(), 0))
    return out


def _joint_counts(mod, n=3000):
    """Joint frequencies of the first two draws over n seeds (V = 6)."""
    params, h = _params(scale=1.2), np.zeros(5)
    counts = np.zeros((6, 6))
    for s in range(n):
        a, b = mod.sample(params, h, 1, 2, seed=s)
        counts[a, b] += 1
    return counts



BUGGY = MUTANTS + SLOW_MUTANTS  # here every one is fast: only the probe runs
CORRECT = UNUSUAL + SLOW_UNUSUAL
CHANGED = 1e-6


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) for v in reference.values()), reference
    assert reference["init_params:reproducible"] and reference["train:reproducible"]
    assert reference["clip_grads"]["returned None"]


def check_correct(got: dict, reference: dict, mutant, module) -> None:
    assert got["init_params:reproducible"] is True and got["train:reproducible"] is True
    if "sample" in INEXACT.get(mutant.name, ()):  # same distribution: a two-sample chi-square test
        ref = load_module_from_source(SOURCE, "char_rnn_numpy_reference_3")
        assert not distributions_differ(_joint_counts(module), _joint_counts(ref))


def distributions_differ(a, b) -> bool:
    """A two-sample chi-square test on joint counts of (draw 1, draw 2)."""
    keep = (a + b) > 0
    chi2 = float(((a - b)[keep] ** 2 / (a + b)[keep]).sum())
    dof = int(keep.sum()) - 1
    return chi2 > dof + 4 * np.sqrt(2 * dof)
