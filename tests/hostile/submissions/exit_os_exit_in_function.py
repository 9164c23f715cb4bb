"""os._exit(0) inside a function: the process vanishes with status 0 mid-call."""
import os

import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    os._exit(0)
    # === twin
    raise NotImplementedError
    # <<< cheat
