"""# Sparse autoencoder with tied weights on natural image patches

In this assignment you train the classic *sparse autoencoder* on small patches of natural
photos and watch it learn edge detectors, the same oriented filters found in the visual
cortex (and in the first layer of every convolutional network).

The pipeline:

1. `to_grayscale`: RGB photos to grey levels by luminance, `0.2126 R + 0.7152 G + 0.0722 B`.
2. `sample_patches`: cut `n` random square patches out of the photos, each flattened in
   row-major order to one row of length `patch_size ** 2`.
3. `normalize_patches`: remove each patch's own mean (brightness), clip at three standard
   deviations and map the result linearly to `[0.1, 0.9]`, the range a sigmoid output can fit.
4. `init_params`, `cost`: one hidden layer of sigmoid units and a sigmoid reconstruction, with
   **tied weights** (the decoder weight is the transpose `W.T` of the encoder weight `W`):

       H = sigmoid(X W + b_h)             (N, n_hidden)
       X_hat = sigmoid(H W.T + b_v)       (N, n_visible)
       rho_hat = mean of H over the batch (n_hidden,)
       J = 1/(2N) sum (X_hat - X)^2                       reconstruction
           + lam/2 sum W^2                                weight decay
           + beta sum_j KL(rho || rho_hat_j)              sparsity

   where `KL(rho || q) = rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q))` is the
   Kullback-Leibler divergence between two Bernoulli distributions with means `rho` and `q`.
   It is 0 when every hidden unit is active a fraction `rho` of the time, positive otherwise.
5. `train`: minimise `cost` over the whole training set with full-batch **Adam** steps
   (gradient descent with a per-parameter step size; see `train` for the update). Plain
   gradient steps `params -= lr * grads` stall for thousands of steps on the plateau where
   every hidden unit is off, because the sparsity term and the reconstruction term have
   gradients of very different sizes. The grader runs your `train` on 2,000 patches and
   measures the cost of the returned parameters on 2,000 other patches.

Because `W` is used twice (encoder and decoder), its gradient is the **sum** of the two paths:
`dJ/dW = X.T dZ_h + (H.T dZ_v).T + lam W`.

All arrays are float64; randomness comes only from the `seed` arguments.
"""

from __future__ import annotations

import numpy as np

LUMINANCE = (0.2126, 0.7152, 0.0722)


def sigmoid(z):
    """Numerically stable logistic function 1 / (1 + exp(-z)), element-wise (given)."""
    z = np.asarray(z, dtype=np.float64)
    # The identity sigmoid(z) = (1 + tanh(z / 2)) / 2 is exact and never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def to_grayscale(images):
    """Convert RGB images to grey levels by luminance.

    gray = 0.2126 R + 0.7152 G + 0.0722 B  (the Rec. 709 luma weights; green dominates
    because the eye is most sensitive to it). Values keep their scale: uint8 input gives
    grey levels in [0, 255], input in [0, 1] gives [0, 1].

    Inputs:
    - images: array of shape (N, H, W, 3) (or (H, W, 3)), uint8 or float.

    Returns:
    - gray: float64 array of shape (N, H, W) (or (H, W)).
    """
    ### BEGIN SOLUTION
    # TODO: a weighted sum over the last (channel) axis, computed in float64.
    rgb = np.asarray(images, dtype=np.float64)
    return rgb @ np.array(LUMINANCE)
    ### END SOLUTION


def sample_patches(images, patch_size, n, seed):
    """Cut `n` random square patches out of grayscale images.

    Each patch is a contiguous `patch_size x patch_size` block of ONE image, at a random
    image index and a random top-left corner (uniform over all positions where the block
    fits), flattened in row-major order: entry `a * patch_size + b` of a row is the pixel in
    row `a`, column `b` of the block.

    Inputs:
    - images: array of shape (N, H, W) (grayscale); a single (H, W) image is accepted.
    - patch_size: int p, with p <= H and p <= W.
    - n: number of patches.
    - seed: int, seeds np.random.default_rng; the same seed gives the same patches.

    Returns:
    - patches: float64 array of shape (n, p * p).
    """
    ### BEGIN SOLUTION
    # TODO: draw an image index and a top-left corner per patch, then gather the blocks.
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 2:
        images = images[None]
    N, H, W = images.shape
    p = int(patch_size)
    rng = np.random.default_rng(seed)
    k = rng.integers(0, N, size=n)             # which image
    r = rng.integers(0, H - p + 1, size=n)     # top row of the block
    c = rng.integers(0, W - p + 1, size=n)     # left column of the block
    offs = np.arange(p)
    rows = r[:, None, None] + offs[None, :, None]    # (n, p, 1): row a of the block
    cols = c[:, None, None] + offs[None, None, :]    # (n, 1, p): column b of the block
    patches = images[k[:, None, None], rows, cols]   # (n, p, p) by broadcasting
    return patches.reshape(n, p * p)                 # row-major flattening
    ### END SOLUTION


def normalize_patches(patches):
    """Normalise patches for a sigmoid autoencoder (as in Ng's UFLDL exercise).

    1. Remove the brightness of each patch: subtract each patch's (row's) own mean.
    2. s = 3 * standard deviation of ALL the resulting values (one number).
    3. Clip every value to [-s, s].
    4. Map linearly so that -s -> 0.1 and +s -> 0.9 (0 -> 0.5).

    Inputs:
    - patches: array of shape (n, d).

    Returns:
    - out: float64 array of shape (n, d), values in [0.1, 0.9].
    """
    ### BEGIN SOLUTION
    # TODO: centre each row, clip at 3 standard deviations, rescale to [0.1, 0.9].
    P = np.asarray(patches, dtype=np.float64)
    P = P - P.mean(axis=1, keepdims=True)      # per-patch mean removal
    s = 3.0 * P.std()                          # one scale for the whole set
    if s == 0.0:                               # all patches flat: everything maps to the middle
        return np.full_like(P, 0.5)
    P = np.clip(P, -s, s) / s                  # now in [-1, 1]
    return (P + 1.0) * 0.4 + 0.1               # [-1, 1] -> [0.1, 0.9]
    ### END SOLUTION


def init_params(n_visible, n_hidden, seed):
    """Initialise the tied-weight autoencoder (Ng's initialisation).

    W ~ Uniform(-r, r) with r = sqrt(6 / (n_visible + n_hidden + 1)); both biases zero.

    Inputs:
    - n_visible: int, input size (p * p).
    - n_hidden: int, number of hidden units.
    - seed: int, seeds np.random.default_rng.

    Returns:
    - params: dict with "W" (n_visible, n_hidden), "b_h" (n_hidden,), "b_v" (n_visible,).
    """
    ### BEGIN SOLUTION
    # TODO: uniform weights in [-r, r], zero biases.
    rng = np.random.default_rng(seed)
    r = np.sqrt(6.0 / (n_visible + n_hidden + 1))
    return {
        "W": rng.uniform(-r, r, size=(n_visible, n_hidden)),
        "b_h": np.zeros(n_hidden),
        "b_v": np.zeros(n_visible),
    }
    ### END SOLUTION


def cost(params, X, rho, beta, lam):
    """Sparse autoencoder cost and its gradient.

    H = sigmoid(X W + b_h);  X_hat = sigmoid(H W.T + b_v);  rho_hat = mean of H over the batch
    J = 1/(2N) sum (X_hat - X)^2 + lam/2 sum W^2
        + beta sum_j [rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))]

    Inputs:
    - params: dict with "W" (D, K), "b_h" (K,), "b_v" (D,).
    - X: array of shape (N, D), values in [0, 1].
    - rho: target mean activation of each hidden unit, in (0, 1).
    - beta: weight of the sparsity (KL) penalty.
    - lam: weight decay strength (on W only, not the biases).

    Returns a tuple of:
    - J: float, the cost.
    - grads: dict with the same keys and shapes as params.
    """
    ### BEGIN SOLUTION
    # TODO: forward pass, the three terms of J, then backpropagate each term.
    W, b_h, b_v = params["W"], params["b_h"], params["b_v"]
    N = X.shape[0]
    H = sigmoid(X @ W + b_h)                   # (N, K) encoder
    X_hat = sigmoid(H @ W.T + b_v)             # (N, D) decoder with the tied weight W.T
    rho_hat = H.mean(axis=0)                   # (K,) average activation of each hidden unit
    diff = X_hat - X
    J_rec = 0.5 / N * np.sum(diff**2)
    J_wd = 0.5 * lam * np.sum(W**2)
    J_kl = beta * np.sum(rho * np.log(rho / rho_hat)
                         + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    J = J_rec + J_wd + J_kl

    dZ_v = diff / N * X_hat * (1 - X_hat)      # dJ/d(H W.T + b_v): (x_hat - x)/N * sigmoid'
    dW_dec = dZ_v.T @ H                        # decoder path: d/dW of (H W.T) is (H.T dZ_v).T
    db_v = dZ_v.sum(axis=0)                    # bias gradient sums over the batch
    dH = dZ_v @ W                              # back through W.T: dZ_v (W.T).T
    dkl = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))   # dJ_kl/drho_hat_j
    dH = dH + dkl / N                          # rho_hat_j = 1/N sum_n H_nj
    dZ_h = dH * H * (1 - H)                    # sigmoid'(z) = h (1 - h)
    dW_enc = X.T @ dZ_h                        # encoder path: d/dW of (X W) is X.T dZ_h
    db_h = dZ_h.sum(axis=0)                    # bias gradient sums over the batch
    dW = dW_enc + dW_dec + lam * W             # W is used twice: the two paths ADD
    return float(J), {"W": dW, "b_h": db_h, "b_v": db_v}
    ### END SOLUTION


def train(X, n_hidden, rho, beta, lam, lr, epochs, seed):
    """Train the sparse autoencoder by full-batch gradient descent with Adam steps.

    params = init_params(D, n_hidden, seed); then for t = 1 .. epochs, on ALL N rows:
        J, g = cost(params, X, rho, beta, lam)
        m = 0.9 m + 0.1 g;   v = 0.999 v + 0.001 g**2          (m, v start at zero)
        params -= lr * (m / (1 - 0.9**t)) / (sqrt(v / (1 - 0.999**t)) + 1e-8)
    for every parameter (Adam, Kingma & Ba 2015, with its default constants).

    Why full batch: rho_hat is then the mean over the whole training set, exactly as in
    the definition of J. Why Adam rather than plain steps `params -= lr * g`: the KL term
    is very stiff (its curvature grows like beta / rho) while the reconstruction gradient
    is small, so plain gradient descent either diverges (large lr) or sits for thousands of
    steps on the plateau where every hidden unit is off (small lr). Adam's per-parameter
    step size handles both scales.

    Inputs:
    - X: array of shape (N, D), normalised patches.
    - n_hidden, rho, beta, lam: as in init_params / cost.
    - lr: Adam learning rate (step size).
    - epochs: number of full-batch steps.
    - seed: int, passed to init_params.

    Returns a tuple of:
    - params: the trained parameters (dict as from init_params).
    - history: list of `epochs` floats, the cost J at each step (before its update).
    """
    ### BEGIN SOLUTION
    # TODO: init_params, zero Adam moments, then repeat: cost, Adam step on every parameter.
    X = np.asarray(X, dtype=np.float64)
    params = init_params(X.shape[1], n_hidden, seed)
    m = {k: np.zeros_like(p) for k, p in params.items()}   # first moment (mean of g)
    v = {k: np.zeros_like(p) for k, p in params.items()}   # second moment (mean of g**2)
    b1, b2, eps = 0.9, 0.999, 1e-8
    history = []
    for t in range(1, epochs + 1):
        J, grads = cost(params, X, rho, beta, lam)
        for k in params:
            m[k] = b1 * m[k] + (1 - b1) * grads[k]
            v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
            m_hat = m[k] / (1 - b1**t)                     # bias corrections: m, v start at 0
            v_hat = v[k] / (1 - b2**t)
            params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(J)
    return params, history
    ### END SOLUTION
