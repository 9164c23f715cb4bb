"""The probe of lstm_gru_numpy's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from tests.mutants import load_module_from_source, reference_path
from graders.assignments.lstm_gru_numpy.slips import MUTANTS, UNUSUAL
from tests.mutants import probing

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

    record = probing.recorder(out)

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


BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-6


def check_reference(reference: dict) -> None:
    """No crash; the hard-sigmoid probe reaches both regimes and no kink."""
    assert not any(isinstance(v, str) for v in reference.values()), reference
    lstm, _, X, h0, _, _, _ = _data()
    module = load_module_from_source(SOURCE, "lstm_gru_numpy_reference_gates")
    _, cache = module.lstm_forward(X, h0, lstm, "hard_sigmoid")
    a = np.concatenate([step[3][k].ravel() for step in cache for k in "ifo"])
    assert np.min(np.abs(np.abs(a) - 2.5)) > 1e-3  # no kink
    assert np.any(np.abs(a) > 2.5) and np.any(np.abs(a) < 2.5)  # both regimes
