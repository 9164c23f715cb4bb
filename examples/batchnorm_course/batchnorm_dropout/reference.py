"""# Batch normalisation and dropout in NumPy

Two layers that make deep networks train: **batch normalisation** (Ioffe and Szegedy,
2015) normalises each feature over the batch and then scales and shifts it with learned
`gamma` and `beta`; **inverted dropout** (Srivastava et al., 2014) zeroes units at random
while training and scales the survivors so that nothing changes at test time. You write the
forward pass of each, in train and test mode, and its backward pass.

Conventions:

- arrays are `float64`; a batch is `x` of shape `(N, D)`, one row per example;
- a forward pass returns `(out, cache)`: `cache` is yours (any tuple or dict), and the
  backward pass receives exactly what your forward pass returned;
- no function modifies its inputs, except that `batchnorm_forward` in train mode updates
  `bn_param["running_mean"]` and `bn_param["running_var"]` in place.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of batch normalisation.

    Train mode normalises each feature with the batch's own mean and (biased) variance:

        mu = mean(x, axis=0)          var = mean((x - mu)**2, axis=0)
        xhat = (x - mu) / sqrt(var + eps)
        out = gamma * xhat + beta

    and updates the running averages in place, for test mode:

        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var  = momentum * running_var  + (1 - momentum) * var

    Test mode normalises with the running averages instead of the batch's statistics.

    Inputs:
    - x: data of shape (N, D).
    - gamma, beta: scale and shift, shape (D,).
    - bn_param: a dict with
      - mode: "train" or "test";
      - eps: added to the variance (default 1e-5);
      - momentum: of the running averages (default 0.9);
      - running_mean, running_var: shape (D,) (default zeros and ones).

    Returns:
    - out: shape (N, D).
    - cache: what batchnorm_backward needs (yours to choose).
    """
    ### BEGIN SOLUTION
    # TODO: read mode, eps, momentum and the running averages from bn_param.
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d))
    running_var = bn_param.get("running_var", np.ones(d))
    if mode == "train":
        # TODO: normalise with the batch's mean and biased variance; update the running averages.
        mu = x.mean(axis=0)
        centred = x - mu
        var = np.mean(centred ** 2, axis=0)
        std = np.sqrt(var + eps)
        xhat = centred / std
        out = gamma * xhat + beta
        bn_param["running_mean"] = momentum * running_mean + (1.0 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1.0 - momentum) * var
        cache = (xhat, gamma, std)
    elif mode == "test":
        # TODO: normalise with the running averages.
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * xhat + beta
        cache = None
    else:
        raise ValueError(f"invalid batchnorm mode {mode!r}")
    return out, cache
    ### END SOLUTION


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalisation (train mode).

    With xhat, gamma and std = sqrt(var + eps) from the forward pass:

        dbeta  = sum(dout, axis=0)
        dgamma = sum(dout * xhat, axis=0)
        dxhat  = dout * gamma
        dx     = (dxhat - mean(dxhat, axis=0) - xhat * mean(dxhat * xhat, axis=0)) / std

    the last two terms coming from the batch's mean and variance, which depend on x too.

    Inputs:
    - dout: upstream gradient, shape (N, D).
    - cache: what batchnorm_forward returned in train mode.

    Returns:
    - dx: shape (N, D); dgamma, dbeta: shape (D,).
    """
    ### BEGIN SOLUTION
    # TODO: the gradients of beta and gamma, then dx through xhat, the mean and the variance.
    xhat, gamma, std = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0)) / std
    return dx, dgamma, dbeta
    ### END SOLUTION


def dropout_forward(x, dropout_param):
    """Forward pass of inverted dropout.

    In train mode each unit is kept with probability p and the kept ones are scaled by 1/p,
    so that the expected output is x; the units kept are those where

        keep = np.random.default_rng(seed).random(x.shape) < p

    (this exact draw: the graders compare values). In test mode the output is x itself.

    Inputs:
    - x: data of any shape.
    - dropout_param: a dict with
      - p: the probability of keeping a unit, in (0, 1];
      - mode: "train" or "test";
      - seed: the seed of the draw.

    Returns:
    - out: the same shape as x.
    - cache: what dropout_backward needs (yours to choose).
    """
    ### BEGIN SOLUTION
    # TODO: draw the mask with the contract's generator; scale the kept units by 1 / p.
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param["seed"])
        mask = (rng.random(x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        mask = None
        out = x.copy()
    else:
        raise ValueError(f"invalid dropout mode {mode!r}")
    return out, (mode, mask)
    ### END SOLUTION


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout: the upstream gradient through the kept units, scaled
    by 1/p as in the forward pass (in test mode, dout itself).

    Inputs:
    - dout: upstream gradient, the shape of x.
    - cache: what dropout_forward returned.

    Returns:
    - dx: the shape of x.
    """
    ### BEGIN SOLUTION
    # TODO: the same mask as the forward pass.
    mode, mask = cache
    if mode == "train":
        return dout * mask
    return dout.copy()
    ### END SOLUTION
