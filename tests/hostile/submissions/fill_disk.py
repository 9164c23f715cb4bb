"""Tries to fill the disk: one file far over the file-size limit, then many files just
under it, in its own directory and in /tmp, /var/tmp and /dev/shm. (In autograder mode as
root those three are the sandbox's own small tmpfs mounts, so writing there is allowed and
vanishes with it; the test checks that nothing is left in the real ones.)"""
import os

import numpy as np

MARKER = "dlgrade-hostile-marker"

# >>> cheat
_chunk = b"\0" * (1 << 20)
try:
    with open("big.bin", "wb") as _f:
        for _ in range(200):
            _f.write(_chunk)
except OSError:
    pass
for _dir in (".", "/tmp", "/var/tmp", "/dev/shm"):
    for _i in range(40):
        try:
            with open(os.path.join(_dir, f"{MARKER}-{os.getpid()}-{_i}.bin"), "wb") as _f:
                for _ in range(15):
                    _f.write(_chunk)
        except OSError:
            break
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
