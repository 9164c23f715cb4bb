"""Courses: folders of assignments, the bundled one and an instructor's own.

A course is a folder with one Python package per assignment (`<id>/assignment.toml` and an
`__init__.py` defining `ASSIGNMENT`), and optionally a `course.toml` of overrides
(`graders.course_config`). The bundled course is `graders/assignments/`; a course folder
given on the command line (`--course DIR`, `DLGRADE_COURSE`) and the courses installed
packages register in the entry-point group `dlgrade.courses` are loaded the same way:

    catalog(course=None) -> Catalog     every course in use, one code path
    Catalog.ids() / manifests()         from the manifests alone (nothing imported)
    Catalog.get(id) -> Assignment       its package imported now, the overrides applied
    Catalog.slips(id)                   its known slips (`slips.py`), or None
    Catalog.folder(id)                  the folder of its package
    Catalog.course_folders()            what no sandbox may ever read

A course folder that is not an importable package is imported under a synthetic, stable
module name (`dlgrade_course_<name>_<hash of its path>`), so its assignments are
`<that>.<id>` and use relative imports inside. A folder `COURSE/<id>/` without an
`assignment.toml`, named after an assignment of another course, extends that assignment with
the checks its modules yield (the modules `course.toml` lists). Everything wrong with a
course (a malformed manifest or course.toml, an id two courses define, an override of an
unknown check) is a `CourseError` naming the file.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from graders.course_config import AssignmentOverrides, CourseConfig, CourseError, read_course_config, read_toml

if TYPE_CHECKING:
    from graders.engine.assignment import Assignment

MANIFEST = "assignment.toml"
ENTRY_POINT_GROUP = "dlgrade.courses"
COURSE_ENVIRONMENT = "DLGRADE_COURSE"
BUNDLED_FOLDER = Path(__file__).resolve().parent / "assignments"
BUNDLED_PACKAGE = "graders.assignments"

__all__ = ["Catalog", "Course", "CourseError", "Manifest", "catalog", "course_from_environment", "read_manifest"]


@dataclass(frozen=True)
class Manifest:
    """What a course knows of an assignment without importing it."""

    id: str
    title: str
    preload: tuple[str, ...]


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the assignment package in `folder`; a CourseError (a ValueError) naming
    the file if it is malformed."""
    path = folder / MANIFEST
    data = read_toml(path)
    if data.get("id") != folder.name or not isinstance(data.get("title"), str):
        raise CourseError(f"{path}: needs id = {folder.name!r} and a title")
    preload = data.get("preload", ["numpy"])
    if not isinstance(preload, list) or not all(isinstance(p, str) for p in preload):
        raise CourseError(f"{path}: preload must be a list of module names")
    return Manifest(id=data["id"], title=data["title"], preload=tuple(preload))


def synthetic_package_name(folder: Path, name: str) -> str:
    """The module name a course folder is imported under: stable for one folder (its resolved
    path), distinct for two folders of the same name."""
    digest = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:8]
    slug = re.sub(r"\W", "_", name.lower()).strip("_") or "course"
    return f"dlgrade_course_{slug}_{digest}"


@dataclass(frozen=True)
class Course:
    """One course folder.

    folder: the folder of assignment packages.
    package: the module name its assignments are imported under (`<package>.<id>`).
    synthetic: whether `package` is made up here (a plain folder) rather than a real package.
    config: its course.toml (empty when it has none).
    origin: where it came from, for messages ("bundled", "--course", an entry point).
    """

    folder: Path
    package: str
    synthetic: bool
    config: CourseConfig = field(default_factory=CourseConfig)
    origin: str = "bundled"

    @classmethod
    def bundled(cls) -> Course:
        return cls(BUNDLED_FOLDER, BUNDLED_PACKAGE, synthetic=False,
                   config=read_course_config(BUNDLED_FOLDER))

    @classmethod
    def from_folder(cls, folder, origin: str = "--course", package: str | None = None) -> Course:
        """The course in `folder`; `package`: its real module name when it is an importable
        package (an installed course), else a synthetic one."""
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            raise CourseError(f"{folder}: no such course folder ({origin})")
        if (folder / MANIFEST).is_file():
            raise CourseError(f"{folder}: an assignment's folder, not a course's ({origin}); give the folder "
                              "that holds it")
        config = read_course_config(folder)
        if package is not None:
            return cls(folder, package, synthetic=False, config=config, origin=origin)
        return cls(folder, synthetic_package_name(folder, config.name or folder.name), synthetic=True,
                   config=config, origin=origin)

    @property
    def name(self) -> str:
        return self.config.name or self.folder.name

    def _assignment_folders(self) -> list[Path]:
        return [p for p in sorted(self.folder.iterdir()) if p.is_dir() and p.name.isidentifier()
                and not p.name.startswith("_")]

    def manifests(self) -> dict[str, Manifest]:
        """The manifests of the assignments this course defines, by id, sorted by id."""
        found = {}
        for folder in self._assignment_folders():
            if (folder / MANIFEST).is_file():
                if not (folder / "__init__.py").is_file():
                    raise CourseError(f"{folder}: has {MANIFEST} but no __init__.py defining ASSIGNMENT")
                found[folder.name] = read_manifest(folder)
        return found

    def module_folders(self) -> list[str]:
        """Names of its folders without a manifest that hold Python modules: extensions of
        another course's assignment (named after it), or the course's own shared code."""
        return [f.name for f in self._assignment_folders() if not (f / MANIFEST).is_file() and any(f.glob("*.py"))]

    def package_module(self) -> ModuleType:
        """The course's package, imported (a synthetic one registered in sys.modules, with the
        folder as its path and none of its code run)."""
        if not self.synthetic:
            return importlib.import_module(self.package)
        module = sys.modules.get(self.package)
        if module is not None:
            return module
        spec = importlib.machinery.ModuleSpec(self.package, None, is_package=True)
        spec.submodule_search_locations = [str(self.folder)]
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.package] = module
        return module

    def import_module(self, dotted: str) -> ModuleType:
        """`<package>.<dotted>` imported (e.g. "numpy_basics.slips"). For a course of an
        instructor's own, an error in its code is a CourseError naming the file and line."""
        self.package_module()
        name = f"{self.package}.{dotted}"
        if self.folder == BUNDLED_FOLDER:
            return importlib.import_module(name)
        try:
            return importlib.import_module(name)
        except CourseError:
            raise
        except Exception as exc:
            raise CourseError(f"{self.folder / dotted.replace('.', '/')}: cannot be imported: "
                              f"{_where(exc, self.folder)}{type(exc).__name__}: {exc}") from None

    def load(self, assignment_id: str) -> Assignment:
        """The assignment this course defines under `assignment_id` (no overrides applied);
        KeyError for an id it does not define, without importing anything."""
        from graders.engine.assignment import Assignment

        folder = self.folder / assignment_id
        if not assignment_id.isidentifier() or not (folder / MANIFEST).is_file():
            raise KeyError(assignment_id)
        module = self.import_module(assignment_id)
        found = getattr(module, "ASSIGNMENT", None)
        if not isinstance(found, Assignment):
            raise CourseError(f"{folder / '__init__.py'}: defines no ASSIGNMENT = Assignment(...)")
        if found.id != assignment_id:
            raise CourseError(f"{folder / '__init__.py'}: its ASSIGNMENT's id is {found.id!r}, its {MANIFEST}'s "
                              f"{assignment_id!r}")
        return found


def _where(exc: BaseException, folder: Path) -> str:
    """"FILE:LINE: " of the innermost frame of `exc` in the course folder ("" if none)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(str(folder))]
    return f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""


@dataclass(frozen=True)
class Catalog:
    """Every course in use: the bundled one first, then the installed ones, then the folder
    given. Built by `catalog()`, which checks that no id is defined twice."""

    courses: tuple[Course, ...]

    def manifests(self) -> dict[str, Manifest]:
        """Every assignment's manifest, by id, sorted by id."""
        found: dict[str, Manifest] = {}
        for course in self.courses:
            found.update(course.manifests())
        return dict(sorted(found.items()))

    def ids(self) -> list[str]:
        return list(self.manifests())

    def owner(self, assignment_id: str) -> Course:
        """The course that defines this id; KeyError if none does."""
        for course in self.courses:
            if assignment_id.isidentifier() and (course.folder / assignment_id / MANIFEST).is_file():
                return course
        raise KeyError(assignment_id)

    def folder(self, assignment_id: str) -> Path:
        return self.owner(assignment_id).folder / assignment_id

    def course_folders(self) -> list[Path]:
        """The folders of the courses besides the bundled one: what a sandbox must never read."""
        return [c.folder for c in self.courses if c.folder != BUNDLED_FOLDER]

    def extensions(self, assignment_id: str) -> list[tuple[Course, AssignmentOverrides]]:
        """The courses that override or extend this assignment, with their overrides, in order."""
        return [(c, c.config.assignments[assignment_id]) for c in self.courses
                if assignment_id in c.config.assignments]

    def get(self, assignment_id: str) -> Assignment:
        """The assignment, its package imported now, every course's overrides and extra checks
        applied; KeyError for an unknown id (nothing imported)."""
        from graders.course_overrides import apply_overrides

        owner = self.owner(assignment_id)
        base = owner.load(assignment_id)
        return apply_overrides(base, self.extensions(assignment_id), owner_folder=owner.folder / assignment_id,
                               hide=tuple(self.course_folders()))

    def slips(self, assignment_id: str) -> ModuleType | None:
        """The assignment's known slips (its `slips.py`), or None when it has none."""
        course = self.owner(assignment_id)
        if not (course.folder / assignment_id / "slips.py").is_file():
            return None
        return course.import_module(f"{assignment_id}.slips")


def course_from_environment(given=None):
    """The course folder a front door uses: `given` (its --course), else DLGRADE_COURSE, else None."""
    chosen = given if given else os.environ.get(COURSE_ENVIRONMENT, "").strip()
    return chosen or None


def entry_point_courses() -> list[Course]:
    """The courses installed packages register in the entry-point group `dlgrade.courses`: the
    entry point names a package (the course is its folder, imported under its own name), a
    module (the course is the folder it lies in) or an object that is a path."""
    courses = []
    for point in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        origin = f"entry point {point.name} = {point.value} ({ENTRY_POINT_GROUP})"
        try:
            loaded = point.load()
        except Exception as exc:
            raise CourseError(f"{origin}: cannot be loaded ({type(exc).__name__}: {exc})") from None
        if isinstance(loaded, ModuleType) and getattr(loaded, "__path__", None):
            courses.append(Course.from_folder(Path(list(loaded.__path__)[0]), origin, package=loaded.__name__))
        elif isinstance(loaded, ModuleType) and getattr(loaded, "__file__", None):
            courses.append(Course.from_folder(Path(loaded.__file__).parent, origin))
        elif isinstance(loaded, (str, Path)):
            courses.append(Course.from_folder(Path(loaded), origin))
        else:
            raise CourseError(f"{origin}: names neither a module nor a path")
    return courses


def catalog(course=None) -> Catalog:
    """The bundled course, the installed courses, and the course folder `course` (a path, a
    list of paths, or None for none), checked: an id defined by two courses, an extension of
    an unknown id or an override of an unknown assignment is a CourseError."""
    courses = [Course.bundled()] + entry_point_courses()
    given = course if isinstance(course, (list, tuple)) else [course]
    courses += [Course.from_folder(c) for c in given if c is not None and str(c).strip()]
    seen: dict[Path, Course] = {}
    for c in courses:
        seen.setdefault(c.folder, c)  # a course given twice (installed and named) counts once
    return _checked(Catalog(tuple(seen.values())))


def _checked(found: Catalog) -> Catalog:
    defined: dict[str, Course] = {}
    for course in found.courses:
        for aid in course.manifests():
            if aid in defined:
                raise CourseError(f"{course.folder / aid / MANIFEST}: assignment {aid!r} is already defined by "
                                  f"{defined[aid].folder / aid} ({defined[aid].origin}); a course extends an "
                                  "assignment of another course in a folder without assignment.toml")
            defined[aid] = course
    for course in found.courses:
        for aid in course.config.assignments:
            if aid not in defined:
                raise CourseError(f"{course.config.path}: [assignments.{aid}]: no such assignment")
        for aid in course.module_folders():  # named after an assignment: its modules must be listed
            table = course.config.assignments.get(aid)
            if aid in defined and defined[aid] is not course and not (table and table.extra_checks):
                raise CourseError(f"{course.folder / aid}: extends {aid}, but {course.folder / 'course.toml'} lists "
                                  f"none of its modules: add [assignments.{aid}] extra_checks = [\"MODULE\", ...]")
    return found
