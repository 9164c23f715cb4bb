"""The inputs-unchanged checks of `sparse_autoencoder`: no function modifies what the caller
passed (the contract says "in place" nowhere here). The slips: weighting the colour channels
in place (`rgb *= weights` where `np.asarray` returned the caller's own array), scaling the
images to [0, 1] in place before cutting patches, a weight-decay gradient written into the
caller's W (`W *= lam`), shuffling the caller's X before training. (normalize_patches has its
own check in checks_normalize.py.)
"""

from __future__ import annotations

from graders.engine.common import inputs_unchanged_check

N_VISIBLE, N_HIDDEN = 9, 4


def _to_grayscale_args(ctx):
    return (ctx.rng.uniform(0.0, 1.0, size=(2, 4, 5, 3)),)


def _sample_patches_args(ctx):
    return ctx.rng.uniform(0.0, 1.0, size=(3, 6, 7)), 3, 5, 0


def _cost_args(ctx):
    params = {"W": ctx.rng.uniform(-0.5, 0.5, size=(N_VISIBLE, N_HIDDEN)),
              "b_h": ctx.rng.normal(0.0, 0.1, N_HIDDEN), "b_v": ctx.rng.normal(0.0, 0.1, N_VISIBLE)}
    return params, ctx.rng.uniform(0.1, 0.9, size=(6, N_VISIBLE)), 0.05, 3.0, 1e-3


def _train_args(ctx):
    return ctx.rng.uniform(0.1, 0.9, size=(6, N_VISIBLE)), N_HIDDEN, 0.05, 3.0, 1e-3, 0.01, 2, 0


def yield_inputs_checks():
    """One small check per function: the caller's arrays are as they were after the call."""
    yield inputs_unchanged_check("to_grayscale", _to_grayscale_args, ("images",))
    yield inputs_unchanged_check("sample_patches", _sample_patches_args, ("images", None, None, None))
    yield inputs_unchanged_check("cost", _cost_args, ("params", "X", None, None, None))
    yield inputs_unchanged_check("train", _train_args, ("X",) + (None,) * 7)
