"""Expression equivalence: simplify backed by evaluation at random points."""

from __future__ import annotations

import time

import mpmath
import pytest
import sympy

import graders.symbolic.compare as compare
from graders.symbolic.compare import equivalent, evaluate, format_value, sample_points

z = sympy.Symbol("z", real=True)
theta, k = sympy.Symbol("theta", real=True), sympy.Symbol("k", positive=True)
K, Ci, Co = sympy.symbols("k C_in C_out", positive=True)
SIG = sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2


def test_expanded_polynomial_is_proved_equal():
    eq = equivalent(Co * K**2 * Ci + Co, (K**2 * Ci + 1) * Co, {"k": K, "C_in": Ci, "C_out": Co})
    assert eq.equal and eq.proved and eq.n_points >= 10


def test_identity_simplify_cannot_prove_still_passes_on_the_numbers():
    cosh_form = 1 / (4 * sympy.cosh(z / 2) ** 2)
    assert sympy.simplify(cosh_form - SIG) != 0  # the premise: SymPy fails here
    eq = equivalent(cosh_form, SIG, {"z": z})
    assert eq.equal and not eq.proved


def test_a_failing_simplify_neither_passes_nor_fails_an_answer(monkeypatch):
    def broken(expr):
        raise RuntimeError("simplify blew up")

    monkeypatch.setattr(compare.sympy, "simplify", broken)
    assert equivalent(sympy.exp(z) / (1 + sympy.exp(z)) ** 2, SIG, {"z": z}).equal
    assert not equivalent(sympy.exp(z) / (1 + sympy.exp(z)), SIG, {"z": z}).equal


def test_a_wrong_answer_gets_a_counterexample_with_both_values():
    eq = equivalent((theta / 4) ** k, (sympy.Abs(theta) / 4) ** k,
                    {"theta": theta, "k": k}, domain={"k": (1, 7, True)},
                    extra_points=({"theta": -3, "k": 3},))
    assert not eq.equal
    assert eq.point == {"theta": -3, "k": 3}
    assert float(eq.got) == pytest.approx(-27 / 64) and float(eq.expected) == pytest.approx(27 / 64)


def test_the_odd_power_slip_is_found_by_random_points_alone():
    eq = equivalent((theta / 4) ** k, (sympy.Abs(theta) / 4) ** k, {"theta": theta, "k": k},
                    domain={"theta": (-6, 6, False), "k": (1, 7, True)})
    assert not eq.equal and eq.point["theta"] < 0 and eq.point["k"] % 2 == 1


def test_an_answer_undefined_where_the_expected_one_is_defined_is_wrong():
    eq = equivalent(sympy.log(z) + 1, sympy.Integer(1) + z - z, {"z": z})
    assert not eq.equal


def test_points_outside_the_expected_real_domain_are_skipped():
    x = sympy.Symbol("x", real=True)
    eq = equivalent(sympy.exp(sympy.log(x) / 2), sympy.sqrt(x), {"x": x}, domain={"x": (-4, 4, False)},
                    n_points=20, try_simplify=False)
    assert eq.equal and 0 < eq.n_points < 20  # only the points with x > 0 were compared


def test_a_complex_answer_where_a_real_one_is_expected_is_wrong():
    x = sympy.Symbol("x", real=True)
    eq = equivalent(sympy.sqrt(x) * sympy.sqrt(x) / x * sympy.Abs(x), sympy.Abs(x), {"x": x},
                    domain={"x": (-4, 4, False)}, n_points=20, try_simplify=False)
    assert eq.equal  # sqrt(x)**2 = x even for x < 0 (complex arithmetic), so this is |x|
    eq = equivalent(sympy.sqrt(x), sympy.Abs(x) ** sympy.Rational(1, 2), {"x": x},
                    domain={"x": (-4, 4, False)}, n_points=20, try_simplify=False)
    assert not eq.equal and eq.point["x"] < 0 and mpmath.im(eq.got) != 0


def test_sample_points_are_deterministic_and_respect_the_constraint():
    syms = {"H": sympy.Symbol("H"), "S": sympy.Symbol("S")}
    dom = {"H": (5, 40, True), "S": (1, 3, True)}
    a = sample_points(syms, 8, 0, dom, lambda p: p["H"] % p["S"] == 0)
    assert a == sample_points(syms, 8, 0, dom, lambda p: p["H"] % p["S"] == 0)
    assert len(a) == 8 and all(p["H"] % p["S"] == 0 for p in a)
    reals = sample_points({"z": z}, 50, 1)
    assert all(-4 <= p["z"] <= 4 and p["z"] != 0 for p in reals)


@pytest.mark.parametrize(
    "expr",
    [
        sympy.exp(sympy.exp(sympy.exp(z + 10))),
        sympy.exp(-sympy.exp(sympy.Integer(10) ** 20)),
        sympy.Pow(z + 100, 10**6, evaluate=False),
        sympy.sin(sympy.Integer(10) ** 50 * z),
    ],
)
def test_evaluation_of_huge_values_is_refused_quickly(expr):
    start = time.perf_counter()
    with pytest.raises(ValueError):
        evaluate(expr, {z: sympy.Rational(3, 2)})
    assert time.perf_counter() - start < 1.0


def test_evaluate_is_exact_enough_for_floor_at_integer_points():
    H, S = sympy.symbols("H S", positive=True)
    v = evaluate(sympy.floor((H - 5) / S) + 1, {H: sympy.Integer(128), S: sympy.Integer(2)})
    assert v == 62


def test_format_value_reads_well():
    assert format_value(sympy.Integer(55018)) == "55,018"
    assert format_value(sympy.Rational(1, 4)) == "1/4"
    assert format_value(mpmath.mpf(683648)) == "683,648"
    assert format_value(mpmath.mpf("0.0534429123")) == "0.0534429"
