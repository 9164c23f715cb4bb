"""The sandboxed side: runs a submission and answers the grader's requests.

Started by `graders.sandbox.process.Sandbox` as `python -s -B child.py FD_IN FD_OUT LIMITS` under
resource limits, in its own process group and temporary directory, with stdin on
/dev/null -- or forked, in that same state, by the fork server at the end of this file
(`child.py --forkserver`), which has already run this file's top level and the preload.
It speaks only through the two pipe descriptors, in the format of `wire.py`; whatever the
submission prints goes to stdout/stderr, which the grader caps and shows but never reads
results from.

Order of events (the submission runs last, so it cannot tamper with what came before):
  1. read the init message: modules to preload, task files, the submission's cells;
  2. preload NumPy (and torch), load the task files by path;
  3. apply the operating-system isolation of `isolation.py` (Landlock, seccomp; in
     autograder mode as root also namespaces and the sandbox's own unprivileged user);
  4. block imports of the grader, the reference solutions and the templates;
  5. run the submission's cells in order as module `submission`, recording each error;
  6. answer requests: call a function or a method of a kept object, run a task.

Only the standard library and NumPy are imported here before the submission runs.
"""

import importlib.util
import linecache
import os
import random
import resource
import signal
import sys
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
    sys.path.pop(0)  # the grader's own folder is not importable from the sandbox
SUBMISSION_NAME = "submission"
MAX_TRACEBACK_CHARS = 4000


def _load(name: str, filename: str):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = _load("_dlgrade_wire", "wire.py")
isolation = _load("_dlgrade_isolation", "isolation.py")
import numpy as np  # noqa: E402  (after the wire module, which needs it anyway)
import numpy.random  # noqa: E402,F401  (reseed needs it: imported here, not at the first cell)


class _Blocker:
    """Refuses imports of the grader's own packages inside the sandbox.

    Not a security boundary by itself (a submission could read files directly);
    autograder mode also makes those files unreadable to the sandbox's user.
    """

    def __init__(self, names):
        self.names = tuple(names)

    def find_spec(self, name, path=None, target=None):
        for blocked in self.names:
            if name == blocked or name.startswith(blocked + "."):
                raise ImportError(f"'{name}' cannot be imported by a submission")
        return None


class Child:
    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.handles: dict[int, object] = {}
        self.next_handle = 1
        self.tasks: dict[str, object] = {}
        self.module = None
        self.filenames: set[str] = set()
        self.torch = None
        self.base_seed = 0

    # ------------------------------------------------------------ transport
    def read(self) -> dict:
        header = self._read_exact(4)
        return wire.parse(self._read_exact(wire.unpack_length(header)))

    def _read_exact(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = os.read(self.fd_in, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def send(self, message: dict) -> None:
        data = wire.pack(message)
        view = memoryview(data)
        while view:
            written = os.write(self.fd_out, view)
            view = view[written:]

    # ------------------------------------------------------------ values
    def keep(self, obj):
        """Plain stand-in for a value that is not plain data."""
        torch = self.torch
        if torch is not None and isinstance(obj, torch.Tensor):
            t = obj.detach().cpu()
            if t.dtype == torch.bfloat16:
                t = t.float()
            return t.numpy().copy()
        hid = self.next_handle
        self.next_handle += 1
        self.handles[hid] = obj
        kind = type(obj)
        try:
            text = object.__repr__(obj)
        except Exception:
            text = ""
        return wire.Handle(hid, f"{kind.__module__}.{kind.__qualname__}", text[:100])

    def resolve_ref(self, hid: int):
        if hid not in self.handles:
            raise wire.WireError(f"no object {hid} in the sandbox")
        return self.handles[hid]

    def resolve_callable(self, kind: str, spec):
        factory = getattr(self, "callable_" + kind, None)
        if factory is None:
            raise wire.WireError(f"unknown callable kind {kind!r}")
        return factory(spec)

    @staticmethod
    def callable_schedule(spec):
        """lr_schedule(epoch) -> spec["values"][epoch] (last value after), recording calls."""
        values = [float(v) for v in spec["values"]]
        calls = spec.setdefault("calls", [])

        def schedule(epoch):
            calls.append(epoch if isinstance(epoch, (int, float)) else repr(epoch)[:50])
            i = int(epoch) if isinstance(epoch, (int, np.integer)) else len(calls) - 1
            return values[min(max(i, 0), len(values) - 1)]

        schedule.calls = calls
        return schedule

    @staticmethod
    def callable_table(spec):
        """step_fn(prefix) -> log-probabilities looked up by prefix (beam search)."""
        table = {tuple(k): np.asarray(v, dtype=np.float64) for k, v in spec["table"]}
        default = np.asarray(spec["default"], dtype=np.float64)
        calls = spec.setdefault("calls", [])

        def step_fn(prefix):
            key = tuple(int(t) for t in prefix)
            calls.append(list(key))
            return table.get(key, default).copy()

        return step_fn

    def encode(self, value):
        return wire.encode(value, keep=self.keep)

    def decode(self, data):
        return wire.decode(data, self.resolve_ref, self.resolve_callable)

    # ------------------------------------------------------------ set-up
    def setup(self, init: dict) -> dict:
        self.base_seed = int(init.get("seed", 0))
        torch = preload(init.get("preload", []))
        if torch is not None:
            self.torch = torch
        for i, path in enumerate(init.get("tasks", [])):
            spec = importlib.util.spec_from_file_location(f"_dlgrade_tasks_{i}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            for attr, fn in vars(module).items():
                if attr.startswith("task_") and callable(fn):
                    self.tasks[attr[len("task_"):]] = fn
        applied = isolation.apply(init["isolation"]) if init.get("isolation") else {}
        sys.meta_path.insert(0, _Blocker(init.get("blocked_modules", [])))
        sys.argv = ["submission"]
        sys.modules.pop("_dlgrade_isolation", None)
        sys.modules.pop("_dlgrade_wire", None)
        report = self.load_submission(init["cells"])
        report["isolation"] = applied
        return report

    def load_submission(self, cells) -> dict:
        module = types.ModuleType(SUBMISSION_NAME)
        module.__file__ = os.path.join(os.getcwd(), "submission.py")
        sys.modules[SUBMISSION_NAME] = module
        self.module = module
        report = []
        for label, source in cells:
            linecache.cache[label] = (len(source), None, source.splitlines(True), label)
            self.filenames.add(label)
            self.reseed()
            try:
                code = compile(source, label, "exec", dont_inherit=True)
                exec(code, module.__dict__)
                report.append({"label": label, "error": None})
            except BaseException as exc:  # noqa: BLE001 - a submission may raise anything
                report.append({"label": label, "error": self.describe(exc)})
        names = {}
        for name, value in list(module.__dict__.items()):
            if not name.startswith("__"):
                names[name] = "class" if isinstance(value, type) else (
                    "function" if callable(value) else type(value).__name__[:40])
        return {"ok": True, "cells": report, "names": names}

    def reseed(self, offset: int = 0) -> None:
        seed = (self.base_seed + offset) % (2**32)
        random.seed(seed)
        np.random.seed(seed)
        if self.torch is not None:
            self.torch.manual_seed(seed)

    def describe(self, exc: BaseException) -> dict:
        """The exception with a traceback restricted to the submission's own frames."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in self.filenames]
        lines = [f'  {f.filename}, line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}' for f in frames]
        if isinstance(exc, SyntaxError) and exc.filename in self.filenames:
            lines.append(f"  {exc.filename}, line {exc.lineno}\n    {(exc.text or '').rstrip()}")
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001 - a hostile __str__
            message = "<unprintable>"
        text = "\n".join(lines)
        return {
            "type": type(exc).__name__[:100],
            "message": message[:2000],
            "traceback": text[-MAX_TRACEBACK_CHARS:],
        }

    # ------------------------------------------------------------ requests
    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "call":
            return self.op_call(request)
        if op == "task":
            return self.op_task(request)
        if op == "release":
            for hid in request.get("ids", []):
                self.handles.pop(hid, None)
            return {"ok": True, "value": None}
        raise wire.WireError(f"unknown op {op!r}")

    def op_call(self, request: dict) -> dict:
        target = request["target"]
        if isinstance(target, str):
            if not hasattr(self.module, target):
                return {"ok": False, "missing": target, "error": {
                    "type": "NameError", "message": f"name '{target}' is not defined", "traceback": ""}}
            fn = getattr(self.module, target)
        else:
            fn = self.decode(target)
        method = request.get("method")
        if method is not None:
            fn = getattr(fn, method)
        args = self.decode(request.get("args", []))
        kwargs = self.decode(request.get("kwargs", {"$dict": {}}))
        return self.invoke(fn, args, kwargs, request)

    def op_task(self, request: dict) -> dict:
        name = request["name"]
        if name not in self.tasks:
            raise wire.WireError(f"unknown task {name!r}")
        kwargs = self.decode(request.get("kwargs", {"$dict": {}}))
        return self.invoke(self.tasks[name], [self.module], kwargs, request)

    def invoke(self, fn, args, kwargs, request) -> dict:
        self.reseed(int(request.get("seed", 0)))
        before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            return {"ok": False, "error": self.describe(exc)}
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        reply = {"ok": True, "value": self.encode(value), "cpu_s": cpu}
        if request.get("echo"):
            reply["args_after"] = self.encode(list(args))
            reply["kwargs_after"] = self.encode(dict(kwargs))
        return reply


def apply_limits(spec: str) -> None:
    """Resource limits, set before any submission code runs (name=value,... in bytes/s/count)."""
    names = {"cpu": resource.RLIMIT_CPU, "as": resource.RLIMIT_AS, "fsize": resource.RLIMIT_FSIZE,
             "nproc": resource.RLIMIT_NPROC, "nofile": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE}
    if hasattr(resource, "RLIMIT_MSGQUEUE"):
        names["msgqueue"] = resource.RLIMIT_MSGQUEUE
    for item in filter(None, spec.split(",")):
        name, value = item.split("=")
        if name not in names:
            continue
        limit = int(value)
        # the soft CPU limit sends SIGXCPU, the hard one a second later SIGKILL
        soft, hard = (limit, limit + 1) if name == "cpu" else (limit, limit)
        current = resource.getrlimit(names[name])[1]
        if current != resource.RLIM_INFINITY and hard > current:  # never above what we were given
            soft, hard = min(soft, current), current
        try:
            resource.setrlimit(names[name], (soft, hard))
        except (ValueError, OSError):
            if sys.platform.startswith("linux"):
                raise
            # macOS refuses some limits (e.g. RLIMIT_AS); the others still apply


def preload(names):
    """Import the preloaded modules (torch on one thread, deterministic); returns torch or None.

    The same in a fresh child (in `Child.setup`) and in the fork server (before any fork)."""
    torch = None
    for name in names:
        if name == "torch":
            import torch

            torch.set_num_threads(1)
            torch.use_deterministic_algorithms(True, warn_only=True)
        else:
            __import__(name)
    return torch


def run(fd_in: int, fd_out: int, limits: str) -> None:
    """Everything the child does once Python is running: limits, set-up, the requests."""
    apply_limits(limits)
    child = Child(fd_in, fd_out)
    child.send({"ok": True, "ready": True})
    try:
        reply = child.setup(child.read())
    except BaseException as exc:  # noqa: BLE001
        reply = {"ok": False, "error": child.describe(exc)}
    child.send(reply)
    while True:
        try:
            request = child.read()
        except EOFError:
            break
        try:
            reply = child.handle(request)
        except BaseException as exc:  # noqa: BLE001 - report, keep serving
            reply = {"ok": False, "error": child.describe(exc)}
        try:
            child.send(reply)
        except wire.WireError as exc:
            child.send({"ok": False, "error": {"type": "ResultNotSendable", "message": str(exc)[:2000],
                                               "traceback": ""}})
    os._exit(0)


# ---------------------------------------------------------------- the fork server
#
# `python -s -B child.py --forkserver FD MODULES` is a long-lived, trusted process of the
# grader (graders/sandbox/forkserver.py is the grader's side; docs/security.md says what
# holds). It runs this file's top level and `preload(MODULES)` -- exactly what a fresh child
# has run when it is about to read its init message -- and then only waits for requests on
# the Unix socket FD. It never parses a request: it passes the bytes and the sandbox's three
# pipe ends (SCM_RIGHTS) on to a *spare*, and answers with the spare's pid. No submission
# code, task file or sandbox message ever reaches it.
#
# A spare is a copy of the server made ahead of time, while the server is idle: the server
# forks an intermediate that forks the spare and exits at once, so the spare is re-parented
# to the grader (a child subreaper, see reaper.py) and is the grader's own child, like a
# fresh one. It waits for one request, then becomes the sandbox's process (`_become_sandbox`:
# new session, /dev/null on stdin, the output pipe on stdout/stderr, every other descriptor
# closed, its directory and environment) and runs `run()`, the same code as a fresh child
# from its first line on. The server then forks the next spare. A sandbox thus waits for no
# fork at all; when requests come faster than spares, it waits for one.

_SERVER_MODULES = None  # sys.modules right after the preload: what a fresh child has then
_SERVER_STATE = None  # what the preload derived from the server's directory (see _derived_state)
PR_SET_DUMPABLE = 4
REQUEST_BYTES = 1 << 16


def _prctl(option: int, value: int) -> None:
    if isolation.LIBC is not None:
        isolation.LIBC.prctl(option, value, 0, 0, 0)


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


def serve(sock_fd: int, modules) -> None:
    """The fork server's loop (see above); exits when the grader closes its end."""
    global _SERVER_MODULES, _SERVER_STATE
    # non-dumpable: processes of the same user (a sandbox without Landlock) cannot ptrace it or
    # open its /proc/<pid>/mem; a sandbox's process turns this back on (like a fresh one)
    _prctl(PR_SET_DUMPABLE, 0)
    try:
        env_before = dict(os.environ)
        preload(modules)
        _SERVER_MODULES = set(sys.modules)
        _SERVER_STATE = _derived_state(os.path.realpath(os.getcwd()), env_before)
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
        run(fd_in, fd_out, request["limits"])
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


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--forkserver":
        serve(int(sys.argv[2]), [m for m in sys.argv[3].split(",") if m] if len(sys.argv) > 3 else [])
        return
    run(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "")


if __name__ == "__main__":
    main()
