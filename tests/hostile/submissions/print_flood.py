"""Prints hundreds of MB to stdout and stderr (at import and in a function)."""
import sys

import numpy as np

# >>> cheat
_line = "x" * 1_000_000 + "\n"
for _ in range(200):
    sys.stdout.write(_line)
for _ in range(50):
    sys.stderr.write(_line)
# <<< cheat


def relu(z):
    # >>> cheat
    for _ in range(20):
        print("y" * 1_000_000)
    # <<< cheat
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
