"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `char_rnn_numpy`.

Each one is an exact text edit of `reference/numpy/char_rnn_numpy.py`. `catches` names the
checks of graders/assignments/char_rnn_numpy/ that must fail on it, the check of the function
the slip is in first; `says` are words its feedback must contain (tests/graders/test_mutants.py).
`tests/mutants/probes/char_rnn_numpy.py` (run by test_mutant_probes.py) shows that every MUTANT changes some contract
function's output and every UNUSUAL one matches the reference to 1e-10, except where `INEXACT`
says why not (a sampler that draws from the same distribution with a different use of the
generator: only a statistical test of `sample` can accept it, never an exact comparison of
draws).

`catches` lists the fast checks that catch each slip by design. A slip in loss_and_grads or
clip_grads also makes train's replayed loop differ ("train: follows min-char-rnn's loop"), and
many also fail the calibrated run ("train: regenerate Faust", at the grade seed: softmax
gradient without the -1 183 errors, dtanh with h_{t-1} 162, with 1 - h 156, dWhh with h_t 148,
h_last = h_0 or h_prev 146 / 148, h_prev ignored 148, vocabulary not sorted 181, targets equal
to the inputs 177; thresholds.py); those are named only for the two SLOW_MUTANTS, because
grading the calibrated run costs about 15 s of CPU.

Notes for the grader:
- `loss_mean_instead_of_sum` changes the loss only; its gradients are still those of the
  sum, so only a value check of the loss catches it.
- `h_last_is_h_prev` is the classic slip of min-char-rnn's dict `hs` (key -1 holds h_prev,
  so `hs[-1]` is NOT the last state).
- Adagrad is invariant to a constant scale of the gradient, so a trained check alone
  does not catch a gradient off by a constant factor; the gradient checks do.
"""

from graders.engine.mutants import Mutant

MUTANTS = [
    # --- init_params
    Mutant(
        name="init_params_ignores_seed",
        old="    rng = np.random.default_rng(seed)\n    V, H = vocab_size, hidden_size\n",
        new="    rng = np.random.default_rng()\n    V, H = vocab_size, hidden_size\n",
        catches=(
            'init_params: reproducible from the seed',
            'train: reproducible from the seed',
        ),
        says=('not reproducible',),
    ),
    Mutant(
        name="init_params_column_layout_of_min_char_rnn",
        old=('        "Wxh": rng.standard_normal((V, H)) * 0.01,\n'
             '        "Whh": rng.standard_normal((H, H)) * 0.01,\n'
             '        "Why": rng.standard_normal((H, V)) * 0.01,\n'),
        new=('        "Wxh": rng.standard_normal((H, V)) * 0.01,\n'
             '        "Whh": rng.standard_normal((H, H)) * 0.01,\n'
             '        "Why": rng.standard_normal((V, H)) * 0.01,\n'),
        catches=(
            'init_params: shapes and dtype',
            'train: returns (params, history)',
        ),
        says=('min-char-rnn stores the weights for column vectors',),
    ),
    # --- loss_and_grads (backward pass)
    Mutant(
        name="no_bptt_dh_next_dropped",
        old="dh = dy @ Why.T + dh_next",
        new="dh = dy @ Why.T",
        catches=(
            'loss_and_grads: gradient check of Whh',
            'loss_and_grads: gradient check of Wxh',
            'loss_and_grads: gradient check of bh',
        ),
        says=('no backpropagation through time',),
    ),
    Mutant(
        name="softmax_gradient_without_minus_one_at_target",
        old="        dy[targets[t]] -= 1.0  # dL/dy_t = p_t - onehot(targets[t])\n",
        new="",
        catches=(
            'loss_and_grads: gradient check of Why',
            'loss_and_grads: gradient check of by',
            'loss_and_grads: gradient check of Wxh',
            'loss_and_grads: gradient check of Whh',
            'loss_and_grads: gradient check of bh',
        ),
        says=('without the -1 at the target',),
    ),
    Mutant(
        name="dtanh_uses_h_prev",
        old="da = (1.0 - hs[t] ** 2) * dh",
        new="da = (1.0 - hs[t - 1] ** 2) * dh",
        catches=(
            'loss_and_grads: gradient check of Wxh',
            'loss_and_grads: gradient check of Whh',
            'loss_and_grads: gradient check of bh',
        ),
        says=("tanh' uses h_{t-1}",),
    ),
    Mutant(
        name="dtanh_uses_1_minus_h_not_squared",
        old="da = (1.0 - hs[t] ** 2) * dh",
        new="da = (1.0 - hs[t]) * dh",
        catches=(
            'loss_and_grads: gradient check of Wxh',
            'loss_and_grads: gradient check of Whh',
            'loss_and_grads: gradient check of bh',
        ),
        says=("tanh' written as 1 - h",),
    ),
    Mutant(
        name="whh_gradient_uses_h_t_instead_of_h_t_minus_1",
        old='grads["Whh"] += np.outer(hs[t - 1], da)',
        new='grads["Whh"] += np.outer(hs[t], da)',
        catches=(
            'loss_and_grads: gradient check of Whh',
        ),
        says=('the input of Whh at step t is h_{t-1}',),
    ),
    Mutant(
        name="dh_next_without_transpose_of_whh",
        old="dh_next = da @ Whh.T",
        new="dh_next = da @ Whh",
        catches=(
            'loss_and_grads: gradient check of Whh',
            'loss_and_grads: gradient check of Wxh',
            'loss_and_grads: gradient check of bh',
        ),
        says=('a transpose is missing',),
    ),
    Mutant(
        name="loss_mean_instead_of_sum",
        old="return float(loss), grads,",
        new="return float(loss) / len(inputs), grads,",
        catches=(
            'loss_and_grads: the loss is the SUM',
            'loss_and_grads: the loss depends on h_prev',
        ),
        says=('mean instead of the sum', 'a factor of T'),
    ),
    Mutant(
        name="h_last_is_first_state_h_0",
        old="hs[len(inputs) - 1].copy()",
        new="hs[0].copy()",
        catches=(
            'loss_and_grads: h_last',
            'loss_and_grads: carrying h_last',
        ),
        says=('state after the FIRST input',),
    ),
    Mutant(
        name="h_last_is_h_prev",
        old="hs[len(inputs) - 1].copy()",
        new="hs[-1].copy()",
        catches=(
            'loss_and_grads: h_last',
            'loss_and_grads: carrying h_last',
        ),
        says=('hs[-1] is the state BEFORE the first input',),
    ),
    Mutant(
        name="loss_ignores_h_prev_starts_from_zeros",
        old="hs = {-1: np.array(h_prev, dtype=np.float64)}",
        new="hs = {-1: np.zeros_like(h_prev)}",
        catches=(
            'loss_and_grads: the loss is the SUM',
            'loss_and_grads: the loss depends on h_prev',
            'loss_and_grads: carrying h_last',
            'loss_and_grads: gradient check of Whh',
        ),
        says=('ignores h_prev',),
    ),
    # --- clip_grads
    Mutant(
        name="clip_grads_returns_a_copy_instead_of_in_place",
        old="    for g in grads.values():\n        np.clip(g, -limit, limit, out=g)\n",
        new="    return {k: np.clip(g, -limit, limit) for k, g in grads.items()}\n",
        catches=(
            "clip_grads: clips the caller's arrays in place",
        ),
        says=('clipped copies',),
    ),
    Mutant(
        name="clip_grads_rebinds_loop_variable",
        old="        np.clip(g, -limit, limit, out=g)\n",
        new="        g = np.clip(g, -limit, limit)\n",
        catches=(
            "clip_grads: clips the caller's arrays in place",
            'clip_grads: element-wise',
        ),
        says=('rebinds the loop variable',),
    ),
    Mutant(
        name="clip_grads_only_upper_bound",
        old="        np.clip(g, -limit, limit, out=g)\n",
        new="        np.minimum(g, limit, out=g)\n",
        catches=(
            'clip_grads: element-wise',
        ),
        says=('only the upper bound',),
    ),
    Mutant(
        name="clip_grads_hard_coded_5",
        old="        np.clip(g, -limit, limit, out=g)\n",
        new="        np.clip(g, -5.0, 5.0, out=g)\n",
        catches=(
            'clip_grads: element-wise',
        ),
        says=('hard-coded 5.0',),
    ),
    # --- sample
    Mutant(
        name="sample_takes_argmax",
        old="ix = int(rng.choice(V, p=p))",
        new="ix = int(np.argmax(p))",
        catches=(
            "sample: draws follow the model's distribution",
            'sample: reproducible from the seed',
        ),
        says=('np.argmax(p)',),
    ),
    Mutant(
        name="sample_does_not_feed_back_the_draw",
        old="h = np.tanh(Wxh[ix] + h @ Whh + bh)",
        new="h = np.tanh(Wxh[seed_ix] + h @ Whh + bh)",
        catches=(
            "sample: draws follow the model's distribution",
            'sample: feeds each draw back',
        ),
        says=('not fed back',),
    ),
    Mutant(
        name="sample_resets_rng_every_step",
        old="        ix = int(rng.choice(V, p=p))\n",
        new="        ix = int(np.random.default_rng(seed).choice(V, p=p))\n",
        catches=(
            "sample: draws follow the model's distribution",
        ),
        says=('re-created (re-seeded) inside the loop',),
    ),
    Mutant(
        name="sample_uses_global_np_random_choice",
        old="ix = int(rng.choice(V, p=p))",
        new="ix = int(np.random.choice(V, p=p))",
        catches=(
            'sample: reproducible from the seed',
        ),
        says=("NumPy's global generator",),
    ),
    Mutant(
        name="sample_includes_seed_ix",
        old="    out = []\n",
        new="    out = [seed_ix]\n",
        catches=(
            'sample: returns n ints',
            "sample: draws follow the model's distribution",
        ),
        says=('seed_ix itself is not returned',),
    ),
    # --- train
    Mutant(
        name="train_adagrad_without_sqrt",
        old="params[k] -= lr * grads[k] / np.sqrt(mem[k] + 1e-8)",
        new="params[k] -= lr * grads[k] / (mem[k] + 1e-8)",
        catches=(
            "train: follows min-char-rnn's loop",
            'train: regenerate Faust',
        ),
        says=('without the square root',),
    ),
    Mutant(
        name="train_without_clipping",
        old="        clip_grads(grads, 5.0)\n",
        new="",
        catches=(
            "train: follows min-char-rnn's loop",
        ),
        says=('not clipped',),
    ),
    Mutant(
        name="train_hidden_state_not_carried_between_chunks",
        old="loss, grads, h = loss_and_grads(params, inputs, targets, h)",
        new="loss, grads, _ = loss_and_grads(params, inputs, targets, np.zeros(hidden_size))",
        catches=(
            "train: follows min-char-rnn's loop",
            'train: regenerate Faust',
        ),
        says=('not carried from one chunk',),
    ),
    Mutant(
        name="train_vocab_in_order_of_appearance_not_sorted",
        old="    chars = sorted(set(text))\n    char_to_ix",
        new="    chars = list(dict.fromkeys(text))\n    char_to_ix",
        catches=(
            "train: follows min-char-rnn's loop",
        ),
        says=('sorted(set(text))',),
    ),
    Mutant(
        name="train_targets_equal_inputs",
        old="targets = data[p + 1 : p + seq_length + 1]",
        new="targets = data[p : p + seq_length]",
        catches=(
            "train: follows min-char-rnn's loop",
        ),
        says=('the NEXT characters',),
    ),
    Mutant(
        name="train_history_holds_smoothed_loss",
        old="        history.append(loss)\n",
        new="        history.append(loss if not history else 0.999 * history[-1] + 0.001 * loss)\n",
        catches=(
            "train: follows min-char-rnn's loop",
        ),
        says=('smoothed loss',),
    ),
]

# min-char-rnn ports that keep the state in one buffer write into the caller's h.
MUTANTS += [
    Mutant(
        name="sample_writes_the_state_into_the_callers_h",
        old="    h = np.array(h, dtype=np.float64)\n    ix = seed_ix\n",
        new="    ix = seed_ix\n",
        more=(("        h = np.tanh(Wxh[ix] + h @ Whh + bh)\n        y = h @ Why + by\n",
               "        h[:] = np.tanh(Wxh[ix] + h @ Whh + bh)\n        y = h @ Why + by\n"),),
        catches=("sample: leaves its inputs unchanged",),
        says=("argument h", "h +="),
    ),
    Mutant(
        name="loss_and_grads_carries_the_state_in_the_callers_h_prev",
        old="    return float(loss), grads, hs[len(inputs) - 1].copy()\n",
        new=("    h_prev[:] = hs[len(inputs) - 1]  # the state goes on in the same array\n"
             "    return float(loss), grads, h_prev\n"),
        catches=("loss_and_grads: leaves its inputs unchanged",),
        says=("argument h_prev", "h_prev +="),
    ),
]

UNUSUAL = [
    Mutant(  # one state buffer, but the function's own copy of h: correct
        name="sample_updates_its_own_copy_of_h_in_place",
        old="        h = np.tanh(Wxh[ix] + h @ Whh + bh)\n        y = h @ Why + by\n",
        new="        h[:] = np.tanh(Wxh[ix] + h @ Whh + bh)\n        y = h @ Why + by\n",
    ),
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

# Graded with the calibrated training run they exist for (about 15 s of CPU each): `-m slow`.
# (Every MUTANT's slip is also caught by a fast check; these two show the trained bound
# rejecting broken training as well.)
_TRAINED = ("train_adagrad_without_sqrt", "train_hidden_state_not_carried_between_chunks")
SLOW_MUTANTS = [m for m in MUTANTS if m.name in _TRAINED]
MUTANTS = [m for m in MUTANTS if m.name not in _TRAINED]

# A correct submission is graded with every check, the calibrated run included: the default
# run grades two (the sampler that only a statistical test can accept, and an Adagrad
# written differently); the others run with `-m slow`.
_FAST_UNUSUAL = ("sample_with_multinomial_draws", "train_adagrad_with_np_divide_and_square")
SLOW_UNUSUAL = [m for m in UNUSUAL if m.name not in _FAST_UNUSUAL]
UNUSUAL = [m for m in UNUSUAL if m.name in _FAST_UNUSUAL]
