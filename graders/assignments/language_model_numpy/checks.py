"""The checks of `language_model_numpy`, one `check_<function>_<property>` per check.

- `init_params`: shapes (two sizes), zero biases, reproducible from the seed
  (checks_model.py);
- `forward`: probabilities against the reference on contexts with repeated words, and at
  scores up to 1e3 (checks_model.py);
- `loss_and_grads`: the loss's value (a MEAN over N), and a gradient check of each of E,
  W1, b1, W2, b2 against central differences of the reference loss, with repeated words
  in the contexts (checks_gradients.py);
- `build_dataset`: the vocabulary rule, the 4-gram rule (dropping, alignment) on
  hand-made texts, and both against the reference on Hypothesis-drawn texts
  (checks_dataset.py);
- `train`: one and two full-batch updates against classical momentum, the history at
  lr = 0, every example used (a last, smaller batch), a fresh order every epoch
  (checks_training.py), and the held-out accuracy and cross-entropy of the calibrated run
  (checks_trained.py, thresholds.py);
- `predict_next`: the most probable word against the reference (checks_model.py);
- forward, loss_and_grads, predict_next and train leave the caller's arrays and words
  unchanged (checks_inputs.py).
"""

from __future__ import annotations

from functools import partial

from graders.assignments.language_model_numpy import (
    checks_dataset,
    checks_gradients,
    checks_model,
    checks_trained,
    checks_training,
)
from graders.assignments.language_model_numpy.checks_inputs import yield_inputs_checks
from graders.assignments.language_model_numpy.problems import KEYS
from graders.assignments.language_model_numpy.thresholds import CHECK_ACCURACY, CHECK_CROSS_ENTROPY, declared
from graders.engine.checks import Check, Kind

CONTRACT = ("init_params", "forward", "loss_and_grads", "build_dataset", "train", "predict_next")
GRADIENT_POINTS = {"E": 3, "W1": 2, "b1": 1, "W2": 2, "b2": 1}


def yield_checks(options: dict):
    """Every check of language_model_numpy, in the order of the contract."""
    yield Check("init_params: shapes, dtype and zero biases", checks_model.check_init_params_shapes)
    yield Check("init_params: reproducible from the seed, different for another seed",
                checks_model.check_init_params_seed, kind=Kind.PROPERTY)
    yield Check("forward: values on random inputs", checks_model.check_forward_values, points=2)
    yield Check("forward: finite and exact at scores up to 1e3", checks_model.check_forward_large_scores)
    yield Check("loss_and_grads: loss value (mean over N)", checks_gradients.check_loss_value)
    for key in KEYS:
        suffix = " (repeated words in a context)" if key == "E" else ""
        yield Check(f"loss_and_grads: gradient check of {key}{suffix}",
                    partial(checks_gradients.check_gradient, key=key), points=GRADIENT_POINTS[key],
                    kind=Kind.GRADIENT, needs=("forward", "loss_and_grads"))
    yield Check("build_dataset: vocabulary (most frequent first, ties by first appearance)",
                checks_dataset.check_build_dataset_vocabulary)
    yield Check("build_dataset: words are the contract's regex matches (inner apostrophes; digits, punctuation "
                "separate)", checks_dataset.check_build_dataset_tokens)
    yield Check("build_dataset: 4-grams kept, dropped and aligned", checks_dataset.check_build_dataset_grams,
                points=2)
    yield Check("build_dataset: matches the rules on Hypothesis-drawn texts",
                checks_dataset.check_build_dataset_property, kind=Kind.PROPERTY)
    yield Check("train: one full-batch update is p - lr * g", checks_training.check_train_one_update,
                needs=("init_params", "train"))
    yield Check("train: two full-batch updates carry the momentum", checks_training.check_train_two_updates,
                points=2, needs=("init_params", "train"))
    yield Check("train: history[e] is the mean loss of epoch e (learning rate 0)",
                checks_training.check_train_history_zero_rate, needs=("init_params", "train"))
    yield Check("train: every example is used in every epoch (a last, smaller batch)",
                checks_training.check_train_uses_every_example, kind=Kind.PROPERTY,
                needs=("init_params", "train"))
    yield Check("train: a fresh order of the examples every epoch", checks_training.check_train_reshuffles,
                kind=Kind.PROPERTY, needs=("init_params", "train"))
    timeout = checks_trained.TRAIN_TIMEOUT_S + (checks_trained.CONFIG_TIMEOUT_S if options.get("all_configs")
                                                else 0.0)
    yield Check(CHECK_ACCURACY, checks_trained.check_train_accuracy, points=3, kind=Kind.THRESHOLD, timeout_s=timeout,
                threshold=declared()[CHECK_ACCURACY])
    yield Check(CHECK_CROSS_ENTROPY, checks_trained.check_train_cross_entropy, points=2, kind=Kind.THRESHOLD,
                timeout_s=checks_trained.TRAIN_TIMEOUT_S,
                threshold=declared()[CHECK_CROSS_ENTROPY])
    yield Check("predict_next: the most probable next word", checks_model.check_predict_next_values)
    yield from yield_inputs_checks()
