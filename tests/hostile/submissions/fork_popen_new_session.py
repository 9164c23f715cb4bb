"""subprocess.Popen(..., start_new_session=True) with a clean environment, from a process
that then exits, so the spawned process outlives its parent in a session of its own."""
import os
import subprocess
import sys

import numpy as np

MARKER = "dlgrade-hostile-marker"


def _spawn():
    # >>> cheat
    pid = os.fork()
    if pid == 0:
        subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)", MARKER],
                         start_new_session=True, env={}, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os._exit(0)
    os.waitpid(pid, 0)
    # a direct child too, in its own session, never waited for
    subprocess.Popen(["/bin/sh", "-c", f"while :; do sleep 1; done # {MARKER}"], start_new_session=True)
    # === twin
    pass
    # <<< cheat


_spawn()


def relu(z):
    _spawn()
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
