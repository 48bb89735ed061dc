"""A long run's steps after the first: the same rules (``rules``) and schedules (``schedule``), read with 50-digit
binary floats instead of SymPy's numbers (gmpy2's MPFR where it is installed, as derive's dependencies install it
on CPython; mpmath otherwise), so that ten thousand steps take about a second. The values are those the exact
arithmetic would give, to about 50 digits; the JSON answer, the table and the figure read them."""

from __future__ import annotations

import contextlib

import mpmath
import sympy

from ... import numeric
from ...fields import FieldError
from ...precision import DIGITS
from .config import Config
from .ops import Ops, Q
from .rules import clr, rules
from .schedule import momentum, numbers, rate
from .iterate import Step, bounded, hyper_values, zero_denominator

try:
    import gmpy2
except ImportError:                      # pragma: no cover - gmpy2 is a dependency on CPython
    gmpy2 = None
BITS = mpmath.libmp.dps_to_prec(DIGITS)


class Fast(Ops):
    """Arithmetic on binary floats of BITS bits (in ``working()``): Python's operators, and the library's
    square root, cosine and floor."""

    def add(self, *xs):
        return sum(xs[1:], xs[0])

    def sub(self, a, b):
        return a - b

    def neg(self, a):
        return -a

    def mul(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out

    def div(self, a, b):
        if b == 0:
            raise ZeroDivisionError
        return a / b

    def pow(self, a, n):
        return a ** n

    def sqrt(self, a):
        return (gmpy2 or mpmath).sqrt(a) if a > 0 else a * 0      # a variance below 0 only by rounding

    def max(self, a, b):
        return a if a >= b else b

    def number(self, x):
        return mp(x)

    def min(self, a, b):
        return a if a <= b else b

    def floor(self, a):
        return (gmpy2 or mpmath).floor(a)

    def cos_pi(self, a):
        return gmpy2.cos(gmpy2.const_pi() * a) if gmpy2 else mpmath.cospi(a)


FAST = Fast()
FAR = 10 ** 100          # iterate.LIMIT


def working():
    """The context the fast numbers are made and computed in."""
    if gmpy2 is not None:
        return gmpy2.context(gmpy2.get_context(), precision=BITS)
    return contextlib.nullcontext() if mpmath.mp.prec == BITS else mpmath.workprec(BITS)


def mp(x):
    """A SymPy number, an int or an mpmath number as a fast number (in ``working()``)."""
    if isinstance(x, sympy.Basic) and not x.is_Rational:
        x = numeric.evaluate(x)
    if isinstance(x, mpmath.mpf):
        sign, man, exp, _ = x._mpf_
        return gmpy2.mul_2exp(gmpy2.mpfr(-man if sign else man), exp) if gmpy2 else x
    x = sympy.Rational(x)
    return gmpy2.mpfr(gmpy2.mpq(int(x.p), int(x.q))) if gmpy2 else mpmath.mpf(int(x.p)) / int(x.q)


def to_mpmath(x) -> mpmath.mpf:
    """A fast number as an mpmath number (exactly)."""
    if gmpy2 is None or isinstance(x, mpmath.mpf):
        return x
    man, exp = x.as_mantissa_exp()
    return mpmath.mp.make_mpf(mpmath.libmp.from_man_exp(int(man), int(exp)))


def to_sympy(x) -> sympy.Float:
    return sympy.Float(to_mpmath(x), DIGITS) if not isinstance(x, sympy.Basic) else x


class Rates:
    """The scheduled hyper-parameters of each step in mpmath: each scheduler's arguments converted once."""

    def __init__(self, c: Config):
        self.c = c
        self.q = {}
        if c.schedule is not None:
            for sub in c.schedule.parts or (c.schedule,):
                self.q[id(sub)] = Q({k: mp(v) for k, v in numbers(sub, c["lr"]).items()})

    def __call__(self, t: int) -> dict:
        s = self.c.schedule
        if s is None:
            return {}
        sub, e = s.at(t - 1)
        q = self.q[id(sub)]
        out = {"lr": rate(sub, FAST, q, mp(e))}
        if self.c.cycled:
            out[self.c.cycled] = momentum(sub, FAST, q, mp(e))
        return out


def gradients(c: Config):
    """A function (t, w) -> the gradient of step t at w, in mpmath: given, or the loss's partial derivatives."""
    if c.gradients is not None:
        given = [tuple(mp(g) for g in grad) for grad in c.gradients]
        return lambda t, w: given[t - 1]
    loss = numeric.compile(c.loss, c.variables)
    partials = [numeric.compile(sympy.diff(c.loss, v), c.variables) for v in c.variables]

    def at(t: int, w):
        point = [to_mpmath(x) for x in w]
        with mpmath.workprec(BITS):
            values = [p(*point) for p in partials]
            level = loss(*point)
        for what, v in (("it", level), *(("its gradient", v) for v in values)):
            if not (isinstance(v, mpmath.mpf) and mpmath.isfinite(v)):
                where = ", ".join(mpmath.nstr(x, 6) for x in point)
                raise FieldError("loss", f"{what} is not a finite real number at step {t} (at w = {where})",
                                 c.loss_text, "a loss defined along the iterates")
        return tuple(mp(v) for v in values)
    return at


def run(c: Config, last: Step) -> list[Step]:
    """The steps after ``last`` up to c.steps, each as Step with its gradient, w and state (mpmath numbers)."""
    out = []
    with working():
        base = {k: mp(v) for k, v in hyper_values(c).items()}
        grad_at, rates = gradients(c), Rates(c)
        w = tuple(mp(x) for x in last.w)
        state = {k: [mp(x) for x in v] for k, v in last.state}
        kept = rules(c, last.t + 1)            # the same rules from the second step on
        for t in range(last.t + 1, c.steps + 1):
            scheduled = rates(t)
            hyper = {**base, **scheduled}
            grad = grad_at(t, w)
            step_clr = clr(FAST, Q(hyper), t) if c.optimizer == "adagrad" else None
            new = [_coordinate(c, kept, t, i, w[i], grad[i], state, hyper, step_clr) for i in range(c.n)]
            state = {k: [v[k] for v in new] for k in state}
            out.append(Step(t, w, (("grad", grad), ("w", tuple(v["w"] for v in new))),
                            tuple((k, tuple(v)) for k, v in state.items()), step_clr, tuple(scheduled.items())))
            w = out[-1].w
    return out


def _coordinate(c: Config, kept: list, t: int, i: int, w, g, state: dict, hyper: dict, step_clr) -> dict:
    """Coordinate i's rules at step t: the new values by key."""
    q = Q(hyper)
    q["w"], q["t"], q["grad"], q["grad_new"] = w, t, g, g
    q.update({k: v[i] for k, v in state.items()})
    if step_clr is not None:
        q["clr"] = step_clr
    out = {}
    for rule in kept:
        try:
            value = rule.formula(FAST, q)
        except ZeroDivisionError:
            raise zero_denominator(c, t, i) from None
        if abs(value) > FAR:
            bounded(c, to_sympy(value), t)
        out[rule.key] = q[rule.key + "_new"] = value
        if rule.key == "grad_wd":
            q["grad_wd"] = value
    return {k: out.get(k, q.get(k)) for k in ("w", *state)}
