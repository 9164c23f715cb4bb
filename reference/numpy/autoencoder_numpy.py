"""# A dense autoencoder from scratch in NumPy

An autoencoder learns to copy its input through a narrow *code*. Ours has one hidden
layer of `n_hidden` ReLU units (the encoder) and a sigmoid output layer of `n_in`
units (the decoder), so every reconstructed pixel lies in [0, 1] like the input:

    H     = relu(X W1 + b1)          # (N, n_hidden), the code
    X_hat = sigmoid(H W2 + b2)       # (N, n_in), the reconstruction
    loss  = mean over all N * n_in elements of (X_hat - X)**2

You will write the initialisation, the forward pass, the loss, the backward pass
(by hand, with the chain rule), the **Adagrad** update and a mini-batch training
loop, then train the network on scikit-learn's 8x8 handwritten digits.

Conventions (see the course contract):

- arrays are `float64`, samples are rows: `X` has shape `(N, n_in)`;
- a dense layer is `Z = X @ W + b` with `W` of shape `(D_in, D_out)`;
- parameters and gradients are dicts with the keys `"W1", "b1", "W2", "b2"`;
- randomness comes only from the `seed` argument (`np.random.default_rng(seed)`);
- only `adagrad_update` modifies its arguments (in place, as stated).

The grader checks your backward pass with finite differences, checks that
`adagrad_update` works in place and accumulates its state, checks that `train` asks
`lr_schedule` for the learning rate of every epoch, and trains your network on the
digits to compare the held-out reconstruction error with a calibrated bound.
"""

import numpy as np


# ----------------------------------------------------------------------------------
# Given helpers (you wrote these in `numpy_basics`)
# ----------------------------------------------------------------------------------


def relu(z):
    """Element-wise max(0, z)."""
    return np.maximum(z, 0.0)


def sigmoid(z):
    """Element-wise 1 / (1 + exp(-z)), computed without overflow for any z."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ----------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------


def init_params(n_in, n_hidden, seed):
    """Random initial parameters.

    The weights are drawn from zero-mean normal distributions whose scale keeps the
    variance of the signal roughly constant from layer to layer:
    - W1 (feeding ReLUs): He initialisation, std = sqrt(2 / n_in);
    - W2 (feeding the sigmoid output): Glorot initialisation,
      std = sqrt(2 / (n_hidden + n_in)).
    Biases start at zero. All randomness comes from np.random.default_rng(seed).

    Inputs:
    - n_in: number of input (and output) features D.
    - n_hidden: number of hidden units H.
    - seed: int.

    Returns:
    - params: dict with "W1" (D, H), "b1" (H,), "W2" (H, D), "b2" (D,), all float64.
    """
    ### BEGIN SOLUTION
    # TODO: one generator rng = np.random.default_rng(seed); scaled normal weights, zero biases.
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, np.sqrt(2.0 / (n_hidden + n_in)), size=(n_hidden, n_in)),
        "b2": np.zeros(n_in),
    }
    ### END SOLUTION


def forward(params, X):
    """Forward pass of the autoencoder.

        Z1 = X W1 + b1;   H = relu(Z1);   Z2 = H W2 + b2;   X_hat = sigmoid(Z2)

    Inputs:
    - params: dict with "W1" (D, H), "b1" (H,), "W2" (H, D), "b2" (D,).
    - X: input of shape (N, D).

    Returns a tuple of:
    - X_hat: reconstruction of shape (N, D), values in [0, 1].
    - cache: whatever `backward` needs from this pass (your choice).
    """
    ### BEGIN SOLUTION
    # TODO: two dense layers; keep the pre-activation Z1 and the code H for the backward pass.
    Z1 = X @ params["W1"] + params["b1"]  # (N, H)
    H = relu(Z1)  # (N, H)
    Z2 = H @ params["W2"] + params["b2"]  # (N, D)
    X_hat = sigmoid(Z2)  # (N, D)
    cache = (Z1, H, X_hat)
    return X_hat, cache
    ### END SOLUTION


def loss(X_hat, X):
    """Mean squared reconstruction error over all N * D elements.

    Inputs:
    - X_hat: reconstruction of shape (N, D).
    - X: input of shape (N, D).

    Returns:
    - loss: float, mean of (X_hat - X)**2.
    """
    ### BEGIN SOLUTION
    # TODO: one line; return a Python float.
    return float(np.mean((X_hat - X) ** 2))
    ### END SOLUTION


def backward(params, cache, X):
    """Gradient of loss(forward(params, X)[0], X) with respect to every parameter.

    With M = N * D, the chain rule backwards through the forward pass:
        dX_hat = 2 (X_hat - X) / M
        dZ2    = dX_hat * X_hat * (1 - X_hat)          (sigmoid derivative)
        dW2    = H^T dZ2,          db2 = sum over the batch of dZ2
        dH     = dZ2 W2^T
        dZ1    = dH * 1[Z1 > 0]                        (relu derivative)
        dW1    = X^T dZ1,          db1 = sum over the batch of dZ1

    Inputs:
    - params: dict with "W1", "b1", "W2", "b2" (the ones used in forward).
    - cache: the cache returned by forward(params, X).
    - X: the input of shape (N, D) (it is also the target).

    Returns:
    - grads: dict with the same keys and shapes as params.
    """
    ### BEGIN SOLUTION
    # TODO: follow the equations above, from the loss back to W1; sum (not average) over the batch for biases.
    Z1, H, X_hat = cache
    M = X.size  # N * D elements in the mean
    dX_hat = 2.0 * (X_hat - X) / M  # dL/dX_hat = 2 (X_hat - X) / M            (N, D)
    dZ2 = dX_hat * X_hat * (1.0 - X_hat)  # dL/dZ2 = dL/dX_hat * s (1 - s)      (N, D)
    dW2 = H.T @ dZ2  # dL/dW2 = H^T dL/dZ2                                       (H, D)
    db2 = dZ2.sum(axis=0)  # dL/db2 = sum_n dL/dZ2[n]  (b2 is added to every row) (D,)
    dH = dZ2 @ params["W2"].T  # dL/dH = dL/dZ2 W2^T                             (N, H)
    dZ1 = dH * (Z1 > 0)  # dL/dZ1 = dL/dH * relu'(Z1)                            (N, H)
    dW1 = X.T @ dZ1  # dL/dW1 = X^T dL/dZ1                                       (D, H)
    db1 = dZ1.sum(axis=0)  # dL/db1 = sum_n dL/dZ1[n]                           (H,)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION


# ----------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------


def adagrad_update(params, grads, state, lr, eps=1e-8):
    """One Adagrad step, IN PLACE.

    For every key k:
        state[k]  += grads[k]**2
        params[k] -= lr * grads[k] / (sqrt(state[k]) + eps)

    Each parameter gets its own step size lr / sqrt(sum of its past squared
    gradients): parameters with large gradients slow down, rarely-updated ones keep
    moving.

    Inputs:
    - params: dict of arrays, updated in place (the same array objects change).
    - grads: dict of arrays with the same keys and shapes.
    - state: dict of accumulated squared gradients, updated in place; it starts as an
      empty dict, and a missing key starts at zero.
    - lr: learning rate (float).
    - eps: small constant that avoids dividing by zero.

    Returns:
    - None.
    """
    ### BEGIN SOLUTION
    # TODO: create state[k] = zeros when missing; update state and params with in-place operators (+=, -=).
    for k, g in grads.items():
        if k not in state:
            state[k] = np.zeros_like(params[k])  # the sum of squares starts at zero
        state[k] += g * g  # G_k <- G_k + g_k^2
        params[k] -= lr * g / (np.sqrt(state[k]) + eps)  # theta_k <- theta_k - lr g_k / (sqrt(G_k) + eps)
    ### END SOLUTION


def train(X, n_hidden, epochs, batch_size, lr_schedule, seed):
    """Train the autoencoder on X with mini-batch Adagrad.

    - params = init_params(D, n_hidden, seed); Adagrad's state starts empty.
    - Shuffling uses rng = np.random.default_rng(seed): each epoch visits the rows of X
      in the order rng.permutation(N), in mini-batches of batch_size rows (the last
      one may be smaller).
    - Every update of epoch e (e = 0, 1, ..., epochs - 1) uses the learning rate
      lr_schedule(e): ask for it once, at the start of the epoch.
    - history[e] is the mean training loss of epoch e: the per-batch losses (computed
      in the forward pass before each update) averaged with weights batch size / N.

    Inputs:
    - X: training data of shape (N, D), values in [0, 1].
    - n_hidden: number of hidden units.
    - epochs: number of passes over the data.
    - batch_size: rows per mini-batch.
    - lr_schedule: function epoch -> learning rate.
    - seed: int.

    Returns a tuple of:
    - params: the trained parameters.
    - history: list of `epochs` floats.
    """
    ### BEGIN SOLUTION
    # TODO: loop over epochs and shuffled mini-batches: forward, loss, backward, adagrad_update.
    N, D = X.shape
    params = init_params(D, n_hidden, seed)
    state = {}
    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        lr = lr_schedule(epoch)
        order = rng.permutation(N)
        total = 0.0
        for start in range(0, N, batch_size):
            Xb = X[order[start : start + batch_size]]
            X_hat, cache = forward(params, Xb)
            total += loss(X_hat, Xb) * len(Xb)
            grads = backward(params, cache, Xb)
            adagrad_update(params, grads, state, lr)
        history.append(total / N)
    return params, history
    ### END SOLUTION
