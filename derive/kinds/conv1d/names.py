"""How conv1d-matrix writes things: every symbol, matrix symbol and function its displays use, with
its LaTeX, registered in the kind's notation (``NOTATION``). Symbols that vary with the problem (the
inputs x_j, the weights f_j, the arguments z_r, ...) are made by the small functions below."""

from __future__ import annotations

from sympy import MatrixSymbol, Symbol

from ...notation import Notation

NOTATION = Notation()
_S = NOTATION.symbol
REAL = dict(real=True)

RELU = NOTATION.function("relu", r"\operatorname{relu}")
RELU_PRIME = NOTATION.function("relu'", r"\operatorname{relu}'")
PHI = NOTATION.function("phi", r"\phi")
DIAG = NOTATION.function("diag", r"\operatorname{diag}")

F_MAT, F_VEC, A_VEC = _S("F"), _S("f"), _S("a^(i)", "a^{(i)}")
Z_VEC = _S("z_vec", "z", **REAL)         # z = F x, and the activation's variable z: both printed z
M_OUT = _S("m")
DPHI_Z = _S("phi'(z)", r"\phi'(z)")     # phi'(z), printed as such
DA_DF = _S("da/df", r"\frac{\partial a^{(i)}}{\partial f}")
DZ_DF = _S("dz/df", r"\frac{\partial z}{\partial f}")
DA_DX = _S("da/dx^(i)", r"\frac{\partial a^{(i)}}{\partial x^{(i)}}")
DZ_DX = _S("dz/dx^(i)", r"\frac{\partial z}{\partial x^{(i)}}")
DA_DF_J = _S("da_r/df_j", r"\frac{\partial a_r^{(i)}}{\partial f_j}")
DZ_DF_J = _S("dz_r/df_j", r"\frac{\partial z_r}{\partial f_j}")
DA_DX_C = _S("da_r/dx_c", r"\frac{\partial a_r^{(i)}}{\partial x_c^{(i)}}")
F_RC = _S("F_rc", "F_{rc}")
F_J = _S("f_j")                          # the generic weight f_j
Z_R = _S("z_r", **REAL)                  # the generic argument z_r
R, J = _S("r"), _S("j")
N, K, S, D, P_L, P_R = _S("n"), _S("k"), _S("s"), _S("d"), _S("p_l"), _S("p_r")
X_VEC = NOTATION.matrix("x^(i)", N, 1, "x^{(i)}")


def x(j: int) -> Symbol:
    """x_j^{(i)}, the j-th input (1-based)."""
    return _S(f"x{j}", rf"x_{{{j}}}^{{(i)}}", **REAL)


def f(j: int) -> Symbol:
    """f_j, the j-th filter weight (1-based)."""
    return _S(f"f{j}", rf"f_{{{j}}}", **REAL)


def z(r: int) -> Symbol:
    """z_r, the r-th argument of the activation (1-based)."""
    return _S(f"z{r}", rf"z_{{{r}}}", **REAL)


def signed_z(r: int, sign: int) -> Symbol:
    """z_r as the checker reads it under the spec's sign (positive or negative): never shown, so the
    shown z_r carries no sign assumption; its own name keeps it apart from z_r."""
    return Symbol(f"z{r}{'>' if sign > 0 else '<'}0", positive=sign > 0, negative=sign < 0)


def x_row(offset: int = 0) -> Symbol:
    """x_r, x_{r+1}, ...: the input a generic output r meets."""
    index = "r" + (f"+{offset}" if offset else "")
    return _S(f"x_{index}", rf"x_{{{index}}}^{{(i)}}", **REAL)


def x_at(index: str) -> Symbol:
    """x_{2r-1}, x_{r+j-1}, ...: the input at an index written out (``index`` as printed)."""
    return _S(f"x_[{index}]", rf"x_{{{index}}}^{{(i)}}", **REAL)


def da_df(j: int) -> Symbol:
    """da/df_j, the gradient with respect to one weight."""
    return _S(f"da/df{j}", rf"\frac{{\partial a^{{(i)}}}}{{\partial f_{{{j}}}}}")


def da_r_df(j: int) -> Symbol:
    """da_r/df_j for one weight j."""
    return _S(f"da_r/df{j}", rf"\frac{{\partial a_r^{{(i)}}}}{{\partial f_{{{j}}}}}")


def dz_r_df(j: int) -> Symbol:
    """dz_r/df_j for one weight j."""
    return _S(f"dz_r/df{j}", rf"\frac{{\partial z_r}}{{\partial f_{{{j}}}}}")


def dphi_at(r: int | None = None) -> Symbol:
    """phi'(z_r) for output r (1-based), or for the generic r when r is None."""
    index = "_r" if r is None else str(r)
    return _S(f"phi'(z{index})", rf"\phi'\left(z_{{{index.lstrip('_')}}}\right)")


def f_pad(rows: int, cols: int) -> MatrixSymbol:
    """F~, the matrix over the padded input."""
    return NOTATION.matrix("F_pad", rows, cols, r"\tilde{F}")


def x_pad(length: int) -> MatrixSymbol:
    """x~, the padded input."""
    return NOTATION.matrix("x_pad", length, 1, r"\tilde{x}^{(i)}")


def agree(count: int, one: str, many: str) -> str:
    """The form of a word that agrees with a count ('is'/'are', 'it'/'them', 'multiplies'/'multiply'):
    the forms words.plural does not make, since they are not the noun after the number."""
    return one if count == 1 else many
