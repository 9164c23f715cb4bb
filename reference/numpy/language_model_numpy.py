"""# A neural language model in NumPy: the next word from three context words

The classic exercise (Bengio et al., 2003; Hinton's neural-networks course): given
three consecutive words, predict the fourth. Each word has a learned **embedding**, a
row of a shared matrix `E` of shape `(V, D)`; the three embeddings are concatenated,
passed through a sigmoid hidden layer and a softmax over the whole vocabulary:

    e     = [E[c0], E[c1], E[c2]]            (N, 3D)   the three rows side by side
    h     = sigmoid(e W1 + b1)               (N, P)
    probs = softmax(h W2 + b2)               (N, V)
    loss  = mean over n of -log probs[n, target[n]]

The embedding is *shared*: the same row `E[w]` is used whichever of the three positions
word `w` is in. Its gradient therefore **adds up** the contributions of all three
positions, and of every example in the batch, including when one context holds the
same word twice ("the cat the" -> two contributions to `E[the]`). Fancy-index
assignment `dE[idx] += ...` keeps only one of the repeated contributions; use
`np.add.at`.

The data are 4-grams of English prose (Python's own documentation, which ships with
Python): `build_dataset` lower-cases and tokenises the text, keeps the most frequent
words, and drops every 4-gram that contains a rarer word. `train` runs mini-batch SGD
with classical momentum.

Your gradients are checked numerically (central differences in float64, with repeated
words in a context), `build_dataset` on small hand-made and random texts, one and two
updates of `train` against the momentum rule (and that every epoch uses every example,
in a fresh order), and the trained model's held-out next-word accuracy and
cross-entropy against bounds calibrated on the reference (far above always guessing
"the").
"""

import re
from collections import Counter

import numpy as np


def init_params(vocab_size, embed_dim, hidden_dim, seed):
    """Random weights, zero biases.

    With rng = np.random.default_rng(seed), drawn in this order:
        E  = 0.1 * standard normal (V, D)
        W1 = standard normal (3D, P) / sqrt(3D)
        W2 = standard normal (P, V) / sqrt(P)
    b1 and b2 are zeros.

    Inputs:
    - vocab_size: V; embed_dim: D; hidden_dim: P; seed: int.

    Returns a dict:
    - "E": (V, D), "W1": (3D, P), "b1": (P,), "W2": (P, V), "b2": (V,).
    """
    ### BEGIN SOLUTION
    # TODO: one generator; scale each weight as the docstring says; zero biases.
    rng = np.random.default_rng(seed)
    V, D, P = vocab_size, embed_dim, hidden_dim
    E = 0.1 * rng.standard_normal((V, D))
    W1 = rng.standard_normal((3 * D, P)) / np.sqrt(3 * D)
    W2 = rng.standard_normal((P, V)) / np.sqrt(P)
    return {"E": E, "W1": W1, "b1": np.zeros(P), "W2": W2, "b2": np.zeros(V)}
    ### END SOLUTION


def forward(params, context):
    """Next-word probabilities for a batch of three-word contexts.

        e = concatenation of E[context[:, 0]], E[context[:, 1]], E[context[:, 2]]
        h = sigmoid(e W1 + b1);  probs = softmax(h W2 + b2)   (row-wise)

    Inputs:
    - params: dict as in init_params.
    - context: int array of shape (N, 3), word indices in [0, V).

    Returns a tuple of:
    - probs: (N, V), each row sums to one.
    - cache: whatever loss_and_grads needs (here (context, e, h, probs)).
    """
    ### BEGIN SOLUTION
    # TODO: E[context] has shape (N, 3, D): reshape it to (N, 3D); stable sigmoid and softmax.
    context = np.asarray(context)
    N = context.shape[0]
    e = params["E"][context].reshape(N, -1)  # rows [E[c0], E[c1], E[c2]]
    z = e @ params["W1"] + params["b1"]
    h = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid(z), written so exp never overflows
    s = h @ params["W2"] + params["b2"]
    s = s - s.max(axis=1, keepdims=True)
    probs = np.exp(s)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs, (context, e, h, probs)
    ### END SOLUTION


def loss_and_grads(params, context, target):
    """Mean cross-entropy of the next word and its gradient for every parameter.

        loss = (1/N) sum_n -log probs[n, target[n]]

    Backward, with Y the one-hot targets:
        ds  = (probs - Y) / N            dW2 = h^T ds         db2 = sum_n ds
        dh  = ds W2^T                    dz  = dh * h * (1 - h)
        dW1 = e^T dz                     db1 = sum_n dz        de = dz W1^T  (N, 3D)
        dE[w] = sum of the slices of de (each of width D) at every (n, k) with
                context[n, k] == w     (all three positions, repeats included)

    Inputs:
    - params: dict as in init_params.
    - context: int array (N, 3); target: int array (N,).

    Returns a tuple of:
    - loss: float.
    - grads: dict with the same keys and shapes as params.
    """
    ### BEGIN SOLUTION
    # TODO: forward, then the backward lines above; np.add.at for the embedding.
    probs, (context, e, h, _) = forward(params, context)
    target = np.asarray(target)
    N, V = probs.shape
    rows = np.arange(N)
    loss = -np.mean(np.log(probs[rows, target]))
    ds = probs.copy()
    ds[rows, target] -= 1.0  # dL/ds = (probs - onehot(target)) / N
    ds /= N
    dW2 = h.T @ ds  # dL/dW2 = h^T ds
    db2 = ds.sum(axis=0)  # dL/db2 = sum over the batch of ds
    dh = ds @ params["W2"].T  # dL/dh = ds W2^T
    dz = dh * h * (1.0 - h)  # sigmoid'(z) = h (1 - h)
    dW1 = e.T @ dz  # dL/dW1 = e^T dz
    db1 = dz.sum(axis=0)  # dL/db1 = sum over the batch of dz
    de = dz @ params["W1"].T  # dL/de = dz W1^T, shape (N, 3D)
    dE = np.zeros_like(params["E"])
    # dL/dE[w] += de[n, k*D:(k+1)*D] for every (n, k) with context[n, k] == w;
    # np.add.at accumulates repeated indices (dE[context] += ... would not).
    np.add.at(dE, context, de.reshape(N, 3, -1))
    return float(loss), {"E": dE, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION


def tokenize(text):
    """Lower-cased words: maximal runs of the letters a-z, with inner apostrophes kept.

    re.findall(r"[a-z]+(?:'[a-z]+)*", text.lower()): "Don't stop, 3 times!" ->
    ["don't", "stop", "times"]. Digits, punctuation and white space separate words.
    """
    return re.findall(r"[a-z]+(?:'[a-z]+)*", text.lower())


def build_dataset(text, vocab_size):
    """The word 4-grams of a text, as (three context words, next word) indices.

    - words = tokenize(text) (see tokenize: lower-cased runs of a-z with inner
      apostrophes).
    - vocab: the vocab_size most frequent words, most frequent first; words with the
      same count are ordered by their first appearance in the text (all words if
      there are fewer than vocab_size distinct ones). Word vocab[i] has index i.
    - Every run of four consecutive words words[i : i+4] (i = 0, 1, ..., in text order)
      whose four words are all in vocab gives one example: context = the indices of
      words[i], words[i+1], words[i+2]; target = the index of words[i+3]. 4-grams with
      any word outside vocab are dropped.

    Inputs:
    - text: str.
    - vocab_size: int.

    Returns a tuple of:
    - vocab: list of str.
    - contexts: int64 array of shape (M, 3).
    - targets: int64 array of shape (M,).
    """
    ### BEGIN SOLUTION
    # TODO: Counter(...).most_common keeps ties in first-appearance order.
    words = tokenize(text)
    vocab = [w for w, _ in Counter(words).most_common(vocab_size)]
    index = {w: i for i, w in enumerate(vocab)}
    ids = [index.get(w, -1) for w in words]  # -1 marks a word outside the vocab
    grams = [ids[i : i + 4] for i in range(len(ids) - 3)]
    grams = np.array([g for g in grams if min(g) >= 0], dtype=np.int64).reshape(-1, 4)
    return vocab, grams[:, :3].copy(), grams[:, 3].copy()
    ### END SOLUTION


def train(contexts, targets, vocab_size, embed_dim, hidden_dim, lr, momentum, epochs,
          batch_size, seed):
    """Mini-batch SGD with classical momentum.

    - params = init_params(vocab_size, embed_dim, hidden_dim, seed); one velocity
      v[k] = zeros per parameter; rng = np.random.default_rng(seed), created once.
    - Each epoch: order = rng.permutation(M); the batches are order[i : i + batch_size]
      for i = 0, batch_size, 2 * batch_size, ... (the last one may be smaller).
    - Each batch: loss, g = loss_and_grads(params, contexts[b], targets[b]); then for
      every key k:   v[k] = momentum * v[k] - lr * g[k];   params[k] += v[k]
    - history[epoch] = mean over the epoch's examples of the batch losses (each batch's
      loss weighted by its size), measured before each batch's update.

    Inputs:
    - contexts: int array (M, 3); targets: int array (M,).
    - vocab_size, embed_dim, hidden_dim: V, D, P.
    - lr, momentum: floats; epochs, batch_size, seed: ints.

    Returns a tuple of:
    - params: dict as in init_params, trained.
    - history: list of `epochs` floats.
    """
    ### BEGIN SOLUTION
    # TODO: shuffle each epoch, then the momentum update above for every batch.
    contexts = np.asarray(contexts)
    targets = np.asarray(targets)
    M = len(targets)
    params = init_params(vocab_size, embed_dim, hidden_dim, seed)
    v = {k: np.zeros_like(p) for k, p in params.items()}
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(M)
        total = 0.0
        for i in range(0, M, batch_size):
            b = order[i : i + batch_size]
            loss, g = loss_and_grads(params, contexts[b], targets[b])
            total += loss * len(b)
            for k in params:
                v[k] = momentum * v[k] - lr * g[k]  # velocity: decayed sum of steps
                params[k] += v[k]
        history.append(total / M)
    return params, history
    ### END SOLUTION


def predict_next(params, vocab, words):
    """The most probable next word after three given words.

    Inputs:
    - params: dict as in init_params.
    - vocab: list of str (from build_dataset).
    - words: three strings, each in vocab (compared lower-cased).

    Returns:
    - str: vocab[argmax of forward(params, [[i0, i1, i2]])[0][0]].
    """
    ### BEGIN SOLUTION
    # TODO: look the words up in vocab, run forward on one context, take the argmax.
    index = {w: i for i, w in enumerate(vocab)}
    context = np.array([[index[w.lower()] for w in words]], dtype=np.int64)
    probs, _ = forward(params, context)
    return vocab[int(np.argmax(probs[0]))]
    ### END SOLUTION
