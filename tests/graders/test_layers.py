"""Imports go one way: front doors (`dlgrade`, batch, Gradescope, PrairieLearn, the pytest
plugin) -> engine -> sandbox, with the version and the data below the engine; below the front
doors, the environment is read only for the documented process-wide settings, the grader
never changes its own environment, and the engine keeps no module-level mutable state.
Checked by reading every module with `ast` (nothing is imported)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Every module an `import` or `from ... import` in the file names (relative ones resolved
    against the file's package), at module level or inside functions."""
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules_under(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports_of(folder: str, prefix: str) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {name}" for path in _modules_under(folder)
            for name in sorted(imported_modules(path)) if name == prefix or name.startswith(prefix + ".")]


@pytest.mark.parametrize("folder", ["graders/engine", "graders/sandbox", "graders/reports", "graders/gradescope"])
def test_nothing_below_the_front_doors_imports_the_dlgrade_package(folder):
    assert _modules_under(folder)
    assert _imports_of(folder, "dlgrade") == []


def test_the_sandbox_imports_nothing_from_the_engine():
    assert _imports_of("graders/sandbox", "graders.engine") == []


def test_the_engine_imports_no_report_code():
    assert _imports_of("graders/engine", "graders.reports") == []


def test_the_version_and_the_data_facade_import_nothing_of_the_engine_or_the_front_doors():
    for path in (ROOT / "graders" / "version.py", ROOT / "graders" / "data.py"):
        names = imported_modules(path)
        assert not any(n.startswith(("graders.engine", "graders.reports", "dlgrade.cli")) for n in names), path


def test_the_scanner_sees_imports_inside_functions_and_relative_ones(tmp_path):
    module = ROOT / "graders" / "engine" / "checks.py"
    assert "enum" in imported_modules(module)
    text = "def f():\n    from dlgrade.data import load_digits\nfrom . import runner\n"
    probe = tmp_path / "probe.py"
    probe.write_text(text, encoding="utf-8")
    names = imported_modules(probe, "graders.engine")
    assert "dlgrade.data" in names and "graders.engine.runner" in names


def test_dlgrade_reexports_the_version_without_importing_graders_on_import():
    import dlgrade
    from graders.version import __version__

    assert dlgrade.__version__ == __version__
    source = (ROOT / "dlgrade" / "__init__.py").read_text(encoding="utf-8")
    top_level = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert top_level == []  # a submission's sandbox reads dlgrade (for dlgrade.data) but not graders


def test_the_engine_imports_neither_the_tooling_nor_the_tests():
    assert _imports_of("graders/engine", "graders.tooling") == []
    assert _imports_of("graders/engine", "tests") == []


def test_the_tooling_imports_no_tests():
    assert _modules_under("graders/tooling")
    assert _imports_of("graders/tooling", "tests") == []


def test_only_the_front_doors_and_the_calibrate_modules_import_the_tooling():
    inside = ("graders/engine", "graders/sandbox", "graders/reports", "graders/gradescope", "graders/batch",
              "graders/assignments")
    hits = [hit for folder in inside for hit in _imports_of(folder, "graders.tooling")]
    assert [hit for hit in hits if not hit.split(" imports ")[0].endswith("calibrate.py")] == []


def test_no_grading_module_of_an_assignment_imports_its_calibration():
    """A grade never loads the calibration tooling: only an assignment's calibrate.py may."""
    hits = [f"{path.relative_to(ROOT)} imports {name}" for path in _modules_under("graders/assignments")
            if path.name != "calibrate.py" for name in sorted(imported_modules(path))
            if name.endswith(".calibrate") or ".calibrate." in name]
    assert hits == []


# ---------------------------------------------------------------- state and the environment

FRONT_DOORS = ("dlgrade", "graders/batch", "graders/gradescope", "graders/prairielearn", "graders/gradebook",
               "graders/pytest_plugin.py", "graders/pytest_checks.py")
# the fork server's own process, which sets the environment each forked sandbox starts with
SANDBOX_PROCESS = "graders/sandbox/forkserver_server.py"
# the engine's only process-wide state (docs/architecture.md, "State and the environment"):
# the data sets read once per process, a pure function of their files
PROCESS_WIDE_STATE = {"graders/engine/data_option.py": {"_load"}}
MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque", "count", "Lock", "RLock",
                 "WeakKeyDictionary", "WeakValueDictionary", "WeakSet", "local"}
CACHES = {"lru_cache", "cache"}


def _below_the_front_doors() -> list[Path]:
    return [p for p in _modules_under("graders")
            if not str(p.relative_to(ROOT)).startswith(tuple(d for d in FRONT_DOORS if d.startswith("graders")))]


def _is_os_environ(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and ast.unparse(node.value) == "os"


def _string_constants(tree) -> dict[str, str]:
    """Module-level NAME = "text" assignments (an environment variable's name kept in a constant)."""
    return {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for t in node.targets if isinstance(t, ast.Name)}


def environment_reads(path: Path) -> list[str]:
    """The environment variables a module reads by name (`os.environ.get(X)`, `os.environ[X]`,
    `os.getenv(X)`, `X in os.environ`), "*" for any use of the whole environment, "?" for a
    name the scanner cannot read."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _string_constants(tree)

    def name(node) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return constants.get(getattr(node, "id", None), "?")

    found, keyed = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if _is_os_environ(node.func.value) and node.func.attr == "get" or ast.unparse(node.func) == "os.getenv":
                found.append(name(node.args[0]))
                keyed.add(id(node.func.value))
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            if isinstance(node.ctx, ast.Load):  # a write is environment_writes' business
                found.append(name(node.slice))
            keyed.add(id(node.value))
        elif isinstance(node, ast.Compare) and any(_is_os_environ(c) for c in node.comparators):
            found.append(name(node.left))
            keyed.update(id(c) for c in node.comparators)
    found += ["*" for node in ast.walk(tree) if _is_os_environ(node) and id(node) not in keyed]
    return found


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def environment_writes(path: Path) -> list[str]:
    """Lines that change the process's environment (assigning or deleting a key of os.environ,
    its update/pop/clear/setdefault/popitem, os.putenv, os.unsetenv)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete)) else
                   [node.target] if isinstance(node, ast.AugAssign) else [])
        if any(isinstance(t, ast.Subscript) and _is_os_environ(t.value) for t in targets):
            found.append(f"{_where(path)}:{node.lineno}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                _is_os_environ(node.func.value) and node.func.attr in ("update", "pop", "clear", "setdefault", "popitem")
                or ast.unparse(node.func) in ("os.putenv", "os.unsetenv")):
            found.append(f"{_where(path)}:{node.lineno}")
    return found


def documented_variables() -> set[str]:
    """The variables named in docs/architecture.md's table of the settings read below the front doors."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## State and the environment", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)}


def test_every_environment_variable_read_below_the_front_doors_is_a_documented_process_wide_setting():
    documented = documented_variables()
    assert "DLGRADE_HIDE" in documented and "DLGRADE_AUTOGRADER" not in documented
    read = {}
    for path in _below_the_front_doors():
        if str(path.relative_to(ROOT)) == SANDBOX_PROCESS:
            continue  # the fork server's own process, not the grader's
        for name in environment_reads(path):
            read.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert "*" not in read and "?" not in read, read
    # the front doors' single reading of the mode, in the helper only they call
    assert read.pop("DLGRADE_AUTOGRADER", set()) == {"graders/sandbox/environment.py"}
    undocumented = {name: sorted(paths) for name, paths in read.items() if name not in documented}
    assert not undocumented, undocumented


def test_only_the_front_doors_read_the_isolation_mode_from_the_environment():
    callers = set()
    for path in _modules_under("graders") + _modules_under("dlgrade"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Call) and ast.unparse(n.func).endswith("isolation_from_environment")
               for n in ast.walk(tree)):
            callers.add(str(path.relative_to(ROOT)))
    assert callers and all(c.startswith(FRONT_DOORS) for c in callers), callers
    source = (ROOT / "graders" / "sandbox" / "process.py").read_text(encoding="utf-8")
    assert "DLGRADE_AUTOGRADER" not in source.split('"""', 2)[2]  # documented, never read


def test_nothing_in_the_grader_changes_its_own_environment_while_it_runs():
    writes = [w for path in _modules_under("graders") + _modules_under("dlgrade") if
              str(path.relative_to(ROOT)) != SANDBOX_PROCESS for w in environment_writes(path)]
    assert writes == []


def module_state(path: Path) -> set[str]:
    """Module-level names bound to a mutable container (a display, a comprehension, or a call
    of a mutable type), rebound with `global`, or cached with functools."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        mutable = isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)) or (
            isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] in MUTABLE_CALLS)
        if mutable:
            found.update(t.id for t in targets if isinstance(t, ast.Name) and t.id != "__all__")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                ast.unparse(d.func if isinstance(d, ast.Call) else d).split(".")[-1] in CACHES
                for d in node.decorator_list):
            found.add(node.name)
    found.update(name for n in ast.walk(tree) if isinstance(n, ast.Global) for name in n.names)
    return found


def test_the_engine_keeps_no_module_level_mutable_state_but_its_documented_process_wide_cache():
    found = {str(p.relative_to(ROOT)): module_state(p) for p in _modules_under("graders/engine")}
    unexpected = {path: sorted(names - PROCESS_WIDE_STATE.get(path, set()))
                  for path, names in found.items() if names - PROCESS_WIDE_STATE.get(path, set())}
    assert not unexpected, unexpected


def test_the_state_scanner_sees_containers_globals_and_caches(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import functools, os\nA = {}\nB = frozenset({1})\nC: list = []\nD = dict()\n"
                     "def f():\n    global E\n    E = os.environ.get('X')\n"
                     "@functools.lru_cache(maxsize=1)\ndef g():\n    os.environ['Y'] = '1'\n", encoding="utf-8")
    assert module_state(probe) == {"A", "C", "D", "E", "g"}
    assert environment_reads(probe) == ["X"]
    assert environment_writes(probe) == [f"{probe}:11"]
