"""The public authoring API (graders.authoring): every public name importable, documented in
the module and in docs/authoring.md, and enough on its own to write a course: the example
course and the scaffold import nothing else of dlgrade."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

import graders.authoring as authoring
from graders.authoring import AnswerSlip, AnswerSpec, CheckFailed, assert_answer

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "authoring.md"
EXAMPLE_COURSE = REPO / "examples" / "batchnorm_course"
# data, a path, and Hypothesis's module: the guide documents them
UNDOCUMENTED_HERE = {"TOLERANCES", "STANDARD_RUNS", "GRADED_RUNS", "strategies", "TORCH_TASKS"}


def test_every_public_name_is_listed_and_importable():
    defined = {name for name in vars(authoring) if name.isidentifier() and not name.startswith("_")} - {"annotations"}
    assert defined == set(authoring.__all__)
    assert len(authoring.__all__) == len(set(authoring.__all__))


@pytest.mark.parametrize("name", authoring.__all__)
def test_every_public_name_has_a_docstring_and_a_reference_entry(name):
    value = getattr(authoring, name)
    if name not in UNDOCUMENTED_HERE:
        assert inspect.getdoc(value), f"{name} has no docstring"
    assert re.search(rf"\*\*`{re.escape(name)}[`(]", GUIDE.read_text(encoding="utf-8")), \
        f"docs/authoring.md has no reference entry for {name}"


def test_the_module_docstring_names_every_group_of_the_guide():
    doc = authoring.__doc__
    for name in ("Assignment", "ctx.call", "assert_close", "assert_gradient", "check_property", "AnswerSpec",
                 "TrainedCheck", "Mutant"):
        assert name in doc


def imported_modules(path: Path) -> set[str]:
    """The absolute imports of a module (relative ones are the course's own modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    found |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    return found


@pytest.mark.parametrize("path", sorted(EXAMPLE_COURSE.rglob("*.py")), ids=lambda p: p.name)
def test_the_example_course_imports_only_the_public_api_numpy_and_the_standard_library(path):
    for module in imported_modules(path):
        top = module.split(".")[0]
        assert module == "graders.authoring" or top == "numpy" or top in sys.stdlib_module_names, (path, module)


def test_assert_answer_passes_an_equivalent_formula_and_names_a_listed_slip():
    s = sympy.Symbol("s")
    spec = AnswerSpec(expected=s * (1 - s), kind="expr", symbols={"s": s},
                      slips=(AnswerSlip("the (1 - s) factor is missing", value=s),))
    assert_answer("s - s**2", spec, "sigmoid_derivative")
    with pytest.raises(CheckFailed) as failure:
        assert_answer("s", spec, "sigmoid_derivative")
    assert "(1 - s) factor is missing" in failure.value.render()
    with pytest.raises(CheckFailed):
        assert_answer("__import__('os')", spec, "sigmoid_derivative")


def test_the_comparison_helpers_are_the_engines_tolerance_table():
    assert authoring.TOLERANCES["value"].rtol == 1e-6
    with pytest.raises(CheckFailed, match="does not match"):
        authoring.assert_close(np.ones(3), np.zeros(3), "f(x)")


def test_the_authoring_module_imports_only_the_engine_the_symbolic_package_and_hypothesis():
    allowed = ("graders.engine", "graders.sandbox.limits", "graders.sandbox.wire", "graders.symbolic", "hypothesis",
               "__future__")
    path = REPO / "graders" / "authoring.py"
    assert all(module.startswith(allowed) for module in imported_modules(path)), imported_modules(path)
