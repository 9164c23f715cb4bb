"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `char_rnn_numpy`.

Each one is an exact text edit of `reference/numpy/char_rnn_numpy.py`. `catches` is left
empty until the grader's check names exist. `tests/mutants/test_char_rnn_numpy_mutants.py`
shows that every MUTANT changes some contract function's output and every UNUSUAL one
matches the reference to 1e-10, except where `INEXACT` says why not (a sampler that draws
from the same distribution with a different use of the generator: only a statistical
test of `sample` can accept it, never an exact comparison of draws).

Notes for the grader:
- `loss_mean_instead_of_sum` changes the loss only; its gradients are still those of the
  sum, so only a value check of the loss catches it.
- `h_last_is_h_prev` is the classic slip of min-char-rnn's dict `hs` (key -1 holds h_prev,
  so `hs[-1]` is NOT the last state).
- Adagrad is invariant to a constant scale of the gradient, so a trained check alone
  does not catch a gradient off by a constant factor; the gradient checks do.
"""

from tests.mutants import Mutant

MUTANTS = [
    # --- init_params
    Mutant(
        name="init_params_ignores_seed",
        old="    rng = np.random.default_rng(seed)\n    V, H = vocab_size, hidden_size\n",
        new="    rng = np.random.default_rng()\n    V, H = vocab_size, hidden_size\n",
    ),
    # --- loss_and_grads (backward pass)
    Mutant(
        name="no_bptt_dh_next_dropped",
        old="dh = dy @ Why.T + dh_next",
        new="dh = dy @ Why.T",
    ),
    Mutant(
        name="softmax_gradient_without_minus_one_at_target",
        old="        dy[targets[t]] -= 1.0  # dL/dy_t = p_t - onehot(targets[t])\n",
        new="",
    ),
    Mutant(
        name="dtanh_uses_h_prev",
        old="da = (1.0 - hs[t] ** 2) * dh",
        new="da = (1.0 - hs[t - 1] ** 2) * dh",
    ),
    Mutant(
        name="dtanh_uses_1_minus_h_not_squared",
        old="da = (1.0 - hs[t] ** 2) * dh",
        new="da = (1.0 - hs[t]) * dh",
    ),
    Mutant(
        name="whh_gradient_uses_h_t_instead_of_h_t_minus_1",
        old='grads["Whh"] += np.outer(hs[t - 1], da)',
        new='grads["Whh"] += np.outer(hs[t], da)',
    ),
    Mutant(
        name="dh_next_without_transpose_of_whh",
        old="dh_next = da @ Whh.T",
        new="dh_next = da @ Whh",
    ),
    Mutant(
        name="loss_mean_instead_of_sum",
        old="return float(loss), grads,",
        new="return float(loss) / len(inputs), grads,",
    ),
    Mutant(
        name="h_last_is_first_state_h_0",
        old="hs[len(inputs) - 1].copy()",
        new="hs[0].copy()",
    ),
    Mutant(
        name="h_last_is_h_prev",
        old="hs[len(inputs) - 1].copy()",
        new="hs[-1].copy()",
    ),
    # --- clip_grads
    Mutant(
        name="clip_grads_returns_a_copy_instead_of_in_place",
        old="    for g in grads.values():\n        np.clip(g, -limit, limit, out=g)\n",
        new="    return {k: np.clip(g, -limit, limit) for k, g in grads.items()}\n",
    ),
    Mutant(
        name="clip_grads_rebinds_loop_variable",
        old="        np.clip(g, -limit, limit, out=g)\n",
        new="        g = np.clip(g, -limit, limit)\n",
    ),
    # --- sample
    Mutant(
        name="sample_takes_argmax",
        old="ix = int(rng.choice(V, p=p))",
        new="ix = int(np.argmax(p))",
    ),
    Mutant(
        name="sample_does_not_feed_back_the_draw",
        old="h = np.tanh(Wxh[ix] + h @ Whh + bh)",
        new="h = np.tanh(Wxh[seed_ix] + h @ Whh + bh)",
    ),
    Mutant(
        name="sample_resets_rng_every_step",
        old="        ix = int(rng.choice(V, p=p))\n",
        new="        ix = int(np.random.default_rng(seed).choice(V, p=p))\n",
    ),
    # --- train
    Mutant(
        name="train_adagrad_without_sqrt",
        old="params[k] -= lr * grads[k] / np.sqrt(mem[k] + 1e-8)",
        new="params[k] -= lr * grads[k] / (mem[k] + 1e-8)",
    ),
    Mutant(
        name="train_without_clipping",
        old="        clip_grads(grads, 5.0)\n",
        new="",
    ),
    Mutant(
        name="train_hidden_state_not_carried_between_chunks",
        old="loss, grads, h = loss_and_grads(params, inputs, targets, h)",
        new="loss, grads, _ = loss_and_grads(params, inputs, targets, np.zeros(hidden_size))",
    ),
    Mutant(
        name="train_vocab_in_order_of_appearance_not_sorted",
        old="    chars = sorted(set(text))\n    char_to_ix",
        new="    chars = list(dict.fromkeys(text))\n    char_to_ix",
    ),
    Mutant(
        name="train_targets_equal_inputs",
        old="targets = data[p + 1 : p + seq_length + 1]",
        new="targets = data[p : p + seq_length]",
    ),
]

UNUSUAL = [
    Mutant(
        name="loss_by_log_sum_exp",
        old="loss += -np.log(ps[t][targets[t]])",
        new="loss += -(y[targets[t]] - y.max() - np.log(e.sum()))",
    ),
    Mutant(
        name="explicit_one_hot_product_in_forward",
        old="hs[t] = np.tanh(Wxh[inputs[t]] + hs[t - 1] @ Whh + bh)",
        new="hs[t] = np.tanh(np.eye(Wxh.shape[0])[inputs[t]] @ Wxh + hs[t - 1] @ Whh + bh)",
    ),
    Mutant(
        name="explicit_one_hot_outer_product_for_wxh_gradient",
        old='grads["Wxh"][inputs[t]] += da',
        new='grads["Wxh"] += np.outer(np.eye(Wxh.shape[0])[inputs[t]], da)',
    ),
    Mutant(
        name="column_vector_outer_products",
        old='grads["Why"] += np.outer(hs[t], dy)',
        new='grads["Why"] += hs[t][:, None] @ dy[None, :]',
    ),
    Mutant(
        name="clip_grads_with_minimum_maximum_slice_assignment",
        old="        np.clip(g, -limit, limit, out=g)\n",
        new="        g[...] = np.maximum(np.minimum(g, limit), -limit)\n",
    ),
    Mutant(
        name="sample_by_inverse_cdf",
        old="ix = int(rng.choice(V, p=p))",
        new='ix = int(np.searchsorted(np.cumsum(p), rng.random(), side="right"))',
    ),
    Mutant(
        name="sample_with_multinomial_draws",
        old="ix = int(rng.choice(V, p=p))",
        new="ix = int(np.argmax(rng.multinomial(1, p)))",
    ),
    Mutant(
        name="train_adagrad_with_np_divide_and_square",
        old="            mem[k] += grads[k] ** 2  # Adagrad: accumulate squared gradients\n",
        new="            mem[k] += np.square(grads[k])\n",
    ),
]

# UNUSUAL submissions whose outputs legitimately differ from the reference's on some probes:
# the probe names they may differ on, with the reason.
INEXACT = {
    # Same distribution, different draws (multinomial consumes the generator differently).
    "sample_with_multinomial_draws": ("sample",),
}
