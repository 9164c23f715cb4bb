"""Operating-system isolation of the sandbox child, applied after the trusted set-up.

The child (`child.py`) loads this file by path, like `wire.py`, so it imports only the
standard library. `apply(spec)` runs once, after NumPy/torch and the task files are
loaded and before the first line of the submission, and returns what it managed to do
(the grader keeps it as `Sandbox.isolation`). Each layer is optional: a layer the
platform lacks is recorded as missing and the others still apply. What holds where is
tabulated in docs/security.md.

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
4. Landlock (Linux >= 5.13, any user): writes only beneath the sandbox directory (and to
   /dev/null), no reading of the hidden paths, no TCP connect or bind (ABI >= 4), no
   signals to processes outside the sandbox and no abstract Unix sockets (ABI >= 6);
5. seccomp (Linux x86_64 / aarch64, any user): socket() of any family but AF_UNIX fails
   with EACCES; ptrace, process_vm_readv/writev, unshare, setns, namespace flags of
   clone, io_uring and clone3 (glibc falls back to clone) are refused; kill/tgkill/tkill/
   pidfd_open/rt_sigqueueinfo aimed at the grader, its fork servers (or at every process,
   pid -1) fail.
"""

import ctypes
import errno
import os
import platform
import stat
import struct
import sys

LINUX = sys.platform.startswith("linux")

# ---------------------------------------------------------------- libc


def _libc():
    if not LINUX:
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


LIBC = _libc()


def _check(result, what):
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def _syscall(number, *args):
    return LIBC.syscall(ctypes.c_long(number), *args)


# ---------------------------------------------------------------- namespaces and mounts

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                   | CLONE_NEWPID | CLONE_NEWNET)

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18


def unshare(flags: int) -> None:
    _check(LIBC.unshare(ctypes.c_int(flags)), "unshare")


def mount(source, target, fstype, flags=0, data=None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def tmpfs(path: str, size_kb: int, mode: int, uid: int = 0, gid: int = 0, *, readonly=False) -> None:
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    mount("dlgrade", path, "tmpfs", flags, f"size={max(size_kb, 4)}k,nr_inodes=4096,mode={mode:o},"
          f"uid={uid},gid={gid}")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _strictly_under(path: str, root: str) -> bool:
    return path != root and _under(path, root)


def refine_hidden(hidden, needed):
    """The paths to cover so that `hidden` is unreadable but every `needed` path stays
    reachable: a hidden directory that contains a needed path is replaced by its entries
    (recursively) except the ones on the way to it. A hidden path inside a needed one is
    still hidden."""
    out = []
    stack = [os.path.realpath(h) for h in hidden if os.path.lexists(h)]
    while stack:
        h = stack.pop()
        if any(_strictly_under(n, h) for n in needed):
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
    needed = [n for n in needed if not any(_strictly_under(n, m) for m in needed)]
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

LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 16, 32, 64, 128
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK, FS_MAKE_SYM = 256, 512, 1024, 2048, 4096
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
PR_SET_NO_NEW_PRIVS = 38


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel, 0 when unavailable."""
    if LIBC is None:
        return 0
    version = _syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                       ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # EXECUTE .. MAKE_SYM (ABI 1)
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    return rights


def read_allowlist(hidden):
    """[(path, is_dir)] whose read access (beneath) covers everything but `hidden`.

    A directory that contains a hidden path is not granted itself; its other entries are
    (recursively), and the directory gets only READ_DIR (listing names, not reading files).
    """
    hidden = [os.path.realpath(h) for h in hidden]
    grants, listable = [], []

    def visit(d):
        if any(_under(d, h) for h in hidden):
            return
        if not any(_strictly_under(h, d) for h in hidden):
            grants.append((d, True))
            return
        listable.append(d)
        try:
            entries = list(os.scandir(d))
        except OSError:
            return
        for e in entries:
            real = os.path.realpath(e.path)
            if any(_under(real, h) for h in hidden):
                continue
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                visit(e.path)
            elif e.is_symlink():
                if os.path.isdir(real):
                    if not any(_strictly_under(h, real) for h in hidden):
                        grants.append((real, True))
                elif os.path.exists(real):
                    grants.append((real, False))
            else:
                grants.append((e.path, False))

    visit("/")
    return grants, listable


def landlock_restrict(writable, hidden, *, files_rw=("/dev/null",), abi=None) -> int:
    """Restrict this process (and its future children) with Landlock; returns the ABI used."""
    abi = landlock_abi() if abi is None else abi
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available")
    fs = _fs_rights(abi)
    read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    file_rights = FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | (FS_TRUNCATE if abi >= 3 else 0)
    if abi >= 6:
        attr = struct.pack("QQQ", fs, NET_BIND_TCP | NET_CONNECT_TCP,
                           SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    elif abi >= 4:
        attr = struct.pack("QQ", fs, NET_BIND_TCP | NET_CONNECT_TCP)
    else:
        attr = struct.pack("Q", fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _check(_syscall(LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)),
                     "landlock_create_ruleset")
    try:
        def add(path, rights, directory=True):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                return
            try:
                if not directory or not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & fs, fd), 12)
                _check(_syscall(LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0)),
                       f"landlock_add_rule {path}")
            finally:
                os.close(fd)

        if hidden:
            grants, listable = read_allowlist(hidden)
            for path, is_dir in grants:
                add(path, read, is_dir)
            for path in listable:
                add(path, FS_READ_DIR)
        else:
            add("/", read)
        for path in writable:
            add(path, fs)
        for path in files_rw:
            add(path, file_rights, directory=False)
        _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        _check(_syscall(LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


# ---------------------------------------------------------------- seccomp

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
AF_UNIX = 1
SYSCALLS = {
    # audit arch, x32 bit, and the numbers of the calls the filter looks at
    "x86_64": dict(arch=0xC000003E, x32=True, socket=41, ptrace=101, process_vm_readv=310,
                   process_vm_writev=311, unshare=272, setns=308, clone=56, clone3=435,
                   io_uring_setup=425, kill=62, tkill=200, tgkill=234, pidfd_open=434,
                   rt_sigqueueinfo=129, rt_tgsigqueueinfo=297),
    "aarch64": dict(arch=0xC00000B7, x32=False, socket=198, ptrace=117, process_vm_readv=270,
                    process_vm_writev=271, unshare=97, setns=268, clone=220, clone3=435,
                    io_uring_setup=425, kill=129, tkill=130, tgkill=131, pidfd_open=434,
                    rt_sigqueueinfo=138, rt_tgsigqueueinfo=240),
}
SYSCALLS["arm64"] = SYSCALLS["aarch64"]
SYSCALLS["amd64"] = SYSCALLS["x86_64"]


class _Bpf:
    """A tiny classic-BPF assembler with forward jumps to labels."""

    LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06

    def __init__(self):
        self.code, self.labels = [], {}

    def ld(self, offset):
        self.code.append((self.LD_ABS, None, None, offset))

    def jump(self, op, k, true, false=None):
        self.code.append((op, true, false, k))

    def ret(self, k):
        self.code.append((self.RET, None, None, k))

    def label(self, name):
        self.labels[name] = len(self.code)

    def assemble(self) -> bytes:
        out = b""
        for i, (op, jt, jf, k) in enumerate(self.code):
            def rel(target):
                if target is None:
                    return 0
                d = self.labels[target] - i - 1
                if not 0 <= d <= 255:
                    raise ValueError("jump out of range")
                return d
            out += struct.pack("=HBBI", op, rel(jt), rel(jf), k & 0xFFFFFFFF)
        return out


def seccomp_program(machine: str, protect_pid: int, protect_pgid: int, others=()) -> bytes:
    """The filter; signals (and pidfd_open) aimed at `protect_pid`, the group `protect_pgid`,
    every process, and each pid of `others` and its process group (the fork servers) fail."""
    s = SYSCALLS[machine]
    b = _Bpf()
    b.ld(4)  # seccomp_data.arch
    b.jump(b.JEQ, s["arch"], None, "eperm")
    b.ld(0)  # seccomp_data.nr
    if s["x32"]:
        b.jump(b.JGE, 0x40000000, "eperm")
    for name, target in (("socket", "socket"), ("clone", "clone"), ("clone3", "enosys"),
                         ("io_uring_setup", "enosys"), ("ptrace", "eperm"),
                         ("process_vm_readv", "eperm"), ("process_vm_writev", "eperm"),
                         ("unshare", "eperm"), ("setns", "eperm"), ("kill", "signal"),
                         ("tkill", "signal"), ("tgkill", "signal"), ("pidfd_open", "signal"),
                         ("rt_sigqueueinfo", "signal"), ("rt_tgsigqueueinfo", "signal")):
        b.jump(b.JEQ, s[name], target)
    b.ret(RET_ALLOW)
    b.label("socket")
    b.ld(16)  # low word of args[0]: the address family
    b.jump(b.JEQ, AF_UNIX, "allow")
    b.ret(RET_ERRNO | errno.EACCES)
    b.label("clone")
    b.ld(16)  # clone flags
    b.jump(b.JSET, NAMESPACE_FLAGS, "eperm")
    b.ret(RET_ALLOW)
    b.label("signal")
    b.ld(16)  # the target pid (kill, tgkill, pidfd_open, ...); -1 is every process
    b.jump(b.JEQ, protect_pid, "eperm")
    b.jump(b.JEQ, 0xFFFFFFFF, "eperm")
    b.jump(b.JEQ, (-protect_pgid) & 0xFFFFFFFF, "eperm")
    for pid in others:
        b.jump(b.JEQ, int(pid) & 0xFFFFFFFF, "eperm")
        b.jump(b.JEQ, (-int(pid)) & 0xFFFFFFFF, "eperm")
    b.label("allow")
    b.ret(RET_ALLOW)
    b.label("eperm")
    b.ret(RET_ERRNO | errno.EPERM)
    b.label("enosys")
    b.ret(RET_ERRNO | errno.ENOSYS)
    return b.assemble()


def seccomp_filter(protect_pid: int, protect_pgid: int, others=()) -> None:
    machine = platform.machine().lower()
    if LIBC is None or machine not in SYSCALLS:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {sys.platform}/{machine}")
    program = seccomp_program(machine, protect_pid, protect_pgid, [p for p in others if int(p) > 1][:16])
    n = len(program) // 8
    filt = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(n, ctypes.cast(filt, ctypes.c_void_p))
    _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    _check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "prctl(SECCOMP)")


# ---------------------------------------------------------------- all together


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
    if not LINUX or LIBC is None:
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
    abi = 0 if "landlock" in skip else landlock_abi()
    root = os.geteuid() == 0
    mounted = False
    if spec.get("namespaces") and root:
        if "netns" not in skip:
            try:
                unshare(CLONE_NEWNET)
                report["netns"] = True
            except OSError as exc:
                report["errors"].append(str(exc))
        if "mountns" not in skip:
            try:
                unshare(CLONE_NEWNS)
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
            landlock_restrict(writable, hide, abi=abi)
            report["landlock"] = abi
            report["hidden_by_landlock"] = hide
        except OSError as exc:
            report["errors"].append(str(exc))
    elif "landlock" not in skip:
        report["errors"].append("Landlock is not available (Linux >= 5.13 with the landlock LSM)")
    if "seccomp" not in skip:
        try:
            seccomp_filter(int(spec.get("grader_pid", os.getppid())), int(spec.get("grader_pgid", 0)) or 1,
                           spec.get("protect_pids") or ())
            report["seccomp"] = True
        except OSError as exc:
            report["errors"].append(str(exc))
    return report
