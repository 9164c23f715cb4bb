"""The C library and the kernel's flags shared by the isolation layers (Linux only).

Loaded by path in the sandbox, like `wire.py` (see `child.py`), so it imports only the
standard library.
"""

import ctypes
import os
import sys

LINUX = sys.platform.startswith("linux")


def _libc():
    if not LINUX:
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


LIBC = _libc()


def check(result, what):
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def syscall(number, *args):
    return LIBC.syscall(ctypes.c_long(number), *args)


# namespaces (unshare, and the clone flags the seccomp filter refuses)
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                   | CLONE_NEWPID | CLONE_NEWNET)

PR_SET_NO_NEW_PRIVS = 38  # prctl: needed before Landlock and seccomp as a non-root user
