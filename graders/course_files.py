"""The course folders in use, copied into what a front door ships (a Gradescope bundle, a
PrairieLearn grader) and found again where it runs.

    course_files(catalog)            [(name in the shipment, file)] of every course folder
    shipped_names(catalog)           the folders' names in the shipment, for its config
    shipped_courses(config, base)    the shipped folders' paths, to pass to graders.courses.catalog

Each course folder becomes `dlgrade_courses/<n>_<name>/` (version control, caches and hidden
files left out); the config lists those names, relative to the config's own folder. Where it
runs, the copies are loaded as course folders (synthetic module names, relative imports), so
a course's own assignment, its overrides and its extra checks grade there as they do here.
"""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR = "dlgrade_courses"
CONFIG_KEY = "courses"
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".part"}


def shipped_names(found) -> list[str]:
    """`dlgrade_courses/<n>_<name>` for each course folder of the catalog `found`, in order."""
    return [f"{SHIPPED_DIR}/{n}_{folder.name}" for n, folder in enumerate(found.course_folders())]


def course_files(found) -> list[tuple[str, Path]]:
    """[(name in the shipment, file)] of every file of the catalog's course folders."""
    files = []
    for shipped, folder in zip(shipped_names(found), found.course_folders()):
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and not path.is_symlink() and not (set(rel.parts) & SKIP_DIRS) \
                    and not any(part.startswith(".") for part in rel.parts) and path.suffix not in SKIP_SUFFIXES:
                files.append((f"{shipped}/{rel.as_posix()}", path))
    return files


def shipped_courses(config: dict, base: Path) -> list[Path]:
    """The course folders a shipped config names, as paths (relative ones from `base`, the
    config's folder); [] for a config without courses."""
    names = config.get(CONFIG_KEY) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"the config's {CONFIG_KEY!r} must be a list of folder names")
    return [Path(base) / name for name in names]
