"""A value of a computation graph: a scalar, a vector (a column, as in the maths) or a matrix, each entry a SymPy
expression. A shape is () for a scalar, (n,) for a vector and (m, n) for a matrix, as PyTorch writes it; the
entries are kept in an ImmutableMatrix (1 x 1, n x 1 or m x n)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy import ImmutableMatrix

from ... import numeric

MAX_ENTRIES = 400           # entries of any one value (a 20 x 20 matrix)


class ShapeProblem(ValueError):
    """An operation applied to values of shapes it does not accept (the message names both)."""


@dataclass(frozen=True)
class Val:
    shape: tuple[int, ...]
    m: ImmutableMatrix

    @property
    def entries(self) -> list:
        return list(self.m)

    @property
    def scalar(self):
        return self.m[0, 0]

    def map(self, fn: Callable) -> "Val":
        return Val(self.shape, self.m.applyfunc(fn))

    def json(self):
        """PyTorch's layout: a number, a list, a list of lists."""
        conv = to_json
        if self.shape == ():
            return conv(self.scalar)
        if len(self.shape) == 1:
            return [conv(e) for e in self.m]
        return [[conv(e) for e in self.m.row(r)] for r in range(self.shape[0])]


def to_json(e):
    """An exact rational as an int or a 'p/q' string; an irrational number as a float (numeric.json_number: beyond
    a double's range a string of its 17 first digits); a formula as a string."""
    e = sympy.sympify(e)
    if e.is_Integer:
        return int(e)
    if e.is_Rational:
        return f"{e.p}/{e.q}"
    if e.is_number:
        return numeric.json_number(sympy.re(e.evalf(17)))
    return str(e)


def shape_text(shape: tuple) -> str:
    if shape == ():
        return "a scalar"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"a {shape[0]} × {shape[1]} matrix"


def make(shape: tuple, entries) -> Val:
    rows, cols = (1, 1) if shape == () else (shape[0], 1) if len(shape) == 1 else shape
    return Val(tuple(shape), ImmutableMatrix(rows, cols, list(entries)))


def scalar(e) -> Val:
    return make((), [sympy.sympify(e)])
