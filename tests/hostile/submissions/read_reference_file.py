"""Reads the reference solution's source with open() (and through /proc/<grader>/cwd and
/proc/<grader>/fd) and executes it."""
import os
import sys

import numpy as np

# >>> cheat
_source = None
_candidates = []
try:
    _candidates.append(os.path.join(os.readlink(f"/proc/{os.getppid()}/cwd"), "reference/numpy/numpy_basics.py"))
except OSError:
    pass
_candidates.append(f"/proc/{os.getppid()}/cwd/reference/numpy/numpy_basics.py")
for _base in [sys.prefix, os.path.dirname(sys.prefix), "/autograder/source"] + list(sys.path):
    _candidates.append(os.path.join(_base, "reference", "numpy", "numpy_basics.py"))
    _candidates.append(os.path.join(os.path.dirname(_base), "reference", "numpy", "numpy_basics.py"))
try:
    for _fd in os.listdir(f"/proc/{os.getppid()}/fd"):
        _candidates.append(f"/proc/{os.getppid()}/fd/{_fd}")
except OSError:
    pass
for _path in _candidates:
    try:
        with open(_path) as _f:
            _text = _f.read(1_000_000)
        if "def softmax" in _text:
            _source = _text
            break
    except (OSError, UnicodeDecodeError):
        continue
if _source is not None:
    print("HOSTILE-SUCCESS read the reference")
    _stolen = {}
    exec(compile(_source, "stolen", "exec"), _stolen)
    for _name in ("sigmoid", "sigmoid_backward", "softmax", "mse_loss", "bce_loss", "tanh"):
        globals()[_name] = _stolen[_name]
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
