"""Resource limits of one sandboxed process (`Limits`) and their form for the child.

The child applies them (`child.py`, `apply_limits`) before anything else runs; what
enforces each one: docs/security.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process.

    cpu_s: CPU seconds for the process's whole life (the kernel kills it past that).
    memory_mb: address space; torch needs several GB of it just to import.
    file_size_mb: largest file it may write.
    processes: processes and threads it may start (RLIMIT_NPROC for non-root users and for
        the sandbox's own user in autograder mode; a cgroup's pids.max as root, where the
        cgroup hierarchy is writable; see docs/security.md).
    output_kb: how much of its stdout/stderr is kept for the report.
    startup_s: wall time to start, import and run the submission's top-level code.
    disk_mb: everything it may write in its temporary directory together (a tmpfs quota
        in autograder mode as root; elsewhere the grader watches the directory and kills
        the sandbox past it).
    """

    cpu_s: int = 300
    memory_mb: int = 4096
    file_size_mb: int = 16
    open_files: int = 256
    processes: int = 64
    output_kb: int = 64
    startup_s: float = 60.0
    disk_mb: int = 64

    def spec(self) -> str:
        items = {
            "cpu": self.cpu_s,
            "as": self.memory_mb * 1024 * 1024,
            "fsize": self.file_size_mb * 1024 * 1024,
            "nofile": self.open_files,
            "core": 0,
            "msgqueue": 0,  # also marks the sandbox's processes (see reaper.py)
        }
        if os.geteuid() != 0:
            items["nproc"] = _user_task_count() + self.processes
        return ",".join(f"{k}={v}" for k, v in items.items())


def _user_task_count() -> int:
    """Threads of this user now (RLIMIT_NPROC counts them all, not just the sandbox's)."""
    uid, count = os.geteuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass
    return count
