"""Returns everything but a float64 array of the right shape: strings, None, ragged lists,
NaN, inf, the wrong shape, a huge integer, an object array, a dict, a generator.

The clean twin returns honest wrong answers of the right type (zeros), so the test shows
that odd types never score more than a plain wrong value."""
import numpy as np


def relu(z):
    # >>> cheat
    return "relu(z)"
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def relu_backward(dout, z):
    # >>> cheat
    return None
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def sigmoid(z):
    # >>> cheat
    return [[0.5, 0.5], [0.5]]
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def sigmoid_backward(dout, z):
    # >>> cheat
    return np.full(np.shape(z), np.nan)
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def tanh(z):
    # >>> cheat
    return np.full(np.shape(z), np.inf)
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def tanh_backward(dout, z):
    # >>> cheat
    return np.zeros((1, 2, 3))
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def softmax(z):
    # >>> cheat
    return np.array([object()] * 3)
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def mse_loss(y_hat, y):
    # >>> cheat
    return 10**100000, {"grad": y_hat}
    # === twin
    return 0.0, np.zeros_like(y_hat)
    # <<< cheat


def bce_loss(p, y):
    # >>> cheat
    return (x for x in range(3))
    # === twin
    return 0.0, np.zeros_like(p)
    # <<< cheat


def hard_sigmoid(z):
    # >>> cheat
    return np.ones(np.shape(z), dtype=np.float32).T
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat
