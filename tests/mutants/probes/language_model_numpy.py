"""The probe of language_model_numpy's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations

import numpy as np

from tests.mutants.probing import same
from graders.assignments.language_model_numpy.slips import MUTANTS, SLOW_MUTANTS, UNUSUAL
from tests.mutants import probing

CONTRACT = ("init_params", "forward", "loss_and_grads", "build_dataset", "train", "predict_next")
TEXTS = (
    "Zeta alpha zeta, ALPHA beta beta gamma zeta alpha beta gamma delta",
    "the cat saw the dog; the cat ran. A dog saw the cat!",
    "mp3s at 5 o'clock: 'rock' snake_case rock'n'roll mp3s 'rock' o'clock mp3s snake_case",
)
VOCAB = ["the", "cat", "sat", "on", "mat", "dog", "saw", "ran", "a"]


def _problem(V=9, D=3, P=5, N=7, seed=0):
    rng = np.random.default_rng(seed)
    params = {
        "E": rng.standard_normal((V, D)),
        "W1": rng.standard_normal((3 * D, P)) * 0.7,
        "b1": rng.standard_normal(P) * 0.3,
        "W2": rng.standard_normal((P, V)),
        "b2": rng.standard_normal(V) * 0.3,
    }
    context = rng.integers(0, V, (N, 3))
    context[0] = [2, 5, 2]  # repeated words, within a context and across the batch
    context[1] = [4, 4, 4]
    context[2, 0] = 5
    target = rng.integers(0, V, N)
    return params, context, target


def _copy(d):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in d.items()}


def probe(mod) -> dict[str, object]:
    """What every contract function returns on fixed small inputs (plus reproducibility)."""
    params, context, target = _problem()
    out: dict[str, object] = {}

    record = probing.recorder(out)

    record("init_params", lambda: mod.init_params(9, 3, 5, seed=3))
    record("init_params:reproducible",
           lambda: same(mod.init_params(9, 3, 5, 3), mod.init_params(9, 3, 5, 3), 0))
    record("forward", lambda: mod.forward(_copy(params), context.copy())[0])
    record("forward:large logits",
           lambda: mod.forward({k: v * 3000.0 for k, v in params.items()}, context.copy())[0])

    def lag():
        loss, grads = mod.loss_and_grads(_copy(params), context.copy(), target.copy())
        return {"loss": loss, "grads": grads}

    record("loss_and_grads", lag)

    def build():
        res = {}
        for i, text in enumerate(TEXTS):
            for size in (2, 4):
                vocab, c, t = mod.build_dataset(text, size)
                res[f"{i}/{size}"] = {"vocab": "|".join(vocab), "contexts": c, "targets": t}
        return res

    record("build_dataset", build)

    def train():
        trained, history = mod.train(context.copy(), target.copy(), 9, 3, 5, 0.3, 0.8, 3, 3,
                                     seed=2)
        return {"params": trained, "history": np.asarray(history)}

    record("train", train)
    record("train:reproducible", lambda: same(train(), train(), 0))
    record("predict_next", lambda: "|".join(
        mod.predict_next(_copy(params), VOCAB, [VOCAB[i] for i in c]) for c in context))
    # the arguments after the call: a function that modifies its input in place changes them
    record("forward:input", lambda: _inputs_after(mod.forward, _copy(params), context.copy()))
    record("loss_and_grads:input",
           lambda: _inputs_after(mod.loss_and_grads, _copy(params), context.copy(), target.copy()))
    record("predict_next:input", lambda: _inputs_after(
        mod.predict_next, _copy(params), list(VOCAB), [VOCAB[i].upper() for i in context[0]]))
    record("train:input", lambda: _inputs_after(mod.train, context.copy(), target.copy(), 9, 3, 5, 0.3, 0.8,
                                                2, 3, 2))
    return out


def _inputs_after(function, *args):
    """The arguments after the call, by position (a list of words joined into one string)."""
    function(*args)
    return {str(i): "|".join(a) if isinstance(a, list) else a for i, a in enumerate(args)}


BUGGY, CORRECT = MUTANTS + SLOW_MUTANTS, UNUSUAL
CHANGED = 1e-6


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) and v.startswith("raised") for v in reference.values())
    assert reference["init_params:reproducible"] and reference["train:reproducible"]
    assert np.isfinite(reference["forward:large logits"]).all()
    # the predictions are not simply the last context word
    last = [VOCAB[c[2]] for c in _problem()[1]]
    assert reference["predict_next"].split("|") != last
