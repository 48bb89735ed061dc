"""The notation of rnn-activation: every symbol, matrix and function its keys show, with how it is written.

One unit and several units share one notation, so a name is one symbol in both: the recurrent weight
is the real symbol ``W_a`` in prose and settings, and the matrix ``W_a_matrix`` (written alike) only
where a product of matrices must keep its order. The states a<k>, the fixed points and factors of a
list, the points of a cycle and the pre-activations z_1, z_2, ... are made by the functions below,
which register each with how it is written.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ...mathparse import Z as _Z
from ...notation import Notation
from ...written import Fenced, Frac, Op, Partial, Row, Sym
from ..activations import OUTPUT

N = Notation()
R = dict(real=True)

# What each letter stands for wherever it is written (in a derivative too): one meaning a letter within a problem.
# A symbol that gives its letter another meaning says so with ``means=`` (the GRU's update gate z), so that a
# problem showing both is caught (tests/test_symbol_meanings.py).
for _letter, _meaning in (("a", "the state"), ("z", "the pre-activation"), ("x", "the input"), ("W", "a weight"),
                          ("U", "a gate's recurrent weight"), ("b", "a bias"), ("ϕ", "the activation"),
                          ("σ", "the sigmoid"), ("γ", "the per-step factor"), ("ρ", "the spectral radius"),
                          ("T", "the number of steps"), ("Π", "the product over a cycle"),
                          ("g", "the fixed-point equation"), ("J", "the step's Jacobian"), ("c", "the cell state"),
                          ("h", "the hidden state"), ("f", "the forget gate"), ("i", "the input gate"),
                          ("o", "the output gate"), ("r", "the reset gate"), ("n", "the GRU's candidate")):
    N.letter(_letter, _meaning)
UPDATE_GATE = "the update gate"


def gate_means(name: str) -> str | None:
    """What a gate's symbol means when its letter's meaning is not it: the GRU's update gate z."""
    return UPDATE_GATE if name == "z" else None



def _state(time: str, base: str = "a") -> Sym:
    """a^{(i)⟨...⟩}: the state of example i at a time step."""
    return Sym(base, example="i", time=time)


# --- one recurrent step -------------------------------------------------------------------------
A_T = N.add(OUTPUT, _state("t"))                                   # a<t> = phi(z<t>)
A_PREV = N.symbol("a_prev", _state("t-1"), **R)                   # a<t-1>
A_0 = N.symbol("a_0", _state("0"), **R)                           # a<0>
Z = N.add(_Z, _state("t", "z"))                                    # z<t>, the activation's variable
W_A_WRITTEN = Sym("W", sub="a", layer="1", bare=True)
W_X_WRITTEN = Sym("W", sub="x", layer="1", bare=True)
B_WRITTEN = Sym("b", layer="1")
W_A = N.symbol("W_a", W_A_WRITTEN, **R)
W_X = N.symbol("W_x", W_X_WRITTEN, **R)
B = N.symbol("b", B_WRITTEN, **R)
X_T = N.symbol("x_t", _state("t", "x"), **R)
PHI = N.function("phi", "ϕ")
SIGMA = N.function("sigma", "σ")
DIAG = N.function("diag", Op("diag"))
G = N.function("g")                                                # g(a*) = phi(W_a a* + b + W_x x) - a*

# --- the derivative ---------------------------------------------------------------------------
DA_DAPREV = N.symbol("da_t/da_prev", Partial(_state("t"), _state("t-1")), **R)
DA_DZ = N.symbol("da_t/dz_t", Partial(_state("t"), _state("t", "z")), **R)
DZ_DAPREV = N.symbol("dz_t/da_prev", Partial(_state("t", "z"), _state("t-1")), **R)
QUOTIENT_RULE = N.symbol("(u/v)'", Sym(Fenced(Frac("u", "v"), sized=True), primes=1))
QUOTIENT_RULE_RHS = N.symbol("(u'v - uv')/v^2", Frac(Row(Sym("u", primes=1), "v - u", Sym("v", primes=1)),
                                                     Sym("v", sup="2")))

# --- stability ----------------------------------------------------------------------------------
A_STAR = N.symbol("a_star", Sym("a", sup="*"), **R)               # the fixed point a*
Z_STAR = N.symbol("z_star", Sym("z", sup="*"), **R)               # z* = W_a a* + b + W_x x
FACTOR = N.symbol("factor", "γ", nonnegative=True)                # the per-step factor
DA_T_DA_0 = N.symbol("da_T/da_0", Partial(_state("T"), _state("0")), **R)
T_LONG = N.symbol("T", positive=True, integer=True)
CYCLE_PRODUCT = N.symbol("cycle_product", "Π")
SUP_SLOPE = N.symbol("sup_slope", Row(Sym(Op("sup"), sub="z", bare=True), " ",
                                      Fenced(Row(Sym("ϕ", primes=1), "(z)"), "|", "|", sized=True)))

# --- several units ------------------------------------------------------------------------------
C_V = N.symbol("c_vec", Sym("b", accent="tilde"))                 # b + W_x x: a bias (c is the LSTM's cell state)
W_X_X = N.symbol("W_x x", Row(W_X_WRITTEN, " ", _state("t", "x")))
RHO = N.symbol("rho", "ρ")
SIGMA_MAX = N.symbol("sigma_max", Sym(Fenced(W_A_WRITTEN, "‖", "‖", sized=True, spaced=True), sub="2", bare=True))
NORM_T = N.symbol("norm(da_T/da_0)", Sym(Fenced(Partial(_state("T"), _state("0")), "‖", "‖", sized=True,
                                                spaced=True), sub="2", bare=True))
Z_I = N.symbol("z_i")
DZ_I_DA_J = N.symbol("dz_i/da_j", Partial(Sym("z", sub="i", bare=True),
                                          Sym("a", sub="j", example="i", time="t-1", bare=True)))
DA_I_DA_J = N.symbol("da_i/da_j", Partial(Sym("a", sub="i", example="i", time="t", bare=True),
                                          Sym("a", sub="j", example="i", time="t-1", bare=True)))
W_IJ = N.symbol("W_ij", Sym("W", sub="ij"))
SLOPE_TIMES_W_IJ = N.symbol("phi'(z_i) W_ij", Row(Sym("ϕ", primes=1), "(", Sym("z", sub="i", bare=True), ")",
                                                 "\u2009 ", Sym("W", sub="ij")))


def _plain(part):
    """The textbook's letters in the plain style: h for the state a, W and U for W_a and W_x, b for b."""
    if part == W_A_WRITTEN:
        return Sym("W")
    if part == W_X_WRITTEN:
        return Sym("U")
    if part == B_WRITTEN:
        return Sym("b")
    if isinstance(part, Sym) and part.base == "a":
        return replace(part, base="h")
    return part


N.restyle("plain", _plain)


def weights(n: int) -> sympy.MatrixSymbol:
    """W_a as an n x n matrix symbol (for products that keep their order)."""
    return N.matrix("W_a_matrix", n, n, W_A_WRITTEN)


def slopes(n: int, at: str = "z") -> sympy.MatrixSymbol:
    """diag(phi'(z)) (at='z') or diag(phi'(z*)) (at='z*') as one n x n matrix symbol."""
    shown = {"z": "z", "z*": Sym("z", sup="*")}[at]
    return N.matrix(f"diag(phi'({at}))", n, n, Row(Op("diag"), Fenced(Row(Sym("ϕ", primes=1), "(", shown, ")"),
                                                                      sized=True)))


def iterate(k: int) -> sympy.Symbol:
    """a<k>, the k-th state of the recurrence (a number, or a vector for several units)."""
    return N.symbol(f"a_{k}", _state(str(k)), **R)


def fixed_point(k: int) -> sympy.Symbol:
    """a*_k, the k-th fixed point of a list."""
    return N.symbol(f"a_star_{k}", Sym("a", sub=str(k), sup="*", sup_first=True))


def factor(k: int) -> sympy.Symbol:
    """gamma_k, the factor at the k-th fixed point of a list."""
    return N.symbol(f"factor_{k}", Sym("γ", sub=str(k)))


def cycle_point(k: int) -> sympy.Symbol:
    """The k-th state of a cycle."""
    return N.symbol(f"cycle_{k}", Sym("a", sub=str(k), accent="bar"))


def gradient_at(k: int) -> sympy.Symbol:
    """da<k>/da<0>, the gradient after k steps."""
    return N.symbol(f"da_{k}/da_0", Partial(_state(str(k)), _state("0")))


def pre_activation(k: int) -> sympy.Symbol:
    """z_k, the pre-activation of unit k (several units)."""
    return N.symbol(f"z{k}", Sym("z", sub=str(k)), **R)


def previous(k: int) -> sympy.Symbol:
    """a_k<t-1>, unit k's previous state (several units; in meanings only)."""
    return N.symbol(f"a_prev{k}", **R)


__all__ = ["N"]
