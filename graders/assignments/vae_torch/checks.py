"""The checks of `vae_torch`, one `check_<function>_<property>` per check.

Everything that touches the submission's objects runs in the sandbox through the tasks of
`tasks.py` (float64 tensors in, plain numbers and arrays out); the expected values are
computed here, in NumPy, from the contract's formulas:

- `VAE`: shapes of encode / decode / forward for two sizes, decoded values in [0, 1], the
  input left unchanged (`task_inspect_vae`); forward returns encode's (mu, logvar) and
  decodes a SAMPLED z (`task_forward_probe`);
- `VAE.reparameterize`: z on a given eps against mu + exp(logvar / 2) * eps, with the
  common wrong formulas named, and the gradients of sum(w * z) with respect to mu and
  logvar (`task_reparameterize`);
- `kl_divergence`: the closed form per sample, and a Monte Carlo estimate of
  E_q[log q(z) - log p(z)] drawn here with a fixed seed, within 5 standard errors;
- `vae_loss`: the batch mean of (BCE summed over the features + KL), wrong reductions named;
- the trained check: `task_train_vae` (Adam at the calibrated settings, held-out negative
  ELBO computed in the task with the contract's formula) against the calibrated bound of
  `thresholds.py` for the data set of the grade (`--data digits` or `mnist:PATH`), with
  pictures of the latent space and of a decoded scan of the latent plane.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.assignments.vae_torch import thresholds as th
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.compare import assert_close, assert_scalar_close, fmt
from graders.sandbox.errors import StudentError

CONTRACT = ("VAE", "kl_divergence", "vae_loss")
TRAINED_CHECK = "VAE: held-out loss (threshold)"
CHECK = "vae_test_loss"     # the key of the calibrated table
# wall-time limit = 5 x the CPU budget: on the suite's shared two-core machine (load 6-12)
# 3 x was not always enough for the GAN's reference run
CPU_TO_WALL = 5.0
TRAIN_TIMEOUT_S = CPU_TO_WALL * th.CPU_BUDGET_S[CHECK]
N, L = 5, 3                # value checks: 5 samples, 3 latent dimensions (N != L: factors named)
MC_SAMPLES = 200_000       # Monte Carlo draws per sample
MC_SEED = 20240611
MC_SIGMAS = 5.0            # allowed distance from the Monte Carlo estimate, in standard errors


# ------------------------------------------------------------------ helpers


def run_task(ctx, name: str, what: str, **kwargs):
    """ctx.task(name, ...), with an error raised by the grader's own code around the
    submission (no frame of the submission in its traceback: a wrong signature, a returned
    value of another type or shape) turned into feedback that says so."""
    try:
        return ctx.task(name, **kwargs)
    except StudentError as exc:
        if exc.traceback or exc.missing or exc.type_name == "NotImplementedError":
            raise
        raise CheckFailed(
            f"{what}: the grader could not use your code: {exc.type_name}: {exc.message}",
            slip="a signature, a returned type or a shape other than the contract's (the error was raised "
                 "by the grader's code calling yours, not inside your code).") from None


def reply(value, what: str, keys: tuple[str, ...]) -> dict:
    """A task's reply: always a dict with these keys (anything else is an internal error)."""
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise RuntimeError(f"{what}: unexpected reply from the grader's task")
    return value


def kl_closed_form(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(mu, exp(logvar)) || N(0, I)) per row."""
    return -0.5 * np.sum(1.0 + logvar - mu ** 2 - np.exp(logvar), axis=1)


def latent_inputs(rng, n: int = N, latent: int = L):
    """mu, logvar, eps, weights of shape (n, latent); logvar in [-2, 1.5] (sigma 0.37..2.1)."""
    return (rng.normal(0.0, 1.0, (n, latent)), rng.uniform(-2.0, 1.5, (n, latent)),
            rng.normal(0.0, 1.0, (n, latent)), rng.normal(0.0, 1.0, (n, latent)))


def render(**arrays) -> str:
    return "Inputs: " + "; ".join(f"{k} = {fmt(v)}" for k, v in arrays.items())


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


# ------------------------------------------------------------------ kl_divergence


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


# ------------------------------------------------------------------ vae_loss


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


# ------------------------------------------------------------------ trained check


@functools.lru_cache(maxsize=4)
def dataset(spec: str) -> dict:
    from dlgrade.data.mnist import load_dataset

    name = spec.split(":", 1)[0]
    return load_dataset(spec, **th.DATA.get(name, {}))


def data_and_threshold(ctx):
    """(data, Threshold) for the grade's data set (option "data": "digits" or "mnist:PATH")."""
    spec = str(ctx.options.get("data") or "digits")
    name = spec.split(":", 1)[0]
    try:
        data = dataset(spec)
    except (OSError, ValueError) as exc:
        raise CheckFailed(
            f"the data set {spec!r} could not be loaded (a setting of the grade, not your code): {exc}",
            slip='the instructor\'s --data option: "digits" or "mnist:PATH" with PATH the folder of the four '
                 "MNIST IDX files.") from None
    try:
        t = th.thresholds_for(name)[CHECK]
    except KeyError as exc:
        raise CheckFailed(
            f"not graded: the grader has no calibrated bound for the data set {name!r} (a setting of the grade, "
            "not your code).",
            slip=f"for the instructor: {exc.args[0] if exc.args else exc} (it retrains the reference over 5 "
                 f"seeds on this data and writes the bound into graders/assignments/vae_torch/thresholds.py).",
        ) from None
    return data, t


def attach_pictures(ctx, r: dict, data: dict, n_latent: int) -> None:
    """The latent space coloured by digit label, the decoded scan of the latent plane, and
    held-out inputs beside their reconstructions (never fails the check)."""
    from graders.reports.pictures import image_grid, scatter

    try:
        if n_latent == 2:
            mu = np.asarray(r["latent_mu"], dtype=np.float64)
            ctx.attach("your latent space: the held-out images' mu, coloured by digit label (0 blue, 1 orange, "
                       "2 green, 3 red, 4 purple, 5 brown, 6 pink, 7 grey, 8 olive, 9 cyan)",
                       scatter(mu, data["y_test"][: len(mu)], title="mu of the held-out images (colour: label)"))
            grid = np.asarray(r["grid"], dtype=np.float64)
            side = int(round(np.sqrt(len(grid))))
            if side * side == len(grid) and side:
                ctx.attach(f"decoded from a regular {side} x {side} scan of the latent plane "
                           "(standard normal quantiles 0.05 to 0.95)",
                           image_grid([grid[i * side:(i + 1) * side] for i in range(side)], scale=4))
        ctx.attach("held-out images (top) and your reconstructions from mu (bottom)",
                   image_grid([r["inputs"], r["reconstructions"]], ["input", "yours"], scale=4))
    except (ValueError, TypeError, KeyError):  # a picture must never cost the check
        pass


def check_vae_trained(ctx):
    data, t = data_and_threshold(ctx)
    settings = dict(t.settings)
    r = reply(run_task(ctx, "train_vae", "training VAE with vae_loss", x_train=data["x_train"],
                       x_test=data["x_test"], seed=t.grade_seed, **settings),
              "train_vae", ("test_loss", "test_bce", "test_kl", "entropy_floor", "test_excess", "history",
                            "latent_mu", "grid", "inputs", "reconstructions", "cpu_s"))
    attach_pictures(ctx, r, data, int(settings.get("n_latent", 2)))
    value = float(r["test_excess"])
    loss, bce, kl, floor = (float(r[k]) for k in ("test_loss", "test_bce", "test_kl", "entropy_floor"))
    summary = (f"held-out negative ELBO {loss:.4g} nats per image (BCE {bce:.4g} + KL {kl:.4g}), entropy floor "
               f"{floor:.4g}, so {value:.4g} above the floor; {float(r['cpu_s']):.1f} s CPU")
    setup = (f"Setup: VAE({data['x_train'].shape[1]}, {settings.get('n_latent')}) trained with Adam (lr "
             f"{settings.get('lr')}) on your vae_loss(*model(x), ...) for {settings.get('epochs')} epochs, batch "
             f"size {settings.get('batch_size')}, {len(data['x_train'])} training images of {data['name']}, seed "
             f"{t.grade_seed}. The held-out loss is computed by the grader with the contract's formula "
             f"(BCE summed over the pixels + KL, one fixed eps) from your encode and decode on "
             f"{len(data['x_test'])} held-out images; the entropy floor is the BCE of a perfect x_hat = x on "
             "grey-level images.")
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


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of vae_torch, in the order of the contract."""
    yield Check("VAE: encode/decode shapes, probabilities in [0,1]", check_vae_shapes, needs=("VAE",))
    yield Check("VAE: forward returns encode's (mu, logvar) and decodes a sampled z", check_vae_forward,
                kind=Kind.PROPERTY, needs=("VAE",))
    yield Check("reparameterize: equals mu + exp(0.5 logvar) * eps", check_reparameterize_value, points=2,
                needs=("VAE",))
    yield Check("reparameterize: gradients reach mu and logvar", check_reparameterize_gradients, points=2,
                kind=Kind.GRADIENT, needs=("VAE",))
    yield Check("kl_divergence: matches the closed form", check_kl_closed_form, points=2,
                needs=("kl_divergence",))
    yield Check("kl_divergence: matches a Monte Carlo estimate", check_kl_monte_carlo, kind=Kind.PROPERTY,
                needs=("kl_divergence",))
    yield Check("vae_loss: mean over the batch of (BCE summed over features + KL)", check_vae_loss, points=2,
                needs=("vae_loss",))
    yield Check(TRAINED_CHECK, check_vae_trained, points=4, kind=Kind.THRESHOLD, needs=("VAE", "vae_loss"),
                timeout_s=TRAIN_TIMEOUT_S)
