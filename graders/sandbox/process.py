"""The grader's side of the sandbox: start, talk to, and kill a submission's process.

`Sandbox` starts `child.py` in a new session (its own process group), in a fresh
temporary directory, with stdin on /dev/null, a clean environment and resource limits
on CPU time, address space, file size, open files and process count. Requests and
replies go over two private pipes; stdout and stderr go to a third pipe that a thread
drains into a capped buffer (shown to the student, never parsed). When the grade is
done, a call runs over time, or anything goes wrong, every process of the sandbox is
killed (its process group, its process tree, its orphans, its uid and its cgroups: see
`reaper.py`) and the temporary directory is removed.

Before the submission's first line runs, the child applies the operating-system
isolation of `isolation.py` (Landlock, seccomp; in autograder mode as root also a new
network and mount namespace and an unprivileged user of its own). Autograder mode is
`Sandbox(..., isolation="autograder")`: the mode is an argument, never read from the
environment here (the front doors read DLGRADE_AUTOGRADER once and pass it down).
What holds in each mode and on each platform: docs/security.md.

The child's process is either a fresh interpreter (`python -s -B child.py ...`) or, when
the preload allows it, forked by a fork server that has already imported the preload
(`forkserver.py`; off with DLGRADE_FORKSERVER=0 or `Sandbox(forkserver=False)`). From the
point where a fresh child would read its init message, both run the same code in the same
state; `Sandbox.launcher` says which one started it.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.sandbox import forkserver, reaper, wire
from graders.sandbox.environment import (DEFAULT_ISOLATION, ISOLATION_MODES, child_environment, hidden_paths,
                                         readable_paths, sandbox_uid, server_environment, skipped_layers)
from graders.sandbox.errors import CallTimeout, ProtocolError, SandboxCrashed, StudentError
from graders.sandbox.limits import Limits
from graders.sandbox.output import OutputCapture
from graders.sandbox.workdir import disk_usage, remove_tree

CHILD = Path(__file__).with_name("child.py")
BLOCKED_MODULES = ("graders", "reference", "student_templates", "dlgrade.cli")


class Sandbox:
    """One sandboxed process running one submission.

    cells: [(label, source), ...], run in order as module `submission`.
    preload: modules imported before the submission ("numpy", "torch").
    tasks: paths of task files (trusted code loaded before the submission).
    isolation: "default" (the default, whatever the environment says) or "autograder" (see
        docs/security.md for what each mode holds on each platform).
    hide: more paths the submission may not read (besides `hidden_paths()`): e.g. a batch's
        class folder.
    forkserver: fork the process from a server that has imported the preload (True), or
        start a fresh interpreter (False); None: the fork server unless DLGRADE_FORKSERVER=0.
        Where the fork server cannot be used, a fresh interpreter starts; `launcher` says
        which ("forkserver" or "fresh") and `launch_note` why not the fork server.
    """

    def __init__(self, cells, *, preload=("numpy",), tasks=(), limits: Limits = Limits(),
                 seed: int = 0, python: str | None = None, isolation: str = DEFAULT_ISOLATION,
                 hide=(), forkserver: bool | None = None):
        self.cells = [(str(label), str(source)) for label, source in cells]
        self.preload = list(preload)
        self.tasks = [str(p) for p in tasks]
        self.limits = limits
        self.seed = seed
        self.python = python or sys.executable
        self.mode = isolation
        if self.mode not in ISOLATION_MODES:
            raise ValueError(f"unknown isolation mode {self.mode!r}")
        self.hide = [str(p) for p in hide]
        self.proc: subprocess.Popen | None = None
        self.workdir: str | None = None
        self.output: OutputCapture | None = None
        self.load_report: dict | None = None
        self.dead_reason: str | None = None
        self.isolation: dict = {}
        self.uid: int | None = None
        self.cgroup: reaper.Cgroup | None = None
        self._next_disk_check = 0.0
        self.forkserver = forkserver
        self.launcher: str | None = None
        self.launch_note: str | None = None

    # ------------------------------------------------------------ life cycle
    def start(self) -> dict:
        """Start the process and run the submission; returns the child's load report.

        When it raises, everything it started is gone already (process, directory): a caller
        that never reaches `close` leaves nothing behind."""
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> dict:
        self.workdir = os.path.realpath(tempfile.mkdtemp(prefix="dlgrade-sandbox-"))
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        gid = None
        if self.mode == "autograder" and root and sys.platform.startswith("linux"):
            self.uid, gid = sandbox_uid()
            os.chown(self.workdir, self.uid, gid)
        reaper.become_subreaper()
        skip = skipped_layers()
        server = self._fork_server()  # may take as long as a fresh start, the first time
        deadline = None
        if server is not None:
            try:
                deadline = self._launch(server, root and "cgroup" not in skip)
            except (forkserver.ForkServerError, SandboxCrashed) as exc:
                # nothing of the submission has run yet: never its fault; a fresh interpreter instead
                forkserver.failed(server, f"{type(exc).__name__}: {exc}")
                self.launch_note = f"the fork server failed ({exc}); a fresh interpreter started"
                self._discard_process()
        if deadline is None:
            deadline = self._launch(None, root and "cgroup" not in skip)
        self._send({
            "preload": self.preload,
            "tasks": self.tasks,
            "cells": [[label, source] for label, source in self.cells],
            "blocked_modules": list(BLOCKED_MODULES),
            "seed": self.seed,
            "isolation": {
                "mode": self.mode,
                "workdir": self.workdir,
                "hide": hidden_paths(self.mode) + self.hide,
                "readable": readable_paths(),
                "uid": self.uid,
                "gid": gid,
                "namespaces": self.mode == "autograder" and root,
                "disk_kb": self.limits.disk_mb * 1024,
                "processes": self.limits.processes,
                "grader_pid": os.getpid(),
                "grader_pgid": os.getpgrp(),
                "protect_pids": forkserver.server_pids(),
                "skip": skip,
            },
        })
        self.load_report = self._receive(deadline, "running your code's top level")
        isolation = self.load_report.get("isolation")
        self.isolation = isolation if isinstance(isolation, dict) else {}
        if self.cgroup is not None:
            self.isolation["cgroup"] = self.cgroup.describe()
        self.isolation["launcher"] = self.launcher
        if not self.load_report.get("ok"):
            raise SandboxCrashed("the sandbox could not start: " + str(self.load_report.get("error")))
        return self.load_report

    def _launch(self, server, cgroup: bool) -> float:
        """Start the child's process (forked by `server`, or a fresh interpreter when None), put
        it in its cgroup, and wait for its first message; returns the start-up deadline."""
        token = reaper.token()
        env = child_environment(self.workdir, token)
        spec = self.limits.spec()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            with reaper.LOCK:  # registered before any other thread's reaper can see it
                if server is not None:
                    self.proc = server.spawn((req_r, rep_w, out_w), self.workdir, env, spec)
                    self.launcher = "forkserver"
                else:
                    self.proc = subprocess.Popen(
                        [self.python, "-s", "-B", str(CHILD), str(req_r), str(rep_w), spec],
                        stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                        pass_fds=(req_r, rep_w), cwd=self.workdir, env=env,
                        start_new_session=True, close_fds=True,
                    )
                    self.launcher = "fresh"
                reaper.register(self.proc.pid)
        except BaseException as exc:
            # (a process the server may still have forked gets EOF on its pipes and exits)
            for fd in (req_w, rep_r, out_r):
                os.close(fd)
            if server is None or not isinstance(exc, forkserver.ForkServerError):
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = None
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
            os.close(out_w)
        self._req, self._rep = req_w, rep_r
        self.output = OutputCapture(out_r, self.limits.output_kb * 1024)
        self.output.start()
        if cgroup:
            self.cgroup = reaper.Cgroup.create(f"dlgrade-{token}", self.limits.processes + 16,
                                               self.limits.memory_mb * 1024 * 1024)
            if self.cgroup is not None and not self.cgroup.add(self.proc.pid):
                self.cgroup.remove()
                self.cgroup = None
        deadline = time.monotonic() + self.limits.startup_s
        self._receive(deadline, "starting Python")
        return deadline

    def _discard_process(self) -> None:
        """Forget a process that failed before the submission ran (its output is not shown)."""
        self._end_process()
        self.output = None
        self.dead_reason = None
        self.launcher = None

    def _fork_server(self):
        """The fork server to fork this sandbox's process from, or None (with `launch_note`)."""
        if self.forkserver is False:
            self.launch_note = "Sandbox(forkserver=False)"
            return None
        reason = forkserver.disabled_reason(self.preload, honour_env=self.forkserver is None)
        if reason is None:
            server, reason = forkserver.get(self.python, self.preload, str(CHILD), server_environment())
            if server is not None:
                return server
        self.launch_note = reason
        return None

    def close(self) -> None:
        """Kill every process of the sandbox and remove the temporary directory."""
        self._end_process()
        if self.workdir:
            remove_tree(self.workdir)
            self.workdir = None

    def _end_process(self) -> None:
        """The one teardown of a sandbox's process: close its pipes, kill everything it started,
        let the output reader finish, remove its cgroup (the work directory stays)."""
        if self.proc is not None:
            for fd in (self._req, self._rep):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._kill_all()
            if self.output is not None:
                self.output.join(timeout=2)
            self.proc = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def _kill_all(self) -> None:
        """SIGKILL the process group, tree, orphans, uid and cgroup; reap the main process."""
        proc = self.proc
        if proc is None:
            return
        reaper.kill_sandbox(proc.pid, self.uid, self.cgroup)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # the main process is gone now, so its pid can no longer be confused with a sandbox's
        reaper.unregister(proc.pid)
        reaper.kill_sandbox(None, self.uid, self.cgroup)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.dead_reason is None and self.proc.poll() is None

    def captured_output(self) -> str:
        if self.output is None:
            return ""
        self.output.settle()
        return self.output.text()

    # ------------------------------------------------------------ requests
    def call(self, target, *args, timeout: float = 10.0, echo: bool = False, seed: int = 0,
             method: str | None = None, **kwargs):
        """Call `target(*args, **kwargs)` in the sandbox and return the decoded result.

        target: a contract function's name, or a `wire.Handle` (with `method`).
        echo: also return the arguments as they are after the call
            (returns (value, args_after, kwargs_after)).
        Raises StudentError when the submission raised, CallTimeout / SandboxCrashed when
        the process had to be killed or died. Handles among the arguments are passed back
        as the objects they stand for. (`invoke` takes args and kwargs as a tuple and a
        dict, for keyword arguments named like this method's own: seed, timeout, ...)
        """
        return self.invoke(target, args, kwargs, timeout=timeout, echo=echo, seed=seed, method=method)

    def invoke(self, target, args=(), kwargs=None, *, timeout: float = 10.0, echo: bool = False,
               seed: int = 0, method: str | None = None):
        """`call` with the function's arguments given as a tuple and a dict."""
        kwargs = dict(kwargs or {})
        encoded_target = target if isinstance(target, str) else wire.encode(wire.Ref(target))
        request = {
            "op": "call", "target": encoded_target, "method": method,
            "args": wire.encode(list(args)), "kwargs": wire.encode(dict(kwargs)),
            "echo": echo, "seed": seed,
        }
        what = f"{target if isinstance(target, str) else target.type}{'.' + method if method else ''}"
        reply = self._request(request, timeout, what)
        return self._unwrap(reply, echo, (len(args), sorted(kwargs)))

    def task(self, name: str, *, timeout: float = 60.0, seed: int = 0, **kwargs):
        """Run a trusted task function with the submission's module (see tasks.py files)."""
        return self.run_task(name, kwargs, timeout=timeout, seed=seed)

    def run_task(self, name: str, kwargs=None, *, timeout: float = 60.0, seed: int = 0):
        """`task` with the task's keyword arguments given as a dict."""
        kwargs = dict(kwargs or {})
        request = {"op": "task", "name": name, "kwargs": wire.encode(dict(kwargs)), "seed": seed}
        return self._unwrap(self._request(request, timeout, f"task {name}"), False)

    def _request(self, request: dict, timeout: float, what: str) -> dict:
        if not self.alive:
            raise SandboxCrashed(self.dead_reason or "the sandbox is not running")
        self._send(request)
        return self._receive(time.monotonic() + timeout, what)

    def _unwrap(self, reply: dict, echo: bool, sent=None):
        """The reply's value (and with echo the arguments as they came back, which must have
        the shape of `sent`: (number of positional arguments, keyword names))."""
        if not reply.get("ok"):
            err = reply.get("error") or {}
            if not isinstance(err, dict):
                raise ProtocolError("malformed error reply")
            raise StudentError(str(err.get("type", "Error")), str(err.get("message", "")),
                               str(err.get("traceback", "")), missing=reply.get("missing"))
        budget = wire.ArrayBudget(wire.REPLY_CAPS.max_array_bytes)  # one for the whole reply
        try:
            value = wire.decode(reply.get("value"), budget=budget)
            if echo:
                args_after = wire.decode(reply.get("args_after"), budget=budget)
                kwargs_after = wire.decode(reply.get("kwargs_after"), budget=budget)
                if (type(args_after) is not list or type(kwargs_after) is not dict or sent is not None
                        and (len(args_after), sorted(kwargs_after)) != sent):
                    raise wire.WireError("the arguments sent back do not match the ones sent")
                return value, args_after, kwargs_after
        except wire.WireError as exc:
            self._die(f"the sandbox sent a malformed value ({exc})")
            raise ProtocolError(str(exc)) from exc
        return value

    # ------------------------------------------------------------ transport
    def _send(self, message: dict) -> None:
        data = wire.pack(message, wire.REQUEST_CAPS)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._req, view):]
        except OSError as exc:
            self._die("your code's process ended")
            raise SandboxCrashed(self._death_message()) from exc

    def _receive(self, deadline: float, what: str) -> dict:
        header = self._read_exact(4, deadline, what)
        try:
            n = wire.unpack_length(header)
            return wire.parse(self._read_exact(n, deadline, what))
        except wire.WireError as exc:
            self._die(f"the sandbox sent a malformed message ({exc})")
            raise ProtocolError(str(exc)) from exc

    def _read_exact(self, n: int, deadline: float, what: str) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                self._die(f"timed out while {what}")
                raise CallTimeout(what)
            ready, _, _ = select.select([self._rep], [], [], min(left, 0.5))
            self._check_disk()
            if not ready:
                if self.proc.poll() is not None:
                    self._die(None)
                    raise SandboxCrashed(self._death_message())
                continue
            chunk = os.read(self._rep, min(n - got, 1 << 20))
            if not chunk:
                self._die(None)
                raise SandboxCrashed(self._death_message())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _die(self, reason: str | None) -> None:
        if self.proc is not None:
            if reason is None:
                # the pipes closed: give the main process (outside the PID namespace, it waits
                # for the sandbox's) a moment to end as the sandbox's process ended
                try:
                    self.proc.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            self._kill_all()
        self.dead_reason = reason or self._death_message()

    def _check_disk(self) -> None:
        """Kill the sandbox when its directory holds more than `disk_mb` (or 10,000 entries)."""
        now = time.monotonic()
        if now < self._next_disk_check or not self.workdir:
            return
        self._next_disk_check = now + 0.5
        used, entries = disk_usage(self.workdir, 10_000)
        if used > self.limits.disk_mb * 1024 * 1024 or entries >= 10_000:
            self._die(f"your code wrote more than {self.limits.disk_mb} MB (or 10,000 files) "
                      "into its temporary directory")
            raise SandboxCrashed(self.dead_reason)

    def _death_message(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return "your code's process stopped answering"
        if code < 0:
            sig = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            hints = {
                "SIGXCPU": "it used up its CPU time limit",
                "SIGKILL": "it was killed (over its CPU or memory limit, or over time)",
                "SIGSEGV": "it crashed (segmentation fault; often memory exhausted)",
                "SIGXFSZ": "it wrote a file larger than allowed",
            }
            return f"your code's process was ended by {sig}: {hints.get(sig, 'a signal')}"
        return f"your code's process exited with status {code} (sys.exit or os._exit?)"
