"""The checks of `kl_divergence`.

The closed form per sample, and a Monte Carlo estimate of E_q[log q(z) - log p(z)] drawn by
the grader with a fixed seed, within 5 standard errors.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.vae_torch.problems import kl_closed_form, latent_inputs, render
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close, fmt
from graders.engine.task_calls import reply, run_task

MC_SAMPLES = 200_000       # Monte Carlo draws per sample
MC_SEED = 20240611
MC_SIGMAS = 5.0            # allowed distance from the Monte Carlo estimate, in standard errors


def _kl(ctx, mu, logvar, what):
    r = reply(run_task(ctx, "kl_divergence", what, mu=mu, logvar=logvar), what, ("kl", "shape"))
    n, latent = mu.shape
    shape = [int(s) for s in r["shape"]]
    if shape != [n]:
        slip = None
        if shape == []:
            slip = ("one number for the whole batch: the sum (or mean) runs over the batch too; sum over the "
                    "latent dimensions only (dim=1) and return one KL per sample.")
        elif shape == [n, latent]:
            slip = "not summed over the latent dimensions: sum over dim=1."
        elif shape == [latent]:
            slip = "summed over the batch (dim=0) instead of over the latent dimensions (dim=1)."
        raise CheckFailed(f"{what} has the wrong shape.", expected=f"({n},): one value per sample",
                          got=str(tuple(shape)), slip=slip)
    return expect.array(r["kl"], what, (n,))


def kl_slips(mu, logvar) -> dict[str, np.ndarray]:
    kl = kl_closed_form(mu, logvar)
    latent = mu.shape[1]
    return {
        "the sign is flipped: KL = -1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j)), with the minus in "
        "front; a KL divergence is never negative": -kl,
        "the 1/2 is missing: KL = -1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))": 2.0 * kl,
        f"averaged over the {latent} latent dimensions instead of summed (torch.mean instead of torch.sum)":
            kl / latent,
        "logvar is used as log sigma (2 * logvar and exp(2 * logvar)): logvar is log sigma^2, the log-variance":
            -0.5 * np.sum(1.0 + 2.0 * logvar - mu ** 2 - np.exp(2.0 * logvar), axis=1),
        f"divided by the batch size N = {len(mu)}: kl_divergence returns each sample's own KL; the mean over "
        "the batch is vae_loss's business (normalised twice, the KL counts N times too little in the loss)":
            kl / len(mu),
        "exp(logvar) is replaced by logvar": -0.5 * np.sum(1.0 - mu ** 2, axis=1),
        "mu^2 is missing": -0.5 * np.sum(1.0 + logvar - np.exp(logvar), axis=1),
        "the 1 is missing: the KL is zero at mu = 0, logvar = 0": -0.5 * np.sum(logvar - mu ** 2 - np.exp(logvar),
                                                                                 axis=1),
    }


def check_kl_closed_form(ctx):
    mu, logvar, _, _ = latent_inputs(ctx.rng)
    mu[0], logvar[0] = 0.0, 0.0  # the first sample's posterior is the prior: KL = 0
    got = _kl(ctx, mu, logvar, "kl_divergence(mu, logvar)")
    assert_close(got, kl_closed_form(mu, logvar), "kl_divergence(mu, logvar)", tol="loss",
                 known=kl_slips(mu, logvar),
                 context=render(mu=mu, logvar=logvar) + "\n(row 0 is mu = 0, logvar = 0, where the KL is 0)")


def monte_carlo_kl(mu: np.ndarray, logvar: np.ndarray, samples: int = MC_SAMPLES, seed: int = MC_SEED):
    """(estimate, standard error) per row of E_{z ~ q}[log q(z) - log p(z)], q = N(mu, exp(logvar)),
    p = N(0, I): the mean over `samples` draws z = mu + sigma e of
    sum_j (-logvar_j / 2 - e_j^2 / 2 + z_j^2 / 2) (the log(2 pi) terms cancel)."""
    rng = np.random.default_rng(seed)
    est, se = np.empty(len(mu)), np.empty(len(mu))
    for i, (m, lv) in enumerate(zip(mu, logvar)):
        e = rng.standard_normal((samples, len(m)))
        z = m + np.exp(0.5 * lv) * e
        log_ratio = np.sum(-0.5 * lv - 0.5 * e ** 2 + 0.5 * z ** 2, axis=1)
        est[i] = log_ratio.mean()
        se[i] = log_ratio.std(ddof=1) / np.sqrt(samples)
    return est, se


def check_kl_monte_carlo(ctx):
    rng = np.random.default_rng(MC_SEED)
    mu = rng.uniform(-1.5, 1.5, (4, 2))
    logvar = rng.uniform(-1.0, 1.0, (4, 2))
    got = _kl(ctx, mu, logvar, "kl_divergence(mu, logvar)")
    est, se = monte_carlo_kl(mu, logvar)
    allowed = MC_SIGMAS * se + 1e-9
    bad = np.abs(got - est) > allowed
    if not bad.any():
        return None
    i = int(np.argmax(np.abs(got - est) / allowed))
    table = "\n".join(f"  sample {k}: yours {got[k]:.6g}, Monte Carlo {est[k]:.6g} +/- {se[k]:.2g}"
                      + ("   <- outside" if bad[k] else "") for k in range(len(got)))
    slip = None
    for words, wrong in kl_slips(mu, logvar).items():
        if np.allclose(got, wrong, rtol=1e-6, atol=1e-9):
            slip = words
    raise CheckFailed(
        "kl_divergence(mu, logvar) disagrees with a Monte Carlo estimate of KL(q || p) = "
        "E_{z ~ q}[log q(z) - log p(z)].",
        expected=f"{est[i]:.6g} +/- {MC_SIGMAS:g} x {se[i]:.2g} (5 standard errors) for sample {i}",
        got=f"{got[i]:.6g}", where=f"sample {i}: mu = {fmt(mu[i])}, logvar = {fmt(logvar[i])}",
        diff=f"{abs(got[i] - est[i]) / se[i]:.1f} standard errors away",
        slip=slip, details=f"Each estimate averages {MC_SAMPLES} draws z = mu + exp(logvar / 2) * e, e ~ N(0, I) "
                           f"(fixed seed):\n{table}")
