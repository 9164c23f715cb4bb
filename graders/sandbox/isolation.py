"""Operating-system isolation of the sandbox child, applied after the trusted set-up.

The child (`child.py`) loads this file by path, like `wire.py`, after the modules it uses
(`libc.py`, `landlock.py`, `seccomp.py`, `namespaces.py`), so it imports only the standard library.
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

import errno
import os
import platform
import stat
import sys

if __package__:  # imported by the grader (tests, diagnosis)
    from graders.sandbox import landlock, libc, namespaces, seccomp
else:  # loaded by path in the sandbox: child.py loads these first (see its `_load`)
    landlock = sys.modules["_dlgrade_landlock"]
    libc = sys.modules["_dlgrade_libc"]
    namespaces = sys.modules["_dlgrade_namespaces"]
    seccomp = sys.modules["_dlgrade_seccomp"]


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
    import paths. An import path that holds a hidden one is left out (the checkout itself,
    which an editable install may put on sys.path: its packages were loaded before the lock).
    The interpreter's own folders are not: a grader installed into site-packages (dlgrade's
    wheel, or the engine a student pack installs) puts hidden folders there, and the
    submission must still import what else is installed (SymPy for a theory answer); the
    hidden folders in them are subtracted like any other (Landlock, the mount namespace)."""
    import sysconfig

    own = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    own += [sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    hidden = [os.path.realpath(h) for h in hidden]
    paths = {os.path.realpath(p) for p in own if p and os.path.isdir(p)} - set(hidden)
    for p in sys.path:
        if p and os.path.isdir(p):
            real = os.path.realpath(p)
            if real in paths or not any(landlock.under(h, real) for h in hidden):
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


def readable_roots(needed, workdir: str, own_proc: bool, in_pid_namespace: bool = False) -> list:
    """The allow-list of what a submission may read: the system's libraries, the interpreter
    (`needed`), its own directory, and /proc when it shows only the sandbox's own processes
    (a PID namespace with its own /proc), else only its own process's entry (none inside a PID
    namespace whose /proc could not be mounted: its pid there names another process in the
    host's /proc). The hidden paths (the checkout, references, other students) are subtracted."""
    proc = ["/proc"] if own_proc else [] if in_pid_namespace else [f"/proc/{os.getpid()}"]
    return list(SYSTEM_READABLE) + list(needed) + [workdir] + proc


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
    # (its own directory stays reachable even under a hidden one, e.g. TMPDIR in the checkout)
    hide = refine_hidden(spec.get("hide", []), needed + [workdir])
    uid, gid = spec.get("uid"), spec.get("gid")
    if "user" in skip:
        uid = gid = None
    disk_kb = int(spec.get("disk_kb", 64 * 1024))
    abi = 0 if "landlock" in skip else landlock.landlock_abi()
    root = os.geteuid() == 0
    mounted = forked = False
    if spec.get("namespaces") and root and "netns" not in skip:
        try:
            namespaces.unshare(libc.CLONE_NEWNET)
            report["netns"] = True
        except OSError as exc:
            report["errors"].append(str(exc))
    privileged = root
    if not root and "userns" not in skip and "mountns" not in skip:
        try:
            namespaces.enter_user_namespace()
            report["userns"] = True
            privileged = True
        except OSError as exc:
            report["errors"].append(f"user namespace: {exc}")
    if privileged and "mountns" not in skip:
        pid_ns = "pidns" not in skip
        try:
            namespaces.unshare(libc.CLONE_NEWNS | (libc.CLONE_NEWPID if pid_ns else 0))
        except OSError as exc:
            report["errors"].append(str(exc))
        else:
            if pid_ns:
                try:
                    namespaces.fork_into_pid_namespace()  # from here on, the sandbox's process is pid 1
                    forked = True
                except OSError as exc:
                    report["errors"].append(f"PID namespace: {exc}")
                    pid_ns = False
            try:
                namespaces.mount(None, "/", None, namespaces.MS_REC | namespaces.MS_PRIVATE)
                if pid_ns:
                    try:
                        namespaces.mount_own_proc(report)
                    except OSError as exc:
                        report["errors"].append(f"/proc of the PID namespace: {exc}")
                if uid is not None:
                    namespaces.expose([p for p in needed if not others_can_reach(p)], report)
                namespaces.hide_with_mounts(hide, report)
                namespaces.private_tmp(workdir, disk_kb, uid, gid, needed, report)
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
        writable = [workdir] + ([d for d in namespaces.PRIVATE_TMP if os.path.isdir(d)] if mounted else [])
        readable = readable_roots(needed, workdir, bool(report.get("pidns")), forked)
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
