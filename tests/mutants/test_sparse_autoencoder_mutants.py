"""Every sparse_autoencoder MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import numpy as np
import pytest

from graders.assignments.sparse_autoencoder.checks_adam import reconstruction_fixed_point
from reference.numpy import sparse_autoencoder as reference_sparse
from tests.mutants import load_module_from_source, reference_path
from tests.mutants.sparse_autoencoder import INEXACT, MUTANTS, SLOW_UNUSUAL, UNUSUAL

SOURCE = reference_path("sparse_autoencoder").read_text(encoding="utf-8")
CONTRACT = ("to_grayscale", "sample_patches", "normalize_patches", "init_params", "cost", "train")
RHO, BETA, LAM = 0.05, 3.0, 1e-3


def _data():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(2, 3, 4, 3), dtype=np.uint8)
    numbered = np.arange(2 * 7 * 9, dtype=np.float64).reshape(2, 7, 9)  # distinct pixels
    raw = rng.normal(size=(30, 9)) * rng.uniform(0.5, 3, size=(30, 1)) + rng.normal(size=(30, 1)) * 5
    params = {"W": rng.normal(scale=0.7, size=(6, 4)), "b_h": rng.normal(scale=0.5, size=4),
              "b_v": rng.normal(scale=0.5, size=6)}
    X = rng.uniform(0.1, 0.9, size=(7, 6))
    X_train = rng.uniform(0.1, 0.9, size=(40, 9))
    return rgb, numbered, raw, params, X, X_train


def probe(mod) -> dict[str, object]:
    """What every contract function returns on fixed small inputs (plus reproducibility)."""
    rgb, numbered, raw, params, X, X_train = _data()
    out: dict[str, object] = {}

    def record(name, fn):
        try:
            with np.errstate(all="ignore"):
                out[name] = fn()
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"

    record("to_grayscale", lambda: mod.to_grayscale(rgb))
    record("sample_patches", lambda: mod.sample_patches(numbered, 3, 300, seed=4))
    record("normalize_patches", lambda: mod.normalize_patches(raw.copy()))
    # the input after the call: a function that modifies its input in place changes it
    record("normalize_patches:input", lambda: (lambda P: (mod.normalize_patches(P), P)[1])(raw.copy()))
    record("to_grayscale:input", lambda: _inputs_after(mod.to_grayscale, rgb.astype(np.float64)))
    record("sample_patches:input", lambda: _inputs_after(mod.sample_patches, numbered.copy(), 3, 5, 4))
    record("init_params", lambda: mod.init_params(9, 4, seed=3))
    record("init_params:reproducible", lambda: _same(mod.init_params(9, 4, 3), mod.init_params(9, 4, 3), 0))
    for name, (beta, lam) in {"": (BETA, LAM), ":reconstruction": (0.0, 0.0),
                              ":sparsity": (BETA, 0.0), ":weight_decay": (0.0, LAM)}.items():
        record("cost" + name, lambda b=beta, l=lam: mod.cost({k: v.copy() for k, v in params.items()}, X, RHO, b, l))

    def train():
        trained, history = mod.train(X_train, 4, RHO, BETA, LAM, 0.05, 25, 1)
        return {"params": trained, "history": np.asarray(history)}

    record("cost:input", lambda: _inputs_after(mod.cost, {k: v.copy() for k, v in params.items()}, X.copy(),
                                               RHO, BETA, LAM))
    record("train", train)
    record("train:small gradients", lambda: mod.train(_near_reconstruction(), 4, RHO, 0.0, 0.0, 0.05, 1, 1)[0])
    record("train:input", lambda: _inputs_after(mod.train, X_train.copy(), 4, RHO, BETA, LAM, 0.05, 2, 1))
    record("train:reproducible", lambda: _same(train(), train(), 0))
    return out


def _near_reconstruction():
    """Rows near the reference's reconstruction of themselves at init_params(9, 4, 1): tiny gradients."""
    X = reconstruction_fixed_point(reference_sparse.init_params(9, 4, 1), np.full((12, 9), 0.5))
    return X + np.random.default_rng(7).normal(0.0, 3e-3, X.shape)


def _inputs_after(function, *args):
    """The arguments after the call: a function that modifies its input in place changes them."""
    function(*args)
    return args


def _same(a, b, tol: float) -> bool:
    """Deep comparison of probe values: dicts, lists, arrays, numbers, strings."""
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


REFERENCE = probe(load_module_from_source(SOURCE, "sparse_autoencoder_reference"))


def test_reference_probe_is_clean():
    assert not any(isinstance(v, str) for v in REFERENCE.values()), REFERENCE
    assert REFERENCE["init_params:reproducible"] and REFERENCE["train:reproducible"]
    assert REFERENCE["train"]["history"][-1] < 0.2 * REFERENCE["train"]["history"][0]


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS + UNUSUAL + SLOW_UNUSUAL]
    assert len(names) == len(set(names))
    assert set(INEXACT) <= {m.name for m in UNUSUAL + SLOW_UNUSUAL}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_changes_some_contract_output(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    changed = [k for k, v in probe(mod).items() if not _same(v, REFERENCE[k], 1e-6)]
    assert changed, f"{mutant.name} behaves like the reference on every probe"


@pytest.mark.parametrize("mutant", UNUSUAL + SLOW_UNUSUAL, ids=lambda m: m.name)
def test_unusual_matches_reference(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = probe(mod)
    skip = INEXACT.get(mutant.name, ())
    changed = [k for k, v in got.items() if k not in skip and not _same(v, REFERENCE[k], 1e-10)]
    assert not changed, f"{mutant.name} differs from the reference on {changed}"
    assert got["init_params:reproducible"] is True and got["train:reproducible"] is True
    if "train" in skip:  # trains like the reference on the tiny probe set
        assert _same(got["train"]["history"], REFERENCE["train"]["history"], 1e-4)


def test_every_contract_function_has_a_mutant():
    hit = set()
    for m in MUTANTS:
        mod = load_module_from_source(m.apply(SOURCE), m.name)
        for k, v in probe(mod).items():
            if not _same(v, REFERENCE[k], 1e-6):
                hit.add(k.split(":")[0])
    assert set(CONTRACT) <= hit, set(CONTRACT) - hit
