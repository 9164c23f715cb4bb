"""The probe of sparse_autoencoder's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from graders.assignments.sparse_autoencoder.checks_adam import reconstruction_fixed_point
from reference.numpy import sparse_autoencoder as reference_sparse
from tests.mutants.probing import same
from graders.assignments.sparse_autoencoder.slips import INEXACT, MUTANTS, SLOW_UNUSUAL, UNUSUAL
from tests.mutants import probing

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

    record = probing.recorder(out)

    record("to_grayscale", lambda: mod.to_grayscale(rgb))
    record("sample_patches", lambda: mod.sample_patches(numbered, 3, 300, seed=4))
    record("normalize_patches", lambda: mod.normalize_patches(raw.copy()))
    # the input after the call: a function that modifies its input in place changes it
    record("normalize_patches:input", lambda: (lambda P: (mod.normalize_patches(P), P)[1])(raw.copy()))
    record("to_grayscale:input", lambda: _inputs_after(mod.to_grayscale, rgb.astype(np.float64)))
    record("sample_patches:input", lambda: _inputs_after(mod.sample_patches, numbered.copy(), 3, 5, 4))
    record("init_params", lambda: mod.init_params(9, 4, seed=3))
    record("init_params:reproducible", lambda: same(mod.init_params(9, 4, 3), mod.init_params(9, 4, 3), 0))
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
    record("train:reproducible", lambda: same(train(), train(), 0))
    return out


def _near_reconstruction():
    """Rows near the reference's reconstruction of themselves at init_params(9, 4, 1): tiny gradients."""
    X = reconstruction_fixed_point(reference_sparse.init_params(9, 4, 1), np.full((12, 9), 0.5))
    return X + np.random.default_rng(7).normal(0.0, 3e-3, X.shape)


def _inputs_after(function, *args):
    """The arguments after the call: a function that modifies its input in place changes them."""
    function(*args)
    return args


BUGGY, CORRECT = MUTANTS, UNUSUAL + SLOW_UNUSUAL
CHANGED = 1e-6


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) for v in reference.values()), reference
    assert reference["init_params:reproducible"] and reference["train:reproducible"]
    assert reference["train"]["history"][-1] < 0.2 * reference["train"]["history"][0]


def check_correct(got: dict, reference: dict, mutant, module) -> None:
    assert got["init_params:reproducible"] is True and got["train:reproducible"] is True
    if "train" in INEXACT.get(mutant.name, ()):  # trains like the reference on the tiny probe set
        assert same(got["train"]["history"], reference["train"]["history"], 1e-4)
