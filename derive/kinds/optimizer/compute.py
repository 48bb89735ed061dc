"""The analysis: every quantity of every step, per coordinate, as exact numbers (or 50-digit floats). A long run
(more than NARRATED steps) has its first FIRST steps so, the rest in 50-digit mpmath (``fast``)."""

from __future__ import annotations

import functools

import sympy

from ...fields import FieldError
from ...precision import DIGITS
from .config import Config
from .ops import SYMBOLIC, VALUES, Q, tame
from .rules import clr, initial, rules, state_keys
from .schedule import momentum, numbers, rate_at
from .iterate import Step, bounded, hyper_values, zero_denominator

FIRST = 3                # the steps of a long run derived one by one


def scheduled(c: Config, t: int) -> dict:
    """The hyper-parameters the scheduler sets for step t (after t − 1 scheduler steps), exact: lr, and
    OneCycleLR's momentum (beta1)."""
    if c.schedule is None:
        return {}
    out = {"lr": rate_at(c.schedule, SYMBOLIC, c["lr"], t - 1)}
    if c.cycled:
        out[c.cycled] = momentum(c.schedule, SYMBOLIC, Q(numbers(c.schedule, c["lr"])), t - 1)
    return out


@functools.lru_cache(maxsize=8)
def trajectory(c: Config) -> tuple[Step, ...]:
    """Every step, from w0 and the initial state: exactly (all of them, or a long run's first FIRST), then in
    50-digit mpmath."""
    w = c.w0
    state = {key: (initial(c, key),) * c.n for key in state_keys(c)}
    out = []
    for t in range(1, (FIRST if c.long else c.steps) + 1):
        rates = scheduled(c, t)
        hyper = {**hyper_values(c), **{k: tame(v) for k, v in rates.items()}}
        grad = gradient(c, t, w)
        step_clr = clr(VALUES, Q(hyper), t) if c.optimizer == "adagrad" else None
        values = {"grad": grad}
        for rule in rules(c, t):
            values[rule.key] = tuple(_one(c, rule, t, i, w, state, values, hyper, step_clr) for i in range(c.n))
        state = {key: values.get(key, state[key]) for key in state}
        w = values["w"]
        out.append(Step(t, out[-1].w if out else c.w0, tuple(values.items()), tuple(state.items()), step_clr,
                        tuple(rates.items())))
    if c.long:
        from .fast import run
        out += run(c, out[-1])
    return tuple(out)


def inputs(c: Config, t: int, i: int, w, state: dict, values: dict, hyper: dict, step_clr) -> Q:
    """The inputs of coordinate i's rules: previous state, this step's values so far, hyper-parameters."""
    q = Q(hyper)
    q["w"], q["t"] = w[i], t
    q.update({key: vals[i] for key, vals in state.items()})
    for key, vals in values.items():
        q[key + "_new"] = vals[i]
        if key in ("grad", "grad_wd"):
            q[key] = vals[i]
    if step_clr is not None:
        q["clr"] = step_clr
    return q


def _one(c: Config, rule, t: int, i: int, w, state, values, hyper, step_clr):
    q = inputs(c, t, i, w, state, values, hyper, step_clr)
    try:
        value = rule.formula(VALUES, q)
    except ZeroDivisionError:
        raise zero_denominator(c, t, i) from None
    bounded(c, value, t)
    return value


def gradient(c: Config, t: int, w) -> tuple[sympy.Expr, ...]:
    """The gradient of step t: given, or the loss's gradient at w (before the step)."""
    if c.gradients is not None:
        return c.gradients[t - 1]
    point = dict(zip(c.variables, w))
    level = sympy.N(c.loss.xreplace(point), DIGITS)
    if not (level.is_real and level.is_finite) or level.has(sympy.zoo, sympy.nan, sympy.I):
        at = ", ".join(sympy.sstr(sympy.N(x, 6)) for x in w)
        raise FieldError("loss", f"it is not a finite real number at step {t} (at w = {at})", c.loss_text,
                         "a loss defined along the iterates")
    out = []
    for v in c.variables:
        value = sympy.diff(c.loss, v).xreplace(point)
        if not value.is_Rational:
            value = sympy.N(value, DIGITS)
        if not (value.is_real and value.is_finite) or value.has(sympy.zoo, sympy.nan, sympy.I):
            at = ", ".join(sympy.sstr(sympy.N(x, 6)) for x in w)
            raise FieldError("loss", f"its gradient is not a finite real number at step {t} (at w = {at})",
                             c.loss_text, "a loss defined along the iterates")
        value = tame(value)
        bounded(c, value, t)
        out.append(value)
    return tuple(out)
