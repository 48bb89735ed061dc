"""The arithmetic the optimizer's update rules and the LR schedulers' formulas are written over: one formula read
three ways, with symbols (``SYMBOLIC``: the rule as the key states it), with the numbers written in (``WRITTEN``:
kept as written, unevaluated), and as a value (``VALUES``: exact rational arithmetic; a square root that is not
rational becomes a 50-digit float, and so does every later value it reaches); ``Q`` the inputs by name."""

from __future__ import annotations

import sympy

from ...precision import DIGITS

BIG = 10 ** 40            # a rational with a longer numerator or denominator is carried as a 50-digit float


class Ops:
    """Arithmetic with SymPy's usual evaluation: the rule with symbols."""

    def add(self, *xs):
        return sympy.Add(*xs)

    def sub(self, a, b):
        return a - b

    def neg(self, a):
        return -a

    def mul(self, *xs):
        return sympy.Mul(*xs)

    def div(self, a, b):
        return a / b

    def pow(self, a, n):
        return a ** n

    def sqrt(self, a):
        return sympy.sqrt(a)

    def max(self, a, b):
        return sympy.Max(a, b)

    def number(self, x):
        """An exact number as this arithmetic takes it."""
        return x

    def min(self, a, b):
        return sympy.Min(a, b)

    def floor(self, a):
        return sympy.floor(a)

    def cos_pi(self, a):
        """cos(πa)."""
        return sympy.cos(sympy.pi * a)


class Written(Ops):
    """Arithmetic kept as written: the numbers put into the rule."""

    def add(self, *xs):
        return sympy.Add(*xs, evaluate=False)

    def sub(self, a, b):
        return sympy.Add(a, sympy.Mul(-1, b, evaluate=False), evaluate=False)

    def neg(self, a):
        return sympy.Mul(-1, a, evaluate=False)

    def mul(self, *xs):
        return sympy.Mul(*xs, evaluate=False)

    def div(self, a, b):
        if b == 1:          # (a/1 adds nothing; 0/1 unevaluated has contradictory assumptions in SymPy: printing
            return a        # it could raise InconsistentAssumptions, depending on what was asked of it before)
        if a == 1:
            return sympy.Pow(b, -1, evaluate=False)
        return sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False)

    def pow(self, a, n):
        return sympy.Pow(a, n, evaluate=False)

    def sqrt(self, a):
        return sympy.Pow(a, sympy.Rational(1, 2), evaluate=False)

    def max(self, a, b):
        return sympy.Max(a, b, evaluate=False)

    def min(self, a, b):
        return sympy.Min(a, b, evaluate=False)

    def floor(self, a):
        return sympy.floor(a, evaluate=False)

    def cos_pi(self, a):
        return sympy.cos(sympy.pi * a if a.is_number else sympy.Mul(sympy.pi, a, evaluate=False), evaluate=False)


class Values(Ops):
    """Exact where the arithmetic is rational; a 50-digit float after an irrational square root."""

    def add(self, *xs):
        return tame(sympy.Add(*xs))

    def sub(self, a, b):
        return tame(a - b)

    def neg(self, a):
        return -a

    def mul(self, *xs):
        return tame(sympy.Mul(*xs))

    def div(self, a, b):
        if b == 0:
            raise ZeroDivisionError
        return tame(a / b)

    def pow(self, a, n):
        return tame(a ** n)

    def sqrt(self, a):
        root = sympy.sqrt(a)
        return root if root.is_Rational else sympy.Float(root.evalf(DIGITS), DIGITS)

    def max(self, a, b):
        return a if a >= b else b

    def min(self, a, b):
        return a if a <= b else b

    def floor(self, a):
        return sympy.floor(a)

    def cos_pi(self, a):
        return tame(sympy.cos(sympy.pi * a))


def tame(x):
    """x, or x as a 50-digit float when it is irrational or its digits would grow without bound."""
    if x.is_Rational and max(abs(x.p), x.q) < BIG:
        return x
    if x.is_Float:
        return x
    return sympy.Float(sympy.N(x, DIGITS), DIGITS)


SYMBOLIC, WRITTEN, VALUES = Ops(), Written(), Values()


class Q(dict):
    """The inputs of a rule by name: previous state, gradient, hyper-parameters (symbols, written numbers
    or values)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
