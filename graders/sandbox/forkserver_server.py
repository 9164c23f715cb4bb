"""The fork server's own process (`python -s -B child.py --forkserver FD MODULES`).

A long-lived, trusted process of the grader (`forkserver.py` is the grader's side;
docs/security.md says what holds). `child.py` loads this file by path, like `wire.py`, and
hands it `preload`, `run` and the C library; so it imports only the standard library, and
only the server ever loads it (a fresh child never does).

The server runs `child.py`'s top level and `preload(MODULES)` -- exactly what a fresh child
has run when it is about to read its init message -- and then only waits for requests on
the Unix socket FD. It never parses a request: it passes the bytes and the sandbox's three
pipe ends (SCM_RIGHTS) on to a *spare*, and answers with the spare's pid. No submission
code, task file or sandbox message ever reaches it.

A spare is a copy of the server made ahead of time, while the server is idle: the server
forks an intermediate that forks the spare and exits at once, so the spare is re-parented
to the grader (a child subreaper, see reaper.py) and is the grader's own child, like a
fresh one. It waits for one request, then becomes the sandbox's process (`_become_sandbox`:
new session, /dev/null on stdin, the output pipe on stdout/stderr, every other descriptor
closed, its directory and environment) and runs `child.run()`, the same code as a fresh
child from its first line on. The server then forks the next spare. A sandbox thus waits
for no fork at all; when requests come faster than spares, it waits for one.
"""

import os
import signal
import sys
import traceback

_SERVER_MODULES = None  # sys.modules right after the preload: what a fresh child has then
_SERVER_STATE = None  # what the preload derived from the server's directory (see _derived_state)
_RUN = None  # child.run: what a spare runs once it is the sandbox's process
_LIBC = None  # the C library (isolation.LIBC), for prctl
PR_SET_DUMPABLE = 4
REQUEST_BYTES = 1 << 16


def _prctl(option: int, value: int) -> None:
    if _LIBC is not None:
        _LIBC.prctl(option, value, 0, 0, 0)

def _drop(sock) -> None:
    """Close a socket's descriptor without letting its object close a reused number later."""
    fd = sock.detach()
    if fd >= 0:
        os.close(fd)


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _parent(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rfind(b")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def serve(sock_fd: int, modules, preload, run, libc) -> None:
    """The fork server's loop (see above); exits when the grader closes its end.

    preload, run: child.py's functions; libc: the C library or None."""
    global _SERVER_MODULES, _SERVER_STATE, _RUN, _LIBC
    _RUN, _LIBC = run, libc
    # non-dumpable: processes of the same user (a sandbox without Landlock) cannot ptrace it or
    # open its /proc/<pid>/mem; a sandbox's process turns this back on (like a fresh one)
    _prctl(PR_SET_DUMPABLE, 0)
    try:
        env_before = dict(os.environ)
        preload(modules)
        import gc

        # the preload's garbage (cycles it left, e.g. exceptions caught with their frames, some
        # holding this directory's paths) is collected now, once, rather than copied into every
        # sandbox, where it would sit until the sandbox's own collector runs
        gc.collect()
        # (this module is the server's own: a fresh child has no such module)
        _SERVER_MODULES = set(sys.modules) - {__name__}
        _SERVER_STATE = _derived_state(os.path.realpath(os.getcwd()), env_before)
        gc.collect()
        hello = {"ok": True, "pid": os.getpid(), "threads": _threads(), "modules": list(modules)}
    except BaseException as exc:  # noqa: BLE001 - reported to the grader, which falls back
        hello = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
    import json
    import socket

    sock = socket.socket(fileno=sock_fd)
    sock.send(json.dumps(hello).encode())
    if not hello["ok"]:
        os._exit(1)
    buf = bytearray(REQUEST_BYTES)
    spare = None
    while True:
        if spare is None and _threads() == 1:  # (with more, _hand_over refuses the request)
            try:
                spare = _Spare.make(sock)
            except OSError:
                spare = None  # tried again for the request (and reported if it fails)
        try:
            n, fds = _receive(sock, buf)
        except OSError:
            break
        if n == 0:
            _close_all(fds)
            break
        try:
            reply = _hand_over(sock, spare, memoryview(buf)[:n], fds)
        except Exception as exc:  # noqa: BLE001 - a bad request must not end the server
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        finally:
            spare = None  # used (or broken): the next one is forked after the answer
            buf[:n] = bytes(n)  # nothing of a request stays in the server's memory
            _close_all(fds)  # nor its descriptors, so no later spare inherits them
        try:
            sock.send(json.dumps(reply).encode())
        except OSError:
            break
    if spare is not None:
        spare.close()
    home = os.getcwd()
    if os.path.basename(home).startswith("dlgrade-forkserver-"):  # (the grader removes it too)
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    os._exit(0)


def _receive(sock, buf):
    """(bytes, descriptors) of one request, read into `buf` (socket.recv_fds, into a buffer)."""
    import array
    import socket

    fds = array.array("i")
    n, ancdata, _, _ = sock.recvmsg_into([buf], socket.CMSG_SPACE(8 * fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
    return n, list(fds)


def _close_all(fds) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _hand_over(sock, spare, data, fds) -> dict:
    """Pass one request to the spare (a fresh one if it died); returns {"ok", "pid"}."""
    threads = _threads()
    if threads != 1:
        # fork copies only the calling thread: a lock held by another one would stay locked
        return {"ok": False, "error": f"the fork server has {threads} threads; it forks only when it has one"}
    if len(fds) != 3:
        return {"ok": False, "error": f"expected 3 descriptors, got {len(fds)}"}
    for attempt in range(2):
        if spare is None or not spare.adopted():
            spare = _Spare.make(sock)
        if spare.take(data, fds):
            return {"ok": True, "pid": spare.pid}
        spare = None
    return {"ok": False, "error": "the fork server's spare process did not take the request"}


class _Spare:
    """A copy of the server, adopted by the grader, waiting to become one sandbox's process."""

    def __init__(self, pid: int, sock):
        self.pid, self.sock = pid, sock

    @classmethod
    def make(cls, server_sock) -> "_Spare":
        import json
        import socket

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        r, w = os.pipe()
        middle = os.fork()
        if middle == 0:  # the intermediate: fork the spare, say its pid, exit at once
            status = 0
            try:
                os.close(r)
                pid = os.fork()
                if pid == 0:
                    os.close(w)
                    _drop(server_sock)
                    _drop(ours)
                    cls._wait(theirs)  # never returns
                os.write(w, str(pid).encode())
            except BaseException:  # noqa: BLE001
                status = 1
            os._exit(status)
        os.close(w)
        out = b""
        try:
            while True:
                chunk = os.read(r, 64)
                if not chunk:
                    break
                out += chunk
        finally:
            os.close(r)
            os.waitpid(middle, 0)  # once it is gone, the spare is the grader's child
            _drop(theirs)
        if not out.isdigit():
            _drop(ours)
            raise OSError("the fork server could not fork")
        spare = cls(int(out), ours)
        # the grader reaps the spare if it is never used (it is the grader's child)
        server_sock.send(json.dumps({"spare": spare.pid}).encode())
        return spare

    @staticmethod
    def _wait(sock) -> None:
        """In the spare: wait for one request, acknowledge it, become the sandbox's process."""
        try:
            buf = bytearray(REQUEST_BYTES)
            n, fds = _receive(sock, buf)
            if n == 0:
                os._exit(0)  # the server is gone
            sock.send(b"ok")
            _become_sandbox([sock], fds, bytes(buf[:n]))
        except BaseException:  # noqa: BLE001
            pass
        os._exit(1)

    def adopted(self) -> bool:
        return _parent(self.pid) == os.getppid()

    def take(self, data, fds) -> bool:
        """Hand the request over; True once the spare has it (it is then the sandbox's)."""
        import socket

        try:
            socket.send_fds(self.sock, [data], list(fds))
            return self.sock.recv(16) == b"ok"
        except OSError:
            return False
        finally:
            self.close()

    def close(self) -> None:
        if self.sock is not None:
            _drop(self.sock)  # an unused spare sees the end of its socket and exits
            self.sock = None


def _become_sandbox(sockets, fds, data: bytes) -> None:
    """In a spare: become what a fresh child is when Python has started, then run."""
    try:
        os.setsid()
        _prctl(PR_SET_DUMPABLE, 1)
        for sock in sockets:
            _drop(sock)  # the server's sockets: never reachable from the sandbox
        import json

        request = json.loads(data)
        fd_in, fd_out, out = fds
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        low = 3  # every other descriptor closed (close_range where the kernel has it)
        for fd in sorted({fd_in, fd_out}):
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, max(os.sysconf("SC_OPEN_MAX"), 1024))
        for fd in (fd_in, fd_out):
            os.set_inheritable(fd, True)  # as Popen(pass_fds=...) leaves them
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.chdir(request["workdir"])
        _set_environment(request["env"], request["workdir"])
        for name in set(sys.modules) - (_SERVER_MODULES or set(sys.modules)):
            sys.modules.pop(name, None)  # the server's own imports (socket): not a fresh child's
        _forget_server()
    except BaseException:  # noqa: BLE001
        os._exit(71)
    try:
        _RUN(fd_in, fd_out, request["limits"])
    except BaseException:  # noqa: BLE001 - what an uncaught exception does to a fresh child
        try:
            traceback.print_exc()
        finally:
            os._exit(1)
    os._exit(0)


def _forget_server() -> None:
    global _SERVER_MODULES, _SERVER_STATE
    _SERVER_MODULES = _SERVER_STATE = None


def _set_environment(env: dict, workdir: str) -> None:
    """The sandbox's environment, as Popen(env=...) gives a fresh child, and what the preload
    derived from it.

    os.environ (and the C library's) is replaced; the process's initial environment block,
    which /proc/<pid>/environ shows and by which the grader recognises a sandbox's processes
    (DLGRADE_SANDBOX), is overwritten in place (the server's was padded to leave room). The
    server ran the preload in a directory of its own (its HOME, TMPDIR and cwd): the values
    the preload derived from it (see `_derived_state`) are rebased onto the sandbox's
    directory, so that they are what a fresh child's preload computes in it.
    """
    os.environ.clear()
    os.environ.update(env)
    block = b"".join(os.fsencode(k) + b"=" + os.fsencode(v) + b"\0" for k, v in env.items())
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rfind(b")") + 2:].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end (fields 50 and 51)
        if 0 < start < end and len(block) <= end - start:
            import ctypes

            ctypes.memmove(start, block + b"\0" * (end - start - len(block)), end - start)
    except (OSError, ValueError, IndexError):
        pass  # the mark by hard limits (reaper.py) still holds
    if _SERVER_STATE is None:
        return
    home, set_env, locations = _SERVER_STATE
    for key, value in set_env.items():  # e.g. torch's TORCHINDUCTOR_CACHE_DIR, made at import
        if value is None:
            os.environ.pop(key, None)
            continue
        os.environ[key] = value.replace(home, workdir)
        if home in value and os.path.isdir(value):
            os.makedirs(value.replace(home, workdir), exist_ok=True)
    for container, key, attribute in locations:
        if attribute:
            setattr(container, key, getattr(container, key).replace(home, workdir))
        else:
            container[key] = container[key].replace(home, workdir)


def _derived_state(home: str, env_before: dict):
    """What the preload derived from the server's directory `home`: (home, {environment
    variable: new value or None}, [(dict, list or object, key, is an attribute)] holding a
    string that contains it)
    -- e.g. site.USER_BASE, tempfile.tempdir, multiprocessing's ORIGINAL_DIR, torch's cache
    and debug directories. Found once, in the server, by looking through every object the
    garbage collector knows and the dictionaries and lists they hold; a forked process has
    the same objects and patches each place (see `_set_environment`)."""
    import gc
    import warnings

    changed = {k: v for k, v in os.environ.items() if env_before.get(k) != v}
    changed.update({k: None for k in env_before if k not in os.environ})
    places, seen = [], set()

    def look(container):
        if id(container) not in seen:
            seen.add(id(container))
            items = container.items() if type(container) is dict else enumerate(container)
            for key, value in items:
                if type(value) is str and home in value:
                    places.append((container, key, False))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for obj in gc.get_objects():
            kind = type(obj)
            if kind is dict or kind is list:
                look(obj)
            holds = False
            for ref in gc.get_referents(obj):
                kind = type(ref)
                if kind is str:
                    holds = holds or home in ref
                elif kind is dict or kind is list:
                    look(ref)  # e.g. a dictionary the collector does not track (only strings in it)
            if holds and not isinstance(obj, (dict, list, tuple, set, frozenset)):
                try:  # an attribute kept in the object itself (no dictionary object of its own yet)
                    attrs = object.__getattribute__(obj, "__dict__")
                except Exception:  # noqa: BLE001
                    attrs = None
                if type(attrs) is dict:
                    look(attrs)
                for cls in type(obj).__mro__:
                    for name in getattr(cls, "__slots__", ()):
                        value = getattr(obj, name, None) if isinstance(name, str) else None
                        if type(value) is str and home in value:
                            places.append((obj, name, True))
    return home, changed, places
