"""How the graph kind writes a spec's names: W1 as W₁, yhat as ŷ, sigma as σ, dL/dx as a partial
derivative. Each name gives a scalar symbol (commutative) or, for a vector or a matrix, a non-commutative
one (so that W₁x keeps its order); the two live under different internal names, one symbol per name."""

from __future__ import annotations

import re

import sympy

from ...functions import ELEMENTWISE
from ...notation import Notation
from ...written import ROOT, Op, Part, Partial, Row, Sym, Upright

NOTATION = Notation()
GREEK = dict(zip(("alpha beta gamma delta epsilon eps zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau"
                  " upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega").split(),
                 "αβγδϵϵζηθικλμνξπρστυϕχψωΓΔΘΛΞΠΣΦΨΩ"))
ACCENTS = ("hat", "bar", "tilde", "dot")
FUNCTIONS = {"relu": Op("relu"), "sigmoid": "σ", "softmax": Op("softmax"), "log_softmax": Op("log softmax"),
             "sum": Op("sum"), "mean": Op("mean"), "cross_entropy": Op("CE"), "mse": Op("MSE"),
             "transpose": Op("transpose"), "hadamard": Op("hadamard"), "onehot": Op("onehot"), "sqrt": ROOT,
             "sin": Op("sin"), "cos": Op("cos"), "sinh": Op("sinh"), "cosh": Op("cosh"), "max": Op("max"),
             "min": Op("min"), "gelu_tanh": Sym(Op("gelu"), sub=Op("tanh")), "leaky_relu": Op("leaky relu"),
             "log_sigmoid": Row(Op("log"), "σ"), "attention": Op("attention")}
USUAL_ARITY = {"max": 2, "min": 2}        # a call with other than its usual number of arguments is another function


def written(name: str) -> Part:
    """W1 -> W₁; yhat -> ŷ; sigma2 -> σ₂; x_in -> x with an upright 'in' below; loss -> an upright 'loss'."""
    if "_" in name.strip("_"):
        head, tail = name.strip("_").split("_", 1)
        sub = tail if re.fullmatch(r"[A-Za-z0-9]", tail) or tail.isdigit() else Upright(tail.replace("_", " "))
        return Sym(written(head), sub=sub)
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name)
    if m:
        return Sym(_word(m.group(1)), sub=m.group(2))
    return _word(name)


def _word(word: str) -> Part:
    if word in GREEK:
        return GREEK[word]
    for accent in ACCENTS:
        if word.endswith(accent) and len(word) > len(accent):
            return Sym(_word(word[:-len(accent)]), accent=accent)
    if len(word) == 1:
        return word
    return Upright(word)


# What a symbol stands for, so that a problem giving one letter two meanings is found
# (tests/test_symbol_meanings.py).
# A spec's names mean what the spec says, by their letter (x and x̂, W₁ and W₂ share theirs); the kind's own
# letters mean what the kind makes them: σ the sigmoid, p the softmax's output, S and A attention's scores and
# weights, m, v, g, η, ... the optimiser's quantities of a step. A spec naming a value sigma and calling sigmoid
# (σ and σ), or naming p beside a softmax, is then caught.
SIGMOID, SOFTMAX_OUTPUT = "the sigmoid", "the softmax's output"
SCORES, WEIGHTS = "attention's scores", "attention's weights"
FUNCTION_MEANS = {"sigmoid": SIGMOID}


def letter_of(part: Part) -> str | None:
    """The letter a written form is built on (W of W₁, x of x̂); None for an upright word."""
    while isinstance(part, Sym):
        part = part.base
    return part if isinstance(part, str) else None


def spec_means(name_or_part) -> str | None:
    """The meaning of a spec's name (or of a piece written with one), by its letter: the spec's W."""
    letter = letter_of(written(name_or_part) if isinstance(name_or_part, str) else name_or_part)
    return None if letter is None else f"the spec's {letter}"


def optimiser_means(part: Part) -> str | None:
    """The meaning of a quantity of a step (m⁽¹⁾, v̂, η), by its letter: the optimiser's m."""
    letter = letter_of(part)
    return None if letter is None else f"the optimiser's {letter}"


def value_symbol(name: str) -> sympy.Symbol:
    """The symbol of a scalar name (and of a symbolic scalar given): real, commutative."""
    return NOTATION.symbol(name, written(name), means=spec_means(name), real=True)


def array_symbol(name: str) -> sympy.Symbol:
    """The symbol of a vector or matrix name, non-commutative so that products keep their order."""
    return NOTATION.symbol(f"{name}[]", written(name), means=spec_means(name), commutative=False)


def name_symbol(name: str, shape: tuple) -> sympy.Symbol:
    return value_symbol(name) if shape == () else array_symbol(name)


def entry_symbol(name: str, index: tuple[int, ...], wide: bool) -> sympy.Symbol:
    """Entry (i,) or (i, j) of a symbolic vector or matrix, 1-based: z1, W23 (W2_3 when a size passes 9)."""
    text = "_".join(str(i) for i in index) if wide else "".join(str(i) for i in index)
    base = written(name)
    scripted = isinstance(base, Sym) and base.sub is not None
    sub = ("," if wide or scripted else "").join(map(str, index))
    return NOTATION.symbol(f"{name}{text}", Sym(base, sub=sub, grouped=True), means=spec_means(name), real=True)


def partial(of: str, wrt: str, shape: tuple) -> sympy.Symbol:
    """∂of/∂wrt, the gradient of ``of`` with respect to a name."""
    suffix = "" if shape == () else "[]"
    return NOTATION.symbol(f"d{of}/d{wrt}{suffix}", Partial(written(of), written(wrt)),
                           **({"real": True} if shape == () else {"commutative": False}))


def through(of: str, via: str, wrt: str, shape: tuple) -> sympy.Symbol:
    """(∂of/∂via)(∂via/∂wrt): the part of ∂of/∂wrt that flows through ``via``."""
    suffix = "" if shape == () else "[]"
    return NOTATION.symbol(f"d{of}/d{via}*d{via}/d{wrt}{suffix}",
                           Row(Partial(written(of), written(via)), Partial(written(via), written(wrt))),
                           **({"real": True} if shape == () else {"commutative": False}))


def local(out: str, wrt: str) -> sympy.Symbol:
    """∂out/∂wrt for scalars: the local derivative of one node."""
    return NOTATION.symbol(f"d{out}/d{wrt}|local", Partial(written(out), written(wrt)),
                           real=True)


def function(name: str, nargs: int | None = None):
    """The function a key writes a call with (max(x) of one argument and max(a, b) are two: ``nargs`` tells)."""
    key = name if nargs is None or nargs == USUAL_ARITY.get(name, nargs if name not in ELEMENTWISE else 1) \
        else f"{name}/{nargs}"
    if name in FUNCTIONS:
        return NOTATION.function(key, FUNCTIONS[name], means=FUNCTION_MEANS.get(name))
    return NOTATION.function(key, Op(name) if name.isalpha() else Upright(name.replace("_", " ")))


ONE_HOT = function("onehot")
