"""The Sandbox end to end: calls, limits, crashes, and everything a submission leaves behind.

Autograder mode (root only) is in test_process_autograder.py.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from graders.sandbox import reaper
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox
from graders.sandbox.wire import Handle
from tests.graders.sandbox.sandboxes import LANDLOCK, LINUX, MARK, REFERENCE, ROOT, SMALL, leftovers, sandbox


def test_calls_return_plain_data_and_echo_shows_in_place_changes():
    with sandbox("""
        import numpy as np
        def double(x):
            return 2 * x
        def scale_in_place(x):
            x *= 3
            return None
        class Net:
            def forward(self, x):
                return x + 1
        def make():
            return Net()
    """) as sb:
        assert np.array_equal(sb.call("double", np.arange(3.0)), [0.0, 2.0, 4.0])
        value, args_after, _ = sb.call("scale_in_place", np.ones(2), echo=True)
        assert value is None and np.array_equal(args_after[0], [3.0, 3.0])
        net = sb.call("make")
        assert isinstance(net, Handle) and net.type == "submission.Net"
        assert sb.call(net, 1.5, method="forward") == 2.5


def test_student_exceptions_and_missing_names_are_reported():
    with sandbox("def boom():\n    raise ValueError('bad input')\n") as sb:
        with pytest.raises(StudentError) as info:
            sb.call("boom")
        assert info.value.type_name == "ValueError" and "bad input" in info.value.message
        with pytest.raises(StudentError) as info:
            sb.call("not_there")
        assert info.value.missing == "not_there"


def test_sys_exit_and_input_inside_a_call_are_exceptions_not_exits():
    with sandbox("import sys\ndef leave():\n    sys.exit(3)\ndef ask():\n    return input('?')\n") as sb:
        with pytest.raises(StudentError, match="SystemExit"):
            sb.call("leave")
        with pytest.raises(StudentError, match="EOFError"):
            sb.call("ask")
        assert sb.alive


def test_os_exit_is_reported_as_a_crash_with_its_status():
    with sandbox("import os\ndef leave():\n    os._exit(0)\n") as sb:
        with pytest.raises(SandboxCrashed, match="exited with status 0"):
            sb.call("leave")
        assert not sb.alive


def test_a_loop_ignoring_sigterm_and_sigint_is_killed_at_the_timeout():
    code = """
        import signal
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        def spin():
            while True:
                try:
                    pass
                except BaseException:
                    pass
    """
    with sandbox(code) as sb:
        pid = sb.proc.pid
        start = time.monotonic()
        with pytest.raises(CallTimeout):
            sb.call("spin", timeout=0.5)
        assert time.monotonic() - start < 5
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_recursion_error_is_reported_and_a_c_stack_overflow_is_a_crash():
    code = """
        import sys
        def down(n):
            return down(n + 1)
        def c_down(n):
            return c_down.__call__(n + 1)
        def deep():
            return down(0)
        def deeper():
            sys.setrecursionlimit(10**8)
            return c_down(0)
    """
    with sandbox(code) as sb:
        with pytest.raises(StudentError, match="RecursionError"):
            sb.call("deep")
        with pytest.raises(SandboxCrashed, match="SIGSEGV"):
            sb.call("deeper", timeout=20)


def test_unbounded_memory_raises_memory_error():
    with sandbox("import numpy as np\ndef hog():\n    keep = []\n    while True:\n"
                 "        keep.append(np.zeros(10**8))\n") as sb:
        with pytest.raises((StudentError, SandboxCrashed), match="MemoryError|SIGKILL|SIGSEGV"):
            sb.call("hog", timeout=20)


def test_hundreds_of_megabytes_of_output_are_drained_and_capped_without_slowing_calls():
    code = """
        import sys
        line = "x" * 1_000_000 + "\\n"
        def flood(n):
            for _ in range(n):
                sys.stdout.write(line)
            return n
    """
    with sandbox(code) as sb:
        start = time.monotonic()
        assert sb.call("flood", 300, timeout=60) == 300
        elapsed = time.monotonic() - start
        text = sb.captured_output()
    assert elapsed < 30
    assert len(text) < SMALL.output_kb * 1024 + 200
    assert "more bytes of output not shown" in text


def test_output_cap_counts_the_bytes_not_shown():
    with sandbox("print('a' * 100000)\n") as sb:
        text = sb.captured_output()
    assert text.startswith("a" * 1000)
    assert f"{100001 - SMALL.output_kb * 1024:,} more bytes of output not shown" in text


def test_files_over_the_size_limit_fail_and_the_directory_is_removed():
    code = """
        import os
        def write(mb):
            with open("big.bin", "wb") as f:
                f.write(b"\\0" * (mb << 20))
            return os.getcwd()
    """
    sb = sandbox(code, limits=Limits(cpu_s=30, memory_mb=1024, startup_s=20, file_size_mb=1, disk_mb=8))
    with sb:
        workdir = sb.workdir
        with pytest.raises(StudentError, match="File too large|EFBIG|errno 27"):
            sb.call("write", 2)
    assert not os.path.exists(workdir)


@pytest.mark.skipif(not LINUX, reason="the disk watchdog is tested on Linux")
def test_many_files_over_the_disk_quota_end_the_sandbox():
    code = """
        def fill():
            for i in range(100):
                with open(f"f{i}.bin", "wb") as f:
                    f.write(b"\\1" * (900 << 10))
            import time
            time.sleep(5)
            return "survived"
    """
    limits = Limits(cpu_s=30, memory_mb=1024, startup_s=20, file_size_mb=1, disk_mb=8)
    with sandbox(code, limits=limits) as sb:
        if sb.isolation.get("mountns"):  # the directory is a tmpfs of disk_mb: writes fail
            with pytest.raises(StudentError, match="No space left on device"):
                sb.call("fill", timeout=20)
        else:  # the grader watches the directory and kills the sandbox
            with pytest.raises(SandboxCrashed, match="more than 8 MB"):
                sb.call("fill", timeout=20)


@pytest.mark.skipif(not LINUX, reason="process containment is checked through /proc")
@pytest.mark.parametrize("cgroups", [True, False])
def test_no_process_outlives_the_sandbox(cgroups, monkeypatch):
    if not cgroups:
        monkeypatch.setattr(reaper.Cgroup, "create", classmethod(lambda cls, *a, **k: None))
    code = f"""
        import os, subprocess, sys, time
        def daemon():
            pid = os.fork()
            if pid == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time\\nwhile True: time.sleep(1)",
                                              "{MARK}"])
                os._exit(0)
            os.waitpid(pid, 0)
        def keep_running_python():
            pid = os.fork()
            if pid == 0:
                os.setsid()
                if os.fork() == 0:
                    while True:
                        time.sleep(1)
                os._exit(0)
            os.waitpid(pid, 0)
        def popen():
            subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "{MARK}"],
                             start_new_session=True, env={{}})
        daemon()
        keep_running_python()
        popen()
        def again():
            daemon(); keep_running_python(); popen()
            return os.getpid()
    """
    sb = sandbox(code)
    with sb:
        sb.call("again")
        time.sleep(0.3)
        assert len(leftovers()) >= 6
    assert leftovers() == []


@pytest.mark.skipif(not LINUX, reason="checked through /proc")
def test_unrelated_children_of_the_grader_are_left_alone():
    import subprocess

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        with sandbox("import os\nif os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(60)\n"):
            pass
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.skipif(not LINUX, reason="process limits are checked on Linux")
def test_the_number_of_processes_is_limited():
    if ROOT:
        probe = reaper.Cgroup.create(f"dlgrade-probe-{os.getpid()}", 8, 1 << 30)
        if probe is None:
            pytest.skip("as root without a writable cgroup hierarchy nothing limits the process count")
        probe.remove()
    code = """
        import os, time
        started = 0
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            started += 1
        def count():
            return started
    """
    limits = Limits(cpu_s=30, memory_mb=1024, startup_s=30, processes=16)
    with sandbox(code, limits=limits) as sb:
        assert sb.call("count") <= limits.processes + 16
    assert leftovers() == []


def test_monkeypatching_numpy_in_the_child_cannot_change_the_graders_comparisons():
    originals = (np.allclose, np.array_equal, np.abs, np.testing.assert_allclose)
    code = """
        import builtins, math
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.abs = lambda x, *a, **k: np.zeros(np.shape(x))
        np.testing.assert_allclose = lambda *a, **k: None
        math.isclose = lambda *a, **k: True
        builtins.abs = lambda x: 0
        def relu(z):
            return np.zeros_like(z)
        def patched():
            return [np.allclose(1, 2), math.isclose(1, 2), abs(-5)]
    """
    with sandbox(code) as sb:
        assert sb.call("patched") == [True, True, 0]  # the child is patched ...
        got = sb.call("relu", np.array([1.0, -1.0]))
    # ... the grader is not: its functions are the same objects and still tell the truth
    assert (np.allclose, np.array_equal, np.abs, np.testing.assert_allclose) == originals
    assert type(got) is np.ndarray and not np.allclose(got, [1.0, 0.0])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(got, [1.0, 0.0])
    assert abs(-5) == 5


def test_lying_objects_arrive_as_handles_or_base_arrays():
    code = """
        import numpy as np
        class Liar:
            def __eq__(self, other): return True
            def __sub__(self, other): return 0.0
            def __abs__(self): return 0.0
            def __array_ufunc__(self, *a, **k): return np.zeros(1)
        class LyingArray(np.ndarray):
            def __eq__(self, other): return np.ones(self.shape, dtype=bool)
            def __array_ufunc__(self, *a, **k): return np.zeros(self.shape)
        class LyingFloat(float):
            def __eq__(self, other): return True
        def liar(): return Liar()
        def array(): return np.full(3, 7.0).view(LyingArray)
        def number(): return LyingFloat(5.0)
    """
    with sandbox(code) as sb:
        assert isinstance(sb.call("liar"), Handle)
        a = sb.call("array")
        assert type(a) is np.ndarray and np.array_equal(a, [7.0, 7.0, 7.0]) and not (a == 0).any()
        n = sb.call("number")
        assert isinstance(n, Handle) and n.type == "submission.LyingFloat"


def test_results_printed_or_written_by_the_submission_are_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = """
        import json
        print(json.dumps({"score": 100}))
        with open("results.json", "w") as f:
            json.dump({"score": 100}, f)
        def relu(z):
            return z
    """
    with sandbox(code) as sb:
        workdir = sb.workdir
        assert '{"score": 100}' in sb.captured_output()
    assert not os.path.exists(workdir) and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not LANDLOCK, reason="without Landlock, default mode cannot hide files (docs/security.md)")
def test_default_mode_with_landlock_hides_the_reference_and_refuses_writes_outside():
    code = f"""
        def probe():
            out = []
            for path in ({str(REFERENCE)!r}, "/etc/hostname"):
                try:
                    open(path).read(10)
                    out.append("read")
                except OSError:
                    out.append("refused")
            try:
                open({str(REFERENCE.parents[2] / "dlgrade-test-written")!r}, "w")
                out.append("wrote")
            except OSError:
                out.append("refused")
            return out
    """
    # a checkout under /tmp (as some CI services make) lies in the sandbox's private /tmp, where
    # writing is allowed and vanishes with it: there only the host's copy must stay untouched
    in_private_tmp = str(REFERENCE.resolve()).startswith(("/tmp/", "/var/tmp/", "/dev/shm/"))
    with sandbox(code, isolation="default") as sb:
        read, _, wrote = sb.call("probe")
        assert read == "refused" and (wrote == "refused" or in_private_tmp)
        assert sb.isolation.get("landlock")
    assert not (REFERENCE.parents[2] / "dlgrade-test-written").exists()


def test_isolation_mode_comes_from_the_argument_never_the_environment(monkeypatch):
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "1")
    assert Sandbox([]).mode == "default"  # the stated default, whatever the environment says
    assert Sandbox([], isolation="autograder").mode == "autograder"
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "0")
    assert Sandbox([], isolation="autograder").mode == "autograder"
    for unknown in ("lenient", None, ""):
        with pytest.raises(ValueError):
            Sandbox([], isolation=unknown)


@pytest.mark.parametrize("flag, env, mode", [(True, None, "autograder"), (False, "1", "autograder"),
                                             (False, "yes", "autograder"), (False, "0", "default"),
                                             (False, None, "default")])
def test_a_front_door_reads_the_mode_from_its_flag_or_the_environment(monkeypatch, flag, env, mode):
    from graders.sandbox.environment import isolation_from_environment

    if env is None:
        monkeypatch.delenv("DLGRADE_AUTOGRADER", raising=False)
    else:
        monkeypatch.setenv("DLGRADE_AUTOGRADER", env)
    assert isolation_from_environment(flag) == mode


def test_limits_spec_marks_the_processes_and_keeps_nproc_for_non_root():
    spec = dict(item.split("=") for item in Limits().spec().split(","))
    assert spec["msgqueue"] == "0" and spec["core"] == "0"
    assert ("nproc" in spec) == (not ROOT)
