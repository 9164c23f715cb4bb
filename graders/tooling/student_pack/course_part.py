"""A course's overrides of an assignment, carried into its student pack.

A course's `course.toml` changes an assignment's points, visibility, timeouts, option
defaults and trained bounds, and adds checks from modules of `COURSE/<id>/`
(graders.course_overrides). The pack's self-check grades as the course's full grader does,
with what a student may see only:

    assignment/_course/__init__.py       ASSIGNMENT: the carried one, the overrides applied
    assignment/_course/overrides.json    the option defaults; the overridden fields of visible checks
    assignment/_course/c<k>/<module>.py  each extra module (of the k-th course that extends the
                                         assignment) that yields a visible check, imports rewritten
    assignment/_course/c<k>/tasks.py     that course's trusted tasks for the assignment, if any

A check the course hides is in no file of the pack: the pack runs the checks it names (its
`PACKED_CHECKS`, the visible ones), the overrides file holds visible checks' fields only, a
statement that creates a hidden check by its literal name is cut from the carried code with
the module's functions only it used (`without_checks`), an extra module that yields hidden
checks only is not carried, and the leak scan looks for every hidden name. Code a hidden
check shares with visible ones (a function a loop calls for each activation) stays: it is
theirs too. The calls the visible checks make into the reference are recorded as the
assignment's own (the recorder also swaps the reference in the extension's modules).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from graders.engine.assignment import Assignment
from graders.engine.checks import Visibility
from graders.tooling.student_pack.sources import PackError, carried_sources

FOLDER = "_course"  # inside the pack's assignment package


@dataclass
class CoursePart:
    """What a pack carries of the courses that override or extend its assignment.

    graded: the assignment as the course's full grader grades it (its sandboxes hide nothing
        more: the pack runs on a student's machine).
    hidden: names of the checks hidden in `graded` (for the leak scan; never written).
    files: {path relative to the pack's assignment package: text} to write.
    copies: {path relative to the pack's assignment package: file} to copy (data files).
    packages: the extensions' packages, whose calls into the reference are recorded.
    """

    graded: Assignment
    hidden: list[str]
    files: dict[str, str] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    packages: tuple[str, ...] = ()


def graded_assignment(base: Assignment, extensions, package: str) -> Assignment:
    """`base` with the courses' overrides applied, as `graders.courses.Catalog.get` applies them."""
    from graders.course_overrides import apply_overrides

    owner = Path(sys.modules[package].__file__).resolve().parent
    return apply_overrides(base, extensions, owner_folder=owner)


def course_part(base: Assignment, extensions, package: str, reference: str, carried: dict[str, str]
                ) -> CoursePart:
    """The course part of the pack of `base` (`extensions`: [(Course, AssignmentOverrides)],
    from `Catalog.extensions`); `carried`: the assignment's carried sources, by relative path,
    from which hidden checks are cut here, in place."""
    graded = graded_assignment(base, extensions, package)
    checks = graded.all_checks()
    visible = {c.name for c in checks if c.visibility is Visibility.VISIBLE}
    hidden = [c.name for c in checks if c.visibility is not Visibility.VISIBLE]
    part = CoursePart(graded, hidden)
    carried.update(without_checks(carried, hidden))
    fields = {}
    for name, override, _ in graded.checks.overrides:  # in order: a later course wins
        if name in visible:
            fields.setdefault(name, {}).update(
                {k: v for k, v in dataclasses.asdict(override).items() if v is not None})
    extras, tasks, packages = [], [], []
    for number, (course, table) in enumerate(extensions):
        folder, prefix = course.folder / base.id, f"{FOLDER}/c{number}"
        ext_package = f"{course.package}.{base.id}"
        modules = [m for m in table.extra_checks if _yields_visible(course, base.id, m, graded.options, visible)]
        own = folder.resolve() == Path(sys.modules[package].__file__).resolve().parent
        if modules and own:  # the course's own assignment: its extra modules sit in its package
            sources = carried_sources(folder, package, reference, roots=[f"{m}.py" for m in modules])
            part.files.update({k: v for k, v in without_checks(sources.files, hidden).items() if k not in carried})
            extras += [(None, m) for m in modules]
        elif modules:
            packages.append(ext_package)
            sources = carried_sources(folder, ext_package, reference, roots=[f"{m}.py" for m in modules],
                                      extends=package, root="...")
            missing = [m for m in sources.extended_modules
                       if not {f"{m.replace('.', '/')}.py", f"{m.replace('.', '/')}/__init__.py"} & set(carried)
                       and m]
            if missing:
                raise PackError(f"{folder}: its checks import {base.id}'s module {missing[0]!r}, which no check of "
                                f"{base.id} imports, so the pack does not carry it")
            texts = without_checks(sources.files, hidden)
            texts.setdefault("__init__.py", '"""A course\'s extra checks of the assignment."""\n')
            part.files.update({f"{prefix}/{relative}": text for relative, text in texts.items()})
            extras += [(number, m) for m in modules]
            for data in folder.rglob("*"):
                if data.is_file() and data.suffix in (".json", ".npz") and "__pycache__" not in data.parts:
                    part.copies[f"{prefix}/{data.relative_to(folder).as_posix()}"] = data
        if not own and (folder / "tasks.py").is_file() and any(Path(t).resolve() == (folder / "tasks.py").resolve()
                                                    for t in graded.tasks):
            part.files[f"{prefix}/tasks.py"] = (folder / "tasks.py").read_text(encoding="utf-8")
            tasks.append(f"c{number}/tasks.py")
    part.packages = tuple(packages)
    part.files[f"{FOLDER}/overrides.json"] = json.dumps(
        {"options": graded.options, "checks": fields, "tasks": tasks}, indent=1, sort_keys=True)
    part.files[f"{FOLDER}/__init__.py"] = course_init_source(base.id, extras)
    return part


def _yields_visible(course, assignment_id: str, module_name: str, options: dict, visible: set) -> bool:
    module = course.import_module(f"{assignment_id}.{module_name}")
    return any(check.name in visible for check in module.yield_checks(options))


def course_init_source(assignment_id: str, extras) -> str:
    imports = "".join(f"from {'..' if number is None else f'.c{number}'} import {module} as _extra_{i}\n"
                      for i, (number, module) in enumerate(extras))
    generators = "".join(f"_extra_{i}.yield_checks, " for i in range(len(extras)))
    return f'''"""`{assignment_id}` as the course grades it: its course.toml's overrides and extra checks,
generated by `dlgrade student-pack` (the fields of the visible checks only)."""

import json
from dataclasses import replace
from pathlib import Path

from graders.course_config import CheckOverride
from graders.course_overrides import OverriddenChecks

from .. import ASSIGNMENT as _OWN
{imports}
_HERE = Path(__file__).resolve().parent
_OVERRIDES = json.loads((_HERE / "overrides.json").read_text(encoding="utf-8"))

ASSIGNMENT = replace(
    _OWN,
    options={{**_OWN.options, **_OVERRIDES["options"]}},
    tasks=tuple(_OWN.tasks) + tuple(_HERE / task for task in _OVERRIDES["tasks"]),
    checks=OverriddenChecks(_OWN.checks, ({generators}),
                            tuple((name, CheckOverride(**fields), "the course's course.toml")
                                  for name, fields in _OVERRIDES["checks"].items())),
)
'''


# ------------------------------------------------------------------ cutting hidden checks out of code


def without_checks(files: dict[str, str], names) -> dict[str, str]:
    """`files` ({path: source}) without the statements that create a check named, by a literal,
    in `names` (`Check("name", ...)` or `Check(name="name", ...)`), and without the top-level
    functions only those statements used (in no file any more). A statement alone in its
    block becomes `pass`."""
    names = set(names)
    result = dict(files)
    freed: dict[str, set[str]] = {}
    for path, text in files.items():
        if path.endswith(".py"):
            result[path], freed[path] = _cut_checks(text, names)
    changed = True
    while changed:  # functions no file uses any more, then the functions only they used
        changed = False
        for path, candidates in freed.items():
            for name in sorted(candidates):
                pattern = re.compile(rf"\b{re.escape(name)}\b")
                tree = ast.parse(result[path])
                define = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                               and n.name == name), None)
                if define is None:
                    continue
                lines = result[path].splitlines(keepends=True)
                start = min([define.lineno] + [d.lineno for d in define.decorator_list]) - 1
                rest = "".join(lines[:start] + lines[define.end_lineno:])
                if any(pattern.search(rest if p == path else t) for p, t in result.items()):
                    continue
                candidates.discard(name)
                candidates |= _used_names(define)
                result[path] = rest
                changed = True
                break
    return result


def _is_named_check(node, names: set) -> bool:
    if not isinstance(node, ast.Call):
        return False
    callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
    if callee != "Check":
        return False
    first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
    return isinstance(first, ast.Constant) and first.value in names


def _used_names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _cut_checks(text: str, names: set) -> tuple[str, set[str]]:
    """`text` without the statements creating the named checks; the names those statements used."""
    freed: set[str] = set()
    while True:
        tree = ast.parse(text)
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        call = next((n for n in ast.walk(tree) if _is_named_check(n, names)), None)
        if call is None:
            return text, freed
        statement = call
        while not isinstance(statement, ast.stmt):
            statement = parents[statement]
        freed |= _used_names(statement)
        block = next(getattr(parents[statement], f) for f in ("body", "orelse", "finalbody")
                     if statement in getattr(parents[statement], f, ()))
        lines = text.splitlines(keepends=True)
        start, end = statement.lineno - 1, statement.end_lineno
        indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
        lines[start:end] = [f"{indent}pass\n"] if len(block) == 1 else []
        text = "".join(lines)
