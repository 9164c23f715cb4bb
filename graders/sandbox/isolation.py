"""Operating-system isolation of the sandbox child, applied after the trusted set-up.

The child (`child.py`) loads this file by path, like `wire.py`, after the modules it uses
(`libc.py`, `landlock.py`, `seccomp.py`), so it imports only the standard library.
`apply(spec)` runs once, after NumPy/torch and the task files are loaded and before the
first line of the submission, and returns what it managed to do (the grader keeps it as
`Sandbox.isolation`). Each layer is optional: a layer the platform lacks is recorded as
missing and the others still apply. What holds where is tabulated in docs/security.md.

Layers, in the order they are applied:

1. namespaces (autograder mode, as root): a new network namespace (no interface is up,
   so there is no network at all, loopback included) and a new mount namespace in which
   the grader's files are covered by empty read-only tmpfs mounts, the sandbox directory,
   /tmp, /var/tmp and /dev/shm are small private tmpfs mounts (a disk quota that vanishes
   with the process), and a Python installation that the sandbox's user could not reach
   (e.g. under /root) is bind-mounted where it can;
2. file modes (autograder mode, as root, only when neither the mount namespace nor
   Landlock is available): "others" lose all access to the hidden directories;
3. the sandbox's own user (autograder mode, as root): setgroups([]), setgid, setuid to an
   unprivileged uid/gid chosen by the grader;
4. Landlock (Linux >= 5.13, any user; `landlock.py`): writes only beneath the sandbox
   directory, no reading of the hidden paths, no TCP, no signals out of the sandbox;
5. seccomp (Linux x86_64 / aarch64, any user; `seccomp.py`): no socket but AF_UNIX, no
   ptrace, no new namespaces, no signals to the grader or its fork servers.
"""

import ctypes
import errno
import os
import platform
import stat
import sys

if __package__:  # imported by the grader (tests, diagnosis)
    from graders.sandbox import landlock, libc, seccomp
else:  # loaded by path in the sandbox: child.py loads these first (see its `_load`)
    landlock = sys.modules["_dlgrade_landlock"]
    libc = sys.modules["_dlgrade_libc"]
    seccomp = sys.modules["_dlgrade_seccomp"]


# ---------------------------------------------------------------- namespaces and mounts

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18


def unshare(flags: int) -> None:
    libc.check(libc.LIBC.unshare(ctypes.c_int(flags)), "unshare")


def mount(source, target, fstype, flags=0, data=None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    libc.check(libc.LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
               f"mount {target}")


def tmpfs(path: str, size_kb: int, mode: int, uid: int = 0, gid: int = 0, *, readonly=False) -> None:
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    mount("dlgrade", path, "tmpfs", flags, f"size={max(size_kb, 4)}k,nr_inodes=4096,mode={mode:o},"
          f"uid={uid},gid={gid}")



def refine_hidden(hidden, needed):
    """The paths to cover so that `hidden` is unreadable but every `needed` path stays
    reachable: a hidden directory that contains a needed path is replaced by its entries
    (recursively) except the ones on the way to it. A hidden path inside a needed one is
    still hidden."""
    out = []
    stack = [os.path.realpath(h) for h in hidden if os.path.lexists(h)]
    while stack:
        h = stack.pop()
        if any(landlock.strictly_under(n, h) for n in needed):
            try:
                entries = [e.path for e in os.scandir(h) if not e.is_symlink()]
            except OSError:
                continue
            stack.extend(entries)
        elif any(n == h for n in needed):
            continue
        else:
            out.append(h)
    return sorted(set(out))


def others_can_reach(path: str) -> bool:
    """Whether a user that is neither owner nor group member can traverse to `path`."""
    parts = os.path.realpath(path).split("/")
    current = "/"
    for part in [p for p in parts if p]:
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
        current = os.path.join(current, part)
    try:
        mode = os.stat(current).st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)))


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


def _holds_python(path: str) -> bool:
    """Whether the interpreter, its libraries or an import path lie under `path`.

    Such a folder (a checkout with its virtual environment under /tmp, say) cannot be
    covered by an empty tmpfs: NumPy could no longer import its own submodules.
    """
    roots = [sys.prefix, sys.base_prefix, os.path.dirname(sys.executable)] + [p for p in sys.path if p]
    base = os.path.realpath(path)
    for root in roots:
        real = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


def private_tmp(workdir: str, disk_kb: int, uid: int, gid: int, report) -> None:
    """Private, size-limited /tmp, /var/tmp, /dev/shm and sandbox directory."""
    for shared in PRIVATE_TMP:
        if os.path.isdir(shared) and not os.path.islink(shared):
            if _holds_python(shared):
                report.setdefault("tmp_kept_shared", []).append(shared)
                continue
            tmpfs(shared, min(disk_kb, 16 * 1024), 0o1777)
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    tmpfs(workdir, disk_kb, 0o700, uid, gid)
    os.chdir(workdir)
    report["disk_quota_kb"] = disk_kb


def hide_with_modes(paths, report) -> None:
    """Remove every permission of "others" on the hidden directories (persistent)."""
    for p in paths:
        try:
            mode = os.stat(p).st_mode
            if mode & 0o007:
                os.chmod(p, stat.S_IMODE(mode) & ~0o007)
            report.setdefault("hidden", []).append(p)
        except OSError as exc:
            report.setdefault("errors", []).append(f"chmod {p}: {exc}")


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        raise OSError(errno.EPERM, "could not change user")


# ---------------------------------------------------------------- Landlock




def _python_paths():
    paths = {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))):
        if p and os.path.isdir(p):
            paths.add(os.path.realpath(p))
    return sorted(paths)


def _count_tasks(uid: int) -> int:
    count = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for name in entries:
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                pass
    return count


def apply(spec: dict) -> dict:
    """Apply the isolation described by `spec` (built by the grader); returns a report.

    spec keys: mode ("default" | "autograder"), workdir, hide (paths), uid/gid (the
    sandbox's user, autograder mode as root only), namespaces (bool), disk_kb, processes,
    grader_pid, grader_pgid, protect_pids (the grader's fork servers: no signals to them),
    skip (layers not to apply, for tests and diagnosis: "netns", "mountns", "user",
    "landlock", "seccomp").
    """
    report = {"mode": spec.get("mode", "default"), "platform": f"{sys.platform}/{platform.machine()}",
              "root": os.geteuid() == 0, "errors": []}
    if not libc.LINUX or libc.LIBC is None:
        report["errors"].append("no operating-system isolation on this platform (rlimits only)")
        return report
    skip = set(spec.get("skip") or ())
    workdir = os.path.realpath(spec["workdir"])
    needed = _python_paths()
    hide = refine_hidden(spec.get("hide", []), needed)
    uid, gid = spec.get("uid"), spec.get("gid")
    if "user" in skip:
        uid = gid = None
    disk_kb = int(spec.get("disk_kb", 64 * 1024))
    abi = 0 if "landlock" in skip else landlock.landlock_abi()
    root = os.geteuid() == 0
    mounted = False
    if spec.get("namespaces") and root:
        if "netns" not in skip:
            try:
                unshare(libc.CLONE_NEWNET)
                report["netns"] = True
            except OSError as exc:
                report["errors"].append(str(exc))
        if "mountns" not in skip:
            try:
                unshare(libc.CLONE_NEWNS)
                mount(None, "/", None, MS_REC | MS_PRIVATE)
                if uid is not None:
                    expose([p for p in needed if not others_can_reach(p)], report)
                hide_with_mounts(hide, report)
                private_tmp(workdir, disk_kb, uid or 0, gid or 0, report)
                mounted = True
                report["mountns"] = True
            except OSError as exc:
                report["errors"].append(str(exc))
    if uid is not None and root:
        unreachable = [p for p in needed if not others_can_reach(p)]
        if unreachable and not mounted:
            report["errors"].append("Python is not readable by other users (" + ", ".join(unreachable)
                                    + "); the submission keeps the grader's user")
        else:
            if not mounted and abi < 1:
                # the last resort for hiding: file modes (persistent; meant for throw-away
                # autograder containers)
                hide_with_modes(hide, report)
            nproc = _count_tasks(uid) + len(os.listdir("/proc/self/task")) + int(spec.get("processes", 64))
            try:
                import resource

                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
                drop_privileges(uid, gid)
                report["uid"], report["gid"] = uid, gid
            except OSError as exc:
                report["errors"].append(f"setuid {uid}: {exc}")
    if abi >= 1:
        # the private tmpfs mounts are writable too (multiprocessing needs /dev/shm): they are
        # the sandbox's own and vanish with it
        writable = [workdir] + ([d for d in PRIVATE_TMP if os.path.isdir(d)] if mounted else [])
        try:
            landlock.landlock_restrict(writable, hide, abi=abi)
            report["landlock"] = abi
            report["hidden_by_landlock"] = hide
        except OSError as exc:
            report["errors"].append(str(exc))
    elif "landlock" not in skip:
        report["errors"].append("Landlock is not available (Linux >= 5.13 with the landlock LSM)")
    if "seccomp" not in skip:
        try:
            seccomp.seccomp_filter(int(spec.get("grader_pid", os.getppid())), int(spec.get("grader_pgid", 0)) or 1,
                           spec.get("protect_pids") or ())
            report["seccomp"] = True
        except OSError as exc:
            report["errors"].append(str(exc))
    return report
