"""The backward pass as an analysis: for each equation, in reverse order, the gradient flowing in
(upstream), and for each name it uses the part that flows on (downstream): upstream times the local
Jacobian, computed by differentiating the equation's right-hand side at the forward values."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...fields import FieldError
from ...functions import maximum, minimum
from .config import Config, Equation
from .sizes import nodes
from .values import UNDEFINED, Val, evaluate, make, settle, undefined
from .vjp import backprop, kinks as _kinks


@dataclass(frozen=True)
class Flow:
    """One equation's contribution to one name's gradient: upstream (the gradient of ``of`` with respect
    to the equation's output) times the local Jacobian."""

    eq: Equation
    wrt: str
    upstream: Val
    value: Val
    local: sympy.Expr | None      # the local derivative at the forward values, for a scalar node and input
    formula: sympy.Expr | None    # the same in terms of the placeholders (a scalar node and input)


@dataclass(frozen=True)
class Backward:
    order: tuple[Equation, ...]   # the equations the gradient flows through, last first
    flows: dict                   # equation name -> its Flows
    grads: dict                   # name -> the gradient of ``of`` with respect to it (a Val)
    parts: dict                   # name -> the Flows that add up to its gradient (two or more: a sum)
    placeholders: dict            # equation name -> {input: Val of Dummies}


def placeholders(eq: Equation, c: Config) -> dict:
    """A Dummy per entry of each differentiable input; a class index keeps its value."""
    env = {}
    for name in eq.inputs:
        v = c.values[name]
        if name in c.labels:
            env[name] = v
        else:
            env[name] = make(v.shape, [sympy.Dummy(f"{name}_{i}", real=True) for i in range(len(v.m))])
    return env


def backward(c: Config) -> Backward:
    grads, parts, flows, order, holders = {c.of: c.upstream}, {}, {}, [], {}
    for eq in reversed(c.equations[:_position(c)]):
        if eq.name not in grads:
            continue
        order.append(eq)
        ph = placeholders(eq, c)
        holders[eq.name] = ph
        subs = {d: v for name in eq.inputs if name not in c.labels
                for d, v in zip(ph[name].entries, c.values[name].entries)}
        sent = backprop(eq.rhs, c.values, grads[eq.name], c.labels)
        flows[eq.name] = []
        for name in eq.inputs:
            if name in c.labels:
                continue
            flow = _flow(eq, name, grads[eq.name], sent.get(name), ph, subs, c)
            if not _differentiable(eq, flow, c):
                continue
            flows[eq.name].append(flow)
            parts.setdefault(name, []).append(flow)
            grads[name] = flow.value if name not in grads else _add(grads[name], flow.value)
    return Backward(tuple(order), flows, grads, parts, holders)


def _position(c: Config) -> int:
    return next(k for k, eq in enumerate(c.equations) if eq.name == c.of) + 1


def _flow(eq: Equation, name: str, up: Val, sent: Val | None, ph: dict, subs: dict, c: Config) -> Flow:
    """What flows into ``name`` from ``eq`` (zeros if nothing does), and for scalars the local derivative."""
    v = c.values[name]
    if sent is None:
        sent = make(v.shape, [sympy.Integer(0)] * len(v.m))
    value = sent.map(lambda e: settle(tidy(e)))
    local = formula = None
    if c.shape(eq.name) == () and v.shape == ():
        out = evaluate(eq.rhs, ph)
        formula = _kinks(sympy.diff(out.scalar, ph[name].scalar))
        local = settle(tidy(formula.xreplace(subs)))
        if local.has(*UNDEFINED):             # n x^n / x at x = 0: written n x^(n−1), it is defined
            formula = sympy.powsimp(formula)
            local = settle(tidy(formula.xreplace(subs)))
    return Flow(eq, name, up, value, local, formula)


def _differentiable(eq: Equation, flow: Flow, c: Config) -> bool:
    """False for a given left out of ``wrt`` whose gradient is infinite, undefined or not real at the given
    values (the exponent n of x^n at a negative x): it is not asked for, and is left out. Such a gradient of
    any other name (the square root's slope at 0, ...) is refused: no answer key can show it."""
    entries = [*flow.value.entries, *([flow.local] if flow.local is not None else [])]
    if not any(undefined(e) for e in entries):
        return True
    if flow.wrt in c.given and flow.wrt not in c.wrt:
        return False
    raise FieldError(f"forward[{eq.k + 1}]", f"the gradient flowing from {c.called(eq.name)} into {c.called(flow.wrt)}"
                     " is infinite or undefined at the given values (such as the square root's slope at 0, or a"
                     " power's slope in its exponent at a base of 0 or below)", eq.text,
                     "an equation differentiable at the given values")


TIDY_NODES = 100            # a formula larger than this keeps its fractions as they come


def tidy(e: sympy.Expr) -> sympy.Expr:
    """A number as SymPy evaluates it; a formula with its fractions put together where that is cheap: not in
    a large one (the gradient of σ(σ(σ(σ(x)))) put over one denominator triples in size at every level)."""
    e = sympy.sympify(e)
    if e.is_Rational or e.is_number or nodes(e) > TIDY_NODES:
        return e
    kinked = (sympy.Max, sympy.Min, sympy.Heaviside, sympy.Abs, sympy.sign, sympy.Piecewise, maximum, minimum)
    return sympy.cancel(e) if not e.has(*kinked) else e


def _add(a: Val, b: Val) -> Val:
    return make(a.shape, [x + y for x, y in zip(a.entries, b.entries)])


def gradient(c: Config, b: Backward, name: str) -> Val:
    """∂of/∂name: what flowed into it, or zeros of its shape when ``of`` does not depend on it."""
    if name in b.grads:
        return b.grads[name]
    v = c.values[name]
    return make(v.shape, [sympy.Integer(0)] * len(v.m))
