"""# A character-level vanilla RNN in NumPy (the min-char-rnn exercise)

Andrej Karpathy's *min-char-rnn* trains a one-layer recurrent network to predict the
next character of a text, one character at a time, in about a hundred lines of NumPy.
In this assignment you rewrite it in the course's **row-vector convention**: a hidden
state is a 1-D array `h` of shape `(H,)` and a layer is `h @ W + b`.

For a sequence of input characters `x_1 .. x_T` (one-hot rows of length `V`, the
vocabulary size) and the hidden state `h_0` left over from the previous chunk:

    h_t = tanh(x_t Wxh + h_{t-1} Whh + bh)        (H,)
    y_t = h_t Why + by                            (V,)  scores ("logits")
    p_t = softmax(y_t)                            (V,)  next-character probabilities
    L   = sum_t -log p_t[target_t]                the loss is a SUM over time steps

Because `x_t` is one-hot, `x_t Wxh` is simply row `inputs[t]` of `Wxh`: never build
the one-hot matrix products explicitly.

The backward pass is *backpropagation through time*: the gradient that reaches `h_t`
comes from the output at step `t` **and** from step `t + 1` through `Whh`. Write a
comment with the math on each line of your backward pass, like min-char-rnn does.

Training (`train`) cuts the text into chunks of `seq_length` characters, carries the
hidden state from one chunk to the next, clips the gradients to [-5, 5] (RNN
gradients can explode) and updates with Adagrad. On the course's 184-character
excerpt of Goethe's *Faust* the network learns the text by heart: the grader
regenerates the excerpt from its first character with your trained parameters and
counts the characters that differ.

Your gradients are checked against central differences of the loss in float64 on
sequences long enough that a missing step of backpropagation through time is caught,
and `sample` is checked with a statistical test of the distribution of its draws.
"""

import numpy as np


def init_params(vocab_size, hidden_size, seed):
    """Small random weights and zero biases.

    Every weight matrix is 0.01 * standard normal, drawn from
    np.random.default_rng(seed) in the order Wxh, Whh, Why; bh and by are zeros.

    Inputs:
    - vocab_size: V, the number of distinct characters.
    - hidden_size: H, the size of the hidden state.
    - seed: int.

    Returns a dict:
    - "Wxh": (V, H), "Whh": (H, H), "Why": (H, V), "bh": (H,), "by": (V,).
    """
    ### BEGIN SOLUTION
    # TODO: one generator, three standard-normal draws scaled by 0.01, zero biases.
    rng = np.random.default_rng(seed)
    V, H = vocab_size, hidden_size
    return {
        "Wxh": rng.standard_normal((V, H)) * 0.01,
        "Whh": rng.standard_normal((H, H)) * 0.01,
        "Why": rng.standard_normal((H, V)) * 0.01,
        "bh": np.zeros(H),
        "by": np.zeros(V),
    }
    ### END SOLUTION


def loss_and_grads(params, inputs, targets, h_prev):
    """Forward and backward pass over one chunk of T characters.

        h_t = tanh(x_t Wxh + h_{t-1} Whh + bh)    with h_{-1} = h_prev, x_t one-hot
        p_t = softmax(h_t Why + by)
        loss = sum over t of -log p_t[targets[t]]

    The gradients are of this summed loss and are NOT clipped here (see clip_grads).
    The gradient with respect to h_t collects the output path at step t and the
    recurrent path from step t + 1 (dh_next): that is backpropagation through time.

    Inputs:
    - params: dict with "Wxh" (V, H), "Whh" (H, H), "Why" (H, V), "bh" (H,), "by" (V,).
    - inputs: list of T ints in [0, V), the input characters.
    - targets: list of T ints in [0, V), the next characters (targets[t] = inputs[t+1]
      inside a text).
    - h_prev: (H,), the hidden state before the first input (not modified).

    Returns a tuple of:
    - loss: float, the summed cross-entropy.
    - grads: dict with the same keys and shapes as params.
    - h_last: (H,), the hidden state after the last input (h_{T-1}), to carry on.
    """
    ### BEGIN SOLUTION
    # TODO: forward loop storing every h_t and p_t, then a backward loop from t = T-1 to 0.
    Wxh, Whh, Why, bh, by = (params[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
    hs = {-1: np.array(h_prev, dtype=np.float64)}  # hs[t] = h_t; hs[-1] = h_prev
    ps = {}
    loss = 0.0
    for t in range(len(inputs)):
        # x_t Wxh with a one-hot x_t is row inputs[t] of Wxh
        hs[t] = np.tanh(Wxh[inputs[t]] + hs[t - 1] @ Whh + bh)
        y = hs[t] @ Why + by
        e = np.exp(y - y.max())  # shifting the scores leaves the softmax unchanged
        ps[t] = e / e.sum()
        loss += -np.log(ps[t][targets[t]])
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(hs[-1])
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0  # dL/dy_t = p_t - onehot(targets[t])
        grads["Why"] += np.outer(hs[t], dy)  # dL/dWhy += h_t^T dy_t
        grads["by"] += dy  # dL/dby += dy_t
        dh = dy @ Why.T + dh_next  # dL/dh_t = dy_t Why^T + (gradient from step t+1)
        da = (1.0 - hs[t] ** 2) * dh  # a_t = pre-activation: dL/da_t = (1 - h_t^2) * dL/dh_t
        grads["bh"] += da  # dL/dbh += dL/da_t
        grads["Wxh"][inputs[t]] += da  # dL/dWxh += x_t^T da_t: only row inputs[t]
        grads["Whh"] += np.outer(hs[t - 1], da)  # dL/dWhh += h_{t-1}^T da_t
        dh_next = da @ Whh.T  # dL/dh_{t-1} through the recurrence: da_t Whh^T
    return float(loss), grads, hs[len(inputs) - 1].copy()
    ### END SOLUTION


def clip_grads(grads, limit=5.0):
    """Clip every gradient array element-wise to [-limit, limit], IN PLACE.

    Inputs:
    - grads: dict of arrays; each array is modified in place.
    - limit: positive float.

    Returns None.
    """
    ### BEGIN SOLUTION
    # TODO: np.clip with out= writes the result back into the same array.
    for g in grads.values():
        np.clip(g, -limit, limit, out=g)
    ### END SOLUTION


def sample(params, h, seed_ix, n, seed):
    """Sample n characters from the model, feeding each draw back in as the next input.

    Starting from hidden state h and input character seed_ix, at each step t:
        h = tanh(x Wxh + h Whh + bh);  p = softmax(h Why + by)
        ix = rng.choice(V, p=p);  x = onehot(ix)
    with rng = np.random.default_rng(seed) created once. The first returned index is
    drawn from the distribution that follows seed_ix (seed_ix itself is not returned).

    Inputs:
    - params: dict as in init_params.
    - h: (H,), the starting hidden state (not modified).
    - seed_ix: int, the first input character.
    - n: int, how many indices to draw.
    - seed: int.

    Returns:
    - list of n ints in [0, V).
    """
    ### BEGIN SOLUTION
    # TODO: loop n times: one RNN step, softmax, draw with rng.choice(V, p=p), feed it back.
    rng = np.random.default_rng(seed)
    Wxh, Whh, Why, bh, by = (params[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
    V = Why.shape[1]
    h = np.array(h, dtype=np.float64)
    ix = seed_ix
    out = []
    for _ in range(n):
        h = np.tanh(Wxh[ix] + h @ Whh + bh)
        y = h @ Why + by
        e = np.exp(y - y.max())
        p = e / e.sum()
        ix = int(rng.choice(V, p=p))
        out.append(ix)
    return out
    ### END SOLUTION


def train(text, hidden_size, seq_length, lr, n_iter, seed):
    """Train the RNN on text with Adagrad and gradient clipping, as min-char-rnn does.

    - Vocabulary: chars = sorted(set(text)); character chars[i] has index i.
    - params = init_params(len(chars), hidden_size, seed).
    - Data pointer p and hidden state h (min-char-rnn's rule): before iteration n, if
      n == 0 or p + seq_length + 1 >= len(text), set p = 0 and h = zeros(H) (the
      pointer wraps to the start and the memory is reset); otherwise h is the h_last
      of the previous iteration. Then inputs = text[p : p + seq_length],
      targets = text[p + 1 : p + seq_length + 1] (as indices), and afterwards
      p += seq_length. (So the last few characters of a text whose length is not a
      multiple of seq_length plus one are never targets, exactly as in min-char-rnn.)
    - Each iteration: loss, grads, h = loss_and_grads(...); clip_grads(grads, 5.0);
      then Adagrad for every key k, with mem[k] starting at zero:
          mem[k] += grads[k]**2;  params[k] -= lr * grads[k] / sqrt(mem[k] + 1e-8)
    - history[n] is the (summed, unsmoothed) loss of iteration n.

    Inputs:
    - text: str with len(text) >= seq_length + 2.
    - hidden_size: H.
    - seq_length: characters per chunk (T).
    - lr: Adagrad learning rate.
    - n_iter: number of iterations (chunks).
    - seed: int, used only by init_params.

    Returns a tuple of:
    - params: dict as in init_params, trained.
    - history: list of n_iter floats.
    """
    ### BEGIN SOLUTION
    # TODO: map chars to indices, then the min-char-rnn loop: pointer, loss, clip, Adagrad.
    if len(text) < seq_length + 2:
        raise ValueError("text must have at least seq_length + 2 characters")
    chars = sorted(set(text))
    char_to_ix = {c: i for i, c in enumerate(chars)}
    data = [char_to_ix[c] for c in text]
    params = init_params(len(chars), hidden_size, seed)
    mem = {k: np.zeros_like(v) for k, v in params.items()}
    history = []
    p = 0
    h = np.zeros(hidden_size)
    for n in range(n_iter):
        if n == 0 or p + seq_length + 1 >= len(data):
            p = 0  # wrap around to the start of the text ...
            h = np.zeros(hidden_size)  # ... and reset the RNN memory
        inputs = data[p : p + seq_length]
        targets = data[p + 1 : p + seq_length + 1]
        loss, grads, h = loss_and_grads(params, inputs, targets, h)
        clip_grads(grads, 5.0)
        for k in params:
            mem[k] += grads[k] ** 2  # Adagrad: accumulate squared gradients
            params[k] -= lr * grads[k] / np.sqrt(mem[k] + 1e-8)
        history.append(loss)
        p += seq_length
    return params, history
    ### END SOLUTION
