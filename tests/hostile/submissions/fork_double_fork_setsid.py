"""A daemon made by a double fork and setsid(), at import and inside a function.

The grandchild leaves the sandbox's session and process group and its parent exits,
so it is re-parented; it then sleeps forever (one keeps running Python, one execs a
process with the marker in its argv).
"""
import os
import sys

import numpy as np

MARKER = "dlgrade-hostile-marker"


def _daemon(exec_marker):
    # >>> cheat
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            if exec_marker:
                os.execv(sys.executable, [sys.executable, "-c", "import time\nwhile True: time.sleep(1)", MARKER])
            import time
            while True:
                time.sleep(1)
        os._exit(0)
    os.waitpid(pid, 0)
    # === twin
    pass
    # <<< cheat


_daemon(True)


def relu(z):
    _daemon(False)
    return np.maximum(z, 0.0)


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
