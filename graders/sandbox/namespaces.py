"""The sandbox's namespaces: user, PID and mount namespaces, and the mounts made in them.

Loaded by path in the sandbox, like `isolation.py` (which applies these in order), so it
imports only the standard library. As root the namespaces need no user namespace; without
root, `enter_user_namespace` makes one in which the process keeps its uid and may make the
others (where the kernel allows unprivileged user namespaces).
"""

import ctypes
import errno
import os
import stat
import sys

if __package__:  # imported by the grader (tests, diagnosis)
    from graders.sandbox import landlock, libc
else:  # loaded by path in the sandbox: child.py loads these first (see its `_load`)
    landlock = sys.modules["_dlgrade_landlock"]
    libc = sys.modules["_dlgrade_libc"]

# ---------------------------------------------------------------- mounts

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18


def unshare(flags: int) -> None:
    libc.check(libc.LIBC.unshare(ctypes.c_int(flags)), "unshare")


def mount(source, target, fstype, flags=0, data=None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    libc.check(libc.LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
               f"mount {target}")


def tmpfs(path: str, size_kb: int, mode: int, uid=None, gid=None, *, readonly=False) -> None:
    """A tmpfs over `path`, owned by uid/gid (default: this process's, the only ids a user
    namespace maps)."""
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    mount("dlgrade", path, "tmpfs", flags, f"size={max(size_kb, 4)}k,nr_inodes=4096,mode={mode:o},"
          f"uid={uid},gid={gid}")



def _first_blocked_ancestor(path: str):
    parts = [p for p in os.path.realpath(path).split("/") if p]
    current = "/"
    for part in parts:
        if not os.stat(current).st_mode & stat.S_IXOTH:
            return current
        current = os.path.join(current, part)
    return None


def expose(needed, report) -> None:
    """Make `needed` directories reachable by "others" inside this mount namespace.

    For a path below a directory others cannot traverse (e.g. Python under /root), that
    directory is covered by a tmpfs of mode 0755 in which only the path to the needed
    directory is recreated and bind-mounted: everything else in it disappears.
    """
    groups = {}
    needed = [n for n in needed if not any(landlock.strictly_under(n, m) for m in needed)]
    for n in needed:
        if not os.path.isdir(n):
            continue
        blocked = _first_blocked_ancestor(n)
        if blocked is not None:
            groups.setdefault(blocked, []).append(n)
    for blocked, paths in groups.items():
        fds = [(p, os.open(p, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY)) for p in paths]
        try:
            tmpfs(blocked, 64, 0o755)
            for p, fd in fds:
                os.makedirs(p, mode=0o755, exist_ok=True)
                mount(f"/proc/self/fd/{fd}", p, None, MS_BIND | MS_REC)
            report.setdefault("exposed", []).extend(paths)
        finally:
            for _, fd in fds:
                os.close(fd)


def hide_with_mounts(paths, report) -> None:
    """Cover each path with an empty, read-only tmpfs of mode 000 (or /dev/null for a file)."""
    for p in paths:
        if os.path.isdir(p):
            tmpfs(p, 4, 0o000, readonly=True)
        elif os.path.isfile(p):
            mount("/dev/null", p, None, MS_BIND)
        report.setdefault("hidden", []).append(p)


PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _python_under(path: str, needed) -> list:
    """The needed paths (interpreter, libraries, import paths) that lie under `path`: a
    checkout with its virtual environment under /tmp, as some CI services make."""
    base = os.path.realpath(path)
    return [n for n in needed if landlock.under(n, base)]


def _cover_keeping(path: str, size_kb: int, mode: int, keep, report) -> None:
    """A private tmpfs over `path` in which only the `keep` folders reappear (bind-mounted):
    everything else that was under it disappears."""
    keep = [k for k in keep if not any(landlock.strictly_under(k, o) for o in keep)]
    fds = [(k, os.open(k, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY)) for k in keep if os.path.isdir(k)]
    try:
        tmpfs(path, size_kb, mode)
        for k, fd in fds:
            os.makedirs(k, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", k, None, MS_BIND | MS_REC)
            report.setdefault("tmp_python_kept", []).append(k)
    finally:
        for _, fd in fds:
            os.close(fd)


def private_tmp(workdir: str, disk_kb: int, uid, gid, needed, report) -> None:
    """Private, size-limited /tmp, /var/tmp, /dev/shm and sandbox directory. An interpreter or
    library under one of them is bind-mounted back into its private copy, alone."""
    for shared in PRIVATE_TMP:
        if os.path.isdir(shared) and not os.path.islink(shared):
            _cover_keeping(shared, min(disk_kb, 16 * 1024), 0o1777, _python_under(shared, needed), report)
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    tmpfs(workdir, disk_kb, 0o700, uid, gid)
    os.chdir(workdir)
    report["disk_quota_kb"] = disk_kb


# ---------------------------------------------------------------- user and PID namespaces


def enter_user_namespace() -> None:
    """A user namespace in which this (non-root) process keeps its uid and gid but may make
    the mount and PID namespaces below (Linux >= 3.8, where unprivileged user namespaces
    are allowed). Must run while the process has one thread."""
    uid, gid = os.getuid(), os.getgid()
    unshare(libc.CLONE_NEWUSER)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        except FileNotFoundError:
            if name != "setgroups":  # (setgroups exists from Linux 3.19)
                raise


def _exit_like(status: int) -> None:
    """End this process the way the one it waited for ended (a signal, or an exit status)."""
    if os.WIFSIGNALED(status):
        import signal

        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def fork_into_pid_namespace() -> None:
    """Continue as the first process of the PID namespace made by unshare(CLONE_NEWPID).

    The process that called unshare stays outside: it closes every descriptor (the grader
    sees the sandbox's pipes close when its real process ends), waits, and ends as the
    sandbox's process ended, so the grader reads the same exit status or signal. It never
    runs submission code and the submission cannot see or signal it. Returns in the child.
    """
    if len(os.listdir("/proc/self/task")) != 1:
        raise OSError(errno.EBUSY, "several threads: no fork into a PID namespace")
    pid = os.fork()
    if pid == 0:
        return
    os.closerange(0, resource_limit_nofile())
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
    _exit_like(status)


def resource_limit_nofile() -> int:
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return soft if 0 < soft < (1 << 20) else 4096


def mount_own_proc(report) -> None:
    """A /proc of this PID namespace: it lists only the sandbox's own processes."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    report["pidns"] = True
