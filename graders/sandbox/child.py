"""The sandboxed side: runs a submission and answers the grader's requests.

Started by `graders.sandbox.process.Sandbox` as `python -s -B child.py FD_IN FD_OUT LIMITS` under
resource limits, in its own process group and temporary directory, with stdin on
/dev/null -- or forked, in that same state, by the fork server (`child.py --forkserver`,
`forkserver_server.py`), which has already run this file's top level and the preload.
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
import signal  # noqa: F401 - forkserver_server.py uses it: a fresh child imports it too, as a forked one has
import sys
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
    sys.path.pop(0)  # the grader's own folder is not importable from the sandbox
SUBMISSION_NAME = "submission"
MAX_TRACEBACK_CHARS = 4000
# this folder's modules, loaded by path (below); removed from sys.modules before the submission
PRIVATE_MODULES = ("_dlgrade_wire", "_dlgrade_libc", "_dlgrade_landlock", "_dlgrade_seccomp", "_dlgrade_namespaces",
                   "_dlgrade_isolation")


def _load(name: str, filename: str):
    """A module of this folder, loaded by path under a private name (`graders` cannot be
    imported here). It stays in sys.modules, where the modules loaded after it find it (the
    isolation layers find `libc`), until the set-up removes it before the submission runs."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# all loaded now: once the isolation layers apply, Landlock may hide this folder
wire = _load("_dlgrade_wire", "wire.py")
libc = _load("_dlgrade_libc", "libc.py")  # (what isolation.py's layers share)
_load("_dlgrade_landlock", "landlock.py")
_load("_dlgrade_seccomp", "seccomp.py")
_load("_dlgrade_namespaces", "namespaces.py")
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
        return wire.parse(self._read_exact(wire.unpack_length(header, wire.REQUEST_CAPS)), wire.REQUEST_CAPS)

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
        return wire.decode(data, self.resolve_ref, self.resolve_callable,
                           budget=wire.ArrayBudget(wire.REQUEST_CAPS.max_array_bytes))

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
        for name in PRIVATE_MODULES:
            sys.modules.pop(name, None)
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
            # the CPU generator, as torch.manual_seed seeds it, and an accelerator only once in
            # use: torch.manual_seed also queues a seed for each accelerator not yet started,
            # formatting the call stack each time (about 0.4 ms per call of a step-by-step
            # evaluation); one not yet started starts from its own fixed seed
            self.torch.default_generator.manual_seed(seed)
            cuda = getattr(self.torch, "cuda", None)
            if cuda is not None and cuda.is_initialized():
                cuda.manual_seed_all(seed)

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


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--forkserver":  # the fork server: forkserver_server.py
        server = _load("_dlgrade_forkserver_server", "forkserver_server.py")
        modules = [m for m in sys.argv[3].split(",") if m] if len(sys.argv) > 3 else []
        server.serve(int(sys.argv[2]), modules, preload, run, libc.LIBC)
        return
    run(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "")


if __name__ == "__main__":
    main()
