"""Equivalence of two expressions: SymPy's simplify, backed by evaluation at random points.

`simplify(a - b) == 0` proves two expressions equal, but simplify sometimes fails to
reduce a true identity to 0 (e.g. sigma'(z) written as 1/(4 cosh(z/2)**2)). A right
answer must not fail because of that, and a wrong one must not pass, so the verdict is:

- evaluate both expressions at `n_points` random points of the question's domain (fixed
  seed, exact rational coordinates, 30-digit mpmath arithmetic, points where the
  expected expression is undefined or not real are skipped);
- a point where they differ (confirmed at 100 digits, so that cancellation is no excuse)
  is a counterexample: the answer is wrong, and the point is shown with both values;
- otherwise simplify is asked for a proof, and the answer is accepted whether or not it
  finds one (an analytic difference that vanishes at a dozen random points is 0); the
  verdict says which.

The evaluator walks the SymPy tree itself with guards (no exp of a huge argument, no
power with a huge result), so a hostile expression that got through the parser cannot
make the evaluation hang; simplify is only attempted on small expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy

__all__ = ["Equivalence", "equivalent", "evaluate", "sample_points", "describe_point", "format_value"]

_DPS = 30
_MAX_ARG = 1e5  # |argument| beyond which exp/sin/... and powers count as overflow


class _Undefined(Exception):
    pass


@dataclass(frozen=True)
class Equivalence:
    """The outcome of comparing an answer with the expected expression.

    equal: the verdict (proved, or no counterexample among the sampled points).
    proved: simplify(answer - expected) == 0.
    n_points: how many points both were compared at.
    point: a point where they differ ({name: value}), or None.
    got, expected: the two values at `point` (mpmath numbers; got is None where the
        answer is undefined there).
    """

    equal: bool
    proved: bool
    n_points: int
    point: dict | None = None
    got: object = None
    expected: object = None
    points: tuple = field(default=(), repr=False)


def evaluate(expr, point: Mapping, dps: int = _DPS) -> mpmath.mpc | mpmath.mpf:
    """Value of `expr` at `point` ({Symbol: number}); raises ValueError where undefined."""
    with mpmath.workdps(dps):
        try:
            if not isinstance(expr, sympy.Basic):
                raise TypeError(f"not a SymPy expression: {type(expr).__name__}")
            v = _ev(expr, point)
        except (_Undefined, ZeroDivisionError, OverflowError, TypeError, ValueError) as exc:
            raise ValueError(f"undefined ({exc or type(exc).__name__})") from None
        if not mpmath.isfinite(v):
            raise ValueError("not finite")
        return v


def _ev(e, env):
    if e.is_Symbol:
        if e not in env:
            raise _Undefined(f"no value for {e}")
        return mpmath.mpf(env[e].p) / env[e].q if isinstance(env[e], sympy.Rational) else mpmath.mpf(env[e])
    if e.is_Integer:
        return mpmath.mpf(int(e))
    if e.is_Rational:
        return mpmath.mpf(e.p) / e.q
    if e.is_Float:
        return mpmath.mpf(e._mpf_)
    if e is sympy.pi:
        return +mpmath.pi
    if e is sympy.E:
        return +mpmath.e
    if e is sympy.I:
        return mpmath.mpc(0, 1)
    if e.is_Add:
        return mpmath.fsum(_ev(a, env) for a in e.args)
    if e.is_Mul:
        out = mpmath.mpf(1)
        for a in e.args:
            out *= _ev(a, env)
        return out
    if e.is_Pow:
        b, x = _ev(e.base, env), _ev(e.exp, env)
        if b == 0:
            if mpmath.re(x) <= 0:
                raise _Undefined("0 to a non-positive power")
            return mpmath.mpf(0)
        if abs(mpmath.log(abs(b), 2)) * abs(x) > _MAX_ARG:
            raise _Undefined("power too large")
        if mpmath.im(b) == 0 and mpmath.im(x) == 0 and b > 0:
            return mpmath.power(mpmath.re(b), mpmath.re(x))
        return mpmath.power(b, x)
    args = [_ev(a, env) for a in e.args]
    name = type(e).__name__
    if name in ("exp", "sin", "cos", "tan", "tanh", "sinh", "cosh") and abs(args[0]) > _MAX_ARG:
        raise _Undefined(f"{name} of a huge argument")
    if name == "exp":
        return mpmath.exp(args[0])
    if name == "log":
        if any(a == 0 for a in args):
            raise _Undefined("log(0)")
        return mpmath.log(args[0]) if len(args) == 1 else mpmath.log(args[0]) / mpmath.log(args[1])
    if name in ("sin", "cos", "tan", "tanh", "sinh", "cosh"):
        return getattr(mpmath, name)(args[0])
    if name == "Abs":
        return abs(args[0])
    if name in ("floor", "ceiling", "Max", "Min"):
        if any(mpmath.im(a) != 0 for a in args):
            raise _Undefined(f"{name} of a complex number")
        args = [mpmath.re(a) for a in args]
        return {"floor": lambda: mpmath.floor(args[0]), "ceiling": lambda: mpmath.ceil(args[0]),
                "Max": lambda: max(args), "Min": lambda: min(args)}[name]()
    raise _Undefined(f"cannot evaluate {name}")


def _default_range(sym: sympy.Symbol) -> tuple[float, float, bool]:
    """(lo, hi, integer) from a symbol's assumptions."""
    if sym.is_integer:
        return (1, 7, True) if sym.is_positive else (0, 7, True) if sym.is_nonnegative else (-6, 6, True)
    if sym.is_positive or sym.is_nonnegative:
        return (0.125, 4.0, False)
    return (-4.0, 4.0, False)


def sample_points(
    symbols: Mapping[str, sympy.Symbol],
    n: int,
    seed: int = 0,
    domain: Mapping[str, tuple] | None = None,
    constraint: Callable[[dict], bool] | None = None,
    max_tries: int = 2000,
) -> list[dict]:
    """`n` random points {name: sympy.Rational} (fewer if the constraint is rarely met).

    domain: name -> (lo, hi, integer) overriding the assumptions' default range; real
    coordinates are multiples of 1/64 away from 0, so they are exact and avoid the
    usual singularities at 0.
    """
    rng = np.random.default_rng(seed)
    ranges = {name: (domain or {}).get(name) or _default_range(sym) for name, sym in symbols.items()}
    out: list[dict] = []
    for _ in range(max_tries):
        if len(out) >= n:
            break
        pt = {}
        for name, (lo, hi, integer) in ranges.items():
            if integer:
                pt[name] = sympy.Integer(int(rng.integers(int(lo), int(hi) + 1)))
            else:
                v = 0
                while v == 0:
                    v = int(rng.integers(int(lo * 64), int(hi * 64) + 1))
                pt[name] = sympy.Rational(v, 64)
        if constraint is None or constraint(pt):
            out.append(pt)
    return out


def _close(a, b, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(1, abs(a), abs(b))


def _small(expr) -> bool:
    if sympy.count_ops(expr) > 80:
        return False
    return all(not p.exp.is_Number or abs(p.exp) <= 16 for p in expr.atoms(sympy.Pow))


def equivalent(
    answer,
    expected,
    symbols: Mapping[str, sympy.Symbol],
    *,
    domain: Mapping[str, tuple] | None = None,
    constraint: Callable[[dict], bool] | None = None,
    extra_points: Iterable[Mapping] = (),
    n_points: int = 12,
    seed: int = 0,
    rtol: float = 1e-9,
    try_simplify: bool = True,
) -> Equivalence:
    """Compare two SymPy expressions in the question's symbols (see the module docstring)."""
    points = [{k: sympy.Rational(v) for k, v in p.items()} for p in extra_points]
    points += sample_points(symbols, n_points, seed, domain, constraint)
    n_ok, bad = 0, None
    for pt in points:
        env = {symbols[k]: v for k, v in pt.items()}
        try:
            want = evaluate(expected, env)
        except ValueError:
            continue  # outside the expected expression's domain
        if mpmath.im(want) != 0:
            continue  # outside its real domain
        try:
            got = evaluate(answer, env)
        except ValueError:
            bad = bad or (pt, None, want)
            continue
        n_ok += 1
        if not _close(got, want, rtol) and not _close_at_high_precision(answer, expected, env, rtol):
            bad = bad or (pt, got, want)
        if bad is not None:
            break  # one confirmed counterexample settles it
    proved = False
    if bad is None and try_simplify and _small(answer):
        try:
            proved = sympy.simplify(answer - expected) == 0
        except Exception:  # noqa: BLE001 - any SymPy failure just means "not proved"
            proved = False
    if proved:
        return Equivalence(True, True, n_ok, points=tuple(points))
    if bad is not None:
        return Equivalence(False, False, n_ok, bad[0], bad[1], bad[2], points=tuple(points))
    if n_ok == 0:
        return Equivalence(False, False, 0, points=tuple(points))
    return Equivalence(True, False, n_ok, points=tuple(points))


def _close_at_high_precision(answer, expected, env, rtol: float) -> bool:
    """Re-check a mismatch at 100 digits, so that cancellation at 30 digits is no counterexample."""
    try:
        return _close(evaluate(answer, env, 100), evaluate(expected, env, 100), rtol)
    except ValueError:
        return False


def describe_point(point: Mapping) -> str:
    return ", ".join(f"{k} = {format_value(v)}" for k, v in point.items())


def format_value(v, digits: int = 6) -> str:
    """A short, readable number: exact ints/rationals as is, others to `digits` digits."""
    if isinstance(v, (sympy.Integer, int)):
        return f"{int(v):,}" if abs(int(v)) >= 10_000 else str(int(v))
    if isinstance(v, sympy.Rational):
        return str(v)
    if isinstance(v, mpmath.mpc):
        if v.imag == 0:
            v = v.real
        else:
            return f"{mpmath.nstr(v.real, digits)} + {mpmath.nstr(v.imag, digits)}i (complex)"
    if isinstance(v, (mpmath.mpf, float, sympy.Float)):
        v = mpmath.mpf(v) if not isinstance(v, sympy.Float) else mpmath.mpf(v._mpf_)
        if v == mpmath.nint(v) and abs(v) < 1e15:
            return format_value(sympy.Integer(int(v)))
        return mpmath.nstr(v, digits)
    return str(v)
