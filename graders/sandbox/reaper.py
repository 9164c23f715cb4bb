"""The grader's side of process containment: finding and killing every process of a sandbox.

A sandbox's main process runs in its own session, but a submission can leave it: a
double fork with `setsid()`, or `subprocess.Popen(..., start_new_session=True)` from a
process that then exits, gives an orphan in another session and process group, which
`killpg` of the sandbox's group misses. On Linux the grader therefore:

* becomes a *child subreaper* (`prctl(PR_SET_CHILD_SUBREAPER)`) when it starts its first
  sandbox, so that every orphan of a sandbox is re-parented to the grader (not to init)
  and can still be found and reaped;
* when a sandbox ends, kills (SIGKILL, through a pidfd when available so that a reused
  pid is never hit) every process in the sandbox's process tree, every orphan re-parented
  to the grader that carries a sandbox's mark, every process of the sandbox's own uid
  (autograder mode as root), and everything in the sandbox's cgroups; it repeats until
  none is left, then reaps those that were its children;
* as root, puts each sandbox in its own cgroup where the hierarchy allows it (v1 `pids`
  and `memory` controllers, or a v2 child cgroup), which limits the number of processes
  (`pids.max`) and their total memory, and lets `cgroup.kill` end them all at once.

The mark of an orphan: its environment names the grader (`DLGRADE_SANDBOX=<grader
pid>-<n>`) or one of its hard resource limits (CPU time, address space, file size,
POSIX message queues) is lower than the grader's own: a process can lower its hard limits
but never raise them back. Processes the grader started for other reasons carry neither.

On macOS (no /proc, no subreaper) only the sandbox's process group is killed.
"""

from __future__ import annotations

import itertools
import os
import resource
import signal
import sys
import threading
import time

LINUX = sys.platform.startswith("linux")
LOCK = threading.RLock()
_MAINS: set[int] = set()
_COUNTER = itertools.count(1)
_subreaper_pid: int | None = None
MARK_LIMITS = ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_MSGQUEUE")
_PROC_LIMIT_NAMES = {"RLIMIT_CPU": "Max cpu time", "RLIMIT_AS": "Max address space",
                     "RLIMIT_FSIZE": "Max file size", "RLIMIT_MSGQUEUE": "Max msgqueue size"}


def token() -> str:
    """A new sandbox mark for this grader process."""
    return f"{os.getpid()}-{next(_COUNTER)}"


def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants (Linux; once per process)."""
    global _subreaper_pid
    if not LINUX:
        return False
    if _subreaper_pid == os.getpid():
        return True
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(36, 1, 0, 0, 0) == 0:  # PR_SET_CHILD_SUBREAPER
            _subreaper_pid = os.getpid()
            return True
    except OSError:
        pass
    return False


def register(pid: int) -> None:
    with LOCK:
        _MAINS.add(pid)


def unregister(pid: int) -> None:
    with LOCK:
        _MAINS.discard(pid)


# ---------------------------------------------------------------- /proc


def _all_pids() -> list[int]:
    try:
        return [int(n) for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return []


def _stat(pid: int):
    """(state, ppid) of a process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2:].split()
    try:
        return rest[0].decode(), int(rest[1])
    except (IndexError, ValueError):
        return None


def _uids(pid: int) -> set[int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return {int(x) for x in line.split()[1:]}
    except OSError:
        pass
    return set()


def _hard_limits(pid: int) -> dict[str, float]:
    out = {}
    try:
        with open(f"/proc/{pid}/limits") as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for key, label in _PROC_LIMIT_NAMES.items():
        for line in lines:
            if line.startswith(label):
                hard = line[len(label):].split()[1]
                out[key] = float("inf") if hard == "unlimited" else float(hard)
    return out


def _own_hard_limits() -> dict[str, float]:
    out = {}
    for key in MARK_LIMITS:
        hard = resource.getrlimit(getattr(resource, key))[1]
        out[key] = float("inf") if hard == resource.RLIM_INFINITY else float(hard)
    return out


def _has_mark(pid: int, own_limits: dict[str, float]) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            if f"DLGRADE_SANDBOX={os.getpid()}-".encode() in f.read():
                return True
    except OSError:
        pass
    limits = _hard_limits(pid)
    return any(limits.get(k, float("inf")) < own_limits[k] for k in MARK_LIMITS)


def sandbox_processes(main_pid: int | None, uid: int | None = None, cgroup=None) -> dict[int, str]:
    """{pid: state} of every process that belongs to a sandbox (see the module docstring)."""
    me = os.getpid()
    table = {}
    for pid in _all_pids():
        st = _stat(pid)
        if st is not None:
            table[pid] = st
    children: dict[int, list[int]] = {}
    for pid, (_, ppid) in table.items():
        children.setdefault(ppid, []).append(pid)
    roots = set()
    if main_pid is not None and main_pid in table:
        roots.add(main_pid)
    own = _own_hard_limits()
    # The mark is read under the lock: a fork server's spare is this process's child before it
    # is a sandbox's, and takes its mark while another thread hands it a request, which that
    # thread registers under the same lock. Read outside it, the mark could be seen after the
    # copy of `_MAINS` and before the registration, and a sandbox just starting be killed.
    with LOCK:
        mains = set(_MAINS)
        for pid in children.get(me, []):
            if pid not in mains and _has_mark(pid, own):
                roots.add(pid)
    if uid is not None:
        roots |= {pid for pid in table if uid in _uids(pid)}
    if cgroup is not None:
        roots |= {pid for pid in cgroup.pids() if pid in table}
    found, stack = set(), list(roots)
    while stack:
        pid = stack.pop()
        if pid in found or pid == me:
            continue
        found.add(pid)
        stack.extend(children.get(pid, []))
    return {pid: table[pid][0] for pid in found}


def _kill(pid: int) -> None:
    pidfd = None
    try:
        if hasattr(os, "pidfd_open"):
            pidfd = os.pidfd_open(pid)
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (OSError, AttributeError):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    finally:
        if pidfd is not None:
            os.close(pidfd)


def kill_sandbox(main_pid: int | None, uid: int | None = None, cgroup=None, rounds: int = 100) -> int:
    """Kill every process of a sandbox and reap the orphans; returns how many were found.

    The main process itself is killed but not reaped (its `Popen` does that).
    """
    if main_pid is not None:
        try:
            os.killpg(main_pid, signal.SIGKILL)
        except OSError:
            pass
    if cgroup is not None:
        cgroup.kill()
    if not LINUX:
        return 0
    me, seen = os.getpid(), set()
    for _ in range(rounds):
        procs = sandbox_processes(main_pid, uid, cgroup)
        seen |= set(procs)
        alive = [p for p, state in procs.items() if state not in ("Z", "X")]
        for pid in alive:
            _kill(pid)
        if not alive:
            break
        time.sleep(0.005)
    # reap the ones that were re-parented to this process (never the main process: Popen does)
    pending = {p for p in seen - {main_pid} if (_stat(p) or ("", 0))[1] == me}
    deadline = time.monotonic() + 2.0
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                pending.discard(pid)
        if pending:
            time.sleep(0.005)
    return len(seen - {main_pid})


# ---------------------------------------------------------------- cgroups (root only)


def _mounts():
    """[(mount point, fstype, super options)] of the cgroup file systems."""
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, rfields = left.split(), right.split()
                if rfields and rfields[0] in ("cgroup", "cgroup2"):
                    out.append((fields[4].replace("\\040", " "), rfields[0], rfields[2] if len(rfields) > 2 else ""))
    except OSError:
        pass
    return out


def _own_cgroups() -> dict[str, str]:
    """{controller list or "" for v2: path} of this process."""
    out = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                out[controllers] = path
    except OSError:
        pass
    return out


class Cgroup:
    """A sandbox's cgroups: v1 `pids` and `memory` and/or a v2 child cgroup."""

    def __init__(self, dirs: list[str], kill_files: list[str]):
        self.dirs, self.kill_files = dirs, kill_files

    @classmethod
    def create(cls, name: str, pids_max: int, memory_bytes: int) -> "Cgroup | None":
        if not LINUX or os.geteuid() != 0:
            return None
        own = _own_cgroups()
        dirs, kill_files = [], []
        for mount, fstype, options in _mounts():
            try:
                if fstype == "cgroup":
                    opts = set(options.split(","))
                    for controller in ("pids", "memory"):
                        if controller not in opts:
                            continue
                        path = next((p for c, p in own.items() if controller in c.split(",")), None)
                        if path is None:
                            continue
                        _sweep(mount + path)
                        d = os.path.join(mount + path, name)
                        os.mkdir(d)
                        dirs.append(d)
                        if controller == "pids":
                            _write(os.path.join(d, "pids.max"), str(pids_max))
                        else:
                            _write(os.path.join(d, "memory.limit_in_bytes"), str(memory_bytes))
                elif fstype == "cgroup2" and "" in own:
                    parent = mount + own[""]
                    _sweep(parent)
                    d = os.path.join(parent, name)
                    os.mkdir(d)
                    dirs.append(d)
                    enabled = _read(os.path.join(parent, "cgroup.subtree_control")).split()
                    if "pids" in enabled:
                        _write(os.path.join(d, "pids.max"), str(pids_max))
                    if "memory" in enabled:
                        _write(os.path.join(d, "memory.max"), str(memory_bytes))
                    if os.path.exists(os.path.join(d, "cgroup.kill")):
                        kill_files.append(os.path.join(d, "cgroup.kill"))
            except OSError:
                continue
        if not dirs:
            return None
        return cls(dirs, kill_files)

    def add(self, pid: int) -> bool:
        ok = False
        for d in self.dirs:
            try:
                _write(os.path.join(d, "cgroup.procs"), str(pid))
                ok = True
            except OSError:
                pass
        return ok

    def pids(self) -> set[int]:
        out = set()
        for d in self.dirs:
            for line in _read(os.path.join(d, "cgroup.procs")).split():
                if line.isdigit():
                    out.add(int(line))
        return out

    def kill(self) -> None:
        for f in self.kill_files:
            try:
                _write(f, "1")
            except OSError:
                pass
        for pid in self.pids():
            _kill(pid)

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(200):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill()
                    time.sleep(0.01)
        self.dirs = []

    def describe(self) -> list[str]:
        return list(self.dirs)


def _sweep(parent: str) -> None:
    """Remove empty `dlgrade-<pid>-...` cgroups left by graders that died (their pid is gone)."""
    try:
        names = [n for n in os.listdir(parent) if n.startswith("dlgrade-")]
    except OSError:
        return
    for n in names:
        owner = n.split("-")[1] if n.count("-") >= 2 else ""
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            try:
                os.rmdir(os.path.join(parent, n))  # fails (harmlessly) unless it is empty
            except OSError:
                pass


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
