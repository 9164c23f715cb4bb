"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of
`language_model_numpy`.

Each one is an exact text edit of `reference/numpy/language_model_numpy.py`. `catches` names
the checks of graders/assignments/language_model_numpy/ that must fail on it, the check of
the function the slip is in first; `says` are words its feedback must contain
(tests/graders/test_mutants.py). `tests/mutants/probes/language_model_numpy.py` (run by test_mutant_probes.py) shows
that every MUTANT changes some contract function's output and every UNUSUAL one matches
the reference to 1e-10.

Mutants in MUTANTS name only the fast (untrained) checks they fail, so the default run stays
short. SLOW_MUTANTS (graded with `-m slow`) are the ones the trained checks are there for,
with every check they fail. At the grade seed the trained checks also reject (not named
below, because each costs a training run): the softmax over the batch axis (NaN
parameters), the loss summed or the gradient without 1/N (accuracy 0.051, cross-entropy
5.22: an effective learning rate 100 times too large), no sigmoid derivative (0.138 /
4.45), the velocity without lr (0.194 / 4.48). The sigmoid derivative without (1 - h)
lands at 0.234, just under the accuracy bound of 0.238: too close to name.

What catches what, and why:
- the embedding gradient that keeps one contribution of a repeated word
  (`dE[context] += ...` or `=`) shows only when a context or a batch holds a word twice: the
  gradient check of E draws such contexts. Its gradient also depends on the order of the
  examples in a batch, so train's update checks fail too (the note says why);
- momentum ignored (plain SGD) and the velocity reset every epoch need two updates to show
  (the first step is -lr g either way): the two-update check runs two epochs of one batch
  of all N examples. PyTorch's form (v = mu v + g; p -= lr v) and a positive velocity
  subtracted are the same update for a constant lr and pass (UNUSUAL);
- the contract does not fix how the examples are shuffled, only that every epoch uses every
  example, in a fresh order. The last, smaller batch dropped leaves the embedding of a word
  that only one example uses exactly at its initial value; the same order in every epoch
  (the generator re-created inside the loop) is decoded from the parameters after 1, 2, 3
  and 4 epochs of single-example steps (each of the 4! orders gives different parameters).
  Neither needs the reference's exact permutation, so `rng.shuffle` of an index array, or a
  generator of its own, passes.
"""

from graders.engine.mutants import Mutant

INIT_SHAPES = "init_params: shapes, dtype and zero biases"
INIT_SEED = "init_params: reproducible from the seed"
FORWARD_VALUES = "forward: values on random inputs"
FORWARD_LARGE = "forward: finite and exact at scores up to 1e3"
LOSS = "loss_and_grads: loss value"
GRAD_E = "loss_and_grads: gradient check of E"
GRAD_W1 = "loss_and_grads: gradient check of W1"
GRAD_B1 = "loss_and_grads: gradient check of b1"
GRAD_W2 = "loss_and_grads: gradient check of W2"
GRAD_B2 = "loss_and_grads: gradient check of b2"
VOCAB = "build_dataset: vocabulary"
GRAMS = "build_dataset: 4-grams kept, dropped and aligned"
DATA_PROPERTY = "build_dataset: matches the rules on Hypothesis-drawn texts"
TOKENS = "build_dataset: words are the contract's regex matches"
ONE_UPDATE = "train: one full-batch update"
TWO_UPDATES = "train: two full-batch updates"
HISTORY = "train: history[e] is the mean loss of epoch e"
EVERY_EXAMPLE = "train: every example is used in every epoch"
RESHUFFLE = "train: a fresh order of the examples every epoch"
ACCURACY = "train: held-out accuracy"
CROSS_ENTROPY = "train: held-out cross-entropy"
PREDICT = "predict_next: the most probable next word"

_LAG_HEAD = "    ds = probs.copy()\n    ds[rows, target] -= 1.0  # dL/ds = (probs - onehot(target)) / N\n"

MUTANTS = [
    # --- init_params
    Mutant(
        name="init_params_ignores_seed",
        old="    rng = np.random.default_rng(seed)\n    V, D, P = vocab_size, embed_dim, hidden_dim\n",
        new="    rng = np.random.default_rng()\n    V, D, P = vocab_size, embed_dim, hidden_dim\n",
        catches=(INIT_SEED,),
        says=("not reproducible",),
    ),
    Mutant(
        name="init_params_W1_sized_for_one_embedding",
        old="W1 = rng.standard_normal((3 * D, P)) / np.sqrt(3 * D)",
        new="W1 = rng.standard_normal((D, P)) / np.sqrt(D)",
        catches=(INIT_SHAPES,),
        says=("3 * D",),
    ),
    # --- forward
    Mutant(
        name="forward_softmax_without_max_subtraction",
        old="    s = s - s.max(axis=1, keepdims=True)\n",
        new="",
        catches=(FORWARD_LARGE,),
        says=("without the max subtraction",),
    ),
    Mutant(
        name="forward_softmax_subtracts_the_global_max",
        old="s = s - s.max(axis=1, keepdims=True)",
        new="s = s - s.max()",
        catches=(FORWARD_LARGE,),
        says=("one maximum for the whole batch",),
    ),
    Mutant(
        name="forward_softmax_over_the_batch_axis",
        old="probs /= probs.sum(axis=1, keepdims=True)",
        new="probs /= probs.sum(axis=0, keepdims=True)",
        catches=(FORWARD_VALUES, FORWARD_LARGE, LOSS),
        says=("batch axis",),
    ),
    # --- loss_and_grads
    Mutant(
        name="E_gradient_fancy_index_keeps_last_repeat",
        old="np.add.at(dE, context, de.reshape(N, 3, -1))",
        new="dE[context] = de.reshape(N, 3, -1)",
        catches=(GRAD_E,),
        says=("np.add.at",),
    ),
    Mutant(
        name="E_gradient_fancy_index_plus_equals",
        old="np.add.at(dE, context, de.reshape(N, 3, -1))",
        new="dE[context] += de.reshape(N, 3, -1)",
        catches=(GRAD_E,),
        says=("np.add.at",),
    ),
    Mutant(
        name="sigmoid_derivative_missing",
        old="dz = dh * h * (1.0 - h)",
        new="dz = dh",
        catches=(GRAD_B1, GRAD_W1, GRAD_E),
        says=("sigmoid derivative is missing",),
    ),
    Mutant(
        name="sigmoid_derivative_without_one_minus_h",
        old="dz = dh * h * (1.0 - h)",
        new="dz = dh * h",
        catches=(GRAD_B1, GRAD_W1, GRAD_E),
        says=("without (1 - h)",),
    ),
    Mutant(
        name="loss_sum_instead_of_mean",
        old="loss = -np.mean(np.log(probs[rows, target]))\n" + _LAG_HEAD + "    ds /= N\n",
        new="loss = -np.sum(np.log(probs[rows, target]))\n" + _LAG_HEAD,
        catches=(LOSS, GRAD_W2, GRAD_B2, HISTORY),
        says=("MEAN over the N = 7",),
    ),
    Mutant(
        name="gradient_without_one_over_n",
        old="    ds /= N\n",
        new="",
        catches=(GRAD_W2, GRAD_B2, GRAD_W1, GRAD_B1, GRAD_E),
        says=("without 1/N",),
    ),
    Mutant(
        name="W1_gradient_with_h_instead_of_e",
        old="dW1 = e.T @ dz",
        new="dW1 = e.T @ dh",
        catches=(GRAD_W1,),
        says=("dW1 from dh",),
    ),
    # --- build_dataset
    Mutant(
        name="build_dataset_ties_in_alphabetical_order",
        old="vocab = [w for w, _ in Counter(words).most_common(vocab_size)]",
        new="vocab = [w for w, _ in sorted(Counter(words).items(), "
            "key=lambda kv: (-kv[1], kv[0]))[:vocab_size]]",
        catches=(VOCAB, DATA_PROPERTY),
        says=("alphabetical",),
    ),
    Mutant(
        name="build_dataset_keeps_oov_4grams_mapped_to_word_0",
        old="ids = [index.get(w, -1) for w in words]",
        new="ids = [index.get(w, 0) for w in words]",
        catches=(GRAMS, DATA_PROPERTY),
        says=("mapped to index 0",),
    ),
    Mutant(
        name="build_dataset_checks_only_the_target_word",
        old="if min(g) >= 0]",
        new="if g[3] >= 0]",
        catches=(GRAMS, DATA_PROPERTY),
        says=("only the target word",),
    ),
    Mutant(
        name="build_dataset_target_off_by_one",
        old="grams = [ids[i : i + 4] for i in range(len(ids) - 3)]",
        new="grams = [ids[i : i + 3] + [ids[i + 4]] for i in range(len(ids) - 4)]",
        catches=(GRAMS, DATA_PROPERTY),
        says=("words[i + 4]",),
    ),
    Mutant(
        name="build_dataset_not_lower_cased",
        old='return re.findall(r"[a-z]+(?:\'[a-z]+)*", text.lower())',
        new='return re.findall(r"[A-Za-z]+(?:\'[A-Za-z]+)*", text)',
        catches=(VOCAB, DATA_PROPERTY),
        says=("not lower-cased",),
    ),
    # tokenisers that agree with the contract on plain prose and part from it at digits,
    # underscores and apostrophes at the edge of a word
    Mutant(
        name="build_dataset_tokens_anchored_at_word_boundaries",
        old='return re.findall(r"[a-z]+(?:\'[a-z]+)*", text.lower())',
        new='return re.findall(r"\\b[a-z]+(?:\'[a-z]+)*\\b", text.lower())',
        catches=(TOKENS,),
        says=("\\b-anchored",),
    ),
    Mutant(
        name="build_dataset_tokens_keep_edge_apostrophes",
        old='return re.findall(r"[a-z]+(?:\'[a-z]+)*", text.lower())',
        new='return re.findall(r"[a-z\']+", text.lower())',
        catches=(TOKENS,),
        says=("apostrophes are kept at the edges",),
    ),
    Mutant(
        name="build_dataset_tokens_word_characters",
        old='return re.findall(r"[a-z]+(?:\'[a-z]+)*", text.lower())',
        new='return re.findall(r"\\w+(?:\'\\w+)*", text.lower())',
        catches=(TOKENS,),
        says=("keeps digits and underscores",),
    ),
    # --- train
    Mutant(
        name="train_momentum_velocity_without_lr",
        old="v[k] = momentum * v[k] - lr * g[k]  # velocity",
        new="v[k] = momentum * v[k] - g[k]  # velocity",
        catches=(ONE_UPDATE, TWO_UPDATES),
        says=("without the learning rate",),
    ),
    Mutant(
        name="train_velocity_reset_every_epoch",
        old="    v = {k: np.zeros_like(p) for k, p in params.items()}\n    rng = np.random.default_rng(seed)\n"
            "    history = []\n    for _ in range(epochs):\n",
        new="    rng = np.random.default_rng(seed)\n    history = []\n    for _ in range(epochs):\n"
            "        v = {k: np.zeros_like(p) for k, p in params.items()}\n",
        catches=(TWO_UPDATES,),
        says=("reset to zero every epoch",),
    ),
    Mutant(
        name="train_history_is_the_last_batch_loss",
        old="history.append(total / M)",
        new="history.append(loss)",
        catches=(HISTORY,),
        says=("last batch's loss",),
    ),
    Mutant(
        name="train_same_order_every_epoch",
        old="        order = rng.permutation(M)\n",
        new="        order = np.random.default_rng(seed).permutation(M)\n",
        catches=(RESHUFFLE,),
        says=("re-created inside the epoch loop",),
    ),
    Mutant(
        name="train_drops_the_last_partial_batch",
        old="for i in range(0, M, batch_size):",
        new="for i in range(0, M - batch_size + 1, batch_size):",
        catches=(EVERY_EXAMPLE,),
        says=("last, smaller batch is dropped",),
    ),
    # --- predict_next
    Mutant(
        name="predict_next_returns_the_last_context_word",
        old="return vocab[int(np.argmax(probs[0]))]",
        new="return words[2]",
        catches=(PREDICT,),
        says=("last context word",),
    ),
    Mutant(
        name="predict_next_returns_the_least_likely_word",
        old="return vocab[int(np.argmax(probs[0]))]",
        new="return vocab[int(np.argmin(probs[0]))]",
        catches=(PREDICT,),
        says=("argmin",),
    ),
    # --- the caller's arrays and words (checks_inputs.py)
    Mutant(
        name="forward_shifts_the_callers_output_bias",  # softmax ignores the shift: probs stay right
        old='    s = h @ params["W2"] + params["b2"]\n',
        new='    params["b2"] -= params["b2"].max()  # keep the scores small\n    s = h @ params["W2"] + params["b2"]\n',
        catches=("forward: leaves its inputs unchanged",),
        says=("argument params['b2']", "in place"),
    ),
    Mutant(
        name="loss_and_grads_accumulates_dE_in_the_callers_E",  # dE "of E's shape", but E itself
        old='    dE = np.zeros_like(params["E"])\n',
        new='    dE = params["E"]\n    dE[:] = 0.0\n',
        catches=("loss_and_grads: leaves its inputs unchanged",),
        says=("argument params['E']",),
    ),
    Mutant(
        name="predict_next_lower_cases_the_callers_words",
        old="    context = np.array([[index[w.lower()] for w in words]], dtype=np.int64)\n",
        new=("    for i, w in enumerate(words):\n        words[i] = w.lower()\n"
             "    context = np.array([[index[w] for w in words]], dtype=np.int64)\n"),
        catches=("predict_next: leaves its inputs unchanged",),
        says=("argument words", "words[i] = ..."),
    ),
    Mutant(
        name="train_shuffles_the_callers_data_once_in_place",
        old="    targets = np.asarray(targets)\n    M = len(targets)\n",
        new=("    targets = np.asarray(targets)\n    M = len(targets)\n"
             "    first = np.random.default_rng(seed).permutation(M)\n"
             "    contexts[:] = contexts[first]\n    targets[:] = targets[first]\n"),
        catches=("train: leaves its inputs unchanged",),
        says=("argument contexts",),
    ),
]

_DE_LOOPS = """for n in range(N):  # one example and one position at a time
        for k in range(3):
            dE[context[n, k]] += de[n, k * (de.shape[1] // 3):(k + 1) * (de.shape[1] // 3)]"""

_E_ONE_HOT = (
    'e = np.concatenate([np.eye(params["E"].shape[0])[context[:, k]] @ params["E"] '
    "for k in range(3)], axis=1)"
)
_DE_ONE_HOT = (
    "dE += sum(np.eye(dE.shape[0])[context[:, k]].T @ de.reshape(N, 3, -1)[:, k] "
    "for k in range(3))"
)

UNUSUAL = [
    Mutant(
        name="E_gradient_by_loops_over_batch_and_positions",
        old="np.add.at(dE, context, de.reshape(N, 3, -1))",
        new=_DE_LOOPS,
    ),
    Mutant(
        name="forward_by_one_hot_matrix_products",
        old='e = params["E"][context].reshape(N, -1)',
        new=_E_ONE_HOT,
    ),
    Mutant(
        name="E_gradient_by_one_hot_matrix_products",
        old="np.add.at(dE, context, de.reshape(N, 3, -1))",
        new=_DE_ONE_HOT,
    ),
    Mutant(
        name="sigmoid_by_exp",
        old="h = 0.5 * (1.0 + np.tanh(0.5 * z))",
        new="h = 1.0 / (1.0 + np.exp(-z))",
    ),
    Mutant(
        name="loss_and_grads_per_example_loop",
        old="    ds /= N\n",
        new="    for n in range(N):\n        ds[n] = ds[n] / N\n",
    ),
    Mutant(
        name="train_momentum_with_positive_velocity",
        old="v[k] = momentum * v[k] - lr * g[k]  # velocity: decayed sum of steps\n"
            "                params[k] += v[k]",
        new="v[k] = momentum * v[k] + lr * g[k]\n                params[k] -= v[k]",
    ),
    Mutant(
        name="train_pytorch_style_momentum",
        old="v[k] = momentum * v[k] - lr * g[k]  # velocity: decayed sum of steps\n"
            "                params[k] += v[k]",
        new="v[k] = momentum * v[k] + g[k]\n                params[k] = params[k] - lr * v[k]",
    ),
    Mutant(
        name="build_dataset_stable_sort_by_count",
        old="vocab = [w for w, _ in Counter(words).most_common(vocab_size)]",
        new="counts = Counter(words)  # insertion order = first appearance\n"
            "    vocab = sorted(counts, key=lambda w: -counts[w])[:vocab_size]",
    ),
    Mutant(
        name="build_dataset_explicit_loop",
        old="grams = np.array([g for g in grams if min(g) >= 0], dtype=np.int64).reshape(-1, 4)",
        new="kept = []\n    for g in grams:\n        if all(i >= 0 for i in g):\n"
            "            kept.append(g)\n"
            "    grams = np.array(kept, dtype=np.int64).reshape(-1, 4)",
    ),
    Mutant(
        name="predict_next_with_vocab_index",
        old="context = np.array([[index[w.lower()] for w in words]], dtype=np.int64)",
        new="context = np.array([[vocab.index(w.lower()) for w in words]])",
    ),
]

# Graded with the trained checks they exist for (each trains for several seconds of CPU).
SLOW_MUTANTS = [
    Mutant(
        name="forward_embeddings_interleaved_not_concatenated",
        old='e = params["E"][context].reshape(N, -1)',
        new='e = params["E"][context].transpose(0, 2, 1).reshape(N, -1)',
        catches=(FORWARD_VALUES, ACCURACY, CROSS_ENTROPY),
        says=("interleaved",),
    ),
    Mutant(
        name="train_momentum_ignored_plain_sgd",
        old="                params[k] += v[k]\n",
        new="                params[k] -= lr * g[k]\n",
        catches=(TWO_UPDATES, ACCURACY, CROSS_ENTROPY),
        says=("momentum is ignored",),
    ),
    Mutant(
        name="init_params_tiny_0_01_randn",  # the classic 0.01 * randn for every weight
        old="    E = 0.1 * rng.standard_normal((V, D))\n"
            "    W1 = rng.standard_normal((3 * D, P)) / np.sqrt(3 * D)\n"
            "    W2 = rng.standard_normal((P, V)) / np.sqrt(P)\n",
        new="    E = 0.01 * rng.standard_normal((V, D))\n"
            "    W1 = 0.01 * rng.standard_normal((3 * D, P))\n"
            "    W2 = 0.01 * rng.standard_normal((P, V))\n",
        catches=(ACCURACY, CROSS_ENTROPY),
        says=("0.01 * randn",),
    ),
]
