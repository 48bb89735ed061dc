"""The optimizer kind's symbols: hyper-parameters, and each quantity of each coordinate at each step."""

from __future__ import annotations

import sympy

from ...notation import Notation
from ...written import Op, Partial, Row, Sym
from .loss import weight

N = Notation()
HYPER = {
    "lr": N.symbol("eta", "η", positive=True),
    "momentum": N.symbol("mu", "μ", nonnegative=True),
    "dampening": N.symbol("tau", "τ", real=True),
    "weight_decay": N.symbol("lambda", "λ", nonnegative=True),
    "beta1": N.symbol("beta1", Sym("β", sub="1"), nonnegative=True),
    "beta2": N.symbol("beta2", Sym("β", sub="2"), nonnegative=True),
    "eps": N.symbol("epsilon", "ε", nonnegative=True),
    "alpha": N.symbol("alpha", "α", nonnegative=True),
    "lr_decay": N.symbol("gamma", "γ", nonnegative=True),
}
LOSS = N.function("L", "L")

# key -> (letter, its accent, whether the step's superscript is the running maximum's)
BODIES = {
    "w": ("w", None, False),
    "grad": ("g", None, False),
    "grad_wd": ("g", "tilde", False),
    "momentum_buffer": ("b", None, False),
    "direction": ("d", None, False),
    "exp_avg": ("m", None, False),
    "exp_avg_sq": ("v", None, False),
    "max_exp_avg_sq": ("v", None, True),
    "exp_avg_hat": ("m", "hat", False),
    "exp_avg_sq_hat": ("v", "hat", False),
    "square_avg": ("v", None, False),
    "grad_avg": ("g", "bar", False),
    "sum": ("s", None, False),
}


def quantity(key: str, i: int | None, t: int) -> sympy.Symbol:
    """The quantity ``key`` of coordinate i (1-based; None for a single parameter) after step t."""
    letter, accent, running_max = BODIES[key]
    top = Row(Op("max"), f",({t})") if running_max else f"({t})"
    return N.symbol(f"{key}[{i or ''}]({t})", Sym(letter, sub=None if i is None else str(i), sup=top, accent=accent),
                    real=True)


def clr_symbol(t: int) -> sympy.Symbol:
    """Adagrad's decayed learning rate at step t."""
    return N.symbol(f"clr({t})", Sym("η", accent="tilde", sup=f"({t})"), positive=True)


def _w(i: int | None):
    return "w" if i is None else Sym("w", sub=str(i))


def variable(i: int | None) -> sympy.Symbol:
    """The loss's variable w or w_i, registered with how it is written."""
    return N.add(weight(i), _w(i))


for _i in (None, *range(1, 9)):
    variable(_i)


def partial(i: int | None) -> sympy.Symbol:
    """dL/dw (or dL/dw_i), as a formula in the parameters."""
    return N.symbol(f"dL/dw{i or ''}", Partial("L", _w(i)), real=True)
