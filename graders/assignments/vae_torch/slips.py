"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `vae_torch`.

Each one is an exact text edit of `reference/torch/vae_torch.py`. `catches` names the checks
of the grader that fail on it (filled by `python -m tests.mutants.survey vae_torch --write`,
then reviewed); `says`, words the first one's feedback contains.
`tests/mutants/probes/vae_torch.py` (run by test_mutant_probes.py) shows that every MUTANT changes some contract
output (value, gradient, shape, or raising) and every UNUSUAL one matches the reference
to 1e-10.

Which slips the trained check rejects on its own (held-out loss, see thresholds.py): the
BCE averaged over the pixels (the KL term then dominates and the posterior collapses to
the prior: the model ignores its input) and the KL with the wrong sign (diverges). The
others are caught by the value and gradient checks.
"""

from graders.engine.mutants import Mutant

# The checks (graders/assignments/vae_torch/checks.py), by the names the catches use.
SHAPES = "VAE: encode/decode shapes, probabilities in [0,1]"
FORWARD = "VAE: forward returns encode's (mu, logvar) and decodes a sampled z"
REPARAM_VALUE = "reparameterize: equals mu + exp(0.5 logvar) * eps"
REPARAM_GRAD = "reparameterize: gradients reach mu and logvar"
KL_CLOSED_FORM = "kl_divergence: matches the closed form"
KL_MONTE_CARLO = "kl_divergence: matches a Monte Carlo estimate"
LOSS = "vae_loss: mean over the batch of (BCE summed over features + KL)"
TRAINED = "VAE: held-out loss (threshold)"

_REPARAM = "return mu + torch.exp(0.5 * logvar) * eps"
_KL = "return -0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1)"
_BCE = 'bce = F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(dim=1)'
_LOSS = "return (bce + kl_divergence(mu, logvar)).mean()"

MUTANTS = [
    # VAE.reparameterize
    Mutant("reparameterize_eps_times_logvar", _REPARAM, "return mu + eps * logvar",
           catches=(REPARAM_VALUE, REPARAM_GRAD), says=('eps * logvar',)),
    Mutant("reparameterize_exp_logvar_without_half", _REPARAM,
           "return mu + torch.exp(logvar) * eps",
           catches=(REPARAM_VALUE, REPARAM_GRAD), says=('exp(logvar) * eps',)),
    Mutant("reparameterize_half_exp_logvar", _REPARAM,
           "return mu + 0.5 * torch.exp(logvar) * eps",
           catches=(REPARAM_VALUE, REPARAM_GRAD), says=('0.5 * exp(logvar) * eps',)),
    Mutant("reparameterize_detached", _REPARAM,
           "return (mu + torch.exp(0.5 * logvar) * eps).detach()",
           catches=(REPARAM_GRAD,), says=('z is detached',)),
    Mutant("reparameterize_sigma_detached", _REPARAM,
           "return mu + torch.exp(0.5 * logvar).detach() * eps",
           catches=(REPARAM_GRAD,), says=('is detached',)),
    Mutant("reparameterize_samples_with_torch_normal", _REPARAM,
           "return torch.normal(mu, torch.exp(0.5 * logvar))",
           catches=(REPARAM_VALUE, REPARAM_GRAD), says=('does not use the eps',)),
    Mutant("reparameterize_ignores_the_given_eps",
           "        if eps is None:\n            eps = torch.randn_like(mu)\n",
           "        eps = torch.randn_like(mu)\n",
           catches=(REPARAM_VALUE, REPARAM_GRAD), says=('does not use the eps',)),
    # VAE layers
    Mutant("encode_logvar_from_the_mu_head",
           "return self.mu_head(h), self.logvar_head(h)", "return self.mu_head(h), self.mu_head(h)",
           catches=(SHAPES,), says=('same values for mu and logvar',)),
    Mutant("decode_without_sigmoid",
           "return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z))))",
           "return self.dec_out(torch.relu(self.dec_hidden(z)))",
           catches=(SHAPES,), says=('no sigmoid',)),
    Mutant("forward_returns_z_as_mu",
           "return self.decode(z), mu, logvar", "return self.decode(z), z, logvar",
           catches=(FORWARD,), says=("not encode(x)'s mu",)),
    Mutant("forward_decodes_mu_without_sampling",
           "return self.decode(z), mu, logvar", "return self.decode(mu), mu, logvar",
           catches=(FORWARD,), says=('does not sample z',)),
    # kl_divergence
    Mutant("kl_wrong_sign", _KL,
           "return 0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1)",
           catches=(KL_CLOSED_FORM, KL_MONTE_CARLO), says=('sign is flipped',)),
    Mutant("kl_missing_half", _KL,
           "return -torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1)",
           catches=(KL_CLOSED_FORM, KL_MONTE_CARLO), says=('1/2 is missing',)),
    Mutant("kl_summed_over_the_batch", _KL,
           "return -0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp())",
           catches=(KL_CLOSED_FORM, KL_MONTE_CARLO), says=('one number for the whole batch',)),
    Mutant("kl_mean_over_latent_dims", _KL,
           "return -0.5 * torch.mean(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1)",
           catches=(KL_CLOSED_FORM, KL_MONTE_CARLO), says=('averaged over the 3 latent dimensions',)),
    Mutant("kl_logvar_taken_as_log_sigma", _KL,
           "return -0.5 * torch.sum(1.0 + 2.0 * logvar - mu.pow(2) - torch.exp(2.0 * logvar), dim=1)",
           catches=(KL_CLOSED_FORM, KL_MONTE_CARLO), says=('log sigma',)),
    Mutant("kl_divided_by_the_batch_size", _KL,
           "return -0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1) / mu.shape[0]",
           catches=(KL_CLOSED_FORM, KL_MONTE_CARLO), says=('divided by the batch size',)),
    # vae_loss
    Mutant("vae_loss_kl_normalised_per_pixel", _LOSS,
           "return (bce + kl_divergence(mu, logvar) / x[0].numel()).mean()",
           catches=(LOSS,), says=('divided by the number of features',)),
    Mutant("vae_loss_bce_mean_over_features", _BCE,
           "bce = F.binary_cross_entropy(x_hat, x)",
           catches=(LOSS,), says=('averaged over the features',)),
    Mutant("vae_loss_summed_over_the_batch", _LOSS,
           "return (bce + kl_divergence(mu, logvar)).sum()",
           catches=(LOSS,), says=('summed over the batch',)),
    Mutant("vae_loss_without_kl", _LOSS, "return bce.mean()",
           catches=(LOSS,), says=('KL term is missing',)),
    Mutant("vae_loss_mse_instead_of_bce", _BCE,
           'bce = F.mse_loss(x_hat, x, reduction="none").flatten(1).sum(dim=1)',
           catches=(LOSS,), says=('squared error',)),
    Mutant("vae_loss_bce_arguments_swapped", _BCE,
           'bce = F.binary_cross_entropy(x, x_hat, reduction="none").flatten(1).sum(dim=1)',
           catches=(LOSS,), says=('arguments are swapped',)),
]

UNUSUAL = [
    Mutant("reparameterize_sqrt_of_exp", _REPARAM,
           "return mu + torch.sqrt(torch.exp(logvar)) * eps"),
    Mutant("reparameterize_logvar_clamped_outside_the_tested_range", _REPARAM,
           "return mu + torch.exp(0.5 * torch.clamp(logvar, -30.0, 20.0)) * eps"),
    Mutant("reparameterize_addcmul", _REPARAM,
           "return torch.addcmul(mu, torch.exp(0.5 * logvar), eps)"),
    Mutant("encode_logvar_clamped_outside_the_tested_range",
           "return self.mu_head(h), self.logvar_head(h)",
           "return self.mu_head(h), self.logvar_head(h).clamp(-20.0, 20.0)"),
    Mutant("vae_sequential_hidden_layer",
           "self.hidden = nn.Linear(n_in, n_hidden)",
           "self.hidden = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())"),
    Mutant("kl_torch_distributions", _KL,
           "q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
           "    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))\n"
           "    return torch.distributions.kl_divergence(q, p).sum(dim=1)"),
    Mutant("kl_rearranged", _KL,
           "return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0).sum(dim=1)"),
    Mutant("vae_loss_sums_then_divides_by_batch",
           _BCE + "\n    " + _LOSS,
           'bce = F.binary_cross_entropy(x_hat, x, reduction="sum")\n'
           "    return (bce + kl_divergence(mu, logvar).sum()) / x.shape[0]"),
    Mutant("vae_loss_bce_by_hand_with_clamped_logs", _BCE,
           "bce = -(x * torch.log(x_hat).clamp(min=-100.0)\n"
           "            + (1.0 - x) * torch.log(1.0 - x_hat).clamp(min=-100.0)).sum(dim=1)"),
]

# Slips that only training shows (graded with the trained check: run with -m slow). Under the
# suite's course secret they end 12.54 and 12.77 nats above the entropy floor (bound 12.47,
# reference 10.97); a narrow margin for the softplus, which other secrets may let pass.
_HEADS = "return self.mu_head(h), self.logvar_head(h)"
SLOW_MUTANTS = [
    # "the variance must be positive": softplus on logvar keeps sigma >= 1, so no code is precise
    Mutant("encode_logvar_through_softplus", _HEADS,
           "return self.mu_head(h), F.softplus(self.logvar_head(h))", catches=(TRAINED,)),
    # the codes confined to one quadrant of the latent plane
    Mutant("encode_mu_through_relu", _HEADS, "return torch.relu(self.mu_head(h)), self.logvar_head(h)",
           catches=(TRAINED,)),
]

# Correct but unusual submissions beyond the default run's three (each is a full grade with
# training; run with -m slow).
_FAST_UNUSUAL = ("reparameterize_logvar_clamped_outside_the_tested_range", "kl_torch_distributions",
                 "vae_loss_sums_then_divides_by_batch")
SLOW_UNUSUAL = [m for m in UNUSUAL if m.name not in _FAST_UNUSUAL]
UNUSUAL = [m for m in UNUSUAL if m.name in _FAST_UNUSUAL]
