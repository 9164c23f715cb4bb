"""Recording what the visible checks ask the reference module, while they grade.

`record_grades(assignment, submissions)` grades each submission with the visible checks,
the checks' reference module swapped, in the modules of the assignment's package, for a
proxy that passes every call through to the real function and writes down
(function, digest of the inputs) -> output, plus the value of any argument the call changed
in place. The result is a `graders.engine.recorded.Recording`, and for each check the
reasons it cannot be replayed (a call with inputs or outputs that are not plain data).
The assignment's recorded modules (`reference_*`, see graders.tooling.student_pack.sources)
are recorded the same way, each into a book of its own.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from graders.engine.assignment import Assignment
from graders.engine.checks import Visibility
from graders.engine.recorded import Recording, Unrecordable, digest, encode
from graders.engine.checks import Report
from graders.engine.runner import grade


@dataclass
class CallBook:
    """The calls recorded so far into one reference module, and what could not be recorded."""

    module: str
    calls: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    arrays: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)  # check name -> set of reasons
    current_check: str | None = None
    noting: bool = True  # while grading the reference: what it cannot record leaves a check out

    def note(self, reason: str) -> None:
        if self.noting:
            self.problems.setdefault(self.current_check or "(import)", set()).add(reason)

    def call(self, name: str, function, args: tuple, kwargs: dict):
        """function(*args, **kwargs), recorded."""
        try:
            key = digest((args, kwargs))
            before = {path: digest(value) for path, value in _mutable_arguments(args, kwargs)}
        except Unrecordable as exc:
            self.note(f"`{name}` is called with {exc}")
            return function(*args, **kwargs)
        output = function(*args, **kwargs)
        table = self.calls.setdefault(name, {})
        if key not in table:
            try:
                changed = [[list(path), encode(_state(value), self.arrays)]
                           for path, value in _mutable_arguments(args, kwargs)
                           if digest(value) != before[path]]
                table[key] = {"output": encode(output, self.arrays), "changed": changed}
            except Unrecordable as exc:
                self.note(f"`{name}` returns {exc}")
        return output

    def constant(self, name: str, value) -> None:
        try:
            self.constants[name] = encode(value, self.arrays)
        except Unrecordable as exc:
            self.note(f"the reference's `{name}` is {exc}")

    def declare_functions(self, module: ModuleType) -> None:
        """Every public function of the module gets a (maybe empty) table: asking one the
        recorded grades never asked says "needs the full grader", not "no such name"."""
        for name, value in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__:
                self.calls.setdefault(name, {})

    def recording(self) -> Recording:
        return Recording(self.module, self.calls, self.constants, self.arrays)


def _mutable_arguments(args: tuple, kwargs: dict):
    """(path, value) of the arguments a call can change in place."""
    import numpy as np

    mutable = (np.ndarray, dict, list, np.random.Generator)
    for i, value in enumerate(args):
        if isinstance(value, mutable):
            yield (0, i), value
    for key, value in kwargs.items():
        if isinstance(value, mutable):
            yield (1, key), value


def _state(value):
    """What `write_back` needs to restore an argument: a Generator's state, else the value."""
    import numpy as np

    from graders.engine.recorded import generator_state

    return generator_state(value) if isinstance(value, np.random.Generator) else value


class RecordingProxy:
    """The reference module as the checks see it while recording."""

    def __init__(self, module: ModuleType, book: CallBook):
        self._module = module
        self._book = book

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if callable(value) and inspect.isfunction(value):
            return recorded_function(self._book, name, value)
        if not name.startswith("__"):
            self._book.constant(name, value)
        return value


def recorded_function(book: CallBook, name: str, function):
    def call(*args, **kwargs):
        return book.call(name, function, args, kwargs)
    call.__name__ = call.__qualname__ = name
    return call


def reference_module(assignment: Assignment) -> ModuleType:
    """The imported module whose file is the assignment's reference (the checks imported it)."""
    target = Path(assignment.reference).resolve()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == target:
            return module
    raise LookupError(f"{assignment.id}: no imported module is its reference {target}; "
                      "the checks do not compare with the reference module")


def package_of(assignment: Assignment) -> str:
    """The name of the package the assignment's checks live in."""
    checks = getattr(assignment.checks, "original", assignment.checks)  # a course's overridden checks
    module = sys.modules[checks.__module__]
    return module.__package__ or module.__name__


def recorded_helpers(package: str) -> list[ModuleType]:
    """The imported modules of `package` that a pack records rather than carries."""
    from graders.tooling.student_pack.sources import is_recorded_module

    return [loaded for name, loaded in sorted(sys.modules.items())
            if loaded is not None and name.startswith(package + ".")
            and is_recorded_module(name.rpartition(".")[2])]


@contextlib.contextmanager
def reference_recorded(package: str, module: ModuleType, book: CallBook, skip=(), also=()):
    """The reference module, and functions imported from it, replaced by recording ones in
    every module of `package` (and of the packages `also`) but those in `skip`, for the
    duration of the block; and in `sys.modules` and its parent package too, for the imports a
    check makes inside a function."""
    proxy = RecordingProxy(module, book)
    members = [loaded for name, loaded in list(sys.modules.items())
               if loaded is not None and loaded is not module and all(loaded is not other for other in skip)
               and any(name == p or name.startswith(p + ".") for p in (package, *also))]
    swapped = []
    for namespace in [vars(loaded) for loaded in members]:
        for key, value in list(namespace.items()):
            if value is module:
                swapped.append((namespace, key, value))
                namespace[key] = proxy
            elif inspect.isfunction(value) and value.__module__ == module.__name__:
                swapped.append((namespace, key, value))
                namespace[key] = recorded_function(book, value.__name__, value)
    parent_name, _, leaf = module.__name__.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None and vars(parent).get(leaf) is module:
        swapped.append((vars(parent), leaf, module))
        vars(parent)[leaf] = proxy
    swapped.append((sys.modules, module.__name__, module))
    sys.modules[module.__name__] = proxy
    try:
        yield
    finally:
        for namespace, key, value in reversed(swapped):
            namespace[key] = value


def attributed(assignment: Assignment, books) -> Assignment:
    """The assignment with its visible checks only, each telling `books` while it runs."""
    def checks(options):
        for check in assignment.checks(options):
            if check.visibility is Visibility.VISIBLE:
                yield replace(check, run=_announcing(check.name, check.run, books))
    return replace(assignment, checks=checks)


def _announcing(name: str, run, books):
    def announced(ctx):
        for book in books:
            book.current_check = name
        try:
            return run(ctx)
        finally:
            for book in books:
                book.current_check = None
    return announced


def record_grades(assignment: Assignment, submissions, *, constants=(), secret: bytes | None = None,
                  also=()) -> tuple[list[CallBook], list[Report]]:
    """Grade each submission path with the visible checks, recording their reference calls.
    The first submission is the reference: only its calls that cannot be recorded count as
    problems of their checks (a slip's such call just stays unrecorded).

    Returns the books of the reference module, then of each recorded module of the package.
    constants: names the pack imports from the reference module (plain data, recorded as
    values; functions among them are recorded as calls).
    secret: the course secret the grades use (the pack's own: its trained checks' seeds and
    held-out rows, and so the reference calls made with them, are the self-check's too).
    also: more packages whose modules' reference calls are recorded (a course's extra checks)."""
    package = package_of(assignment)
    modules = [reference_module(assignment), *recorded_helpers(package)]
    books = [CallBook(module.__name__) for module in modules]
    for module, book in zip(modules, books):
        book.declare_functions(module)
    for name in constants:
        value = getattr(modules[0], name)
        if not inspect.isfunction(value):
            books[0].constant(name, value)
    reports = []
    with contextlib.ExitStack() as stack:
        for module, book in zip(modules, books):
            # a recorded module's own calls into the reference are not the checks' questions
            stack.enter_context(reference_recorded(package, module, book, skip=modules[1:], also=also))
        for number, path in enumerate(submissions):
            for book in books:
                book.noting = number == 0
            reports.append(grade(str(path), attributed(assignment, books), include_hidden=False, secret=secret))
    return books, reports
