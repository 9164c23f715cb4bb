"""Every lstm_gru_numpy MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.lstm_gru_numpy import MUTANTS, UNUSUAL

SOURCE = reference_path("lstm_gru_numpy").read_text(encoding="utf-8")
CONTRACT = ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
            "gru_step_forward", "gru_step_backward")
GATES = ("sigmoid", "hard_sigmoid")
N, T, D, H = 3, 4, 3, 4


def _data():
    """Fixed inputs; weights large enough that some hard-sigmoid gates saturate, and no
    pre-activation within 1e-3 of the kinks at +-2.5 (asserted in test_reference_probe_is_clean)."""
    rng = np.random.default_rng(11)
    lstm = {}
    for k in "ifgo":
        lstm["Wx" + k] = rng.normal(scale=1.3, size=(D, H))
        lstm["Wh" + k] = rng.normal(scale=1.3, size=(H, H))
        lstm["b" + k] = rng.normal(scale=1.0, size=H)
    gru = {p + k: rng.normal(scale=0.8, size=s) for p, s in
           (("Wx", (D, H)), ("Wh", (H, H)), ("bx", (H,)), ("bh", (H,))) for k in "rzn"}
    X = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(scale=0.5, size=(N, H)), rng.normal(scale=0.5, size=(N, H))
    dHs, dc = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    return lstm, gru, X, h0, c0, dHs, dc


def _copy(d):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in d.items()}


def probe(mod) -> dict[str, object]:
    """What every contract function returns on fixed small inputs, for both gate functions."""
    lstm, gru, X, h0, c0, dHs, dc = _data()
    out: dict[str, object] = {}

    def record(name, fn):
        try:
            with np.errstate(all="ignore"):
                out[name] = fn()
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"

    for gate in GATES:
        record(f"lstm_step_forward:{gate}", lambda g=gate: mod.lstm_step_forward(X[:, 0], h0, c0, _copy(lstm), g)[:2])
        record(f"lstm_step_backward:{gate}", lambda g=gate: mod.lstm_step_backward(
            dHs[:, 0], dc, mod.lstm_step_forward(X[:, 0], h0, c0, _copy(lstm), g)[2]))
        record(f"lstm_forward:{gate}", lambda g=gate: mod.lstm_forward(X, h0, _copy(lstm), g)[0])
        record(f"lstm_backward:{gate}", lambda g=gate: mod.lstm_backward(dHs, mod.lstm_forward(X, h0, _copy(lstm), g)[1]))
    record("gru_step_forward", lambda: mod.gru_step_forward(X[:, 0], h0, _copy(gru))[0])
    record("gru_step_backward", lambda: mod.gru_step_backward(dHs[:, 0], mod.gru_step_forward(X[:, 0], h0, _copy(gru))[1]))
    # every call above shared these arrays: the contract's functions leave them as they were
    out["inputs unchanged"] = [bool(np.array_equal(a, b)) for a, b in zip((X, h0, c0, dHs, dc), _data()[2:])]
    return out


def _same(a, b, tol: float) -> bool:
    """Deep comparison of probe values: dicts, tuples, arrays, numbers, strings."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(_same(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, tol) for x, y in zip(a, b))
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return False
    return bool(np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True))


REFERENCE_MODULE = load_module_from_source(SOURCE, "lstm_gru_numpy_reference")
REFERENCE = probe(REFERENCE_MODULE)


def test_reference_probe_is_clean():
    assert not any(isinstance(v, str) for v in REFERENCE.values()), REFERENCE
    lstm, _, X, h0, _, _, _ = _data()
    _, cache = REFERENCE_MODULE.lstm_forward(X, h0, lstm, "hard_sigmoid")
    a = np.concatenate([step[3][k].ravel() for step in cache for k in "ifo"])
    assert np.min(np.abs(np.abs(a) - 2.5)) > 1e-3  # no kink
    assert np.any(np.abs(a) > 2.5) and np.any(np.abs(a) < 2.5)  # both regimes


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS + UNUSUAL]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_changes_some_contract_output(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    changed = [k for k, v in probe(mod).items() if not _same(v, REFERENCE[k], 1e-6)]
    assert changed, f"{mutant.name} behaves like the reference on every probe"


@pytest.mark.parametrize("mutant", UNUSUAL, ids=lambda m: m.name)
def test_unusual_matches_reference(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = probe(mod)
    changed = [k for k, v in got.items() if not _same(v, REFERENCE[k], 1e-10)]
    assert not changed, f"{mutant.name} differs from the reference on {changed}"


def test_every_contract_function_has_a_mutant():
    hit = set()
    for m in MUTANTS:
        mod = load_module_from_source(m.apply(SOURCE), m.name)
        for k, v in probe(mod).items():
            if not _same(v, REFERENCE[k], 1e-6):
                hit.add(k.split(":")[0])
    assert set(CONTRACT) <= hit, set(CONTRACT) - hit
