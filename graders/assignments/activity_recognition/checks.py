"""The checks of `activity_recognition`, one `check_<function>_<property>` per check.

- `init_params`: keys and shapes for every cell (with no, one and two hidden dense
  layers), zero biases, reproducible from the seed, the 1 / sqrt(fan-in) scale
  (checks_model.py);
- `forward`: shape (N, K) and rows that sum to one; the probabilities per cell against the
  reference (checks_model.py);
- `loss_and_grads`: the loss's value, and per cell a gradient check of the cell's weights
  through all T steps, of the dense layers, and of the early steps' contribution
  (checks_gradients.py);
- `momentum_update`: two calls, in place (checks_training.py);
- `train`: two full-batch updates, the history at lr = 0, every example in an epoch, a
  fresh order each epoch (checks_training.py), and each cell's test accuracy after the
  calibrated run (checks_trained.py, thresholds.py);
- `predict`: the argmax of the probabilities (checks_model.py);
- `confusion_matrix`: Hypothesis properties (checks_confusion.py);
- the functions leave their inputs unchanged (checks_model.py).
"""

from __future__ import annotations

from functools import partial

from graders.assignments.activity_recognition import (
    checks_confusion,
    checks_gradients,
    checks_model,
    checks_trained,
    checks_training,
)
from graders.assignments.activity_recognition.thresholds import CHECKS, declared
from graders.engine.checks import Check, Kind
from reference.numpy.activity_recognition import CELLS

CONTRACT = ("init_params", "forward", "loss_and_grads", "momentum_update", "train", "predict", "confusion_matrix")


def yield_checks(options: dict):
    """Every check of activity_recognition, in the order of the contract."""
    yield Check("init_params: keys, shapes and zero biases for every cell", checks_model.check_init_params_shapes)
    yield Check("init_params: reproducible from the seed, different for another seed",
                checks_model.check_init_params_seed, kind=Kind.PROPERTY)
    yield Check("init_params: weights of standard deviation 1 / sqrt(fan-in)", checks_model.check_init_params_scale,
                kind=Kind.PROPERTY)
    yield Check("forward: shape (N, K) and rows that sum to one", checks_model.check_forward_shapes_and_rows)
    trained = declared()
    for cell in CELLS:
        yield Check(f"forward: probabilities ({cell})", partial(checks_model.check_forward_values, cell=cell))
    yield Check("forward: finite and exact at class scores of 1e3 (the row maximum subtracted)",
                checks_model.check_forward_large_scores)
    yield Check("loss_and_grads: loss value (mean cross-entropy)", checks_gradients.check_loss_value)
    for cell in CELLS:
        yield Check(f"loss_and_grads: gradient check of the {cell} cell's weights through all T steps",
                    partial(checks_gradients.check_cell_gradients, cell=cell), points=2, kind=Kind.GRADIENT)
        yield Check(f"loss_and_grads: gradient check of the dense layers ({cell})",
                    partial(checks_gradients.check_dense_gradients, cell=cell), kind=Kind.GRADIENT)
        yield Check(f"loss_and_grads: the early steps' contribution ({cell}; inputs only at t = 0 and 1)",
                    partial(checks_gradients.check_early_steps, cell=cell), kind=Kind.GRADIENT)
    yield Check("momentum_update: two calls, in place, from an empty velocity",
                checks_training.check_momentum_update_two_steps, points=2)
    yield Check("train: two full-batch updates from init_params carry the momentum",
                checks_training.check_train_two_updates, points=2, needs=("init_params", "train"))
    yield Check("train: history[e] is the mean loss of epoch e (learning rate 0)",
                checks_training.check_train_history_zero_rate)
    yield Check("train: every example is used in every epoch (a last, smaller batch)",
                checks_training.check_train_uses_every_example, kind=Kind.PROPERTY, needs=("init_params", "train"))
    yield Check("train: a fresh order of the examples every epoch", checks_training.check_train_reshuffles,
                kind=Kind.PROPERTY, needs=("init_params", "train"))
    for cell in CELLS:
        yield Check(CHECKS[cell], partial(checks_trained.check_train_accuracy, cell=cell), points=2,
                    kind=Kind.THRESHOLD, timeout_s=checks_trained.TRAIN_TIMEOUT_S,
                    threshold=trained[CHECKS[cell]])
    yield Check("predict: the argmax of forward's probabilities", checks_model.check_predict_values)
    yield Check("confusion_matrix: counts sum to N, the diagonal counts the correct predictions, rows follow the "
                "true class", checks_confusion.check_confusion_matrix_properties, kind=Kind.PROPERTY,
                points=2)
    yield Check("inputs: forward, loss_and_grads, predict, confusion_matrix and train leave their arguments "
                "unchanged", checks_model.check_inputs_are_unchanged,
                needs=("forward", "loss_and_grads", "predict", "confusion_matrix", "train"))
