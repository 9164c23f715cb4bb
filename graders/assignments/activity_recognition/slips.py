"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of
`activity_recognition`.

Each one is an exact text edit of `reference/numpy/activity_recognition.py`. `catches` names
the checks of graders/assignments/activity_recognition/ that must fail on it, the check of
the function the slip is in first; `says` are words its feedback must contain
(tests/graders/test_mutants.py). `tests/mutants/probes/activity_recognition.py` (run by test_mutant_probes.py) shows
that every MUTANT changes some contract function's output and every UNUSUAL one matches
the reference to 1e-10.

MUTANTS name only the fast (untrained) checks they fail, so the default run stays short.
SLOW_MUTANTS (graded with `-m slow`) are the ones the trained checks are there for.

What catches what, and why:
- a transposed recurrent weight shows only in the values (Wh is square): the forward check
  names it, and so does the gradient check of the recurrent weight's gradient;
- the gradient of the last step only (or a BPTT truncated to 3 of the 6 steps) fails the
  early-steps check, whose inputs are non-zero only at t = 0 and 1;
- momentum_update's rebinding (`params[k] = params[k] + v`) leaves the caller's arrays as
  they were; only the in-place check sees it (train's own dict is updated either way);
- relu'(0) = 1 is a correct choice (the contract never tests at the kink): the problems
  keep every hidden pre-activation at least 0.01 away from 0.
"""

from graders.engine.mutants import Mutant

INIT_SHAPES = "init_params: keys, shapes and zero biases"
INIT_SEED = "init_params: reproducible from the seed"
INIT_SCALE = "init_params: weights of standard deviation"
FORWARD_ROWS = "forward: shape (N, K) and rows that sum to one"
FORWARD = {cell: f"forward: probabilities ({cell})" for cell in ("rnn", "lstm", "gru")}
LOSS = "loss_and_grads: loss value"
CELL_GRAD = {cell: f"loss_and_grads: gradient check of the {cell} cell's weights" for cell in ("rnn", "lstm", "gru")}
DENSE_GRAD = {cell: f"loss_and_grads: gradient check of the dense layers ({cell})" for cell in ("rnn", "lstm", "gru")}
EARLY = {cell: f"loss_and_grads: the early steps' contribution ({cell}" for cell in ("rnn", "lstm", "gru")}
MOMENTUM = "momentum_update: two calls, in place"
TWO_UPDATES = "train: two full-batch updates"
HISTORY = "train: history[e] is the mean loss of epoch e"
EVERY_EXAMPLE = "train: every example is used in every epoch"
RESHUFFLE = "train: a fresh order of the examples every epoch"
TRAINED = {cell: f"train: test accuracy of the {cell.upper()} classifier" for cell in ("rnn", "lstm", "gru")}
PREDICT = "predict: the argmax of forward's probabilities"
CONFUSION = "confusion_matrix: counts sum to N"
INPUTS = "inputs: forward, loss_and_grads, predict, confusion_matrix and train"

_FIRST_H_OLD = "        steps.append(step)\n    L = n_dense_layers(params)\n    activations = [h]"

MUTANTS = [
    # --- init_params
    Mutant(name="init_params_ignores_seed",
           old="    rng = np.random.default_rng(seed)\n    D, H = n_in, n_hidden\n",
           new="    rng = np.random.default_rng()\n    D, H = n_in, n_hidden\n",
           catches=(INIT_SEED,), says=("not reproducible",)),
    Mutant(name="init_params_standard_normal_input_weights",
           old="params[k] = rng.standard_normal((D, H)) / np.sqrt(D)",
           new="params[k] = rng.standard_normal((D, H))",
           catches=(INIT_SCALE,), says=("sqrt(fan_in)",)),
    Mutant(name="init_params_dense_biases_not_zero",
           old='        params[f"b{l}"] = np.zeros(dims[l])',
           new='        params[f"b{l}"] = np.full(dims[l], 0.1)',
           catches=(INIT_SHAPES,), says=("zeros",)),
    # --- forward
    Mutant(name="forward_transposed_recurrent_weight",
           old='h = np.tanh(x @ params["Wx"] + h_prev @ params["Wh"] + params["b"])',
           new='h = np.tanh(x @ params["Wx"] + h_prev @ params["Wh"].T + params["b"])',
           catches=(FORWARD["rnn"], CELL_GRAD["rnn"]), says=("transposed",)),
    Mutant(name="forward_softmax_over_the_batch_axis",
           old="    shifted = scores - scores.max(axis=1, keepdims=True)\n    e = np.exp(shifted)\n"
               "    probs = e / e.sum(axis=1, keepdims=True)",
           new="    shifted = scores - scores.max(axis=0, keepdims=True)\n    e = np.exp(shifted)\n"
               "    probs = e / e.sum(axis=0, keepdims=True)",
           catches=(FORWARD_ROWS, FORWARD["rnn"], FORWARD["lstm"], FORWARD["gru"]), says=("wrong axis",)),
    Mutant(name="forward_first_hidden_state",
           old=_FIRST_H_OLD,
           new="        steps.append(step)\n        if t == 0:\n            first = h\n    L = n_dense_layers(params)\n"
               "    activations = [first]",
           catches=(FORWARD["gru"], FORWARD["rnn"], FORWARD["lstm"]), says=("FIRST hidden state",)),
    # --- loss_and_grads
    Mutant(name="loss_summed_over_the_batch",
           old="loss = float(-np.mean(np.log(probs[rows, y])))",
           new="loss = float(-np.sum(np.log(probs[rows, y])))",
           catches=(LOSS,), says=("summed",)),
    Mutant(name="gradient_without_one_over_n",
           old="    da /= N                                          # d loss / d scores\n",
           new="",
           catches=(DENSE_GRAD["rnn"], DENSE_GRAD["lstm"], DENSE_GRAD["gru"], CELL_GRAD["gru"]),
           says=("7 times too large",)),
    Mutant(name="dense_without_relu_derivative",
           old="            da = da * (activations[l - 1] > 0)       # a_{l-1} = relu(z_{l-1})\n",
           new="            pass\n",
           catches=(DENSE_GRAD["lstm"], DENSE_GRAD["rnn"], DENSE_GRAD["gru"])),
    Mutant(name="gradient_of_the_last_step_only",
           old="    for t in reversed(range(len(steps))):",
           new="    for t in reversed(range(len(steps) - 1, len(steps))):",
           catches=(EARLY["rnn"], EARLY["lstm"], EARLY["gru"], CELL_GRAD["rnn"]), says=("last step only",)),
    Mutant(name="bptt_truncated_to_three_steps",
           old="    for t in reversed(range(len(steps))):",
           new="    for t in reversed(range(max(len(steps) - 3, 0), len(steps))):",
           catches=(EARLY["gru"], EARLY["rnn"], EARLY["lstm"])),
    Mutant(name="rnn_recurrent_gradient_transposed",
           old='grads = {"Wx": x.T @ da, "Wh": h_prev.T @ da, "b": da.sum(axis=0)}',
           new='grads = {"Wx": x.T @ da, "Wh": da.T @ h_prev, "b": da.sum(axis=0)}',
           catches=(CELL_GRAD["rnn"],), says=("transposed",)),
    Mutant(name="lstm_without_the_cell_state_road",
           old="    return dx, dh_prev, dc * f, grads",
           new="    return dx, dh_prev, np.zeros_like(dc), grads",
           catches=(CELL_GRAD["lstm"], EARLY["lstm"])),
    Mutant(name="gru_without_the_direct_path",
           old="    dh_prev = dh * z + da_r @ params",
           new="    dh_prev = da_r @ params",
           catches=(CELL_GRAD["gru"], EARLY["gru"])),
    # --- momentum_update
    Mutant(name="momentum_sign",
           old="        velocity[k] = momentum * v - lr * grads[k]",
           new="        velocity[k] = momentum * v + lr * grads[k]",
           catches=(MOMENTUM, TWO_UPDATES), says=("sign",)),
    Mutant(name="momentum_update_rebinds_the_arrays",
           old="        params[k] += velocity[k]",
           new="        params[k] = params[k] + velocity[k]",
           catches=(MOMENTUM,), says=("in place",)),
    Mutant(name="momentum_velocity_not_kept",
           old="        velocity[k] = momentum * v - lr * grads[k]\n        params[k] += velocity[k]",
           new="        step = momentum * v - lr * grads[k]\n        params[k] += step",
           catches=(MOMENTUM, TWO_UPDATES), says=("carry",)),
    # --- train
    Mutant(name="train_starts_from_another_seed",
           old="    params = init_params(cell, D, n_hidden, dense_dims, n_classes, seed)\n    rng",
           new="    params = init_params(cell, D, n_hidden, dense_dims, n_classes, seed + 1)\n    rng",
           catches=(TWO_UPDATES, EVERY_EXAMPLE)),
    Mutant(name="train_drops_the_last_batch",
           old="        for start in range(0, N, batch_size):",
           new="        for start in range(0, N - batch_size + 1, batch_size):",
           catches=(EVERY_EXAMPLE,), says=("drops the last",)),
    Mutant(name="train_same_order_every_epoch",
           old="        order = rng.permutation(N)",
           new="        order = np.random.default_rng(seed).permutation(N)",
           catches=(RESHUFFLE,), says=("same order",)),
    Mutant(name="train_history_of_the_last_batch",
           old="        history.append(total / N)",
           new="        history.append(loss)",
           catches=(HISTORY,)),
    Mutant(name="forward_softmax_without_the_row_maximum",  # exp overflows at scores of 1e3
           old="    shifted = scores - scores.max(axis=1, keepdims=True)\n",
           new="    shifted = scores\n",
           catches=("forward: finite and exact at class scores of 1e3",), says=("row maximum",)),
    # --- predict, confusion_matrix, inputs
    Mutant(name="predict_argmax_over_the_batch",
           old="    return forward(params, X, cell)[0].argmax(axis=1)",
           new="    return forward(params, X, cell)[0].argmax(axis=0)",
           catches=(PREDICT,)),
    Mutant(name="confusion_matrix_fancy_index_counts_pairs_once",
           old="    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)",
           new="    counts[np.asarray(y_true), np.asarray(y_pred)] += 1",
           catches=(CONFUSION,), says=("repeated",)),
    Mutant(name="confusion_matrix_transposed",
           old="    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)",
           new="    np.add.at(counts, (np.asarray(y_pred), np.asarray(y_true)), 1)",
           catches=(CONFUSION,), says=("transposed",)),
    Mutant(name="forward_centres_X_in_place",
           old="    N, T, _ = X.shape\n    H = params",
           new="    X -= X.mean(axis=1, keepdims=True)\n    N, T, _ = X.shape\n    H = params",
           catches=(INPUTS,), says=("in place",)),
]

SLOW_MUTANTS = [
    Mutant(name="momentum_update_goes_up_the_gradient",
           old="        params[k] += velocity[k]",
           new="        params[k] -= velocity[k]",
           catches=(MOMENTUM, TRAINED["rnn"], TRAINED["lstm"], TRAINED["gru"])),
]

UNUSUAL = [
    Mutant(name="rnn_step_loops_over_the_batch",
           old='    h = np.tanh(x @ params["Wx"] + h_prev @ params["Wh"] + params["b"])\n',
           new='    h = np.stack([np.tanh(x[n] @ params["Wx"] + h_prev[n] @ params["Wh"] + params["b"])\n'
               "                  for n in range(x.shape[0])])\n"),
    Mutant(name="lstm_stacked_gate_matrices_sliced_apart",
           old='    a = {k: x @ params["Wx" + k] + h_prev @ params["Wh" + k] + params["b" + k] for k in "ifgo"}\n',
           new='    Wx = np.concatenate([params["Wx" + k] for k in "ifgo"], axis=1)\n'
               '    Wh = np.concatenate([params["Wh" + k] for k in "ifgo"], axis=1)\n'
               '    b = np.concatenate([params["b" + k] for k in "ifgo"])\n'
               "    A = x @ Wx + h_prev @ Wh + b\n"
               "    H = h_prev.shape[1]\n"
               '    a = {k: A[:, j * H:(j + 1) * H] for j, k in enumerate("ifgo")}\n'),
    Mutant(name="relu_derivative_one_at_zero",
           old="            da = da * (activations[l - 1] > 0)       # a_{l-1} = relu(z_{l-1})\n",
           new='            z = activations[l - 2] @ params[f"W{l - 1}"] + params[f"b{l - 1}"]\n'
               "            da = da * (z >= 0)                       # relu'(0) taken as 1\n"),
    Mutant(name="softmax_in_place_on_its_own_array",
           old="    probs = e / e.sum(axis=1, keepdims=True)\n",
           new="    e /= e.sum(axis=1, keepdims=True)\n    probs = e\n"),
    Mutant(name="train_shuffles_an_index_array",
           old="        order = rng.permutation(N)",
           new="        order = np.arange(N)\n        rng.shuffle(order)"),
    Mutant(name="confusion_matrix_loop_over_examples",
           old="    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)",
           new="    for t, p in zip(np.asarray(y_true).tolist(), np.asarray(y_pred).tolist()):\n"
               "        counts[t, p] += 1"),
]
