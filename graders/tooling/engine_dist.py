"""The engine without a course: the `dlgrade-engine` distribution, built from this source tree.

What it holds (ENGINE_FILES): the front doors a student or a course outside the package
uses (the `dlgrade` command line, the notebook self-check, the data sets of `dlgrade.data`)
and the engine below them (graders/engine, sandbox, reports, symbolic, the registry and
version modules). What it never holds (checked after the wheel is built, `check_wheel`): the
bundled course, i.e. any `graders/assignments/<id>/` package, the reference solutions
(`reference/`), known slips, thresholds, the student templates and the course contract. So an
installation of `dlgrade-engine` lists no assignment until a course folder is given.

The build copies those files into a staging folder beside a generated pyproject.toml and runs
`pip wheel` on it (setuptools, as for dlgrade itself): nothing of the wheel is written by hand.
Its requirements are the engine's share of dlgrade's own declared ranges (ENGINE_REQUIREMENTS),
so the two cannot drift apart.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from graders.version import __version__

DIST_NAME = "dlgrade-engine"
# the folder that holds the packages dlgrade, graders (the source tree, or site-packages)
SOURCE_ROOT = Path(__file__).resolve().parents[2]

# Globs relative to SOURCE_ROOT. A package's data files are matched here too (dlgrade/data/files).
ENGINE_FILES = (
    "dlgrade/*.py",
    "dlgrade/data/*.py",
    "dlgrade/data/files/*",
    "graders/__init__.py",
    "graders/version.py",
    "graders/data.py",
    "graders/courses.py",  # course folders: the only assignments this distribution ever grades
    "graders/course_config.py",
    "graders/course_overrides.py",
    "graders/course_files.py",
    "graders/authoring.py",  # what a course's own checks import (`dlgrade new` writes them so)
    "graders/assignments/__init__.py",  # the registry alone: it finds no assignment here
    "graders/engine/*.py",
    "graders/sandbox/*.py",
    "graders/reports/*.py",
    "graders/symbolic/*.py",
)
# What must never be in the wheel, whatever ENGINE_FILES comes to match.
FORBIDDEN = (
    re.compile(r"^graders/assignments/[^/]+/"),  # an assignment of the bundled course
    re.compile(r"^reference/"),
    re.compile(r"^student_templates/"),
    re.compile(r"(^|/)CONTRACT\.md$"),
    re.compile(r"\.ipynb$"),
    re.compile(r"^tests/"),
)

# The engine's requirements, by name; their version ranges are dlgrade's own.
ENGINE_REQUIREMENTS = ("numpy", "nbformat", "hypothesis", "sympy")
ENGINE_EXTRAS = {
    "pictures": ("matplotlib", "pillow"),  # report and feedback pictures
    "datasets": ("scikit-learn",),  # dlgrade.data.load_digits and the sample images
}


class EngineDistError(RuntimeError):
    """The distribution cannot be built (the message says why)."""


def engine_files(root: Path = SOURCE_ROOT) -> list[str]:
    """The source files of the distribution, as sorted paths relative to `root`."""
    found = set()
    for pattern in ENGINE_FILES:
        matches = [p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".pyc", ".pyo")]
        if not matches:
            raise EngineDistError(f"{root}: nothing matches {pattern!r}: not a dlgrade source tree")
        found.update(p.relative_to(root).as_posix() for p in matches)
    bad = sorted(name for name in found if any(rule.search(name) for rule in FORBIDDEN))
    if bad:
        raise EngineDistError(f"course files would enter {DIST_NAME}: {', '.join(bad)}")
    return sorted(found)


def _requirement_ranges() -> dict[str, str]:
    """dlgrade's declared requirements (without extras), by normalised name."""
    try:
        declared = metadata.requires("dlgrade") or []
    except metadata.PackageNotFoundError:
        raise EngineDistError("dlgrade's metadata is not installed: build the engine from a full "
                              "dlgrade installation (pip install -e .)") from None
    ranges = {}
    for req in declared:
        spec, _, marker = req.partition(";")
        if "extra ==" in marker:
            continue
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec).group(1)
        ranges[_norm(name)] = spec.strip()
    return ranges


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pick(ranges: dict[str, str], names) -> list[str]:
    missing = [n for n in names if _norm(n) not in ranges]
    if missing:
        raise EngineDistError(f"dlgrade declares no requirement {', '.join(missing)}")
    return [ranges[_norm(n)] for n in names]


def _toml_list(items) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def engine_pyproject(files: list[str]) -> str:
    """The generated pyproject.toml of the staging folder."""
    ranges = _requirement_ranges()
    packages = sorted({str(Path(f).parent).replace("/", ".") for f in files if f.endswith("/__init__.py")})
    extras = "\n".join(f"{name} = {_toml_list(_pick(ranges, wanted))}" for name, wanted in ENGINE_EXTRAS.items())
    return f"""[build-system]
requires = ["setuptools>=77.0.3"]
build-backend = "setuptools.build_meta"

[project]
name = "{DIST_NAME}"
version = "{__version__}"
description = "dlgrade's grading engine, sandbox and self-check without any course: give it a course folder (DLGRADE_COURSE)."
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
dependencies = {_toml_list(_pick(ranges, ENGINE_REQUIREMENTS))}

[project.optional-dependencies]
{extras}

[project.scripts]
dlgrade = "dlgrade.cli:main"

[tool.setuptools]
packages = {_toml_list(packages)}
include-package-data = false

[tool.setuptools.package-data]
"dlgrade.data" = ["files/*"]
"""


def stage(staging: Path, root: Path = SOURCE_ROOT) -> list[str]:
    """Copy the engine's files and its pyproject.toml into `staging`; returns the files."""
    files = engine_files(root)
    for name in files:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, target)
    (staging / "pyproject.toml").write_text(engine_pyproject(files), encoding="utf-8")
    (staging / "README.md").write_text(
        f"# {DIST_NAME}\n\ndlgrade's engine without a course. Run `dlgrade list --course DIR` "
        "or set DLGRADE_COURSE to a course folder.\n", encoding="utf-8")
    return files


def check_wheel(wheel: Path) -> None:
    """EngineDistError when the built wheel holds anything of a course."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if ".dist-info/" not in n]
    bad = sorted(n for n in names if any(rule.search(n) for rule in FORBIDDEN))
    if bad:
        raise EngineDistError(f"{wheel.name} holds course files: {', '.join(bad)}")


def build_engine_dist(out, *, root: Path = SOURCE_ROOT, python: str = sys.executable) -> Path:
    """Build the `dlgrade-engine` wheel into the folder `out`; returns the wheel's path.

    `pip wheel` runs without build isolation, with the setuptools of `python` (dlgrade's own
    build needs it too), so the build works offline."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dlgrade-engine-") as tmp:
        staging = Path(tmp) / "src"
        stage(staging, root)
        wheels = Path(tmp) / "wheels"
        proc = subprocess.run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "--disable-pip-version-check", "--quiet", "--wheel-dir", str(wheels),
                               str(staging)], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        built = sorted(wheels.glob("*.whl"))
        if proc.returncode != 0 or len(built) != 1:
            raise EngineDistError(f"pip wheel failed (exit status {proc.returncode}):\n"
                                  f"{(proc.stderr or proc.stdout)[-3000:]}")
        check_wheel(built[0])
        target = out / built[0].name
        shutil.copyfile(built[0], target)
    return target
