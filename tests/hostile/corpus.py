"""Helpers of the hostile-corpus tests: building a submission and its clean twin, grading
through `dlgrade.cli.main` with small limits, and looking for what a submission left behind.

A corpus file marks its attack with

    # >>> cheat
    ...the attack...
    # === twin
    ...what the clean twin has instead (optional)...
    # <<< cheat

`variant(text, "hostile")` keeps the attack, `variant(text, "twin")` the twin's lines.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

from graders import assignments
from graders.courses import Catalog
from graders.engine.checks import Kind
from graders.sandbox import landlock, libc, seccomp
from graders.sandbox.limits import Limits

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
REPO = HERE.parents[1]
MARKER = "dlgrade-hostile-marker"
SUCCESS = "HOSTILE-SUCCESS"
FAST_LIMITS = Limits(cpu_s=20, memory_mb=1024, file_size_mb=16, processes=32, output_kb=64,
                     startup_s=10.0, disk_mb=64)
CHECK_TIMEOUT_S = 1.0
_BLOCK = re.compile(r"^[ \t]*# >>> cheat\n(.*?)^[ \t]*# <<< cheat\n", re.S | re.M)
_DEF = re.compile(r"^def (\w+)\(", re.M)


def corpus_files() -> list[Path]:
    return sorted(SUBMISSIONS.glob("*.py"))


def variant(text: str, which: str) -> str:
    """The hostile submission (`which="hostile"`) or its clean twin (`"twin"`)."""
    def pick(match):
        body = match.group(1)
        cheat, sep, twin = body.partition("# === twin\n")
        if sep:
            cheat = cheat.rstrip(" \t")
        return cheat if which == "hostile" else (twin if sep else "")
    return _BLOCK.sub(pick, text)


def defined_functions(text: str) -> set[str]:
    return set(_DEF.findall(text))


def fast_assignment(functions: set[str] | None = None, *, properties: bool = True,
                    timeout_s: float | None = CHECK_TIMEOUT_S, limits: Limits = FAST_LIMITS):
    """numpy_basics with small limits and short check timeouts (`timeout_s`; None keeps the
    checks' own), restricted to the checks of `functions` (all when None)."""
    base = assignments.get("numpy_basics")

    def checks(options):
        for check in base.checks(options):
            if functions is not None and check.function not in functions:
                continue
            if not properties and check.kind is Kind.PROPERTY and "unchanged" not in check.name:
                continue
            yield dataclasses.replace(check, timeout_s=min(check.timeout_s, timeout_s or check.timeout_s))

    return dataclasses.replace(base, checks=checks, limits=limits)


def grade_cli(path: Path, out: Path, monkeypatch, assignment) -> dict:
    """Grade through `dlgrade.cli.main` (the registry answers with `assignment`)."""
    from dlgrade.cli import main

    monkeypatch.setattr(Catalog, "get", lambda self, aid: assignment)
    status = main(["grade", str(path), "--assignment", "numpy_basics", "--format", "json",
                   "--out", str(out)])
    assert status == 0, f"dlgrade exited with status {status}"
    return json.loads(out.read_text(encoding="utf-8"))


def assert_valid_report(report: dict) -> None:
    """A complete JSON report (Gradescope's keys and dlgrade's extras), scores consistent."""
    for key in ("score", "max_score", "tests", "execution_time", "captured_output", "load_messages"):
        assert key in report, key
    assert isinstance(report["score"], (int, float))
    assert isinstance(report["tests"], list) and report["tests"]
    total = 0.0
    for t in report["tests"]:
        assert 0 <= t["score"] <= t["max_score"], t
        assert isinstance(t["output"], str)
        total += t["score"]
    assert abs(total - report["score"]) < 1e-6


def report_text(report: dict) -> str:
    """Everything a report shows (the captured output included)."""
    return json.dumps(report)


# ---------------------------------------------------------------- leftovers


def _read(path: str, binary=False):
    try:
        with open(path, "rb" if binary else "r") as f:
            return f.read()
    except OSError:
        return b"" if binary else ""


def survivors() -> list[str]:
    """Processes a sandbox of this process left: with its mark in their environment, with
    the corpus marker in their argv (unless their environment names another process's
    sandbox), or sandbox zombies among this process's children."""
    me = os.getpid()
    mark = f"DLGRADE_SANDBOX={me}-".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        stat = _read(f"/proc/{name}/stat")
        if not stat:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        state, ppid = fields[0], int(fields[1])
        cmdline = _read(f"/proc/{name}/cmdline", binary=True)
        if state == "Z":
            # an unreaped sandbox process (its message-queue limit is the sandbox's 0)
            limits = _read(f"/proc/{name}/limits")
            if ppid == me and any(line.startswith("Max msgqueue size") and line.split()[4] == "0"
                                  for line in limits.splitlines()):
                found.append(f"zombie {name}")
            continue
        environ = _read(f"/proc/{name}/environ", binary=True)
        # (a marked process whose environment names another test process's sandbox is that
        # process's: pytest-xdist runs the corpus in several workers at once)
        theirs = b"DLGRADE_SANDBOX=" in environ and mark not in environ
        if mark in environ or (MARKER.encode() in cmdline and not theirs):
            shown = cmdline.replace(b"\0", b" ")[:120]
            found.append(f"{name} {shown!r}")
    return found


def tree_snapshot(roots) -> dict[str, tuple]:
    """{path: (size, mtime_ns)} of every file under `roots` (missing roots are skipped)."""
    snap = {}
    for root in roots:
        if os.path.isfile(root):
            st = os.stat(root)
            snap[str(root)] = (st.st_size, st.st_mtime_ns)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", ".pytest_cache")]
            for n in filenames:
                p = os.path.join(dirpath, n)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                snap[p] = (st.st_size, st.st_mtime_ns)
    return snap


def cgroup_available() -> bool:
    """Whether this process can give a sandbox its own cgroup (root, writable hierarchy)."""
    from graders.sandbox import reaper

    group = reaper.Cgroup.create(f"dlgrade-probe-{os.getpid()}", 64, 1 << 30)
    if group is None:
        return False
    group.remove()
    return True


def namespaces_available() -> bool:
    """Whether a sandbox can make its PID and mount namespaces here: as root, or in a user
    namespace of its own (where the kernel allows unprivileged ones). Tried in a child."""
    if not libc.LINUX or libc.LIBC is None:
        return False
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            flags = libc.CLONE_NEWNS | libc.CLONE_NEWPID | (0 if os.geteuid() == 0 else libc.CLONE_NEWUSER)
            code = 0 if libc.LIBC.unshare(flags) == 0 else 1
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1] == 0


def protections() -> dict:
    """What this platform enforces in default mode (see docs/security.md)."""
    abi = landlock.landlock_abi() if libc.LINUX else 0
    return {"landlock": abi >= 1, "landlock_net": abi >= 4, "seccomp": libc.LINUX
            and seccomp.platform.machine().lower() in seccomp.SYSCALLS,
            "root": hasattr(os, "geteuid") and os.geteuid() == 0, "linux": libc.LINUX,
            "namespaces": namespaces_available()}
