"""What the LaTeX printer writes means the value it was given: numeric expressions, kept as written (products of
sums, powers with negative exponents, exponentials), printed and read back by derive's own LaTeX reader."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.formats.latex import math
from derive.mathparse import parse_constant

LEAVES = st.one_of(st.integers(2, 9).map(sympy.Integer),             # (SymPy itself recurses on 1 ** -2 ** -2)
                   st.integers(-9, 9).filter(bool).map(lambda k: sympy.exp(sympy.Integer(k), evaluate=False)))


def _node(children):
    two = st.tuples(children, children)
    return st.one_of(
        two.map(lambda ab: sympy.Add(*ab, evaluate=False)),
        two.map(lambda ab: sympy.Mul(*ab, evaluate=False)),
        st.tuples(children, st.sampled_from([-2, -1, 2])).map(lambda be: sympy.Pow(be[0], be[1], evaluate=False)),
        children.map(lambda a: sympy.Mul(-1, a, evaluate=False)),
    )


EXPRESSIONS = st.recursive(LEAVES, _node, max_leaves=6)


def _same(printed: str, expr) -> bool:
    back = parse_constant(printed)
    want, got = sympy.N(expr, 30), sympy.N(back, 30)
    return abs(want - got) <= sympy.Float("1e-20", 30) * max(1, abs(want))


def test_a_reciprocal_of_a_sum_is_a_fraction():
    one_over = sympy.Pow(sympy.Add(1, sympy.exp(-1002, evaluate=False), evaluate=False), -1, evaluate=False)
    assert math(one_over) == r"\frac{1}{1 + e^{-1002}}"
    squared = sympy.Pow(sympy.Add(1, 3, evaluate=False), -2, evaluate=False)
    assert math(squared) == r"\frac{1}{\left(1 + 3\right)^{2}}"
    assert math(sympy.Mul(sympy.Add(1, 3, evaluate=False), 10, evaluate=False)) == r"\left(1 + 3\right) \cdot 10"


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_printed_numbers_mean_their_value(expr):
    assert _same(math(expr), expr), (expr, math(expr))
