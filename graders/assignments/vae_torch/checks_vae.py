"""The checks of `VAE` and `VAE.reparameterize`.

- `VAE`: shapes of encode / decode / forward for two sizes, decoded values in [0, 1], the
  input left unchanged (`task_inspect_vae`); forward returns encode's (mu, logvar) and
  decodes a SAMPLED z (`task_forward_probe`);
- `VAE.reparameterize`: z on a given eps against mu + exp(logvar / 2) * eps, with the
  common wrong formulas named, and the gradients of sum(w * z) with respect to mu and
  logvar (`task_reparameterize`).
"""

from __future__ import annotations

import numpy as np

from graders.assignments.vae_torch.problems import latent_inputs, render
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import assert_close
from graders.engine.task_calls import reply, run_task


# ------------------------------------------------------------------ VAE


def check_vae_shapes(ctx):
    for n_in, n_latent, n in ((64, 2, 6), (20, 3, 5)):
        x = ctx.rng.uniform(0.0, 1.0, (n, n_in))
        call = f"VAE({n_in}, {n_latent}) on x of shape ({n}, {n_in})"
        r = reply(run_task(ctx, "inspect_vae", call, n_in=n_in, n_latent=n_latent, x=x), call,
                  ("mu_shape", "logvar_shape", "decode_shape", "decode_min", "decode_max", "forward_shapes",
                   "input_unchanged"))
        wants = {
            "encode(x)[0] (mu)": (r["mu_shape"], [n, n_latent]),
            "encode(x)[1] (logvar)": (r["logvar_shape"], [n, n_latent]),
            f"decode(z) for z of shape ({n}, {n_latent})": (r["decode_shape"], [n, n_in]),
            "forward(x) -> (x_hat, mu, logvar)": (r["forward_shapes"], [[n, n_in], [n, n_latent], [n, n_latent]]),
        }
        for what, (got, want) in wants.items():
            if got != want:
                hard = n_in != 64 or n_latent != 2
                raise CheckFailed(
                    f"{call}: {what} has the wrong shape.", expected=str(want), got=str(got),
                    slip=("a hard-coded size (64 pixels or 2 latent dimensions?): use the n_in and n_latent "
                          "given to the constructor." if hard else
                          "mu and logvar each have one column per latent dimension; decode maps (N, n_latent) "
                          "back to (N, n_in)."))
        lo, hi = float(r["decode_min"]), float(r["decode_max"])
        if not (lo >= 0.0 and hi <= 1.0):
            raise CheckFailed(
                f"{call}: decode(z) returned values outside [0, 1] (it must return pixel probabilities).",
                expected="every value in [0, 1]", got=f"min {lo:.4g}, max {hi:.4g}",
                where="z drawn from N(0, 3^2 I) (spread out, so the decoder's outputs are far from 0.5)",
                slip="no sigmoid on the decoder's output layer: binary cross-entropy needs probabilities.")
        if float(r.get("mu_logvar_diff", 1.0)) == 0.0:
            raise CheckFailed(
                f"{call}: encode(x) returns the same values for mu and logvar.",
                expected="two heads: mu = h W_mu + b_mu and logvar = h W_lv + b_lv, different layers",
                got="mu == logvar for every sample and dimension",
                slip="the same layer used for both (self.mu_head twice?): logvar needs its own linear head, or the "
                     "model cannot choose the mean and the spread of each code separately.")
        if not r["input_unchanged"]:
            raise CheckFailed(f"{call}: encode, decode or forward modified x in place.",
                              slip="an in-place operation on the input (x.mul_(...), x[...] = ..., relu_(x)).")


def check_vae_forward(ctx):
    n_in, n_latent, n = 20, 3, 6
    x = ctx.rng.uniform(0.0, 1.0, (n, n_in))
    call = f"VAE({n_in}, {n_latent}).forward(x), x of shape ({n}, {n_in})"
    r = reply(run_task(ctx, "forward_probe", call, n_in=n_in, n_latent=n_latent, x=x), call,
              ("mu_diff", "logvar_diff", "sample_spread", "repeat_diff", "decode_mu_diff", "sigma_min"))
    setup = ("Setup: a fresh VAE (training mode); mu, logvar = encode(x); then forward(x) with torch seeded "
             "1, 2 and 1 again.")
    for key, name in (("mu_diff", "mu"), ("logvar_diff", "logvar")):
        if not float(r[key]) <= 1e-5:
            raise CheckFailed(
                f"{call}: the {name} that forward returns is not encode(x)'s {name}.",
                expected=f"forward(x)[{1 if name == 'mu' else 2}] equal to encode(x)[{0 if name == 'mu' else 1}]",
                got=f"a largest difference of {float(r[key]):.4g}",
                slip=("forward returns the sampled z (or something else) where mu belongs: the loss's KL term "
                      "needs the posterior's mean and log-variance." if name == "mu" else
                      "forward returns something other than encode's logvar (sigma, or the variance?)."),
                details=setup)
    spread, repeat = float(r["sample_spread"]), float(r["repeat_diff"])
    if spread <= 1e-7:
        slip = ("z = mu is decoded without sampling: forward must decode z = reparameterize(mu, logvar) with a "
                "fresh eps (the decoder then learns from codes with noise, which is what the KL term "
                "regularises)." if float(r["decode_mu_diff"]) <= 1e-7 else
                "the noise does not come from torch's global generator (a fixed eps, or a generator of your "
                "own seeded the same way on every call).")
        raise CheckFailed(
            f"{call}: forward gives the same x_hat with two different torch seeds: it does not sample z.",
            expected="x_hat = decode(mu + exp(logvar / 2) * eps) with eps ~ N(0, I) drawn on every call",
            got=f"x_hat identical for seeds 1 and 2 (differences up to {spread:.3g}); the smallest sigma of this "
                f"input is {float(r['sigma_min']):.3g}, so sampling would show",
            slip=slip, details=setup)
    if repeat > 1e-6:
        raise CheckFailed(
            f"{call}: forward with the same torch seed gives different x_hat: the noise is not drawn from torch's "
            "global generator.",
            expected="the same x_hat after torch.manual_seed(1) twice", got=f"differences up to {repeat:.3g}",
            slip="eps drawn with NumPy or Python's random module, or from a generator of your own: use "
                 "torch.randn_like(mu) so that torch.manual_seed makes training reproducible.",
            details=setup)


# ------------------------------------------------------------------ reparameterize


def _reparameterize(ctx, mu, logvar, eps, weights):
    call = "VAE.reparameterize(mu, logvar, eps)"
    r = reply(run_task(ctx, "reparameterize", call, n_in=7, mu=mu, logvar=logvar, eps=eps, weights=weights),
              call, ("z", "grad_mu", "grad_logvar", "reached_mu", "reached_logvar"))
    return r, expect.array(r["z"], call, mu.shape)


def check_reparameterize_value(ctx):
    mu, logvar, eps, weights = latent_inputs(ctx.rng)
    r, z = _reparameterize(ctx, mu, logvar, eps, weights)
    sigma = np.exp(0.5 * logvar)
    expected = mu + sigma * eps
    known = {
        "eps * logvar: the noise must be scaled by the standard deviation sigma = exp(logvar / 2), not by "
        "logvar itself": mu + eps * logvar,
        "exp(logvar) * eps: exp(logvar) is the variance sigma^2; the noise is scaled by the standard deviation "
        "sigma = exp(0.5 * logvar)": mu + np.exp(logvar) * eps,
        "0.5 * exp(logvar) * eps: the 1/2 belongs inside the exponential, exp(0.5 * logvar)":
            mu + 0.5 * np.exp(logvar) * eps,
        "logvar / 2 as the standard deviation (the exponential is missing): sigma = exp(logvar / 2)":
            mu + 0.5 * logvar * eps,
        "exp(-logvar / 2): the sign inside the exponential is flipped": mu + np.exp(-0.5 * logvar) * eps,
        "mu is not added: z = mu + sigma * eps": sigma * eps,
        "the noise is not scaled: z = mu + sigma * eps with sigma = exp(logvar / 2)": mu + eps,
    }
    context = render(mu=mu, logvar=logvar, eps=eps)
    if np.allclose(z, expected, rtol=1e-6, atol=1e-9):
        return None
    if not any(np.allclose(z, wrong, rtol=1e-6, atol=1e-10) for wrong in known.values()):
        # the given eps may be ignored: with eps = 0, z must be mu exactly
        _, z0 = _reparameterize(ctx, mu, logvar, np.zeros_like(eps), weights)
        if not np.allclose(z0, mu, rtol=1e-6, atol=1e-9):
            raise CheckFailed(
                "VAE.reparameterize(mu, logvar, eps) does not use the eps it is given.",
                expected="z = mu exactly when eps = 0", got=f"z - mu up to {float(np.abs(z0 - mu).max()):.4g} with "
                                                           "eps = 0",
                slip="the noise is drawn inside reparameterize (torch.randn_like, torch.normal) even when eps is "
                     "given: draw it only when eps is None, so that the caller (and the grader) can fix it.",
                details=context)
    assert_close(z, expected, "VAE.reparameterize(mu, logvar, eps)", known=known, context=context)


def check_reparameterize_gradients(ctx):
    mu, logvar, eps, weights = latent_inputs(ctx.rng)
    r, _ = _reparameterize(ctx, mu, logvar, eps, weights)
    context = render(mu=mu, logvar=logvar, eps=eps, w=weights) + (
        "\nThe gradients are those of sum(w * z) for z = reparameterize(mu, logvar, eps), in float64.")
    reached_mu, reached_lv = bool(r["reached_mu"]), bool(r["reached_logvar"])
    if not (reached_mu and reached_lv):
        missing = " and ".join(n for n, ok in (("mu", reached_mu), ("logvar", reached_lv)) if not ok)
        raise CheckFailed(
            f"VAE.reparameterize: no gradient reaches {missing} (z is not differentiable with respect to it).",
            expected="d sum(w z) / d mu = w and d sum(w z) / d logvar = w * 0.5 * exp(logvar / 2) * eps",
            got=f"no gradient for {missing}",
            slip=("z is detached from the graph (.detach(), torch.no_grad(), .data, .item() or a new tensor built "
                  "from numbers): the reparameterisation trick exists so that the encoder gets gradients "
                  "through z." if not reached_mu else
                  "sigma = exp(logvar / 2) is detached (or computed from logvar.detach() / logvar.data): the "
                  "encoder's logvar head then gets no gradient from the reconstruction term."),
            details=context)
    grad_mu = expect.array(r["grad_mu"], "d sum(w z) / d mu", mu.shape)
    grad_lv = expect.array(r["grad_logvar"], "d sum(w z) / d logvar", logvar.shape)
    sigma = np.exp(0.5 * logvar)
    if np.all(grad_mu == 0) and np.all(grad_lv == 0):
        raise CheckFailed(
            "VAE.reparameterize: the gradients with respect to mu and logvar are all zero.",
            expected="d sum(w z) / d mu = w (nonzero)", got="zeros",
            slip="z is sampled with torch.normal(mu, sigma) (or another sampler): sampling has no useful "
                 "gradient; the trick is z = mu + sigma * eps with eps drawn separately.",
            details=context)
    assert_close(grad_mu, weights, "d sum(w z) / d mu (the gradient reaching mu)", tol="gradient",
                 context=context)
    expected = weights * 0.5 * sigma * eps
    assert_close(grad_lv, expected, "d sum(w z) / d logvar (the gradient reaching logvar)", tol="gradient",
                 context=context, known={
                     "the gradient of eps * logvar: the noise is scaled by logvar instead of exp(logvar / 2)":
                         weights * eps,
                     "the gradient of exp(logvar) * eps: the variance instead of the standard deviation":
                         weights * np.exp(logvar) * eps,
                     "the gradient of 0.5 * exp(logvar) * eps: the 1/2 belongs inside the exponential":
                         weights * 0.5 * np.exp(logvar) * eps,
                 })
