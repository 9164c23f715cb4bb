"""Waits for keyboard input at import and inside a function."""
import numpy as np

# >>> cheat
try:
    ANSWER = input("type the answer: ")
except EOFError:
    ANSWER = None
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    input("press enter")
    # === twin
    raise NotImplementedError
    # <<< cheat
    return 1.0 / (1.0 + np.exp(-z))
