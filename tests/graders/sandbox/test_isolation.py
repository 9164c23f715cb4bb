"""isolation.py, landlock.py, seccomp.py: the path computations, the seccomp program, and
each layer applied in a forked process (never in the test process itself)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from graders.sandbox import isolation, landlock, libc, namespaces, seccomp

LINUX = libc.LINUX
LANDLOCK = LINUX and landlock.landlock_abi() >= 1
SECCOMP = LINUX and seccomp.platform.machine().lower() in seccomp.SYSCALLS


def in_child(fn) -> int:
    """Run fn() in a forked process; its return value (0-255) is the exit status."""
    pid = os.fork()
    if pid == 0:
        try:
            code = int(fn())
        except BaseException:  # noqa: BLE001
            code = 250
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_refine_hidden_keeps_the_way_to_needed_paths_open(tmp_path):
    (tmp_path / "secret" / "inner").mkdir(parents=True)
    (tmp_path / "app" / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "app" / "graders").mkdir()
    (tmp_path / "app" / "notes.txt").write_text("x")
    hidden = isolation.refine_hidden([str(tmp_path / "secret"), str(tmp_path / "app")],
                                     [str(tmp_path / "app" / "venv" / "lib")])
    assert str(tmp_path / "secret") in hidden
    assert str(tmp_path / "app" / "graders") in hidden and str(tmp_path / "app" / "notes.txt") in hidden
    assert not any(h == str(tmp_path / "app") or h.startswith(str(tmp_path / "app" / "venv")) for h in hidden)


def test_refine_hidden_hides_a_hidden_path_inside_a_needed_one(tmp_path):
    (tmp_path / "repo" / "reference").mkdir(parents=True)
    hidden = isolation.refine_hidden([str(tmp_path / "repo" / "reference")], [str(tmp_path / "repo")])
    assert hidden == [str(tmp_path / "repo" / "reference")]


@pytest.mark.skipif(not LINUX, reason="walks the Linux file system")
def test_read_allowlist_grants_siblings_of_hidden_paths_never_their_ancestors(tmp_path):
    (tmp_path / "hidden").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "file.txt").write_text("x")
    grants, listable = landlock.read_allowlist([str(tmp_path / "hidden")])
    granted = {p for p, _ in grants}
    assert str(tmp_path / "open") in granted and str(tmp_path / "file.txt") in granted
    assert str(tmp_path / "hidden") not in granted
    for ancestor in ["/", str(tmp_path), str(tmp_path.parent)]:
        assert ancestor not in granted and ancestor in listable


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_seccomp_program_assembles_with_jumps_in_range(machine):
    program = seccomp.seccomp_program(machine, 1234, 1234)
    assert len(program) % 8 == 0 and 10 < len(program) // 8 < 100
    for i in range(0, len(program), 8):
        code, jt, jf, k = struct.unpack("=HBBI", program[i:i + 8])
        assert code in (0x20, 0x15, 0x35, 0x45, 0x06)


def test_others_can_reach(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(d, 0o755)
    assert isolation.others_can_reach(str(d)) == isolation.others_can_reach(str(tmp_path))
    os.chmod(d, 0o750)
    assert not isolation.others_can_reach(str(d))


@pytest.mark.skipif(not SECCOMP, reason="seccomp filter is for Linux x86_64/aarch64")
def test_seccomp_refuses_inet_sockets_and_signals_to_the_grader_but_allows_unix_sockets():
    parent = os.getpid()

    def body():
        seccomp.seccomp_filter(parent, os.getpgrp())
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            return 1
        except PermissionError:
            pass
        try:
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            return 2
        except PermissionError:
            pass
        a, b = socket.socketpair()
        a.close(), b.close()
        for target in (parent, -1):
            try:
                os.kill(target, 0)
                return 3
            except PermissionError:
                pass
        try:
            os.unshare(os.CLONE_NEWUSER) if hasattr(os, "unshare") else namespaces.unshare(libc.CLONE_NEWUSER)
            return 4
        except OSError as exc:
            if exc.errno != errno.EPERM:
                return 5
        os.kill(os.getpid(), 0)  # itself: allowed
        pid = os.fork()  # fork (clone without namespace flags) still works
        if pid == 0:
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        return 0 if os.waitstatus_to_exitcode(status) == 7 else 6

    assert in_child(body) == 0


@pytest.mark.skipif(not LANDLOCK, reason="Landlock (Linux >= 5.13) is not available")
def test_landlock_confines_writes_to_the_sandbox_directory_and_hides_paths(tmp_path):
    work, hidden, outside = tmp_path / "work", tmp_path / "hidden", tmp_path / "outside"
    for d in (work, hidden, outside):
        d.mkdir()
    (hidden / "secret.py").write_text("ANSWER = 42")
    (outside / "readable.txt").write_text("ok")
    via_cwd = os.path.relpath(hidden / "secret.py", os.getcwd())
    assert open(f"/proc/{os.getpid()}/cwd/{via_cwd}").read() == "ANSWER = 42"

    def body():
        landlock.landlock_restrict([str(work)], [str(hidden)])
        (work / "a.txt").write_text("mine")
        (work / "sub").mkdir()
        if (outside / "readable.txt").read_text() != "ok":
            return 1
        for attempt in (lambda: (outside / "new.txt").write_text("x"),
                        lambda: (outside / "readable.txt").write_text("x"),
                        lambda: (hidden / "secret.py").read_text(),
                        lambda: open(f"/proc/{os.getppid()}/cwd/{via_cwd}").read()):
            try:
                attempt()
                return 2
            except OSError:
                pass
        with open("/dev/null", "w") as f:
            f.write("discarded")
        return 0

    assert in_child(body) == 0
    assert not (outside / "new.txt").exists() and (outside / "readable.txt").read_text() == "ok"


@pytest.mark.skipif(not (LANDLOCK and landlock.landlock_abi() >= 4), reason="Landlock ABI < 4: no TCP rules")
def test_landlock_refuses_tcp_connections(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def body():
        landlock.landlock_restrict([str(tmp_path)], [])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return 1
        except OSError:
            return 0

    try:
        assert in_child(body) == 0
    finally:
        server.close()


def test_apply_reports_what_it_did(tmp_path):
    spec = {"mode": "default", "workdir": str(tmp_path), "hide": [], "uid": None, "gid": None,
            "namespaces": False, "disk_kb": 1024, "processes": 8, "grader_pid": os.getpid(),
            "grader_pgid": os.getpgrp()}
    r, w = os.pipe()

    def body():
        os.close(r)
        report = isolation.apply(spec)
        os.write(w, repr(sorted(k for k in report if report[k])).encode())
        return 0

    assert in_child(body) == 0
    os.close(w)
    keys = os.read(r, 4096).decode()
    os.close(r)
    if LANDLOCK:
        assert "'landlock'" in keys
    if SECCOMP:
        assert "'seccomp'" in keys


# ---------------------------------------------------------------- the allow-list and the checkout


def test_refine_hidden_keeps_a_needed_folder_whole_inside_a_hidden_checkout(tmp_path):
    (tmp_path / "repo" / ".venv" / "lib" / "site-packages").mkdir(parents=True)
    (tmp_path / "repo" / ".venv" / "bin").mkdir()
    (tmp_path / "repo" / ".git").mkdir()
    needed = [str(tmp_path / "repo" / ".venv"), str(tmp_path / "repo" / ".venv" / "lib" / "site-packages")]
    hidden = isolation.refine_hidden([str(tmp_path / "repo")], needed)
    assert hidden == [str(tmp_path / "repo" / ".git")]


@pytest.mark.skipif(not LINUX, reason="walks the Linux file system")
def test_read_allowlist_grants_nothing_outside_its_roots(tmp_path):
    (tmp_path / "lib" / "secret").mkdir(parents=True)
    (tmp_path / "lib" / "ok.py").write_text("x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "one.txt").write_text("x")
    grants, listable = landlock.read_allowlist([str(tmp_path / "lib" / "secret")],
                                               [str(tmp_path / "lib"), str(tmp_path / "one.txt")])
    granted = {p for p, _ in grants}
    assert granted == {str(tmp_path / "lib" / "ok.py"), str(tmp_path / "one.txt")}
    assert listable == [str(tmp_path / "lib")]


def test_the_checkout_and_every_version_control_folder_are_hidden(tmp_path):
    from graders.sandbox.environment import checkout_paths

    main, worktree = tmp_path / "main", tmp_path / "wt"
    (main / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (main / ".git" / "worktrees" / "wt" / "commondir").write_text("../..\n")
    worktree.mkdir()
    (worktree / "pyproject.toml").write_text("")
    (worktree / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'wt'}\n")
    found = {str(p) for p in checkout_paths(worktree)}
    assert {str(worktree), str(worktree / ".git"), str(main / ".git" / "worktrees" / "wt"),
            str((main / ".git").resolve())} <= found


def test_an_installed_grader_hides_no_site_packages(tmp_path):
    from graders.sandbox.environment import checkout_paths

    (tmp_path / "site-packages" / "graders").mkdir(parents=True)
    assert checkout_paths(tmp_path / "site-packages") == []


def test_the_python_paths_never_include_a_folder_that_holds_a_hidden_one(tmp_path, monkeypatch):
    import sys

    (tmp_path / "repo" / "graders").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", sys.path + [str(tmp_path / "repo")])  # an editable install's .pth
    paths = isolation._python_paths([str(tmp_path / "repo" / "graders")])
    assert str(tmp_path / "repo") not in paths
    assert os.path.realpath(sys.base_prefix) in paths


def test_the_python_paths_keep_a_site_packages_that_holds_an_installed_graders_package(tmp_path, monkeypatch):
    """An installed grader (dlgrade's wheel, a student pack's engine) lives in site-packages,
    beside what a submission imports after the lock (SymPy): the folder stays readable, and
    the hidden package in it is subtracted by the layers."""
    import sys
    import sysconfig

    site = tmp_path / "venv" / "lib" / "site-packages"
    for package in ("graders", "sympy"):
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("")
    real = sysconfig.get_paths()
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {**real, "purelib": str(site), "platlib": str(site)})
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sys, "path", sys.path + [str(site)])
    installed = str(site / "graders")
    paths = isolation._python_paths([installed])
    assert str(site) in paths and str(tmp_path / "venv") in paths
    assert installed in isolation.refine_hidden([installed], paths)  # covered in the mount namespace
    grants, _ = landlock.read_allowlist([installed], roots=paths)  # and left out of Landlock's grants
    assert (str(site / "sympy"), True) in grants
    assert not any(landlock.under(path, installed) for path, _ in grants)


def test_the_python_paths_never_include_a_hidden_folder_that_is_the_interpreters_own(monkeypatch):
    import sys

    paths = isolation._python_paths([sys.prefix])
    assert os.path.realpath(sys.prefix) not in paths


# ---------------------------------------------------------------- namespaces, in a real sandbox


def _namespaces() -> bool:
    from tests.hostile.corpus import namespaces_available

    return namespaces_available()


@pytest.mark.skipif(not LINUX or not _namespaces(), reason="no PID and mount namespaces for a sandbox here "
                    "(neither root nor unprivileged user namespaces)")
@pytest.mark.parametrize("mode", ["default", "autograder"])
def test_a_sandbox_sees_only_its_own_processes_and_a_private_tmp(mode, tmp_path, monkeypatch):
    from graders.sandbox.process import Sandbox

    if mode == "autograder" and os.geteuid() != 0:
        pytest.skip("autograder mode's user switch needs root")
    (tmp_path / "host-file").write_text("x")
    monkeypatch.setenv("DLGRADE_HIDE", str(tmp_path))
    code = ("import os, subprocess, sys\n"
            "def look(host_tmp):\n"
            "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(5)'])\n"
            "    pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
            "    child.kill(); child.wait()\n"
            "    return [pids, os.getpid(), child.pid, os.path.exists(host_tmp), os.getcwd()]\n")
    with Sandbox([("look.py", code)], isolation=mode) as sb:
        sb.start()
        pids, me, child, seen, cwd = sb.call("look", str(tmp_path / "host-file"), timeout=30)
        assert sb.isolation.get("pidns") and sb.isolation.get("mountns"), sb.isolation
    assert me == 1 and pids == sorted([1, child]), pids  # nothing but itself and its own child
    assert seen is False and os.path.basename(cwd).startswith("dlgrade-sandbox-")


NON_ROOT_PROBE = """
import json, os
from graders.sandbox.process import Sandbox
code = ("import os\\ndef look():\\n"
        "    return [[p for p in os.listdir('/proc') if p.isdigit()], os.listdir('/tmp'), os.getuid()]\\n")
with Sandbox([("look.py", code)], isolation="default") as sb:
    sb.start()
    pids, tmp, uid = sb.call("look", timeout=30)
    print(json.dumps({"iso": {k: sb.isolation.get(k) for k in ("root", "userns", "pidns", "mountns")},
                      "pids": pids, "tmp": tmp, "uid": uid, "me": os.getuid()}))
"""


@pytest.mark.skipif(not LINUX or shutil.which("unshare") is None, reason="needs Linux and util-linux's unshare")
def test_without_root_a_user_namespace_gives_the_pid_and_mount_namespaces(tmp_path):
    # the grader itself runs as uid 1000 in a user namespace (as an unprivileged user would)
    run = subprocess.run(["unshare", "--user", "--map-user=1000", "--map-group=1000", sys.executable, "-c",
                          NON_ROOT_PROBE], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, TMPDIR=str(tmp_path)))
    if run.returncode != 0 and "unshare failed" in run.stderr:
        pytest.skip(f"no user namespaces here: {run.stderr.strip()[:200]}")
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    if not out["iso"]["userns"]:
        pytest.skip("the kernel refuses unprivileged user namespaces inside one (see docs/security.md)")
    assert out["me"] == 1000 and out["uid"] == 1000 and out["iso"]["root"] is False
    assert out["iso"]["pidns"] and out["iso"]["mountns"]
    # only the way to its own directory, and the folder of a checkout or interpreter that lives
    # under /tmp (bind-mounted back alone: docs/security.md, "A checkout under /tmp")
    kept = {Path(p).resolve().parts[2] for p in (sys.prefix, __file__) if Path(p).resolve().parts[1:2] == ("tmp",)}
    assert out["pids"] == ["1"] and len([name for name in out["tmp"] if name not in kept]) == 1
