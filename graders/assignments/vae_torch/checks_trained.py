"""The trained check of `vae_torch`.

`task_train_vae` trains on a secret subset at a secret seed (Adam at the calibrated
settings) and returns the state_dict; encode and decode run in fresh sandboxes and the
grader computes the held-out negative ELBO with the contract's formula (`trained_runs.py`),
compared with the calibrated bound of the check's declaration (`ctx.check.threshold`, see
thresholds.py) for the data set of the grade (`--data digits` or `mnist:PATH`), with
pictures of the latent space and of a decoded scan of the latent plane.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.vae_torch.trained_runs import Reach, measure
from graders.engine import evaluation
from graders.engine.checks import CheckFailed, Picture
from graders.engine.compare import fmt
from graders.engine.data_option import grade_dataset
from graders.engine.task_calls import run_task
from graders.engine.trained_checks import CalibrationError


def data_and_threshold(ctx):
    """(data, Threshold) for the grade's data set (option "data": "digits" or "mnist:PATH"), from
    the check's declaration."""
    declared = ctx.check.threshold
    _, name, data = grade_dataset(ctx, declared.data)
    try:
        t = declared.for_dataset(name)
    except CalibrationError as exc:
        raise CheckFailed(
            f"not graded: the grader has no calibrated bound for the data set {name!r} (a setting of the grade, "
            "not your code).",
            slip=f"for the instructor: {exc} (it retrains the reference over 5 course-secret draws on this data "
                 f"and writes the bound into the assignment's thresholds.json).",
        ) from None
    return data, t


def attach_pictures(ctx, r: dict, data: dict, n_latent: int) -> None:
    """The latent space coloured by digit label, the decoded scan of the latent plane, and
    held-out inputs beside their reconstructions (never fails the check)."""
    try:
        if n_latent == 2:
            mu = np.asarray(r["latent_mu"], dtype=np.float64)
            ctx.attach("your latent space: the held-out images' mu, coloured by digit label (0 blue, 1 orange, "
                       "2 green, 3 red, 4 purple, 5 brown, 6 pink, 7 grey, 8 olive, 9 cyan)",
                       Picture("scatter", data={"points": mu, "labels": r["latent_labels"][: len(mu)],
                                                           "title": "mu of the held-out images (colour: label)"}))
            grid = np.asarray(r["grid"], dtype=np.float64)
            side = int(round(np.sqrt(len(grid))))
            if side * side == len(grid) and side:
                ctx.attach(f"decoded from a regular {side} x {side} scan of the latent plane "
                           "(standard normal quantiles 0.05 to 0.95)",
                           Picture("image_grid", data={"rows": [grid[i * side:(i + 1) * side] for i in range(side)],
                                                       "scale": 4}))
        ctx.attach("held-out images (top) and your reconstructions from mu (bottom)",
                   Picture("image_grid", data={"rows": [np.asarray(r["inputs"], dtype=np.float64),
                                                        np.asarray(r["reconstructions"], dtype=np.float64)],
                                               "labels": ["input", "yours"], "scale": 4}))
    except (ValueError, TypeError, KeyError):  # a picture must never cost the check
        pass


def sandbox_reach(ctx) -> Reach:
    """Training in the grade's sandbox, each evaluation call in a fresh sandbox."""
    return Reach(train=lambda task, kwargs: run_task(ctx, task, "training VAE with vae_loss", **kwargs),
                 apply=lambda class_name, state, method, inputs, args: evaluation.apply(
                     ctx, class_name, state, method, inputs, args=args))


def check_vae_trained(ctx):
    data, t = data_and_threshold(ctx)
    settings = dict(t.settings)
    r = measure(ctx.check.threshold.task, settings, data, ctx.session.secret, sandbox_reach(ctx))
    attach_pictures(ctx, r, data, int(settings.get("n_latent", 2)))
    value = float(r["test_excess"])
    loss, bce, kl, floor = (float(r[k]) for k in ("test_loss", "test_bce", "test_kl", "entropy_floor"))
    cpu = r["cpu_s"]
    summary = (f"held-out negative ELBO {loss:.4g} nats per image (BCE {bce:.4g} + KL {kl:.4g}), entropy floor "
               f"{floor:.4g}, so {value:.4g} above the floor" + (f"; {cpu:.1f} s CPU of training" if cpu == cpu else ""))
    n_heldout = len(data["x_test"])
    setup = (f"Setup: VAE({data['x_train'].shape[1]}, {settings.get('n_latent')}) trained with Adam (lr "
             f"{settings.get('lr')}) on your vae_loss(*model(x), ...) for {settings.get('epochs')} epochs, batch "
             f"size {settings.get('batch_size')}, {len(data['x_train'])} training images of {data['name']} (a "
             f"subset drawn with the course secret, as is the seed). The held-out loss is computed by the grader "
             f"with the contract's formula (BCE summed over the pixels + KL, z = mu + exp(logvar / 2) * eps with "
             f"the grader's eps) from your encode and decode, run in separate processes, on {n_heldout} held-out "
             "images; the entropy floor is the BCE of a perfect x_hat = x on grey-level images.")
    if t.passes(value):
        return f"{summary}. Passed: {t.describe()}."
    history = np.asarray(r["history"], dtype=np.float64)
    slip = ("check the reparameterize, kl_divergence and vae_loss checks first; if they pass, the architecture: "
            "mu and logvar are plain linear heads (an activation such as softplus or ReLU on them confines the "
            "codes: logvar may be negative, mu any real number).")
    if not np.isfinite(value) or not np.all(np.isfinite(history)):
        slip = ("training diverged (NaN or inf): a KL with the wrong sign rewards ever larger variances; see the "
                "kl_divergence checks.")
    elif kl < 0.05:
        slip = (f"the posterior collapsed to the prior (KL {kl:.3g} nats, about 0): the decoder ignores z and "
                "draws the average digit. Typical when the BCE is averaged over the pixels instead of summed, "
                "which makes the KL term dominate (see the vae_loss check).")
    elif len(history) > 1 and history[-1] >= history[0]:
        slip = "the training loss did not go down: the loss is not what the optimiser should minimise."
    raise CheckFailed(
        f"the trained VAE's held-out loss is above the calibrated bound ({summary}).",
        expected=t.describe(), got=f"{value:.4g} nats above the entropy floor",
        diff=f"{value - t.bound:+.4g} nats from the bound; a model that ignores its input scores about 13.4 on "
             f"the digits" if data["name"] == "digits" else f"{value - t.bound:+.4g} nats from the bound",
        slip=slip, details=setup + f"\nTraining loss per epoch: {fmt(history)}")
