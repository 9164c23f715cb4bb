"""Ignores SIGTERM, SIGINT, SIGHUP and SIGXCPU, then loops (only SIGKILL ends it)."""
import signal

import numpy as np

# >>> cheat
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGQUIT):
    signal.signal(_sig, signal.SIG_IGN)
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    while True:
        try:
            while True:
                pass
        except BaseException:  # KeyboardInterrupt, SystemExit: keep looping
            continue
    # === twin
    raise NotImplementedError
    # <<< cheat
