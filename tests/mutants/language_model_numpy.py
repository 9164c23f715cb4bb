"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of
`language_model_numpy`.

Each one is an exact text edit of `reference/numpy/language_model_numpy.py`. `catches` is
left empty until the grader's check names exist.
`tests/mutants/test_language_model_numpy_mutants.py` shows that every MUTANT changes some
contract function's output and every UNUSUAL one matches the reference to 1e-10.

Notes for the grader:
- `E_gradient_fancy_index_keeps_last_repeat` is only visible when a context (or a batch)
  holds the same word twice: the gradient check needs such contexts.
- `train_pytorch_style_momentum` (v = mu v + g; p -= lr v) is torch.optim.SGD's form and is
  exactly classical momentum for a constant learning rate: it must pass.
- `train_momentum_ignored` needs two updates to show (the first step is -lr g either way).
"""

from tests.mutants import Mutant

_LAG_HEAD = "    ds = probs.copy()\n    ds[rows, target] -= 1.0  # dL/ds = (probs - onehot(target)) / N\n"

MUTANTS = [
    # --- init_params
    Mutant(
        name="init_params_ignores_seed",
        old="    rng = np.random.default_rng(seed)\n    V, D, P = vocab_size, embed_dim, hidden_dim\n",
        new="    rng = np.random.default_rng()\n    V, D, P = vocab_size, embed_dim, hidden_dim\n",
    ),
    # --- forward
    Mutant(
        name="forward_embeddings_interleaved_not_concatenated",
        old='e = params["E"][context].reshape(N, -1)',
        new='e = params["E"][context].transpose(0, 2, 1).reshape(N, -1)',
    ),
    Mutant(
        name="forward_softmax_without_max_subtraction",
        old="    s = s - s.max(axis=1, keepdims=True)\n",
        new="",
    ),
    Mutant(
        name="forward_softmax_over_the_batch_axis",
        old="probs /= probs.sum(axis=1, keepdims=True)",
        new="probs /= probs.sum(axis=0, keepdims=True)",
    ),
    # --- loss_and_grads
    Mutant(
        name="E_gradient_fancy_index_keeps_last_repeat",
        old="np.add.at(dE, context, de.reshape(N, 3, -1))",
        new="dE[context] = de.reshape(N, 3, -1)",
    ),
    Mutant(
        name="E_gradient_fancy_index_plus_equals",
        old="np.add.at(dE, context, de.reshape(N, 3, -1))",
        new="dE[context] += de.reshape(N, 3, -1)",
    ),
    Mutant(
        name="sigmoid_derivative_missing",
        old="dz = dh * h * (1.0 - h)",
        new="dz = dh",
    ),
    Mutant(
        name="sigmoid_derivative_without_one_minus_h",
        old="dz = dh * h * (1.0 - h)",
        new="dz = dh * h",
    ),
    Mutant(
        name="loss_sum_instead_of_mean",
        old="loss = -np.mean(np.log(probs[rows, target]))\n" + _LAG_HEAD + "    ds /= N\n",
        new="loss = -np.sum(np.log(probs[rows, target]))\n" + _LAG_HEAD,
    ),
    Mutant(
        name="gradient_without_one_over_n",
        old="    ds /= N\n",
        new="",
    ),
    Mutant(
        name="W1_gradient_with_h_instead_of_e",
        old="dW1 = e.T @ dz",
        new="dW1 = e.T @ dh",
    ),
    # --- build_dataset
    Mutant(
        name="build_dataset_ties_in_alphabetical_order",
        old="vocab = [w for w, _ in Counter(words).most_common(vocab_size)]",
        new="vocab = [w for w, _ in sorted(Counter(words).items(), "
            "key=lambda kv: (-kv[1], kv[0]))[:vocab_size]]",
    ),
    Mutant(
        name="build_dataset_keeps_oov_4grams_mapped_to_word_0",
        old="ids = [index.get(w, -1) for w in words]",
        new="ids = [index.get(w, 0) for w in words]",
    ),
    Mutant(
        name="build_dataset_checks_only_the_target_word",
        old="if min(g) >= 0]",
        new="if g[3] >= 0]",
    ),
    Mutant(
        name="build_dataset_target_off_by_one",
        old="grams = [ids[i : i + 4] for i in range(len(ids) - 3)]",
        new="grams = [ids[i : i + 3] + [ids[i + 4]] for i in range(len(ids) - 4)]",
    ),
    Mutant(
        name="build_dataset_not_lower_cased",
        old='return re.findall(r"[a-z]+(?:\'[a-z]+)*", text.lower())',
        new='return re.findall(r"[A-Za-z]+(?:\'[A-Za-z]+)*", text)',
    ),
    # --- train
    Mutant(
        name="train_momentum_velocity_without_lr",
        old="v[k] = momentum * v[k] - lr * g[k]  # velocity",
        new="v[k] = momentum * v[k] - g[k]  # velocity",
    ),
    Mutant(
        name="train_momentum_ignored_plain_sgd",
        old="                params[k] += v[k]\n",
        new="                params[k] -= lr * g[k]\n",
    ),
    Mutant(
        name="train_same_order_every_epoch",
        old="        order = rng.permutation(M)\n",
        new="        order = np.random.default_rng(seed).permutation(M)\n",
    ),
    Mutant(
        name="train_drops_the_last_partial_batch",
        old="for i in range(0, M, batch_size):",
        new="for i in range(0, M - batch_size + 1, batch_size):",
    ),
    # --- predict_next
    Mutant(
        name="predict_next_returns_the_last_context_word",
        old="return vocab[int(np.argmax(probs[0]))]",
        new="return words[2]",
    ),
    Mutant(
        name="predict_next_returns_the_least_likely_word",
        old="return vocab[int(np.argmax(probs[0]))]",
        new="return vocab[int(np.argmin(probs[0]))]",
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
