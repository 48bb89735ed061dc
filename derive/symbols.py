"""Functions that keep arithmetic as written until it is evaluated (FloorDiv, Quotient, Times), shared by
the kinds. The kinds' symbols live with each kind, in its notation."""

from __future__ import annotations

import sympy

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
    """a · b · ..., kept as written (a mask times a derivative) until evaluated."""

    @classmethod
    def eval(cls, *args):
        return sympy.Mul(*args)
