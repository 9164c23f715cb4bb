"""Automatic mutants of a reference solution: small AST edits a grader should notice.

`automatic_mutants(source, n, seed=0, contract=())` returns up to `n` `AutoMutant`s, each
the reference's source with one edit, chosen deterministically: every candidate edit is
listed in source order, shuffled with `random.Random(seed)`, and the first `n` that compile
and change the program (its AST) are kept, so the same `n` and seed give the same mutants
(and a larger `n` adds to them). The operators (`OPERATORS`):

    arithmetic   + <-> -, * <-> /, // -> /, ** -> *, @ -> *, a unary minus dropped
    comparison   < <-> <=, > <-> >=, < <-> >, == <-> !=
    constant     c -> 2c, c / 2, c + 1; 0 -> 1
    transpose    x.T -> x, np.transpose(x) -> x, x.transpose(...) -> x
    axis         axis=0 <-> axis=1, axis=-1 -> axis=0, keepdims=... dropped
    reduction    sum <-> mean (np.sum(x), x.sum(), ...)
    accumulation a += b -> a = b (any augmented assignment)
    return       return a, b -> return b, a (each adjacent pair)
    statement    one statement deleted (`pass` where a block would be empty; never a return)

Edits are made only inside the reference's solution regions (the lines between
`### BEGIN SOLUTION` and `### END SOLUTION`) when it has any, else inside the functions (and
methods of the classes) that `contract` names. Each edit replaces the exact source text of
one node, so the rest of the file, comments included, is unchanged and the diff is one line.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass
from typing import Iterator

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
OPERATORS = ("arithmetic", "comparison", "constant", "transpose", "axis", "reduction",
             "accumulation", "return", "statement")

_ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.MatMult: ast.Mult}
_COMPARISON = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt,), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt,),
               ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,)}
_REDUCTIONS = {"sum": "mean", "mean": "sum", "nansum": "nanmean", "nanmean": "nansum"}
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Constant, ast.Subscript, ast.List, ast.Tuple, ast.Dict)


@dataclass(frozen=True)
class AutoMutant:
    """One automatic mutant: `source` is the whole mutated module.

    name: "<operator>@<line>:<column>#<k>", unique within one generation.
    operator: one of OPERATORS.
    line: the (first) line edited, 1-based.
    before, after: that line of the reference and of the mutant, stripped (the one-line diff).
    source: the whole mutated module.
    function: the top-level function or class the edit is in ("" if none): the checks of
        that contract name are the likeliest to notice it.
    """

    name: str
    operator: str
    line: int
    before: str
    after: str
    source: str
    function: str = ""

    @property
    def diff(self) -> str:
        return f"line {self.line}: {self.before}  ->  {self.after or '(deleted)'}"


@dataclass(frozen=True)
class _Edit:
    operator: str
    start: tuple[int, int]  # (line, column) of the replaced text; lines 1-based, columns in characters
    end: tuple[int, int]
    replacement: str


def solution_regions(source: str) -> list[tuple[int, int]]:
    """The (first, last) line numbers, 1-based, inside each BEGIN/END SOLUTION pair."""
    regions, start = [], None
    for number, line in enumerate(source.splitlines(), 1):
        text = line.strip()
        if text.startswith(BEGIN):
            start = number + 1
        elif text.startswith(END) and start is not None:
            regions.append((start, number - 1))
            start = None
    return regions


def editable_regions(source: str, contract=()) -> list[tuple[int, int]]:
    """Where edits may go: the solution regions, else the contract's functions and methods."""
    regions = solution_regions(source)
    if regions:
        return regions
    names = set(contract)
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            found.append((node.body[0].lineno, node.end_lineno))
        elif isinstance(node, ast.ClassDef) and node.name in names:
            found += [(f.body[0].lineno, f.end_lineno) for f in node.body
                      if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return found


def candidate_edits(source: str, contract=()) -> list[_Edit]:
    """Every edit of every operator, in source order."""
    tree = ast.parse(source)
    regions = editable_regions(source, contract)

    def inside(node) -> bool:
        return any(a <= node.lineno and node.end_lineno <= b for a, b in regions)

    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    edits = []
    for node in ast.walk(tree):
        if _is_axis(node, parents):  # the axis operator's own: a constant scaled would repeat it
            continue
        if isinstance(node, (ast.expr, ast.stmt)) and hasattr(node, "end_lineno") and inside(node):
            edits += [_Edit(op, (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                            _text(new, node, parents))
                      for op, new in _replacements(node)]
        if isinstance(node, ast.stmt) and inside(node) and not isinstance(node, ast.Return):
            edits += _deletions(node, parents)
    return sorted(edits, key=lambda e: (e.start, e.end, OPERATORS.index(e.operator), e.replacement))


def automatic_mutants(source: str, n: int, seed: int = 0, contract=()) -> list[AutoMutant]:
    """Up to `n` mutants (fewer when fewer edits exist), deterministic in (source, n, seed)."""
    edits = candidate_edits(source, contract)
    random.Random(seed).shuffle(edits)
    tree = ast.parse(source)
    seen = {ast.dump(tree)}
    lines = source.splitlines()
    spans = [(node.lineno, node.end_lineno, node.name) for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    mutants = []
    for edit in edits:
        if len(mutants) >= n:
            break
        mutated = _apply(source, edit)
        try:
            mutated_tree = compile(mutated, "<mutant>", "exec", ast.PyCF_ONLY_AST)
            compile(mutated_tree, "<mutant>", "exec")
        except (SyntaxError, ValueError):
            continue
        key = ast.dump(mutated_tree)
        if key in seen:  # the same program as the reference or as an earlier mutant
            continue
        seen.add(key)
        line = edit.start[0]
        after_lines = mutated.splitlines()
        after = after_lines[line - 1].strip() if line - 1 < len(after_lines) else ""
        before = lines[line - 1].strip()
        if edit.operator == "statement":
            before, after = _deleted_text(lines, edit), ""
        before, after = _without_shared_comment(before, after)
        mutants.append(AutoMutant(f"{edit.operator}@{line}:{edit.start[1]}#{len(mutants)}", edit.operator,
                                  line, before, after, mutated,
                                  next((name for a, b, name in spans if a <= line <= b), "")))
    return mutants


# ---------------------------------------------------------------------------- operators
def _replacements(node) -> Iterator[tuple[str, ast.AST]]:
    """(operator, replacement node) for each edit of `node` itself."""
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        yield "arithmetic", ast.BinOp(node.left, _ARITHMETIC[type(node.op)](), node.right)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
        yield "arithmetic", node.operand
    elif isinstance(node, ast.AugAssign):
        if type(node.op) in _ARITHMETIC:
            yield "arithmetic", ast.AugAssign(node.target, _ARITHMETIC[type(node.op)](), node.value)
        yield "accumulation", ast.Assign([node.target], node.value, lineno=node.lineno)
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for other in _COMPARISON.get(type(op), ()):
                ops = list(node.ops)
                ops[i] = other()
                yield "comparison", ast.Compare(node.left, ops, node.comparators)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        yield from (("constant", ast.Constant(v)) for v in _scaled(node.value))
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield "transpose", node.value
    elif isinstance(node, ast.Call):
        yield from _call_replacements(node)
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) > 1:
        for i in range(len(node.value.elts) - 1):
            elts = list(node.value.elts)
            elts[i], elts[i + 1] = elts[i + 1], elts[i]
            yield "return", ast.Return(ast.Tuple(elts, ast.Load()))


def _scaled(value) -> list:
    if value == 0:
        return [1]
    if isinstance(value, int):
        return [v for v in (2 * value, value // 2, value + 1) if v != value]
    return [2 * value, value / 2, value + 1]


def _call_replacements(node: ast.Call) -> Iterator[tuple[str, ast.AST]]:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name == "transpose":
        if isinstance(func, ast.Attribute) and _is_numpy(func.value) and node.args:
            yield "transpose", node.args[0]
        elif isinstance(func, ast.Attribute) and not _is_numpy(func.value):
            yield "transpose", func.value
    if name in _REDUCTIONS and isinstance(func, ast.Attribute):
        yield "reduction", ast.Call(ast.Attribute(func.value, _REDUCTIONS[name], ast.Load()), node.args, node.keywords)
    for i, keyword in enumerate(node.keywords):
        others = node.keywords[:i] + node.keywords[i + 1:]
        if keyword.arg == "axis" and isinstance(keyword.value, (ast.Constant, ast.UnaryOp)):
            axis = _int_constant(keyword.value)
            for new in {0: (1,), 1: (0,), -1: (0,)}.get(axis, ()):
                changed = others[:i] + [ast.keyword("axis", ast.Constant(new))] + others[i:]
                yield "axis", ast.Call(func, node.args, changed)
        elif keyword.arg == "keepdims":
            yield "axis", ast.Call(func, node.args, others)


def _is_axis(node, parents) -> bool:
    parent = parents.get(node)
    if isinstance(parent, ast.UnaryOp):
        parent = parents.get(parent)
    return isinstance(node, ast.Constant) and isinstance(parent, ast.keyword) and parent.arg == "axis"


def _is_numpy(node) -> bool:
    return isinstance(node, ast.Name) and node.id in ("np", "numpy")


def _int_constant(node) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int:
        return -node.operand.value
    return None


def _deletions(node: ast.stmt, parents) -> list[_Edit]:
    """Deleting `node`: its lines, or `pass` when it is alone in its block (a compound
    statement's body that would be empty)."""
    parent = parents.get(node)
    block = next((getattr(parent, f) for f in ("body", "orelse", "finalbody")
                  if node in getattr(parent, f, ())), None)
    if block is None:
        return []
    if _is_docstring(node, parent):
        return []
    replacement = "pass" if len(block) == 1 else ""
    return [_Edit("statement", (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset), replacement)]


def _is_docstring(node, parent) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str) and getattr(parent, "body", [None])[0] is node)


# ---------------------------------------------------------------------------- text
def _text(new: ast.AST, old: ast.AST, parents) -> str:
    """The source text of `new` to put where `old` was: parenthesised when it is an operation
    inside another expression (so precedence cannot change its meaning)."""
    text = ast.unparse(ast.fix_missing_locations(new))
    if isinstance(new, ast.expr) and not isinstance(new, _ATOMS) and isinstance(parents.get(old), ast.expr):
        return f"({text})"
    return text


def _offset(lines: list[str], line: int, column: int) -> int:
    """The character offset of (line, byte column) in the joined lines (AST columns are UTF-8 bytes)."""
    text = lines[line - 1]
    return sum(len(x) for x in lines[: line - 1]) + len(text.encode("utf-8")[:column].decode("utf-8", "ignore"))


def _apply(source: str, edit: _Edit) -> str:
    lines = source.splitlines(keepends=True)
    start = _offset(lines, *edit.start)
    end = _offset(lines, *edit.end)
    if edit.operator == "statement" and not edit.replacement:
        # the statement's whole lines go (it starts its line; a `;` joined one keeps the rest)
        line_start = start - len(lines[edit.start[0] - 1].encode("utf-8")[: edit.start[1]].decode("utf-8", "ignore"))
        rest = source[end:]
        newline = rest.find("\n")
        if source[line_start:start].strip() == "" and rest[: max(newline, 0)].strip() in ("", ) and newline >= 0:
            return source[:line_start] + rest[newline + 1:]
    return source[:start] + edit.replacement + source[end:]


def _deleted_text(lines: list[str], edit: _Edit) -> str:
    first = lines[edit.start[0] - 1].strip()
    return first + (" ..." if edit.end[0] > edit.start[0] else "")


def _without_shared_comment(before: str, after: str) -> tuple[str, str]:
    """The two lines without the trailing comment they share (the diff is the code)."""
    mark = before.rfind("  #")
    if mark > 0 and after.endswith(before[mark:]):
        return before[:mark], after[: len(after) - len(before) + mark]
    return before, after
