"""Reads what other processes hold: lists /proc and reads every other process's environment
and command line (the grader's environment carries the course secret and the paths of
everything it reads); signals whatever it can see."""
import os

import numpy as np

# >>> cheat
_me = os.getpid()
_others = []
for _name in os.listdir("/proc"):
    if not _name.isdigit() or int(_name) == _me:
        continue
    try:
        with open(f"/proc/{_name}/environ", "rb") as _f:
            _env = _f.read(100_000)
    except OSError:
        continue
    if b"DLGRADE_SANDBOX=" not in _env:  # not one of this sandbox's own processes
        _others.append(_name)
if _others:
    print(f"HOSTILE-SUCCESS read the environment of {len(_others)} other processes")
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
