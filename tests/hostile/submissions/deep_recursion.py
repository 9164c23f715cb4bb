"""Deep recursion: a RecursionError under the default limit, and a C-stack overflow
(segmentation fault) after raising the limit and recursing through C calls."""
import sys

import numpy as np


def _down(n):
    return _down(n + 1) + 1


def _c_down(n):
    # every level goes through a C call (the method-wrapper __call__), so each one costs
    # C stack, which overflows long before the raised recursion limit is reached
    return _c_down.__call__(n + 1) + 1


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    return _down(0)
    # === twin
    raise NotImplementedError
    # <<< cheat


def softmax(z):
    # >>> cheat
    sys.setrecursionlimit(10**8)
    return _c_down(0)
    # === twin
    raise NotImplementedError
    # <<< cheat
