"""Every char_rnn_numpy MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.char_rnn_numpy import INEXACT, MUTANTS, SLOW_MUTANTS, SLOW_UNUSUAL, UNUSUAL

SOURCE = reference_path("char_rnn_numpy").read_text(encoding="utf-8")
ALL_MUTANTS = MUTANTS + SLOW_MUTANTS  # here every one is fast: only the probe runs
ALL_UNUSUAL = UNUSUAL + SLOW_UNUSUAL
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

    def record(name, fn):
        try:
            with np.errstate(all="ignore"):
                out[name] = fn()
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"

    record("init_params", lambda: mod.init_params(6, 4, seed=3))
    record("init_params:reproducible",
           lambda: _same(mod.init_params(6, 4, 3), mod.init_params(6, 4, 3), 0))

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
    record("train:reproducible", lambda: _same(train(), train(), 0))
    return out


def _same(a, b, tol: float) -> bool:
    """Deep comparison of probe values: dicts, lists, arrays, numbers, strings."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(_same(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) != len(b):
        return False
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return False
    return bool(np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True))


REFERENCE = probe(load_module_from_source(SOURCE, "char_rnn_numpy_reference"))


def test_reference_probe_is_clean():
    assert not any(isinstance(v, str) for v in REFERENCE.values()), REFERENCE
    assert REFERENCE["init_params:reproducible"] and REFERENCE["train:reproducible"]
    assert REFERENCE["clip_grads"]["returned None"]


def test_probe_training_really_clips():
    """Without clipping the probe's train would be the same: check clipping is active."""
    mod = load_module_from_source(SOURCE, "char_rnn_numpy_reference_2")
    chars = sorted(set(TEXT))
    data = [chars.index(c) for c in TEXT]
    p = mod.init_params(len(chars), 6, 1)
    _, g, _ = mod.loss_and_grads(p, data[:15], data[1:16], np.zeros(6))
    assert max(np.abs(v).max() for v in g.values()) > 5.0


def test_mutant_names_are_unique():
    names = [m.name for m in ALL_MUTANTS + ALL_UNUSUAL]
    assert len(names) == len(set(names))
    assert set(INEXACT) <= {m.name for m in ALL_UNUSUAL}


@pytest.mark.parametrize("mutant", ALL_MUTANTS, ids=lambda m: m.name)
def test_mutant_changes_some_contract_output(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    changed = [k for k, v in probe(mod).items() if not _same(v, REFERENCE[k], 1e-6)]
    assert changed, f"{mutant.name} behaves like the reference on every probe"


def _joint_counts(mod, n=3000):
    """Joint frequencies of the first two draws over n seeds (V = 6)."""
    params, h = _params(scale=1.2), np.zeros(5)
    counts = np.zeros((6, 6))
    for s in range(n):
        a, b = mod.sample(params, h, 1, 2, seed=s)
        counts[a, b] += 1
    return counts


@pytest.mark.parametrize("mutant", ALL_UNUSUAL, ids=lambda m: m.name)
def test_unusual_matches_reference(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = probe(mod)
    skip = INEXACT.get(mutant.name, ())
    changed = [k for k, v in got.items() if k not in skip and not _same(v, REFERENCE[k], 1e-10)]
    assert not changed, f"{mutant.name} differs from the reference on {changed}"
    assert got["init_params:reproducible"] is True and got["train:reproducible"] is True
    if "sample" in skip:  # same distribution: a two-sample chi-square test on (draw 1, draw 2)
        ref = load_module_from_source(SOURCE, "char_rnn_numpy_reference_3")
        a, b = _joint_counts(mod), _joint_counts(ref)
        keep = (a + b) > 0
        chi2 = float(((a - b)[keep] ** 2 / (a + b)[keep]).sum())
        dof = int(keep.sum()) - 1
        assert chi2 < dof + 4 * np.sqrt(2 * dof), (chi2, dof)


def test_every_contract_function_has_a_mutant():
    hit = set()
    for m in ALL_MUTANTS:
        mod = load_module_from_source(m.apply(SOURCE), m.name)
        for k, v in probe(mod).items():
            if not _same(v, REFERENCE[k], 1e-6):
                hit.add(k.split(":")[0])
    assert set(CONTRACT) <= hit, set(CONTRACT) - hit


def test_argmax_sampler_fails_the_distribution_test():
    """The statistical test used above does reject a real slip (argmax sampling)."""
    argmax = next(m for m in MUTANTS if m.name == "sample_takes_argmax")
    mod = load_module_from_source(argmax.apply(SOURCE), argmax.name)
    ref = load_module_from_source(SOURCE, "char_rnn_numpy_reference_4")
    a, b = _joint_counts(mod, 1000), _joint_counts(ref, 1000)
    keep = (a + b) > 0
    chi2 = float(((a - b)[keep] ** 2 / (a + b)[keep]).sum())
    dof = int(keep.sum()) - 1
    assert chi2 > dof + 4 * np.sqrt(2 * dof)
