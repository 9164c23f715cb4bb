"""reaper.py: finding the processes of a sandbox after they left its process tree."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

from graders.sandbox import reaper

pytestmark = pytest.mark.skipif(not reaper.LINUX, reason="process bookkeeping through /proc (Linux)")


def _orphan(mark_env: bool, lower_limit: bool) -> int:
    """A process that becomes an orphan of this (subreaper) process; returns its pid."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        if lower_limit:
            resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
        env = {"DLGRADE_SANDBOX": f"{os.getppid()}-99"} if mark_env else {}
        os.setsid()
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env,
                                 start_new_session=True)
        os.write(w, str(child.pid).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    data = os.read(r, 64)
    os.close(r)
    return int(data)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_marked_orphans_are_found_and_killed_and_unmarked_ones_are_not():
    assert reaper.become_subreaper()
    by_env, by_limit, bystander = _orphan(True, False), _orphan(False, True), _orphan(False, False)
    try:
        time.sleep(0.2)
        found = reaper.sandbox_processes(None)
        assert by_env in found and by_limit in found and bystander not in found
        reaper.kill_sandbox(None)
        time.sleep(0.1)
        assert not _alive(by_env) and not _alive(by_limit) and _alive(bystander)
        assert not os.path.exists(f"/proc/{by_env}")  # reaped, not left as a zombie
    finally:
        os.kill(bystander, 9)
        os.waitpid(bystander, 0)


def test_a_registered_main_process_is_never_taken_for_an_orphan():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                            env={"DLGRADE_SANDBOX": f"{os.getpid()}-1"})
    reaper.register(proc.pid)
    try:
        assert proc.pid not in reaper.sandbox_processes(None)
        reaper.kill_sandbox(None)
        assert proc.poll() is None
    finally:
        reaper.unregister(proc.pid)
        proc.kill()
        proc.wait()



def test_a_process_marked_and_registered_under_the_lock_is_never_taken_for_an_orphan(monkeypatch):
    """A fork server's spare is this process's child before it is a sandbox's: another thread
    hands it a request (the spare then lowers a hard limit, its mark) and registers it, both
    under `reaper.LOCK`. A concurrent search for orphans must see it either unmarked or
    registered, never marked and unregistered (which killed sandboxes as they started)."""
    import threading

    proc = subprocess.Popen([sys.executable, "-c",
                             "import resource, sys, time\n"
                             "sys.stdin.readline()\n"
                             "resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))\n"
                             "print('marked', flush=True)\n"
                             "time.sleep(60)\n"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    looked_at = []
    original = reaper._has_mark

    def hand_over():  # what `Sandbox._launch` does with the fork server's spare
        with reaper.LOCK:
            proc.stdin.write("go\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == "marked\n"
            reaper.register(proc.pid)

    def has_mark_while_a_spare_is_handed_over(pid, own):
        if pid == proc.pid and not looked_at:
            other = threading.Thread(target=hand_over)
            other.start()
            other.join(timeout=2.0)  # it waits for the lock, or has marked and registered
            looked_at.append(other)
        return original(pid, own)

    monkeypatch.setattr(reaper, "_has_mark", has_mark_while_a_spare_is_handed_over)
    try:
        found = reaper.sandbox_processes(None)
        looked_at[0].join(timeout=30)
        assert proc.pid not in found
        assert proc.poll() is None
    finally:
        reaper.unregister(proc.pid)
        proc.kill()
        proc.wait()

@pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0), reason="cgroups need root")
def test_cgroup_collects_and_kills_its_processes():
    group = reaper.Cgroup.create(f"dlgrade-test-{os.getpid()}", 8, 1 << 30)
    if group is None:
        pytest.skip("no writable cgroup hierarchy")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert group.add(proc.pid)
        assert proc.pid in group.pids()
        group.kill()
        assert proc.wait(timeout=5) == -9
    finally:
        group.remove()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert all(not os.path.exists(d) for d in group.dirs)
