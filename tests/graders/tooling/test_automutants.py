"""Automatic mutants: each operator on small snippets, the regions edited, determinism."""

from __future__ import annotations

import ast

import pytest

from graders.tooling.automutants import (OPERATORS, automatic_mutants, editable_regions,
                                         solution_regions)


def _region(body: str) -> str:
    """A module whose one function's body is a solution region."""
    lines = "".join(f"    {line}\n" for line in body.strip().splitlines())
    return f"import numpy as np\n\n\ndef f(x, y):\n    ### BEGIN SOLUTION\n{lines}    ### END SOLUTION\n"


def _edits(body: str, operator: str) -> set[str]:
    """The bodies of every mutant of `operator` (all of them: n is large)."""
    found = set()
    for m in automatic_mutants(_region(body), 1000):
        if m.operator == operator:
            lines = m.source.splitlines()
            found.add("\n".join(line.strip() for line in lines[5:-1]))
    return found


@pytest.mark.parametrize("body, operator, expected", [
    ("return x + y", "arithmetic", {"return x - y"}),
    ("return x * y", "arithmetic", {"return x / y"}),
    ("return x ** y", "arithmetic", {"return x * y"}),
    ("return x @ y", "arithmetic", {"return x * y"}),
    ("return -x", "arithmetic", {"return x"}),
    ("return x < y", "comparison", {"return x <= y", "return x > y"}),
    ("return x >= y", "comparison", {"return x > y"}),
    ("return x == y", "comparison", {"return x != y"}),
    ("return x * 3.0", "constant", {"return x * 6.0", "return x * 1.5", "return x * 4.0"}),
    ("return x * 4", "constant", {"return x * 8", "return x * 2", "return x * 5"}),
    ("return x + 0", "constant", {"return x + 1"}),
    ("return x.T @ y", "transpose", {"return x @ y"}),
    ("return np.transpose(x) @ y", "transpose", {"return x @ y"}),
    ("return x.transpose(1, 0) @ y", "transpose", {"return x @ y"}),
    ("return np.sum(x, axis=0)", "axis", {"return np.sum(x, axis=1)"}),
    ("return np.sum(x, axis=1)", "axis", {"return np.sum(x, axis=0)"}),
    ("return np.sum(x, axis=-1)", "axis", {"return np.sum(x, axis=0)"}),
    ("return x.max(axis=1, keepdims=True)", "axis", {"return x.max(axis=0, keepdims=True)",
                                                     "return x.max(axis=1)"}),
    ("return np.sum(x)", "reduction", {"return np.mean(x)"}),
    ("return x.mean()", "reduction", {"return x.sum()"}),
    ("x += y\nreturn x", "accumulation", {"x = y\nreturn x"}),
    ("return x, y", "return", {"return (y, x)"}),
    ("x = x * 2.0\ny = y + x\nreturn y", "statement", {"y = y + x\nreturn y", "x = x * 2.0\nreturn y"}),
])
def test_each_operator_makes_the_expected_edits(body, operator, expected):
    assert _edits(body, operator) == expected


def test_a_statement_alone_in_its_block_is_replaced_by_pass():
    assert "if x:\npass\nreturn y" in _edits("if x:\n    y = y + 1.0\nreturn y", "statement")


def test_returns_and_docstrings_are_never_deleted():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    assert [m for m in automatic_mutants(source, 100) if m.operator == "statement"] == []


def test_the_same_n_and_seed_give_the_same_mutants_and_a_larger_n_adds_to_them():
    source = _region("a = np.sum(x, axis=0) * 2.0\nb = a.T @ y + 1.0\nreturn a, b")
    first = automatic_mutants(source, 6, seed=3)
    assert [m.source for m in first] == [m.source for m in automatic_mutants(source, 6, seed=3)]
    assert [m.source for m in automatic_mutants(source, 9, seed=3)][:6] == [m.source for m in first]
    assert [m.source for m in automatic_mutants(source, 6, seed=4)] != [m.source for m in first]


def test_every_mutant_compiles_and_differs_from_the_reference_and_the_others():
    source = _region("a = np.sum(x, axis=0) * 2.0\nb = a.T @ y + 0\nb += 1.0\nreturn a, b")
    mutants = automatic_mutants(source, 1000)
    dumps = {ast.dump(ast.parse(m.source)) for m in mutants}
    assert len(dumps) == len(mutants) and ast.dump(ast.parse(source)) not in dumps
    assert {m.operator for m in mutants} <= set(OPERATORS)


def test_edits_stay_inside_the_solution_regions():
    source = ("def f(x):\n    scale = 2.0\n    ### BEGIN SOLUTION\n    return x * scale\n"
              "    ### END SOLUTION\n\n\ndef g(x):\n    return x + 1.0\n")
    assert solution_regions(source) == [(4, 4)]
    mutants = automatic_mutants(source, 1000)
    assert mutants and all(m.line == 4 for m in mutants)


def test_without_regions_edits_stay_inside_the_contract_functions():
    source = ("def helper(x):\n    return x + 1.0\n\n\ndef f(x):\n    return x * 2.0\n\n\n"
              "class Layer:\n    def forward(self, x):\n        return x - 1.0\n")
    assert editable_regions(source, ("f", "Layer")) == [(6, 6), (11, 11)]
    lines = {m.line for m in automatic_mutants(source, 1000, contract=("f", "Layer"))}
    assert lines == {6, 11}


def test_the_diff_is_the_edited_line_without_the_comment_it_keeps():
    source = _region("return x + y  # the sum")
    (mutant,) = [m for m in automatic_mutants(source, 100) if m.operator == "arithmetic"]
    assert mutant.diff == "line 6: return x + y  ->  return x - y"
    assert "return x - y  # the sum" in mutant.source
