"""The fork server: sandboxes forked from it are the same as fresh ones, and it stays clean.

Every Sandbox uses the fork server by default (where it can), so the other files of this
folder and tests/hostile already run against it; here the key tests of test_process.py run
again with each launcher named, the state of a forked child is compared with a fresh one's,
and the server is checked to survive hostile children, to serve threads, and to hold no
trace of any submission.
"""

from __future__ import annotations

import inspect
import os
import signal
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from graders.sandbox import forkserver, process, reaper
from graders.sandbox.errors import CallTimeout, SandboxCrashed
from graders.sandbox.process import Limits, Sandbox
from tests.graders.sandbox import test_process as base

pytestmark = pytest.mark.skipif(forkserver.disabled_reason(("numpy",), honour_env=False) is not None,
                                reason="the fork server needs Linux and a child subreaper")

ROOT = os.geteuid() == 0
SMALL = base.SMALL
TORCH_LIMITS = Limits(cpu_s=60, memory_mb=8192, startup_s=120, processes=16, disk_mb=8)
LAUNCHERS = ("fresh", "forkserver")


@pytest.fixture(autouse=True)
def _fork_server_on(monkeypatch):
    monkeypatch.delenv("DLGRADE_FORKSERVER", raising=False)


def start(code: str, launcher: str, **kwargs) -> Sandbox:
    sb = Sandbox([("submission.py", textwrap.dedent(code))], limits=kwargs.pop("limits", SMALL),
                 forkserver=launcher == "forkserver", **kwargs)
    sb.start()
    assert sb.launcher == launcher, sb.launch_note
    return sb


def server_for(preload=("numpy",)) -> forkserver.ForkServer:
    return forkserver.servers()[(sys.executable, tuple(preload))]


# ---------------------------------------------------------------- the key tests, each launcher

KEY_TESTS = [
    "test_calls_return_plain_data_and_echo_shows_in_place_changes",
    "test_student_exceptions_and_missing_names_are_reported",
    "test_sys_exit_and_input_inside_a_call_are_exceptions_not_exits",
    "test_os_exit_is_reported_as_a_crash_with_its_status",
    "test_a_loop_ignoring_sigterm_and_sigint_is_killed_at_the_timeout",
    "test_recursion_error_is_reported_and_a_c_stack_overflow_is_a_crash",
    "test_unbounded_memory_raises_memory_error",
    "test_output_cap_counts_the_bytes_not_shown",
    "test_files_over_the_size_limit_fail_and_the_directory_is_removed",
    "test_many_files_over_the_disk_quota_end_the_sandbox",
    "test_no_process_outlives_the_sandbox",
    "test_the_number_of_processes_is_limited",
    "test_monkeypatching_numpy_in_the_child_cannot_change_the_graders_comparisons",
    "test_default_mode_with_landlock_hides_the_reference_and_refuses_writes_outside",
    "test_autograder_mode_runs_as_an_unprivileged_user_without_network_or_reference",
    "test_autograder_mode_gives_each_sandbox_its_own_uid_and_a_disk_quota",
    "test_autograder_mode_kills_every_process_of_its_uid",
    "test_autograder_mode_without_namespaces_still_refuses_network_and_hides_the_reference",
]


# in the default run (the rest with -m slow; test_process.py runs all of them with the fork server)
FAST_KEY_TESTS = {"test_calls_return_plain_data_and_echo_shows_in_place_changes",
                  "test_os_exit_is_reported_as_a_crash_with_its_status",
                  "test_a_loop_ignoring_sigterm_and_sigint_is_killed_at_the_timeout",
                  "test_no_process_outlives_the_sandbox",
                  "test_autograder_mode_runs_as_an_unprivileged_user_without_network_or_reference"}


def _maybe_slow(names, fast):
    return [n if n in fast else pytest.param(n, marks=pytest.mark.slow) for n in names]


@pytest.mark.parametrize("launcher", LAUNCHERS)
@pytest.mark.parametrize("name", _maybe_slow(KEY_TESTS, FAST_KEY_TESTS))
def test_key_sandbox_tests_pass_with_each_launcher(name, launcher, request, monkeypatch):
    test = getattr(base, name)
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "skipif" and mark.args and mark.args[0]:
            pytest.skip(mark.kwargs.get("reason", "skipped in test_process.py"))
    used = []

    class Checked(Sandbox):
        def start(self):
            self.forkserver = launcher == "forkserver"
            try:
                return super().start()
            finally:
                used.append(self.launcher)

    monkeypatch.setattr(base, "Sandbox", Checked)
    kwargs = {}
    for param in inspect.signature(test).parameters:
        kwargs[param] = True if param == "cgroups" else request.getfixturevalue(param)
    test(**kwargs)
    assert used and set(used) == {launcher}


# ---------------------------------------------------------------- a forked child is a fresh child

PROBE = """
import gc, os, resource, signal, sys, tempfile

def fingerprint(server_home):
    import numpy
    out = {}
    out["modules"] = sorted(m for m in sys.modules)
    out["environ"] = dict(os.environ)
    try:  # (not readable once the user switch made the process non-dumpable)
        with open("/proc/self/environ", "rb") as f:
            out["proc_environ"] = [e.decode() for e in f.read().split(b"\\0") if e]
    except OSError:
        out["proc_environ"] = None
    out["cwd"] = os.getcwd()
    out["tempdir"] = tempfile.gettempdir()
    out["session_leader"] = os.getsid(0) == os.getpgrp() == os.getpid()
    out["parent"] = os.getppid()
    out["threads"] = len(os.listdir("/proc/self/task"))
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[int(fd)] = os.readlink(f"/proc/self/fd/{fd}").split(":")[0]
        except OSError:
            pass
    out["fds"] = sorted(fds.values())
    out["stdio"] = [fds.get(0), fds.get(1), fds.get(2)]
    out["signals"] = {s.name: repr(signal.getsignal(s)) for s in signal.valid_signals()
                      if isinstance(s, signal.Signals) and s not in (signal.SIGKILL, signal.SIGSTOP)}
    out["blocked"] = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))
    out["limits"] = {name: list(resource.getrlimit(getattr(resource, name))) for name in dir(resource)
                     if name.startswith("RLIMIT_")}
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    out["status"] = {k: status[k].strip() for k in ("NoNewPrivs", "Seccomp", "Uid", "Gid") if k in status}
    import ctypes
    out["dumpable"] = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)
    out["flags"] = repr(sys.flags)
    out["argv"] = list(sys.argv)
    out["hash"] = hash("dlgrade")
    out["path"] = list(sys.path)
    out["numpy_random"] = float(numpy.random.rand())
    site = sys.modules.get("site")
    out["user_base"] = getattr(site, "USER_BASE", None)
    if "torch" in sys.modules:
        import torch
        out["torch"] = [torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                        float(torch.rand(1)), torch.initial_seed()]
    # nothing of the server's own directory survives in the child: environment, module globals,
    # any object's attributes
    leftovers = [k for k, v in os.environ.items() if server_home in v]
    mine = {id(server_home), id(sys._getframe().f_locals)}
    for obj in gc.get_objects():
        if id(obj) in mine:
            continue
        items = list(obj.items()) if isinstance(obj, dict) else (
            list(enumerate(obj)) if isinstance(obj, (list, tuple)) else [])
        try:
            attrs = object.__getattribute__(obj, "__dict__")
            items += list(attrs.items()) if isinstance(attrs, dict) else []
        except Exception:
            pass
        leftovers += [f"{type(obj).__name__}[{k!r}] = {v}" for k, v in items
                      if isinstance(v, str) and server_home in v and v is not server_home]
    out["server_leftovers"] = leftovers
    out["workdir"] = sorted(os.listdir("."))
    return out
"""


def _normalise(fp: dict, workdir: str) -> dict:
    """A fingerprint with what differs between any two sandboxes (directory, mark) made equal."""
    def fix(value):
        if isinstance(value, str):
            value = value.replace(workdir, "<workdir>")
            if value.startswith("DLGRADE_SANDBOX="):
                value = "DLGRADE_SANDBOX=<mark>"
            return value
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: ("<mark>" if k == "DLGRADE_SANDBOX" else fix(v)) for k, v in value.items()}
        return value

    return fix(fp)


@pytest.mark.parametrize("preload,mode", [
    (("numpy",), "default"), (("numpy",), "autograder"), (("numpy", "torch"), "default"),
    pytest.param(("numpy", "torch"), "autograder", marks=pytest.mark.slow),
], ids=["numpy-default", "numpy-autograder", "torch-default", "torch-autograder"])
def test_a_forked_child_is_in_the_state_of_a_fresh_one(preload, mode):
    if mode == "autograder" and not ROOT:
        pytest.skip("autograder mode's user switch needs root")
    limits = TORCH_LIMITS if "torch" in preload else SMALL
    prints = {}
    for launcher in ("forkserver", "fresh"):
        with start(PROBE, launcher, preload=preload, limits=limits, isolation=mode) as sb:
            fp = sb.call("fingerprint", server_for(preload).home, timeout=60)
            prints[launcher] = _normalise(fp, sb.workdir)
    fresh, forked = prints["fresh"], prints["forkserver"]
    assert forked["server_leftovers"] == [] and forked["environ"] == fresh["environ"]
    assert forked["workdir"] == fresh["workdir"]  # e.g. torch's cache directory, made at import
    assert forked["proc_environ"] == fresh["proc_environ"]  # the mark the reaper reads
    if mode == "default":
        assert any(e.startswith("DLGRADE_SANDBOX=") for e in forked["proc_environ"])
    assert forked["parent"] == fresh["parent"] == os.getpid()  # the grader's own child
    assert forked["session_leader"] and forked["threads"] == 1
    assert forked["stdio"] == fresh["stdio"] and forked["stdio"][0] == "/dev/null"
    assert forked["modules"] == fresh["modules"]
    for fp in (fresh, forked):  # each sandbox's own uid: equal in kind, not in number
        uids = {fp["status"].pop("Uid"), fp["status"].pop("Gid")}
        assert (len(uids) == 1 and "\t0" not in next(iter(uids))) if mode == "autograder" else True
    for key in ("cwd", "tempdir", "fds", "signals", "blocked", "limits", "status", "dumpable", "flags",
                "argv", "hash", "path", "numpy_random", "user_base", "torch"):
        assert forked.get(key) == fresh.get(key), key


TRAIN = """
import numpy as np
import torch

def train(steps, seed):
    torch.manual_seed(seed)
    x = torch.randn(64, 8, dtype=torch.float64)
    y = (x[:, :1] * 2 - x[:, 1:2]).sin()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    weights = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()
    return losses, weights, torch.get_num_threads()
"""


def test_a_forked_torch_child_trains_exactly_like_a_fresh_one():
    results = {}
    for launcher in LAUNCHERS:
        with start(TRAIN, launcher, preload=("numpy", "torch"), limits=TORCH_LIMITS) as sb:
            results[launcher] = [sb.call("train", 200, seed, timeout=60) for seed in (0, 1)]
            again = sb.call("train", 200, 0, timeout=60)
    for (fresh_losses, fresh_w, fresh_threads), (fork_losses, fork_w, fork_threads) in zip(
            results["fresh"], results["forkserver"]):
        assert fork_losses == fresh_losses and np.array_equal(fork_w, fresh_w)  # bit for bit
        assert fork_threads == fresh_threads == 1
    assert again[0] == results["forkserver"][0][0]
    assert results["forkserver"][0][0][-1] < results["forkserver"][0][0][0]
    server = server_for(("numpy", "torch"))
    assert server.alive and _threads(server.pid) == 1  # torch started no thread in the server


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


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
        assert base.leftovers() == [], name
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

    def one(i):
        with start(code, "forkserver") as sb:
            pid, cwd, value = sb.call("who", i)
            return pid, cwd, value, sb.workdir

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(12)))
    assert [r[2] for r in results] == [2 * i for i in range(12)]
    assert len({r[0] for r in results}) == 12
    assert all(os.path.realpath(r[3]) == r[1] for r in results)
    assert base.leftovers() == []


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
        assert base.leftovers() == []
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

    spec = importlib.util.spec_from_file_location("_dlgrade_child_threads", process.CHILD)
    child = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(child)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        reply = child._hand_over(None, None, b"{}", [0, 1, 2])
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
@pytest.mark.parametrize("name", _maybe_slow(HOSTILE_SUBSET, FAST_HOSTILE))
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
