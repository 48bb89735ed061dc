"""The notation of rnn-activation: every symbol, matrix and function its keys show, with its LaTeX.

One unit and several units share one notation, so a name is one symbol in both: the recurrent weight
is the real symbol ``W_a`` in prose and settings, and the matrix ``W_a_matrix`` (written alike) only
where a product of matrices must keep its order. The states a<k>, the fixed points and factors of a
list, the points of a cycle and the pre-activations z_1, z_2, ... are made by the functions below,
which register each with its LaTeX.
"""

from __future__ import annotations

import sympy

from ..mathparse import Z as _Z
from ..notation import Notation
from .activations import OUTPUT

N = Notation()
R = dict(real=True)
T = r"\langle t\rangle"


def _state(superscript: str) -> str:
    """a^{(i)<...>}: the state of example i at a time step."""
    return rf"a^{{(i)\langle {superscript}\rangle}}"


def _partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


# --- one recurrent step -------------------------------------------------------------------------
A_T = N.add(OUTPUT, rf"a^{{(i){T}}}")                             # a<t> = phi(z<t>)
A_PREV = N.symbol("a_prev", _state("t-1"), **R)                   # a<t-1>
A_0 = N.symbol("a_0", _state("0"), **R)                           # a<0>
Z = N.add(_Z, rf"z^{{(i){T}}}")                                    # z<t>, the activation's variable
W_A = N.symbol("W_a", "W_a^{[1]}", **R)
W_X = N.symbol("W_x", "W_x^{[1]}", **R)
B = N.symbol("b", "b^{[1]}", **R)
X_T = N.symbol("x_t", rf"x^{{(i){T}}}", **R)
PHI = N.function("phi", r"\phi")
SIGMA = N.function("sigma", r"\sigma")
DIAG = N.function("diag", r"\operatorname{diag}")
G = N.function("g")                                                # g(a*) = phi(W_a a* + c) - a*

# --- the derivative ---------------------------------------------------------------------------
DA_DAPREV = N.symbol("da_t/da_prev", _partial(rf"a^{{(i){T}}}", r"a^{(i)\langle t-1\rangle}"), **R)
DA_DZ = N.symbol("da_t/dz_t", _partial(rf"a^{{(i){T}}}", rf"z^{{(i){T}}}"), **R)
DZ_DAPREV = N.symbol("dz_t/da_prev", _partial(rf"z^{{(i){T}}}", r"a^{(i)\langle t-1\rangle}"), **R)
QUOTIENT_RULE = N.symbol("(u/v)'", r"\left(\frac{u}{v}\right)'")
QUOTIENT_RULE_RHS = N.symbol("(u'v - uv')/v^2", r"\frac{u'v - uv'}{v^{2}}")

# --- stability ----------------------------------------------------------------------------------
A_STAR = N.symbol("a_star", "a^{*}", **R)                         # the fixed point a*
Z_STAR = N.symbol("z_star", "z^{*}", **R)                         # z* = W_a a* + b + W_x x
FACTOR = N.symbol("factor", r"\gamma", nonnegative=True)          # the per-step factor
DA_T_DA_0 = N.symbol("da_T/da_0", _partial(r"a^{(i)\langle T\rangle}", _state("0")), **R)
T_LONG = N.symbol("T", positive=True, integer=True)
CYCLE_PRODUCT = N.symbol("cycle_product", r"\Pi")
SUP_SLOPE = N.symbol("sup_slope", r"\sup_z \left|\phi'(z)\right|")

# --- several units ------------------------------------------------------------------------------
C_V = N.symbol("c_vec", "c")                                      # b + W_x x
W_X_X = N.symbol("W_x x", rf"W_x^{{[1]}} x^{{(i){T}}}")
RHO = N.symbol("rho", r"\rho")
SIGMA_MAX = N.symbol("sigma_max", r"\sigma_{\max}")
GAMMA_SUP = N.symbol("gamma_sup", r"\gamma")
NORM_T = N.symbol("norm(da_T/da_0)", r"\left\| " + _partial(r"a^{(i)\langle T\rangle}", _state("0")) + r" \right\|_2")
Z_I = N.symbol("z_i")
DZ_I_DA_J = N.symbol("dz_i/da_j", _partial("z_i", r"a_j^{(i)\langle t-1\rangle}"))
DA_I_DA_J = N.symbol("da_i/da_j", _partial(r"a_i^{(i)\langle t\rangle}", r"a_j^{(i)\langle t-1\rangle}"))
W_IJ = N.symbol("W_ij", "W_{ij}")
SLOPE_TIMES_W_IJ = N.symbol("phi'(z_i) W_ij", r"\phi'(z_i)\, W_{ij}")


def weights(n: int) -> sympy.MatrixSymbol:
    """W_a as an n x n matrix symbol (for products that keep their order)."""
    return N.matrix("W_a_matrix", n, n, "W_a^{[1]}")


def slopes(n: int, at: str = "z") -> sympy.MatrixSymbol:
    """diag(phi'(z)) (at='z') or diag(phi'(z*)) (at='z*') as one n x n matrix symbol."""
    shown = {"z": "z", "z*": "z^{*}"}[at]
    return N.matrix(f"diag(phi'({at}))", n, n, rf"\operatorname{{diag}}\left(\phi'({shown})\right)")


def iterate(k: int) -> sympy.Symbol:
    """a<k>, the k-th state of the recurrence (a number, or a vector for several units)."""
    return N.symbol(f"a_{k}", _state(str(k)), **R)


def fixed_point(k: int) -> sympy.Symbol:
    """a*_k, the k-th fixed point of a list."""
    return N.symbol(f"a_star_{k}", f"a^{{*}}_{{{k}}}")


def factor(k: int) -> sympy.Symbol:
    """gamma_k, the factor at the k-th fixed point of a list."""
    return N.symbol(f"factor_{k}", rf"\gamma_{{{k}}}")


def cycle_point(k: int) -> sympy.Symbol:
    """The k-th state of a cycle."""
    return N.symbol(f"cycle_{k}", rf"\bar{{a}}_{{{k}}}")


def gradient_at(k: int) -> sympy.Symbol:
    """da<k>/da<0>, the gradient after k steps."""
    return N.symbol(f"da_{k}/da_0", _partial(_state(str(k)), _state("0")))


def pre_activation(k: int) -> sympy.Symbol:
    """z_k, the pre-activation of unit k (several units)."""
    return N.symbol(f"z{k}", f"z_{{{k}}}", **R)


def previous(k: int) -> sympy.Symbol:
    """a_k<t-1>, unit k's previous state (several units; in meanings only)."""
    return N.symbol(f"a_prev{k}", **R)


__all__ = ["N"]
