"""Checking one answer against one key entry, with feedback that names the likely slip.

A key entry is a `Spec`: the expected value, its kind, the tolerance, the question's
symbols, and a table of `Slip`s (a wrong answer, or a rule on the answer, with the
feedback to give). `check(spec, answer)` normalises the answer (plain data: numbers,
strings, lists/tuples; SymPy objects are turned into text and re-parsed by the restricted
parser, so every answer takes the same safe path), compares it, and returns a `Verdict`.

Kinds:
    "int"     exact whole number (55018, 55018.0, "55,018", "Integer(55018)" all pass)
    "number"  |got - expected| <= atol + rtol * |expected| (0.25, "1/4", Rational(1, 4))
    "expr"    an expression in the declared symbols, equivalent to the expected one
    "string"  a word, compared case-insensitively (plus `accept` spellings)
A tuple `expected` means a tuple of that kind, compared element by element.
"""

from __future__ import annotations

import fractions
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import mpmath
import sympy

from .compare import describe_point, equivalent, evaluate, format_value
from .parse import ParseError, parse_answer

__all__ = ["Slip", "Spec", "Verdict", "AnswerError", "check", "normalize"]


@dataclass(frozen=True)
class Slip:
    """A likely mistake: the wrong answer it produces (`value`) or a `rule` on the answer."""

    feedback: str
    value: object = None
    rule: Callable[[object], bool] | None = None
    name: str = ""


@dataclass(frozen=True)
class Spec:
    """One question's key entry (see the module docstring for the kinds)."""

    expected: object
    kind: str
    atol: float = 0.0
    rtol: float = 0.0
    symbols: Mapping[str, sympy.Symbol] = field(default_factory=dict)
    slips: tuple[Slip, ...] = ()
    item_names: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()
    domain: Mapping[str, tuple] | None = None
    constraint: Callable[[dict], bool] | None = None
    extra_points: tuple = ()

    def __post_init__(self):
        if self.kind not in ("int", "number", "expr", "string"):
            raise ValueError(f"unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Verdict:
    """passed, and a message for the student (expected, got, by how much, likely slip).

    fields: a wrong answer's feedback as `CheckFailed` fields, the answer included (the
    expected value and its tolerance in `expected`; "off by N" or the expected value where
    a formula differs in `diff`), whatever `reveal` says: the grader withholds those two
    fields itself (graders.engine.feedback). None for a pass or an unreadable answer.
    """

    passed: bool
    message: str
    slip: str | None = None
    fields: dict | None = None


class AnswerError(ValueError):
    """The answer cannot be read as the kind of value the question asks for."""


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:[,_ \u00a0\u2009\u202f]\d{3})+(?:\.\d+)?$")
_TIMES = re.compile(r"^\s*\d+(?:\s*[x×]\s*\d+)+\s*$")


def normalize(answer, spec: Spec):
    """The answer as a sympy value (or tuple of them, or a lower-case string)."""
    if answer is None or answer is Ellipsis or answer is NotImplemented:
        raise AnswerError("no answer given")
    if spec.kind == "string":
        if not isinstance(answer, str):
            raise AnswerError(f"expected a word in quotes (a str), got {type(answer).__name__}")
        return answer.strip().strip("'\"").strip().lower()
    want = len(spec.expected) if isinstance(spec.expected, tuple) else None
    got = _value(answer, spec, want is not None, top=True)
    if want is None:
        if isinstance(got, tuple):
            if len(got) != 1:
                raise AnswerError(f"expected a single value, got a tuple of {len(got)}")
            got = got[0]
        return got
    if not isinstance(got, tuple):
        raise AnswerError(f"expected a tuple of {want} values{_names(spec)}, got a single value")
    if len(got) != want:
        extra = " (leave out the batch dimension)" if len(got) == want + 1 and spec.kind == "int" else ""
        raise AnswerError(f"expected a tuple of {want} values{_names(spec)}, got {len(got)}{extra}")
    return got


def _names(spec: Spec) -> str:
    return f" ({', '.join(spec.item_names)})" if spec.item_names else ""


def _value(x, spec: Spec, want_tuple: bool, top: bool = False):
    if isinstance(x, sympy.Basic):
        x = sympy.srepr(x)  # re-parsed below: one safe path for every answer
    elif hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        x = x.tolist()  # numpy arrays and scalars, torch tensors
    if isinstance(x, bool):
        raise AnswerError("a boolean is not a number")
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise AnswerError(f"{x} is not a finite number")
        return sympy.Float(x)
    if isinstance(x, fractions.Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, str):
        out = _text(x, spec, want_tuple)
        if isinstance(out, tuple) and not top:
            raise AnswerError("expected a flat tuple of values, got a tuple inside it")
        return out
    if isinstance(x, (list, tuple)) and top:
        if x and all(isinstance(e, (list, tuple)) for e in x) and (len(x) == 1 or all(len(e) == 1 for e in x)):
            x = [v for e in x for v in e]  # a row or column vector
        return tuple(_value(e, spec, False) for e in x)
    if isinstance(x, (list, tuple)):
        raise AnswerError("expected a flat tuple of values, got a nested list")
    raise AnswerError(f"an answer of type {type(x).__name__} can't be graded; "
                      "give a number, a tuple, a string or a SymPy expression")


def _text(text: str, spec: Spec, want_tuple: bool):
    s = text.strip()
    if not want_tuple and _THOUSANDS.match(s):
        s = re.sub(r"[,_ \u00a0\u2009\u202f]", "", s)
    elif want_tuple and _TIMES.match(s):
        return tuple(sympy.Integer(int(p)) for p in re.split(r"[x×]", s))
    try:
        out = parse_answer(s, spec.symbols)
    except ParseError as exc:
        raise AnswerError(str(exc)) from None
    return out


# -- scalar comparison --------------------------------------------------------------------


def _number(got, spec: Spec):
    """The numeric value of a parsed answer (mpmath), or raise AnswerError."""
    if got.free_symbols:
        names = ", ".join(sorted(str(s) for s in got.free_symbols))
        raise AnswerError(f"expected a number, got an expression in {names}")
    try:
        v = evaluate(got, {})
    except ValueError as exc:
        raise AnswerError(f"{sympy.sstr(got)} is {exc}") from None
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise AnswerError(f"{sympy.sstr(got)} is not a real number")
        v = v.real
    return v


def _compare(got, expected, spec: Spec, scale: float = 1.0):
    """(ok, got_text, diff_text, detail) for one scalar; AnswerError if unreadable."""
    if spec.kind == "string":
        ok = got == str(expected).lower() or got in {a.lower() for a in spec.accept}
        return ok, repr(got), "", None
    if spec.kind == "expr":
        eq = equivalent(got, expected, spec.symbols, domain=spec.domain, constraint=spec.constraint,
                        extra_points=spec.extra_points, try_simplify=scale == 1.0)
        return eq.equal, sympy.sstr(got, full_prec=False), "", eq
    v = _number(got, spec)
    e = mpmath.mpf(expected.p) / expected.q if isinstance(expected, sympy.Rational) else mpmath.mpf(expected)
    if spec.kind == "int":
        if abs(v - mpmath.nint(v)) > 1e-9:
            return False, format_value(v), "not a whole number", None
        v = mpmath.nint(v)
        return v == e, format_value(sympy.Integer(int(v))), format_value(sympy.Integer(int(v - e))), None
    tol = (spec.atol + spec.rtol * abs(e)) * scale
    shown = format_value(got) if isinstance(got, sympy.Rational) else format_value(v, 10)
    return abs(v - e) <= tol, shown, mpmath.nstr(v - e, 3), None


def _show_expected(spec: Spec) -> str:
    def one(x):
        if spec.kind == "expr":
            return sympy.sstr(x)
        if spec.kind == "string":
            return repr(x)
        return format_value(x if not isinstance(x, float) else mpmath.mpf(x))

    if isinstance(spec.expected, tuple):
        return "(" + ", ".join(one(x) for x in spec.expected) + ")"
    return one(spec.expected)


def _tolerance(spec: Spec) -> str:
    if spec.kind != "number":
        return ""
    if spec.atol <= 1e-9 and spec.rtol <= 1e-9:
        return " (exact)"
    parts = [f"±{spec.atol:g}"] if spec.atol else []
    parts += [f"±{spec.rtol:g} relative"] if spec.rtol else []
    return " (tolerance " + " + ".join(parts) + ")"


def _matches(got, value, spec: Spec) -> bool:
    """Does the answer equal a slip's wrong answer (within twice the tolerance)?"""
    try:
        if isinstance(value, tuple) != isinstance(got, tuple):
            return False
        if isinstance(value, tuple):
            return len(value) == len(got) and all(_compare(g, w, spec, 2.0)[0] for g, w in zip(got, value))
        return _compare(got, value, spec, 2.0)[0]
    except AnswerError:
        return False


def _generic_slip(got, spec: Spec, details) -> str | None:
    if isinstance(got, tuple) and spec.kind in ("int", "number"):
        try:
            g = sorted(float(_number(x, spec)) for x in got)
            if g == sorted(float(sympy.N(x)) for x in spec.expected):
                return "the right values in the wrong order" + (f": the order is ({', '.join(spec.item_names)})"
                                                                if spec.item_names else "")
        except (AnswerError, TypeError):
            return None
    if spec.kind == "number" and spec.atol:
        pairs = zip(got, spec.expected) if isinstance(got, tuple) else [(got, spec.expected)]
        if all(abs(_number(g, spec) - mpmath.mpf(sympy.N(w, 30))) <= max(100 * spec.atol, 0.01) for g, w in pairs):
            return f"close, but not to the precision the question asks for{_tolerance(spec)}"
    if spec.kind == "expr" and not isinstance(got, tuple) and details is not None:
        return _factor_or_offset(got, spec, details.points)
    return None


def _factor_or_offset(got, spec: Spec, points) -> str | None:
    ratios, diffs = [], []
    for pt in points:
        env = {spec.symbols[k]: v for k, v in pt.items()}
        try:
            g, w = evaluate(got, env), evaluate(spec.expected, env)
        except ValueError:
            continue
        diffs.append(g - w)
        if w != 0:
            ratios.append(g / w)
    for vals, what in ((ratios, "off by a constant factor of"), (diffs, "off by a constant term of")):
        if len(vals) >= 3 and all(abs(r - vals[0]) <= 1e-9 * max(1, abs(vals[0])) for r in vals):
            c = sympy.nsimplify(float(mpmath.re(vals[0])), rational=True, tolerance=1e-9)
            return f"{what} {c}"
    return None


def check(spec: Spec, answer, qid: str = "", *, reveal: bool = True) -> Verdict:
    """Compare `answer` (plain data) with `spec`; see the module docstring."""
    head = f"{qid}: " if qid else ""
    exp_text = f"expected {_show_expected(spec)}{_tolerance(spec)}, " if reveal else ""
    try:
        got = normalize(answer, spec)
    except AnswerError as exc:
        return Verdict(False, f"{head}{exc}.")
    try:
        if isinstance(got, tuple):
            parts = [_compare(g, w, spec) for g, w in zip(got, spec.expected)]
            ok = all(p[0] for p in parts)
            got_text = "(" + ", ".join(p[1] for p in parts) + ")"
            names = spec.item_names or tuple(f"element {i}" for i in range(len(parts)))
            wrong = [f"{n} is wrong" if not reveal and p[3] is None else
                     f"{n}: off by {p[2]}" if p[2] and p[2] != "not a whole number" else
                     f"{n}: {p[2]}" if p[2] else
                     f"{n}: {_counterexample(p[3], reveal)}" if p[3] is not None else f"{n} is wrong"
                     for n, p in zip(names, parts) if not p[0]]
            how, details = "; ".join(wrong), None
            shown_where = "; ".join(f"{n}: {_counterexample(p[3], False)}" if p[3] is not None else f"{n} is wrong"
                                    for n, p in zip(names, parts) if not p[0])
            answer_diff = "; ".join(f"{n}: off by {p[2]}" if p[2] and p[2] != "not a whole number" else
                                    f"{n}: {p[2]}" if p[2] else
                                    f"{n}: {_counterexample(p[3], True)}" if p[3] is not None else f"{n} is wrong"
                                    for n, p in zip(names, parts) if not p[0])
        else:
            ok, got_text, diff, details = _compare(got, spec.expected, spec)
            how = f"off by {diff}" if diff and diff != "not a whole number" else diff
            answer_diff = how if diff != "not a whole number" else None
            shown_where = "not a whole number" if diff == "not a whole number" else None
            if details is not None and not ok:
                shown_where, answer_diff = _counterexample(details, False), _counterexample(details, True)
            if not reveal and details is None and diff != "not a whole number":
                how = None  # "off by N" would give the expected value away
            if details is not None and not ok:
                how = _counterexample(details, reveal)
    except AnswerError as exc:
        return Verdict(False, f"{head}{exc}.")
    if ok:
        note = ""
        if details is not None:
            note = (" (proved: simplify(answer - expected) == 0)" if details.proved else
                    f" (equal at {details.n_points} random points; SymPy could not simplify the difference to 0)")
        return Verdict(True, f"{head}correct: {got_text}{note}.")
    slip = next((s for s in spec.slips if (s.rule(got) if s.rule else _matches(got, s.value, spec))), None)
    feedback = slip.feedback if slip else _generic_slip(got, spec, details)
    msg = f"{head}{exp_text}got {got_text}" + (f" ({how})" if how else "") + "."
    if feedback:
        msg += f" Likely slip: {feedback}" + ("" if feedback.endswith((".", "!", "?", ")")) else ".")
    fields = {"summary": f"{head}your answer is wrong.", "got": got_text,
              "expected": f"{_show_expected(spec)}{_tolerance(spec)}", "where": shown_where,
              "diff": answer_diff, "slip": feedback or None}
    return Verdict(False, msg, (slip.name or slip.feedback) if slip else None, fields)


def _counterexample(eq, reveal: bool) -> str:
    if eq.point is None:
        return "it could not be evaluated at any point of the question's domain"
    where = describe_point(eq.point)
    got = "undefined" if eq.got is None else format_value(eq.got)
    if reveal:
        return f"they differ at {where}: yours = {got}, expected = {format_value(eq.expected)}"
    return f"it is wrong at {where}, where yours = {got}"
