"""An infinite loop in the top level: the submission never finishes loading."""
import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


# >>> cheat
while True:
    pass
# <<< cheat
