"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `sparse_autoencoder`.

Each one is an exact text edit of `reference/numpy/sparse_autoencoder.py`. `catches` is
left empty until the grader's check names exist.
`tests/mutants/probes/sparse_autoencoder.py` (run by test_mutant_probes.py) shows that every
MUTANT changes some contract function's output and every UNUSUAL one matches the reference to
1e-10 (except where `INEXACT` says why not).

Note for the trained-model check: `train` takes Adam steps, which divide each gradient by
the root of its own running mean square, so a gradient off by a constant factor (missing
1/N, missing beta when beta is 3, averaged tied-weight paths) trains almost like the right
one. Gradient checks (of each term alone) catch those; the trained check catches what
changes the direction of the steps, and a `train` that takes plain gradient steps.
"""

from graders.engine.mutants import Mutant

# Early-return rewrites: the rest of the reference body stays behind as dead code, which
# is harmless and keeps each mutant a single exact edit.
_COST_HEAD = '    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]\n'

_COST_UNTIED_COPIES = _COST_HEAD + """    W_enc, W_dec = W, W.T.copy()             # treat the two uses of W as two weights
    N = X.shape[0]
    H = sigmoid(X @ W_enc + b_h)
    X_hat = sigmoid(H @ W_dec + b_v)
    rho_hat = np.sum(H, axis=0) / N
    kl = rho * (np.log(rho) - np.log(rho_hat)) + (1 - rho) * (np.log(1 - rho) - np.log(1 - rho_hat))
    J = np.sum((X_hat - X) ** 2) / (2 * N) + lam / 2 * np.sum(W * W) + beta * np.sum(kl)
    delta3 = (X_hat - X) * X_hat * (1 - X_hat) / N
    sparsity_delta = beta * ((1 - rho) / (1 - rho_hat) - rho / rho_hat) / N
    delta2 = (delta3 @ W_dec.T + sparsity_delta) * H * (1 - H)
    grad_W_dec = H.T @ delta3                 # (K, D)
    grad_W_enc = X.T @ delta2                 # (D, K)
    dW = grad_W_enc + grad_W_dec.T + lam * W  # tie them back: add the transposed decoder grad
    return float(J), {"W": dW, "b_h": delta2.sum(axis=0), "b_v": delta3.sum(axis=0)}
"""

_COST_PER_SAMPLE_LOOP = _COST_HEAD + """    N, D = X.shape
    K = W.shape[1]
    H = sigmoid(X @ W + b_h)
    rho_hat = H.mean(axis=0)
    dkl = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / N
    J = lam / 2 * np.sum(W**2) + beta * np.sum(
        rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    dW, db_h, db_v = lam * W, np.zeros(K), np.zeros(D)
    for n in range(N):                        # one sample at a time
        h = H[n]
        x_hat = sigmoid(W @ h + b_v)          # decoder as a matrix-vector product
        J += np.sum((x_hat - X[n]) ** 2) / (2 * N)
        d_out = (x_hat - X[n]) * x_hat * (1 - x_hat) / N
        d_hid = (W.T @ d_out + dkl) * h * (1 - h)
        dW += np.outer(d_out, h) + np.outer(X[n], d_hid)
        db_v += d_out
        db_h += d_hid
    return float(J), {"W": dW, "b_h": db_h, "b_v": db_v}
"""

_TRAIN_HEAD = "    X = np.asarray(X, dtype=np.float64)\n    params = init_params(X.shape[1], n_hidden, seed)\n"

_TRAIN_PLAIN_GD = _TRAIN_HEAD + """    history = []
    for _ in range(epochs):
        J, grads = cost(params, X, rho, beta, lam)
        for k in params:
            params[k] = params[k] - lr * grads[k]
        history.append(J)
    return params, history
"""

MUTANTS = [
    # --- to_grayscale
    Mutant("to_grayscale_equal_weights", "    return rgb @ np.array(LUMINANCE)\n",
           "    return rgb.mean(axis=-1)\n",
           catches=(
               'to_grayscale: luminance weights 0.2126 R + 0.7152 G + 0.0722 B',
           ),
           says=('plain mean of R, G and B',)),
    Mutant("to_grayscale_bgr_channel_order",  # OpenCV habits: channels read as B, G, R
           "    return rgb @ np.array(LUMINANCE)\n", "    return rgb[..., ::-1] @ np.array(LUMINANCE)\n",
           catches=(
               'to_grayscale: luminance weights 0.2126 R + 0.7152 G + 0.0722 B',
           ),
           says=('order B, G, R',)),
    # --- sample_patches
    Mutant("sample_patches_transposed_blocks",  # column-major flattening of each block
           "    return patches.reshape(n, p * p)                 # row-major flattening",
           "    return patches.transpose(0, 2, 1).reshape(n, p * p)",
           catches=(
               'sample_patches: every patch is a contiguous row-major block of one image',
               'sample_patches: every image and every position can be drawn',
           ),
           says=('column by column',)),
    Mutant("sample_patches_strip_of_consecutive_pixels",  # p*p pixels of the flattened image: not a block
           "    patches = images[k[:, None, None], rows, cols]   # (n, p, p) by broadcasting",
           "    patches = images.reshape(N, H * W)[k[:, None], (r * W + c)[:, None] + np.arange(p * p)]",
           catches=(
               'sample_patches: every patch is a contiguous row-major block of one image',
               'sample_patches: every image and every position can be drawn',
           ),
           says=('consecutive pixels',)),
    Mutant("sample_patches_never_touches_the_last_row",  # off-by-one upper bound of integers()
           "    r = rng.integers(0, H - p + 1, size=n)", "    r = rng.integers(0, H - p, size=n)",
           catches=(
               'sample_patches: every image and every position can be drawn',
           ),
           says=('off-by-one',)),
    Mutant("sample_patches_column_bound_from_the_height",  # written and tested on square images
           "    c = rng.integers(0, W - p + 1, size=n)", "    c = rng.integers(0, H - p + 1, size=n)",
           catches=(
               'sample_patches: every image and every position can be drawn',
           ),
           says=("column bound is taken from the image's height",)),
    Mutant("sample_patches_unseeded_generator",  # default_rng() draws fresh entropy on every call
           "    rng = np.random.default_rng(seed)\n    k = rng.integers", "    rng = np.random.default_rng()\n    k = rng.integers",
           catches=(
               'sample_patches: reproducible with the seed, different seeds differ',
           ),
           says=('default_rng(seed)',)),
    # --- normalize_patches
    Mutant("normalize_patches_adds_1_instead_of_0_1",  # maps to [1.0, 1.8]
           "    return (P + 1.0) * 0.4 + 0.1", "    return (P + 1.0) * 0.4 + 1",
           catches=(
               'normalize_patches: values lie in [0.1, 0.9]',
               'normalize_patches: values on random patches',
               'normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9',
           ),
           says=('+1 instead of +0.1',)),
    Mutant("normalize_patches_maps_to_0_1",
           "    return (P + 1.0) * 0.4 + 0.1", "    return (P + 1.0) * 0.5",
           catches=(
               'normalize_patches: values on random patches',
               'normalize_patches: values lie in [0.1, 0.9]',
               'normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9',
           ),
           says=('[0, 1] instead of [0.1, 0.9]',)),
    Mutant("normalize_patches_global_mean_not_per_patch",
           "    P = P - P.mean(axis=1, keepdims=True)", "    P = P - P.mean()",
           catches=(
               "normalize_patches: each patch's own mean is removed",
               'normalize_patches: values on random patches',
               'normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9',
           ),
           says=("each patch's own mean",)),
    Mutant("normalize_patches_no_mean_removal",
           "    P = P - P.mean(axis=1, keepdims=True)", "    P = P",
           catches=(
               'normalize_patches: values on random patches',
               "normalize_patches: each patch's own mean is removed",
               'normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9',
           ),
           says=('no mean removal',)),
    Mutant("normalize_patches_one_std_instead_of_three",
           "    s = 3.0 * P.std()", "    s = P.std()",
           catches=(
               'normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9',
               'normalize_patches: values on random patches',
           ),
           says=('1 standard deviation instead of 3',)),
    Mutant("normalize_patches_one_scale_per_patch",  # std over each row instead of all values
           "    s = 3.0 * P.std()                          # one scale for the whole set\n"
           "    if s == 0.0:                               # all patches flat: everything maps to the middle\n"
           "        return np.full_like(P, 0.5)\n",
           "    s = 3.0 * P.std(axis=1, keepdims=True)\n",
           catches=(
               'normalize_patches: values on random patches',
               'normalize_patches: -3 sigma -> 0.1, patch mean -> 0.5, +3 sigma -> 0.9',
           ),
           says=('one s per patch',)),
    Mutant("normalize_patches_centres_its_input_in_place",  # asarray does not copy a float64 array
           "    P = P - P.mean(axis=1, keepdims=True)", "    P -= P.mean(axis=1, keepdims=True)",
           catches=(
               'normalize_patches: leaves its input unchanged',
           ),
           says=('in place',)),
    # --- init_params
    Mutant("init_params_uniform_0_r",  # all weights positive
           "rng.uniform(-r, r, size=(n_visible, n_hidden))", "rng.uniform(0, r, size=(n_visible, n_hidden))",
           catches=(
               'init_params: zero biases, W uniform in [-r, r]',
           ),
           says=('Uniform(0, r)',)),
    Mutant("init_params_ignores_seed",
           "    rng = np.random.default_rng(seed)\n    r = np.sqrt(", "    rng = np.random.default_rng()\n    r = np.sqrt(",
           catches=(
               'init_params: reproducible with the seed',
           ),
           says=('default_rng(seed)',)),
    # --- cost: forward terms
    Mutant("cost_kl_without_the_1_minus_rho_part",
           "np.log(rho / rho_hat)\n                         + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))",
           "np.log(rho / rho_hat))",
           catches=(
               'cost: sparsity (KL) term of J',
               'cost: J with every term on',
               'cost: KL term is 0 when rho_hat = rho, positive otherwise',
           ),
           says=('(1 - rho) log((1 - rho) / (1 - rho_hat)) part',)),
    Mutant("cost_reconstruction_without_half",
           "    J_rec = 0.5 / N * np.sum(diff**2)", "    J_rec = 1.0 / N * np.sum(diff**2)",
           catches=(
               'cost: reconstruction term of J (beta = 0, lam = 0)',
               'cost: J with every term on',
           ),
           says=('without the 1/2',)),
    Mutant("cost_reconstruction_mean_over_all_entries",  # np.mean: divides by N * D
           "    J_rec = 0.5 / N * np.sum(diff**2)", "    J_rec = 0.5 * np.mean(diff**2)",
           catches=(
               'cost: reconstruction term of J (beta = 0, lam = 0)',
               'cost: J with every term on',
           ),
           says=('mean over all N*D entries',)),
    Mutant("cost_weight_decay_without_half",
           "    J_wd = 0.5 * lam * np.sum(W**2)", "    J_wd = lam * np.sum(W**2)",
           catches=(
               'cost: weight-decay term of J',
               'cost: J with every term on',
           ),
           says=('without the 1/2',)),
    Mutant("cost_rho_hat_over_the_wrong_axis",  # mean over units instead of over the batch
           "    rho_hat = H.mean(axis=0)", "    rho_hat = H.mean(axis=1, keepdims=True)",
           catches=(
               'cost: sparsity (KL) term of J',
               'cost: J with every term on',
               'cost: gradient check with every term on',
               'cost: gradient of the sparsity (KL) term alone',
           )),
    # --- cost: gradient
    Mutant("cost_tied_weight_gradient_averaged",
           "    dW = dW_enc + dW_dec + lam * W", "    dW = (dW_enc + dW_dec) / 2 + lam * W",
           catches=(
               'cost: tied-weight gradient',
               'cost: gradient of the reconstruction term alone (beta = 0, lam = 0)',
               'cost: gradient check with every term on',
           ),
           says=('AVERAGES its two paths', 'SUM',)),
    Mutant("cost_tied_weight_gradient_encoder_path_only",
           "    dW = dW_enc + dW_dec + lam * W", "    dW = dW_enc + lam * W",
           catches=(
               'cost: tied-weight gradient',
               'cost: gradient of the reconstruction term alone (beta = 0, lam = 0)',
               'cost: gradient check with every term on',
           ),
           says=('only the encoder path',)),
    Mutant("cost_missing_weight_decay_gradient",
           "    dW = dW_enc + dW_dec + lam * W", "    dW = dW_enc + dW_dec",
           catches=(
               'cost: gradient of the weight-decay term alone',
               'cost: gradient check with every term on',
           ),
           says=('weight-decay gradient is missing',)),
    Mutant("cost_kl_gradient_wrong_sign",
           "    dkl = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))",
           "    dkl = beta * (rho / rho_hat - (1 - rho) / (1 - rho_hat))",
           catches=(
               'cost: gradient of the sparsity (KL) term alone',
               'cost: gradient check with every term on',
           ),
           says=('sign of the KL gradient is flipped',)),
    Mutant("cost_kl_gradient_missing_beta",
           "    dkl = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))",
           "    dkl = (-rho / rho_hat + (1 - rho) / (1 - rho_hat))",
           catches=(
               'cost: gradient of the reconstruction term alone (beta = 0, lam = 0)',
               'cost: gradient of the sparsity (KL) term alone',
               'cost: gradient check with every term on',
           ),
           says=('with beta=0 your gradient still has a sparsity part',)),
    Mutant("cost_kl_gradient_missing_1_over_N",
           "    dH = dH + dkl / N ", "    dH = dH + dkl ",
           catches=(
               'cost: gradient of the sparsity (KL) term alone',
               'cost: gradient check with every term on',
           ),
           says=('the batch size',)),
    Mutant("cost_reconstruction_gradient_missing_1_over_N",
           "    dZ_v = diff / N * X_hat * (1 - X_hat)", "    dZ_v = diff * X_hat * (1 - X_hat)",
           catches=(
               'cost: gradient of the reconstruction term alone (beta = 0, lam = 0)',
               'cost: tied-weight gradient',
               'cost: gradient check with every term on',
           ),
           says=('the batch size',)),
    Mutant("cost_output_sigmoid_derivative_missing",
           "    dZ_v = diff / N * X_hat * (1 - X_hat)", "    dZ_v = diff / N",
           catches=(
               'cost: gradient of the reconstruction term alone (beta = 0, lam = 0)',
               'cost: tied-weight gradient',
               'cost: gradient check with every term on',
           )),
    Mutant("cost_sigmoid_derivatives_taken_at_the_outputs",  # a sigmoid_prime(z) helper called on X_hat and H
           "    dZ_v = diff / N * X_hat * (1 - X_hat)", "    dZ_v = diff / N * sigmoid(X_hat) * (1 - sigmoid(X_hat))",
           more=(("    dZ_h = dH * H * (1 - H)", "    dZ_h = dH * sigmoid(H) * (1 - sigmoid(H))"),),
           catches=(
               'cost: gradient of the reconstruction term alone (beta = 0, lam = 0)',
               'cost: gradient check with every term on',
           ),
           says=("taken at the layers' outputs",)),
    # --- train
    Mutant("train_plain_gradient_steps_instead_of_adam", _TRAIN_HEAD, _TRAIN_PLAIN_GD + _TRAIN_HEAD,
           catches=(
               'train: one full-batch Adam step',
               'train: two Adam steps',
               'train: held-out cost',
           ),
           says=('plain gradient steps',)),
    Mutant("train_adam_without_bias_correction",
           "            m_hat = m[k] / (1 - b1**t)                     # bias corrections: m, v start at 0\n"
           "            v_hat = v[k] / (1 - b2**t)\n",
           "            m_hat = m[k]\n            v_hat = v[k]\n",
           catches=(
               'train: one full-batch Adam step',
               'train: two Adam steps',
               'train: held-out cost',
           ),
           says=('no bias correction',)),
    # The exact Adam checks: slips that train about as well on this task (Adam with v = mean |g|
    # reaches a held-out cost of 0.3935 against the bound 0.4104) but are not the contract's
    # optimiser; a wrong bias correction of v alone; one step too few.
    Mutant("train_adam_second_moment_of_abs_g",
           "            v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2\n",
           "            v[k] = b2 * v[k] + (1 - b2) * np.abs(grads[k])\n",
           more=(("            params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)\n",
                  "            params[k] = params[k] - lr * m_hat / (v_hat + eps)\n"),),
           catches=(  # the first step is the same: g / |g| = g / sqrt(g**2)
               'train: two Adam steps',
           ),
           says=('a wrong second moment',)),
    Mutant("train_adam_bias_correction_of_v_with_beta1",
           "            v_hat = v[k] / (1 - b2**t)\n", "            v_hat = v[k] / (1 - b1**t)\n",
           catches=(
               'train: one full-batch Adam step',
               'train: two Adam steps',
           )),
    Mutant("train_adam_bias_correction_t_from_the_step_before",  # t - 1 on the second step
           "            m_hat = m[k] / (1 - b1**t)                     # bias corrections: m, v start at 0\n"
           "            v_hat = v[k] / (1 - b2**t)\n",
           "            m_hat = m[k] / (1 - b1**max(t - 1, 1))\n            v_hat = v[k] / (1 - b2**max(t - 1, 1))\n",
           catches=(
               'train: two Adam steps',
           )),
    Mutant("train_one_step_too_few",
           "    for t in range(1, epochs + 1):\n", "    for t in range(1, epochs):\n",
           catches=(
               'train: one full-batch Adam step',
               'train: two Adam steps',
               'train: history holds epochs costs',
           ),
           says=('one step too few',)),
    Mutant("train_history_holds_the_cost_after_each_step",
           "        history.append(J)\n    return params, history\n",
           "        history.append(cost(params, X, rho, beta, lam)[0])\n    return params, history\n",
           catches=(
               'train: one full-batch Adam step',
               'train: history holds epochs costs',
           )),
    Mutant("train_adam_eps_inside_the_root",  # sqrt(v_hat + eps): a root of at least 1e-4
           "lr * m_hat / (np.sqrt(v_hat) + eps)", "lr * m_hat / np.sqrt(v_hat + eps)",
           catches=(
               "train: Adam's eps is added to sqrt(v_hat)",
           ),
           says=('eps inside the square root',)),
    # --- the caller's arrays (checks_inputs.py)
    Mutant("to_grayscale_weights_the_callers_channels_in_place",  # asarray does not copy a float64 array
           "    rgb = np.asarray(images, dtype=np.float64)\n    return rgb @ np.array(LUMINANCE)",
           "    rgb = np.asarray(images, dtype=np.float64)\n    rgb *= np.array(LUMINANCE)\n"
           "    return rgb.sum(axis=-1)",
           catches=(
               'to_grayscale: leaves its inputs unchanged',
           ),
           says=('argument images', 'images +=')),
    Mutant("sample_patches_scales_the_callers_images_in_place",
           "    images = np.asarray(images, dtype=np.float64)\n    if images.ndim == 2:",
           "    images = np.asarray(images, dtype=np.float64)\n    images /= images.max()  # pixels to [0, 1]\n"
           "    if images.ndim == 2:",
           catches=(
               'sample_patches: leaves its inputs unchanged',
           ),
           says=('argument images',)),
    Mutant("cost_weight_decay_gradient_in_the_callers_W",  # saves an allocation, scales params["W"]
           "    dW = dW_enc + dW_dec + lam * W ",
           "    W *= lam\n    dW = dW_enc + dW_dec + W ",
           catches=(
               'cost: leaves its inputs unchanged',
           ),
           says=("argument params['W']", 'W +=')),
    Mutant("train_shuffles_the_callers_X",  # a habit from mini-batch loops; full-batch Adam needs no order
           "    X = np.asarray(X, dtype=np.float64)\n    params = init_params(",
           "    X = np.asarray(X, dtype=np.float64)\n    np.random.default_rng(seed).shuffle(X)\n"
           "    params = init_params(",
           catches=(
               'train: leaves its inputs unchanged',
           ),
           says=('argument X',)),
]

UNUSUAL = [
    Mutant("to_grayscale_einsum", "    return rgb @ np.array(LUMINANCE)\n",
           '    return np.einsum("...c,c->...", rgb, np.array([0.2126, 0.7152, 0.0722]))\n'),
    Mutant("to_grayscale_channel_by_channel", "    return rgb @ np.array(LUMINANCE)\n",
           "    return 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]\n"),
    Mutant("sample_patches_loop_with_slices",
           "    patches = images[k[:, None, None], rows, cols]   # (n, p, p) by broadcasting",
           "    patches = np.stack([images[k[j], r[j]:r[j] + p, c[j]:c[j] + p] for j in range(n)])"),
    Mutant("sample_patches_sliding_window_view",
           "    patches = images[k[:, None, None], rows, cols]   # (n, p, p) by broadcasting",
           "    patches = np.lib.stride_tricks.sliding_window_view(images, (p, p), axis=(1, 2))[k, r, c]"),
    Mutant("normalize_patches_explicit_affine_map",
           "    return (P + 1.0) * 0.4 + 0.1", "    return 0.5 + 0.4 * P"),
    Mutant("normalize_patches_std_by_hand",
           "    s = 3.0 * P.std()", "    s = 3.0 * np.sqrt(np.mean((P - P.mean()) ** 2))"),
    Mutant("init_params_scaled_standard_uniform",
           "rng.uniform(-r, r, size=(n_visible, n_hidden))", "r * (2 * rng.random((n_visible, n_hidden)) - 1)"),
    Mutant("sigmoid_plain_formula",  # the given helper rewritten the textbook way
           "    return 0.5 * (1.0 + np.tanh(0.5 * z))", "    return 1.0 / (1.0 + np.exp(-z))"),
    Mutant("cost_untied_copies_added_back", _COST_HEAD, _COST_UNTIED_COPIES + _COST_HEAD),
    Mutant("sample_patches_legacy_global_seed",  # np.random.seed + randint: other draws, same properties
           "    rng = np.random.default_rng(seed)\n    k = rng.integers(0, N, size=n)             # which image\n"
           "    r = rng.integers(0, H - p + 1, size=n)     # top row of the block\n"
           "    c = rng.integers(0, W - p + 1, size=n)     # left column of the block\n",
           "    np.random.seed(seed)\n    k = np.random.randint(0, N, size=n)\n"
           "    r = np.random.randint(0, H - p + 1, size=n)\n    c = np.random.randint(0, W - p + 1, size=n)\n"),
    Mutant("normalize_patches_sample_std_like_matlab",  # UFLDL's MATLAB std divides by n - 1
           "    s = 3.0 * P.std() ", "    s = 3.0 * P.std(ddof=1) "),
    Mutant("cost_returns_a_numpy_scalar", "    return float(J), {", "    return J, {"),
    Mutant("train_history_as_an_array", "    return params, history\n", "    return params, np.array(history)\n"),
    Mutant("train_adam_eps_inside_sqrt",
           "lr * m_hat / (np.sqrt(v_hat) + eps)", "lr * m_hat / np.sqrt(v_hat + eps**2)"),
]

# Graded with the trained check these take long (the per-sample loop trains in ~35-40 s
# CPU, the reference in ~2-3 s): tests/graders/test_mutants.py runs them with -m slow.
SLOW_UNUSUAL = [
    Mutant("cost_loop_over_samples", _COST_HEAD, _COST_PER_SAMPLE_LOOP + _COST_HEAD),
]

INEXACT = {
    # the sample standard deviation: s larger by sqrt(n / (n - 1)); accepted by the grader.
    "normalize_patches_sample_std_like_matlab": ("normalize_patches",),
    # the legacy global generator draws other positions: the same properties, other patches.
    "sample_patches_legacy_global_seed": ("sample_patches",),
    # eps inside the root changes each step by about eps / sqrt(v): negligible, not 1e-10-exact.
    "train_adam_eps_inside_sqrt": ("train", "train:small gradients"),
}
