"""# Activity recognition with recurrent networks in NumPy

A smartwatch records a 3-D accelerometer and a 3-D gyroscope ten times a second. From ten
seconds of it (100 steps of 6 channels) you recognise what its wearer was doing: standing,
running, walking or playing badminton (BasicMotions, from the UEA time-series archive; 40
training and 40 test series, `dlgrade.data.load_basic_motions`).

The classifier reads the whole series with a recurrent cell, keeps the LAST hidden state and
passes it through dense layers to a softmax over the classes. You write it for three cells,
the forward pass, backpropagation through time (BPTT) over all T steps, momentum SGD, and a
confusion matrix to compare the cells.

With row vectors (`X` is `(N, T, D)`, `h_t` is `(N, H)`), from `h_0 = 0` (and `c_0 = 0`):

    "rnn":   h_t = tanh(x_t Wx + h_{t-1} Wh + b)
    "lstm":  i, f, o = sigmoid(x_t Wx* + h_{t-1} Wh* + b*);  g = tanh(x_t Wxg + h_{t-1} Whg + bg)
             c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
    "gru":   r = sigmoid(x_t Wxr + bxr + h_{t-1} Whr + bhr);  z = sigmoid(x_t Wxz + bxz + h_{t-1} Whz + bhz)
             n = tanh(x_t Wxn + bxn + r * (h_{t-1} Whn + bhn));  h_t = (1 - z) * n + z * h_{t-1}

    a_0 = h_T;  a_l = relu(a_{l-1} Wl + bl) for l < L;  scores = a_{L-1} WL + bL
    probs = softmax(scores) (row-wise);  loss = mean over n of -log probs[n, y[n]]

The weights are shared by every time step, so their gradients ADD UP the contributions of
all T steps: BPTT carries dh (and dc) from step t back to step t - 1, all the way to the
first step. A gradient of the last step only ("truncated" BPTT) misses most of it.

Your gradients are checked numerically for each cell (including a problem whose inputs are
non-zero only in the first steps, so only the early steps give the weights a gradient),
`momentum_update` over two steps, that `train` visits every example in a fresh order each
epoch, `confusion_matrix` with Hypothesis, and each cell's trained test accuracy against a
bound calibrated on this reference solution.

All arrays are float64.
"""

import numpy as np

CELLS = ("rnn", "lstm", "gru")
# The cell's weights and biases, in the order init_params draws the weights.
CELL_KEYS = {
    "rnn": ("Wx", "Wh", "b"),
    "lstm": ("Wxi", "Wxf", "Wxg", "Wxo", "Whi", "Whf", "Whg", "Who", "bi", "bf", "bg", "bo"),
    "gru": ("Wxr", "Wxz", "Wxn", "Whr", "Whz", "Whn", "bxr", "bxz", "bxn", "bhr", "bhz", "bhn"),
}


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)), element-wise, without overflow warnings."""
    ### BEGIN SOLUTION
    # TODO: exp(-|z|) never overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def init_params(cell, n_in, n_hidden, dense_dims, n_classes, seed):
    """Random weights ~ normal(0, 1 / sqrt(fan_in)), zero biases.

    With rng = np.random.default_rng(seed), drawn in this order: the cell's weights in the
    order of CELL_KEYS[cell] (each "Wx*" of shape (D, H) has fan-in D, each "Wh*" of shape
    (H, H) fan-in H), then W1, ..., WL (Wl of shape (d_{l-1}, d_l) has fan-in d_{l-1}).

    Inputs:
    - cell: "rnn", "lstm" or "gru".
    - n_in: D, the channels per step; n_hidden: H.
    - dense_dims: sizes of the hidden dense layers (may be empty).
    - n_classes: K.
    - seed: int.

    Returns a dict: the cell's keys (CELL_KEYS[cell]; "b*" of shape (H,)) and the dense
    layers "W1", "b1", ..., "WL", "bL" for H -> dense_dims[0] -> ... -> K, L = len(dense_dims) + 1.
    """
    ### BEGIN SOLUTION
    # TODO: one generator; draw the weights in the documented order; biases are zeros.
    if cell not in CELL_KEYS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    rng = np.random.default_rng(seed)
    D, H = n_in, n_hidden
    params = {}
    for k in CELL_KEYS[cell]:
        if k.startswith("Wx"):
            params[k] = rng.standard_normal((D, H)) / np.sqrt(D)
        elif k.startswith("Wh"):
            params[k] = rng.standard_normal((H, H)) / np.sqrt(H)
    for k in CELL_KEYS[cell]:
        if k.startswith("b"):
            params[k] = np.zeros(H)
    dims = [H, *dense_dims, n_classes]
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l - 1], dims[l])) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = np.zeros(dims[l])
    return params
    ### END SOLUTION


def rnn_step_forward(x, h_prev, params):
    """One vanilla RNN step: h = tanh(x Wx + h_prev Wh + b).

    Inputs: x (N, D); h_prev (N, H); params with "Wx" (D, H), "Wh" (H, H), "b" (H,).
    Returns (h (N, H), cache).
    """
    ### BEGIN SOLUTION
    # TODO: one affine map of x and h_prev, then tanh.
    h = np.tanh(x @ params["Wx"] + h_prev @ params["Wh"] + params["b"])
    return h, (x, h_prev, h)
    ### END SOLUTION


def rnn_step_backward(dh, cache, params):
    """Backward pass of rnn_step_forward.

    Returns (dx (N, D), dh_prev (N, H), grads {"Wx", "Wh", "b"}).
    """
    ### BEGIN SOLUTION
    # TODO: through tanh (1 - h^2), then the two matmuls and the bias.
    x, h_prev, h = cache
    da = dh * (1.0 - h**2)                           # h = tanh(a)
    grads = {"Wx": x.T @ da, "Wh": h_prev.T @ da, "b": da.sum(axis=0)}
    return da @ params["Wx"].T, da @ params["Wh"].T, grads
    ### END SOLUTION


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step (sigmoid gates i, f, o; tanh candidate g).

    Inputs: x (N, D); h_prev, c_prev (N, H); params with the LSTM keys of CELL_KEYS.
    Returns (h (N, H), c (N, H), cache).
    """
    ### BEGIN SOLUTION
    # TODO: four pre-activations, the gates, then c and h.
    a = {k: x @ params["Wx" + k] + h_prev @ params["Wh" + k] + params["b" + k] for k in "ifgo"}
    i, f, o = sigmoid(a["i"]), sigmoid(a["f"]), sigmoid(a["o"])
    g = np.tanh(a["g"])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, i, f, g, o, tanh_c)
    ### END SOLUTION


def lstm_step_backward(dh, dc, cache, params):
    """Backward pass of lstm_step_forward; dc is what reaches c from the next step.

    Returns (dx (N, D), dh_prev (N, H), dc_prev (N, H), grads with the LSTM keys).
    """
    ### BEGIN SOLUTION
    # TODO: dc also receives dh through h = o tanh(c); then the gates, then the matmuls.
    x, h_prev, c_prev, i, f, g, o, tanh_c = cache
    dc = dc + dh * o * (1.0 - tanh_c**2)             # h = o tanh(c)
    da = {
        "i": dc * g * i * (1.0 - i),                 # c = f c_prev + i g; i = sigmoid(a_i)
        "f": dc * c_prev * f * (1.0 - f),            # f = sigmoid(a_f)
        "g": dc * i * (1.0 - g**2),                  # g = tanh(a_g)
        "o": dh * tanh_c * o * (1.0 - o),            # o = sigmoid(a_o)
    }
    grads = {}
    dx = np.zeros_like(x)
    dh_prev = np.zeros_like(h_prev)
    for k in "ifgo":                                 # a_k = x Wxk + h_prev Whk + bk
        grads["Wx" + k] = x.T @ da[k]
        grads["Wh" + k] = h_prev.T @ da[k]
        grads["b" + k] = da[k].sum(axis=0)
        dx += da[k] @ params["Wx" + k].T
        dh_prev += da[k] @ params["Wh" + k].T
    return dx, dh_prev, dc * f, grads                # the cell-state road: dc_prev = dc f
    ### END SOLUTION


def gru_step_forward(x, h_prev, params):
    """One GRU step, PyTorch's convention (r multiplies h_prev Whn + bhn).

    Inputs: x (N, D); h_prev (N, H); params with the GRU keys of CELL_KEYS.
    Returns (h (N, H), cache).
    """
    ### BEGIN SOLUTION
    # TODO: r and z first; the reset gate multiplies (h_prev Whn + bhn).
    r = sigmoid(x @ params["Wxr"] + params["bxr"] + h_prev @ params["Whr"] + params["bhr"])
    z = sigmoid(x @ params["Wxz"] + params["bxz"] + h_prev @ params["Whz"] + params["bhz"])
    hn = h_prev @ params["Whn"] + params["bhn"]
    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * hn)
    h = (1.0 - z) * n + z * h_prev
    return h, (x, h_prev, r, z, hn, n)
    ### END SOLUTION


def gru_step_backward(dh, cache, params):
    """Backward pass of gru_step_forward.

    Returns (dx (N, D), dh_prev (N, H), grads with the GRU keys).
    """
    ### BEGIN SOLUTION
    # TODO: h_prev reaches h directly (z h_prev), through n, and through r and z.
    x, h_prev, r, z, hn, n = cache
    da_n = dh * (1.0 - z) * (1.0 - n**2)             # h = (1 - z) n + z h_prev; n = tanh(a_n)
    dhn = da_n * r                                   # a_n = x Wxn + bxn + r hn
    da_r = da_n * hn * r * (1.0 - r)                 # r = sigmoid(a_r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)         # z = sigmoid(a_z)
    grads = {
        "Wxr": x.T @ da_r, "Wxz": x.T @ da_z, "Wxn": x.T @ da_n,
        "Whr": h_prev.T @ da_r, "Whz": h_prev.T @ da_z, "Whn": h_prev.T @ dhn,
        "bxr": da_r.sum(axis=0), "bxz": da_z.sum(axis=0), "bxn": da_n.sum(axis=0),
        "bhr": da_r.sum(axis=0), "bhz": da_z.sum(axis=0), "bhn": dhn.sum(axis=0),
    }
    dx = da_r @ params["Wxr"].T + da_z @ params["Wxz"].T + da_n @ params["Wxn"].T
    dh_prev = dh * z + da_r @ params["Whr"].T + da_z @ params["Whz"].T + dhn @ params["Whn"].T
    return dx, dh_prev, grads
    ### END SOLUTION


def n_dense_layers(params):
    """L, the number of dense layers in params ("W1" ... "WL")."""
    ### BEGIN SOLUTION
    # TODO: count the keys W1, W2, ... that are present.
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    return L
    ### END SOLUTION


def forward(params, X, cell):
    """Class probabilities of a batch of series.

    Inputs:
    - params: as init_params returns.
    - X: (N, T, D) series.
    - cell: "rnn", "lstm" or "gru".

    Returns a tuple of:
    - probs: (N, K), each row sums to one (softmax with the row maximum subtracted).
    - cache: whatever loss_and_grads needs.
    """
    ### BEGIN SOLUTION
    # TODO: run the cell over t = 0 .. T-1 from zeros; the LAST h goes through the dense layers.
    N, T, _ = X.shape
    H = params["Wx" if cell == "rnn" else ("Wxi" if cell == "lstm" else "Wxr")].shape[1]
    h = np.zeros((N, H))
    c = np.zeros((N, H))
    steps = []
    for t in range(T):
        if cell == "rnn":
            h, step = rnn_step_forward(X[:, t, :], h, params)
        elif cell == "lstm":
            h, c, step = lstm_step_forward(X[:, t, :], h, c, params)
        elif cell == "gru":
            h, step = gru_step_forward(X[:, t, :], h, params)
        else:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        steps.append(step)
    L = n_dense_layers(params)
    activations = [h]                                # a_0 = h_T
    for l in range(1, L + 1):
        z = activations[-1] @ params[f"W{l}"] + params[f"b{l}"]
        activations.append(np.maximum(z, 0.0) if l < L else z)
    scores = activations[-1]
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    probs = e / e.sum(axis=1, keepdims=True)
    return probs, (cell, steps, activations, probs)
    ### END SOLUTION


def loss_and_grads(params, X, y, cell):
    """Mean cross-entropy over the batch and its gradient, by BPTT over all T steps.

    Inputs: params; X (N, T, D); y (N,) ints in 0..K-1; cell.

    Returns a tuple of:
    - loss: float, mean over n of -log probs[n, y[n]].
    - grads: dict with the keys and shapes of params.
    """
    ### BEGIN SOLUTION
    # TODO: softmax-cross-entropy gradient (probs - onehot) / N, back through the dense layers
    # TODO: (relu' = 1 where a > 0), then step by step from T-1 down to 0, adding up the grads.
    probs, (_, steps, activations, _) = forward(params, X, cell)
    N = X.shape[0]
    rows = np.arange(N)
    loss = float(-np.mean(np.log(probs[rows, y])))
    grads = {}
    da = probs.copy()
    da[rows, y] -= 1.0
    da /= N                                          # d loss / d scores
    L = n_dense_layers(params)
    for l in range(L, 0, -1):
        grads[f"W{l}"] = activations[l - 1].T @ da   # z_l = a_{l-1} Wl + bl
        grads[f"b{l}"] = da.sum(axis=0)
        da = da @ params[f"W{l}"].T
        if l > 1:
            da = da * (activations[l - 1] > 0)       # a_{l-1} = relu(z_{l-1})
    for k in CELL_KEYS[cell]:
        grads[k] = np.zeros_like(params[k])
    dh = da                                          # d loss / d h_T
    dc = np.zeros_like(dh)
    for t in reversed(range(len(steps))):
        if cell == "rnn":
            _, dh, g = rnn_step_backward(dh, steps[t], params)
        elif cell == "lstm":
            _, dh, dc, g = lstm_step_backward(dh, dc, steps[t], params)
        else:
            _, dh, g = gru_step_backward(dh, steps[t], params)
        for k in g:                                  # shared weights: sum over time
            grads[k] += g[k]
    return loss, grads
    ### END SOLUTION


def momentum_update(params, grads, velocity, lr, momentum):
    """Classical momentum, in place, for every key of params:

        velocity[k] = momentum * velocity[k] - lr * grads[k];   params[k] += velocity[k]

    The arrays of params themselves change; velocity starts as an empty dict (a missing
    key starts at zero). Returns None.
    """
    ### BEGIN SOLUTION
    # TODO: one key at a time; update the arrays in place (+=), not by rebinding the dict entry.
    for k in params:
        v = velocity.get(k, np.zeros_like(params[k]))
        velocity[k] = momentum * v - lr * grads[k]
        params[k] += velocity[k]
    ### END SOLUTION


def train(X, y, cell, n_hidden, dense_dims, n_classes, lr, momentum, epochs, batch_size, seed):
    """Mini-batch SGD with classical momentum.

    params = init_params(cell, D, n_hidden, dense_dims, n_classes, seed); each epoch visits
    the examples in a fresh order from rng = np.random.default_rng(seed) (one generator for
    the whole run), in mini-batches of batch_size (the last may be smaller), calling
    loss_and_grads and then momentum_update on each. No clipping.

    Returns a tuple of:
    - params: the trained parameters.
    - history: list of floats, history[e] = mean over epoch e's examples of the loss before
      each update (each batch's loss weighted by its size).
    """
    ### BEGIN SOLUTION
    # TODO: init, one generator, then epochs of permuted mini-batches.
    N, _, D = X.shape
    params = init_params(cell, D, n_hidden, dense_dims, n_classes, seed)
    rng = np.random.default_rng(seed)
    velocity = {}
    history = []
    for _ in range(epochs):
        order = rng.permutation(N)
        total = 0.0
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            loss, grads = loss_and_grads(params, X[idx], y[idx], cell)
            momentum_update(params, grads, velocity, lr, momentum)
            total += loss * len(idx)
        history.append(total / N)
    return params, history
    ### END SOLUTION


def predict(params, X, cell):
    """(N,) int class predictions: the argmax of forward's probabilities."""
    ### BEGIN SOLUTION
    # TODO: argmax over the classes axis.
    return forward(params, X, cell)[0].argmax(axis=1)
    ### END SOLUTION


def confusion_matrix(y_true, y_pred, n_classes):
    """(K, K) int64 counts: [i, j] = number of examples of true class i predicted as j."""
    ### BEGIN SOLUTION
    # TODO: np.add.at (or bincount of y_true * K + y_pred) handles repeated pairs.
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts
    ### END SOLUTION
