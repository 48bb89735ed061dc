"""How conv1d-matrix writes things: every symbol, matrix symbol and function its displays use, with
how each is written, registered in the kind's notation (``NOTATION``). Symbols that vary with the problem (the
inputs x_j, the weights f_j, the arguments z_r, ...) are made by the small functions below."""

from __future__ import annotations

import functools

from sympy import MatrixSymbol, Symbol

from ...notation import Notation
from ...written import Fenced, Op, Partial, Row, Sym, Upright

NOTATION = Notation()
_S = NOTATION.symbol
REAL = dict(real=True)

RELU = NOTATION.function("relu", Op("relu"))
RELU_PRIME = NOTATION.function("relu'", Sym(Op("relu"), primes=1))
PHI = NOTATION.function("phi", "ϕ")
DIAG = NOTATION.function("diag", Op("diag"))
A_EX, X_EX = Sym("a", example="i"), Sym("x", example="i")       # a^{(i)}, x^{(i)}: of example i


def _ex(base: str, sub: str) -> Sym:
    """a_r^{(i)}: an entry of example i's vector (a one-letter index written bare)."""
    return Sym(base, sub=sub, example="i", bare=True)


def slope_at(z) -> Row:
    """ϕ'(z), the written form of the slope at a written argument, in sized parentheses."""
    return Row(Sym("ϕ", primes=1), Fenced(z, sized=True))


LAYER_MATRIX = "the layer's matrix"
NOTATION.letter("L", "the loss")                      # the L of dL/da, dL/df, dL/dx: no other L in a problem
NOTATION.letter("F", LAYER_MATRIX)                    # F, F^T, F~ (over the padded input), F_1 and F_2
F_MAT, F_VEC, A_VEC = _S("F", means=LAYER_MATRIX), _S("f"), _S("a^(i)", A_EX)
Z_VEC = _S("z_vec", "z", **REAL)         # z = F x, and the activation's variable z: both printed z
M_OUT = _S("m")
DPHI_Z = _S("phi'(z)", Row(Sym("ϕ", primes=1), "(z)"))     # phi'(z), printed as such
DA_DF = _S("da/df", Partial(A_EX, "f"))
DZ_DF = _S("dz/df", Partial("z", "f"))
DA_DX = _S("da/dx^(i)", Partial(A_EX, X_EX))
DZ_DX = _S("dz/dx^(i)", Partial("z", X_EX))
DA_DF_J = _S("da_r/df_j", Partial(_ex("a", "r"), Sym("f", sub="j", bare=True)))
DZ_DF_J = _S("dz_r/df_j", Partial(Sym("z", sub="r", bare=True), Sym("f", sub="j", bare=True)))
DA_DX_C = _S("da_r/dx_c", Partial(_ex("a", "r"), _ex("x", "c")))
F_RC = _S("F_rc", Sym("F", sub="rc"))
F_J = _S("f_j")                          # the generic weight f_j
Z_R = _S("z_r", **REAL)                  # the generic argument z_r
R, J = _S("r"), _S("j")
N, K, S, D, P_L, P_R = _S("n"), _S("k"), _S("s"), _S("d"), _S("p_l"), _S("p_r")
X_VEC = NOTATION.matrix("x^(i)", N, 1, X_EX)


@functools.lru_cache(maxsize=None)
def x(j: int) -> Symbol:
    """x_j^{(i)}, the j-th input (1-based)."""
    return _S(f"x{j}", Sym("x", sub=str(j), example="i"), **REAL)


@functools.lru_cache(maxsize=None)
def f(j: int) -> Symbol:
    """f_j, the j-th filter weight (1-based)."""
    return _S(f"f{j}", Sym("f", sub=str(j)), **REAL)


def z(r: int) -> Symbol:
    """z_r, the r-th argument of the activation (1-based)."""
    return _S(f"z{r}", Sym("z", sub=str(r)), **REAL)


def signed_z(r: int, sign: int) -> Symbol:
    """z_r as the checker reads it under the spec's sign (positive or negative): never shown, so the
    shown z_r carries no sign assumption; its own name keeps it apart from z_r."""
    return Symbol(f"z{r}{'>' if sign > 0 else '<'}0", positive=sign > 0, negative=sign < 0)


def x_row(offset: int = 0) -> Symbol:
    """x_r, x_{r+1}, ...: the input a generic output r meets."""
    index = "r" + (f"+{offset}" if offset else "")
    return _S(f"x_{index}", Sym("x", sub=index, example="i"), **REAL)


def x_at(index: str) -> Symbol:
    """x_{2r-1}, x_{r+j-1}, ...: the input at an index written out (``index`` as printed)."""
    return _S(f"x_[{index}]", Sym("x", sub=index, example="i"), **REAL)


def da_df(j: int) -> Symbol:
    """da/df_j, the gradient with respect to one weight."""
    return _S(f"da/df{j}", Partial(A_EX, Sym("f", sub=str(j))))


def da_r_df(j: int) -> Symbol:
    """da_r/df_j for one weight j."""
    return _S(f"da_r/df{j}", Partial(_ex("a", "r"), Sym("f", sub=str(j))))


def dz_r_df(j: int) -> Symbol:
    """dz_r/df_j for one weight j."""
    return _S(f"dz_r/df{j}", Partial(Sym("z", sub="r", bare=True), Sym("f", sub=str(j))))


def dphi_at(r: int | None = None) -> Symbol:
    """phi'(z_r) for output r (1-based), or for the generic r when r is None."""
    index = "_r" if r is None else str(r)
    return _S(f"phi'(z{index})", slope_at(Sym("z", sub=index.lstrip("_"))))


def f_pad(rows: int, cols: int) -> MatrixSymbol:
    """F~, the matrix over the padded input."""
    return NOTATION.matrix("F_pad", rows, cols, Sym("F", accent="tilde"))


def x_pad(length: int) -> MatrixSymbol:
    """x~, the padded input."""
    return NOTATION.matrix("x_pad", length, 1, Sym("x", accent="tilde", example="i"))


def agree(count: int, one: str, many: str) -> str:
    """The form of a word that agrees with a count ('is'/'are', 'it'/'them', 'multiplies'/'multiply'):
    the forms words.plural does not make, since they are not the noun after the number."""
    return one if count == 1 else many


# --- conv-matrix in 2D, with channels, numbers, transposed ------------------------------------------

def index_text(idx: tuple[int, ...], sep: str = "") -> str:
    """'12' for (1, 2); '1,10' when an index has two digits."""
    return (sep or ("," if any(i > 9 for i in idx) else "")).join(map(str, idx))


def weight(idx: tuple[int, ...], pair: tuple[int, int] | None = None) -> Symbol:
    """f_j (1D), f_ab (2D), or f^(o,i)_ab for output channel o and input channel i (1-based)."""
    text = index_text(idx)
    if pair is None:
        return _S(f"f{text.replace(',', '_')}", Sym("f", sub=text), **REAL)
    return _S(f"f^({pair[0]},{pair[1]})_{text}", Sym("f", sub=text, sup=f"({pair[0]},{pair[1]})"), **REAL)


def entry(name: str, idx: tuple[int, ...], channel: int | None = None, example: bool = False) -> Symbol:
    """x_ab^(i) and the like: one entry of a named grid, 1-based, with its channel when there are several
    (``example``: of example i, the input's entries)."""
    text = index_text(idx)
    ch = "" if channel is None else f"[{channel}]"
    return _S(f"{name}{ch}{text.replace(',', '_')}",
              Sym(name, sub=text, example="i" if example else None, sup=ch or None), **REAL)


def grid(name: str, written, rows: int, cols: int):
    """A named matrix (z, a, the gradients) shown in its own shape."""
    return NOTATION.matrix(name, rows, cols, written)


M_H, M_W, H_IN, W_IN = _S("m_h"), _S("m_w"), _S("h"), _S("w")
K_H, K_W, S_H, S_W, D_H, D_W = _S("k_h"), _S("k_w"), _S("s_h"), _S("s_w"), _S("d_h"), _S("d_w")
P_T, P_B = _S("p_t"), _S("p_b")
P_LEFT, P_RIGHT = _S("p_left", Sym("p", sub="l", bare=True)), _S("p_right", Sym("p", sub="r", bare=True))
OP = _S("p_out", Sym("p", sub=Upright("out")))
P_BEFORE, P_AFTER = _S("p_before", Sym("p", sub=Upright("b"))), _S("p_after", Sym("p", sub=Upright("a")))
N_OUT = _S("n_out", Sym("n", primes=1))
DELTA = _S("delta", "δ")
OP_H, OP_W = _S("p_out_h", Sym("p", sub=Row(Upright("out"), ",h"))), _S("p_out_w", Sym("p", sub=Row(Upright("out"), ",w")))
