"""An infinite loop inside one function; the other functions are fine."""
import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    while True:
        pass
    # === twin
    raise NotImplementedError
    # <<< cheat


def mse_loss(y_hat, y):
    diff = y_hat - y
    return float(np.mean(diff**2)), 2.0 * diff / diff.size
