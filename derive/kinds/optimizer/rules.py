"""PyTorch's update rules (torch.optim, single-tensor code path), each written once over an ``Ops``.

A rule is a formula for one coordinate of one quantity. The same formula is read three ways (``ops``): with
symbols (the rule as the key states it), with the numbers written in (kept as written, unevaluated),
and as a value (exact rational arithmetic; a square root that is not rational becomes a 50-digit
float, and so does every later value it reaches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import sympy

from .ops import Ops, Q

if TYPE_CHECKING:
    from .config import Config


@dataclass(frozen=True)
class Rule:
    """One coordinate of one quantity: ``key`` (torch's state name, or w, grad, ...) from ``formula``."""

    key: str
    formula: Callable[[Ops, Q], sympy.Expr]
    first: bool = False             # SGD's buffer at step 1: b = g (no momentum, no dampening)
    delta: Callable[[Ops, Q], sympy.Expr] | None = None     # the w rule's Δw = w_new − w, written as its own rule


def descent(D, decay: bool = False) -> Rule:
    """w ← w − η·D (AdamW's decoupled decay first: w(1 − ηλ) − η·D), and its Δw = −η·D (−ηλw − η·D)."""
    def w(o, q):
        base = o.mul(q.w, o.sub(1, o.mul(q.lr, q.weight_decay))) if decay else q.w
        return o.sub(base, o.mul(q.lr, D(o, q)))

    def delta(o, q):
        step = o.neg(o.mul(q.lr, D(o, q)))
        return o.sub(step, o.mul(q.lr, q.weight_decay, q.w)) if decay else step
    return Rule("w", w, delta=delta)


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
    if c.form == "velocity":
        return _velocity(c, G)
    if c["momentum"] == 0:
        return [descent(lambda o, q: q[G])]
    if t == 1:
        out = [Rule("momentum_buffer", lambda o, q: q[G], first=True)]
    else:
        out = [Rule("momentum_buffer", lambda o, q: o.add(o.mul(q.momentum, q.momentum_buffer),
                                                         o.mul(o.sub(1, q.dampening), q[G])))]
    if c["nesterov"]:
        return out + [Rule("direction", lambda o, q: o.add(q[G], o.mul(q.momentum, q.momentum_buffer_new))),
                      descent(lambda o, q: q.direction_new)]
    return out + [descent(lambda o, q: q.momentum_buffer_new)]


def _velocity(c: Config, G: str) -> list[Rule]:
    """CS231n's momentum: v ← μv − ηg, w ← w + v; Nesterov's look-ahead form w ← w − μv_prev + (1 + μ)v."""
    out = [Rule("velocity", lambda o, q: o.sub(o.mul(q.momentum, q.velocity), o.mul(q.lr, q[G])))]
    if c["nesterov"]:
        def delta(o, q):
            return o.add(o.neg(o.mul(q.momentum, q.velocity)), o.mul(o.add(1, q.momentum), q.velocity_new))
        return out + [Rule("w", lambda o, q: o.add(q.w, delta(o, q)), delta=delta)]
    return out + [Rule("w", lambda o, q: o.add(q.w, q.velocity_new), delta=lambda o, q: q.velocity_new)]


def _adam(c: Config, t: int, G: str) -> list[Rule]:
    out = [Rule("exp_avg", lambda o, q: o.add(o.mul(q.beta1, q.exp_avg), o.mul(o.sub(1, q.beta1), q[G]))),
           Rule("exp_avg_sq", lambda o, q: o.add(o.mul(q.beta2, q.exp_avg_sq),
                                                 o.mul(o.sub(1, q.beta2), o.pow(q[G], 2))))]
    second = "exp_avg_sq_new"
    if c["amsgrad"]:
        out.append(Rule("max_exp_avg_sq", lambda o, q: o.max(q.max_exp_avg_sq, q.exp_avg_sq_new)))
        second = "max_exp_avg_sq_new"
    out += [Rule("exp_avg_hat", lambda o, q: o.div(q.exp_avg_new, o.sub(1, o.pow(q.beta1, q.t)))),
            Rule("exp_avg_sq_hat", lambda o, q: o.div(q[second], o.sub(1, o.pow(q.beta2, q.t))))]

    decay = c.optimizer == "adamw" and c["weight_decay"] != 0
    return out + [descent(lambda o, q: o.div(q.exp_avg_hat_new, o.add(o.sqrt(q.exp_avg_sq_hat_new), q.eps)), decay)]


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
                      descent(lambda o, q: q.momentum_buffer_new)]
    return out + [descent(lambda o, q: o.div(q[G], denominator(o, q)))]


def _adagrad(c: Config, t: int, G: str) -> list[Rule]:
    def w(o, q):
        return o.sub(q.w, o.mul(q.clr, o.div(q[G], o.add(o.sqrt(q.sum_new), q.eps))))

    def delta(o, q):
        return o.neg(o.mul(q.clr, o.div(q[G], o.add(o.sqrt(q.sum_new), q.eps))))
    return [Rule("sum", lambda o, q: o.add(q.sum, o.pow(q[G], 2))), Rule("w", w, delta=delta)]


def clr(o: Ops, q: Q, t: int):
    """Adagrad's learning rate at step t: lr / (1 + (t - 1) lr_decay)."""
    return o.div(q.lr, o.add(1, o.mul(t - 1, q.lr_decay)))


# The state each optimiser keeps, under torch.optim's names, and its value before the first step.
def state_keys(c: Config) -> tuple[str, ...]:
    name = c.optimizer
    if name == "sgd":
        return () if not c["momentum"] else ("velocity",) if c.form == "velocity" else ("momentum_buffer",)
    if name in ("adam", "adamw"):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if c["amsgrad"] else ())
    if name == "rmsprop":
        return ("square_avg",) + (("momentum_buffer",) if c["momentum"] > 0 else ()) + \
            (("grad_avg",) if c["centered"] else ())
    return ("sum",)


def initial(c: Config, key: str) -> sympy.Rational:
    return c["initial_accumulator_value"] if key == "sum" else sympy.Integer(0)
