"""seccomp (Linux x86_64 / aarch64, any user): a filter on the sandbox's system calls.

socket() of any family but AF_UNIX fails with EACCES; ptrace, process_vm_readv/writev,
unshare, setns, namespace flags of clone, io_uring and clone3 (glibc falls back to clone)
are refused; kill/tgkill/tkill/pidfd_open/rt_sigqueueinfo aimed at the grader, its fork
servers (or at every process, pid -1) fail. Applied by `isolation.apply`; loaded by path in
the sandbox, like `isolation.py`, so it imports only the standard library.
"""

import ctypes
import errno
import platform
import struct
import sys

if __package__:  # imported by the grader (tests, diagnosis)
    from graders.sandbox import libc
else:  # loaded by path in the sandbox: child.py loads these first (see its `_load`)
    libc = sys.modules["_dlgrade_libc"]

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
    b.jump(b.JSET, libc.NAMESPACE_FLAGS, "eperm")
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
    if libc.LIBC is None or machine not in SYSCALLS:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {sys.platform}/{machine}")
    program = seccomp_program(machine, protect_pid, protect_pgid, [p for p in others if int(p) > 1][:16])
    n = len(program) // 8
    filt = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(n, ctypes.cast(filt, ctypes.c_void_p))
    libc.check(libc.LIBC.prctl(libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    libc.check(libc.LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "prctl(SECCOMP)")


# ---------------------------------------------------------------- all together
