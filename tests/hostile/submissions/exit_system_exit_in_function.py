"""raise SystemExit / sys.exit() inside functions (caught and reported as an exception)."""
import sys

import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    raise SystemExit(0)
    # === twin
    raise NotImplementedError
    # <<< cheat


def softmax(z):
    # >>> cheat
    sys.exit("all checks passed")
    # === twin
    raise NotImplementedError
    # <<< cheat
