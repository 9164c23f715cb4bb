"""The files `dlgrade new` writes: a small assignment that grades at once (an affine layer,
forward and backward), as `string.Template`s of its id and title. `KINDS[kind]` gives each
file's text by name; `$id` and `$title` are filled in, `$$` is a dollar sign."""

from __future__ import annotations

MANIFEST = '''# What listing and validating assignment ids needs, read without importing this package.
id = "$id"
title = "$title"
preload = $preload
'''

INIT = '''"""`$id`: $title."""

from pathlib import Path

from graders.authoring import Assignment, Limits

from .checks import CONTRACT, yield_checks

ASSIGNMENT = Assignment(
    id="$id",
    title="$title",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parent / "reference.py",
    preload=$preload_tuple,
    limits=Limits($limits),
)
'''

CHECKS = '''"""The checks of `$id`, one `check_<function>_<property>` per check.

The grader draws the inputs (`ctx.rng` is seeded by the check's name), calls the submission
in its sandbox, and compares what came back with the reference's values on the same inputs;
the backward pass is checked against central differences of the reference's forward pass.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import (Check, Kind, assert_gradient, check_array_values, expect_array, expect_sequence,
                               render_inputs)

from . import reference as ref

CONTRACT = ("affine_forward", "affine_backward")
N, D, M = 4, 5, 3


def layer_inputs(rng):
    return rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)


def check_affine_forward_values(ctx):
    x, w, b = layer_inputs(ctx.rng)
    check_array_values(ctx, "affine_forward", (x, w, b), ref.affine_forward(x, w, b), show={"x": x, "w": w, "b": b})


def check_affine_backward_gradient(ctx):
    x, w, b = layer_inputs(ctx.rng)
    dout = ctx.rng.standard_normal((N, M))
    grads = expect_sequence(ctx.call("affine_backward", dout, x, w, b), "affine_backward(dout, x, w, b)", 3)
    params = {"x": x, "w": w, "b": b}

    def loss(p):  # d/dp sum(dout * affine_forward(x, w, b)) is what the backward pass returns
        return float(np.sum(dout * ref.affine_forward(p["x"], p["w"], p["b"])))

    for key, grad in zip(("x", "w", "b"), grads):
        grad = expect_array(grad, f"affine_backward(...) d{key}", params[key].shape)
        assert_gradient(loss, params, key, grad, "affine_backward(dout, x, w, b)", rng=ctx.rng, batch_size=N,
                        context=render_inputs(dout=dout))


def yield_checks(options: dict):
    """Every check of $id."""
    yield Check("affine_forward: values on random inputs", check_affine_forward_values)
    yield Check("affine_backward: gradient check of x, w and b", check_affine_backward_gradient, points=2,
                kind=Kind.GRADIENT)
'''

NUMPY_REFERENCE = '''"""# $title

This docstring is the notebook's introduction: say what the assignment is about and its
conventions. Each function's docstring is shown above its cell; the code between
`### BEGIN SOLUTION` and `### END SOLUTION` is replaced by its `# TODO` lines and
`raise NotImplementedError` in the student's notebook (`dlgrade build`).

Conventions: arrays are `float64`; a batch has one row per example; no function modifies
its inputs.
"""

import numpy as np


def affine_forward(x, w, b):
    """An affine layer: out = x @ w + b.

    Inputs:
    - x: (N, D); w: (D, M); b: (M,).

    Returns:
    - out: (N, M).
    """
    ### BEGIN SOLUTION
    # TODO: one matrix product and a broadcast sum.
    return x @ w + b
    ### END SOLUTION


def affine_backward(dout, x, w, b):
    """Backward pass of affine_forward: the gradients of sum(dout * out).

        dx = dout @ w.T        dw = x.T @ dout        db = sum(dout, axis=0)

    Returns:
    - (dx, dw, db), the shapes of x, w and b.
    """
    ### BEGIN SOLUTION
    # TODO: three matrix expressions; db sums over the batch.
    dx = dout @ w.T
    dw = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
    ### END SOLUTION
'''

NUMPY_SLIPS = '''"""Known slips of `$id`: realistic buggy submissions (MUTANTS), each naming the checks that
must fail on it, and correct but unusual ones (UNUSUAL) that must get full marks. Each is an
exact text edit of reference.py (`dlgrade verify $id` grades them all)."""

from graders.authoring import Mutant

MUTANTS = [
    Mutant("affine_forward_without_the_bias", "return x @ w + b", "return x @ w",
           catches=("affine_forward: values on random inputs",)),
    Mutant("affine_backward_db_mean_instead_of_sum", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)",
           catches=("affine_backward: gradient check of x, w and b",), says=("batch size",)),
]

UNUSUAL = [
    Mutant("affine_forward_einsum", "return x @ w + b", "return np.einsum('nd,dm->nm', x, w) + b"),
]
'''

TORCH_REFERENCE = '''"""# $title

This docstring is the notebook's introduction: say what the assignment is about and its
conventions. Each function's docstring is shown above its cell; the code between
`### BEGIN SOLUTION` and `### END SOLUTION` is replaced by its `# TODO` lines and
`raise NotImplementedError` in the student's notebook (`dlgrade build`).

Conventions: the functions take and return `float64` NumPy arrays and compute with PyTorch
inside; no function modifies its inputs.
"""

import numpy as np
import torch


def affine_forward(x, w, b):
    """An affine layer, out = x @ w + b, computed with PyTorch.

    Inputs:
    - x: (N, D); w: (D, M); b: (M,), NumPy arrays.

    Returns:
    - out: (N, M), a NumPy array.
    """
    ### BEGIN SOLUTION
    # TODO: torch.from_numpy, then back with .numpy().
    out = torch.from_numpy(x) @ torch.from_numpy(w) + torch.from_numpy(b)
    return out.numpy()
    ### END SOLUTION


def affine_backward(dout, x, w, b):
    """Backward pass of affine_forward by autograd: the gradients of sum(dout * out).

    Returns:
    - (dx, dw, db), NumPy arrays of the shapes of x, w and b.
    """
    ### BEGIN SOLUTION
    # TODO: tensors that require gradients, the forward pass, then out.backward(dout).
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = xt @ wt + bt
    out.backward(torch.from_numpy(np.asarray(dout)))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
    ### END SOLUTION
'''

TORCH_SLIPS = '''"""Known slips of `$id`: realistic buggy submissions (MUTANTS), each naming the checks that
must fail on it, and correct but unusual ones (UNUSUAL) that must get full marks. Each is an
exact text edit of reference.py (`dlgrade verify $id` grades them all)."""

from graders.authoring import Mutant

MUTANTS = [
    Mutant("affine_forward_without_the_bias", "out = torch.from_numpy(x) @ torch.from_numpy(w) + torch.from_numpy(b)",
           "out = torch.from_numpy(x) @ torch.from_numpy(w)",
           catches=("affine_forward: values on random inputs",)),
    Mutant("affine_backward_ignores_dout", "out.backward(torch.from_numpy(np.asarray(dout)))", "out.sum().backward()",
           catches=("affine_backward: gradient check of x, w and b",)),
]

UNUSUAL = [
    Mutant("affine_forward_addmm", "out = torch.from_numpy(x) @ torch.from_numpy(w) + torch.from_numpy(b)",
           "out = torch.addmm(torch.from_numpy(b), torch.from_numpy(x), torch.from_numpy(w))"),
]
'''

COMMON = {"assignment.toml": MANIFEST, "__init__.py": INIT, "checks.py": CHECKS}
KINDS = {
    "numpy": {**COMMON, "reference.py": NUMPY_REFERENCE, "slips.py": NUMPY_SLIPS},
    "torch": {**COMMON, "reference.py": TORCH_REFERENCE, "slips.py": TORCH_SLIPS},
}
# What each kind's sandbox preloads, and its limits (torch needs several GB of address space to import).
PRELOAD = {"numpy": ("numpy",), "torch": ("numpy", "torch")}
LIMITS = {"numpy": "cpu_s=120, memory_mb=2048, startup_s=30", "torch": "cpu_s=120, memory_mb=8192, startup_s=60"}
