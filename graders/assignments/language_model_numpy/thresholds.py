"""Calibrated bounds of the trained-model checks of `language_model_numpy`.

Written by `python -m graders.assignments.language_model_numpy.calibrate --write`; do
not edit the table by hand.

The check builds the data with the REFERENCE `build_dataset(load_english_text(),
SETTINGS["vocab_size"])` (all of Python's pydoc topics, ~64,000 word tokens), splits the
4-grams with `split_train_test(M, SETTINGS["test_fraction"], seed=SETTINGS["split_seed"])`,
runs the submission's `train(train_contexts, train_targets, V, D, P, lr, momentum,
epochs, batch_size, seed=grade_seed)` with `SETTINGS`, and measures the held-out
next-word accuracy and mean cross-entropy (nats) of the returned parameters with
`held_out_metrics` below (its own forward pass, so a wrong `forward` in the submission
cannot flatter its own result).

Baselines on the same split: always predicting the most frequent training target
(BASELINE_WORD) has held-out accuracy BASELINE_ACCURACY, and the training unigram
distribution has held-out cross-entropy BASELINE_CROSS_ENTROPY; the bounds are far
better than both.
"""

from __future__ import annotations

import numpy as np

from graders.engine.thresholds import Threshold

CHECK_ACCURACY = "train: held-out accuracy"
CHECK_CROSS_ENTROPY = "train: held-out cross-entropy"

SETTINGS = {
    "vocab_size": 250,
    "embed_dim": 16,
    "hidden_dim": 128,
    "lr": 0.1,
    "momentum": 0.9,
    "epochs": 40,
    "batch_size": 100,
    "test_fraction": 0.1,
    "split_seed": 0,
}

# (embed_dim, hidden_dim) pairs like the course text's; reported by calibrate.py, not graded.
CONFIGS = ((8, 64), (16, 128), (32, 256))

# Frequent three-word contexts of the text, for the feedback's predicted completions.
PROMPTS = (
    ("can", "be", "used"),
    ("the", "built", "in"),
    ("called", "to", "implement"),
    ("of", "the", "same"),
    ("with", "the", "same"),
    ("the", "length", "of"),
    ("an", "instance", "of"),
    ("return", "true", "if"),
)

BASELINE_WORD = "the"
BASELINE_ACCURACY = 0.0
BASELINE_CROSS_ENTROPY = 0.0


def dataset(settings: dict = SETTINGS) -> dict:
    """The grader's data: vocab and the train / held-out 4-grams (reference build_dataset)."""
    from dlgrade.data import load_english_text, split_train_test
    from reference.numpy.language_model_numpy import build_dataset

    vocab, contexts, targets = build_dataset(load_english_text(), settings["vocab_size"])
    train_idx, test_idx = split_train_test(len(targets), settings["test_fraction"],
                                           seed=settings["split_seed"])
    return {
        "vocab": vocab,
        "train_contexts": contexts[train_idx],
        "train_targets": targets[train_idx],
        "test_contexts": contexts[test_idx],
        "test_targets": targets[test_idx],
    }


def held_out_metrics(params: dict, contexts: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """(accuracy, mean cross-entropy in nats) of trained params on (contexts, targets).

    The forward pass of the contract, written here so the grader does not use the
    submission's own `forward`.
    """
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    contexts = np.asarray(contexts)
    e = p["E"][contexts].reshape(len(contexts), -1)
    h = 0.5 * (1.0 + np.tanh(0.5 * (e @ p["W1"] + p["b1"])))
    s = h @ p["W2"] + p["b2"]
    s = s - s.max(axis=1, keepdims=True)
    log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    rows = np.arange(len(targets))
    accuracy = float(np.mean(log_probs.argmax(axis=1) == targets))
    cross_entropy = float(-np.mean(log_probs[rows, targets]))
    return accuracy, cross_entropy


def baselines(data: dict) -> tuple[str, float, float]:
    """(most frequent training target, its held-out accuracy, unigram held-out cross-entropy)."""
    V = len(data["vocab"])
    counts = np.bincount(data["train_targets"], minlength=V).astype(np.float64)
    unigram = (counts + 1e-12) / counts.sum()
    best = int(counts.argmax())
    test = data["test_targets"]
    return data["vocab"][best], float(np.mean(test == best)), float(-np.mean(np.log(unigram[test])))


THRESHOLDS: dict[str, Threshold] = {}
