"""Building the Gradescope autograder zip of one assignment.

    setup.sh                  builds the image (see scripts.py)
    run_autograder            grades one submission
    requirements.txt          every dependency pinned (==) to the version installed here
    requirements-ranges.txt   dlgrade's declared ranges (setup.sh's fallback)
    dlgrade_autograder.json   the assignment, its options, how hidden checks are shown (run.py's
                              HIDDEN_CHECKS), the versions it was built with
    course-secret             the instructor's course secret (graders.engine.secret): seeds and
                              held-out rows of the trained checks, the same as on the instructor's
                              machine; it lies in the grader's own files under /autograder, which
                              autograder mode hides from the sandbox (DLGRADE_HIDE)
    dlgrade_src/              dlgrade's packages (dlgrade, graders, reference, student_templates)
    dlgrade_courses/          the course folders in use (`--course`, installed courses), when the
                              assignment is graded with any (graders.course_files); the config's
                              "courses" names them and run.py loads them

The zip is reproducible: sorted entries, fixed timestamps, the scripts executable.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from graders.version import __version__
from graders.engine.secret import load_course_secret
from graders.gradescope.scripts import RUN_AUTOGRADER, SECRET_FILE, SETUP_SH

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dlgrade", "graders", "reference", "student_templates")
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".part"}
NOT_PINNED = {"torch"}  # setup.sh installs the CPU build first, from PyTorch's index
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
CONFIG = "dlgrade_autograder.json"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> tuple[str, str]:
    """(name, marker) of a requirement string such as 'foo[bar]>=1; python_version<"3.12"'."""
    spec, _, marker = req.partition(";")
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return (name.group(1) if name else ""), marker.strip()


def declared_requirements(dist: str = "dlgrade") -> list[str]:
    """dlgrade's own requirements without extras (e.g. 'numpy>=1.24')."""
    return [r.split(";")[0].strip() for r in (metadata.requires(dist) or []) if "extra ==" not in r.split(";", 1)[-1]]


def pinned_requirements(dist: str = "dlgrade") -> list[str]:
    """name==version for every installed distribution dlgrade needs, transitively (torch aside)."""
    seen: dict[str, str] = {}
    todo = [_requirement_name(r)[0] for r in declared_requirements(dist)]
    while todo:
        name = todo.pop()
        key = _norm(name)
        if not name or key in seen or key in NOT_PINNED:
            continue
        try:
            found = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python (its marker is false here)
        seen[key] = f"{found.metadata['Name']}=={found.version}"
        for req in found.requires or []:
            sub, marker = _requirement_name(req)
            if "extra ==" not in marker:
                todo.append(sub)
    return sorted(seen.values(), key=str.lower)


def _torch_version() -> str:
    try:
        return metadata.version("torch").split("+")[0]
    except metadata.PackageNotFoundError:
        return "2.13.0"


def _source_files() -> list[tuple[str, Path]]:
    files = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            rel = path.relative_to(REPO_ROOT)
            if path.is_file() and not path.is_symlink() and not (set(rel.parts) & SKIP_DIRS) \
                    and path.suffix not in SKIP_SUFFIXES:
                files.append((f"dlgrade_src/{rel.as_posix()}", path))
    return files


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False, private: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o100755 if executable else (0o100600 if private else 0o100644)
    info.external_attr = (mode & 0xFFFF) << 16
    zf.writestr(info, data)


def bundle_config(assignment: str, options: dict | None = None, hidden_checks: str = "as_declared",
                  courses: list[str] | None = None) -> dict:
    config = {"assignment": assignment, "options": dict(options or {}), "hidden_checks": hidden_checks,
              "dlgrade_version": __version__, "python": "%d.%d" % sys.version_info[:2],
              "torch": _torch_version()}
    if courses:
        config["courses"] = list(courses)
    return config


def build_bundle(assignment: str, out, *, options: dict | None = None,
                 hidden_checks: str = "as_declared", late_policy: dict | None = None,
                 secret: bytes | None = None, course=None) -> Path:
    """Write the autograder zip of `assignment` to `out`; returns its path.

    late_policy: a late policy (graders/gradebook/late.py) that run_autograder applies.
    secret: the course secret's bytes (default: the instructor's, `load_course_secret()`), so
    that Gradescope grades with the seeds and held-out rows the instructor's own runs use.
    course: a course folder (graders.courses); the bundle carries it, and every installed
    course, so that the assignment grades on Gradescope as it does here.
    """
    from graders.course_files import course_files, shipped_names
    from graders.courses import catalog
    from graders.gradescope.run import HIDDEN_CHECKS

    found = catalog(course)
    found.get(assignment)  # KeyError for an unknown id, before anything is written
    if hidden_checks not in HIDDEN_CHECKS:
        raise ValueError(f"hidden_checks must be one of {', '.join(HIDDEN_CHECKS)}, not {hidden_checks!r}")
    config = bundle_config(assignment, options, hidden_checks, shipped_names(found))
    if late_policy is not None:
        config["late_policy"] = late_policy
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    secret = load_course_secret() if secret is None else bytes(secret)
    fill = {"assignment": assignment, "python": config["python"], "torch": config["torch"],
            "secret_file": SECRET_FILE}
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.format(**fill).encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.format(**fill).encode(), executable=True)
        _add(zf, "requirements.txt", ("\n".join(pinned_requirements()) + "\n").encode())
        _add(zf, "requirements-ranges.txt",
             ("\n".join(r for r in declared_requirements() if _norm(_requirement_name(r)[0]) not in NOT_PINNED)
              + "\n").encode())
        _add(zf, CONFIG, (json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
        _add(zf, SECRET_FILE, secret + b"\n", private=True)
        for name, path in _source_files() + course_files(found):
            _add(zf, name, path.read_bytes())
    tmp.replace(out)
    return out
