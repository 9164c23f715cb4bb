"""The checks of `sparse_autoencoder`, one `check_<function>_<property>` per check, and the generator.

The data pipeline (`to_grayscale`, `sample_patches`, `normalize_patches`) is checked by
value where the contract fixes the values and by properties where it does not (which
random patches a seed gives is the submission's choice). `cost` is checked term by term:
its value and its gradient with every term on, and with each term alone (beta = 0,
lam = 0 for the reconstruction; differences of two calls for weight decay and sparsity),
so the feedback names the wrong term; the tied weight's gradient has a check of its own.
Numerical gradients always come from the REFERENCE cost in the grader's process.

`train` is a trained-model check: the grader builds the patches with the reference
pipeline, sends them to the submission's `train`, and measures the REFERENCE cost of the
returned parameters on held-out patches against the calibrated bound in `thresholds.py`.

- `to_grayscale`, `init_params`: here;
- `sample_patches`: checks_sample_patches.py; `normalize_patches`: checks_normalize.py;
- `cost`: checks_cost_values.py and checks_cost_gradients.py, with the shared problems
  in cost_problems.py;
- `train`: checks_train.py;
- the caller's arrays are left unchanged (to_grayscale, sample_patches, cost, train): checks_inputs.py.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.sparse_autoencoder import checks_adam
from graders.assignments.sparse_autoencoder.checks_inputs import yield_inputs_checks
from graders.assignments.sparse_autoencoder.checks_cost_gradients import (
    check_cost_gradient_all_terms,
    check_cost_gradient_reconstruction,
    check_cost_gradient_sparsity,
    check_cost_gradient_weight_decay,
    check_cost_tied_weight,
)
from graders.assignments.sparse_autoencoder.checks_cost_values import (
    check_cost_kl_zero_at_target,
    check_cost_value_all_terms,
    check_cost_value_reconstruction,
    check_cost_value_sparsity,
    check_cost_value_weight_decay,
)
from graders.assignments.sparse_autoencoder.checks_normalize import (
    check_normalize_centring,
    check_normalize_mapping,
    check_normalize_range,
    check_normalize_unchanged,
    check_normalize_values,
)
from graders.assignments.sparse_autoencoder.checks_sample_patches import (
    check_sample_patches_blocks,
    check_sample_patches_every_position,
    check_sample_patches_reproducible,
)
from graders.assignments.sparse_autoencoder.checks_train import TRAIN_TIMEOUT_S, check_train_held_out
from graders.assignments.sparse_autoencoder.thresholds import CHECK as TRAIN_CHECK
from graders.assignments.sparse_autoencoder.thresholds import declared
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.compare import assert_close, fmt
from reference.numpy import sparse_autoencoder as ref

CONTRACT = ("to_grayscale", "sample_patches", "normalize_patches", "init_params", "cost", "train")


# ------------------------------------------------------------------ to_grayscale


def check_to_grayscale_values(ctx):
    """uint8 and float images against 0.2126 R + 0.7152 G + 0.0722 B."""
    images = ctx.rng.integers(0, 256, size=(2, 5, 6, 3), dtype=np.uint8)
    # pure red, green and blue pixels in the first row make the weights readable in feedback
    images[0, 0, :3] = 0
    for channel in range(3):
        images[0, 0, channel, channel] = 255
    for what, x in (("uint8 images", images), ("float images in [0, 1]", images / 255.0)):
        got = expect.array(ctx.call("to_grayscale", x), f"to_grayscale({what})", x.shape[:-1])
        f = x.astype(np.float64)
        expected = ref.to_grayscale(x)
        known = {
            "the plain mean of R, G and B: the contract weights them by luminance, "
            "0.2126 R + 0.7152 G + 0.0722 B": f.mean(axis=-1),
            "the weights applied in the order B, G, R (OpenCV's channel order); the images "
            "here are RGB": f[..., ::-1] @ np.array(ref.LUMINANCE),
            "the older Rec. 601 weights 0.299 R + 0.587 G + 0.114 B; the contract uses "
            "0.2126, 0.7152, 0.0722": f @ np.array([0.299, 0.587, 0.114]),
        }
        pure = got[0, 0, :3] / (255.0 if x.dtype == np.uint8 else 1.0)
        assert_close(got, expected, f"to_grayscale({what})", known=known,
                     context=f"A pure red, green and blue pixel gave {fmt(pure)}; expected "
                             f"{fmt(np.array(ref.LUMINANCE))} (times 255 for uint8 input).")


# ------------------------------------------------------------------ init_params


def _call_init(ctx, n_visible, n_hidden, seed):
    out = ctx.call("init_params", n_visible, n_hidden, seed)
    return expect.array_dict(out, f"init_params({n_visible}, {n_hidden}, seed={seed})",
                             {"W": (n_visible, n_hidden), "b_h": (n_hidden,), "b_v": (n_visible,)})


def check_init_params_range(ctx):
    nv, nh = 64, 25
    p = _call_init(ctx, nv, nh, 3)
    r = np.sqrt(6.0 / (nv + nh + 1))
    W = p["W"]
    if np.any(p["b_h"] != 0) or np.any(p["b_v"] != 0):
        raise CheckFailed("The biases must start at zero.", expected="b_h = 0 and b_v = 0",
                          got=f"max |b_h| {np.abs(p['b_h']).max():.4g}, max |b_v| {np.abs(p['b_v']).max():.4g}")
    lo, hi, mean = float(W.min()), float(W.max()), float(W.mean())
    # 5% slack: r without the "+ 1" (Glorot's sqrt(6 / (fan_in + fan_out))) is 0.6% larger, and fine
    if lo < -1.05 * r or hi > 1.05 * r or lo > -0.8 * r or hi < 0.8 * r or abs(mean) > 0.15 * r:
        slip = None
        if lo >= 0:
            slip = "every weight is positive: Uniform(0, r) instead of Uniform(-r, r)."
        elif hi > 1.05 * r or lo < -1.05 * r:
            slip = "weights beyond r: a normal distribution, or a wrong r (the formula has n_visible + n_hidden + 1)."
        elif hi < 0.8 * r or lo > -0.8 * r:
            slip = "the weights are too small: r = sqrt(6 / (n_visible + n_hidden + 1)), not a smaller scale."
        raise CheckFailed(
            "W is not drawn from Uniform(-r, r), r = sqrt(6 / (n_visible + n_hidden + 1)).",
            expected=f"values spread over [-{r:.4g}, {r:.4g}] with mean about 0",
            got=f"min {lo:.4g}, max {hi:.4g}, mean {mean:.4g}", slip=slip)


def check_init_params_reproducible(ctx):
    a = _call_init(ctx, 10, 4, 7)
    b = _call_init(ctx, 10, 4, 7)
    c = _call_init(ctx, 10, 4, 8)
    if not np.array_equal(a["W"], b["W"]):
        raise CheckFailed("init_params with the same seed gave different W.",
                          expected="identical W for seed=7, called twice", got="different W",
                          slip="use rng = np.random.default_rng(seed) for every random draw.")
    if np.array_equal(a["W"], c["W"]):
        raise CheckFailed("init_params gave the same W for seed=7 and seed=8.",
                          slip="the seed argument is ignored.")


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of sparse_autoencoder, in the order of the contract."""
    yield Check("to_grayscale: luminance weights 0.2126 R + 0.7152 G + 0.0722 B", check_to_grayscale_values)
    yield Check("sample_patches: every patch is a contiguous row-major block of one image",
                check_sample_patches_blocks, points=2, kind=Kind.PROPERTY)
    yield Check("sample_patches: every image and every position can be drawn",
                check_sample_patches_every_position, kind=Kind.PROPERTY)
    yield Check("sample_patches: reproducible with the seed, different seeds differ",
                check_sample_patches_reproducible, kind=Kind.PROPERTY)
    yield Check("normalize_patches: values on random patches", check_normalize_values)
    yield Check("normalize_patches: values lie in [0.1, 0.9]", check_normalize_range, kind=Kind.PROPERTY)
    yield Check("normalize_patches: each patch's own mean is removed", check_normalize_centring,
                kind=Kind.PROPERTY)
    yield Check("normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9",
                check_normalize_mapping)
    yield Check("normalize_patches: leaves its input unchanged", check_normalize_unchanged, points=0.5,
                kind=Kind.PROPERTY)
    yield Check("init_params: zero biases, W uniform in [-r, r]", check_init_params_range,
                kind=Kind.PROPERTY)
    yield Check("init_params: reproducible with the seed", check_init_params_reproducible, points=0.5,
                kind=Kind.PROPERTY)
    yield Check("cost: J with every term on", check_cost_value_all_terms)
    yield Check("cost: reconstruction term of J (beta = 0, lam = 0)", check_cost_value_reconstruction)
    yield Check("cost: weight-decay term of J", check_cost_value_weight_decay, points=0.5)
    yield Check("cost: sparsity (KL) term of J", check_cost_value_sparsity)
    yield Check("cost: KL term is 0 when rho_hat = rho, positive otherwise", check_cost_kl_zero_at_target,
                kind=Kind.PROPERTY)
    yield Check("cost: gradient check with every term on", check_cost_gradient_all_terms, points=2,
                kind=Kind.GRADIENT)
    yield Check("cost: gradient of the reconstruction term alone (beta = 0, lam = 0)",
                check_cost_gradient_reconstruction, points=1.5, kind=Kind.GRADIENT)
    yield Check("cost: gradient of the weight-decay term alone", check_cost_gradient_weight_decay,
                kind=Kind.GRADIENT)
    yield Check("cost: gradient of the sparsity (KL) term alone", check_cost_gradient_sparsity, points=1.5,
                kind=Kind.GRADIENT)
    yield Check("cost: tied-weight gradient", check_cost_tied_weight, points=2, kind=Kind.GRADIENT)
    adam = ("train", "init_params", "cost")
    yield Check("train: one full-batch Adam step (epochs = 1) as the contract's formula",
                checks_adam.check_train_one_adam_step, needs=adam)
    yield Check("train: two Adam steps (epochs = 2): the moments carry over, t counts from 1",
                checks_adam.check_train_two_adam_steps, needs=adam)
    yield Check("train: Adam's eps is added to sqrt(v_hat) (a step with gradients of 1e-4 to 1e-3)",
                checks_adam.check_train_adam_eps_at_small_gradients, needs=adam)
    yield Check("train: history holds epochs costs, each before its step", checks_adam.check_train_history_one_cost_per_step,
                points=0.5, kind=Kind.PROPERTY, needs=adam)
    yield from yield_inputs_checks()
    yield Check(TRAIN_CHECK, check_train_held_out, points=4, kind=Kind.THRESHOLD,
                timeout_s=TRAIN_TIMEOUT_S, threshold=declared()[TRAIN_CHECK])
