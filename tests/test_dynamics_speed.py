"""The shortcuts of the numeric side give exactly what the long way gives: Newton's method read off an exact
cycle, roots remembered by their start, constants evaluated without compiling, sums of two terms added once."""

from __future__ import annotations

import mpmath
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derive import numeric
from derive.kinds.activations import slope
from derive.kinds.rnn.points import NEWTON_STEPS, newton
from derive.kinds.rnn.recurrence import Recurrence
from derive.mathparse import parse_activation
from derive.precision import DIGITS, STEP_TINY


def long_newton(update, start, size):
    """points.newton as it was: every step iterated."""
    a = start
    for _ in range(NEWTON_STEPS):
        delta = update(a)
        if delta is None:
            return a, "stuck"
        a = a - delta
        if size(delta) < STEP_TINY:
            return a, "done"
    return a, "slow"


def recurrence(activation: str, W, b) -> Recurrence:
    phi = parse_activation(activation)
    return Recurrence(phi, slope(phi)[0], sympy.nsimplify(W), sympy.nsimplify(b))


ACTIVATIONS = ["tanh", "softplus", "sigmoid", "relu", r"\frac{\exp(z)}{1 + \exp(z)}", "z^3 - z", "z^2"]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(ACTIVATIONS), st.integers(-25, 25), st.integers(-10, 10), st.integers(-40, 40))
def test_newton_is_the_long_iteration(activation, w, b, start):
    rec = recurrence(activation, sympy.Rational(w, 10), sympy.Rational(b, 10))
    g, gf, dgf = rec._g

    def plain(a):
        s = dgf(a)
        return None if s == 0 or not mpmath.isfinite(s) else gf(a) / s
    with mpmath.workdps(DIGITS):
        x = mpmath.mpf(start) / 4
        assert newton(plain, x, abs) == long_newton(plain, x, abs)


def test_a_cycle_without_a_root_ends_where_the_long_iteration_ends():
    rec = recurrence("softplus", "11/10", "1/5")               # g > 0 everywhere: Newton's method cycles
    g, gf, dgf = rec._g
    calls = []

    def plain(a):
        calls.append(a)
        return gf(a) / dgf(a)
    with mpmath.workdps(DIGITS):
        short = newton(plain, mpmath.mpf(0), abs)
        steps = len(calls)
        assert short == long_newton(plain, mpmath.mpf(0), abs) and short[1] == "slow"
    assert steps < NEWTON_STEPS
    assert rec.newton(0) is None and rec.newton(sympy.Float(0, DIGITS)) is None


@pytest.mark.parametrize("activation, W, b", [("tanh", "1/2", "1/10"), ("tanh", "3/2", "0"), ("softplus", "13/10", "1/5"),
                                              ("sigmoid", "7/5", "-1/5"), ("relu", "1", "0")])
def test_remembered_roots_are_the_roots(activation, W, b):
    fresh, remembering = recurrence(activation, W, b), recurrence(activation, W, b)
    starts = [sympy.Float(s, DIGITS) for s in ("-3.5", "0", "0.25", "2", "0")] + [sympy.Rational(1, 4)]
    for s in starts:
        remembering.newton(s)
    for s in starts:
        assert remembering.newton(s) == recurrence(activation, W, b).newton(s)
    assert fresh.fixed_points([sympy.Float(0)]) == remembering.fixed_points([sympy.Float(0)])


@pytest.mark.parametrize("number", [sympy.Float("0.1", DIGITS), sympy.Float("-2.5e-40", DIGITS), sympy.Integer(7),
                                    sympy.Rational(-3, 7), sympy.Float(1, 15), sympy.Float("1e400", DIGITS)])
def test_a_number_evaluates_as_a_compiled_constant(number):
    with mpmath.workdps(DIGITS):
        compiled = numeric.compile(number, ())()
    for digits in (DIGITS, 15):
        value = numeric.evaluate(number, digits=digits)
        assert value == compiled and value._mpf_ == compiled._mpf_


mpfs = st.builds(lambda m, e: mpmath.mpf((m, e)), st.integers(-10**60, 10**60), st.integers(-400, 400))


@settings(max_examples=300, deadline=None)
@given(mpfs, mpfs)
def test_two_terms_add_as_fsum_does(x, y):
    with mpmath.workdps(DIGITS):
        assert (x + y)._mpf_ == mpmath.fsum([x, y])._mpf_


def test_compiled_sums_and_functions_agree_with_fsum_and_the_table():
    a = sympy.Symbol("a")
    for expr in [a + sympy.Rational(1, 3), sympy.tanh(a) - a, sympy.exp(a) + sympy.log(a + 2) + a,
                 sympy.Abs(a - 1), sympy.sech(2 * a) * sympy.cosh(a), sympy.sinh(a) ** 2]:
        f = numeric.compile(expr, (a,))
        with mpmath.workdps(DIGITS):
            for x in (mpmath.mpf("0.3"), mpmath.mpf("-1.5"), mpmath.mpf("1e-30")):
                exact = sympy.Float(sympy.N(expr.subs(a, sympy.Float(x, DIGITS)), DIGITS), DIGITS)
                assert abs(f(x) - mpmath.mpf(exact._mpf_)) < mpmath.mpf(10) ** -45
