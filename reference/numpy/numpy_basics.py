"""# Activations and losses in NumPy

Every network in this course is built from a handful of element-wise *activations*
and a *loss* that turns predictions into one number. In this assignment you write
each of them together with its **backward pass**: given `dout`, the gradient of some
scalar loss with respect to the function's output, return the gradient with respect
to its input (the chain rule, one link at a time).

Conventions (see the course contract):

- arrays are `float64`; batches are rows, so logits have shape `(N, C)`;
- `*_backward(dout, z)` receives the same `z` that was given to the forward function;
- no function modifies its inputs;
- everything must stay finite for inputs of magnitude `1e3` (think about `exp`).

Your implementations are checked against PyTorch's autograd in float64, with
central-difference gradient checks (never exactly at a kink: `relu` at 0, the hard
sigmoid at +-2.5) and with property tests (softmax rows sum to one, losses are
non-negative and smallest at the target, `sigmoid(-z) = 1 - sigmoid(z)`, ...).
"""

import numpy as np


# ----------------------------------------------------------------------------------
# Activations
# ----------------------------------------------------------------------------------


def relu(z):
    """Rectified linear unit, element-wise: relu(z) = max(0, z).

    Inputs:
    - z: array of any shape.

    Returns:
    - out: array of the same shape as z.
    """
    ### BEGIN SOLUTION
    # TODO: an element-wise maximum with 0 (np.maximum), no loop needed.
    return np.maximum(z, 0.0)
    ### END SOLUTION


def relu_backward(dout, z):
    """Backward pass of relu.

    d relu(z) / dz = 1 where z > 0 and 0 where z < 0 (at z = 0 the function has a
    kink; any value in [0, 1] is a valid subgradient, the graders never test it).

    Inputs:
    - dout: upstream gradient, same shape as z.
    - z: the input that was given to relu.

    Returns:
    - dz: gradient with respect to z, same shape as z.
    """
    ### BEGIN SOLUTION
    # TODO: pass dout through where the input was positive, zero elsewhere.
    return dout * (z > 0)  # dz = dout * 1[z > 0]
    ### END SOLUTION


def sigmoid(z):
    """Logistic sigmoid, element-wise: sigmoid(z) = 1 / (1 + exp(-z)).

    Written naively, exp(-z) overflows (with a warning) for z < -709. A stable form
    only ever exponentiates a non-positive number:
        z >= 0:  1 / (1 + exp(-z))
        z <  0:  exp(z) / (1 + exp(z))
    Both are the same function; with e = exp(-|z|) in (0, 1] they read 1 / (1 + e)
    and e / (1 + e).

    Inputs:
    - z: array of any shape.

    Returns:
    - out: array of the same shape as z, values in [0, 1].
    """
    ### BEGIN SOLUTION
    # TODO: compute e = exp(-|z|) (never overflows) and pick 1/(1+e) or e/(1+e) by the sign of z.
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]: no overflow for any z
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def sigmoid_backward(dout, z):
    """Backward pass of the sigmoid.

    With s = sigmoid(z):  d s / dz = s * (1 - s)   (at most 1/4, at z = 0).

    Inputs:
    - dout: upstream gradient, same shape as z.
    - z: the input that was given to sigmoid.

    Returns:
    - dz: gradient with respect to z, same shape as z.
    """
    ### BEGIN SOLUTION
    # TODO: recompute s = sigmoid(z) and apply the chain rule.
    s = sigmoid(z)  # s = sigmoid(z)
    return dout * s * (1.0 - s)  # dz = dout * s (1 - s)
    ### END SOLUTION


def tanh(z):
    """Hyperbolic tangent, element-wise: tanh(z) = (e^z - e^-z) / (e^z + e^-z).

    Inputs:
    - z: array of any shape.

    Returns:
    - out: array of the same shape as z, values in [-1, 1].
    """
    ### BEGIN SOLUTION
    # TODO: NumPy has a stable tanh; use it.
    return np.tanh(z)
    ### END SOLUTION


def tanh_backward(dout, z):
    """Backward pass of tanh.

    With t = tanh(z):  d t / dz = 1 - t**2.

    Inputs:
    - dout: upstream gradient, same shape as z.
    - z: the input that was given to tanh.

    Returns:
    - dz: gradient with respect to z, same shape as z.
    """
    ### BEGIN SOLUTION
    # TODO: recompute t = tanh(z) and apply the chain rule.
    t = np.tanh(z)  # t = tanh(z)
    return dout * (1.0 - t * t)  # dz = dout * (1 - t^2)
    ### END SOLUTION


def hard_sigmoid(z):
    """Hard sigmoid (the classic Keras definition), element-wise:

        hard_sigmoid(z) = max(0, min(1, 0.2 z + 0.5))

    i.e. 0 for z <= -2.5, 1 for z >= 2.5 and the straight line 0.2 z + 0.5 between.
    (This is not PyTorch's `hardsigmoid`, which is relu6(z + 3) / 6.)

    Inputs:
    - z: array of any shape.

    Returns:
    - out: array of the same shape as z, values in [0, 1].
    """
    ### BEGIN SOLUTION
    # TODO: a linear function clipped to [0, 1] (np.clip).
    return np.clip(0.2 * np.asarray(z, dtype=np.float64) + 0.5, 0.0, 1.0)
    ### END SOLUTION


def hard_sigmoid_backward(dout, z):
    """Backward pass of the hard sigmoid.

    d hard_sigmoid(z) / dz = 0.2 for -2.5 < z < 2.5 and 0 outside (the kinks at
    +-2.5 are never tested).

    Inputs:
    - dout: upstream gradient, same shape as z.
    - z: the input that was given to hard_sigmoid.

    Returns:
    - dz: gradient with respect to z, same shape as z.
    """
    ### BEGIN SOLUTION
    # TODO: the slope is 0.2 on the linear part and 0 where the output is clipped.
    inside = (z > -2.5) & (z < 2.5)  # the linear part of the function
    return dout * 0.2 * inside  # dz = dout * 0.2 * 1[-2.5 < z < 2.5]
    ### END SOLUTION


def softmax(z):
    """Row-wise softmax over the last axis.

        softmax(z)[n, c] = exp(z[n, c]) / sum_k exp(z[n, k])

    Softmax does not change when a constant is added to a row, so subtract each
    row's maximum first: the largest exponent is then exp(0) = 1 and nothing
    overflows, even for logits of magnitude 1e3.

    Inputs:
    - z: array of shape (N, C) (any leading shape works; the last axis is normalised).

    Returns:
    - probs: array of the same shape, each row non-negative and summing to 1.
    """
    ### BEGIN SOLUTION
    # TODO: subtract the row maximum (keepdims=True), exponentiate, divide by the row sum.
    shifted = z - np.max(z, axis=-1, keepdims=True)  # largest entry of each row is 0
    e = np.exp(shifted)  # in (0, 1]
    return e / np.sum(e, axis=-1, keepdims=True)
    ### END SOLUTION


# ----------------------------------------------------------------------------------
# Losses: each returns (loss, gradient of the loss with respect to its first argument)
# ----------------------------------------------------------------------------------


def mse_loss(y_hat, y):
    """Mean squared error over all elements.

        L = (1 / M) * sum (y_hat - y)**2,     M = y_hat.size
        dL / dy_hat = (2 / M) * (y_hat - y)

    Inputs:
    - y_hat: predictions, array of any shape.
    - y: targets, same shape as y_hat.

    Returns a tuple of:
    - loss: float.
    - dy_hat: gradient of the loss with respect to y_hat, same shape as y_hat.
    """
    ### BEGIN SOLUTION
    # TODO: the mean is over ALL elements, so the gradient carries 1 / y_hat.size.
    diff = y_hat - y  # residuals
    loss = float(np.mean(diff**2))  # L = (1/M) sum diff^2
    dy_hat = 2.0 * diff / diff.size  # dL/dy_hat = 2 diff / M
    return loss, dy_hat
    ### END SOLUTION


def bce_loss(p, y):
    """Binary cross-entropy of probabilities, averaged over all elements.

        L = -(1 / M) * sum [ y log p + (1 - y) log(1 - p) ],     M = p.size
        dL / dp = (1 / M) * (p - y) / (p (1 - p))

    p may be exactly 0 or 1 (e.g. the sigmoid of a logit of magnitude 1e3), where the
    logarithm is -inf. To stay finite, p is clipped to [tiny, 1 - 2**-53] first: `tiny`
    is the smallest normal float64 (~2.2e-308) and 1 - 2**-53 is the largest float64
    below 1. That is only as far as needed: every p already representable strictly
    inside (0, 1) is left unchanged, log p >= -708.4 and log(1 - p) >= -36.8, and
    1 / (p (1 - p)) stays finite. The gradient is the formula above evaluated at the
    clipped p (not zero), so it still pushes a saturated prediction towards y.

    Inputs:
    - p: predicted probabilities in [0, 1], array of any shape.
    - y: targets in [0, 1] (usually 0 or 1), same shape as p.

    Returns a tuple of:
    - loss: float.
    - dp: gradient of the loss with respect to p, same shape as p.
    """
    ### BEGIN SOLUTION
    # TODO: clip p away from 0 and 1 just enough for the logs, then use the formulas above.
    tiny = np.finfo(np.float64).tiny
    q = np.clip(p, tiny, np.nextafter(1.0, 0.0))  # p kept strictly inside (0, 1)
    loss = float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))  # log1p(-q) = log(1 - q)
    dp = (q - y) / (q * (1.0 - q)) / q.size  # dL/dp = (-y/p + (1-y)/(1-p)) / M
    return loss, dp
    ### END SOLUTION


def softmax_cross_entropy(logits, labels):
    """Softmax followed by cross-entropy, averaged over the batch.

        L = -(1 / N) * sum_n log softmax(logits)[n, labels[n]]
        dL / dlogits = (1 / N) * (softmax(logits) - onehot(labels))

    Compute log softmax directly as (z - max) - log sum exp(z - max) rather than
    log(softmax(z)): a probability that underflows to 0 would give log 0 = -inf.

    Inputs:
    - logits: array of shape (N, C).
    - labels: int array of shape (N,), values in 0..C-1.

    Returns a tuple of:
    - loss: float.
    - dlogits: gradient of the loss with respect to logits, shape (N, C).
    """
    ### BEGIN SOLUTION
    # TODO: a stable log-softmax, pick the label entries, average over N; the gradient is (probs - onehot) / N.
    n = logits.shape[0]
    labels = np.asarray(labels)
    shifted = logits - np.max(logits, axis=1, keepdims=True)  # row max is 0
    log_sum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))  # log sum_k exp, in [0, log C]
    log_probs = shifted - log_sum  # log softmax, finite
    loss = float(-np.mean(log_probs[np.arange(n), labels]))  # mean over N of -log p[label]
    dlogits = np.exp(log_probs)  # softmax probabilities
    dlogits[np.arange(n), labels] -= 1.0  # probs - onehot(labels)
    dlogits /= n  # the mean over N
    return loss, dlogits
    ### END SOLUTION
