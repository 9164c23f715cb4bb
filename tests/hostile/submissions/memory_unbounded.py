"""Allocates without bound, at import (caught) and inside a function."""
import numpy as np

# >>> cheat
_hog = []
try:
    while True:
        _hog.append(np.zeros(50_000_000))  # 400 MB of address space at a time
except MemoryError:
    _hog = []
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    keep = []
    while True:
        keep.append(np.zeros(100_000_000))
    # === twin
    raise NotImplementedError
    # <<< cheat
