"""The optimizer kind's symbols: hyper-parameters, and each quantity of each coordinate at each step."""

from __future__ import annotations

from dataclasses import replace

import sympy

from ...notation import Notation
from ...written import Op, Partial, Row, Sym, Upright
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
N.letter("L", "the loss")                  # L(w) and the L of dL/dw: no other L in a problem
LOSS = N.function("L", "L", means="the loss")

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
    "velocity": ("v", None, False),
}


def quantity(key: str, i: int | None, t: int) -> sympy.Symbol:
    """The quantity ``key`` of coordinate i (1-based; None for a single parameter) after step t."""
    return N.symbol(f"{key}[{i or ''}]({t})", body(key, None if i is None else str(i), t), real=True)


def body(key: str, sub, t) -> Sym:
    """How the quantity ``key`` is written at step t, with ``sub`` below (a coordinate, a parameter's name): m_1^(t),
    v^(max,(t))."""
    letter, accent, running_max = BODIES[key]
    return Sym(letter, sub=sub, sup=Row(Op("max"), f",({t})") if running_max else f"({t})", accent=accent)


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


RATE_BODIES = {"lr": "η", "momentum": "μ", "beta1": Sym("β", sub="1")}


def rate_symbol(key: str, t) -> sympy.Symbol:
    """The scheduled learning rate (or OneCycleLR's momentum, Adam's beta1) of step t: η^(t)."""
    body = RATE_BODIES[key]
    written = replace(body, sup=f"({t})") if isinstance(body, Sym) else Sym(body, sup=f"({t})")
    return N.symbol(f"{key}({t})", written, real=True)


def delta_symbol(i: int | None, t) -> sympy.Symbol:
    """Δw (of coordinate i, 1-based) at step t: w^(t) − w^(t−1)."""
    return N.symbol(f"delta[{i or ''}]({t})", Row("Δ", Sym("w", sub=None if i is None else str(i), sup=f"({t})")),
                    real=True)


# A scheduler's arguments as the formulas write them (k: SequentialLR's k-th scheduler, marked [k]).
def _named(letter: str, word: str) -> Sym:
    """A letter with a word below it, set upright: f_start."""
    return Sym(letter, sub=Op(word) if word in ("max", "min") else Upright(word, words=True))


PARAMS = {"gamma": "γ", "step_size": "s", "T_max": _named("T", "max"), "eta_min": _named("η", "min"),
          "start_factor": _named("f", "start"), "end_factor": _named("f", "end"), "total_iters": _named("n", "iters"),
          "passed": "k", "max_lr": _named("η", "max"), "initial_lr": _named("η", "initial"),
          "min_lr": _named("η", "final"), "max_momentum": _named("μ", "max"), "base_momentum": _named("μ", "base"),
          "pct": "p", "start": Sym("s", sub="0"), "end": Sym("s", sub="1"), "from": Sym("y", sub="0"),
          "to": Sym("y", sub="1")}


def param(name: str, k: int | None = None) -> sympy.Symbol:
    written = PARAMS[name]
    if k is not None:
        written = replace(written, sup=f"[{k}]") if isinstance(written, Sym) else Sym(written, sup=f"[{k}]")
    return N.symbol(f"sched.{name}" + ("" if k is None else f"[{k}]"), written, real=True)
