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


ISOLATION_MODES = ("default", "autograder")
# the mode of a Sandbox (or a grade) given none: every layer that needs no privilege; the
# environment never changes it (docs/security.md, "Modes")
DEFAULT_ISOLATION = "default"


def isolation_from_environment(autograder: bool = False) -> str:
    """The isolation mode a front door passes to the grade: "autograder" when its own flag
    asks for it or the environment does (DLGRADE_AUTOGRADER=1, set by the Gradescope and
    PrairieLearn scripts), else "default". For the front doors only: read once, where the
    grade starts; below them the mode is an argument."""
    requested = os.environ.get("DLGRADE_AUTOGRADER", "").strip().lower() in ("1", "true", "yes", "on")
    return "autograder" if autograder or requested else DEFAULT_ISOLATION


VCS_DIRS = (".git", ".hg", ".svn")
# what marks the folder above the `graders` package as a source checkout (an editable install)
# rather than an environment's site-packages
CHECKOUT_MARKS = ("pyproject.toml", "setup.py", "setup.cfg") + VCS_DIRS


def checkout_paths(root: Path = PACKAGE_ROOT) -> list[Path]:
    """The project checkout the grader runs from (an editable install), whole, and every
    version-control folder (.git, .hg, .svn) of it and of the folders above it; nothing when
    the grader is installed in site-packages."""
    found = []
    if any((root / mark).exists() for mark in CHECKOUT_MARKS):
        found.append(root)
    for folder in (root, *root.parents):
        found += [folder / vcs for vcs in VCS_DIRS if (folder / vcs).exists()]
    return found + [d for git in found if git.name == ".git" and git.is_file() for d in _git_dirs(git)]


def _git_dirs(link: Path) -> list[Path]:
    """The repository a `.git` file points to (a worktree's or a submodule's `gitdir: ...`),
    and the common folder it shares with the main checkout."""
    try:
        text = link.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return []
    if not text.startswith("gitdir:"):
        return []
    gitdir = (link.parent / text[len("gitdir:"):].strip()).resolve()
    dirs = [gitdir]
    try:
        common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
        dirs.append((gitdir / common).resolve())
    except OSError:
        pass
    return [d for d in dirs if d.exists()]


def hidden_paths(mode: str = DEFAULT_ISOLATION) -> list[str]:
    """What a submission may not read: the grader, the references, the templates' examples,
    the repository's tests, the whole checkout with its version control (an editable install),
    DLGRADE_HIDE (os.pathsep-separated: a setting of the whole grader process, as the
    Gradescope and PrairieLearn scripts export it; nothing sets it at run time: a caller
    passes its own paths as `Sandbox(hide=...)`) and, in autograder mode, /autograder (Gradescope's
    source, submission and results folders). Landlock reads from an allow-list besides
    (isolation.readable_roots); this list is what it subtracts from it, and what the mount
    namespace or the file modes hide where Landlock is missing."""
    paths = []
    for package in ("graders", "reference", "student_templates"):
        candidate = PACKAGE_ROOT / package
        if candidate.is_dir():
            paths.append(candidate)
    if (PACKAGE_ROOT / "tests" / "graders").is_dir():
        paths.append(PACKAGE_ROOT / "tests")
    paths += checkout_paths()
    for extra in os.environ.get("DLGRADE_HIDE", "").split(os.pathsep):
        if extra.strip():
            paths.append(Path(extra.strip()))
    if mode == "autograder" and Path("/autograder").is_dir():
        paths.append(Path("/autograder"))
    return list(dict.fromkeys(str(p.resolve()) for p in paths if p.exists()))


def readable_paths() -> list[str]:
    """What a submission may read of the grader's installation: the student-facing `dlgrade`
    package (its data loaders and bundled data sets), also when it lies in the checkout."""
    package = PACKAGE_ROOT / "dlgrade"
    return [str(package.resolve())] if package.is_dir() else []


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
