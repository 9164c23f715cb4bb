"""Starts as many processes as it can (each sleeps); the process-count limit stops it."""
import os
import time

import numpy as np

# >>> cheat
_started = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    _started += 1
print(f"FORKED {_started}")
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
