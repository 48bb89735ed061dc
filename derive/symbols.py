"""Functions that keep arithmetic as written until it is evaluated (FloorDiv, Quotient, Times, Plus), shared by
the kinds. The kinds' symbols live with each kind, in its notation."""

from __future__ import annotations

import sympy
from sympy.printing.precedence import PRECEDENCE


class FloorDiv(sympy.Function):
    """floor(n / d), kept as written until evaluated: the output-size formula's floor."""

    @classmethod
    def eval(cls, n, d):
        if n.is_Integer and d.is_Integer and d != 0:
            return sympy.Integer(int(n) // int(d))
        return None


class Quotient(sympy.Function):
    """n / d, kept as written until evaluated (a fraction shown before it is reduced)."""

    @classmethod
    def eval(cls, n, d):
        if n.is_number and d.is_number and d != 0:
            return n / d
        return None


class Times(sympy.Function):
    """a · b · ..., kept as written (a mask times a derivative, a value −1 times 2) until evaluated; printed as a
    product (its precedence a product's)."""

    precedence = PRECEDENCE["Mul"]

    @classmethod
    def eval(cls, *args):
        return sympy.Mul(*args)


class Plus(sympy.Function):
    """a + b + ..., its terms in the order written (1 + e^{-z}, where SymPy would print e^{-z} + 1) until evaluated;
    printed as a sum (its precedence a sum's)."""

    precedence = PRECEDENCE["Add"]

    @classmethod
    def eval(cls, *args):
        return sympy.Add(*args)


def as_written(total: sympy.Add) -> sympy.Expr:
    """A sum built unevaluated, as its printers will keep its terms' order: itself when they do (it differs from
    SymPy's own sum of its terms, or SymPy prints that in the same order), else a Plus of its terms."""
    if not isinstance(total, sympy.Add) or total != sympy.Add(*total.args) or \
            list(total.as_ordered_terms()) == list(total.args):
        return total
    return Plus(*total.args, evaluate=False)
