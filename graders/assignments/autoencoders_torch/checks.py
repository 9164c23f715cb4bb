"""The checks of `autoencoders_torch`, one `check_<object>_<property>` per check, and the generator.

Everything that touches the submission's modules runs in the sandbox through the tasks of
`tasks.py` (called through `task_calls.py`); the grader sends plain data (sizes, float
arrays, digit images, from `data.py`) and compares the plain numbers that come back with
the contract, computed by the grader in NumPy:

- `DenseAutoencoder`: checks_dense.py;
- `ConvAutoencoder`: checks_conv.py;
- `add_noise`: checks_noise.py;
- `l1_activity_penalty`: checks_l1.py;
- the trained checks (Kind.THRESHOLD) of all four: checks_trained.py.
"""

from __future__ import annotations

from functools import partial

from graders.assignments.autoencoders_torch.checks_conv import (
    CHANNEL_SHAPES,
    EVEN_SHAPES,
    ODD_SHAPES,
    check_conv_output_range,
    check_conv_shapes,
)
from graders.assignments.autoencoders_torch.checks_dense import (
    check_dense_encode_code_size,
    check_dense_output_range,
    check_dense_parameter_count,
)
from graders.assignments.autoencoders_torch.checks_l1 import check_l1_gradient, check_l1_value
from graders.assignments.autoencoders_torch.checks_noise import (
    check_add_noise_input_unchanged,
    check_add_noise_range,
    check_add_noise_reproducible,
    check_add_noise_statistics,
)
from graders.assignments.autoencoders_torch.checks_trained import (
    CHECK_NAMES,
    check_trained_denoising,
    check_trained_reconstruction,
    check_trained_sparse_reconstruction,
    check_trained_sparsity,
)
from graders.assignments.autoencoders_torch import thresholds as th
from graders.engine.checks import Check, Kind

CONTRACT = ("DenseAutoencoder", "ConvAutoencoder", "add_noise", "l1_activity_penalty")
TRAIN_SLACK = 3.0                                     # wall time = CPU budget x 3


# ------------------------------------------------------------------ the generator


def trained(declared) -> dict:
    """A trained check's kind, wall time and the declaration it is graded against."""
    return {"kind": Kind.THRESHOLD, "timeout_s": TRAIN_SLACK * declared.cpu_budget_s, "threshold": declared}


def yield_checks(options: dict):
    """Every check of autoencoders_torch, in the order of the contract."""
    declared = th.declared()
    yield Check("DenseAutoencoder: parameter count 2 * n_in * n_hidden + n_in + n_hidden",
                check_dense_parameter_count)
    yield Check("DenseAutoencoder: encode gives (N, n_hidden) codes, non-negative", check_dense_encode_code_size)
    yield Check("DenseAutoencoder: forward gives (N, n_in) in [0, 1]", check_dense_output_range,
                kind=Kind.PROPERTY)
    yield Check(CHECK_NAMES["dense_reconstruction"],
                partial(check_trained_reconstruction, obj="DenseAutoencoder"),
                points=3, **trained(declared["dense_reconstruction"]))
    yield Check("ConvAutoencoder: output shape equals input shape for 8x8 digits and 28x28 MNIST",
                partial(check_conv_shapes, shapes=EVEN_SHAPES, words="8x8 digits and 28x28 MNIST"),
                points=1.5, kind=Kind.PROPERTY)
    yield Check("ConvAutoencoder: output shape equals input shape for odd sizes 7x7 and 13x13",
                partial(check_conv_shapes, shapes=ODD_SHAPES, words="odd sizes too: pool with ceil_mode and crop"),
                kind=Kind.PROPERTY)
    yield Check("ConvAutoencoder: in_channels=3 gives 3 channels back",
                partial(check_conv_shapes, shapes=CHANNEL_SHAPES, words="in_channels=3"), points=0.5,
                kind=Kind.PROPERTY)
    yield Check("ConvAutoencoder: output in [0, 1]", check_conv_output_range, points=0.5, kind=Kind.PROPERTY)
    yield Check(CHECK_NAMES["conv_reconstruction"],
                partial(check_trained_reconstruction, obj="ConvAutoencoder"),
                points=3, **trained(declared["conv_reconstruction"]))
    yield Check("add_noise: clipped to [0, 1], x's shape and dtype", check_add_noise_range)
    yield Check("add_noise: mean and spread of the added noise as asked", check_add_noise_statistics,
                points=2, kind=Kind.PROPERTY)
    yield Check("add_noise: reproducible with a torch.Generator, different seeds differ",
                check_add_noise_reproducible, kind=Kind.PROPERTY)
    yield Check("add_noise: leaves x unchanged", check_add_noise_input_unchanged, points=0.5,
                kind=Kind.PROPERTY)
    yield Check(CHECK_NAMES["denoising_ratio"], check_trained_denoising, points=3,
                needs=("DenseAutoencoder", "add_noise"),
                **trained(declared["denoising_ratio"]))
    yield Check("l1_activity_penalty: value", check_l1_value)
    yield Check("l1_activity_penalty: gradient", check_l1_gradient, kind=Kind.GRADIENT)
    yield Check(CHECK_NAMES["sparsity_factor"], check_trained_sparsity, points=3,
                needs=("DenseAutoencoder", "l1_activity_penalty"),
                **trained(declared["sparsity_factor"]))
    yield Check(CHECK_NAMES["sparse_reconstruction"], check_trained_sparse_reconstruction,
                needs=("DenseAutoencoder", "l1_activity_penalty"),
                **trained(declared["sparse_reconstruction"]))
