"""What the sandbox tests share: small limits, a started Sandbox, and the processes left behind.

`sandbox()` looks `Sandbox` up in this module when it runs, so test_forkserver.py can swap
in a subclass that checks which launcher started it.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from graders.sandbox import forkserver, landlock
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox

LINUX = sys.platform.startswith("linux")
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
LANDLOCK = LINUX and landlock.landlock_abi() >= 1
SMALL = Limits(cpu_s=30, memory_mb=1024, startup_s=20, output_kb=16, processes=16, disk_mb=8)
MARK = "dlgrade-test-sandbox-marker"
LAUNCHERS = ("fresh", "forkserver")  # how a sandbox's process can start
REFERENCE = Path(__file__).resolve().parents[3] / "reference" / "numpy" / "numpy_basics.py"


def sandbox(code: str, **kwargs) -> Sandbox:
    sb = Sandbox([("submission.py", textwrap.dedent(code))], limits=kwargs.pop("limits", SMALL), **kwargs)
    sb.start()
    return sb


def leftovers(token_pid: int | None = None) -> list[int]:
    """Live processes carrying this test process's sandbox mark, or the test marker (unless
    their environment names another test process's sandbox)."""
    me = token_pid or os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        mine = f"DLGRADE_SANDBOX={me}-".encode() in env
        # (a marked process whose environment names another test process's sandbox is that
        # process's: pytest-xdist runs these tests in several workers at once)
        theirs = b"DLGRADE_SANDBOX=" in env and not mine
        if mine or (MARK.encode() in cmd and not theirs):
            out.append(int(name))
    return out


def start(code: str, launcher: str, **kwargs) -> Sandbox:
    """A started Sandbox whose process came from `launcher` ("fresh" or "forkserver")."""
    sb = Sandbox([("submission.py", textwrap.dedent(code))], limits=kwargs.pop("limits", SMALL),
                 forkserver=launcher == "forkserver", **kwargs)
    sb.start()
    assert sb.launcher == launcher, sb.launch_note
    return sb


def server_for(preload=("numpy",)) -> forkserver.ForkServer:
    """This process's fork server for a preload."""
    return forkserver.servers()[(sys.executable, tuple(preload))]


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def maybe_slow(names, fast):
    """pytest params of `names`, those not in `fast` marked slow (run with -m slow)."""
    return [n if n in fast else pytest.param(n, marks=pytest.mark.slow) for n in names]
