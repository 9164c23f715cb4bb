"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `autoencoder_numpy`.

Each one is an exact text edit of `reference/numpy/autoencoder_numpy.py`. `catches` names
the checks of graders/assignments/autoencoder_numpy/ that must fail on it, the check of
the function the slip is in first; `says` are words its feedback must contain
(tests/graders/test_mutants.py). `tests/mutants/probes/autoencoder_numpy.py` (run by test_mutant_probes.py) shows
that every MUTANT changes some contract function's output and every UNUSUAL one matches
the reference to 1e-10 (except where `INEXACT` says why not). The MUTANTS of
`adagrad_update` and `train` are in graders/assignments/autoencoder_numpy/slips_training.py.

`catches` lists the checks that catch the slip by design. Several slips also make the
calibrated run fail ("train: held-out reconstruction"); that check is named only where it
is the point (backward_forgets_relu_mask), because grading it costs the whole training
run: the slow test in test_autoencoder_numpy_mutants.py shows the bound rejects the rest
(FAILS_TRAINED_BOUND). Likewise a slip in forward also fails the gradient checks (backward
works from forward's cache; the feedback says to fix forward first).

Note for the trained-model check: Adagrad divides each gradient by the root of its own
accumulated squares, so a gradient that is off by a constant factor (MSE without 1/size,
bias gradient averaged, ...) trains almost exactly like the right one. Only gradient
checks catch those; the trained check catches what changes the direction of the step.
"""

from graders.engine.mutants import Mutant
from graders.assignments.autoencoder_numpy.slips_training import ADAGRAD_BODY, TRAINING_MUTANTS

# Early-return rewrites of `backward`: the rest of the reference body stays behind as dead
# code, which is harmless and keeps each mutant a single exact edit.
_BACKWARD_HEAD = "    Z1, H, X_hat = cache\n    M = X.size  # N * D elements in the mean\n"

_BACKWARD_LOOPS = """    Z1, H, X_hat = cache
    N, D = X.shape
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    for n in range(N):  # one sample at a time, summing its contribution
        dxh = 2.0 * (X_hat[n] - X[n]) / (N * D)
        dz2 = dxh * X_hat[n] * (1.0 - X_hat[n])
        grads["W2"] += np.outer(H[n], dz2)
        grads["b2"] += dz2
        dz1 = (params["W2"] @ dz2) * (Z1[n] > 0)
        grads["W1"] += np.outer(X[n], dz1)
        grads["b1"] += dz1
    return grads
    M = X.size  # N * D elements in the mean
"""

_BACKWARD_EINSUM = """    Z1, H, X_hat = cache
    dZ2 = 2.0 * (X_hat - X) / X.size * X_hat * (1.0 - X_hat)
    dZ1 = np.einsum("nd,hd->nh", dZ2, params["W2"]) * (Z1 > 0)
    return {
        "W1": np.einsum("nd,nh->dh", X, dZ1),
        "b1": np.einsum("nh->h", dZ1),
        "W2": np.einsum("nh,nd->hd", H, dZ2),
        "b2": np.einsum("nd->d", dZ2),
    }
    M = X.size  # N * D elements in the mean
"""

MUTANTS = [
    # --- init_params
    Mutant(
        "init_params_ignores_seed",  # a fresh unseeded generator: not reproducible
        "    rng = np.random.default_rng(seed)\n    return {",
        "    rng = np.random.default_rng()\n    return {",
        catches=(
            "init_params: reproducible from the seed, different for another seed",
            "train: reproducible from the seed",
        ),
        says=("default_rng(seed)",),
    ),
    Mutant(
        "init_params_zero_weights",  # every hidden unit identical: symmetry is never broken
        "rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden))",
        "np.zeros((n_in, n_hidden))",
        catches=(
            "init_params: random weights of a sensible scale",
        ),
        says=("symmetry",),
    ),
    Mutant(
        "init_params_W2_transposed_shape",
        "size=(n_hidden, n_in)),",
        "size=(n_in, n_hidden)),",
        catches=(
            "init_params: shapes and dtype",
            "init_params: reproducible from the seed",
            "init_params: biases start at zero",
            "init_params: random weights of a sensible scale",
        ),
        says=("transpose",),
    ),
    Mutant(
        "init_params_fixed_seed",  # copy-pasted default_rng(0): every seed gives the same weights
        "    rng = np.random.default_rng(seed)\n    return {",
        "    rng = np.random.default_rng(0)\n    return {",
        catches=(
            "init_params: reproducible from the seed, different for another seed",
        ),
        says=("fixed seed",),
    ),
    Mutant(
        "init_params_unscaled_randn",  # standard normal weights, the scale forgotten
        "rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden))",
        "rng.standard_normal((n_in, n_hidden))",
        catches=(
            "init_params: random weights of a sensible scale",
        ),
        says=("unscaled",),
    ),
    Mutant(
        "init_params_random_biases",
        '"b1": np.zeros(n_hidden),',
        '"b1": rng.normal(0.0, 0.1, size=n_hidden),',
        catches=(
            "init_params: biases start at zero",
        ),
        says=("np.zeros",),
    ),
    # --- forward
    Mutant(
        "forward_forgets_b2",
        'Z2 = H @ params["W2"] + params["b2"]',
        'Z2 = H @ params["W2"]',
        catches=(
            "forward: values on random inputs",
            "forward: finite and exact at output pre-activations of 1e3",
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "backward: gradient check of W2",
            "backward: gradient check of b2",
        ),
        says=("b2 is not added",),
    ),
    Mutant(
        "forward_sigmoid_hidden_layer",  # sigmoid where the contract says relu
        "H = relu(Z1)  # (N, H)",
        "H = sigmoid(Z1)  # (N, H)",
        catches=(
            "forward: values on random inputs",
            "forward: finite and exact at output pre-activations of 1e3",
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "backward: gradient check of W2",
            "backward: gradient check of b2",
        ),
        says=("sigmoid in the hidden layer",),
    ),
    # --- loss
    Mutant(
        "loss_sum_instead_of_mean",
        "return float(np.mean((X_hat - X) ** 2))",
        "return float(np.sum((X_hat - X) ** 2))",
        catches=(
            "loss: value",
            "train: history[e] is the mean loss of epoch e (learning rate 0)",
        ),
        says=("number of elements",),
    ),
    Mutant(
        "loss_half_mse",
        "return float(np.mean((X_hat - X) ** 2))",
        "return float(0.5 * np.mean((X_hat - X) ** 2))",
        catches=(
            "loss: value",
            "train: history[e] is the mean loss of epoch e (learning rate 0)",
        ),
        says=("half",),
    ),
    Mutant(
        "loss_mean_of_differences_not_squared",
        "return float(np.mean((X_hat - X) ** 2))",
        "return float(np.mean(X_hat - X))",
        catches=(
            "loss: value",
            "loss: zero at the target, never negative",
        ),
        says=("not squared",),
    ),
    Mutant(
        "loss_per_sample_array",  # mean over the features only: one loss per row
        "return float(np.mean((X_hat - X) ** 2))",
        "return np.mean((X_hat - X) ** 2, axis=1)",
        catches=(
            "loss: value",
            "loss: zero at the target, never negative",
        ),
        says=("a missing mean",),
    ),
    # --- backward
    Mutant(
        "backward_mse_gradient_without_1_over_size",
        "dX_hat = 2.0 * (X_hat - X) / M",
        "dX_hat = 2.0 * (X_hat - X)",
        catches=(
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "backward: gradient check of W2",
            "backward: gradient check of b2",
        ),
        says=("1/size",),
    ),
    Mutant(
        "backward_mse_gradient_with_1_over_N_only",
        "dX_hat = 2.0 * (X_hat - X) / M",
        "dX_hat = 2.0 * (X_hat - X) / X.shape[0]",
        catches=(
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "backward: gradient check of W2",
            "backward: gradient check of b2",
        ),
        says=("divided by N",),
    ),
    Mutant(
        "backward_sign_flipped",
        "dX_hat = 2.0 * (X_hat - X) / M",
        "dX_hat = 2.0 * (X - X_hat) / M",
        catches=(
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "backward: gradient check of W2",
            "backward: gradient check of b2",
        ),
        says=("sign",),
    ),
    Mutant(
        "backward_forgets_sigmoid_derivative",
        "dZ2 = dX_hat * X_hat * (1.0 - X_hat)",
        "dZ2 = dX_hat",
        catches=(
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "backward: gradient check of W2",
            "backward: gradient check of b2",
        ),
        says=("sigmoid derivative is missing",),
    ),
    Mutant(
        "backward_forgets_relu_mask",
        "dZ1 = dH * (Z1 > 0)",
        "dZ1 = dH",
        catches=(
            "backward: gradient check of W1",
            "backward: gradient check of b1",
            "train: held-out reconstruction",
        ),
        says=("relu mask",),
    ),
    Mutant(
        "backward_b2_gradient_averaged",
        "db2 = dZ2.sum(axis=0)",
        "db2 = dZ2.mean(axis=0)",
        catches=(
            "backward: gradient check of b2",
        ),
        says=("instead of summed",),
    ),
    Mutant(
        "backward_b1_gradient_averaged",
        "db1 = dZ1.sum(axis=0)",
        "db1 = dZ1.mean(axis=0)",
        catches=(
            "backward: gradient check of b1",
        ),
        says=("instead of summed",),
    ),
    Mutant(
        "backward_wrong_weight_matrix",  # W1 (D, H) has the shape W2.T needs: runs, but wrong
        'dH = dZ2 @ params["W2"].T',
        'dH = dZ2 @ params["W1"]',
        catches=(
            "backward: gradient check of W1",
            "backward: gradient check of b1",
        ),
        says=("wrong weight matrix",),
    ),
    Mutant(
        "backward_W1_gradient_missing_transpose",  # (H, D) instead of (D, H)
        "dW1 = X.T @ dZ1",
        "dW1 = dZ1.T @ X",
        catches=(
            "backward: gradient check of W1",
        ),
        says=("transpose",),
    ),
    Mutant(
        "backward_W2_gradient_transposed",  # (D, H) instead of (H, D)
        "dW2 = H.T @ dZ2",
        "dW2 = dZ2.T @ H",
        catches=(
            "backward: gradient check of W2",
        ),
        says=("transpose",),
    ),
    Mutant(
        "backward_aliases_X_in_place",  # err = X is the caller's array, not a copy
        "dX_hat = 2.0 * (X_hat - X) / M",
        "err = X\n    err -= X_hat  # X - X_hat, but X itself is overwritten\n    dX_hat = -2.0 * err / M",
        catches=(
            "backward: leaves params, cache and X unchanged",
            "backward: gradient check of W1",
        ),
        says=("in place",),
    ),
    # --- in-place writes into the caller's arrays
    Mutant(
        "forward_reshapes_the_callers_biases_into_rows",  # CS231n-style row biases, stored back
        '    Z1 = X @ params["W1"] + params["b1"]  # (N, H)\n',
        '    params["b1"] = params["b1"].reshape(1, -1)\n    params["b2"] = params["b2"].reshape(1, -1)\n'
        '    Z1 = X @ params["W1"] + params["b1"]  # (N, H)\n',
        catches=("forward: leaves its inputs unchanged",),
        says=("argument params['b1']",),
    ),
    Mutant(
        "loss_residuals_in_place",
        "    return float(np.mean((X_hat - X) ** 2))\n",
        "    X_hat -= X\n    return float(np.mean(X_hat ** 2))\n",
        catches=("loss: leaves its inputs unchanged",),
        says=("argument X_hat", "X_hat +="),
    ),
    # --- adagrad_update, train: graders/assignments/autoencoder_numpy/slips_training.py
    *TRAINING_MUTANTS,
]

UNUSUAL = [
    Mutant(
        "forward_einsum",
        'Z1 = X @ params["W1"] + params["b1"]',
        'Z1 = np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"]',
    ),
    Mutant("backward_einsum", _BACKWARD_HEAD, _BACKWARD_EINSUM),
    Mutant("backward_loops_over_samples", _BACKWARD_HEAD, _BACKWARD_LOOPS),
    Mutant(
        "backward_relu_mask_from_H",  # H > 0 and Z1 > 0 are the same mask
        "dZ1 = dH * (Z1 > 0)",
        "dZ1 = dH * (H > 0)",
    ),
    Mutant(
        "adagrad_rebinds_dict_entries",  # the dicts change in place, the arrays are new objects
        ADAGRAD_BODY,
        """    for k in params:
        state[k] = state.get(k, 0.0) + grads[k] ** 2
        params[k] = params[k] - lr * grads[k] / (np.sqrt(state[k]) + eps)""",
    ),
    Mutant(
        "train_lr_schedule_called_every_batch",  # same epoch argument, same rate: harmless
        "            Xb = X[order[start : start + batch_size]]\n",
        "            Xb = X[order[start : start + batch_size]]\n            lr = lr_schedule(epoch)\n",
    ),
    Mutant(
        "sigmoid_naive",  # 1 / (1 + exp(-z)): overflows to inf for z << 0 (a warning), still exact
        "    e = np.exp(-np.abs(z))  # in (0, 1]\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "    return 1.0 / (1.0 + np.exp(-z))",
    ),
    Mutant(
        "sigmoid_where_evaluates_both_branches",  # nan in the branch np.where discards: warnings only
        "    e = np.exp(-np.abs(z))  # in (0, 1]\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))",
    ),
    Mutant(
        "train_history_plain_mean_of_batch_losses",  # each batch weighted equally, not by its size
        "            total += loss(X_hat, Xb) * len(Xb)\n",
        "            total += loss(X_hat, Xb) * N / -(-N // batch_size)\n",
    ),
    # Different but valid initialisations: they change init_params and every trained value,
    # so they are compared with the reference through the calibrated trained-model bound
    # (see graders/assignments/autoencoder_numpy/calibrate.py), not to 1e-10.
    Mutant(
        "init_glorot_uniform_both_layers",
        """        "W1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden)),""",
        """        "W1": rng.uniform(-1, 1, size=(n_in, n_hidden)) * np.sqrt(6.0 / (n_in + n_hidden)),""",
    ),
    Mutant(
        "init_small_normal_0_1",  # the "0.1 * randn" of many tutorials
        """        "W1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden)),""",
        """        "W1": 0.1 * rng.standard_normal((n_in, n_hidden)),""",
    ),
]

# UNUSUAL submissions that legitimately differ from the reference on some probes.
INEXACT = {
    # the last mini-batch is smaller, so a plain mean of the batch losses is not the size-weighted
    # one; the grader accepts both (its history check uses whole batches only)
    "train_history_plain_mean_of_batch_losses": ("train",),
    "init_glorot_uniform_both_layers": ("init_params", "train"),
    "init_small_normal_0_1": ("init_params", "train"),
}
