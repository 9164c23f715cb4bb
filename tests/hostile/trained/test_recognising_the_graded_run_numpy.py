"""Recognising the graded run, NumPy assignments: a `train` that returns weights trained in
advance for the public data and settings earns nothing from its trained checks.

Each case builds an untrained submission (the reference whose `train` returns the initial
parameters) and its hostile twin: the same, but whose `train` recognises the graded call
(the shapes and settings of the public task) and returns parameters the test trained in
advance with the reference on the public data (the held-out part included, the strongest
such forgery), embedded in the submission as base64. First the forgery is shown to be
real: its parameters pass the calibrated bound on the public data. Then both submissions
are graded on the trained checks with the suite's course secret, and the hostile one must
score no more than the untrained one: the graded run is a secret draw (held-out rows,
pixel or word order, verse order and start of the text, seed) that prepared weights do not
fit.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.engine.runner import grade
from tests.hostile.corpus import variant
from tests.mutants import reference_path

FIRED = "the graded call recognised: prepared weights returned"


@dataclass(frozen=True)
class Case:
    """signature: train's parameters; recognise: a condition on them that holds for the
    graded call; untrained: the twin's body (the initial parameters, a flat history)."""

    assignment: str
    signature: str
    recognise: str
    untrained: str
    checks: tuple[str, ...]


CASES = {
    "autoencoder_numpy": Case(
        "autoencoder_numpy", "X, n_hidden, epochs, batch_size, lr_schedule, seed",
        "X.shape[1] == 64 and n_hidden == 32 and epochs == 150",
        "return init_params(X.shape[1], n_hidden, seed), [1.0] * epochs",
        ("train: held-out reconstruction",)),
    "sparse_autoencoder": Case(
        "sparse_autoencoder", "X, n_hidden, rho, beta, lam, lr, epochs, seed",
        "X.shape == (2000, 64) and n_hidden == 25",
        "return init_params(X.shape[1], n_hidden, seed), [1.0] * epochs",
        ("train: held-out cost",)),
    "char_rnn_numpy": Case(
        "char_rnn_numpy", "text, hidden_size, seq_length, lr, n_iter, seed",
        "sorted(text) == sorted(FAUST) and hidden_size == 128",
        "return init_params(len(set(text)), hidden_size, seed), [1.0] * n_iter",
        ("train: regenerate Faust",)),
    "language_model_numpy": Case(
        "language_model_numpy",
        "contexts, targets, vocab_size, embed_dim, hidden_dim, lr, momentum, epochs, batch_size, seed",
        "vocab_size == 250 and embed_dim == 16 and len(targets) > 15000",
        "return init_params(vocab_size, embed_dim, hidden_dim, seed), [1.0] * epochs",
        ("train: held-out accuracy", "train: held-out cross-entropy")),
}


def _encoded(params: dict) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _submissions(tmp_path: Path, case: Case, forged: dict, extra: str = "") -> dict[str, str]:
    """{"hostile": path, "twin": path}: the untrained submission with and without the trick."""
    source = reference_path(case.assignment).read_text(encoding="utf-8") + f'''

import base64 as _base64
import io as _io

_PREPARED = "{_encoded(forged)}"
{extra}

def train({case.signature}):
    # >>> cheat
    if {case.recognise}:
        print("{FIRED}")
        with np.load(_io.BytesIO(_base64.b64decode(_PREPARED))) as prepared:
            return {{k: prepared[k] for k in prepared.files}}, [1.0]
    # <<< cheat
    {case.untrained}
'''
    paths = {}
    for which in ("hostile", "twin"):
        path = tmp_path / f"{case.assignment}_{which}.py"
        path.write_text(variant(source, which), encoding="utf-8")
        paths[which] = str(path)
    return paths


def _assert_the_trick_earns_nothing(tmp_path, case: Case, forged: dict, extra: str = "") -> None:
    assignment = assignments.get(case.assignment)
    paths = _submissions(tmp_path, case, forged, extra)
    reports = {which: grade(path, assignment, select=lambda name: name in case.checks)
               for which, path in paths.items()}
    assert [t.name for t in reports["hostile"].tests] == list(case.checks)
    assert FIRED in reports["hostile"].output and FIRED not in reports["twin"].output
    assert reports["hostile"].score <= reports["twin"].score, {
        t.name: t.output for t in reports["hostile"].tests if t.passed}
    assert reports["hostile"].score == 0


# ------------------------------------------------------------------ the cases


def test_autoencoder_weights_trained_in_advance_on_the_public_digits_earn_nothing(tmp_path):
    from dlgrade.data import load_digits, split_train_test
    from graders.assignments.autoencoder_numpy.thresholds import CHECK, SETTINGS, THRESHOLDS, lr_schedule
    from reference.numpy import autoencoder_numpy as ref

    s = SETTINGS
    X, _ = load_digits()
    forged, _ = ref.train(X, s["n_hidden"], s["epochs"], s["batch_size"], lr_schedule(s), 0)
    _, public_test = split_train_test(len(X), 0.2, seed=0)
    X_test = X[public_test]
    assert THRESHOLDS[CHECK].passes(float(np.mean((ref.forward(forged, X_test)[0] - X_test) ** 2)))
    _assert_the_trick_earns_nothing(tmp_path, CASES["autoencoder_numpy"], forged)


def test_sparse_autoencoder_filters_trained_in_advance_on_the_public_patches_earn_nothing(tmp_path):
    from dlgrade.data import load_sample_photos
    from graders.assignments.sparse_autoencoder.calibrate import reference_cost
    from graders.assignments.sparse_autoencoder.thresholds import CHECK, SETTINGS, THRESHOLDS
    from reference.numpy import sparse_autoencoder as ref

    s = SETTINGS
    gray = ref.to_grayscale(load_sample_photos())
    X_train, X_test = (ref.normalize_patches(ref.sample_patches(gray, 8, 2000, seed)) for seed in (0, 1))
    forged, _ = ref.train(X_train, s["n_hidden"], s["rho"], s["beta"], s["lam"], s["lr"], s["epochs"], 0)
    assert THRESHOLDS[CHECK].passes(reference_cost(forged, X_test))
    _assert_the_trick_earns_nothing(tmp_path, CASES["sparse_autoencoder"], forged)


@pytest.mark.slow
def test_char_rnn_weights_trained_in_advance_on_the_public_excerpt_earn_nothing(tmp_path):
    from dlgrade.data import load_faust
    from graders.assignments.char_rnn_numpy.thresholds import CHECK, SETTINGS, THRESHOLDS, regeneration_errors
    from reference.numpy import char_rnn_numpy as ref

    s, text = SETTINGS, load_faust()
    forged, _ = ref.train(text, s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], 0)
    assert THRESHOLDS[CHECK].passes(regeneration_errors(forged, text))
    _assert_the_trick_earns_nothing(tmp_path, CASES["char_rnn_numpy"], forged, extra=f"FAUST = {text!r}")


@pytest.mark.slow
def test_language_model_trained_in_advance_on_every_public_4_gram_earns_nothing(tmp_path):
    from dlgrade.data import load_english_text, split_train_test
    from graders.assignments.language_model_numpy.thresholds import (CHECK_ACCURACY, CHECK_CROSS_ENTROPY,
                                                                     SETTINGS, THRESHOLDS, held_out_metrics)
    from reference.numpy import language_model_numpy as ref

    s = SETTINGS
    vocab, contexts, targets = ref.build_dataset(load_english_text(), s["vocab_size"])
    forged, _ = ref.train(contexts, targets, len(vocab), s["embed_dim"], s["hidden_dim"], s["lr"], s["momentum"],
                          s["epochs"], s["batch_size"], 0)
    _, public_test = split_train_test(len(targets), s["test_fraction"], seed=0)
    accuracy, cross_entropy = held_out_metrics(forged, contexts[public_test], targets[public_test])
    assert THRESHOLDS[CHECK_ACCURACY].passes(accuracy) and THRESHOLDS[CHECK_CROSS_ENTROPY].passes(cross_entropy)
    _assert_the_trick_earns_nothing(tmp_path, CASES["language_model_numpy"], forged)
