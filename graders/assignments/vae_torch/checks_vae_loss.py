"""The check of `vae_loss`: the batch mean of (BCE summed over the features + KL), wrong
reductions named.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.vae_torch.problems import kl_closed_form
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_scalar_close, fmt
from graders.engine.task_calls import reply, run_task
from graders.sandbox.errors import StudentError


def _bce(p, y):
    """Elementwise BCE with PyTorch's clamp of each log at -100."""
    with np.errstate(divide="ignore"):
        return -(y * np.maximum(np.log(p), -100.0) + (1.0 - y) * np.maximum(np.log1p(-p), -100.0))


def _own_kl(ctx, mu, logvar):
    """The submission's kl_divergence(mu, logvar) as an (N,) array, or None if it fails."""
    try:
        r = ctx.task("kl_divergence", mu=mu, logvar=logvar)
        kl = np.asarray(r["kl"], dtype=np.float64)
    except (StudentError, KeyError, TypeError, ValueError):
        return None
    return kl if kl.shape == (len(mu),) else np.broadcast_to(kl, (len(mu),)) if kl.size == 1 else None


def check_vae_loss(ctx):
    n, d, latent = 4, 6, 2
    x_hat = ctx.rng.uniform(0.05, 0.95, (n, d))
    x = ctx.rng.uniform(0.0, 1.0, (n, d))
    x[0, :2] = (0.0, 1.0)  # binary pixels too
    mu = ctx.rng.normal(0.0, 1.0, (n, latent))
    logvar = ctx.rng.uniform(-1.5, 1.0, (n, latent))
    call = "vae_loss(x_hat, x, mu, logvar)"
    r = reply(run_task(ctx, "vae_loss", call, x_hat=x_hat, x=x, mu=mu, logvar=logvar), call, ("loss", "shape"))
    shape = [int(s) for s in r["shape"]]
    if shape not in ([], [1]):
        raise CheckFailed(
            f"{call} returned a tensor of shape {tuple(shape)}; expected a scalar.", expected="a scalar tensor",
            got=f"shape {tuple(shape)}",
            slip=("one loss per sample: take the mean over the batch." if shape == [n] else
                  "an elementwise loss: sum the BCE over the features, add the KL per sample, then average "
                  "over the batch." if shape == [n, d] else None))
    got = expect.scalar(r["loss"], call)
    bce = _bce(x_hat, x)
    kl = kl_closed_form(mu, logvar)
    expected = float(np.mean(bce.sum(axis=1) + kl))
    known = {
        "the BCE is averaged over the features (F.binary_cross_entropy's default reduction='mean') instead of "
        "summed: sum the BCE over the D pixels of each image, add its KL, then average over the batch":
            float(bce.mean() + kl.mean()),
        f"summed over the batch instead of averaged: divide by the batch size N = {n}":
            float(np.sum(bce.sum(axis=1) + kl)),
        "the KL term is missing: loss = mean over the batch of (BCE summed over the features + KL)":
            float(bce.sum(axis=1).mean()),
        "the squared error instead of the binary cross-entropy": float(np.mean(((x_hat - x) ** 2).sum(axis=1) + kl)),
        "the BCE's arguments are swapped: F.binary_cross_entropy(x_hat, x) takes the prediction first and the "
        "target second": float(np.mean(_bce(x, x_hat).sum(axis=1) + kl)),
        "the KL is subtracted: the loss is the NEGATIVE ELBO, BCE + KL": float(np.mean(bce.sum(axis=1) - kl)),
        "the BCE is averaged over everything and the KL summed over the batch":
            float(bce.mean() + kl.sum()),
        # the KL normalised the wrong way: by the pixels, by the latent dimensions, by N twice
        f"the KL is divided by the number of features D = {d} (normalised per pixel, as a mean BCE would be): "
        "the loss adds each sample's whole KL to its BCE summed over the features":
            float(np.mean(bce.sum(axis=1) + kl / d)),
        f"the BCE and the KL are both normalised per pixel (each divided by D = {d}): the contract sums the BCE "
        "over the features and adds the whole KL":
            float(bce.mean() + kl.mean() / d),
        f"the KL is averaged over the {latent} latent dimensions as well as the batch: it is a sum over the "
        "latent dimensions":
            float(np.mean(bce.sum(axis=1) + kl / latent)),
        f"the KL is divided by the batch size twice (a mean of KL / N): the loss averages (BCE + KL) over the "
        f"batch once":
            float(np.mean(bce.sum(axis=1) + kl / n)),
    }
    context = (f"Inputs: x_hat ({n}, {d}) in [0.05, 0.95], x ({n}, {d}) grey levels in [0, 1], mu and logvar "
               f"({n}, {latent}); per-sample BCE summed over features {fmt(bce.sum(axis=1))}, per-sample KL "
               f"{fmt(kl)}.")
    if abs(got - expected) > 1e-8 + 1e-5 * abs(expected):
        own = _own_kl(ctx, mu, logvar)
        if own is not None and not np.allclose(own, kl, rtol=1e-5, atol=1e-8):
            with_own = float(np.mean(bce.sum(axis=1) + own))
            if abs(got - with_own) <= 1e-8 + 1e-5 * abs(with_own):
                return (f"{call} reduces as the contract says, given your kl_divergence (which differs from the "
                        "closed form: see the kl_divergence checks).")
        for words, wrong in known.items():
            if abs(got - wrong) <= 1e-8 + 1e-6 * abs(wrong):
                raise CheckFailed(f"{call} is {got:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                                  got=f"{got:.10g}", slip=words, details=context)
    assert_scalar_close(got, expected, call, batch_size=n, size=n * d, context=context)
