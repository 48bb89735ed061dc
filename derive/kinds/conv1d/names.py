"""How conv1d-matrix writes things: the symbols its displays use, and lists joined in words."""

from __future__ import annotations

from sympy import Function, Symbol

RELU, RELU_PRIME, PHI, DIAG = Function("relu"), Function("relu'"), Function("phi"), Function("diag")
F_MAT, X_VEC, A_VEC, Z_VEC = Symbol("F"), Symbol("x^(i)"), Symbol("a^(i)"), Symbol("z_vec")
F_PAD, X_PAD, M_OUT = Symbol("F_pad"), Symbol("x_pad"), Symbol("m")
ZS = Symbol("z_vec", real=True)          # the activation's scalar variable, printed z
DPHI_Z = Symbol("phi'(z)")              # phi'(z), printed as such
DA_DF, DZ_DF = Symbol("da/df"), Symbol("dz/df")
DA_DX, DZ_DX = Symbol("da/dx^(i)"), Symbol("dz/dx^(i)")
R, J = Symbol("r"), Symbol("j")


def _words(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + (items[-1] if items else "")


def _join(items) -> list:
    """Pieces listing items with commas and 'and'."""
    out = []
    for k, item in enumerate(items):
        if k:
            out.append(" and " if k == len(items) - 1 else ", ")
        out.append(item)
    return out


N, K, S, D, P_L, P_R = Symbol("n"), Symbol("k"), Symbol("s"), Symbol("d"), Symbol("p_l"), Symbol("p_r")
