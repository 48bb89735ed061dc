"""How the graph kind writes a spec's names: W1 as W₁, yhat as ŷ, sigma as σ, dL/dx as a partial
derivative. Each name gives a scalar symbol (commutative) or, for a vector or a matrix, a non-commutative
one (so that W₁x keeps its order); the two live under different internal names, one symbol per name."""

from __future__ import annotations

import re

import sympy

from ...functions import ELEMENTWISE
from ...notation import Notation

NOTATION = Notation()
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eps", "zeta", "eta", "theta", "iota", "kappa", "lambda",
         "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
         "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde", "dot": r"\dot"}
FUNCTION_LATEX = {"relu": r"\operatorname{relu}", "sigmoid": r"\sigma", "softmax": r"\operatorname{softmax}",
                  "log_softmax": r"\operatorname{log\,softmax}", "sum": r"\operatorname{sum}",
                  "mean": r"\operatorname{mean}", "cross_entropy": r"\operatorname{CE}",
                  "mse": r"\operatorname{MSE}", "transpose": r"\operatorname{transpose}",
                  "hadamard": r"\operatorname{hadamard}", "onehot": r"\operatorname{onehot}",
                  "sin": r"\sin", "cos": r"\cos", "sinh": r"\sinh", "cosh": r"\cosh", "max": r"\max",
                  "min": r"\min", "gelu_tanh": r"\operatorname{gelu}_{\tanh}", "leaky_relu": r"\operatorname{leaky\,relu}",
                  "log_sigmoid": r"\log\sigma", "attention": r"\operatorname{attention}"}
USUAL_ARITY = {"max": 2, "min": 2}        # a call with other than its usual number of arguments is another function


def latex(name: str) -> str:
    """W1 -> W_{1}; yhat -> \\hat{y}; sigma2 -> \\sigma_{2}; x_in -> x_{\\mathrm{in}}; loss -> \\mathrm{loss}."""
    if "_" in name.strip("_"):
        head, tail = name.strip("_").split("_", 1)
        sub = tail if re.fullmatch(r"[A-Za-z0-9]", tail) or tail.isdigit() else rf"\mathrm{{{tail.replace('_', ' ')}}}"
        return f"{{{latex(head)}}}_{{{sub}}}" if "_" in latex(head) else f"{latex(head)}_{{{sub}}}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name)
    if m:
        return f"{_word(m.group(1))}_{{{m.group(2)}}}"
    return _word(name)


def _word(word: str) -> str:
    if word in GREEK:
        return "\\" + ("epsilon" if word == "eps" else word)
    for accent, command in ACCENTS.items():
        if word.endswith(accent) and len(word) > len(accent):
            return f"{command}{{{_word(word[:-len(accent)])}}}"
    if len(word) == 1:
        return word
    return rf"\mathrm{{{word}}}"


def value_symbol(name: str) -> sympy.Symbol:
    """The symbol of a scalar name (and of a symbolic scalar given): real, commutative."""
    return NOTATION.symbol(name, latex(name), real=True)


def array_symbol(name: str) -> sympy.Symbol:
    """The symbol of a vector or matrix name, non-commutative so that products keep their order."""
    return NOTATION.symbol(f"{name}[]", latex(name), commutative=False)


def name_symbol(name: str, shape: tuple) -> sympy.Symbol:
    return value_symbol(name) if shape == () else array_symbol(name)


def entry_symbol(name: str, index: tuple[int, ...], wide: bool) -> sympy.Symbol:
    """Entry (i,) or (i, j) of a symbolic vector or matrix, 1-based: z1, W23 (W2_3 when a size passes 9)."""
    text = "_".join(str(i) for i in index) if wide else "".join(str(i) for i in index)
    base = latex(name)
    written = f"{{{base}}}_{{{''.join(map(str, index)) if not wide and '_' not in base else ','.join(map(str, index))}}}"
    return NOTATION.symbol(f"{name}{text}", written, real=True)


def partial(of: str, wrt: str, shape: tuple) -> sympy.Symbol:
    """∂of/∂wrt, the gradient of ``of`` with respect to a name."""
    suffix = "" if shape == () else "[]"
    return NOTATION.symbol(f"d{of}/d{wrt}{suffix}", rf"\frac{{\partial {latex(of)}}}{{\partial {latex(wrt)}}}",
                           **({"real": True} if shape == () else {"commutative": False}))


def through(of: str, via: str, wrt: str, shape: tuple) -> sympy.Symbol:
    """(∂of/∂via)(∂via/∂wrt): the part of ∂of/∂wrt that flows through ``via``."""
    suffix = "" if shape == () else "[]"
    written = (rf"\frac{{\partial {latex(of)}}}{{\partial {latex(via)}}}"
               rf"\frac{{\partial {latex(via)}}}{{\partial {latex(wrt)}}}")
    return NOTATION.symbol(f"d{of}/d{via}*d{via}/d{wrt}{suffix}", written,
                           **({"real": True} if shape == () else {"commutative": False}))


def local(out: str, wrt: str) -> sympy.Symbol:
    """∂out/∂wrt for scalars: the local derivative of one node."""
    return NOTATION.symbol(f"d{out}/d{wrt}|local", rf"\frac{{\partial {latex(out)}}}{{\partial {latex(wrt)}}}",
                           real=True)


def function(name: str, nargs: int | None = None):
    """The function a key writes a call with (max(x) of one argument and max(a, b) are two: ``nargs`` tells)."""
    key = name if nargs is None or nargs == USUAL_ARITY.get(name, nargs if name not in ELEMENTWISE else 1) \
        else f"{name}/{nargs}"
    return NOTATION.function(key, FUNCTION_LATEX.get(name, rf"\{name}" if name in ("exp", "log", "tanh", "sqrt")
                                                    else rf"\operatorname{{{name}}}"))


ONE_HOT = function("onehot")
