"""The probe of autoencoder_numpy's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from tests.mutants.probing import same
from graders.assignments.autoencoder_numpy.slips import INEXACT, MUTANTS, UNUSUAL

CHANGED = 1e-9  # a MUTANT differs by more than this somewhere; UNUSUAL ones agree to 1e-10
CONTRACT = ("init_params", "forward", "loss", "backward", "adagrad_update", "train")


def _data():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(5, 6))
    X_train = rng.uniform(size=(20, 6))
    params = {
        "W1": rng.normal(size=(6, 4)),
        "b1": rng.normal(size=4) * 0.5,
        "W2": rng.normal(size=(4, 6)),
        "b2": rng.normal(size=6) * 0.5,
    }
    # Large gradients, so that Adagrad's accumulated squares G >> eps in the adagrad probe.
    grads = {k: rng.uniform(3.0, 5.0, size=v.shape) * rng.choice([-1.0, 1.0], size=v.shape)
             for k, v in params.items()}
    return X, X_train, params, grads


def _copy(d):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in d.items()}


def probe(mod) -> dict[str, object]:
    """What every contract function returns on fixed small inputs (plus reproducibility).

    Each probe gets fresh inputs; "<name>:inputs unchanged" records whether it left
    X, the parameters it was given (adagrad_update: only its gradients) alone.
    """
    out: dict[str, object] = {}

    def record(name, fn):
        data = _data()
        try:
            with np.errstate(all="ignore"):
                out[name] = fn(*data)
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"
        out[name + ":inputs unchanged"] = same(data, _data(), 0)

    def adagrad(X, X_train, params, grads):
        p, state = _copy(params), {}
        returned = [mod.adagrad_update(p, grads, state, 0.01) for _ in range(2)]
        return {"returned None": returned == [None, None], "params": p, "state": state}

    def train(X, X_train, params, grads):
        calls = []

        def schedule(epoch):
            calls.append(epoch)
            return 0.05 / (1 + epoch)

        trained, history = mod.train(X_train, 4, 3, 6, schedule, 1)
        return {"params": trained, "history": np.asarray(history), "epochs asked": sorted(set(calls))}

    record("init_params", lambda *_: mod.init_params(6, 4, seed=3))
    record("init_params:reproducible",
           lambda *_: same(mod.init_params(6, 4, 3), mod.init_params(6, 4, 3), 0))
    record("forward", lambda X, Xt, params, g: mod.forward(params, X)[0])
    record("loss", lambda X, Xt, params, g: mod.loss(mod.forward(_copy(params), X)[0], X))
    record("backward", lambda X, Xt, params, g: mod.backward(params, mod.forward(params, X)[1], X))
    record("adagrad_update", adagrad)

    def adagrad_small(X, X_train, params, grads):  # gradients of the size of eps: eps matters
        p, state = _copy(params), {}
        small = {k: g * 3e-7 for k, g in grads.items()}
        mod.adagrad_update(p, small, state, 0.01, 1e-6)
        return {"params": p, "state": state}

    record("adagrad_update:small gradients, eps 1e-6", adagrad_small)
    record("train", train)
    record("train:reproducible", lambda *data: same(train(*data), train(*_data()), 0))

    def train_input(X, X_train, params, grads):  # the caller's X after the call
        X_copy = X_train.copy()
        mod.train(X_copy, 4, 2, 6, lambda epoch: 0.05, 1)
        return {"X after": X_copy}

    record("train:input", train_input)
    return out


BUGGY, CORRECT = MUTANTS, UNUSUAL


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) for v in reference.values()), reference
    assert all(v for k, v in reference.items() if k.endswith(":inputs unchanged"))
    assert reference["init_params:reproducible"] and reference["train:reproducible"]
    assert reference["adagrad_update"]["returned None"]
    assert reference["train"]["epochs asked"] == [0, 1, 2]


def check_correct(got: dict, reference: dict, mutant, module) -> None:
    """Even where values legitimately differ, the contract's properties hold."""
    skip = INEXACT.get(mutant.name, ())
    assert got["init_params:reproducible"] is True and got["train:reproducible"] is True
    for name in skip:
        assert not isinstance(got[name], str), (name, got[name])
    if "init_params" in skip:
        shapes = {k: np.shape(v) for k, v in got["init_params"].items()}
        assert shapes == {k: np.shape(v) for k, v in reference["init_params"].items()}
    if "train" in skip:  # trains about as well as the reference on the tiny probe set
        assert got["train"]["epochs asked"] == [0, 1, 2]
        assert got["train"]["history"][-1] < 1.5 * reference["train"]["history"][-1]
