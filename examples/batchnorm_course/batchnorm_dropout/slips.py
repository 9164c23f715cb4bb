"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of
`batchnorm_dropout`, each an exact text edit of `reference.py`. `catches` names the checks
that must fail on each mutant; every UNUSUAL one must get full marks.
"""

from graders.authoring import Mutant

MUTANTS = [
    # --- batchnorm_forward
    Mutant("batchnorm_unbiased_variance",  # np.var(ddof=1), as pandas and torch.var default to
           "var = np.mean(centred ** 2, axis=0)",
           "var = np.var(x, axis=0, ddof=1)",
           catches=(
               'batchnorm_forward: train-mode values on random inputs',
               'batchnorm_forward: running averages after one train-mode call',
               'batchnorm_forward: each feature normalised to mean 0 and variance var / (var + eps)',
               'batchnorm_backward: gradient check of dx',
               'batchnorm_backward: gradient check of dgamma and dbeta',),
           says=('ddof=1',)),
    Mutant("batchnorm_eps_outside_the_sqrt",
           "std = np.sqrt(var + eps)",
           "std = np.sqrt(var) + eps",
           catches=(
               'batchnorm_forward: train-mode values on random inputs',
               'batchnorm_forward: each feature normalised to mean 0 and variance var / (var + eps)',),
           says=('sqrt(var + eps)',)),
    Mutant("batchnorm_normalises_over_features",
           "mu = x.mean(axis=0)\n        centred = x - mu\n        var = np.mean(centred ** 2, axis=0)",
           "mu = x.mean(axis=1, keepdims=True)\n        centred = x - mu\n"
           "        var = np.mean(centred ** 2, axis=1, keepdims=True)",
           catches=(
               'batchnorm_forward: train-mode values on random inputs',
               'batchnorm_forward: running averages after one train-mode call',
               'batchnorm_forward: each feature normalised to mean 0 and variance var / (var + eps)',
               'batchnorm_backward: gradient check of dx',
               'batchnorm_backward: gradient check of dgamma and dbeta',)),
    Mutant("batchnorm_momentum_swapped",
           "bn_param[\"running_mean\"] = momentum * running_mean + (1.0 - momentum) * mu\n"
           "        bn_param[\"running_var\"] = momentum * running_var + (1.0 - momentum) * var",
           "bn_param[\"running_mean\"] = (1.0 - momentum) * running_mean + momentum * mu\n"
           "        bn_param[\"running_var\"] = (1.0 - momentum) * running_var + momentum * var",
           catches=(
               'batchnorm_forward: running averages after one train-mode call',),
           says=('momentum on the wrong term',)),
    Mutant("batchnorm_running_averages_not_stored",
           "bn_param[\"running_mean\"] = momentum * running_mean + (1.0 - momentum) * mu\n"
           "        bn_param[\"running_var\"] = momentum * running_var + (1.0 - momentum) * var",
           "running_mean = momentum * running_mean + (1.0 - momentum) * mu\n"
           "        running_var = momentum * running_var + (1.0 - momentum) * var",
           catches=(
               'batchnorm_forward: running averages after one train-mode call',),
           says=('never updated',)),
    Mutant("batchnorm_running_variance_starts_at_zero",
           'running_var = bn_param.get("running_var", np.ones(d))',
           'running_var = bn_param.get("running_var", np.zeros(d))',
           catches=('batchnorm_forward: eps, momentum and running averages default as the contract says',)),
    Mutant("batchnorm_test_mode_uses_batch_statistics",
           "xhat = (x - running_mean) / np.sqrt(running_var + eps)",
           "xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)",
           catches=(
               'batchnorm_forward: test mode uses the running averages',),
           says=('running averages',)),
    Mutant("batchnorm_gamma_and_beta_swapped",
           "out = gamma * xhat + beta\n        bn_param",
           "out = beta * xhat + gamma\n        bn_param",
           catches=(
               'batchnorm_forward: train-mode values on random inputs',
               'batchnorm_forward: each feature normalised to mean 0 and variance var / (var + eps)',)),
    Mutant("batchnorm_centres_x_in_place",
           "centred = x - mu\n",
           "x -= mu\n        centred = x\n",
           catches=(
               'batchnorm_forward: leaves its inputs unchanged',)),
    # --- batchnorm_backward
    Mutant("batchnorm_backward_dgamma_not_summed_over_the_batch",
           "dgamma = np.sum(dout * xhat, axis=0)",
           "dgamma = dout * xhat",
           catches=(
               'batchnorm_backward: gradient check of dx',
               'batchnorm_backward: gradient check of dgamma and dbeta',)),
    Mutant("batchnorm_backward_dbeta_mean_instead_of_sum",
           "dbeta = np.sum(dout, axis=0)",
           "dbeta = np.mean(dout, axis=0)",
           catches=(
               'batchnorm_backward: gradient check of dgamma and dbeta',),
           says=('batch size',)),
    Mutant("batchnorm_backward_without_the_mean_terms",
           "dx = (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0)) / std",
           "dx = dxhat / std",
           catches=(
               'batchnorm_backward: gradient check of dx',),
           says=('their two terms are missing',)),
    Mutant("batchnorm_backward_without_the_variance_term",
           "dx = (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0)) / std",
           "dx = (dxhat - dxhat.mean(axis=0)) / std",
           catches=(
               'batchnorm_backward: gradient check of dx',)),
    Mutant("batchnorm_backward_forgets_gamma",
           "dxhat = dout * gamma",
           "dxhat = dout",
           catches=(
               'batchnorm_backward: gradient check of dx',)),
    Mutant("batchnorm_backward_scales_dout_in_place",
           "dxhat = dout * gamma",
           "dout *= gamma\n    dxhat = dout",
           catches=(
               'batchnorm_backward: leaves its inputs unchanged',)),
    # --- dropout_forward
    Mutant("dropout_not_scaled_by_one_over_p",
           "mask = (rng.random(x.shape) < p) / p",
           "mask = rng.random(x.shape) < p",
           catches=(
               "dropout_forward: train-mode values for the contract's draw",
               'dropout_forward: every train-mode output is 0 or x / p',
               'dropout_backward: gradient check',),
           says=('not scaled by 1 / p',)),
    Mutant("dropout_p_as_drop_probability",
           "mask = (rng.random(x.shape) < p) / p",
           "mask = (rng.random(x.shape) >= p) / (1.0 - p)",
           catches=(
               "dropout_forward: train-mode values for the contract's draw",
               'dropout_forward: every train-mode output is 0 or x / p',
               'dropout_forward: p = 1 keeps every unit unchanged',
               'dropout_backward: gradient check',),
           says=('probability of dropping',)),
    Mutant("dropout_scales_at_test_time",
           "out = x.copy()",
           "out = x * p",
           catches=(
               'dropout_forward: test mode is the identity',),
           says=('at test time',)),
    Mutant("dropout_draws_from_the_global_generator",
           "mask = (rng.random(x.shape) < p) / p",
           "mask = (np.random.rand(*x.shape) < p) / p",
           catches=(
               "dropout_forward: train-mode values for the contract's draw",
               'dropout_backward: gradient check',)),
    Mutant("dropout_masks_x_in_place",
           "out = x * mask",
           "x *= mask\n        out = x",
           catches=(
               'dropout_forward: leaves its inputs unchanged',)),
    # --- dropout_backward
    Mutant("dropout_backward_without_the_scale",
           "return dout * mask",
           "return dout * (mask > 0)",
           catches=(
               'dropout_backward: gradient check',),
           says=('without the 1 / p scale',)),
    Mutant("dropout_backward_scales_by_p_in_test_mode",  # one mask for both modes, p in test mode
           "mask = None\n        out = x.copy()",
           "mask = np.full(x.shape, p)\n        out = x.copy()",
           catches=('dropout_backward: test mode passes dout through',),
           more=(("return dout.copy()", "return dout * mask"),)),
    Mutant("dropout_backward_masks_dout_in_place",
           "return dout * mask",
           "dout *= mask\n        return dout",
           catches=(
               'dropout_backward: leaves its inputs unchanged',)),
]

UNUSUAL = [
    Mutant("batchnorm_loops_over_features",
           "mu = x.mean(axis=0)\n        centred = x - mu\n        var = np.mean(centred ** 2, axis=0)",
           "mu = np.array([x[:, j].sum() / x.shape[0] for j in range(d)])\n"
           "        centred = np.empty_like(x)\n"
           "        for j in range(d):\n"
           "            centred[:, j] = x[:, j] - mu[j]\n"
           "        var = np.array([centred[:, j] @ centred[:, j] / x.shape[0] for j in range(d)])"),
    Mutant("batchnorm_running_averages_updated_in_place",
           "bn_param[\"running_mean\"] = momentum * running_mean + (1.0 - momentum) * mu\n"
           "        bn_param[\"running_var\"] = momentum * running_var + (1.0 - momentum) * var",
           "running_mean = bn_param.setdefault(\"running_mean\", running_mean)\n"
           "        running_var = bn_param.setdefault(\"running_var\", running_var)\n"
           "        running_mean *= momentum\n        running_mean += (1.0 - momentum) * mu\n"
           "        running_var *= momentum\n        running_var += (1.0 - momentum) * var"),
    Mutant("batchnorm_works_in_place_on_its_own_arrays",
           "xhat = centred / std\n        out = gamma * xhat + beta\n",
           "xhat = centred / std\n        out = xhat.copy()\n        out *= gamma\n        out += beta\n"),
    Mutant("batchnorm_backward_compact_formula",
           "dx = (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0)) / std",
           "n = dout.shape[0]\n"
           "    dx = (gamma / (n * std)) * (n * dout - dbeta - xhat * dgamma)"),
    Mutant("batchnorm_cache_as_a_dict",
           "cache = (xhat, gamma, std)",
           "cache = {\"xhat\": xhat, \"gamma\": gamma, \"std\": std, \"x\": x}",
           more=(("xhat, gamma, std = cache",
                  "xhat, gamma, std = cache[\"xhat\"], cache[\"gamma\"], cache[\"std\"]"),)),
    Mutant("dropout_uniform_draw_and_boolean_mask",
           "mask = (rng.random(x.shape) < p) / p\n        out = x * mask",
           "keep = rng.uniform(size=x.shape) < p\n        mask = keep / p\n        out = np.where(keep, x / p, 0.0)"),
    Mutant("dropout_test_mode_returns_x_itself",
           "out = x.copy()",
           "out = x"),
]
