"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `numpy_basics`.

Each one is an exact text edit of `reference/numpy/numpy_basics.py`. `catches` is left
empty until the grader's check names exist. `tests/mutants/probes/numpy_basics.py` (run by test_mutant_probes.py)
shows that every MUTANT changes some contract function's output (or its finiteness at
|z| = 1e3) and every UNUSUAL one matches the reference to 1e-10.
"""

from graders.engine.mutants import Mutant

MUTANTS = [
    # --- relu / relu_backward
    Mutant(
        "relu_np_max_instead_of_maximum",  # np.max(z, 0) reduces over axis 0
        "return np.maximum(z, 0.0)",
        "return np.max(z, 0)",
        catches=(
            'relu: values on random inputs',
            'relu: non-decreasing',
            'relu: finite and exact at |z| = 1e3',
        ),
    ),
    Mutant(
        "relu_backward_multiplies_by_output",  # dout * relu(z) instead of dout * 1[z > 0]
        "return dout * (z > 0)  # dz",
        "return dout * relu(z)  # dz",
        catches=(
            'relu_backward: gradient check',
            'relu_backward: scales with dout',
        ),
    ),
    # --- sigmoid / sigmoid_backward
    Mutant(
        "sigmoid_stable_branches_swapped",
        "np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))",
        catches=(
            'sigmoid: values on random inputs',
            'sigmoid: non-decreasing',
            'sigmoid: finite and exact at |z| = 1e3',
        ),
    ),
    Mutant(
        "sigmoid_backward_without_one_minus_s",
        "return dout * s * (1.0 - s)",
        "return dout * s",
        catches=(
            'sigmoid_backward: gradient check',
            'sigmoid_backward: scales with dout',
        ),
    ),
    Mutant(
        "sigmoid_backward_uses_z_instead_of_s",  # z (1 - z): the derivative formula on the input
        "return dout * s * (1.0 - s)",
        "return dout * z * (1.0 - z)",
        catches=(
            'sigmoid_backward: gradient check',
            'sigmoid_backward: scales with dout',
        ),
    ),
    # --- tanh / tanh_backward
    Mutant(
        "tanh_naive_exp_overflows",  # (e^z - e^-z) / (e^z + e^-z) is inf/inf = nan at |z| = 1e3
        "return np.tanh(z)\n    ### END SOLUTION\n\n\ndef tanh_backward",
        "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))\n    ### END SOLUTION\n\n\n"
        "def tanh_backward",
        catches=(
            'tanh: finite and exact at |z| = 1e3',
        ),
    ),
    Mutant(
        "tanh_backward_one_minus_t_not_squared",
        "return dout * (1.0 - t * t)",
        "return dout * (1.0 - t)",
        catches=(
            'tanh_backward: gradient check',
            'tanh_backward: scales with dout',
        ),
    ),
    # --- hard_sigmoid / hard_sigmoid_backward
    Mutant(
        "hard_sigmoid_pytorch_definition",  # relu6(z + 3) / 6, not the contract's Keras form
        "np.clip(0.2 * np.asarray(z, dtype=np.float64) + 0.5, 0.0, 1.0)",
        "np.clip(np.asarray(z, dtype=np.float64) / 6.0 + 0.5, 0.0, 1.0)",
        catches=(
            'hard_sigmoid: values on random inputs',
            'hard_sigmoid: finite and exact at |z| = 1e3',
        ),
    ),
    Mutant(
        "hard_sigmoid_backward_slope_one",
        "return dout * 0.2 * inside",
        "return dout * inside",
        catches=(
            'hard_sigmoid_backward: gradient check',
            'hard_sigmoid_backward: scales with dout',
        ),
    ),
    Mutant(
        "hard_sigmoid_backward_ignores_clipping",  # 0.2 everywhere, also where the output is flat
        "return dout * 0.2 * inside",
        "return dout * 0.2 * np.ones_like(z)",
        catches=(
            'hard_sigmoid_backward: gradient check',
            'hard_sigmoid_backward: scales with dout',
        ),
    ),
    # --- softmax
    Mutant(
        "softmax_without_max_subtraction",  # exp(1e3) = inf, inf / inf = nan
        "shifted = z - np.max(z, axis=-1, keepdims=True)",
        "shifted = z",
        catches=(
            'softmax: finite at logits of magnitude 1e3',
        ),
    ),
    Mutant(
        "softmax_over_wrong_axis",  # normalises columns instead of rows
        "axis=-1, keepdims=True)",
        "axis=0, keepdims=True)",
        count=2,
        catches=(
            'softmax: values on random inputs',
            'softmax: rows sum to 1 and ignore a constant shift',
            'softmax: finite at logits of magnitude 1e3',
        ),
    ),
    # --- mse_loss
    Mutant(
        "mse_gradient_without_1_over_size",
        "dy_hat = 2.0 * diff / diff.size",
        "dy_hat = 2.0 * diff",
        catches=(
            'mse_loss: gradient check',
        ),
    ),
    Mutant(
        "mse_gradient_with_1_over_N_only",  # divides by the number of rows, not of elements
        "dy_hat = 2.0 * diff / diff.size",
        "dy_hat = 2.0 * diff / diff.shape[0]",
        catches=(
            'mse_loss: gradient check',
        ),
    ),
    Mutant(
        "mse_gradient_without_factor_2",
        "dy_hat = 2.0 * diff / diff.size",
        "dy_hat = diff / diff.size",
        catches=(
            'mse_loss: gradient check',
        ),
    ),
    Mutant(
        "mse_loss_sum_instead_of_mean",
        "loss = float(np.mean(diff**2))",
        "loss = float(np.sum(diff**2))",
        catches=(
            'mse_loss: loss value',
        ),
    ),
    # --- bce_loss
    Mutant(
        "bce_gradient_sign_flipped",
        "dp = (q - y) / (q * (1.0 - q)) / q.size",
        "dp = (y - q) / (q * (1.0 - q)) / q.size",
        catches=(
            'bce_loss: gradient check',
        ),
    ),
    Mutant(
        "bce_gradient_without_1_over_size",
        "dp = (q - y) / (q * (1.0 - q)) / q.size",
        "dp = (q - y) / (q * (1.0 - q))",
        catches=(
            'bce_loss: gradient check',
        ),
    ),
    Mutant(
        "bce_clips_p_to_0_01_0_99",  # a margin for the logs far wider than they need
        "q = np.clip(p, tiny, np.nextafter(1.0, 0.0))",
        "q = np.clip(p, 0.01, 0.99)",
        catches=(
            'bce_loss: loss and gradient at p within 1e-6 to 1e-3 of 0 and 1',
        ),
        says=("clipped to [0.01, 0.99]",),
    ),
    Mutant(
        "bce_without_clipping",  # log(0) = -inf and 0 * -inf = nan when p is exactly 0 or 1
        "q = np.clip(p, tiny, np.nextafter(1.0, 0.0))",
        "q = p",
        catches=(
            'bce_loss: finite at saturated inputs',
        ),
    ),
    # --- softmax_cross_entropy
    Mutant(
        "cross_entropy_gradient_mean_missing",  # loss is a mean, gradient is not divided by N
        "    dlogits /= n  # the mean over N\n",
        "",
        catches=(
            'softmax_cross_entropy: gradient check',
        ),
    ),
    Mutant(
        "cross_entropy_loss_sum_instead_of_mean",
        "loss = float(-np.mean(log_probs[np.arange(n), labels]))",
        "loss = float(-np.sum(log_probs[np.arange(n), labels]))",
        catches=(
            'softmax_cross_entropy: loss value',
            'softmax_cross_entropy: finite at saturated inputs',
        ),
    ),
    Mutant(
        "cross_entropy_without_max_subtraction",  # exp(1e3) overflows: nan loss and gradient
        "shifted = logits - np.max(logits, axis=1, keepdims=True)",
        "shifted = logits",
        catches=(
            'softmax_cross_entropy: finite at saturated inputs',
        ),
    ),
    Mutant(
        "cross_entropy_log_of_softmax",  # log of an underflowed probability is -inf at logits 1e3
        "log_probs = shifted - log_sum  # log softmax, finite",
        "log_probs = np.log(np.exp(shifted) / np.exp(log_sum))",
        catches=(
            'softmax_cross_entropy: finite at saturated inputs',
        ),
    ),
    Mutant(
        "cross_entropy_gradient_without_onehot",  # forgets to subtract 1 at the label
        "    dlogits[np.arange(n), labels] -= 1.0  # probs - onehot(labels)\n",
        "",
        catches=(
            'softmax_cross_entropy: gradient check',
        ),
    ),
]

UNUSUAL = [
    # Naive sigmoid. Stability expectation: at z = -1e3, np.exp(1e3) overflows to inf WITH a
    # RuntimeWarning and 1 / (1 + inf) = 0, the correct limit; at z = +1e3 it is exactly 1.
    # So its values are finite and right at |z| = 1e3: a stability check must test finiteness
    # and values (under np.errstate), never the absence of warnings, to give this full marks.
    Mutant(
        "sigmoid_naive",
        "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "return 1.0 / (1.0 + np.exp(-z))",
    ),
    Mutant(
        "relu_backward_derivative_one_at_zero",  # relu'(0) = 1: a valid subgradient at the kink
        "return dout * (z > 0)  # dz",
        "return dout * (z >= 0)  # dz",
    ),
    Mutant(
        "relu_as_product_with_mask",
        "return np.maximum(z, 0.0)",
        "return z * (z > 0)",
    ),
    Mutant(
        "relu_backward_np_where",
        "return dout * (z > 0)  # dz",
        "return np.where(z > 0, dout, 0.0)  # dz",
    ),
    Mutant(
        "sigmoid_backward_via_exp",  # e^-z / (1 + e^-z)^2, written from the textbook
        "s = sigmoid(z)  # s = sigmoid(z)\n    return dout * s * (1.0 - s)",
        "e = np.exp(-np.abs(z))\n    return dout * e / (1.0 + e) ** 2",
    ),
    Mutant(
        "tanh_via_sigmoid",  # tanh(z) = 2 sigmoid(2z) - 1
        "return np.tanh(z)\n    ### END SOLUTION\n\n\ndef tanh_backward",
        "return 2.0 * sigmoid(2.0 * np.asarray(z, dtype=np.float64)) - 1.0\n"
        "    ### END SOLUTION\n\n\ndef tanh_backward",
    ),
    # 1 / cosh(z)^2: cosh overflows to inf (with a warning) at |z| = 1e3 and 1 / inf = 0 is
    # the right value; like the naive sigmoid it needs a finiteness check, not a warning check.
    Mutant(
        "tanh_backward_sech_squared",
        "return dout * (1.0 - t * t)",
        "return dout / np.cosh(z) ** 2",
    ),
    Mutant(
        "hard_sigmoid_minimum_maximum",
        "return np.clip(0.2 * np.asarray(z, dtype=np.float64) + 0.5, 0.0, 1.0)",
        "return np.maximum(0.0, np.minimum(1.0, 0.2 * z + 0.5))",
    ),
    Mutant(
        "hard_sigmoid_backward_abs_where",
        "return dout * 0.2 * inside",
        "return np.where(np.abs(z) < 2.5, 0.2 * dout, 0.0)",
    ),
    Mutant(
        "softmax_log_sum_exp",  # exp(z - logsumexp(z)), logsumexp computed with the max trick
        "e = np.exp(shifted)  # in (0, 1]\n    return e / np.sum(e, axis=-1, keepdims=True)",
        "lse = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))\n"
        "    return np.exp(shifted - lse)",
    ),
    Mutant(
        "mse_gradient_via_mean",
        "dy_hat = 2.0 * diff / diff.size",
        "dy_hat = 2.0 * diff * (1.0 / np.prod(diff.shape))",
    ),
    Mutant(
        "bce_clip_eps_1e_12",  # a wider clip: only differs for p within 1e-12 of 0 or 1
        "q = np.clip(p, tiny, np.nextafter(1.0, 0.0))",
        "q = np.clip(p, 1e-12, 1.0 - 1e-12)",
    ),
    Mutant(
        "bce_gradient_two_terms",
        "dp = (q - y) / (q * (1.0 - q)) / q.size",
        "dp = (-y / q + (1.0 - y) / (1.0 - q)) / q.size",
    ),
    Mutant(
        "cross_entropy_onehot_matrix",
        "    dlogits[np.arange(n), labels] -= 1.0  # probs - onehot(labels)\n",
        "    dlogits = dlogits - np.eye(logits.shape[1])[labels]\n",
    ),
]

# In-place slips ("no function modifies its inputs") and slips that only a property shows.
MUTANTS += [
    Mutant("relu_in_place", "return np.maximum(z, 0.0)", "return np.maximum(z, 0.0, out=z)",
           catches=("relu: leaves its input unchanged",)),
    Mutant("relu_backward_zeroes_dout_in_place", "return dout * (z > 0)  # dz",
           "dout[z <= 0] = 0.0\n    return dout  # dz",
           catches=("relu_backward: leaves its inputs unchanged",)),
    Mutant("sigmoid_in_place", "e = np.exp(-np.abs(z))  # in (0, 1]",
           "e = np.exp(-np.abs(z, out=z), out=z)  # in (0, 1]",
           catches=("sigmoid: leaves its input unchanged",)),
    Mutant("sigmoid_clipped_away_from_zero",
           "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
           "return np.clip(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), 1e-7, 1.0)",
           catches=("sigmoid: symmetric, sigmoid(-z) = 1 - sigmoid(z)",)),
    Mutant("sigmoid_backward_scales_dout_in_place", "return dout * s * (1.0 - s)",
           "dout *= s * (1.0 - s)\n    return dout",
           catches=("sigmoid_backward: leaves its inputs unchanged",)),
    Mutant("tanh_as_two_sigmoid_minus_one",  # the identity is 2 sigmoid(2z) - 1
           "return np.tanh(z)\n    ### END SOLUTION\n\n\ndef tanh_backward",
           "return 2.0 / (1.0 + np.exp(-z)) - 1.0\n    ### END SOLUTION\n\n\ndef tanh_backward",
           catches=("tanh: values on random inputs",)),
    Mutant("tanh_in_place", "return np.tanh(z)\n    ### END SOLUTION\n\n\ndef tanh_backward",
           "return np.tanh(z, out=z)\n    ### END SOLUTION\n\n\ndef tanh_backward",
           catches=("tanh: leaves its input unchanged",)),
    Mutant("tanh_backward_scales_dout_in_place", "return dout * (1.0 - t * t)",
           "dout *= 1.0 - t * t\n    return dout",
           catches=("tanh_backward: leaves its inputs unchanged",)),
    Mutant("hard_sigmoid_slope_sign_flipped",
           "np.clip(0.2 * np.asarray(z, dtype=np.float64) + 0.5, 0.0, 1.0)",
           "np.clip(0.5 - 0.2 * np.asarray(z, dtype=np.float64), 0.0, 1.0)",
           catches=("hard_sigmoid: non-decreasing",)),
    Mutant("hard_sigmoid_in_place",
           "return np.clip(0.2 * np.asarray(z, dtype=np.float64) + 0.5, 0.0, 1.0)",
           "z *= 0.2\n    z += 0.5\n    return np.clip(z, 0.0, 1.0)",
           catches=("hard_sigmoid: leaves its input unchanged",)),
    Mutant("hard_sigmoid_backward_masks_dout_in_place", "return dout * 0.2 * inside",
           "dout[~inside] = 0.0\n    dout *= 0.2\n    return dout",
           catches=("hard_sigmoid_backward: leaves its inputs unchanged",)),
    Mutant("softmax_subtracts_max_in_place",
           "shifted = z - np.max(z, axis=-1, keepdims=True)",
           "z -= np.max(z, axis=-1, keepdims=True)\n    shifted = z",
           catches=("softmax: leaves its input unchanged",)),
    Mutant("mse_residuals_in_place", "diff = y_hat - y  # residuals",
           "y_hat -= y\n    diff = y_hat  # residuals",
           catches=("mse_loss: leaves its inputs unchanged",)),
    Mutant("mse_gradient_plus_instead_of_minus", "dy_hat = 2.0 * diff / diff.size",
           "dy_hat = 2.0 * (y_hat + y) / diff.size",
           catches=("mse_loss: gradient check", "mse_loss: zero at the target, never negative")),
    Mutant("bce_loss_without_the_negative_class_term",
           "loss = float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))",
           "loss = float(-np.mean(y * np.log(q)))",
           catches=("bce_loss: loss value",)),
    Mutant("bce_loss_without_the_minus_sign",
           "loss = float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))",
           "loss = float(np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))",
           catches=("bce_loss: loss value", "bce_loss: never negative"), says=("sign is flipped",)),
    Mutant("bce_clips_p_in_place", "q = np.clip(p, tiny, np.nextafter(1.0, 0.0))",
           "q = np.clip(p, tiny, np.nextafter(1.0, 0.0), out=p)",
           catches=("bce_loss: leaves its inputs unchanged",)),
    Mutant("cross_entropy_subtracts_max_in_place",
           "shifted = logits - np.max(logits, axis=1, keepdims=True)",
           "logits -= np.max(logits, axis=1, keepdims=True)\n    shifted = logits",
           catches=("softmax_cross_entropy: leaves its inputs unchanged",)),
]
