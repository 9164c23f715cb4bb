"""The probe of activity_recognition's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.probing import same
from graders.assignments.activity_recognition.slips import MUTANTS, SLOW_MUTANTS, UNUSUAL
from tests.mutants import probing

SOURCE = reference_path("activity_recognition").read_text(encoding="utf-8")
CONTRACT = ("init_params", "forward", "loss_and_grads", "momentum_update", "train", "predict", "confusion_matrix")
CELLS = ("rnn", "lstm", "gru")
N, T, D, H, K = 7, 5, 2, 4, 3


def _problem(cell, seed=0, dense=(5,)):
    rng = np.random.default_rng(seed)
    ref = load_module_from_source(SOURCE, "activity_recognition_problem")
    params = ref.init_params(cell, D, H, list(dense), K, seed=seed)
    params = {k: (v + 0.4 * rng.standard_normal(v.shape)) if k.startswith("b") else 1.5 * v
              for k, v in params.items()}
    X = rng.standard_normal((N, T, D))
    y = rng.integers(0, K, N)
    return params, X, y


def _copy(d):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in d.items()}


def probe(mod) -> dict[str, object]:
    """What every contract function returns on fixed small inputs (and whether it changed them)."""
    out: dict[str, object] = {}

    record = probing.recorder(out)

    for cell in CELLS:
        params, X, y = _problem(cell)
        record(f"init_params:{cell}", lambda: mod.init_params(cell, 40, 30, [20], K, seed=3))
        record(f"init_params:{cell}:reproducible",
               lambda: same(mod.init_params(cell, D, H, [5], K, 3), mod.init_params(cell, D, H, [5], K, 3), 0))
        record(f"forward:{cell}", lambda: mod.forward(_copy(params), X.copy(), cell)[0])
        large = {k: v * (300.0 if k.startswith(("W", "b")) and k[1:].isdigit() else 1.0) for k, v in params.items()}
        record(f"forward:{cell}:large scores", lambda: mod.forward(large, X.copy(), cell)[0])

        def lag():
            loss, grads = mod.loss_and_grads(_copy(params), X.copy(), y.copy(), cell)
            return {"loss": loss, "grads": grads}

        record(f"loss_and_grads:{cell}", lag)
        record(f"predict:{cell}", lambda: mod.predict(_copy(params), X.copy(), cell))

        def unchanged():
            p, x = _copy(params), X.copy()
            mod.forward(p, x, cell)
            return bool(np.array_equal(x, X) and all(np.array_equal(p[k], params[k]) for k in p))

        record(f"forward:{cell}:inputs unchanged", unchanged)

    def momentum():
        rng = np.random.default_rng(4)
        params = {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
        arrays = dict(params)
        velocity = {}
        for _ in range(2):
            mod.momentum_update(params, {k: rng.standard_normal(v.shape) for k, v in params.items()}, velocity,
                                0.1, 0.9)
        return {"arrays": arrays, "velocity": velocity}

    record("momentum_update", momentum)

    def train(epochs=3, batch=3, n=N):
        params, X, y = _problem("rnn", 1)
        trained, history = mod.train(X[:n], y[:n], "rnn", H, [], K, 0.2, 0.8, epochs, batch, seed=2)
        return {"params": trained, "history": np.asarray(history)}

    record("train", train)
    record("train:single steps", lambda: train(3, 1, 4))
    record("train:reproducible", lambda: same(train(), train(), 0))
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.integers(0, 4, 30), rng.integers(0, 4, 30)
    record("confusion_matrix", lambda: mod.confusion_matrix(y_true.copy(), y_pred.copy(), 4))
    return out


BUGGY, CORRECT = MUTANTS + SLOW_MUTANTS, UNUSUAL
CHANGED = 1e-6


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) and v.startswith("raised") for v in reference.values())
    assert reference["train:reproducible"]
    assert all(reference[f"forward:{c}:inputs unchanged"] for c in CELLS)
