"""Every numpy_basics MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.numpy_basics import MUTANTS, UNUSUAL

SOURCE = reference_path("numpy_basics").read_text(encoding="utf-8")
ELEMENTWISE = ("relu", "sigmoid", "tanh", "hard_sigmoid")
CHANGED = 1e-9  # a MUTANT differs by more than this somewhere; UNUSUAL ones agree to 1e-10


def _inputs():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5)) * 2.0  # away from 0 and +-2.5 almost surely
    z[0, :3] = [3.1, -2.9, 0.3]  # both flat parts of the hard sigmoid and its slope
    big = np.array([[1e3, -1e3, 0.5, 2.0], [-1e3, 1e3, -3.0, 1.0]])
    dout = rng.normal(size=z.shape)
    y = rng.uniform(size=z.shape)
    p = rng.uniform(0.05, 0.95, size=z.shape)
    labels = rng.integers(0, z.shape[1], size=z.shape[0])
    p_sat = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])  # sigmoid of +-1e3 logits
    y_sat = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    return z, big, dout, y, p, labels, p_sat, y_sat


def probe(mod) -> dict[str, object]:
    """The outputs of every contract function on fixed moderate and extreme inputs.

    Each call gets fresh copies of its inputs; "<name>:inputs unchanged" records whether
    the call left them alone (the contract: no function modifies its inputs).
    """
    z, big, dout, y, p, labels, p_sat, y_sat = _inputs()
    out: dict[str, object] = {}

    def record(name, fn, *args):
        copies = [np.array(a, copy=True) for a in args]
        try:
            with np.errstate(all="ignore"):
                out[name] = fn(*copies)
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"
        out[name + ":inputs unchanged"] = all(np.array_equal(a, c) for a, c in zip(args, copies))

    for f in ELEMENTWISE:
        record(f, getattr(mod, f), z)
        record(f + "@1e3", getattr(mod, f), big)
        record(f + "_backward", getattr(mod, f + "_backward"), dout, z)
        record(f + "_backward@1e3", getattr(mod, f + "_backward"), np.ones_like(big), big)
    record("softmax", mod.softmax, z)
    record("softmax@1e3", mod.softmax, big)
    record("mse_loss", mod.mse_loss, p, y)
    record("bce_loss", mod.bce_loss, p, y)
    record("bce_loss@saturated", lambda a, b: mod.bce_loss(a, b)[0], p_sat, y_sat)  # finite loss
    record("softmax_cross_entropy", mod.softmax_cross_entropy, z, labels)
    record("softmax_cross_entropy@1e3", mod.softmax_cross_entropy, big, np.array([1, 3]))
    return out


def _flat(value) -> list:
    return list(value) if isinstance(value, tuple) else [value]


def same(a, b, tol: float) -> bool:
    if isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
        return a == b
    a_parts, b_parts = _flat(a), _flat(b)
    if len(a_parts) != len(b_parts):
        return False
    for x, y in zip(a_parts, b_parts):
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
            return False
        if not np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True):
            return False
    return True


REFERENCE = probe(load_module_from_source(SOURCE, "numpy_basics_reference"))


def test_reference_probe_is_finite():
    for name, value in REFERENCE.items():
        assert not isinstance(value, str), (name, value)
        if name.endswith(":inputs unchanged"):
            assert value is True, name
            continue
        for part in _flat(value):
            assert np.all(np.isfinite(part)), name


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS + UNUSUAL]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_changes_some_contract_output(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    changed = [k for k, v in probe(mod).items() if not same(v, REFERENCE[k], CHANGED)]
    assert changed, f"{mutant.name} behaves like the reference on every probe"


@pytest.mark.parametrize("mutant", UNUSUAL, ids=lambda m: m.name)
def test_unusual_matches_reference(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    changed = [k for k, v in probe(mod).items() if not same(v, REFERENCE[k], 1e-10)]
    assert not changed, f"{mutant.name} differs from the reference on {changed}"


def test_every_contract_function_has_a_mutant():
    functions = [f for e in ELEMENTWISE for f in (e, e + "_backward")]
    functions += ["softmax", "mse_loss", "bce_loss", "softmax_cross_entropy"]
    hit = set()
    for m in MUTANTS:
        mod = load_module_from_source(m.apply(SOURCE), m.name)
        for k, v in probe(mod).items():
            if not same(v, REFERENCE[k], CHANGED):
                hit.add(k.split("@")[0].split(":")[0])
    assert set(functions) <= hit, set(functions) - hit
