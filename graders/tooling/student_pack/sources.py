"""The assignment's own modules a pack carries, with their imports rewritten for the pack.

In the pack the assignment's package is `<pack package>.assignment` and the reference module
is the stand-in `<pack package>.assignment._reference.<reference name>`. So, in each module:

    from graders.assignments.<id>.checks import X     ->  from .checks import X
    from reference.numpy import numpy_basics as ref   ->  from ._reference import numpy_basics as ref
    from reference.numpy.numpy_basics import CELLS    ->  from ._reference.numpy_basics import CELLS
    import reference.numpy.numpy_basics as ref        ->  from ._reference import numpy_basics as ref

(with one more dot per level of a sub-package). The assignment's own modules named
`reference_*.py` (code the checks need that holds parts of the solution, such as the known
wrong backward passes they compute to name a slip) are recorded like the reference, not
carried: an import of one becomes an import of its stand-in,

    from graders.assignments.<id>.reference_slips import f  ->  from ._reference.reference_slips import f

Only the modules the package's `__init__.py`
imports, directly or through each other, are carried, so known slips, calibration scripts
and anything else no check imports stay behind. Imports of the engine (`graders.*` outside
the package) stay as they are; an import of another reference module or of another
assignment is an error: the pack could not answer it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

STANDIN_PACKAGE = "_reference"
RECORDED_PREFIX = "reference_"  # an assignment module named so is recorded, not carried


def is_recorded_module(leaf: str) -> bool:
    """Whether the assignment's module with this last name part is recorded, not carried."""
    return leaf.startswith(RECORDED_PREFIX)


class PackError(Exception):
    """The pack cannot be built as asked; the message says why."""


@dataclass
class PackSources:
    """The rewritten sources, by path relative to the package folder, and the names the
    modules import from the reference module (recorded as constants when not functions)."""

    files: dict[str, str] = field(default_factory=dict)
    imported_names: set[str] = field(default_factory=set)
    recorded_modules: set[str] = field(default_factory=set)  # last names of the recorded modules imported
    extended_modules: set[str] = field(default_factory=set)  # dotted modules of the extended assignment imported
    imports_reference: bool = False  # whether any carried module imports the reference module


def carried_sources(folder: Path, package: str, reference: str, extra=(), *, roots=("__init__.py",),
                    extends: str | None = None, root: str = ".") -> PackSources:
    """The modules of the package in `folder` that its `__init__.py` needs, rewritten.

    package: the package's import name (graders.assignments.numpy_basics).
    reference: the reference module's import name (reference.numpy.numpy_basics).
    extra: further files to carry (relative paths), e.g. the trusted tasks the sandbox loads.
    roots: the files whose imports are followed (relative paths).
    extends: for a course's extension of an assignment (COURSE/<id>/), the package of the
        assignment it extends; its imports of that package, of the reference and of the
        recorded modules point at the pack's assignment, `root` (the relative import of it
        from the folder's top level, e.g. "..."). Which of its modules they need is in
        `extended_modules`.
    """
    sources = PackSources()
    existing = {p.relative_to(folder).as_posix() for p in folder.rglob("*.py")}
    pending = [*roots, *extra]
    while pending:
        relative = pending.pop()
        if relative in sources.files:
            continue
        path = folder / relative
        text = path.read_text(encoding="utf-8")
        rewritten, needed = _rewrite(text, relative, package, reference, sources, existing, extends, root)
        sources.files[relative] = rewritten
        pending += [n for n in needed if n not in sources.files]
    return sources


def _module_files(existing: set, base: list[str], dotted: list[str]) -> list[str]:
    """The file (relative to the package folder) of the module `base + dotted`, if it exists."""
    path = "/".join(base + [d for d in dotted if d])
    candidates = [f"{path}.py", f"{path}/__init__.py"] if path else ["__init__.py"]
    return [c for c in candidates if c in existing]


def _rewrite(text: str, relative: str, package: str, reference: str, sources: PackSources,
             existing: set, extends: str | None = None, root: str = ".") -> tuple[str, list[str]]:
    tree = ast.parse(text, filename=relative)
    parts = relative.split("/")
    inside = parts[:-1]
    depth = len(inside)  # the file's package, in sub-packages below the assignment's
    up = "." * (depth + 1)
    to_root = "." * depth + root if extends else up  # the pack's assignment package
    ref_parent, _, ref_name = reference.rpartition(".")
    edits, needed = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            new, targets = _rewrite_from(node, inside, up, package, reference, ref_parent, ref_name,
                                         sources, existing, extends, to_root)
        elif isinstance(node, ast.Import):
            new, targets = _rewrite_import(node, to_root, package, reference, ref_parent, ref_name, sources)
        else:
            continue
        needed += targets
        if new is not None:
            edits.append((node, new))
    lines = text.splitlines(keepends=True)
    for node, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        start, end = node.lineno - 1, node.end_lineno - 1
        tail = lines[end][node.end_col_offset:]
        lines[start:end + 1] = [lines[start][:node.col_offset] + new + tail]
    return "".join(lines), needed


def _names(node) -> str:
    return ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)


def _imported_files(existing, base, dotted, node) -> list[str]:
    """The package's files an import of `base + dotted` (and of each name from it) needs."""
    found = _module_files(existing, base, dotted)
    for alias in node.names:
        found += _module_files(existing, base, dotted + [alias.name])
    return found


def _rewrite_from(node, inside, up, package, reference, ref_parent, ref_name, sources, existing,
                  extends=None, to_root=None):
    to_root = to_root or up
    module = node.module or ""
    if node.level:  # relative: resolve it, then treat it as the absolute import it is
        base = inside[:len(inside) - (node.level - 1)]
        module = ".".join([package, *base, *([module] if module else [])])
    if module == reference:
        sources.imported_names.update(a.name for a in node.names)
        sources.imports_reference = True
        return f"from {to_root}{STANDIN_PACKAGE}.{ref_name} import {_names(node)}", []
    if module == ref_parent and any(a.name == ref_name for a in node.names):
        if len(node.names) > 1:
            raise PackError(f"`from {module} import {_names(node)}`: import the reference module on a line "
                            "of its own")
        sources.imports_reference = True
        return f"from {to_root}{STANDIN_PACKAGE} import {_names(node)}", []
    if extends and (module == extends or module.startswith(extends + ".")):
        dotted = module[len(extends):].lstrip(".").split(".") if module != extends else []
        recorded = _recorded_import(node, dotted, to_root, module)
        if recorded is not None:
            sources.recorded_modules.add(recorded[1])
            return recorded[0], []
        sources.extended_modules.add(".".join(dotted))
        return f"from {to_root}{'.'.join(dotted)} import {_names(node)}", []
    if module == package or module.startswith(package + "."):
        dotted = module[len(package):].lstrip(".").split(".") if module != package else []
        recorded = _recorded_import(node, dotted, up, module)
        if recorded is not None:
            sources.recorded_modules.add(recorded[1])
            return recorded[0], []
        return (f"from {up}{'.'.join(dotted)} import {_names(node)}",
                _imported_files(existing, [], dotted, node))
    if module == "reference" or module.startswith("reference."):
        raise PackError(f"a module of the assignment imports `{module}`, which is not its reference "
                        f"module ({reference}): the pack could not answer its calls")
    if module.startswith("graders.assignments."):
        raise PackError(f"a module of the assignment imports `{module}`, another assignment's code")
    return None, []


def _recorded_import(node, dotted: list[str], up: str, module: str):
    """(the stand-in import, the recorded module's last name) for an import of a recorded
    module of the package (see RECORDED_PREFIX), else None."""
    if dotted and is_recorded_module(dotted[-1]):
        if len(dotted) > 1:
            raise PackError(f"`{module}`: a recorded module (`{RECORDED_PREFIX}*`) must sit at the top of the "
                            "assignment's package")
        return f"from {up}{STANDIN_PACKAGE}.{dotted[0]} import {_names(node)}", dotted[0]
    leaves = [a.name for a in node.names]
    if not dotted and any(is_recorded_module(leaf) for leaf in leaves):
        if len(leaves) > 1:
            raise PackError(f"`from {module} import {_names(node)}`: import a recorded module on a line of its own")
        return f"from {up}{STANDIN_PACKAGE} import {_names(node)}", leaves[0]
    return None


def _rewrite_import(node, up, package, reference, ref_parent, ref_name, sources):
    """`import <reference> as ref` becomes the stand-in; other imports of the reference or of
    the package by their dotted name are refused (they would bind the top-level package)."""
    for alias in node.names:
        if alias.name == reference and alias.asname:
            if len(node.names) > 1:
                raise PackError(f"`import {alias.name} as {alias.asname}` shares its line with other imports")
            sources.imports_reference = True
            return f"from {up}{STANDIN_PACKAGE} import {ref_name} as {alias.asname}", []
        if any(alias.name == root or alias.name.startswith(root + ".") for root in ("reference", reference, package)):
            raise PackError(f"`import {alias.name}` in the assignment's modules: write "
                            f"`from {alias.name.rpartition('.')[0]} import {alias.name.rpartition('.')[2]}`")
    return None, []

