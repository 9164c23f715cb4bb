"""The files `dlgrade new` writes: a small assignment that grades at once (an affine layer,
forward and backward, in NumPy or PyTorch; or, kind "trained", a linear regression trained by
gradient descent, graded by a trained check that `dlgrade calibrate` calibrates), as
`string.Template`s of its id and title. `KINDS[kind]` gives each
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


# --------------------------------------------------------------- trained: a NumPy assignment with a trained check

TRAINED_REFERENCE = '''"""# $title

This docstring is the notebook's introduction. You fit a linear regression by full-batch
gradient descent on the mean squared error. The grader trains your `train` on data it draws
and measures the held-out mean squared error of your `predict` with the trained parameters.

Conventions: arrays are `float64`; a batch has one row per example; no function modifies
its inputs.
"""

import numpy as np


def predict(w, b, X):
    """Predictions of the linear model: X @ w + b.

    Inputs:
    - w: (D,); b: a float; X: (N, D).

    Returns:
    - y_hat: (N,).
    """
    ### BEGIN SOLUTION
    # TODO: one matrix-vector product and the bias.
    return X @ w + b
    ### END SOLUTION


def train(X, y, epochs, lr, seed):
    """Fit w and b by `epochs` steps of full-batch gradient descent on mean((X @ w + b - y) ** 2) / 2,
    starting from w ~ 0.01 * N(0, 1) drawn with np.random.default_rng(seed) and b = 0.

        grad_w = X.T @ (y_hat - y) / N        grad_b = mean(y_hat - y)

    Returns:
    - (w, b): w (D,), b a float.
    """
    ### BEGIN SOLUTION
    # TODO: initialise, then `epochs` gradient steps of size lr.
    rng = np.random.default_rng(seed)
    w = 0.01 * rng.standard_normal(X.shape[1])
    b = 0.0
    for _ in range(epochs):
        err = predict(w, b, X) - y
        w = w - lr * (X.T @ err / len(y))
        b = b - lr * float(np.mean(err))
    return w, float(b)
    ### END SOLUTION
'''

TRAINED_THRESHOLDS = '''"""The trained check of `$id`, declared once (`TRAINED_CHECKS`).

Its calibrated numbers are data, in thresholds.json beside this file, written by
`dlgrade calibrate $id --course COURSE --write`, which grades the reference with this check
over course-secret draws (and its unusual variants in slips.py); run it again whenever the
settings below change. Do not edit thresholds.json by hand.
"""

from pathlib import Path

from graders.authoring import GRADED_RUNS, TrainedCheck, with_calibration

HELD_OUT_MSE = TrainedCheck(
    assignment="$id",
    key="held_out_mse",
    metric="held-out MSE",
    higher_is_better=False,
    margin=0.5,  # the reference's worst run plus half: a model that has not converged fails
    cpu_budget_s=5.0,
    settings={"synthetic": {"n": 400, "n_heldout": 100, "features": 5, "noise": 0.1, "epochs": 200, "lr": 0.1}},
    model_size="a linear model of 5 weights and a bias, 200 full-batch steps over 300 rows",
    runs=GRADED_RUNS,
)

TRAINED_CHECKS = (HELD_OUT_MSE,)


def declared() -> dict:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)
'''

TRAINED_TASKS = '''"""Trusted sandbox tasks of `$id`: they run next to the submission and return raw outputs only."""


def task_predict(submission, w, b, X):
    """The submission's predictions for the grader's inputs (the grader computes every metric)."""
    return submission.predict(w, b, X)
'''

TRAINED_CHECK_MODULE = '''"""The checks of `$id`, one `check_<function>_<property>` per check.

`predict` is compared with the reference on random inputs. The trained check draws a
regression problem from the course secret (`ctx.secret_seed`, `ctx.secret_split`: the same on
every run of the course, unknown to students), trains the submission's `train` on the training
rows in the grade's sandbox, gets the predictions of the held-out rows from a fresh sandbox
(`ctx.fresh_task`) and computes their mean squared error here, in the grader, against the
calibrated bound of thresholds.py.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import (CalibrationError, Check, CheckFailed, Kind, check_array_values, expect_array,
                               expect_scalar, expect_sequence, fmt)

from . import reference as ref
from .thresholds import HELD_OUT_MSE, declared

CONTRACT = ("predict", "train")
TRAINED_CHECK = "train: held-out MSE of the trained model"


def check_predict_values(ctx):
    X, w, b = ctx.rng.standard_normal((6, 4)), ctx.rng.standard_normal(4), float(ctx.rng.standard_normal())
    check_array_values(ctx, "predict", (w, b, X), ref.predict(w, b, X), show={"w": w, "b": b})


def regression_problem(ctx, s: dict) -> dict:
    """This course's secret draw: a true linear model, noisy targets, held-out rows."""
    rng = np.random.default_rng(ctx.secret_seed("problem"))
    X = rng.standard_normal((s["n"], s["features"]))
    intercept = rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 2.0)  # far from 0: a model without its bias fails
    y = X @ rng.standard_normal(s["features"]) + intercept + s["noise"] * rng.standard_normal(s["n"])
    train_rows, heldout_rows = ctx.secret_split(s["n"], s["n_heldout"])
    return {"X": X[train_rows], "y": y[train_rows], "X_heldout": X[heldout_rows], "y_heldout": y[heldout_rows],
            "seed": ctx.secret_seed("train")}


def check_train_held_out_mse(ctx):
    try:
        threshold = ctx.check.threshold.for_dataset("synthetic")
    except CalibrationError as exc:  # no thresholds.json yet: the course's to fix, said in words
        raise CheckFailed(f"this check is not calibrated yet (a setting of the course, not your code): {exc}") from None
    s = threshold.settings
    d = regression_problem(ctx, s)
    w, b = expect_sequence(ctx.call("train", d["X"], d["y"], s["epochs"], s["lr"], d["seed"]),
                           "train(X, y, epochs, lr, seed)", 2)
    w, b = expect_array(w, "train(...)'s w", (s["features"],)), expect_scalar(b, "train(...)'s b")
    y_hat = expect_array(ctx.fresh_task("predict", w=w, b=b, X=d["X_heldout"]), "predict(w, b, X_heldout)",
                         (s["n_heldout"],))
    mse = float(np.mean((y_hat - d["y_heldout"]) ** 2))
    if not threshold.passes(mse):
        raise CheckFailed(f"the trained model's held-out MSE is {fmt(mse)}: training did not reach the bound",
                          expected=threshold.describe(), got=fmt(mse),
                          details=f"budget: {threshold.describe_budget()}")
    return f"held-out MSE {fmt(mse)} (bound {fmt(threshold.bound)})"


def yield_checks(options: dict):
    """Every check of $id."""
    yield Check("predict: values on random inputs", check_predict_values)
    yield Check(TRAINED_CHECK, check_train_held_out_mse, points=2, kind=Kind.THRESHOLD, timeout_s=60,
                threshold=declared()[HELD_OUT_MSE.key])
'''

TRAINED_INIT = INIT.replace("    limits=Limits($limits),\n", "    limits=Limits($limits),\n"
                            '    tasks=(Path(__file__).resolve().parent / "tasks.py",),\n')

TRAINED_SLIPS = '''"""Known slips of `$id`: realistic buggy submissions (MUTANTS), each naming the checks that
must fail on it, and correct but unusual ones (UNUSUAL) that must get full marks. Each is an
exact text edit of reference.py (`dlgrade verify $id` grades them all; `dlgrade calibrate`
grades the UNUSUAL ones too, as harmless variations its bound must pass)."""

from graders.authoring import Mutant

TRAINED = ("train: held-out MSE of the trained model",)

MUTANTS = [
    Mutant("predict_without_the_bias", "return X @ w + b", "return X @ w",
           catches=("predict: values on random inputs",) + TRAINED),
    Mutant("train_returns_its_initial_parameters", "    for _ in range(epochs):", "    for _ in range(0):",
           catches=TRAINED),
    Mutant("train_never_updates_the_bias", "b = b - lr * float(np.mean(err))", "b = b", catches=TRAINED),
]

UNUSUAL = [
    Mutant("train_gradient_as_a_mean_of_rows", "w = w - lr * (X.T @ err / len(y))",
           "w = w - lr * np.mean(X * err[:, None], axis=0)"),
]
'''

COMMON = {"assignment.toml": MANIFEST, "__init__.py": INIT, "checks.py": CHECKS}
KINDS = {
    "numpy": {**COMMON, "reference.py": NUMPY_REFERENCE, "slips.py": NUMPY_SLIPS},
    "torch": {**COMMON, "reference.py": TORCH_REFERENCE, "slips.py": TORCH_SLIPS},
    "trained": {**COMMON, "__init__.py": TRAINED_INIT, "checks.py": TRAINED_CHECK_MODULE,
                "reference.py": TRAINED_REFERENCE, "thresholds.py": TRAINED_THRESHOLDS, "tasks.py": TRAINED_TASKS,
                "slips.py": TRAINED_SLIPS},
}
# What each kind's sandbox preloads, and its limits (torch needs several GB of address space to import).
PRELOAD = {"numpy": ("numpy",), "torch": ("numpy", "torch"), "trained": ("numpy",)}
LIMITS = {"numpy": "cpu_s=120, memory_mb=2048, startup_s=30", "torch": "cpu_s=120, memory_mb=8192, startup_s=60",
          "trained": "cpu_s=120, memory_mb=2048, startup_s=30"}
