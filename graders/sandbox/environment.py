"""What a sandbox is given from outside: the modes and layers asked for by the grader's
environment, the paths it may not read, its own uid, and its environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from graders.sandbox import reaper

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# the sandbox's own uids in autograder mode as root: BASE + (grader pid mod 2^20) * 64 + n
SANDBOX_UID_BASE = 3_000_000_000
NOBODY = 65534


def skipped_layers() -> list[str]:
    """Isolation layers switched off by DLGRADE_ISOLATION_SKIP (comma-separated: netns,
    mountns, user, landlock, seccomp, cgroup), for tests of the fallbacks and diagnosis."""
    return [x.strip() for x in os.environ.get("DLGRADE_ISOLATION_SKIP", "").split(",") if x.strip()]


def autograder_requested() -> bool:
    """Autograder mode asked for by the environment (DLGRADE_AUTOGRADER=1)."""
    return os.environ.get("DLGRADE_AUTOGRADER", "").strip().lower() in ("1", "true", "yes", "on")


def hidden_paths(mode: str = "default") -> list[str]:
    """What a submission may not read: the grader, the references, the templates' examples,
    the repository's tests, DLGRADE_HIDE (os.pathsep-separated) and, in autograder mode,
    /autograder (Gradescope's source, submission and results folders)."""
    paths = []
    for package in ("graders", "reference", "student_templates"):
        candidate = PACKAGE_ROOT / package
        if candidate.is_dir():
            paths.append(candidate)
    if (PACKAGE_ROOT / "tests" / "graders").is_dir():
        paths.append(PACKAGE_ROOT / "tests")
    for extra in os.environ.get("DLGRADE_HIDE", "").split(os.pathsep):
        if extra.strip():
            paths.append(Path(extra.strip()))
    if mode == "autograder" and Path("/autograder").is_dir():
        paths.append(Path("/autograder"))
    return [str(p.resolve()) for p in paths if p.exists()]


def sandbox_uid() -> tuple[int, int]:
    """An unprivileged uid/gid for one sandbox (autograder mode as root).

    A fresh uid per sandbox (no /etc/passwd entry needed) when the uid map allows it, so
    that concurrent sandboxes cannot signal each other and every process of the sandbox
    can be found by its uid; `nobody` (65534) otherwise, or DLGRADE_SANDBOX_USER.
    """
    forced = os.environ.get("DLGRADE_SANDBOX_USER", "").strip()
    if forced:
        if forced.isdigit():
            return int(forced), int(forced)
        import pwd

        entry = pwd.getpwnam(forced)
        return entry.pw_uid, entry.pw_gid
    try:
        full = open("/proc/self/uid_map").read().split() == ["0", "0", "4294967295"]
    except OSError:
        full = False
    if not full:
        return NOBODY, NOBODY
    uid = SANDBOX_UID_BASE + (os.getpid() % (1 << 20)) * 64 + next(reaper._COUNTER) % 64
    return uid, uid



SERVER_ENV_PAD = 16384  # room in the server's environment block for a sandbox's (see child.py)


def server_environment() -> dict[str, str]:
    """The fork server's environment: the sandboxes' fixed one (HOME and TMPDIR are set to the
    server's own directory when it starts), no mark (it is not a sandbox), padded so that each
    forked sandbox process can write its own environment over the server's initial environment
    block (/proc/<pid>/environ)."""
    env = child_environment("")
    env["DLGRADE_FORKSERVER_PAD"] = "-" * SERVER_ENV_PAD
    return env


def child_environment(workdir: str, token: str | None = None) -> dict[str, str]:
    """A small, fixed environment: deterministic hashing and one BLAS/OpenMP thread.

    token: the sandbox's mark (DLGRADE_SANDBOX), by which the grader recognises its
    processes after they left its process tree.
    """
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "USER": "dlgrade-sandbox",
        "LOGNAME": "dlgrade-sandbox",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    if token:
        env["DLGRADE_SANDBOX"] = token
    return env
