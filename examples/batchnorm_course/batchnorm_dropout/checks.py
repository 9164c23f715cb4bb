"""The checks of `batchnorm_dropout`, one `check_<function>_<property>` per check.

Inputs are drawn by the grader (each check's `ctx.rng` is seeded by its name), the
submission is called in its sandbox, and what comes back is compared in the grader's
process with the reference's values on the same inputs; backward passes are checked
against central differences of the reference's forward pass. Batch normalisation and
dropout have no kinks (the variance is kept well away from 0), so every input is fair.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import (
    Check,
    CheckFailed,
    Kind,
    Visibility,
    assert_close,
    assert_gradient,
    check_property,
    expect_array,
    expect_sequence,
    floats_array,
    inputs_unchanged_check,
    matrix_shapes,
    render_inputs,
    strategies,
)

from . import reference as ref

CONTRACT = ("batchnorm_forward", "batchnorm_backward", "dropout_forward", "dropout_backward")
N, D = 8, 5
BATCHNORM = ("batchnorm_forward", "batchnorm_backward")
DROPOUT = ("dropout_forward", "dropout_backward")


# ------------------------------------------------------------------ inputs


def batch(rng):
    """x with a mean and a spread of its own per feature (so a slip in either shows), gamma
    and beta away from 1 and 0 (so a forgotten scale or shift shows)."""
    x = rng.normal(rng.uniform(-3, 3, D), rng.uniform(0.5, 3, D), (N, D))
    return x, rng.uniform(0.5, 2.0, D), rng.normal(0, 1, D)


def bn_param(rng, mode="train"):
    return {"mode": mode, "eps": 1e-5, "momentum": 0.9,
            "running_mean": rng.normal(0, 1, D), "running_var": rng.uniform(0.5, 2.0, D)}


def copied(param: dict) -> dict:
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in param.items()}


def call_forward(ctx, name, *args):
    """(out, cache) of a forward pass, out validated to the shape of its input."""
    out, cache = expect_sequence(ctx.call(name, *args), f"{name}(...)", 2)
    return expect_array(out, f"{name}(...) out", args[0].shape), cache


# ------------------------------------------------------------------ batchnorm_forward


def known_batchnorm_slips(x, gamma, beta, eps):
    """The wrong forward passes students write most often, on (x, gamma, beta)."""
    mu, var = x.mean(axis=0), x.var(axis=0)
    return {
        "the unbiased variance (ddof=1): batch normalisation divides by N, not N - 1":
            gamma * (x - mu) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta,
        "eps added to the standard deviation instead of the variance: sqrt(var + eps)":
            gamma * (x - mu) / (np.sqrt(var) + eps) + beta,
        "normalised over the features (axis=1) instead of the batch (axis=0)":
            gamma * (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps) + beta,
    }


def check_batchnorm_forward_train_values(ctx):
    x, gamma, beta = batch(ctx.rng)
    param = bn_param(ctx.rng)
    out, _ = call_forward(ctx, "batchnorm_forward", x, gamma, beta, param)
    expected, _ = ref.batchnorm_forward(x, gamma, beta, copied(param))
    assert_close(out, expected, "batchnorm_forward(x, gamma, beta, bn_param) in train mode",
                 known=known_batchnorm_slips(x, gamma, beta, param["eps"]),
                 context=render_inputs(x=x, gamma=gamma, beta=beta))


def check_batchnorm_forward_running_averages(ctx):
    x, gamma, beta = batch(ctx.rng)
    param = bn_param(ctx.rng)
    _, args_after, _ = ctx.call_echo("batchnorm_forward", x, gamma, beta, param)
    after = args_after[3] if len(args_after) > 3 and isinstance(args_after[3], dict) else {}
    expected = copied(param)
    ref.batchnorm_forward(x, gamma, beta, expected)
    mu, var = x.mean(axis=0), x.var(axis=0)
    for key, stat in (("running_mean", mu), ("running_var", var)):
        if key not in after:
            raise CheckFailed(f"bn_param has no {key!r} after a train-mode call.",
                              slip="the running averages must be stored back into bn_param.")
        got = expect_array(after[key], f"bn_param[{key!r}] after a train-mode call", (D,))
        old = param[key]
        assert_close(got, expected[key], f"bn_param[{key!r}] after one train-mode call",
                     known={"the momentum on the wrong term: (1 - momentum) * running + momentum * batch":
                            0.1 * old + 0.9 * stat,
                            "the running average never updated (not stored back into bn_param)": old,
                            "the batch's statistic stored instead of the running average": stat},
                     context=render_inputs(x=x, **{key: old}) + "; momentum = 0.9")


def check_batchnorm_forward_defaults(ctx):
    """bn_param holding only the mode: eps 1e-5, momentum 0.9, running averages starting at
    zeros and ones, stored into bn_param."""
    x, gamma, beta = batch(ctx.rng)
    value, args_after, _ = ctx.call_echo("batchnorm_forward", x, gamma, beta, {"mode": "train"})
    out, _ = expect_sequence(value, "batchnorm_forward(...)", 2)
    expected_param = {"mode": "train"}
    expected, _ = ref.batchnorm_forward(x, gamma, beta, expected_param)
    context = render_inputs(x=x, gamma=gamma, beta=beta) + '; bn_param = {"mode": "train"}'
    assert_close(expect_array(out, "batchnorm_forward(...) out", (N, D)), expected,
                 "batchnorm_forward(x, gamma, beta, {'mode': 'train'})", context=context)
    after = args_after[3] if len(args_after) > 3 and isinstance(args_after[3], dict) else {}
    for key in ("running_mean", "running_var"):
        if key not in after:
            raise CheckFailed(f"bn_param has no {key!r} after a train-mode call that did not give one.",
                              slip="the running averages start at zeros (mean) and ones (variance) and must be "
                                   "stored into bn_param.")
        got = expect_array(after[key], f"bn_param[{key!r}] after a train-mode call", (D,))
        assert_close(got, expected_param[key], f"bn_param[{key!r}] from its default after one train-mode call",
                     context=context)


def check_batchnorm_forward_test_values(ctx):
    x, gamma, beta = batch(ctx.rng)
    param = bn_param(ctx.rng, mode="test")
    out, _ = call_forward(ctx, "batchnorm_forward", x, gamma, beta, param)
    expected, _ = ref.batchnorm_forward(x, gamma, beta, copied(param))
    train_like, _ = ref.batchnorm_forward(x, gamma, beta, copied({**param, "mode": "train"}))
    assert_close(out, expected, "batchnorm_forward(x, gamma, beta, bn_param) in test mode",
                 known={"the batch's own mean and variance used in test mode instead of the running "
                        "averages": train_like},
                 context=render_inputs(x=x, running_mean=param["running_mean"],
                                       running_var=param["running_var"]))


def check_batchnorm_forward_normalises_each_feature(ctx):
    """With gamma = 1 and beta = 0, each feature of the output has mean 0 and variance
    var / (var + eps), var being that feature's (biased) variance in x."""
    eps = 1e-5

    def prop(x):
        d = x.shape[1]
        param = {"mode": "train", "eps": eps, "momentum": 0.9, "running_mean": np.zeros(d),
                 "running_var": np.ones(d)}
        out, _ = call_forward(ctx, "batchnorm_forward", x, np.ones(d), np.zeros(d), param)
        var = x.var(axis=0)
        mean_err = float(np.max(np.abs(out.mean(axis=0))))
        if not mean_err <= 1e-8:
            raise CheckFailed("a feature of the output does not have mean 0 (gamma = 1, beta = 0).",
                              expected="0 per feature", got=f"means {out.mean(axis=0)}")
        assert_close(out.var(axis=0), var / (var + eps), "the variance of each output feature",
                     tol="loss", context="gamma = 1, beta = 0; expected var / (var + eps) per feature")

    check_property(prop, floats_array(matrix_shapes(8, 5), -10.0, 10.0))


# ------------------------------------------------------------------ batchnorm_backward


def batchnorm_gradients(ctx):
    """The inputs, the submission's (dx, dgamma, dbeta), and the loss sum(dout * out) of the
    reference's forward pass."""
    x, gamma, beta = batch(ctx.rng)
    param = bn_param(ctx.rng)
    dout = ctx.rng.standard_normal((N, D))
    _, cache = call_forward(ctx, "batchnorm_forward", x, gamma, beta, param)
    grads = expect_sequence(ctx.call("batchnorm_backward", dout, cache), "batchnorm_backward(dout, cache)", 3)
    dx = expect_array(grads[0], "batchnorm_backward(...) dx", (N, D))
    dgamma = expect_array(grads[1], "batchnorm_backward(...) dgamma", (D,))
    dbeta = expect_array(grads[2], "batchnorm_backward(...) dbeta", (D,))

    def loss(p):
        out, _ = ref.batchnorm_forward(p["x"], p["gamma"], p["beta"], copied(param))
        return float(np.sum(dout * out))

    params = {"x": x, "gamma": gamma, "beta": beta}
    return params, dout, (dx, dgamma, dbeta), loss


def check_batchnorm_backward_dx(ctx):
    params, dout, (dx, _, _), loss = batchnorm_gradients(ctx)
    x, gamma = params["x"], params["gamma"]
    std = np.sqrt(x.var(axis=0) + 1e-5)
    assert_gradient(loss, params, "x", dx, "batchnorm_backward(dout, cache)", rng=ctx.rng, batch_size=N,
                    context=render_inputs(x=x, gamma=gamma, dout=dout),
                    known={"dout * gamma / std alone: the batch's mean and variance depend on x too, "
                           "and their two terms are missing": dout * gamma / std})


def check_batchnorm_backward_dgamma_dbeta(ctx):
    params, dout, (_, dgamma, dbeta), loss = batchnorm_gradients(ctx)
    for key, grad in (("gamma", dgamma), ("beta", dbeta)):
        assert_gradient(loss, params, key, grad, "batchnorm_backward(dout, cache)", rng=ctx.rng, batch_size=N,
                        context=render_inputs(dout=dout))


# ------------------------------------------------------------------ dropout


def dropout_input(rng, shape=(6, 7)):
    return rng.normal(0, 2, shape), {"p": float(rng.uniform(0.3, 0.8)), "mode": "train",
                                     "seed": int(rng.integers(0, 2**31))}


def check_dropout_forward_train_values(ctx):
    x, param = dropout_input(ctx.rng)
    out, _ = call_forward(ctx, "dropout_forward", x, param)
    expected, _ = ref.dropout_forward(x, dict(param))
    draw = np.random.default_rng(param["seed"]).random(x.shape)
    p = param["p"]
    assert_close(out, expected, "dropout_forward(x, dropout_param) in train mode",
                 known={"the kept units are not scaled by 1 / p (inverted dropout scales while training)":
                        x * (draw < p),
                        "p taken as the probability of dropping a unit; the contract's p is the "
                        "probability of keeping it": x * (draw >= p) / (1 - p),
                        "the kept units multiplied by p instead of divided by it": x * (draw < p) * p},
                 context=render_inputs(x=x) + f"; p = {p:.6g}, seed = {param['seed']}")


def check_dropout_forward_test_identity(ctx):
    x, param = dropout_input(ctx.rng)
    param["mode"] = "test"
    out, _ = call_forward(ctx, "dropout_forward", x, param)
    p = param["p"]
    assert_close(out, x, "dropout_forward(x, dropout_param) in test mode",
                 known={"scaled by p at test time: inverted dropout scales while training only": x * p,
                        "scaled by 1 / p at test time: inverted dropout scales while training only": x / p},
                 context=render_inputs(x=x) + f"; p = {p:.6g}")


def check_dropout_forward_outputs_zero_or_scaled(ctx):
    """In train mode every output is 0 (dropped) or x / p (kept, scaled)."""
    def prop(x, p, seed):
        out, _ = call_forward(ctx, "dropout_forward", x, {"p": p, "mode": "train", "seed": seed})
        scaled = x / p
        bad = ~((out == 0) | np.isclose(out, scaled, rtol=1e-12, atol=0.0))
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise CheckFailed("an output of dropout in train mode is neither 0 nor x / p.",
                              expected=f"0 or {scaled[index]:.8g}", got=f"{out[index]:.8g}",
                              where=f"index {index}")

    check_property(prop, floats_array(matrix_shapes(), -10.0, 10.0), strategies.floats(0.1, 1.0),
                   strategies.integers(0, 2**31 - 1))


def check_dropout_forward_keep_all_is_identity(ctx):
    """p = 1 keeps every unit: train mode returns x itself."""
    def prop(x, seed):
        out, _ = call_forward(ctx, "dropout_forward", x, {"p": 1.0, "mode": "train", "seed": seed})
        assert_close(out, x, "dropout_forward(x, {p: 1, mode: train})", tol="exact")

    check_property(prop, floats_array(matrix_shapes(), -10.0, 10.0), strategies.integers(0, 2**31 - 1))


def check_dropout_backward_gradient(ctx):
    x, param = dropout_input(ctx.rng)
    dout = ctx.rng.standard_normal(x.shape)
    _, cache = call_forward(ctx, "dropout_forward", x, param)
    dx = expect_array(ctx.call("dropout_backward", dout, cache), "dropout_backward(dout, cache)", x.shape)
    keep = np.random.default_rng(param["seed"]).random(x.shape) < param["p"]
    assert_gradient(lambda p: float(np.sum(dout * ref.dropout_forward(p["x"], dict(param))[0])), {"x": x}, "x",
                    dx, "dropout_backward(dout, cache)", rng=ctx.rng, context=render_inputs(dout=dout),
                    known={"the mask without the 1 / p scale": dout * keep,
                           "dout / p everywhere: the mask is missing": dout / param["p"]})


def check_dropout_backward_test_mode(ctx):
    x, param = dropout_input(ctx.rng)
    param["mode"] = "test"
    dout = ctx.rng.standard_normal(x.shape)
    _, cache = call_forward(ctx, "dropout_forward", x, param)
    dx = expect_array(ctx.call("dropout_backward", dout, cache), "dropout_backward(dout, cache) in test mode",
                      x.shape)
    assert_close(dx, dout, "dropout_backward(dout, cache) in test mode", context=render_inputs(dout=dout))


# ------------------------------------------------------------------ inputs left unchanged


def batchnorm_args(ctx):
    x, gamma, beta = batch(ctx.rng)
    return x, gamma, beta, bn_param(ctx.rng)


def batchnorm_backward_args(ctx):
    x, gamma, beta, param = batchnorm_args(ctx)
    _, cache = call_forward(ctx, "batchnorm_forward", x, gamma, beta, param)
    return ctx.rng.standard_normal((N, D)), cache


def dropout_args(ctx):
    return dropout_input(ctx.rng)


def dropout_backward_args(ctx):
    x, param = dropout_input(ctx.rng)
    _, cache = call_forward(ctx, "dropout_forward", x, param)
    return ctx.rng.standard_normal(x.shape), cache


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of batchnorm_dropout, in the order of the contract."""
    yield Check("batchnorm_forward: train-mode values on random inputs", check_batchnorm_forward_train_values)
    yield Check("batchnorm_forward: running averages after one train-mode call",
                check_batchnorm_forward_running_averages)
    yield Check("batchnorm_forward: test mode uses the running averages", check_batchnorm_forward_test_values)
    # hidden until the grades are released: the self-check does not run it
    yield Check("batchnorm_forward: eps, momentum and running averages default as the contract says",
                check_batchnorm_forward_defaults, visibility=Visibility.AFTER_DUE_DATE)
    yield Check("batchnorm_forward: each feature normalised to mean 0 and variance var / (var + eps)",
                check_batchnorm_forward_normalises_each_feature, kind=Kind.PROPERTY)
    yield inputs_unchanged_check("batchnorm_forward", batchnorm_args, ("x", "gamma", "beta", None))
    yield Check("batchnorm_backward: gradient check of dx", check_batchnorm_backward_dx, points=2,
                kind=Kind.GRADIENT, needs=BATCHNORM)
    yield Check("batchnorm_backward: gradient check of dgamma and dbeta", check_batchnorm_backward_dgamma_dbeta,
                points=2, kind=Kind.GRADIENT, needs=BATCHNORM)
    yield inputs_unchanged_check("batchnorm_backward", batchnorm_backward_args, ("dout", None), needs=BATCHNORM)
    yield Check("dropout_forward: train-mode values for the contract's draw", check_dropout_forward_train_values)
    yield Check("dropout_forward: test mode is the identity", check_dropout_forward_test_identity)
    yield Check("dropout_forward: every train-mode output is 0 or x / p",
                check_dropout_forward_outputs_zero_or_scaled, kind=Kind.PROPERTY)
    yield Check("dropout_forward: p = 1 keeps every unit unchanged", check_dropout_forward_keep_all_is_identity,
                kind=Kind.PROPERTY)
    yield inputs_unchanged_check("dropout_forward", dropout_args, ("x", "dropout_param"))
    yield Check("dropout_backward: gradient check", check_dropout_backward_gradient, points=2,
                kind=Kind.GRADIENT, needs=DROPOUT)
    yield Check("dropout_backward: test mode passes dout through", check_dropout_backward_test_mode,
                needs=DROPOUT)
    yield inputs_unchanged_check("dropout_backward", dropout_backward_args, ("dout", None), needs=DROPOUT)
