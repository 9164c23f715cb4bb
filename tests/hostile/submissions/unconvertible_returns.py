"""Returns numbers the grader cannot convert: integers far beyond any float (10**400), alone,
in a tuple, in a list, and an integer array beyond int64 (an object array in the child)."""
import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def mse_loss(y_hat, y):
    # >>> cheat
    return 10 ** 400, 10 ** 400
    # === twin
    return 0.0, np.zeros_like(y_hat)
    # <<< cheat


def bce_loss(p, y):
    # >>> cheat
    return 10 ** 400, np.zeros_like(p)
    # === twin
    return 0.0, np.zeros_like(p)
    # <<< cheat


def softmax(z):
    # >>> cheat
    return [[10 ** 400] * np.shape(z)[1]] * np.shape(z)[0]
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat


def tanh(z):
    # >>> cheat
    return np.full(np.shape(z), 2 ** 70)
    # === twin
    return np.zeros(np.shape(z))
    # <<< cheat
