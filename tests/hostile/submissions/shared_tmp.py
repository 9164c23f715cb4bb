"""Looks through the host's /tmp, /var/tmp and /dev/shm (other grades' folders, the batch's
extraction folder, the fork server's directory) and leaves a file there that would outlive
the grade."""
import os
import sys

import numpy as np

# >>> cheat
# (its own directory, and the interpreter where a checkout lies under /tmp, are on its way)
_own = [os.getcwd(), sys.prefix] + [p for p in sys.path if p]
for _d in ("/tmp", "/var/tmp", "/dev/shm"):
    _mine = {p[len(_d) + 1:].split("/")[0] for p in _own if p.startswith(_d + "/")}
    try:
        _seen = [e for e in os.listdir(_d) if e not in _mine]
    except OSError:
        _seen = []
    if _seen:
        print(f"HOSTILE-SUCCESS listed {_d}: {_seen[:5]}")
    try:
        with open(os.path.join(_d, f"dlgrade-hostile-marker-{os.getpid()}"), "w") as _f:
            _f.write("left behind")
    except OSError:
        pass
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
