"""What the Gradescope bundle of one assignment carries, resolved at build time.

    the engine        every file of `dlgrade` and `graders` but the bundled course's assignments
                      and the tooling (graders/tooling): the grader, sandbox, reports, data sets
    the assignment    its package (`<course>/<id>/`, its data files included), less the
                      instructor's tools in it (TOOLING_FILES) unless grading imports them, and
                      the folders `<id>/` of the courses that extend it
    what it reaches   the reference solution and sandbox task files it names, and every module of
                      dlgrade's source or of a course (other assignments' modules, references,
                      a course's shared helpers) that these import, found by reading their
                      import statements (relative ones too)
    course.toml       of each course carried, reduced to `[course]` and `[assignments.<id>]`
    the template      student_templates' builder, so the grader knows an untouched template

Nothing else of any course travels: not the other assignments, their references or notebooks.
A course folder that neither defines nor extends the assignment is not carried at all.
`bundle_contents` fails with BundleError, before anything is written, when something cannot
be resolved: a file the assignment names that does not exist, an import of a module of
dlgrade or of a course that is not there, an import of a library the bundle would not install
(one dlgrade does not require, or torch in an assignment whose sandbox does not preload it),
a data file named in the code that is in none of the folders the bundle carries, or a
course.toml that cannot be reduced to the assignment.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = "dlgrade_src"
COURSES_DIR = "dlgrade_courses"  # as graders.course_files ships course folders
ENGINE_PACKAGES = ("dlgrade", "graders")
COURSE_PACKAGES = ("reference", "student_templates")  # carried in part: what the assignment reaches
LEFT_OUT = ("graders/assignments/", "graders/tooling/")  # of the engine packages
ALWAYS = ("graders/assignments/__init__.py", "reference/__init__.py", "student_templates/__init__.py",
          "student_templates/build.py")
# The instructor's tools kept beside an assignment's checks: not needed to grade.
TOOLING_FILES = {"calibrate.py", "pretrain.py", "slips.py"}
COURSE_CONFIG = "course.toml"
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".part"}
DATA_NAME = re.compile(r"^[\w./-]+\.(npz|npy|pt|pth|json|csv|txt|ts|pkl)$")
TABLE_HEADER = re.compile(r"^\s*\[\[?\s*(?P<key>[^\]]*?)\s*\]\]?\s*(#.*)?$")
ASSIGNMENT_TABLE = re.compile(r"""^assignments\s*\.\s*(?P<q>["']?)(?P<id>[A-Za-z_]\w*)(?P=q)""")


class BundleError(ValueError):
    """The bundle cannot be built: the message says what could not be resolved."""


@dataclass(frozen=True)
class BundleContents:
    files: list[tuple[str, bytes]]  # (name in the bundle, content), sorted by name
    courses: list[str]  # the course folders carried, for the config's "courses"


@dataclass(frozen=True)
class _Place:
    """A folder whose files travel under `shipped`, holding the modules `<package>.*`."""

    folder: Path
    package: str  # "" for dlgrade's source root: its files' modules are their own paths
    shipped: str


def _kept(path: Path, folder: Path) -> bool:
    rel = path.relative_to(folder)
    return (path.is_file() and not path.is_symlink() and not (set(rel.parts) & SKIP_DIRS)
            and not any(part.startswith(".") for part in rel.parts) and path.suffix not in SKIP_SUFFIXES)


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if _kept(p, folder)}


def engine_files(root: Path = SOURCE_ROOT) -> set[Path]:
    found = set()
    for package in ENGINE_PACKAGES:
        for path in _files_under(root / package):
            if not path.relative_to(root).as_posix().startswith(LEFT_OUT):
                found.add(path)
    return found


class _Resolver:
    """Module names to files and files to their names in the bundle, for dlgrade's source and
    the course folders carried (a course folder before the source root that may hold it)."""

    def __init__(self, root: Path, courses: list[tuple[Path, str, str]]):
        self.root = root.resolve()
        self.places = [_Place(Path(f).resolve(), package, shipped) for f, package, shipped in courses]
        self.places.append(_Place(self.root, "", SOURCE_DIR))

    def place(self, path: Path) -> _Place:
        for place in self.places:
            if path.resolve().is_relative_to(place.folder):
                return place
        raise BundleError(f"{path} is in neither dlgrade's source nor a course folder: the bundle cannot carry it")

    def shipped(self, path: Path) -> str:
        place = self.place(path)
        return f"{place.shipped}/{path.resolve().relative_to(place.folder).as_posix()}"

    def package_of(self, path: Path) -> str:
        """The package a module file belongs to (for `__init__.py`, the package itself)."""
        place = self.place(path)
        parts = list(path.resolve().relative_to(place.folder).parts[:-1])
        return ".".join(([place.package] if place.package else []) + parts)

    def known_top(self, top: str) -> bool:
        return top in ENGINE_PACKAGES + COURSE_PACKAGES or any(p.package == top for p in self.places[:-1])

    def module_file(self, dotted: str) -> Path | None:
        """The file of a module of dlgrade's source or of a course carried, or None."""
        top, *rest = dotted.split(".")
        for place in self.places:
            if place.package == top:
                base = place.folder.joinpath(*rest)
                break
        else:
            base = self.root.joinpath(top, *rest)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def parents(self, path: Path) -> list[Path]:
        """The __init__.py files of the packages above a module's file, within its place."""
        place = self.place(path)
        parts = path.resolve().relative_to(place.folder).parts[:-1]
        found = [place.folder.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts) + 1)]
        return [p for p in found if p.is_file()]


def imported_modules(path: Path, package: str) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) for each import statement of the file, wherever it is (inside
    functions too); relative imports made absolute against `package`, the file's package."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base = parts[:len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, tuple(alias.name for alias in node.names)))
    return found


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _library_modules(installed: set[str]) -> set[str]:
    """Top-level modules of the installed distributions in `installed` (normalised names)."""
    return {top for top, dists in metadata.packages_distributions().items()
            if any(_norm(d) in installed for d in dists)}


def _data_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and DATA_NAME.match(node.value)]


def reduced_course_config(path: Path, assignment_id: str) -> bytes:
    """The course.toml at `path` with only `[course]` and the tables of `assignment_id`: the
    bundle carries no other assignment, and a course.toml naming one would not load."""
    text = path.read_text(encoding="utf-8")
    kept, keep = [], True
    for line in text.splitlines(keepends=True):
        header = TABLE_HEADER.match(line)
        if header:
            table = ASSIGNMENT_TABLE.match(header.group("key"))
            keep = table is None or table.group("id") == assignment_id
        if keep:
            kept.append(line)
    reduced = "".join(kept)
    try:
        original, got = tomllib.loads(text), tomllib.loads(reduced)
    except tomllib.TOMLDecodeError as exc:
        raise BundleError(f"{path}: not valid TOML ({exc})") from None
    expected = dict(original)
    if "assignments" in original:
        mine = {k: v for k, v in original["assignments"].items() if k == assignment_id}
        expected.pop("assignments")
        if mine:
            expected["assignments"] = mine
    if got.get("assignments") == {}:
        got.pop("assignments")
    if got != expected:
        raise BundleError(f"{path}: cannot be reduced to {assignment_id} for its bundle; write each "
                          "assignment's overrides in its own [assignments.<id>] tables")
    return reduced.encode("utf-8")


def _carried_courses(found, assignment_id: str) -> list:
    """The courses (besides the bundled one) that define or extend the assignment."""
    owner = found.owner(assignment_id)
    hidden = {Path(f).resolve() for f in found.course_folders()}
    return [c for c in found.courses if Path(c.folder).resolve() in hidden
            and (c is owner or (c.folder / assignment_id).is_dir() or assignment_id in c.config.assignments)]


def _selection(found, assignment_id: str, installed: set[str], root: Path, named=()):
    """(files of the course carried, engine files, resolver, courses carried, their shipped names)
    for the assignment's folders and the files in `named` ((what, path) pairs), with their imports."""
    manifest = found.manifests().get(assignment_id)
    if manifest is None:
        raise KeyError(assignment_id)
    courses = _carried_courses(found, assignment_id)
    shipped = [f"{COURSES_DIR}/{n}_{c.folder.name}" for n, c in enumerate(courses)]
    resolver = _Resolver(root, [(c.folder, c.package, name) for c, name in zip(courses, shipped)])
    folders = [Path(c.folder) / assignment_id for c in found.courses if (Path(c.folder) / assignment_id).is_dir()]
    seeds = {p for folder in folders for p in _files_under(folder) if p.name not in TOOLING_FILES}
    for what, path in named:
        if not Path(path).is_file():
            raise BundleError(f"{assignment_id}: its {what} {path} does not exist")
        seeds.add(Path(path))
    engine = {p.resolve() for p in engine_files(root)}
    files = {p.resolve() for p in seeds} | {(root / name).resolve() for name in ALWAYS}
    _follow_imports(files, engine, resolver, assignment_id, manifest.preload, _library_modules(installed))
    files |= {parent.resolve() for path in list(files) for parent in resolver.parents(path)}
    return files, engine, resolver, courses, shipped


def check_sources(found, assignment_id: str, installed: set[str], root: Path = SOURCE_ROOT) -> None:
    """BundleError for what the assignment's folders import and the bundle cannot satisfy,
    found by reading them (nothing is imported); KeyError for an unknown id."""
    _selection(found, assignment_id, installed, root)


def bundle_contents(found, assignment_id: str, installed: set[str], root: Path = SOURCE_ROOT) -> BundleContents:
    """Every file of the bundle's dlgrade_src/ and dlgrade_courses/ for `assignment_id` of the
    catalog `found` (graders.courses); `installed`: the normalised names of the distributions
    the bundle installs. See the module's docstring."""
    check_sources(found, assignment_id, installed, root)  # before the assignment's code runs here
    try:
        assignment = found.get(assignment_id)
    except KeyError:
        raise
    except Exception as exc:
        raise BundleError(f"{assignment_id} cannot be loaded ({type(exc).__name__}: {exc})") from None
    named = [("reference", assignment.reference)] + [("task file", t) for t in assignment.tasks]
    files, engine, resolver, courses, shipped = _selection(found, assignment_id, installed, root, named)
    carried = {resolver.shipped(p) for p in files | engine}
    for path in sorted(p for p in files if p.suffix == ".py"):
        for name in _data_names(path):
            if not any(c.endswith("/" + name.lstrip("./")) for c in carried):
                raise BundleError(f"{path} names the data file {name!r}, which is not in the bundle "
                                  f"(put it in {path.parent})")
    contents = {resolver.shipped(p): p.read_bytes() for p in files | engine}
    for course, name in zip(courses, shipped):
        if (course.folder / COURSE_CONFIG).is_file():
            contents[f"{name}/{COURSE_CONFIG}"] = reduced_course_config(course.folder / COURSE_CONFIG, assignment_id)
    return BundleContents(files=sorted(contents.items()), courses=shipped)


def _follow_imports(files: set[Path], engine: set[Path], resolver: _Resolver, assignment_id: str,
                    preload: tuple[str, ...], libraries: set[str]) -> None:
    """Add to `files` every module of dlgrade's source or of a course that they import,
    transitively; BundleError for an import the bundle cannot satisfy."""
    todo = [f for f in files if f.suffix == ".py"]
    while todo:
        path = todo.pop()
        for module, names in imported_modules(path, resolver.package_of(path)):
            top = module.split(".")[0]
            if resolver.known_top(top):
                found = resolver.module_file(module)
                if found is None:
                    raise BundleError(f"{path} imports {module}, which is in neither dlgrade's source nor the course")
                wanted = [found] + [sub for sub in (resolver.module_file(f"{module}.{n}") for n in names) if sub]
                for new in (p.resolve() for p in wanted + [q for w in wanted for q in resolver.parents(w)]):
                    if new in files or new in engine:
                        continue
                    if resolver.shipped(new).startswith(f"{SOURCE_DIR}/graders/tooling/"):
                        raise BundleError(f"{path} imports {module}: grading cannot need dlgrade's tooling")
                    files.add(new)
                    todo.append(new)
            elif top == "torch" and "torch" not in preload:
                raise BundleError(f"{path} imports torch, but {assignment_id}'s sandbox does not preload it "
                                  "(assignment.toml's preload): its bundle installs no torch")
            elif top and top != "torch" and top not in sys.stdlib_module_names and top not in libraries:
                raise BundleError(f"{path} imports {module}, which the bundle would not install "
                                  "(not a requirement of dlgrade)")
