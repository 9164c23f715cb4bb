"""The fork server survives hostile children, falls back cleanly, and holds no trace of any submission.

The server is checked to survive children that crash, exit, fork-bomb, loop or try to
kill it, to serve parallel threads, to keep nothing a submission did, and to give way to a
fresh interpreter when it cannot start or fork; the hostile corpus runs with each launcher.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graders.sandbox import forkserver, process, reaper
from graders.sandbox.errors import CallTimeout, SandboxCrashed
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox
from tests.graders.sandbox import sandboxes
from tests.graders.sandbox.sandboxes import LAUNCHERS, SMALL, maybe_slow, server_for, start

pytestmark = [pytest.mark.skipif(forkserver.disabled_reason(("numpy",), honour_env=False) is not None,
                                 reason="the fork server needs Linux and a child subreaper"),
              pytest.mark.usefixtures("fork_server_on")]



# ---------------------------------------------------------------- the server survives and stays clean

HOSTILE = {
    "segfault": "import ctypes\ndef go():\n    ctypes.string_at(0)\n",
    "abort": "import os\ndef go():\n    os.abort()\n",
    "os_exit": "import os\ndef go():\n    os._exit(3)\n",
    "fork_bomb": ("import os, time\ndef go():\n    for _ in range(500):\n        try:\n            os.fork()\n"
                  "        except OSError:\n            pass\n    time.sleep(30)\n"),
    "infinite_loop": "def go():\n    while True:\n        pass\n",
    "kill_server": ("import os, signal\ndef go(pid):\n    out = []\n    for target in (pid, -pid):\n"
                    "        try:\n            os.kill(target, signal.SIGKILL)\n            out.append('killed')\n"
                    "        except OSError as e:\n            out.append(type(e).__name__)\n    return out\n"),
    "top_level_exit": "import os\nos._exit(0)\n",
}


def test_the_server_survives_children_that_crash_exit_fork_bomb_or_loop():
    with start("def ok():\n    return 1\n", "forkserver") as sb:
        assert sb.call("ok") == 1
    server = server_for()
    pid = server.pid
    for name, code in HOSTILE.items():
        limits = Limits(cpu_s=30, memory_mb=1024, startup_s=20, processes=16, disk_mb=8)
        sb = Sandbox([("submission.py", code)], limits=limits)
        try:
            try:
                sb.start()
            except SandboxCrashed:
                assert name == "top_level_exit"
                continue
            assert sb.launcher == "forkserver"
            if name == "kill_server":
                assert sb.call("go", pid) == ["PermissionError", "PermissionError"]
            else:
                with pytest.raises(SandboxCrashed):
                    sb.call("go", timeout=2)
        finally:
            sb.close()
        assert sandboxes.leftovers() == [], name
        assert server.alive and server.pid == pid and server_for() is server, name
    with start("def ok():\n    return 2\n", "forkserver") as sb:
        assert sb.call("ok") == 2
    assert server_for().pid == pid


def test_the_server_never_holds_what_a_submission_did():
    """Each child is a copy of the server: one that patched NumPy, builtins and its own
    modules, imported more and filled its memory leaves nothing for the next."""
    dirty = """
        import builtins, colorsys, sys
        import numpy as np
        np.LEAKED = True
        np.allclose = lambda *a, **k: True
        builtins.LEAKED = True
        sys.modules["numpy"].random.shuffle = None
        SECRET = "submission-secret-" * 1000
        def ok():
            return "colorsys" in sys.modules
    """
    probe = """
        import builtins, sys
        import numpy as np
        def probe():
            return {"colorsys": "colorsys" in sys.modules, "np": hasattr(np, "LEAKED"),
                    "allclose": np.allclose(1, 2), "builtins": hasattr(builtins, "LEAKED"),
                    "seed": np.random.shuffle is not None, "secret": "SECRET" in globals(),
                    "tasks": [m for m in sys.modules if m.startswith("_dlgrade_tasks")]}
    """
    with start(dirty, "forkserver") as sb:
        assert sb.call("ok") is True
    with start(probe, "forkserver") as sb:
        assert sb.call("probe") == {"colorsys": False, "np": False, "allclose": False, "builtins": False,
                                    "seed": True, "secret": False, "tasks": []}


def test_grades_in_parallel_threads_each_get_their_own_forked_process():
    code = "import os\ndef who(x):\n    return [os.getpid(), os.getcwd(), x * 2]\n"

    # four starts at once on a loaded machine: a wall-clock start-up limit with room to spare
    # (what is tested is one process each, not the limits)
    roomy = Limits(cpu_s=30, memory_mb=1024, startup_s=120, output_kb=16, processes=16, disk_mb=8)

    def one(i):
        with start(code, "forkserver", limits=roomy) as sb:
            _, cwd, value = sb.call("who", i)  # (the pid inside a PID namespace is 1)
            return sb.proc.pid, cwd, value, sb.workdir

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(12)))
    assert [r[2] for r in results] == [2 * i for i in range(12)]
    assert len({r[0] for r in results}) == 12
    assert all(os.path.realpath(r[3]) == r[1] for r in results)
    assert sandboxes.leftovers() == []


@pytest.mark.parametrize("skip", ["", "landlock"], ids=["all layers", "seccomp alone"])
def test_the_seccomp_filter_protects_the_server_from_its_children(skip, monkeypatch):
    monkeypatch.setenv("DLGRADE_ISOLATION_SKIP", skip)
    with start("def ok():\n    return 1\n", "forkserver"):
        pass
    pid = server_for().pid
    with start(HOSTILE["kill_server"], "forkserver") as sb:
        if not sb.isolation.get("seccomp") and not sb.isolation.get("landlock"):
            pytest.skip("neither seccomp nor Landlock on this platform")
        assert sb.call("go", pid) == ["PermissionError", "PermissionError"]
        assert ("landlock" in sb.isolation) == (skip == "")
    assert server_for().alive and server_for().pid == pid


# ---------------------------------------------------------------- fallbacks and clean-up


def test_disabled_by_the_environment_or_the_argument_a_fresh_interpreter_starts(monkeypatch):
    monkeypatch.setenv("DLGRADE_FORKSERVER", "0")
    with Sandbox([("c", "x = 1\n")], limits=SMALL) as sb:
        sb.start()
        assert sb.launcher == "fresh" and sb.launch_note == "DLGRADE_FORKSERVER=0"
    monkeypatch.delenv("DLGRADE_FORKSERVER")
    with Sandbox([("c", "x = 1\n")], limits=SMALL, forkserver=False) as sb:
        sb.start()
        assert sb.launcher == "fresh" and sb.isolation["launcher"] == "fresh"
    with Sandbox([("c", "x = 1\n")], limits=SMALL, preload=("numpy", "json")) as sb:
        sb.start()
        assert sb.launcher == "fresh" and "json" in sb.launch_note


def test_a_server_that_cannot_start_falls_back_to_a_fresh_interpreter(monkeypatch):
    def broken(self, timeout=0):
        raise forkserver.ForkServerError("cannot start (test)")

    key = (sys.executable, ("numpy",))
    forkserver.shutdown()
    monkeypatch.setattr(forkserver.ForkServer, "start", broken)
    try:
        with Sandbox([("c", "def f():\n    return 5\n")], limits=SMALL) as sb:
            sb.start()
            assert sb.launcher == "fresh" and "cannot start (test)" in sb.launch_note
            assert sb.call("f") == 5
        assert forkserver._FAILURES[key] == 1
    finally:
        forkserver.shutdown()


def test_a_forked_process_that_fails_before_the_submission_runs_gives_way_to_a_fresh_one(monkeypatch):
    spawn = forkserver.ForkServer.spawn

    def broken(self, fds, workdir, env, limits):  # the process cannot enter its directory: exits 71
        return spawn(self, fds, "/nonexistent/dlgrade-test", env, limits)

    monkeypatch.setattr(forkserver.ForkServer, "spawn", broken)
    try:
        with Sandbox([("c", "def f():\n    return 7\n")], limits=SMALL) as sb:
            sb.start()
            assert sb.launcher == "fresh" and "fork server failed" in sb.launch_note
            assert sb.call("f") == 7 and "Traceback" not in sb.captured_output()
        assert sandboxes.leftovers() == []
    finally:
        forkserver.shutdown()


def test_a_killed_server_or_spare_is_replaced_and_leaves_no_process():
    with start("def ok():\n    return 1\n", "forkserver"):
        pass
    server = server_for()
    spares = server.read_notices(timeout=10)
    assert spares, "the server announces its spare"
    for spare in spares:  # a killed spare: the server forks another for the request
        os.kill(spare, signal.SIGKILL)
    with start("def ok():\n    return 1\n", "forkserver") as sb:
        assert sb.call("ok") == 1 and server_for() is server
    old = server.pid
    spares |= server.read_notices(timeout=10)
    os.kill(old, signal.SIGKILL)
    time.sleep(0.2)
    with start("def ok():\n    return 1\n", "forkserver") as sb:  # a new server
        assert sb.call("ok") == 1 and server_for().pid != old
    spares |= server_for().read_notices(timeout=10)
    forkserver.shutdown()
    time.sleep(0.1)
    assert not [p for p in spares if os.path.exists(f"/proc/{p}")], "a spare is left (or not reaped)"
    mine = [p for p in os.listdir("/proc") if p.isdigit() and forkserver._parent(int(p)) == os.getpid()]
    for p in mine:
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read()
        except OSError:
            continue
        assert b"--forkserver" not in cmd, f"process {p} of a fork server is left"


def test_a_server_with_more_than_one_thread_refuses_to_fork():
    import importlib.util

    path = process.CHILD.with_name("forkserver_server.py")
    spec = importlib.util.spec_from_file_location("_dlgrade_forkserver_server_threads", path)
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        reply = server._hand_over(None, None, b"{}", [0, 1, 2])
    finally:
        stop.set()
        t.join()
    assert not reply["ok"] and "threads" in reply["error"]


def test_a_call_that_runs_over_time_kills_only_the_forked_process():
    with start("def ok():\n    return 1\n", "forkserver"):
        pass
    pid = server_for().pid
    with start("def spin():\n    while True:\n        pass\n", "forkserver") as sb:
        child = sb.proc.pid
        with pytest.raises(CallTimeout):
            sb.call("spin", timeout=0.3)
        assert sb.proc.poll() == -signal.SIGKILL
    assert not os.path.exists(f"/proc/{child}") and server_for().pid == pid
    assert reaper.sandbox_processes(None) == {}


# ---------------------------------------------------------------- the hostile corpus, each launcher

HOSTILE_SUBSET = ["exit_os_exit_in_function", "loop_in_function", "ignore_sigterm_loop", "fork_double_fork_setsid",
                  "fork_many_processes", "monkeypatch_numpy_math", "monkeypatch_grader_modules", "read_reference_file",
                  "network_connect", "memory_unbounded"]


FAST_HOSTILE = {"exit_os_exit_in_function", "fork_double_fork_setsid", "monkeypatch_grader_modules"}


@pytest.mark.parametrize("launcher", LAUNCHERS)
@pytest.mark.parametrize("mode", ["default", "autograder"])
@pytest.mark.parametrize("name", maybe_slow(HOSTILE_SUBSET, FAST_HOSTILE))
def test_hostile_corpus_subset_with_each_launcher(name, mode, launcher, tmp_path, monkeypatch):
    from tests.hostile import test_corpus

    used = []
    original = Sandbox.start

    def spy(self):
        self.forkserver = launcher == "forkserver"
        try:
            return original(self)
        finally:
            used.append(self.launcher)

    monkeypatch.setattr(Sandbox, "start", spy)
    servers = {key: s.pid for key, s in forkserver.servers().items()}
    test_corpus.test_hostile_submission_gains_nothing_and_leaves_nothing(name, mode, tmp_path, monkeypatch)
    assert used and set(used) == {launcher}
    for key, pid in servers.items():  # the attack did not reach the server
        assert key in forkserver.servers() and forkserver.servers()[key].pid == pid
