"""The functions of derive's formula language, one table for every place a formula is read (a graph's
equations, an optimizer's loss, an activation): each function's value at one number as a SymPy expression,
written so that plain differentiation gives PyTorch's autograd, kinks included.

    leaky_relu(x, s) = x if x > 0 else s x     slope s at 0 (PyTorch's: the branch below)
    elu(x, α)        = x if x > 0 else α(eˣ − 1)   slope α at 0
    hardtanh(x, a, b) = a if x ≤ a, b if x ≥ b, else x   slope 0 at a and at b
    maximum(a, b)    half the gradient to each argument at a tie (torch.maximum): (1 + sign(a − b))/2

relu is max(0, x) with slope 0 at 0: the graph kind takes its kink as PyTorch does (derive.kinds.graph.vjp.kinks).
Arguments after the first are constants (a slope, α, the bounds): numbers, never differentiated, as PyTorch
takes them (Python floats)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy

from . import numeric

MAX_DIGITS = 20000          # the most digits an order is told at (beyond, the two are taken as equal)


class maximum(sympy.Function):
    """torch.maximum(a, b): the larger; at a tie each argument takes half the gradient, as autograd gives it."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        return _larger(a, b, 1)

    def fdiff(self, argindex=1):
        a, b = self.args
        return _share(a - b if argindex == 1 else b - a)


class minimum(sympy.Function):
    """torch.minimum(a, b): the smaller; at a tie each argument takes half the gradient."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        return _larger(a, b, -1)

    def fdiff(self, argindex=1):
        a, b = self.args
        return _share(b - a if argindex == 1 else a - b)


def _share(lead):
    """The share of the gradient an argument takes: 1 where it leads by ``lead`` > 0, 0 where it trails, ½ at a
    tie, written (1 + sign(lead))/2 (a unit step's value at 0 is a convention the graph kind sets to 0 for relu)."""
    return (1 + sympy.sign(lead)) / 2


def _larger(a, b, sign: int):
    """The larger (sign 1) or smaller (sign −1) of two numbers (told at rising precision where SymPy cannot tell
    their order); None for a formula."""
    if a == b:
        return a
    difference = (a - b) * sign
    if difference.is_extended_nonnegative:
        return a
    if difference.is_extended_negative:
        return b
    if not (difference.is_number and difference.is_extended_real):
        return None
    try:
        value = numeric.accurate(difference, 15, MAX_DIGITS)
    except (numeric.Unsupported, ArithmeticError, ValueError):
        return None
    return b if value is not None and value < 0 else a


def sigmoid(x):
    """σ(x) = 1/(1 + e^−x)."""
    return sympy.Pow(sympy.Add(sympy.Integer(1), sympy.exp(-x)), -1)


def gelu(x):
    """GELU, exact: x Φ(x) = x/2 (1 + erf(x/√2))."""
    return x / 2 * (1 + sympy.erf(x / sympy.sqrt(2)))


GELU_CUBIC = sympy.Rational(44715, 10 ** 6)


def gelu_tanh(x):
    """GELU's tanh approximation (F.gelu(x, approximate="tanh")): x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    return x / 2 * (1 + sympy.tanh(sympy.sqrt(2 / sympy.pi) * (x + GELU_CUBIC * x ** 3)))


def leaky_relu(x, slope=sympy.Rational(1, 100)):
    return sympy.Piecewise((x, x > 0), (slope * x, True))


def elu(x, alpha=sympy.Integer(1)):
    return sympy.Piecewise((x, x > 0), (alpha * (sympy.exp(x) - 1), True))


def hardtanh(x, low=sympy.Integer(-1), high=sympy.Integer(1)):
    return sympy.Piecewise((low, x <= low), (high, x >= high), (x, True))


@dataclass(frozen=True)
class Elementwise:
    """A function applied to each entry: ``value(x, *constants)``; ``constants`` names the optional constant
    arguments after x with their defaults (PyTorch's)."""

    name: str
    value: Callable
    constants: tuple[tuple[str, sympy.Expr], ...] = ()
    torch: str = ""
    words: str = ""

    @property
    def arity(self) -> tuple[int, int]:
        return 1, 1 + len(self.constants)


R = sympy.Rational
ELEMENTWISE: dict[str, Elementwise] = {f.name: f for f in (
    Elementwise("exp", sympy.exp, torch="torch.exp"),
    Elementwise("log", sympy.log, torch="torch.log"),
    Elementwise("sqrt", sympy.sqrt, torch="torch.sqrt"),
    Elementwise("abs", sympy.Abs, torch="torch.abs", words="slope 0 at 0"),
    Elementwise("relu", lambda x: sympy.Max(0, x), torch="torch.relu", words="slope 0 at 0"),
    Elementwise("sigmoid", sigmoid, torch="torch.sigmoid"),
    Elementwise("tanh", sympy.tanh, torch="torch.tanh"),
    Elementwise("sin", sympy.sin, torch="torch.sin"),
    Elementwise("cos", sympy.cos, torch="torch.cos"),
    Elementwise("sinh", sympy.sinh, torch="torch.sinh"),
    Elementwise("cosh", sympy.cosh, torch="torch.cosh"),
    Elementwise("softplus", lambda x: sympy.log(1 + sympy.exp(x)), torch="F.softplus",
                words="log(1 + eˣ) (PyTorch returns x itself above x = 20, within 10⁻⁸ of it)"),
    Elementwise("gelu", gelu, torch="F.gelu", words="x Φ(x), exact (erf); gelu(x, \"tanh\"): the tanh approximation"),
    Elementwise("gelu_tanh", gelu_tanh, torch="F.gelu(x, approximate=\"tanh\")"),
    Elementwise("silu", lambda x: x * sigmoid(x), torch="F.silu", words="x σ(x)"),
    Elementwise("elu", elu, (("alpha", sympy.Integer(1)),), torch="F.elu",
                words="x above 0, α(eˣ − 1) below; α = 1 unless given; slope α at 0"),
    Elementwise("leaky_relu", leaky_relu, (("negative_slope", R(1, 100)),), torch="F.leaky_relu",
                words="x above 0, s·x below; s = 0.01 unless given; slope s at 0"),
    Elementwise("hardtanh", hardtanh, (("min_val", sympy.Integer(-1)), ("max_val", sympy.Integer(1))),
                torch="F.hardtanh", words="x clipped to [−1, 1] (or [min, max]); slope 0 at either end"),
    Elementwise("log_sigmoid", lambda x: -sympy.log(1 + sympy.exp(-x)), torch="F.logsigmoid",
                words="log σ(x) = −log(1 + e^−x)"),
)}
HIDDEN = {"gelu_tanh"}         # written gelu(x, "tanh"): not listed among the functions
GELU_APPROXIMATIONS = {"none": "gelu", "tanh": "gelu_tanh"}


def constant_places(name: str) -> tuple[int, ...]:
    """The argument places of a function that are constants (a slope, α, the bounds)."""
    f = ELEMENTWISE.get(name)
    return tuple(range(1, 1 + len(f.constants))) if f else ()
