"""The optimizer kind's symbols: hyper-parameters, and each quantity of each coordinate at each step."""

from __future__ import annotations

import sympy

from ...notation import Notation
from .loss import weight

N = Notation()
HYPER = {
    "lr": N.symbol("eta", r"\eta", positive=True),
    "momentum": N.symbol("mu", r"\mu", nonnegative=True),
    "dampening": N.symbol("tau", r"\tau", real=True),
    "weight_decay": N.symbol("lambda", r"\lambda", nonnegative=True),
    "beta1": N.symbol("beta1", r"\beta_{1}", nonnegative=True),
    "beta2": N.symbol("beta2", r"\beta_{2}", nonnegative=True),
    "eps": N.symbol("epsilon", r"\varepsilon", nonnegative=True),
    "alpha": N.symbol("alpha", r"\alpha", nonnegative=True),
    "lr_decay": N.symbol("gamma", r"\gamma", nonnegative=True),
}
LOSS = N.function("L", "L")

# key -> (body, superscript before the step's, what it is)
BODIES = {
    "w": ("w", ""),
    "grad": ("g", ""),
    "grad_wd": (r"\tilde{g}", ""),
    "momentum_buffer": ("b", ""),
    "direction": ("d", ""),
    "exp_avg": ("m", ""),
    "exp_avg_sq": ("v", ""),
    "max_exp_avg_sq": ("v", r"\max"),
    "exp_avg_hat": (r"\hat{m}", ""),
    "exp_avg_sq_hat": (r"\hat{v}", ""),
    "square_avg": ("v", ""),
    "grad_avg": (r"\bar{g}", ""),
    "sum": ("s", ""),
    "velocity": ("v", ""),
}


def quantity(key: str, i: int | None, t: int) -> sympy.Symbol:
    """The quantity ``key`` of coordinate i (1-based; None for a single parameter) after step t."""
    body, sup = BODIES[key]
    sub = "" if i is None else f"_{{{i}}}"
    top = f"{sup},({t})" if sup else f"({t})"
    return N.symbol(f"{key}[{i or ''}]({t})", f"{body}{sub}^{{{top}}}", real=True)


def clr_symbol(t: int) -> sympy.Symbol:
    """Adagrad's decayed learning rate at step t."""
    return N.symbol(f"clr({t})", rf"\tilde{{\eta}}^{{({t})}}", positive=True)


def variable(i: int | None) -> sympy.Symbol:
    """The loss's variable w or w_i, registered with its LaTeX."""
    return N.add(weight(i), "w" if i is None else f"w_{{{i}}}")


for _i in (None, *range(1, 9)):
    variable(_i)


def partial(i: int | None) -> sympy.Symbol:
    """dL/dw (or dL/dw_i), as a formula in the parameters."""
    below = "w" if i is None else f"w_{{{i}}}"
    return N.symbol(f"dL/dw{i or ''}", rf"\frac{{\partial L}}{{\partial {below}}}", real=True)


RATE_BODIES = {"lr": r"\eta", "momentum": r"\mu", "beta1": r"\beta_{1}"}


def rate_symbol(key: str, t) -> sympy.Symbol:
    """The scheduled learning rate (or OneCycleLR's momentum, Adam's beta1) of step t: η^(t)."""
    return N.symbol(f"{key}({t})", f"{RATE_BODIES[key]}^{{({t})}}", real=True)


def delta_symbol(i: int | None, t) -> sympy.Symbol:
    """Δw (of coordinate i, 1-based) at step t: w^(t) − w^(t−1)."""
    sub = "" if i is None else f"_{{{i}}}"
    return N.symbol(f"delta[{i or ''}]({t})", rf"\Delta w{sub}^{{({t})}}", real=True)


# A scheduler's arguments as the formulas write them (k: SequentialLR's k-th scheduler, marked [k]).
PARAMS = {"gamma": r"\gamma", "step_size": "s", "T_max": r"T_{\max}", "eta_min": r"\eta_{\min}",
          "start_factor": r"f_{\text{start}}", "end_factor": r"f_{\text{end}}", "total_iters": r"n_{\text{iters}}",
          "passed": "k", "max_lr": r"\eta_{\max}", "initial_lr": r"\eta_{\text{initial}}", "min_lr": r"\eta_{\text{final}}",
          "max_momentum": r"\mu_{\max}", "base_momentum": r"\mu_{\text{base}}", "pct": "p", "start": "s_{0}",
          "end": "s_{1}", "from": "y_{0}", "to": "y_{1}"}


def param(name: str, k: int | None = None) -> sympy.Symbol:
    mark = "" if k is None else f"^{{[{k}]}}"
    return N.symbol(f"sched.{name}" + ("" if k is None else f"[{k}]"), PARAMS[name] + mark, real=True)
