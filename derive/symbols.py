"""Symbols shared by the kinds (each kind gives them their LaTeX in its own notation), and the
functions that keep arithmetic as written (FloorDiv, Quotient, Times)."""

from __future__ import annotations

import sympy

from .mathparse import Z  # noqa: F401 - the pre-activation z<t>, the variable of every activation formula

R = dict(real=True)

# rnn-activation's symbols live with the kind (derive/kinds/rnn/notation.py); the old names still work.
_RNN = {"A_T", "A_PREV", "A_0", "A_STAR", "Z_STAR", "W_A", "W_X", "B", "X_T", "PHI", "SIGMA", "DA_DAPREV", "DA_DZ",
        "DZ_DAPREV", "FACTOR", "DA_T_DA_0", "T_LONG", "iterate"}


def __getattr__(name: str):
    if name in _RNN:
        from .kinds.rnn import notation
        return getattr(notation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# cnn-dims
H_OUT, W_OUT = sympy.Symbol("H_out", integer=True), sympy.Symbol("W_out", integer=True)
P = sympy.Symbol("p", integer=True)


# conv1d-matrix
def x(j: int) -> sympy.Symbol:
    """x_j^{(i)}, the j-th input (1-based)."""
    return sympy.Symbol(f"x{j}", **R)


def f(j: int) -> sympy.Symbol:
    """f_j, the j-th filter weight (1-based)."""
    return sympy.Symbol(f"f{j}", **R)


def z(j: int) -> sympy.Symbol:
    """z_j, the j-th argument of the ReLU (1-based)."""
    return sympy.Symbol(f"z{j}", **R)


def a(j: int) -> sympy.Symbol:
    """a_j^{(i)}, the j-th output (1-based)."""
    return sympy.Symbol(f"a{j}", **R)


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


def row(name: str, offset: int = 0) -> sympy.Symbol:
    """x_r, x_{r+1}, ...: the entries of a generic row r (name 'x', 'z' or 'a')."""
    return sympy.Symbol(f"{name}_r" + (f"+{offset}" if offset else ""), real=True)
