"""Attack: recognise the graded run of a NumPy trained check (the public data's shapes and
the check's settings) and return parameters trained in advance on the public data (held-out
part included, the strongest such forgery), embedded in the submission as base64.

Each attack is built on an untrained submission (harness.BASES "<assignment>/untrained":
the reference whose `train` returns the initial parameters). The test first shows the
forgery is real: the prepared parameters pass the calibrated bound on the public data. The
graded run is a draw of the course secret (held-out rows, pixel or word order, the verses'
order and start, seed), which prepared parameters do not fit, so the attack must earn
nothing (harness.assert_earns_nothing, with the suite's course secret).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing, attack_source
from tests.mutants import load_module_from_source


def _encoded(params: dict) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def recognising_attack(assignment: str, prepared: dict, recognise: str, steps: str, extra: str = "") -> Attack:
    """`train` returns `prepared` when `recognise` (a condition on its arguments) holds."""
    prelude = f'''import numpy as np

import base64 as _base64
import io as _io

_PREPARED = "{_encoded(prepared)}"
{extra}

def _prepared():
    with np.load(_io.BytesIO(_base64.b64decode(_PREPARED))) as f:
        return {{k: f[k] for k in f.files}}
'''
    untrained = f"    return params, [1.0] * {steps}  # untrained\n"
    recognised = (f"    if {recognise}:\n        print({MARKER!r})\n        return _prepared(), [1.0] * {steps}\n"
                  + untrained)
    return Attack(f"{assignment}: parameters trained in advance for the public run", f"{assignment}/untrained",
                  (("import numpy as np\n", prelude), (untrained, recognised)))


def assert_returns_the_prepared(attack: Attack, prepared: dict, *public_call) -> None:
    """The attacked train, called as the public run was, does return the prepared parameters
    (so the attack's failure in the grade is the draw's doing, not a broken attack)."""
    params, _ = load_module_from_source(attack_source(attack), "attacked").train(*public_call)
    assert sorted(params) == sorted(prepared)
    for k in prepared:
        np.testing.assert_array_equal(params[k], prepared[k])


def test_autoencoder_weights_trained_in_advance_on_the_public_digits_earn_nothing(tmp_path):
    from dlgrade.data import load_digits, split_train_test
    from graders.assignments.autoencoder_numpy.thresholds import CHECK, SETTINGS, declared, lr_schedule
    from reference.numpy import autoencoder_numpy as ref

    s = SETTINGS
    X, _ = load_digits()
    prepared, _ = ref.train(X, s["n_hidden"], s["epochs"], s["batch_size"], lr_schedule(s), 0)
    X_test = X[split_train_test(len(X), 0.2, seed=0)[1]]
    mse = float(np.mean((ref.forward(prepared, X_test)[0] - X_test) ** 2))
    assert declared()[CHECK].for_dataset("digits").passes(mse)
    attack = recognising_attack("autoencoder_numpy", prepared, "X.shape[1] == 64 and n_hidden == 32 and epochs == 150",
                                "epochs")
    assert_returns_the_prepared(attack, prepared, X_test, s["n_hidden"], s["epochs"], s["batch_size"],
                                lr_schedule(s), 0)
    assert_earns_nothing(attack, tmp_path)


def test_sparse_autoencoder_filters_trained_in_advance_on_the_public_patches_earn_nothing(tmp_path):
    from dlgrade.data import load_sample_photos
    from graders.assignments.sparse_autoencoder.thresholds import heldout_cost
    from graders.assignments.sparse_autoencoder.thresholds import CHECK, SETTINGS, declared
    from reference.numpy import sparse_autoencoder as ref

    s = SETTINGS
    gray = ref.to_grayscale(load_sample_photos())
    X_train, X_test = (ref.normalize_patches(ref.sample_patches(gray, 8, 2000, seed)) for seed in (0, 1))
    prepared, _ = ref.train(X_train, s["n_hidden"], s["rho"], s["beta"], s["lam"], s["lr"], s["epochs"], 0)
    assert declared()[CHECK].for_dataset("sample_photos").passes(heldout_cost(prepared, X_test))
    attack = recognising_attack("sparse_autoencoder", prepared, "X.shape == (2000, 64) and n_hidden == 25", "epochs")
    assert_returns_the_prepared(attack, prepared, X_train, s["n_hidden"], s["rho"], s["beta"], s["lam"], s["lr"],
                                s["epochs"], 0)
    assert_earns_nothing(attack, tmp_path)


@pytest.mark.slow
def test_char_rnn_weights_trained_in_advance_on_the_public_excerpt_earn_nothing(tmp_path):
    from dlgrade.data import load_faust
    from graders.assignments.char_rnn_numpy.thresholds import CHECK, SETTINGS, declared, regeneration_errors
    from reference.numpy import char_rnn_numpy as ref

    s, text = SETTINGS, load_faust()
    prepared, _ = ref.train(text, s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], 0)
    assert declared()[CHECK].for_dataset("faust").passes(regeneration_errors(prepared, text))
    attack = recognising_attack("char_rnn_numpy", prepared, "sorted(text) == sorted(_FAUST) and hidden_size == 128",
                                "n_iter", extra=f"_FAUST = {text!r}")
    assert_returns_the_prepared(attack, prepared, text, s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], 0)
    assert_earns_nothing(attack, tmp_path)


@pytest.mark.slow
def test_language_model_trained_in_advance_on_every_public_4_gram_earns_nothing(tmp_path):
    from dlgrade.data import load_english_text, split_train_test
    from graders.assignments.language_model_numpy.thresholds import (CHECK_ACCURACY, CHECK_CROSS_ENTROPY,
                                                                     SETTINGS, declared, held_out_metrics)
    from reference.numpy import language_model_numpy as ref

    s = SETTINGS
    vocab, contexts, targets = ref.build_dataset(load_english_text(), s["vocab_size"])
    prepared, _ = ref.train(contexts, targets, len(vocab), s["embed_dim"], s["hidden_dim"], s["lr"], s["momentum"],
                            s["epochs"], s["batch_size"], 0)
    test = split_train_test(len(targets), s["test_fraction"], seed=0)[1]
    accuracy, cross_entropy = held_out_metrics(prepared, contexts[test], targets[test])
    bounds = {key: check.for_dataset("pydoc_data.topics 4-grams") for key, check in declared().items()}
    assert bounds[CHECK_ACCURACY].passes(accuracy) and bounds[CHECK_CROSS_ENTROPY].passes(cross_entropy)
    attack = recognising_attack("language_model_numpy", prepared,
                                "vocab_size == 250 and embed_dim == 16 and len(targets) > 15000", "epochs")
    assert_returns_the_prepared(attack, prepared, contexts, targets, len(vocab), s["embed_dim"], s["hidden_dim"],
                                s["lr"], s["momentum"], s["epochs"], s["batch_size"], 0)
    assert_earns_nothing(attack, tmp_path)
