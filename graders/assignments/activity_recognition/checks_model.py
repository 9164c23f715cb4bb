"""Checks of `init_params`, `forward` and `predict`, and that no function changes its inputs.

- init_params: exactly the keys and shapes of the contract for every cell, with and without
  hidden dense layers; biases zero; the same dict for the same seed, another for another
  seed; weights of standard deviation 1 / sqrt(fan-in) (on matrices large enough that the
  sample standard deviation is within a few percent);
- forward: shape (N, K) and rows that sum to one for every cell; the probabilities against
  the reference per cell, with the named slips (a transposed recurrent weight, a softmax
  over the batch axis, the first hidden state instead of the last);
- predict: the argmax of forward's probabilities (inputs with a clear winner per row): the
  reference's, or the submission's own forward's (a forward slip is graded by its own checks);
- inputs unchanged: forward, loss_and_grads, predict, confusion_matrix and train leave every
  argument as it was.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.activity_recognition import problems as pb
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.common import check_inputs_unchanged
from graders.engine.compare import assert_close
from graders.sandbox.errors import StudentError
from reference.numpy import activity_recognition as ref

# (n_in, n_hidden, dense_dims, n_classes): no dense hidden layer, one, and two.
INIT_SIZES = ((3, 5, (), 4), (2, 4, (6,), 3), (6, 7, (5, 3), 2))
SCALE_SIZE = (60, 80, (70,), 50)   # every weight matrix has >= 3,500 entries
SCALE_RTOL = 0.08                  # > 4 standard deviations of the sample std of 3,500 normals


def _init(ctx, cell, d, h, dense, k, seed) -> tuple[dict, str]:
    what = f"init_params({cell!r}, {d}, {h}, {list(dense)}, {k}, seed={seed})"
    return pb.params_dict(ctx.call("init_params", cell, d, h, list(dense), k, seed), what, cell, d, h, dense, k), what


def check_init_params_shapes(ctx):
    for cell in pb.CELLS:
        for d, h, dense, k in INIT_SIZES:
            params, what = _init(ctx, cell, d, h, dense, k, 3)
            for key, value in params.items():
                if key.startswith("b") and value.any():
                    raise CheckFailed(f"{what}[{key!r}] is not all zeros.", expected="zeros",
                                      got=expect.describe_value(value),
                                      slip="the contract's biases start at 0; only the weights are random.")


def check_init_params_seed(ctx):
    for cell in pb.CELLS:
        first, what = _init(ctx, cell, 2, 4, (5,), 3, 11)
        again, _ = _init(ctx, cell, 2, 4, (5,), 3, 11)
        other, _ = _init(ctx, cell, 2, 4, (5,), 3, 12)
        changed = [k for k in first if not np.array_equal(first[k], again[k])]
        if changed:
            raise CheckFailed(f"{what} is not reproducible: {changed[0]!r} differs between two calls with the same "
                              "seed.", slip="use np.random.default_rng(seed), not an unseeded generator or "
                                            "np.random's global state.")
        if all(np.array_equal(first[k], other[k]) for k in first if k.startswith("W")):
            raise CheckFailed(f"init_params gives the same weights for seeds 11 and 12 (cell {cell!r}).",
                              slip="the seed argument is ignored (a fixed seed inside init_params).")


def check_init_params_scale(ctx):
    d, h, dense, k = SCALE_SIZE
    for cell in pb.CELLS:
        params, what = _init(ctx, cell, d, h, dense, k, 5)
        for key, value in params.items():
            if key.startswith("b"):
                continue
            expected = 1.0 / np.sqrt(value.shape[0])
            got = float(value.std())
            off_centre = abs(float(value.mean())) > 4 * expected / np.sqrt(value.size)  # > 4 standard errors
            if abs(got - expected) > SCALE_RTOL * expected or off_centre:
                ratio = got / expected
                slip = None
                if abs(ratio * np.sqrt(value.shape[0]) - 1) < SCALE_RTOL:
                    slip = "the weights are standard normal: divide by sqrt(fan_in)."
                elif abs(ratio - np.sqrt(value.shape[0] / value.shape[1])) < SCALE_RTOL * ratio:
                    slip = "the scale uses the fan-out (the number of columns) instead of the fan-in (rows)."
                raise CheckFailed(f"{what}[{key!r}] has standard deviation {got:.4g}; the contract's is "
                                  f"1 / sqrt(fan_in) = {expected:.4g} (fan-in {value.shape[0]}).",
                                  expected=f"{expected:.4g} (within {SCALE_RTOL:.0%})", got=f"{got:.4g}, mean "
                                  f"{float(value.mean()):.3g}", slip=slip or "weights ~ normal(0, 1 / sqrt(fan_in)).")


def check_forward_shapes_and_rows(ctx):
    for cell in pb.CELLS:
        for dense in ((), (5,), (5, 3)):
            params = pb.random_params(ctx.rng, cell, dense_dims=dense)
            X = ctx.rng.standard_normal((pb.N, pb.T, pb.D))
            probs, _ = pb.call_forward(ctx, params, X, cell)
            sums = probs.sum(axis=1)
            if not np.allclose(sums, 1.0, rtol=0, atol=1e-9) or (probs < 0).any():
                axis0 = np.allclose(probs.sum(axis=0), 1.0, atol=1e-9)
                raise CheckFailed(f"forward(params, X, {cell!r}): the rows of probs are not probability "
                                  "distributions.", expected="every row non-negative, summing to 1",
                                  got=f"row sums {np.round(sums, 6).tolist()}",
                                  slip=(pb.SOFTMAX_AXIS_SLIP if axis0 else None),
                                  details=pb.describe_problem(params, X, None, cell) + f"; dense_dims {list(dense)}")


def check_forward_values(ctx, cell: str):
    params, X, _ = pb.problem(ctx.rng, cell)
    probs, _ = pb.call_forward(ctx, params, X, cell)
    expected, _ = ref.forward(params, X, cell)
    assert_close(probs, expected, f"forward(params, X, {cell!r})[0]", known=pb.forward_slips(params, X, cell),
                 context=pb.describe_problem(params, X, None, cell))


LARGE_SCORES = 1e3   # exp overflows past 709: only a softmax with the row maximum subtracted stays finite


def check_forward_large_scores(ctx):
    """The last dense layer scaled so the class scores reach about 1e3 (the contract's softmax
    subtracts each row's maximum, so the probabilities stay finite and exact)."""
    cell = "gru"
    params, X, _ = pb.problem(ctx.rng, cell)
    last = ref.n_dense_layers(params)
    scores = ref.forward(params, X, cell)[1][2][-1]
    factor = LARGE_SCORES / max(float(np.abs(scores).max()), 1e-12)
    params[f"W{last}"] = params[f"W{last}"] * factor
    params[f"b{last}"] = params[f"b{last}"] * factor
    what = f"forward(params, X, {cell!r})[0] at class scores up to {LARGE_SCORES:g}"
    out = expect.sequence(ctx.call("forward", params, X, cell), what, 2)
    probs = expect.array(out[0], what, scores.shape, nonfinite_slip=lambda bad: (
        "the softmax without the row maximum subtracted: exp(1e3) overflows to inf and inf / inf is NaN; the "
        "contract subtracts each row's maximum before exp."))
    expected, _ = ref.forward(params, X, cell)
    assert_close(probs, expected, what, context=pb.describe_problem(params, X, None, cell)
                 + f"; the last dense layer scaled by {factor:.4g}")


def _clear_winner_problem(rng, cell):
    for _ in range(100):
        params, X, _ = pb.problem(rng, cell)
        top2 = np.sort(ref.forward(params, X, cell)[0], axis=1)[:, -2:]
        if np.all(top2[:, 1] - top2[:, 0] > 1e-3):
            return params, X
    raise RuntimeError("no problem with a clear winner in every row")


def check_predict_values(ctx):
    notes = []
    for cell in pb.CELLS:
        params, X = _clear_winner_problem(ctx.rng, cell)
        what = f"predict(params, X, {cell!r})"
        got = expect.array(ctx.call("predict", params, X, cell), what, (X.shape[0],), dtype=None)
        if got.dtype.kind not in "iu":
            raise CheckFailed(f"{what} returned a {got.dtype} array; expected integers.", expected="an int array",
                              got=str(got.dtype), slip="argmax returns ints; do not cast them to float.")
        expected = ref.forward(params, X, cell)[0].argmax(axis=1)
        if np.array_equal(got, expected):
            continue
        try:  # agreeing with the submission's own forward passes: the forward checks grade that
            own, _ = pb.call_forward(ctx, params, X, cell)
            if np.array_equal(got, own.argmax(axis=1)):
                notes.append(f"{cell}: your predict agrees with your forward, whose probabilities differ from the "
                             "expected ones (see the forward checks).")
                continue
        except (CheckFailed, StudentError):
            pass
        raise CheckFailed(f"{what} is not the argmax of the probabilities over the classes.",
                          expected=str(expected.tolist()), got=str(got.tolist()),
                          slip="predict = forward(params, X, cell)[0].argmax(axis=1)",
                          details=pb.describe_problem(params, X, None, cell))
    return " ".join(notes) or None


def check_inputs_are_unchanged(ctx):
    for cell in pb.CELLS:
        params, X, y = pb.problem(ctx.rng, cell)
        check_inputs_unchanged(ctx, "forward", (params, X, cell))
        check_inputs_unchanged(ctx, "loss_and_grads", (params, X, y, cell))
        check_inputs_unchanged(ctx, "predict", (params, X, cell))
    y_pred = ctx.rng.integers(0, pb.K, size=pb.N).astype(np.int64)
    check_inputs_unchanged(ctx, "confusion_matrix", (y, y_pred, pb.K))
    X_small = ctx.rng.standard_normal((5, 3, pb.D))
    check_inputs_unchanged(ctx, "train", (X_small, y[:5], "gru", 3, [4], pb.K, 0.1, 0.9, 2, 2, 0))
