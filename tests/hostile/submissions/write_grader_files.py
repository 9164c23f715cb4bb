"""Tries to change the grader: finds its installed files (through the editable install's
finder, sys.path, the grader's working directory) and tries to create a file beside
compare.py and to open compare.py for appending. (Nothing is actually appended, so a
failure of the sandbox cannot damage the checkout the tests run in.)"""
import os
import sys

import numpy as np

# >>> cheat
_roots = [os.path.dirname(sys.prefix), "/autograder/source"] + list(sys.path)
try:
    _roots.insert(0, os.readlink(f"/proc/{os.getppid()}/cwd"))
except OSError:
    pass
try:
    import __editable___dlgrade_0_1_0_finder as _finder

    _roots.insert(0, os.path.dirname(_finder.MAPPING["graders"]))
except Exception:
    pass
for _root in _roots:
    _engine = os.path.join(_root, "graders", "engine")
    if not os.path.isdir(_engine):
        continue
    try:
        with open(os.path.join(_engine, "dlgrade-hostile-marker-written.py"), "w") as _f:
            _f.write("# planted by a submission\n")
        print(f"HOSTILE-SUCCESS created a file in {_engine}")
    except OSError:
        pass
    try:
        with open(os.path.join(_engine, "compare.py"), "a"):
            pass
        print(f"HOSTILE-SUCCESS opened {_engine}/compare.py for writing")
    except OSError:
        pass
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
