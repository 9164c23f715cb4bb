"""A restricted parser for a student's answer written as text.

Answers reach the grader as plain data; a SymPy expression arrives as its `srepr` or
`str` text, e.g. "Mul(Rational(1, 4), Symbol('z'))" or "exp(-z)/(exp(-z) + 1)**2".
SymPy's own `sympify`/`parse_expr` run `eval` on the text, so they are never used here.
Instead the text is parsed with `ast.parse(text, mode="eval")` (which only builds a
syntax tree and runs nothing), the tree is checked node by node against a whitelist,
and the SymPy expression is built from the tree by this module:

- numbers (int and float literals; `/` between integers is an exact Rational),
- the question's declared symbol names (bare, or as `Symbol('name', <assumptions>)`),
- `+ - * / **`, unary `-` and `+`, parentheses,
- calls to whitelisted functions (sqrt, exp, log, Abs, abs, Max, Min, sin, cos, tan,
  tanh, sinh, cosh, floor, ceiling, Rational, Integer, Float, Add, Mul, Pow, Tuple),
- the constants pi and E,
- a tuple or list of such expressions at the top level only.

Anything else (attribute access, subscripts, lambdas, comprehensions, comparisons,
names that are not declared, keyword arguments other than Symbol's assumptions and
Float's precision, ...) is rejected with a `ParseError` that says what was found.
Size limits keep a hostile answer cheap: at most `MAX_CHARS` characters, `MAX_NODES`
syntax nodes, nesting depth `MAX_DEPTH`, numeric exponents up to `MAX_EXPONENT` in
absolute value, and numbers up to `MAX_MAGNITUDE`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping

import sympy

__all__ = ["ParseError", "parse_answer", "MAX_CHARS", "MAX_EXPONENT", "MAX_MAGNITUDE"]

MAX_CHARS = 2000
MAX_NODES = 600
MAX_DEPTH = 100
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 10**60

_FUNCTIONS = {
    "sqrt": (sympy.sqrt, 1, 1),
    "exp": (sympy.exp, 1, 1),
    "log": (sympy.log, 1, 2),
    "ln": (sympy.log, 1, 1),
    "Abs": (sympy.Abs, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "Max": (sympy.Max, 1, 16),
    "Min": (sympy.Min, 1, 16),
    "max": (sympy.Max, 1, 16),
    "min": (sympy.Min, 1, 16),
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "floor": (sympy.floor, 1, 1),
    "ceiling": (sympy.ceiling, 1, 1),
    "ceil": (sympy.ceiling, 1, 1),
    "Add": (sympy.Add, 0, 64),
    "Mul": (sympy.Mul, 0, 64),
    "Pow": (None, 2, 2),  # built by _pow so that the exponent limits apply
}
_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_SYMBOL_ASSUMPTIONS = {
    "real", "positive", "negative", "nonnegative", "nonpositive", "integer", "finite",
    "nonzero", "zero", "rational", "even", "odd", "extended_real", "complex", "commutative",
}

_NODE_NAMES = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "a conditional expression",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "'*' unpacking",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (':=')",
    ast.Await: "'await'",
    ast.Tuple: "a tuple inside an expression",
    ast.List: "a list inside an expression",
}


class ParseError(ValueError):
    """The answer text is not an expression this parser accepts; str() says why."""


def parse_answer(text: str, symbols: Mapping[str, sympy.Symbol] | Iterable[str] = ()):
    """Parse `text` into a SymPy expression, or a tuple of them, without evaluating it.

    Inputs:
    - text: the answer as a string (a `str(expr)`, a `sympy.srepr(expr)`, a number, or a
      tuple/list of those).
    - symbols: the names the question declares, either a mapping name -> sympy.Symbol
      (the key's symbols, with their assumptions) or an iterable of names (plain symbols).

    Returns a sympy.Expr, or a tuple of sympy.Expr when the text is a tuple or list.
    Raises ParseError with a message meant for the student.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if not isinstance(symbols, Mapping):
        symbols = {name: sympy.Symbol(name) for name in symbols}
    text = text.strip()
    if not text:
        raise ParseError("the answer is empty")
    if len(text) > MAX_CHARS:
        raise ParseError(f"the answer is {len(text)} characters long; at most {MAX_CHARS} are read")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ParseError(f"could not read {_short(text)!r} as an expression ({_reason(exc)})") from None
    _check_size(tree)
    try:
        body = tree.body
        if isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "Tuple":
            if body.keywords:
                raise ParseError("Tuple() takes no keyword arguments")
            return tuple(_finish(_Builder(symbols).build(e)) for e in body.args)
        if isinstance(body, (ast.Tuple, ast.List)):
            return tuple(_finish(_Builder(symbols).build(e)) for e in body.elts)
        return _finish(_Builder(symbols).build(body))
    except RecursionError:
        raise ParseError("the answer is nested too deeply") from None
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - SymPy refusing to build it is the student's error
        raise ParseError(f"could not build an expression from the answer ({type(exc).__name__}: "
                         f"{_short(str(exc))})") from None


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _reason(exc: Exception) -> str:
    msg = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    if "^" in str(getattr(exc, "text", "") or ""):
        msg += "; write powers with **, not ^"
    return msg


def _check_size(tree: ast.AST) -> None:
    """Count nodes and depth iteratively, so a huge tree never reaches the builder."""
    stack = [(tree, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ParseError(f"the answer has more than {MAX_NODES} parts; simplify it")
        if depth > MAX_DEPTH:
            raise ParseError(f"the answer is nested more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _finish(expr):
    if not isinstance(expr, sympy.Expr):
        raise ParseError(f"{expr!r} is not a mathematical expression")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ParseError("the expression is not finite (a division by zero or an infinity)")
    for atom in expr.atoms(sympy.Number):
        _check_magnitude(atom)
    for p in expr.atoms(sympy.Pow):
        _check_exponent(p.exp)
    return expr


def _check_magnitude(x) -> None:
    if x.is_Rational:
        if abs(x.p) > MAX_MAGNITUDE or x.q > MAX_MAGNITUDE:
            raise ParseError("a number in the answer is too large")
    elif x.is_Float and not (abs(x) <= MAX_MAGNITUDE):
        raise ParseError("a number in the answer is too large")


def _check_exponent(e) -> None:
    if e.is_Number and not abs(e) <= MAX_EXPONENT:
        raise ParseError(f"an exponent is larger than {MAX_EXPONENT} in absolute value")


class _Builder:
    def __init__(self, symbols: Mapping[str, sympy.Symbol]):
        self.symbols = dict(symbols)

    def build(self, node: ast.AST):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise ParseError(f"{what} is not allowed in an answer")
        out = method(node)
        if isinstance(out, sympy.Basic):
            for atom in out.atoms(sympy.Number):
                _check_magnitude(atom)
        return out

    # -- leaves ------------------------------------------------------------------------
    def _Constant(self, node: ast.Constant):
        v = node.value
        if type(v) is int:
            return sympy.Integer(v)
        if type(v) is float:
            if not math.isfinite(v):
                raise ParseError("the number is not finite")
            return sympy.Float(v)
        raise ParseError(f"the literal {_short(repr(v))} is not a number")

    def _Name(self, node: ast.Name):
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        allowed = ", ".join(self.symbols) or "none"
        if node.id in _FUNCTIONS or node.id in ("Symbol", "Rational", "Integer", "Float"):
            raise ParseError(f"{node.id} must be called, e.g. {node.id}(...)")
        raise ParseError(f"unknown name {node.id!r}; this question's symbols are: {allowed}")

    # -- operators ---------------------------------------------------------------------
    def _UnaryOp(self, node: ast.UnaryOp):
        operand = self._expr(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise ParseError(f"the operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp):
        op = node.op
        if isinstance(op, ast.BitXor):
            raise ParseError("'^' is not a power in Python; write powers with **")
        if isinstance(op, (ast.FloorDiv, ast.Mod, ast.MatMult, ast.LShift, ast.RShift, ast.BitOr, ast.BitAnd)):
            raise ParseError(f"the operator {type(op).__name__} is not allowed; use + - * / **")
        a, b = self._expr(node.left), self._expr(node.right)
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            if b == 0:
                raise ParseError("division by zero")
            return a / b
        if isinstance(op, ast.Pow):
            return _pow(a, b)
        raise ParseError(f"the operator {type(op).__name__} is not allowed")

    def _expr(self, node: ast.AST):
        out = self.build(node)
        if not isinstance(out, sympy.Expr) or isinstance(out, sympy.Tuple):
            raise ParseError("a tuple or list may only be the whole answer, not part of an expression")
        return out

    # -- calls -------------------------------------------------------------------------
    def _Call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ParseError("only calls of whitelisted functions by name are allowed, e.g. exp(-z)")
        name = node.func.id
        if name == "Symbol":
            return self._symbol(node)
        if name in ("Integer", "Rational", "Float"):
            return self._number(name, node)
        if name == "Tuple":
            raise ParseError("a tuple may only be the whole answer")
        if name not in _FUNCTIONS:
            raise ParseError(f"the function {name!r} is not allowed; allowed: {', '.join(sorted(_FUNCTIONS))}")
        if node.keywords:
            raise ParseError(f"{name}() takes no keyword arguments here")
        func, lo, hi = _FUNCTIONS[name]
        if not lo <= len(node.args) <= hi:
            raise ParseError(f"{name}() got {len(node.args)} arguments")
        args = [self._expr(a) for a in node.args]
        if name == "Pow":
            return _pow(*args)
        if name == "log" and len(args) == 2 and args[1].is_Number and args[1] <= 0:
            raise ParseError("log's base must be positive")
        return func(*args)

    def _symbol(self, node: ast.Call):
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            raise ParseError("Symbol() takes one name in quotes, e.g. Symbol('z')")
        for kw in node.keywords:
            ok = kw.arg in _SYMBOL_ASSUMPTIONS and isinstance(kw.value, ast.Constant) and type(kw.value.value) is bool
            if not ok:
                raise ParseError(f"Symbol() keyword {kw.arg!r} is not allowed")
        name = node.args[0].value
        if name not in self.symbols:
            allowed = ", ".join(self.symbols) or "none"
            raise ParseError(f"the symbol {name!r} is not one of this question's symbols ({allowed})")
        return self.symbols[name]  # the key's symbol, with the key's assumptions

    def _number(self, name: str, node: ast.Call):
        if name == "Float":
            if len(node.args) != 1 or any(k.arg not in ("precision", "dps") for k in node.keywords):
                raise ParseError("Float() takes one value and optionally precision=")
            kw = {}
            for key in node.keywords:
                val = self._literal(key.value)
                if not 1 <= val <= (2000 if key.arg == "precision" else 600):
                    raise ParseError(f"Float() {key.arg}={val} is out of range")
                kw[key.arg] = val
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and type(arg.value) is str:
                s = arg.value.strip()
                if len(s) > 100 or not _is_decimal(s):
                    raise ParseError(f"Float({s[:20]!r}) is not a decimal number")
                return sympy.Float(s, **kw)
            return sympy.Float(self._literal(arg, allow_float=True), **kw)
        if node.keywords:
            raise ParseError(f"{name}() takes no keyword arguments")
        if name == "Integer":
            if len(node.args) != 1:
                raise ParseError("Integer() takes one integer")
            return sympy.Integer(self._literal(node.args[0]))
        if len(node.args) not in (1, 2):
            raise ParseError("Rational() takes a numerator and a denominator")
        p, *q = (self._literal(a) for a in node.args)
        if q and q[0] == 0:
            raise ParseError("Rational() with a zero denominator")
        return sympy.Rational(p, *q)

    def _literal(self, node: ast.AST, allow_float: bool = False):
        sign = 1
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if isinstance(node, ast.Constant) and (type(node.value) is int or (allow_float and type(node.value) is float)):
            if type(node.value) is float and not math.isfinite(node.value):
                raise ParseError("the number is not finite")
            return sign * node.value
        raise ParseError("expected a literal number inside Integer()/Rational()/Float()")


def _is_decimal(s: str) -> bool:
    try:
        return math.isfinite(float(s))
    except ValueError:
        return False


def _pow(base, exp):
    """base ** exp with limits, so that 10**10**10 or (z**1000)**1000 is refused, not computed."""
    if exp.is_Number:
        _check_exponent(exp)
        if base.is_Number and base != 0:
            digits = abs(float(exp)) * abs(float(sympy.log(abs(base), 10).evalf(15)))
            if digits > math.log10(MAX_MAGNITUDE):
                raise ParseError("a power in the answer is too large")
    out = sympy.Pow(base, exp)
    for p in out.atoms(sympy.Pow):
        _check_exponent(p.exp)
    return out
