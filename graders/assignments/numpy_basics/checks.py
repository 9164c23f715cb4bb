"""The checks of `numpy_basics`, one `check_<function>_<property>` per check.

Values are compared with the reference; backward passes are gradient-checked against
central differences of the contract's forward function (evaluated in the grader's own
process), never at a kink; properties are tested with Hypothesis; every function is
checked for modifying its inputs.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from hypothesis import strategies as st

from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.common import away_from, check_array_values, check_inputs_unchanged, render_inputs
from graders.engine.compare import assert_close, assert_scalar_close
from graders.engine.gradcheck import assert_gradient
from graders.engine.properties import check_property, floats_array, matrix_shapes
from reference.numpy import numpy_basics as ref

ACTIVATIONS = {
    # name: (kinks, sampling range)
    "relu": ((0.0,), 3.0),
    "sigmoid": ((), 6.0),
    "tanh": ((), 3.0),
    "hard_sigmoid": ((-2.5, 2.5), 4.0),
}
LOSSES = ("mse_loss", "bce_loss", "softmax_cross_entropy")
CONTRACT = tuple(ACTIVATIONS) + tuple(f"{a}_backward" for a in ACTIVATIONS) + ("softmax",) + LOSSES
SHAPE = (4, 5)


# ------------------------------------------------------------------ activations


def _z(ctx, name):
    kinks, span = ACTIVATIONS[name]
    return away_from(ctx.rng, SHAPE, -span, span, kinks)


def check_activation_values(ctx, name):
    z = _z(ctx, name)
    check_array_values(ctx, name, (z,), getattr(ref, name)(z), show={"z": z})


def known_backward_slips(name, dout, z):
    """The wrong backward passes students write most often, evaluated on (dout, z)."""
    slips = {"dout is not multiplied in (the chain rule's upstream factor is missing)":
             getattr(ref, f"{name}_backward")(np.ones_like(z), z)}
    if name == "relu":
        slips["multiplied by relu(z) instead of the 0/1 mask 1[z > 0]"] = dout * ref.relu(z)
    if name == "sigmoid":
        s = ref.sigmoid(z)
        slips["dout * s without the (1 - s) factor: d sigmoid/dz = s (1 - s)"] = dout * s
        slips["z (1 - z): the derivative formula applied to z instead of s = sigmoid(z)"] = dout * z * (1 - z)
    if name == "tanh":
        t = np.tanh(z)
        slips["1 - tanh(z) instead of 1 - tanh(z)**2"] = dout * (1 - t)
        slips["1 - z**2: the derivative formula applied to z instead of tanh(z)"] = dout * (1 - z * z)
    if name == "hard_sigmoid":
        inside = (z > -2.5) & (z < 2.5)
        slips["slope 1 instead of 0.2 on (-2.5, 2.5)"] = dout * inside
        slips["slope 0.2 everywhere: the clipped parts have slope 0"] = dout * 0.2
        slips["PyTorch's hardsigmoid (slope 1/6 on (-3, 3)), not the contract's Keras form"] = (
            dout * ((z > -3) & (z < 3)) / 6.0)
    return slips


def check_activation_backward_gradient(ctx, name):
    """dz from the submission against d/dz sum(dout * f(z)), f the contract's activation."""
    z = _z(ctx, name)
    dout = ctx.rng.standard_normal(SHAPE)
    forward = getattr(ref, name)
    dz = expect.array(ctx.call(f"{name}_backward", dout, z), f"{name}_backward(dout, z)", SHAPE)
    assert_gradient(lambda p: float(np.sum(dout * forward(p["z"]))), {"z": z}, "z", dz,
                    f"{name}_backward(dout, z)", rng=ctx.rng, context=render_inputs(z=z, dout=dout),
                    known=known_backward_slips(name, dout, z))


def check_activation_backward_chain_rule(ctx, name):
    """The backward pass multiplies by dout (a slip: returning f'(z) alone)."""
    z = _z(ctx, name)
    dout = np.full(SHAPE, 3.0)
    expected = getattr(ref, f"{name}_backward")(dout, z)
    got = expect.array(ctx.call(f"{name}_backward", dout, z), f"{name}_backward(dout, z)", SHAPE)
    assert_close(got, expected, f"{name}_backward(dout, z)", known=known_backward_slips(name, dout, z),
                 context=render_inputs(z=z, dout=dout))


def check_sigmoid_symmetry_and_range(ctx):
    def prop(z):
        s = expect.array(ctx.call("sigmoid", z), "sigmoid(z)", z.shape)
        s_neg = expect.array(ctx.call("sigmoid", -z), "sigmoid(-z)", z.shape)
        if np.any(s < 0) or np.any(s > 1):
            raise CheckFailed("sigmoid(z) left [0, 1].", got=f"min {s.min():.6g}, max {s.max():.6g}")
        worst = float(np.max(np.abs(s_neg - (1 - s)), initial=0.0))
        if worst > 1e-12:
            raise CheckFailed("sigmoid(-z) != 1 - sigmoid(z).", diff=f"worst difference {worst:.3g}")
    check_property(prop, floats_array(matrix_shapes(), -50.0, 50.0))


def check_activation_monotone(ctx, name):
    def prop(z):
        z = np.sort(z, axis=1)
        out = expect.array(ctx.call(name, z), f"{name}(z)", z.shape)
        if np.any(np.diff(out, axis=1) < -1e-12):
            raise CheckFailed(f"{name} is not non-decreasing: a larger input gave a smaller output.")
    check_property(prop, floats_array(matrix_shapes(), -20.0, 20.0))


def check_activation_finite_large_inputs(ctx, name):
    z = np.array([[-1e3, -750.0, -1.0, 0.5, 750.0, 1e3]])
    out = expect.array(ctx.call(name, z), f"{name}(z) at |z| up to 1e3", z.shape)
    check_array_values(ctx, name, (z,), getattr(ref, name)(z), show={"z": z})
    del out


ARGUMENT_NAMES = {"mse_loss": ("y_hat", "y"), "bce_loss": ("p", "y"), "softmax_cross_entropy": ("logits", "labels"),
                  "softmax": ("z",), **{a: ("z",) for a in ACTIVATIONS},
                  **{f"{a}_backward": ("dout", "z") for a in ACTIVATIONS}}


def check_inputs_not_modified(ctx, name, make_args):
    check_inputs_unchanged(ctx, name, make_args(ctx.rng), names=ARGUMENT_NAMES[name])


# ------------------------------------------------------------------ softmax


def check_softmax_values(ctx):
    z = ctx.rng.normal(0, 3, SHAPE)
    check_array_values(ctx, "softmax", (z,), ref.softmax(z), show={"z": z})


def check_softmax_rows_sum_to_one_and_shift_invariant(ctx):
    def prop(z, shift):
        p = expect.array(ctx.call("softmax", z), "softmax(z)", z.shape)
        q = expect.array(ctx.call("softmax", z + shift), "softmax(z + c)", z.shape)
        sums = p.sum(axis=-1)
        if np.any(p < 0) or np.max(np.abs(sums - 1)) > 1e-9:
            raise CheckFailed("softmax rows must be non-negative and sum to 1.", got=f"row sums {sums}",
                              slip="normalising over the wrong axis (axis=0, or no keepdims).")
        if np.max(np.abs(p - q)) > 1e-9:
            raise CheckFailed("softmax(z + c) != softmax(z) for a constant c added to every entry.",
                              diff=f"worst difference {np.max(np.abs(p - q)):.3g}")
    check_property(prop, floats_array(matrix_shapes(), -30.0, 30.0), st.floats(-100, 100))


def check_softmax_finite_large_logits(ctx):
    z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1001.0], [800.0, 800.0, 799.0]])
    p = expect.array(ctx.call("softmax", z), "softmax(z) at |z| = 1e3", z.shape)
    del p
    check_array_values(ctx, "softmax", (z,), ref.softmax(z), show={"z": z})


# ------------------------------------------------------------------ losses


def _loss_inputs(name, rng):
    if name == "mse_loss":
        return rng.normal(0, 1, SHAPE), rng.normal(0, 1, SHAPE)
    if name == "bce_loss":
        return rng.uniform(0.05, 0.95, SHAPE), (rng.uniform(size=SHAPE) < 0.5).astype(np.float64)
    return rng.normal(0, 2, SHAPE), rng.integers(0, SHAPE[1], SHAPE[0])


def _call_loss(ctx, name, a, b):
    loss, grad = expect.sequence(ctx.call(name, a, b), f"{name}(...)", 2)
    return expect.scalar(loss, f"{name}(...) loss"), expect.array(grad, f"{name}(...) gradient", a.shape)


def _unchanged_inputs(name, rng):
    """Loss inputs for the in-place check; bce's include saturated p (clipping must copy)."""
    a, b = _loss_inputs(name, rng)
    if name == "bce_loss":
        a[0, :2] = (0.0, 1.0)
    return a, b


def check_loss_value(ctx, name):
    a, b = _loss_inputs(name, ctx.rng)
    loss, _ = _call_loss(ctx, name, a, b)
    expected, _ = getattr(ref, name)(a, b)
    assert_scalar_close(loss, expected, f"{name}(...) loss", batch_size=a.shape[0], size=a.size,
                        context=render_inputs(first=a, second=b))


def check_loss_gradient(ctx, name):
    a, b = _loss_inputs(name, ctx.rng)
    _, grad = _call_loss(ctx, name, a, b)
    forward = getattr(ref, name)
    key = {"mse_loss": "y_hat", "bce_loss": "p", "softmax_cross_entropy": "logits"}[name]
    known = {}
    if name == "softmax_cross_entropy":
        known["softmax(logits) / N without subtracting the one-hot labels"] = ref.softmax(a) / a.shape[0]
    assert_gradient(lambda p: forward(p[key], b)[0], {key: a}, key, grad, f"{name}(...) gradient",
                    rng=ctx.rng, batch_size=a.shape[0], context=render_inputs(first=a, second=b),
                    known=known)


def check_loss_minimal_at_target(ctx, name):
    """The loss is >= 0, and (for MSE) exactly 0 with a zero gradient at the target."""
    def prop(y):
        loss, grad = _call_loss(ctx, name, y, y)
        if loss < -1e-12:
            raise CheckFailed(f"{name}(y, y) is negative.", got=f"{loss:.6g}")
        if name == "mse_loss" and (abs(loss) > 1e-12 or np.max(np.abs(grad)) > 1e-12):
            raise CheckFailed("mse_loss(y, y) must be 0 with a zero gradient.", got=f"loss {loss:.6g}")
    check_property(prop, floats_array(matrix_shapes(), 0.01, 0.99))


def check_loss_finite_saturated(ctx, name):
    """Finite loss and gradient where probabilities saturate (logits of magnitude 1e3)."""
    if name == "bce_loss":
        p = ref.sigmoid(np.array([[1e3, -1e3, 5.0], [-1e3, 1e3, -5.0]]))  # exactly 1.0 and 0.0
        y = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    else:
        p = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
        y = np.array([0, 2])
    loss, grad = _call_loss(ctx, name, p, y)  # both validated finite
    if name == "bce_loss":
        # log 0 is -inf: how far p is kept from 0 and 1 is the submission's choice, so only
        # finiteness and a large loss for the confidently wrong entries are required
        if loss <= 1.0:
            raise CheckFailed("bce_loss is small although two predictions are confidently wrong.",
                              got=f"{loss:.6g}", details=render_inputs(p=p, y=y))
        return
    expected, _ = getattr(ref, name)(p, y)
    assert_scalar_close(loss, expected, f"{name}(...) loss at saturated inputs", tol="loss",
                        context=render_inputs(first=p, second=y))


def check_bce_near_zero_and_one(ctx):
    """Loss and gradient where p is within 1e-6 to 1e-3 of 0 or 1, where the contract's logs
    are still finite and exact (the value checks draw p from [0.05, 0.95], where a clip to
    [0.01, 0.99] changes nothing). Keras' clip of 1e-7 and PyTorch's log clamp at -100 leave
    these p alone."""
    distance = 10.0 ** ctx.rng.uniform(-6, -3, SHAPE)
    near_one = ctx.rng.uniform(size=SHAPE) < 0.5
    p = np.where(near_one, 1.0 - distance, distance)
    y = (ctx.rng.uniform(size=SHAPE) < 0.5).astype(np.float64)
    loss, grad = _call_loss(ctx, "bce_loss", p, y)
    expected, expected_grad = ref.bce_loss(p, y)
    clipped_loss, clipped_grad = ref.bce_loss(np.clip(p, 0.01, 0.99), y)
    clip_slip = ("p is clipped to [0.01, 0.99] (or by another margin wider than 1e-6): the contract's loss uses p "
                 "itself wherever log p and log(1 - p) are finite; keep p away from 0 and 1 only by as little as "
                 "the logs need (a clip of 1e-7, as Keras does, is fine).")
    context = render_inputs(p=p, y=y) + "\np lies within 1e-6 to 1e-3 of 0 or 1."
    assert_close(grad, expected_grad, "bce_loss(...) gradient at p near 0 and 1", tol="gradient",
                 known={clip_slip: clipped_grad}, context=context)
    try:
        assert_scalar_close(loss, expected, "bce_loss(...) loss at p near 0 and 1", batch_size=SHAPE[0],
                            size=p.size, context=context)
    except CheckFailed as failure:
        if abs(loss - clipped_loss) <= 1e-8 * abs(clipped_loss):
            failure.slip = clip_slip
        raise


# ------------------------------------------------------------------ the generator


def _activation_args(name):
    def make(rng):
        kinks, span = ACTIVATIONS[name.replace("_backward", "")]
        z = away_from(rng, SHAPE, -span, span, kinks)
        return (rng.standard_normal(SHAPE), z) if name.endswith("_backward") else (z,)
    return make


def yield_checks(options: dict):
    """Every check of numpy_basics, in the order of the contract."""
    for name in ACTIVATIONS:
        yield Check(f"{name}: values on random inputs", partial(check_activation_values, name=name),
                    kind=Kind.VALUE)
        if name != "tanh":
            yield Check(f"{name}: non-decreasing", partial(check_activation_monotone, name=name),
                        kind=Kind.PROPERTY)
        yield Check(f"{name}: leaves its input unchanged",
                    partial(check_inputs_not_modified, name=name, make_args=_activation_args(name)),
                    points=0.5, kind=Kind.PROPERTY)
        back = f"{name}_backward"
        yield Check(f"{back}: gradient check", partial(check_activation_backward_gradient, name=name),
                    points=2, kind=Kind.GRADIENT)
        yield Check(f"{back}: scales with dout", partial(check_activation_backward_chain_rule, name=name),
                    kind=Kind.VALUE)
        yield Check(f"{back}: leaves its inputs unchanged",
                    partial(check_inputs_not_modified, name=back, make_args=_activation_args(back)),
                    points=0.5, kind=Kind.PROPERTY)
    for name in ACTIVATIONS:
        yield Check(f"{name}: finite and exact at |z| = 1e3",
                    partial(check_activation_finite_large_inputs, name=name), kind=Kind.VALUE)
    yield Check("sigmoid: symmetric, sigmoid(-z) = 1 - sigmoid(z)", check_sigmoid_symmetry_and_range,
                kind=Kind.PROPERTY)
    yield Check("softmax: values on random inputs", check_softmax_values)
    yield Check("softmax: rows sum to 1 and ignore a constant shift",
                check_softmax_rows_sum_to_one_and_shift_invariant, kind=Kind.PROPERTY)
    yield Check("softmax: finite at logits of magnitude 1e3", check_softmax_finite_large_logits)
    yield Check("softmax: leaves its input unchanged",
                partial(check_inputs_not_modified, name="softmax",
                        make_args=lambda rng: (rng.normal(0, 3, SHAPE),)),
                points=0.5, kind=Kind.PROPERTY)
    for name in LOSSES:
        yield Check(f"{name}: loss value", partial(check_loss_value, name=name))
        yield Check(f"{name}: gradient check", partial(check_loss_gradient, name=name), points=2,
                    kind=Kind.GRADIENT)
        if name != "mse_loss":
            yield Check(f"{name}: finite at saturated inputs",
                        partial(check_loss_finite_saturated, name=name))
        if name == "bce_loss":
            yield Check("bce_loss: loss and gradient at p within 1e-6 to 1e-3 of 0 and 1", check_bce_near_zero_and_one)
        yield Check(f"{name}: leaves its inputs unchanged",
                    partial(check_inputs_not_modified, name=name,
                            make_args=partial(_unchanged_inputs, name)),
                    points=0.5, kind=Kind.PROPERTY)
    yield Check("mse_loss: zero at the target, never negative",
                partial(check_loss_minimal_at_target, name="mse_loss"), kind=Kind.PROPERTY)
    yield Check("bce_loss: never negative",
                partial(check_loss_minimal_at_target, name="bce_loss"), kind=Kind.PROPERTY)
