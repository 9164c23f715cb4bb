"""The probe of numpy_basics's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from graders.assignments.numpy_basics.slips import MUTANTS, UNUSUAL

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


BUGGY, CORRECT = MUTANTS, UNUSUAL
CONTRACT = tuple(f for e in ELEMENTWISE for f in (e, e + "_backward")) + (
    "softmax", "mse_loss", "bce_loss", "softmax_cross_entropy")


def contract_name(key: str) -> str:
    return key.split("@")[0].split(":")[0]


def check_reference(reference: dict) -> None:
    """Finite outputs everywhere, inputs left alone."""
    for name, value in reference.items():
        assert not isinstance(value, str), (name, value)
        if name.endswith(":inputs unchanged"):
            assert value is True, name
            continue
        for part in _flat(value):
            assert np.all(np.isfinite(part)), name
