"""The Sandbox in autograder mode: an unprivileged user, no network, the reference hidden.

These need root on Linux (the user switch and the namespaces); elsewhere they are skipped.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from graders.sandbox import reaper
from graders.sandbox.limits import Limits
from tests.graders.sandbox.sandboxes import LINUX, MARK, REFERENCE, ROOT, leftovers, sandbox


needs_root = pytest.mark.skipif(not (LINUX and ROOT), reason="autograder mode's user switch and "
                                "namespaces need root on Linux (docs/security.md)")


@needs_root
def test_autograder_mode_runs_as_an_unprivileged_user_without_network_or_reference():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    port = server.getsockname()[1]
    code = f"""
        import os, socket
        def probe():
            out = {{"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}}
            try:
                open({str(REFERENCE)!r}).read(10)
                out["reference"] = "read"
            except OSError as e:
                out["reference"] = type(e).__name__
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
                out["network"] = "connected"
            except OSError as e:
                out["network"] = type(e).__name__
            try:
                open("/etc/dlgrade-test-written", "w")
                out["write"] = "wrote"
            except OSError as e:
                out["write"] = type(e).__name__
            return out
    """
    try:
        with sandbox(code, isolation="autograder") as sb:
            out = sb.call("probe")
            info = sb.isolation
    finally:
        try:
            conn, _ = server.accept()
            conn.close()
            connected = True
        except OSError:
            connected = False
        server.close()
    assert out["uid"] != 0 and out["gid"] != 0 and out["groups"] == []
    assert out["reference"] != "read" and out["network"] != "connected" and out["write"] != "wrote"
    assert not connected and not os.path.exists("/etc/dlgrade-test-written")
    assert info.get("uid") == out["uid"]


@needs_root
def test_autograder_mode_gives_each_sandbox_its_own_uid_and_a_disk_quota():
    code = """
        import os
        def me():
            return os.getuid()
        def fill():
            written = 0
            try:
                for i in range(100):
                    with open(f"f{i}", "wb") as f:
                        f.write(b"\\1" * (1 << 20))
                    written += 1
            except OSError as e:
                return [written, e.errno]
            return [written, 0]
    """
    limits = Limits(cpu_s=30, memory_mb=1024, startup_s=20, file_size_mb=4, disk_mb=8)
    with sandbox(code, isolation="autograder", limits=limits) as a, \
            sandbox(code, isolation="autograder", limits=limits) as b:
        assert a.call("me") != b.call("me")
        if a.isolation.get("mountns"):
            written, err = a.call("fill")
            assert written < 9 and err != 0


@needs_root
def test_autograder_mode_kills_every_process_of_its_uid():
    code = f"""
        import os, sys
        for _ in range(3):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time\\nwhile True: time.sleep(1)",
                                              "{MARK}"])
                os._exit(0)
    """
    with sandbox(code, isolation="autograder") as sb:
        uid = sb.uid
        time.sleep(0.3)
    assert leftovers() == []
    assert not any(uid in reaper._uids(int(p)) for p in os.listdir("/proc") if p.isdigit())


@needs_root
def test_autograder_mode_without_namespaces_still_refuses_network_and_hides_the_reference(monkeypatch):
    """The fallback of a container without CAP_SYS_ADMIN: no network or mount namespace."""
    monkeypatch.setenv("DLGRADE_ISOLATION_SKIP", "netns,mountns,cgroup")
    code = f"""
        import os, socket
        def probe():
            out = {{"uid": os.getuid()}}
            try:
                socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                out["socket"] = "made"
            except OSError as e:
                out["socket"] = type(e).__name__
            try:
                open({str(REFERENCE)!r}).read(10)
                out["reference"] = "read"
            except OSError as e:
                out["reference"] = type(e).__name__
            return out
    """
    with sandbox(code, isolation="autograder") as sb:
        out = sb.call("probe")
        info = sb.isolation
    assert "netns" not in info and "mountns" not in info and "cgroup" not in info
    if info.get("seccomp"):
        assert out["socket"] != "made"
    if info.get("landlock") or info.get("uid"):
        assert out["reference"] != "read"
    # either the user switch happened, or the reason it could not is reported
    assert info.get("uid") == out["uid"] != 0 or any("keeps the grader's user" in e for e in info["errors"])
