"""The JSON and matrix printing fast paths give the standard library's and SymPy's text exactly."""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy.printing.latex import LatexPrinter

from derive.formats import dumps
from derive.formats.latex import Printer

FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), FLOATS, st.text())
KEYS = st.one_of(st.text(), st.integers(), st.booleans(), st.none(), FLOATS)
TREES = st.recursive(SCALARS, lambda c: st.one_of(st.lists(c), st.tuples(c, c), st.dictionaries(KEYS, c)),
                     max_leaves=40)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(TREES)
def test_dumps_is_json_dumps(obj):
    assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(TREES, st.sampled_from([float("nan"), float("inf"), -float("inf")]), st.booleans())
def test_dumps_refuses_nan_and_infinity(obj, bad, as_key):
    """JSON has no NaN or Infinity: like json.dumps(allow_nan=False), a ValueError wherever one is, never the
    bare tokens Python's json writes by default."""
    tree = [obj, {bad: 1} if as_key else {"deep": [[bad]]}]
    with pytest.raises(ValueError):
        json.dumps(tree, allow_nan=False)
    with pytest.raises(ValueError, match="not JSON compliant"):
        dumps(tree)


def test_dumps_long_rows_of_strings():
    rows = [[str(i * j) if (i + j) % 3 else 'a "quoted" \\ entry\n' for j in range(50)] for i in range(40)]
    obj = {"parts": [{"value": rows, "empty": [], "none": None, "n": 3, "x": 0.5}]}
    assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


def test_dumps_refuses_what_json_refuses():
    for bad in ({"a": object()}, {(1, 2): 1}):
        try:
            dumps(bad)
        except TypeError:
            continue
        raise AssertionError(f"{bad} was encoded")


def test_matrix_printed_as_sympy_prints_it():
    x, y = sympy.symbols("x y")
    half = sympy.Rational(1, 2)
    entries = [[0, x, half * y, 0], [x + y, 0, 0, sympy.Float("0.25", 30)], [0, 0, sympy.Float("0.25", 15), -x]]
    wide = sympy.ImmutableMatrix(12, 12, lambda i, j: (i - j) % 5 * x)
    for M in (sympy.ImmutableMatrix(entries), sympy.Matrix(entries), wide, sympy.ImmutableMatrix(0, 3, [])):
        assert Printer().doprint(M) == LatexPrinter({"mul_symbol": None}).doprint(M)


def test_matrix_products_printed_as_sympy_prints_them():
    x = sympy.Symbol("x")
    A, B = sympy.MatrixSymbol("A", 2, 2), sympy.MatrixSymbol("B", 2, 2)
    M = sympy.ImmutableMatrix([[1, -x], [0, x + 1]])
    for P in (sympy.MatMul(A, B), sympy.MatMul(M, M, evaluate=False), sympy.MatMul(M, A, evaluate=False),
              sympy.MatMul(-2, A, B), sympy.MatMul(-1, M, A, evaluate=False), sympy.MatMul(x, A, evaluate=False),
              sympy.MatMul(A + B, B, evaluate=False), sympy.MatMul(A, sympy.MatMul(B, A), evaluate=False)):
        assert Printer().doprint(P) == LatexPrinter({"mul_symbol": None}).doprint(P), P


def test_matrix_entries_remembered_print_as_sympy_prints_them():
    """Entries printed before (the same object, an equal copy, a float of another precision, a sum written in
    another order) print as when printed anew, matrix after matrix on one printer."""
    class Afresh(Printer):
        def _entry(self, e):                      # every entry printed anew
            return self._print(e)

    x, y = sympy.symbols("x y")
    P, plain = Printer(), Afresh()
    quarter = [sympy.Float("0.25", 15), sympy.Float("0.25", 40), sympy.Float("0.1", 15), sympy.Float("0.1", 40)]
    matrices = [sympy.ImmutableMatrix([[x + y, 0, quarter[0]], [quarter[1], x * y, quarter[2]]]),
                sympy.ImmutableMatrix([[quarter[3], sympy.Add(y, x, evaluate=False), x + y]]),
                sympy.ImmutableMatrix([[sympy.Mul(2, x, evaluate=False), 2 * x, sympy.Rational(1, 3)]])]
    for M in matrices + matrices[::-1]:
        assert P.doprint(M) == plain.doprint(M), M
