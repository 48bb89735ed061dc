"""numeric.compile evaluates on mpmath's raw values where it can: the same bits as mpmath's own operators."""

from __future__ import annotations

import mpmath
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derive import numeric
from derive.precision import DIGITS

Z, A = sympy.symbols("z a", real=True)
LEAVES = st.sampled_from([Z, A, sympy.Integer(2), sympy.Integer(-3), sympy.Rational(1, 3), sympy.Float("0.25", 30),
                          sympy.Integer(0), sympy.E, sympy.pi])
ONE = [sympy.exp, sympy.log, sympy.tanh, sympy.sinh, sympy.cosh, sympy.sech, sympy.Abs]


def _extend(children):
    pair = st.tuples(children, children)
    return st.one_of(
        st.builds(lambda f, e: f(e, evaluate=False), st.sampled_from(ONE), children),
        pair.map(lambda p: sympy.Add(*p, evaluate=False)),
        st.tuples(children, children, children).map(lambda p: sympy.Add(*p, evaluate=False)),
        pair.map(lambda p: sympy.Mul(*p, evaluate=False)),
        st.tuples(children, st.sampled_from([2, 3, -1, -2, sympy.Rational(1, 2), sympy.Rational(-3, 2)])).map(
            lambda p: sympy.Pow(p[0], p[1], evaluate=False)),
        pair.map(lambda p: sympy.Pow(*p, evaluate=False)),
        pair.map(lambda p: sympy.Max(*p, evaluate=False)),
        pair.map(lambda p: sympy.Min(*p, evaluate=False)),
        children.map(lambda e: sympy.Heaviside(e, sympy.Rational(1, 2), evaluate=False)),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=8)
VALUES = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 710.0, -800.0, 1e-300]),
                   st.floats(-50, 50, allow_nan=False))


def _by_mpf_operators(expr, values):
    """The mpf closures alone (the evaluation before raw values), as numeric.compile's fallback runs them."""
    with mpmath.workdps(DIGITS):
        body = numeric._build(expr, {Z: 0, A: 1})
        try:
            return body(values)
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan


def _same(x, y) -> bool:
    if isinstance(x, mpmath.mpf) and isinstance(y, mpmath.mpf):
        return x._mpf_ == y._mpf_ or (mpmath.isnan(x) and mpmath.isnan(y))
    if isinstance(x, mpmath.mpc) and isinstance(y, mpmath.mpc):
        return x._mpc_ == y._mpc_
    return type(x) is type(y) and x == y


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS, VALUES, VALUES)
def test_raw_values_give_the_same_bits(expr, z, a):
    with mpmath.workdps(DIGITS):
        values = (mpmath.mpf(z), mpmath.mpf(a))
    try:
        expected = _by_mpf_operators(expr, values)
    except Exception as err:  # noqa: BLE001 - the same failure either way (a complex Max, Heaviside(0))
        with pytest.raises(type(err)):
            numeric.compile(expr, (Z, A))(*values)
        return
    got = numeric.compile(expr, (Z, A))(*values)
    assert _same(got, expected), (expr, z, a, got, expected)


def test_the_raw_path_is_taken_and_complex_values_fall_back():
    f = numeric.compile(sympy.tanh(2 * Z) + sympy.Max(0, Z) * sympy.Heaviside(Z, 1), (Z,))
    with mpmath.workdps(DIGITS):
        assert f(mpmath.mpf(1))._mpf_ == (mpmath.tanh(2) + 1)._mpf_
        assert numeric._build_raw(sympy.tanh(Z), {Z: 0})((mpmath.mpf(1)._mpf_,)) == mpmath.tanh(1)._mpf_
    root = numeric.compile(sympy.sqrt(Z), (Z,))
    with mpmath.workdps(DIGITS):
        assert isinstance(root(mpmath.mpf(-4)), mpmath.mpc)          # complex: mpmath's own way
        assert root(mpmath.mpf(4)) == 2
