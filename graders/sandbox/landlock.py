"""Landlock (Linux >= 5.13, any user): the sandbox's file-system and network allowances.

Reads only beneath an allow-list (the interpreter, the system's libraries, the sandbox
directory) less the hidden paths, writes only beneath the sandbox directory (and to
/dev/null), no TCP connect or bind (ABI >= 4), no signals to processes outside the sandbox and no
abstract Unix sockets (ABI >= 6). Applied by `isolation.apply`; loaded by path in the
sandbox, like `isolation.py`, so it imports only the standard library.
"""

import ctypes
import errno
import os
import stat
import struct
import sys

if __package__:  # imported by the grader (tests, diagnosis)
    from graders.sandbox import libc
else:  # loaded by path in the sandbox: child.py loads these first (see its `_load`)
    libc = sys.modules["_dlgrade_libc"]

LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 16, 32, 64, 128
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK, FS_MAKE_SYM = 256, 512, 1024, 2048, 4096
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2


def under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def strictly_under(path: str, root: str) -> bool:
    return path != root and under(path, root)


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel, 0 when unavailable."""
    if libc.LIBC is None:
        return 0
    version = libc.syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                           ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # EXECUTE .. MAKE_SYM (ABI 1)
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    return rights


def read_allowlist(hidden, roots=("/",)):
    """[(path, is_dir)] whose read access (beneath) covers everything under `roots` but `hidden`.

    A directory that contains a hidden path is not granted itself; its other entries are
    (recursively), and the directory gets only READ_DIR (listing names, not reading files).
    `roots` is the allow-list: nothing outside it is granted at all.
    """
    hidden = [os.path.realpath(h) for h in hidden]
    grants, listable = [], []

    def visit(d):
        if any(under(d, h) for h in hidden):
            return
        if not any(strictly_under(h, d) for h in hidden):
            grants.append((d, True))
            return
        listable.append(d)
        try:
            entries = list(os.scandir(d))
        except OSError:
            return
        for e in entries:
            real = os.path.realpath(e.path)
            if any(under(real, h) for h in hidden):
                continue
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                visit(e.path)
            elif e.is_symlink():
                if os.path.isdir(real):
                    if not any(strictly_under(h, real) for h in hidden):
                        grants.append((real, True))
                elif os.path.exists(real):
                    grants.append((real, False))
            else:
                grants.append((e.path, False))

    for root in roots:
        real = os.path.realpath(root)
        if os.path.isdir(real):
            visit(real)
        elif os.path.exists(real) and not any(under(real, h) for h in hidden):
            grants.append((real, False))
    return grants, listable


def landlock_restrict(writable, hidden, *, readable=("/",), files_rw=("/dev/null",), abi=None) -> int:
    """Restrict this process (and its future children) with Landlock; returns the ABI used.

    readable: the allow-list of what may be read (and executed), less `hidden`; writable:
    directories where everything is allowed; files_rw: files that may be read and written."""
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
    ruleset = libc.check(libc.syscall(LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)),
                                      ctypes.c_uint32(0)), "landlock_create_ruleset")
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
                libc.check(libc.syscall(LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                        ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0)),
                           f"landlock_add_rule {path}")
            finally:
                os.close(fd)

        grants, listable = read_allowlist(hidden, readable)
        for path, is_dir in grants:
            add(path, read, is_dir)
        for path in listable:
            add(path, FS_READ_DIR)
        for path in writable:
            add(path, fs)
        for path in files_rw:
            add(path, file_rights, directory=False)
        libc.check(libc.LIBC.prctl(libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        libc.check(libc.syscall(LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
                   "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi

