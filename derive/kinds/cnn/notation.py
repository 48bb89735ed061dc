"""The symbols of the cnn-dims formulas, and the unevaluated sums and products that show them."""

from __future__ import annotations

from sympy import Add, Mul, Symbol

from .layers import Layer

K_H, K_W, C_IN, F_OUT = Symbol("k_h"), Symbol("k_w"), Symbol("C_in"), Symbol("F")
N_IN, N_OUT, K, S, P, D = Symbol("n_in"), Symbol("n_out"), Symbol("k"), Symbol("s"), Symbol("p"), Symbol("d")
P_B, P_A, K_EFF, G, UNITS = Symbol("p_b"), Symbol("p_a"), Symbol("k_eff"), Symbol("g"), Symbol("m")


def _u(*args):
    """An unevaluated product, shown factor by factor."""
    return Mul(*args, evaluate=False)


def _a(*args):
    """An unevaluated sum, shown term by term."""
    return Add(*args, evaluate=False)


def _label(k: int, layer: Layer) -> str:
    return f"Layer {k + 1} ({layer.name})"
