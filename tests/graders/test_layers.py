"""Imports go one way: front doors (`dlgrade`, batch, Gradescope, PrairieLearn, the pytest
plugin) -> engine -> sandbox, with the version and the data below the engine. Checked by
reading every module's imports with `ast` (nothing is imported)."""

from __future__ import annotations

import ast
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
