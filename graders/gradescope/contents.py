"""What the Gradescope bundle of one assignment carries, resolved at build time.

    the engine        every file of `dlgrade` and `graders` but the course's assignments and the
                      tooling (graders/tooling): the grader, sandbox, reports, data sets
    the assignment    its package (graders/assignments/<id>/, its data files included), less the
                      instructor's tools in it (TOOLING_FILES) unless grading imports them
    what it reaches   the reference solution it names, its sandbox task files, and every module
                      of the course (other assignments' modules, other references) that these
                      import, found by reading their import statements
    the template      student_templates' builder, so the grader knows an untouched template

Nothing else of the course travels: not the other assignments, their references or notebooks.
`bundle_files` fails with BundleError, before anything is written, when something cannot be
resolved: a file the assignment names that does not exist, an import of a course module
that is not there, an import of a library the bundle would not install (one dlgrade does not
require, or torch in an assignment whose sandbox does not preload it), or a data file named
in the code that is in none of the folders the bundle carries.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]
ENGINE_PACKAGES = ("dlgrade", "graders")
COURSE_PACKAGES = ("reference", "student_templates")  # carried in part: what the assignment reaches
LEFT_OUT = ("graders/assignments/", "graders/tooling/")  # of the engine packages
ALWAYS = ("graders/assignments/__init__.py", "reference/__init__.py", "student_templates/__init__.py",
          "student_templates/build.py")
# The instructor's tools kept beside an assignment's checks: not needed to grade.
TOOLING_FILES = {"calibrate.py", "pretrain.py", "slips.py"}
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".part"}
DATA_NAME = re.compile(r"^[\w./-]+\.(npz|npy|pt|pth|json|csv|txt|ts|pkl)$")


class BundleError(ValueError):
    """The bundle cannot be built: the message says what could not be resolved."""


def _kept(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    return (path.is_file() and not path.is_symlink() and not (set(rel.parts) & SKIP_DIRS)
            and path.suffix not in SKIP_SUFFIXES)


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise BundleError(f"{path} is outside dlgrade's source ({root}): the bundle cannot carry it") from None


def engine_files(root: Path = SOURCE_ROOT) -> set[str]:
    found = set()
    for package in ENGINE_PACKAGES:
        for path in (root / package).rglob("*"):
            rel = path.relative_to(root).as_posix()
            if _kept(path, root) and not rel.startswith(LEFT_OUT):
                found.add(rel)
    return found


def module_file(dotted: str, root: Path = SOURCE_ROOT) -> str | None:
    """The file (relative to root) of a module of dlgrade's source, or None."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root).as_posix()
    return None


def _package_of(rel: str) -> str:
    """The package a module file belongs to (for `__init__.py`, the package itself)."""
    return ".".join(rel.split("/")[:-1])


def imported_modules(rel: str, root: Path = SOURCE_ROOT) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) for each import statement of the file, wherever it is (inside
    functions too); relative imports made absolute."""
    tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(rel).split(".")
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, tuple(alias.name for alias in node.names)))
    return found


def _distribution_modules(allowed: set[str]) -> set[str]:
    """Top-level modules of the installed distributions in `allowed` (normalised names)."""
    tops = set()
    for top, dists in metadata.packages_distributions().items():
        if any(_norm(d) in allowed for d in dists):
            tops.add(top)
    return tops


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _data_names(rel: str, root: Path) -> list[str]:
    tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and DATA_NAME.match(node.value)]


def assignment_files(assignment, installed: set[str], root: Path = SOURCE_ROOT) -> set[str]:
    """The course's files the grading of `assignment` needs (see the module's docstring).

    installed: the normalised names of the distributions the bundle installs."""
    folder = root / "graders" / "assignments" / assignment.id
    if not (folder / "__init__.py").is_file():
        raise BundleError(f"{assignment.id}: no package {folder}")
    seeds = {_rel(p, root) for p in folder.rglob("*") if _kept(p, root) and p.name not in TOOLING_FILES}
    for what, path in [("reference", assignment.reference)] + [("task file", t) for t in assignment.tasks]:
        if not Path(path).is_file():
            raise BundleError(f"{assignment.id}: its {what} {path} does not exist")
        seeds.add(_rel(path, root))
    files = set(ALWAYS) | seeds
    engine = engine_files(root)
    libraries = _distribution_modules(installed)
    todo = [f for f in files if f.endswith(".py")]
    while todo:
        rel = todo.pop()
        for module, names in imported_modules(rel, root):
            top = module.split(".")[0]
            if top in ENGINE_PACKAGES + COURSE_PACKAGES:
                found = module_file(module, root)
                if found is None:
                    raise BundleError(f"{rel} imports {module}, which is not in dlgrade's source")
                wanted = [found] + [sub for sub in (module_file(f"{module}.{n}", root) for n in names) if sub]
                wanted += _parents(found)
                for name in wanted:
                    if name not in files and name not in engine:
                        if name.startswith(LEFT_OUT[1]):
                            raise BundleError(f"{rel} imports {module}: grading cannot need dlgrade's tooling")
                        files.add(name)
                        todo.append(name)
            elif top == "torch" and "torch" not in assignment.preload:
                raise BundleError(f"{rel} imports torch, but {assignment.id}'s sandbox does not preload it "
                                  "(assignment.toml's preload): its bundle installs no torch")
            elif top and top != "torch" and top not in sys.stdlib_module_names and top not in libraries:
                raise BundleError(f"{rel} imports {module}, which the bundle would not install "
                                  "(not a requirement of dlgrade)")
    files |= {parent for rel in list(files) for parent in _parents(rel) if (root / parent).is_file()}
    carried = files | engine
    for rel in sorted(f for f in files if f.endswith(".py")):
        for name in _data_names(rel, root):
            if not any(c == name or c.endswith("/" + name.lstrip("./")) for c in carried):
                raise BundleError(f"{rel} names the data file {name!r}, which is not in the bundle "
                                  f"(put it in {folder.relative_to(root)}/)")
    return files


def _parents(rel: str) -> list[str]:
    """The __init__.py files of the packages above a module's file."""
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:i]) + "/__init__.py" for i in range(1, len(parts) + 1)]


def bundle_files(assignment, installed: set[str], root: Path = SOURCE_ROOT) -> list[tuple[str, Path]]:
    """(name in the bundle, source path) of every file of dlgrade_src/, sorted."""
    names = engine_files(root) | assignment_files(assignment, installed, root)
    return [(f"dlgrade_src/{name}", root / name) for name in sorted(names)]
