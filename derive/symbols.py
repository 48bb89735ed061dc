"""The symbols derivations are written in. Their typeset names live with the renderers."""

from __future__ import annotations

import sympy

from .mathparse import Z  # noqa: F401 - the pre-activation z<t>, the variable of every activation formula

R = dict(real=True)

# rnn-activation
A_T = sympy.Symbol("a_t", **R)            # a<t>
A_PREV = sympy.Symbol("a_prev", **R)      # a<t-1>
A_0 = sympy.Symbol("a_0", **R)            # a<0>
A_STAR = sympy.Symbol("a_star", **R)      # the fixed point a*
Z_STAR = sympy.Symbol("z_star", **R)      # z* = W_a a* + b + W_x x
W_A = sympy.Symbol("W_a", **R)
W_X = sympy.Symbol("W_x", **R)
B = sympy.Symbol("b", **R)
X_T = sympy.Symbol("x_t", **R)
PHI = sympy.Function("phi")
SIGMA = sympy.Function("sigma")
DA_DAPREV = sympy.Symbol("da_t/da_prev", **R)
DA_DZ = sympy.Symbol("da_t/dz_t", **R)
DZ_DAPREV = sympy.Symbol("dz_t/da_prev", **R)
FACTOR = sympy.Symbol("factor", nonnegative=True)
DA_T_DA_0 = sympy.Symbol("da_T/da_0", **R)
T_LONG = sympy.Symbol("T", positive=True, integer=True)


def iterate(k: int) -> sympy.Symbol:
    """a<k>, the k-th state of the recurrence."""
    return sympy.Symbol(f"a_{k}", **R)


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
