"""The fork server: sandboxes forked from it are the same as fresh ones.

Every Sandbox uses the fork server by default (where it can), so the other files of this
folder and tests/hostile already run against it; here the key tests of test_process.py and
test_process_autograder.py run again with each launcher named, and the state of a forked
child is compared with a fresh one's. test_forkserver_server.py checks the server itself.
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

from graders.sandbox import forkserver
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox
from tests.graders.sandbox import sandboxes, test_process, test_process_autograder
from tests.graders.sandbox.sandboxes import LAUNCHERS, ROOT, SMALL, maybe_slow, server_for, start, threads

pytestmark = [pytest.mark.skipif(forkserver.disabled_reason(("numpy",), honour_env=False) is not None,
                                 reason="the fork server needs Linux and a child subreaper"),
              pytest.mark.usefixtures("fork_server_on")]

TORCH_LIMITS = Limits(cpu_s=60, memory_mb=8192, startup_s=120, processes=16, disk_mb=8)


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


# in the default run (the rest with -m slow; test_process*.py run all of them with the fork server)
FAST_KEY_TESTS = {"test_calls_return_plain_data_and_echo_shows_in_place_changes",
                  "test_os_exit_is_reported_as_a_crash_with_its_status",
                  "test_a_loop_ignoring_sigterm_and_sigint_is_killed_at_the_timeout",
                  "test_no_process_outlives_the_sandbox",
                  "test_autograder_mode_runs_as_an_unprivileged_user_without_network_or_reference"}


@pytest.mark.parametrize("launcher", LAUNCHERS)
@pytest.mark.parametrize("name", maybe_slow(KEY_TESTS, FAST_KEY_TESTS))
def test_key_sandbox_tests_pass_with_each_launcher(name, launcher, request, monkeypatch):
    test = getattr(test_process, name, None) or getattr(test_process_autograder, name)
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

    monkeypatch.setattr(sandboxes, "Sandbox", Checked)
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
    out["pid"] = os.getpid()
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
    # any object's attributes. Only what is reachable counts: unreachable cycles awaiting the
    # collector are not state, and whether one is still there depends on when the collector
    # last ran (the test flaked on such garbage, in a tuple and a list, in the full suite)
    gc.collect()
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
    # the grader's own child; or, in a PID namespace, pid 1 whose parent (outside) is not visible
    assert forked["parent"] == fresh["parent"] == (0 if forked["pid"] == 1 else os.getpid())
    assert forked["session_leader"] == fresh["session_leader"] and forked["threads"] == 1
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
    assert server.alive and threads(server.pid) == 1  # torch started no thread in the server
