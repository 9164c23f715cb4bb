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
    dlgrade_src/              the engine and, of the bundled course, this one assignment: its
                              graders, data, reference and the course modules they import,
                              nothing of other assignments (contents.py)
    dlgrade_courses/          of the course folders in use (`--course`, installed courses), those
                              that define or extend this assignment, with only what it needs and
                              their course.toml reduced to it (contents.py); the config's
                              "courses" names them and run.py loads them

torch is installed only when the assignment's sandbox preloads it.

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
from graders.gradescope.contents import bundle_contents, check_sources
from graders.gradescope.scripts import NO_TORCH_SETUP, RUN_AUTOGRADER, SECRET_FILE, SETUP_SH, TORCH_SETUP

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


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False, private: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o100755 if executable else (0o100600 if private else 0o100644)
    info.external_attr = (mode & 0xFFFF) << 16
    zf.writestr(info, data)


def _installed(pins: list[str]) -> set[str]:
    return {_norm(p.split("==")[0]) for p in pins}


def installed_requirements() -> set[str]:
    """The normalised names of the distributions a bundle installs (torch aside)."""
    return _installed(pinned_requirements())


def check_assignment_sources(assignment: str, course=None) -> None:
    """BundleError for what the assignment's own files import and its bundle cannot satisfy,
    read without importing them (a front door asks before it loads the assignment)."""
    from graders.courses import catalog

    check_sources(catalog(course), assignment, _installed(pinned_requirements()))


def bundle_config(assignment: str, options: dict | None = None, hidden_checks: str = "as_declared",
                  courses: list[str] | None = None, torch: bool = True) -> dict:
    """The bundle's dlgrade_autograder.json; "torch" is the version setup.sh installs, or None."""
    config = {"assignment": assignment, "options": dict(options or {}), "hidden_checks": hidden_checks,
              "dlgrade_version": __version__, "python": "%d.%d" % sys.version_info[:2],
              "torch": _torch_version() if torch else None}
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
    course: a course folder (graders.courses); the bundle carries what the assignment needs of
    it and of the installed courses, so that the assignment grades on Gradescope as it does here.
    Raises KeyError for an unknown id and BundleError when the assignment's files cannot all be
    resolved (graders/gradescope/contents.py), before anything is written.
    """
    from graders.courses import catalog
    from graders.gradescope.run import HIDDEN_CHECKS

    found = catalog(course)
    if hidden_checks not in HIDDEN_CHECKS:
        raise ValueError(f"hidden_checks must be one of {', '.join(HIDDEN_CHECKS)}, not {hidden_checks!r}")
    pins = pinned_requirements()
    # KeyError for an unknown id, BundleError for what cannot be resolved: before anything is written
    contents = bundle_contents(found, assignment, _installed(pins))
    torch = "torch" in found.get(assignment).preload
    config = bundle_config(assignment, options, hidden_checks, contents.courses, torch=torch)
    if late_policy is not None:
        config["late_policy"] = late_policy
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    secret = load_course_secret() if secret is None else bytes(secret)
    fill = {"assignment": assignment, "python": config["python"], "torch": config["torch"],
            "secret_file": SECRET_FILE}
    fill["torch_setup"] = (TORCH_SETUP if torch else NO_TORCH_SETUP).format(**fill)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.format(**fill).encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.format(**fill).encode(), executable=True)
        _add(zf, "requirements.txt", ("\n".join(pins) + "\n").encode())
        _add(zf, "requirements-ranges.txt",
             ("\n".join(r for r in declared_requirements() if _norm(_requirement_name(r)[0]) not in NOT_PINNED)
              + "\n").encode())
        _add(zf, CONFIG, (json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
        _add(zf, SECRET_FILE, secret + b"\n", private=True)
        for name, data in contents.files:
            _add(zf, name, data)
    tmp.replace(out)
    return out
