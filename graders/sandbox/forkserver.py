"""The grader's side of the fork server: sandbox processes in milliseconds, not seconds.

Starting a sandbox's process is mostly Python's start-up and the preload: `import numpy`
(about 0.3 s) and `import torch` (2 s or more). A fork server is a long-lived, trusted
process of the grader, started lazily once per grader process and per preload set, that
has run `child.py`'s top level and imported the preload (torch on one thread) and nothing
else. On request, a copy of it becomes the sandbox's process and does exactly what a fresh
child does from that point on (limits, set-up, isolation layers, the submission). The
server's end is `forkserver_server.py` (started through `child.py`); what holds and why:
docs/security.md ("The fork server").

* The server is started like a fresh child (`python -s -B child.py --forkserver FD MODULES`:
  its own session, stdin on /dev/null, the sandboxes' fixed environment with
  `PYTHONHASHSEED=0`, no directory), never forked from the grader, so it holds none of the
  grader's state (answer keys, hidden data). It only reads requests from the grader over a
  private `socketpair`: the sandbox's directory, environment and limits (which it does not
  even parse) and the child's three pipe ends (`SCM_RIGHTS`). No submission code, task file
  or sandbox message ever reaches it, and it is not dumpable (no ptrace, no /proc/<pid>/mem
  for processes of its user).
* The process that becomes the sandbox's is a *spare*: a copy of the server forked ahead of
  time through an intermediate that exits at once, so that it is re-parented to the grader
  (a child subreaper) and is the grader's own child, like a fresh one. The grader waits for
  it with `waitpid` (`ForkedProcess`, a `Popen` look-alike), its zombie keeps its pid until
  the grader reaps it, and `reaper.py` finds and kills it and everything it started exactly
  as for a fresh child. The server announces each spare ("spare" notices) so that the grader
  also reaps the one left unused when the server ends.
* Used only on Linux, when the grader is a subreaper, for preloads made of `MODULES`
  (NumPy, torch: they keep no state derived from the environment or the directory), and
  only while the server has a single thread (fork copies only the calling thread; with
  `OMP_NUM_THREADS=1` set before `import torch` and `set_num_threads(1)`, torch starts none
  at import; the server checks before every fork). Anything else, `DLGRADE_FORKSERVER=0`,
  `Sandbox(forkserver=False)`, or a server that cannot start, dies or fails to fork (three
  times per preload set and grader process at most): a fresh interpreter, as before
  (`Sandbox.launcher` says which, `Sandbox.launch_note` why).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from graders.sandbox import reaper

MODULES = frozenset({"numpy", "torch"})
START_TIMEOUT_S = 180.0
SPAWN_TIMEOUT_S = 30.0
MAX_FAILURES = 3  # per preload set and grader process; then fresh interpreters only
REQUEST_BYTES = 1 << 16  # as in forkserver_server.py
LINUX = sys.platform.startswith("linux")


class ForkServerError(Exception):
    """The fork server could not start, or could not fork a sandbox."""


def requested() -> bool:
    """Whether the environment leaves the fork server on (DLGRADE_FORKSERVER=0 turns it off)."""
    return os.environ.get("DLGRADE_FORKSERVER", "").strip().lower() not in ("0", "false", "no", "off")


def disabled_reason(preload, honour_env: bool = True) -> str | None:
    """Why a sandbox with this preload gets a fresh interpreter (None: it may be forked)."""
    if honour_env and not requested():
        return "DLGRADE_FORKSERVER=0"
    if not LINUX:
        return "the fork server is used on Linux only"
    if not hasattr(socket, "send_fds"):
        return "Python < 3.9 (no socket.send_fds)"
    extra = sorted(set(preload) - MODULES)
    if extra:
        return f"preload {', '.join(extra)} is not one the fork server holds"
    if not reaper.become_subreaper():
        return "the grader could not become a child subreaper"
    return None


class ForkedProcess:
    """A sandbox's process forked by the server: the grader's child, waited for like a Popen."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:  # reaped elsewhere: its status is lost
                    self.returncode = -9
                else:
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"sandbox process {self.pid}", timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.01)
        return self.returncode


class _Drain(threading.Thread):
    """Keeps the last few KB of the server's stderr (shown when it fails to start)."""

    def __init__(self, fd: int, cap: int = 8192):
        super().__init__(daemon=True)
        self.fd, self.cap, self.data = fd, cap, b""

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.data = (self.data + chunk)[-self.cap:]
        os.close(self.fd)


class ForkServer:
    """One fork server process (see the module docstring)."""

    def __init__(self, python: str, preload, child: str, env: dict[str, str]):
        self.python, self.preload = python, tuple(preload)
        self.child, self.env = child, env
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.pid: int | None = None
        self.lock = threading.RLock()
        self.forks = 0
        self.start_s: float | None = None
        self.spares: set[int] = set()  # spares it announced and no sandbox became (ours to reap)
        self.home: str | None = None
        self._stderr: _Drain | None = None

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        t0 = time.monotonic()
        # its HOME, TMPDIR and cwd, like a sandbox's directory (the preload may derive paths from
        # them, e.g. torch's cache directory: forkserver_server.py rebases those onto each
        # sandbox's); in the system's temporary directory, never in a directory some caller chose
        # for sandboxes
        self.home = os.path.realpath(tempfile.mkdtemp(prefix="dlgrade-forkserver-", dir=_system_tmp()))
        env = dict(self.env, HOME=self.home, TMPDIR=self.home)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        err_r, err_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [self.python, "-s", "-B", self.child, "--forkserver", str(theirs.fileno()),
                 ",".join(self.preload)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_w,
                pass_fds=(theirs.fileno(),), cwd=self.home, env=env, start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            ours.close()
            os.close(err_r)
            shutil.rmtree(self.home, ignore_errors=True)
            raise
        finally:
            theirs.close()
            os.close(err_w)
        reaper.register(self.proc.pid)  # the grader's child, never taken for a sandbox's orphan
        self.sock = ours
        self._stderr = _Drain(err_r)
        self._stderr.start()
        try:
            hello = self._receive(timeout, "starting")
            if not hello.get("ok"):
                raise ForkServerError(f"the fork server could not preload {self.preload}: {hello.get('error')}")
            if hello.get("threads") != 1:
                raise ForkServerError(f"the fork server has {hello.get('threads')} threads after the preload "
                                      "(forking it would not be safe)")
            self.pid = int(hello["pid"])
        except BaseException:
            self.close()
            raise
        self.start_s = time.monotonic() - t0

    @property
    def alive(self) -> bool:
        return self.sock is not None and self.proc is not None and self.proc.poll() is None

    def spawn(self, fds, workdir: str, env: dict[str, str], limits: str) -> ForkedProcess:
        """A sandbox's process with these pipe ends (fd_in, fd_out, output), directory,
        environment and limits, in the state of a fresh child whose Python has started;
        returned once it is the grader's child."""
        request = json.dumps({"workdir": workdir, "env": env, "limits": limits}).encode()
        if len(request) > REQUEST_BYTES:
            raise ForkServerError("the request is too large for the fork server")
        with self.lock:
            if self.sock is None:
                raise ForkServerError("the fork server is closed")
            try:
                socket.send_fds(self.sock, [request], list(fds))
            except OSError as exc:
                self.close()
                raise ForkServerError(f"the fork server is gone ({exc})") from None
            reply = self._receive(SPAWN_TIMEOUT_S, "forking")
            if not reply.get("ok") or not isinstance(reply.get("pid"), int):
                raise ForkServerError(f"the fork server could not fork: {reply.get('error')}")
            pid = reply["pid"]
            self.spares.discard(pid)
        proc = ForkedProcess(pid)
        if _parent(pid) != os.getpid():  # not ours to wait for: never used
            reaper.kill_sandbox(pid)
            raise ForkServerError("the forked process is not the grader's child")
        self.forks += 1
        return proc

    def _receive(self, timeout: float, what: str) -> dict:
        """The next answer of the server (its notices of new spares are noted on the way)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise ForkServerError(f"the fork server timed out while {what}")
            ready, _, _ = select.select([self.sock], [], [], min(left, 0.5))
            if ready:
                message = self._read_message()
                if message is None:
                    break
                if set(message) == {"spare"}:
                    self.spares.add(int(message["spare"]))
                    continue
                return message
            elif self.proc.poll() is not None:
                break
        self.close()
        raise ForkServerError(f"the fork server ended while {what}: {self.stderr()[-1000:]}".rstrip(": "))

    def read_notices(self, timeout: float = 0.0) -> set[int]:
        """Read the server's pending notices of new spares (waiting up to `timeout` for one);
        returns the spares known now."""
        with self.lock:
            deadline = time.monotonic() + timeout
            while self.sock is not None:
                ready, _, _ = select.select([self.sock], [], [], max(deadline - time.monotonic(), 0))
                if not ready:
                    break
                message = self._read_message()
                if message is None or set(message) != {"spare"}:
                    break  # (only notices arrive between requests)
                self.spares.add(int(message["spare"]))
                deadline = time.monotonic()
            return set(self.spares)

    def _read_message(self) -> dict | None:
        try:
            data = self.sock.recv(1 << 16)
            message = json.loads(data) if data else None
        except (OSError, ValueError):
            return None
        return message if isinstance(message, dict) else None

    def stderr(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.join(timeout=0.5)
        return self._stderr.data.decode("utf-8", "replace").strip()

    def close(self) -> None:
        """End the server and its unused spare, and reap them.

        Shutting down the grader's side of the socket ends the server's loop; the server then
        closes its spare's socket and exits, and the spare (the grader's child) exits too.
        Their last notices are read first, so every spare is known and reaped.
        """
        with self.lock:
            sock, self.sock = self.sock, None
            proc, self.proc = self.proc, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([sock], [], [], max(deadline - time.monotonic(), 0))
                    if not ready:
                        break
                    data = sock.recv(1 << 16)
                    if not data:
                        break
                    try:
                        message = json.loads(data)
                        if isinstance(message, dict) and set(message) == {"spare"}:
                            self.spares.add(int(message["spare"]))
                    except (ValueError, TypeError):
                        pass
            except OSError:
                pass
            sock.close()
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            reaper.unregister(proc.pid)
        for pid in list(self.spares):
            self.spares.discard(pid)
            _reap_spare(pid)
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def _reap_spare(pid: int) -> None:
    """Wait for an unused spare (it exits once the server's socket is closed); kill it if not."""
    deadline = time.monotonic() + 5
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.002)
    if not done and _parent(pid) == os.getpid():
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass


def _system_tmp() -> str | None:
    """The system's temporary directory, from the environment (not tempfile's cached choice)."""
    for d in (os.environ.get("TMPDIR"), os.environ.get("TEMP"), os.environ.get("TMP"), "/tmp", "/var/tmp"):
        if d and os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK):
            return d
    return None


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rfind(b")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


# ---------------------------------------------------------------- one server per preload set

_LOCK = threading.Lock()
_SERVERS: dict[tuple, ForkServer] = {}
_STARTING: dict[tuple, threading.Lock] = {}
_FAILURES: dict[tuple, int] = {}
_LAST_ERROR: dict[tuple, str] = {}


def get(python: str, preload, child: str, env: dict[str, str]) -> tuple[ForkServer | None, str | None]:
    """The running server for (python, preload), started if needed; (None, why) when there is
    none to use (the caller then starts a fresh interpreter)."""
    key = (python, tuple(preload))
    with _LOCK:
        starting = _STARTING.setdefault(key, threading.Lock())
    with starting:  # one thread starts it; the others wait for it rather than start their own
        with _LOCK:
            server = _SERVERS.get(key)
        if server is not None and not server.alive:  # it died (or was killed): counts as a failure
            failed(server, "the fork server ended unexpectedly: " + (server.stderr()[-500:] or "no message"))
            server = None
        if server is not None:
            return server, None
        with _LOCK:
            if _FAILURES.get(key, 0) >= MAX_FAILURES:
                return None, f"the fork server failed {MAX_FAILURES} times; last: {_LAST_ERROR.get(key)}"
        server = ForkServer(python, preload, child, env)
        try:
            server.start()
        except (ForkServerError, OSError) as exc:
            failed(server, str(exc))
            return None, str(exc)
        with _LOCK:
            _SERVERS[key] = server
        return server, None


def failed(server: ForkServer, reason: str) -> None:
    """Count a failure of this server's preload set and retire the server."""
    key = (server.python, server.preload)
    with _LOCK:
        _FAILURES[key] = _FAILURES.get(key, 0) + 1
        _LAST_ERROR[key] = reason
        if _SERVERS.get(key) is server:
            _SERVERS.pop(key)
    server.close()


def server_pids() -> list[int]:
    """The pids of this grader's running servers (the sandboxes' seccomp filter protects them)."""
    with _LOCK:
        return [s.pid for s in _SERVERS.values() if s.pid is not None and s.alive]


def servers() -> dict[tuple, ForkServer]:
    with _LOCK:
        return dict(_SERVERS)


def shutdown() -> None:
    """End every server of this grader process (at exit; tests)."""
    with _LOCK:
        running = list(_SERVERS.values())
        _SERVERS.clear()
        _FAILURES.clear()
        _LAST_ERROR.clear()
    for server in running:
        server.close()


def _after_fork_in_child() -> None:
    """A forked copy of the grader must not share its parent's servers (or their locks)."""
    global _LOCK, _SERVERS, _STARTING, _FAILURES, _LAST_ERROR
    _LOCK = threading.Lock()
    _SERVERS, _STARTING, _FAILURES, _LAST_ERROR = {}, {}, {}, {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(shutdown)
