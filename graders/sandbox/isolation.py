"""Operating-system isolation of the sandbox child, applied after the trusted set-up.

The child (`child.py`) loads this file by path, like `wire.py`, after the modules it uses
(`libc.py`, `landlock.py`, `seccomp.py`), so it imports only the standard library.
`apply(spec)` runs once, after NumPy/torch and the task files are loaded and before the
first line of the submission, and returns what it managed to do (the grader keeps it as
`Sandbox.isolation`). Each layer is optional: a layer the platform lacks is recorded as
missing and the others still apply. What holds where is tabulated in docs/security.md.

Layers, in the order they are applied:

1. namespaces: in autograder mode as root, a new network namespace (no interface is up,
   so there is no network at all, loopback included); in every mode where the kernel
   allows it (as root, or without root inside a user namespace of the sandbox's own), a
   new PID namespace (the sandbox's process becomes its pid 1 and its own /proc lists only
   the sandbox's processes: no other process's environment can be read) and a new mount
   namespace in which the hidden paths are covered by empty read-only tmpfs mounts, the
   sandbox directory, /tmp, /var/tmp and /dev/shm are small private tmpfs mounts (a disk
   quota that vanishes with the process; an interpreter under /tmp is bind-mounted back
   alone), and a Python installation that the sandbox's user could not reach (e.g. under
   /root) is bind-mounted where it can;
2. file modes (autograder mode, as root, only when neither the mount namespace nor
   Landlock is available): "others" lose all access to the hidden directories;
3. the sandbox's own user (autograder mode, as root): setgroups([]), setgid, setuid to an
   unprivileged uid/gid chosen by the grader;
4. Landlock (Linux >= 5.13, any user; `landlock.py`): reads only from an allow-list (the
   system's libraries, the interpreter's prefixes, standard library and site-packages, the
   sandbox directory, its own /proc) less the hidden paths, writes only beneath the sandbox
   directory, no TCP, no signals out of the sandbox;
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


def tmpfs(path: str, size_kb: int, mode: int, uid=None, gid=None, *, readonly=False) -> None:
    """A tmpfs over `path`, owned by uid/gid (default: this process's, the only ids a user
    namespace maps)."""
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    mount("dlgrade", path, "tmpfs", flags, f"size={max(size_kb, 4)}k,nr_inodes=4096,mode={mode:o},"
          f"uid={uid},gid={gid}")



def refine_hidden(hidden, needed):
    """The paths to cover so that `hidden` is unreadable but every `needed` path stays
    reachable: a hidden directory that contains a needed path is replaced by its entries
    (recursively) except the needed ones and the ones on the way to them. A hidden path
    inside a needed one is still hidden."""
    out = []
    stack = [(os.path.realpath(h), True) for h in hidden if os.path.lexists(h)]
    while stack:
        h, given = stack.pop()
        if not given and any(landlock.under(h, n) for n in needed):
            continue  # an entry of a hidden directory that is (inside) a needed path
        if any(landlock.strictly_under(n, h) for n in needed):
            try:
                entries = [(e.path, False) for e in os.scandir(h) if not e.is_symlink()]
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




def _python_paths(hidden=()):
    """What the interpreter needs: its prefixes, standard library and site-packages, and the
    import paths, less any import path that holds a hidden one (the checkout itself, which an
    editable install may put on sys.path: its packages were loaded before the lock)."""
    import sysconfig

    candidates = list(sys.path) + [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                   os.path.dirname(os.path.realpath(sys.executable))]
    candidates += [sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    hidden = [os.path.realpath(h) for h in hidden]
    paths = set()
    for p in candidates:
        if p and os.path.isdir(p):
            real = os.path.realpath(p)
            if not any(landlock.under(h, real) for h in hidden):
                paths.add(real)
    return sorted(paths)


# what any process needs to read besides Python: shared libraries, locale and time zone data,
# the dynamic loader's configuration (never /etc as a whole: /etc/shadow is readable by root)
SYSTEM_READABLE = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin",
                   "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                   "/etc/timezone", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/os-release",
                   "/etc/mime.types", "/etc/fonts", "/etc/ssl/certs",
                   "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full",
                   "/sys/devices/system/cpu", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat")


def readable_roots(needed, workdir: str, own_proc: bool) -> list:
    """The allow-list of what a submission may read: the system's libraries, the interpreter
    (`needed`), its own directory, and /proc when it shows only the sandbox's own processes
    (a PID namespace with its own /proc), else only its own process's entry. The hidden paths
    (the checkout, references, other students) are subtracted from it."""
    proc = ["/proc"] if own_proc else [f"/proc/{os.getpid()}"]
    return list(SYSTEM_READABLE) + list(needed) + [workdir] + proc


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

    spec keys: mode ("default" | "autograder"), workdir, hide (paths), readable (paths of
    the grader's installation it may read besides Python: the `dlgrade` package), uid/gid (the
    sandbox's user, autograder mode as root only), namespaces (bool: the network namespace,
    autograder mode as root), disk_kb, processes, grader_pid, grader_pgid, protect_pids (the
    grader's fork servers: no signals to them), skip (layers not to apply, for tests and
    diagnosis: "netns", "userns", "mountns", "pidns", "user", "landlock", "seccomp").

    In every mode, where the kernel allows it (as root, or in a user namespace of its own
    without root): a mount namespace (private /tmp, /var/tmp, /dev/shm and directory; the
    hidden paths covered) and a PID namespace whose /proc shows only the sandbox's processes.
    """
    report = {"mode": spec.get("mode", "default"), "platform": f"{sys.platform}/{platform.machine()}",
              "root": os.geteuid() == 0, "errors": []}
    if not libc.LINUX or libc.LIBC is None:
        report["errors"].append("no operating-system isolation on this platform (rlimits only)")
        return report
    skip = set(spec.get("skip") or ())
    workdir = os.path.realpath(spec["workdir"])
    needed = _python_paths(spec.get("hide", [])) + [os.path.realpath(p) for p in spec.get("readable") or ()]
    hide = refine_hidden(spec.get("hide", []), needed)
    uid, gid = spec.get("uid"), spec.get("gid")
    if "user" in skip:
        uid = gid = None
    disk_kb = int(spec.get("disk_kb", 64 * 1024))
    abi = 0 if "landlock" in skip else landlock.landlock_abi()
    root = os.geteuid() == 0
    mounted = False
    if spec.get("namespaces") and root and "netns" not in skip:
        try:
            unshare(libc.CLONE_NEWNET)
            report["netns"] = True
        except OSError as exc:
            report["errors"].append(str(exc))
    privileged = root
    if not root and "userns" not in skip and "mountns" not in skip:
        try:
            enter_user_namespace()
            report["userns"] = True
            privileged = True
        except OSError as exc:
            report["errors"].append(f"user namespace: {exc}")
    if privileged and "mountns" not in skip:
        pid_ns = "pidns" not in skip
        try:
            unshare(libc.CLONE_NEWNS | (libc.CLONE_NEWPID if pid_ns else 0))
        except OSError as exc:
            report["errors"].append(str(exc))
        else:
            if pid_ns:
                try:
                    fork_into_pid_namespace()  # from here on, the sandbox's process is pid 1
                except OSError as exc:
                    report["errors"].append(f"PID namespace: {exc}")
                    pid_ns = False
            try:
                mount(None, "/", None, MS_REC | MS_PRIVATE)
                if pid_ns:
                    try:
                        mount_own_proc(report)
                    except OSError as exc:
                        report["errors"].append(f"/proc of the PID namespace: {exc}")
                if uid is not None:
                    expose([p for p in needed if not others_can_reach(p)], report)
                hide_with_mounts(hide, report)
                private_tmp(workdir, disk_kb, uid, gid, needed, report)
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
        readable = readable_roots(needed, workdir, bool(report.get("pidns")))
        try:
            landlock.landlock_restrict(writable, hide, readable=readable, abi=abi)
            report["landlock"] = abi
            report["hidden_by_landlock"] = hide
            report["readable"] = readable
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
