"""PyTorch's update rules (torch.optim, single-tensor code path), each written once over an ``Ops``.

A rule is a formula for one coordinate of one quantity. The same formula is read three ways: with
symbols (the rule as the key states it), with the numbers written in (kept as written, unevaluated),
and as a value (exact rational arithmetic; a square root that is not rational becomes a 50-digit
float, and so does every later value it reaches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy

from ...precision import DIGITS
from .config import Config

BIG = 10 ** 40            # a rational with a longer numerator or denominator is carried as a 50-digit float


class Ops:
    """Arithmetic with SymPy's usual evaluation: the rule with symbols."""

    def add(self, *xs):
        return sympy.Add(*xs)

    def sub(self, a, b):
        return a - b

    def mul(self, *xs):
        return sympy.Mul(*xs)

    def div(self, a, b):
        return a / b

    def pow(self, a, n):
        return a ** n

    def sqrt(self, a):
        return sympy.sqrt(a)

    def max(self, a, b):
        return sympy.Max(a, b)


class Written(Ops):
    """Arithmetic kept as written: the numbers put into the rule."""

    def add(self, *xs):
        return sympy.Add(*xs, evaluate=False)

    def sub(self, a, b):
        return sympy.Add(a, sympy.Mul(-1, b, evaluate=False), evaluate=False)

    def mul(self, *xs):
        return sympy.Mul(*xs, evaluate=False)

    def div(self, a, b):
        if a == 1:
            return sympy.Pow(b, -1, evaluate=False)
        return sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False)

    def pow(self, a, n):
        return sympy.Pow(a, n, evaluate=False)

    def sqrt(self, a):
        return sympy.Pow(a, sympy.Rational(1, 2), evaluate=False)

    def max(self, a, b):
        return sympy.Max(a, b, evaluate=False)


class Values(Ops):
    """Exact where the arithmetic is rational; a 50-digit float after an irrational square root."""

    def add(self, *xs):
        return tame(sympy.Add(*xs))

    def sub(self, a, b):
        return tame(a - b)

    def mul(self, *xs):
        return tame(sympy.Mul(*xs))

    def div(self, a, b):
        if b == 0:
            raise ZeroDivisionError
        return tame(a / b)

    def pow(self, a, n):
        return tame(a ** n)

    def sqrt(self, a):
        root = sympy.sqrt(a)
        return root if root.is_Rational else sympy.Float(root.evalf(DIGITS), DIGITS)

    def max(self, a, b):
        return a if a >= b else b


def tame(x):
    """x, or x as a 50-digit float when it is irrational or its digits would grow without bound."""
    if x.is_Rational and max(abs(x.p), x.q) < BIG:
        return x
    if x.is_Float:
        return x
    return sympy.Float(sympy.N(x, DIGITS), DIGITS)


SYMBOLIC, WRITTEN, VALUES = Ops(), Written(), Values()


class Q(dict):
    """The inputs of a rule by name: previous state, gradient, hyper-parameters (symbols, written numbers
    or values)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Rule:
    """One coordinate of one quantity: ``key`` (torch's state name, or w, grad, ...) from ``formula``."""

    key: str
    formula: Callable[[Ops, Q], sympy.Expr]
    first: bool = False             # SGD's buffer at step 1: b = g (no momentum, no dampening)


def g_eff(c: Config) -> str:
    """The key of the gradient the optimiser uses: 'grad_wd' with (coupled) weight decay, else 'grad'."""
    return "grad_wd" if c["weight_decay"] != 0 and c.optimizer != "adamw" else "grad"


def rules(c: Config, t: int) -> list[Rule]:
    """The quantities of step t, in PyTorch's order."""
    out = []
    if g_eff(c) == "grad_wd":
        out.append(Rule("grad_wd", lambda o, q: o.add(q.grad, o.mul(q.weight_decay, q.w))))
    return out + {"sgd": _sgd, "adam": _adam, "adamw": _adam, "rmsprop": _rmsprop, "adagrad": _adagrad}[
        c.optimizer](c, t, g_eff(c))


def _sgd(c: Config, t: int, G: str) -> list[Rule]:
    if c["momentum"] == 0:
        return [Rule("w", lambda o, q: o.sub(q.w, o.mul(q.lr, q[G])))]
    if t == 1:
        out = [Rule("momentum_buffer", lambda o, q: q[G], first=True)]
    else:
        out = [Rule("momentum_buffer", lambda o, q: o.add(o.mul(q.momentum, q.momentum_buffer),
                                                         o.mul(o.sub(1, q.dampening), q[G])))]
    if c["nesterov"]:
        return out + [Rule("direction", lambda o, q: o.add(q[G], o.mul(q.momentum, q.momentum_buffer_new))),
                      Rule("w", lambda o, q: o.sub(q.w, o.mul(q.lr, q.direction_new)))]
    return out + [Rule("w", lambda o, q: o.sub(q.w, o.mul(q.lr, q.momentum_buffer_new)))]


def _adam(c: Config, t: int, G: str) -> list[Rule]:
    out = [Rule("exp_avg", lambda o, q: o.add(o.mul(q.beta1, q.exp_avg), o.mul(o.sub(1, q.beta1), q[G]))),
           Rule("exp_avg_sq", lambda o, q: o.add(o.mul(q.beta2, q.exp_avg_sq),
                                                 o.mul(o.sub(1, q.beta2), o.pow(q[G], 2))))]
    second = "exp_avg_sq_new"
    if c["amsgrad"]:
        out.append(Rule("max_exp_avg_sq", lambda o, q: o.max(q.max_exp_avg_sq, q.exp_avg_sq_new)))
        second = "max_exp_avg_sq_new"
    out += [Rule("exp_avg_hat", lambda o, q: o.div(q.exp_avg_new, o.sub(1, o.pow(q.beta1, t)))),
            Rule("exp_avg_sq_hat", lambda o, q: o.div(q[second], o.sub(1, o.pow(q.beta2, t))))]

    def step(o, q):
        w = o.mul(q.w, o.sub(1, o.mul(q.lr, q.weight_decay))) if c.optimizer == "adamw" and c["weight_decay"] else q.w
        return o.sub(w, o.mul(q.lr, o.div(q.exp_avg_hat_new, o.add(o.sqrt(q.exp_avg_sq_hat_new), q.eps))))
    return out + [Rule("w", step)]


def _rmsprop(c: Config, t: int, G: str) -> list[Rule]:
    out = [Rule("square_avg", lambda o, q: o.add(o.mul(q.alpha, q.square_avg),
                                                 o.mul(o.sub(1, q.alpha), o.pow(q[G], 2))))]
    if c["centered"]:
        out.append(Rule("grad_avg", lambda o, q: o.add(o.mul(q.alpha, q.grad_avg), o.mul(o.sub(1, q.alpha), q[G]))))

    def denominator(o, q):
        inside = o.sub(q.square_avg_new, o.pow(q.grad_avg_new, 2)) if c["centered"] else q.square_avg_new
        return o.add(o.sqrt(inside), q.eps)
    if c["momentum"] > 0:
        return out + [Rule("momentum_buffer", lambda o, q: o.add(o.mul(q.momentum, q.momentum_buffer),
                                                                 o.div(q[G], denominator(o, q)))),
                      Rule("w", lambda o, q: o.sub(q.w, o.mul(q.lr, q.momentum_buffer_new)))]
    return out + [Rule("w", lambda o, q: o.sub(q.w, o.mul(q.lr, o.div(q[G], denominator(o, q)))))]


def _adagrad(c: Config, t: int, G: str) -> list[Rule]:
    return [Rule("sum", lambda o, q: o.add(q.sum, o.pow(q[G], 2))),
            Rule("w", lambda o, q: o.sub(q.w, o.mul(q.clr, o.div(q[G], o.add(o.sqrt(q.sum_new), q.eps)))))]


def clr(o: Ops, q: Q, t: int):
    """Adagrad's learning rate at step t: lr / (1 + (t - 1) lr_decay)."""
    return o.div(q.lr, o.add(1, o.mul(t - 1, q.lr_decay)))


# The state each optimiser keeps, under torch.optim's names, and its value before the first step.
def state_keys(c: Config) -> tuple[str, ...]:
    name = c.optimizer
    if name == "sgd":
        return ("momentum_buffer",) if c["momentum"] else ()
    if name in ("adam", "adamw"):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if c["amsgrad"] else ())
    if name == "rmsprop":
        return ("square_avg",) + (("momentum_buffer",) if c["momentum"] > 0 else ()) + \
            (("grad_avg",) if c["centered"] else ())
    return ("sum",)


def initial(c: Config, key: str) -> sympy.Rational:
    return c["initial_accumulator_value"] if key == "sum" else sympy.Integer(0)
