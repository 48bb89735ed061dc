"""Trajectories of a<t> = step(a<t-1>), to DIGITS digits: a run that stops where it settles or runs off, and the
run checked at more digits and taken again at rising precision where digits are lost.
"""

from __future__ import annotations

import operator
from typing import Callable

import mpmath
import sympy
from mpmath.libmp import mpf_pos, mpf_sub

from ...numeric import Unsupported, value_at
from ...precision import DIGITS
from .domain import OutsideDomain
from .limits import DIVERGED, PREC, ROUND


class Escaped(Exception):
    """The next state overflows to infinity (an exponential beyond reach on the way, numeric.limit): the state has
    run off, and ``state`` is it with its infinities."""

    def __init__(self, state):
        super().__init__("the state overflows")
        self.state = state


def largest(state: list):
    """A state's size: its largest |entry|."""
    return max(abs(v) for v in state)


def first_exactly(exprs, variables, start, digits: int = DIGITS) -> list | None:
    """a<1> from an exact a<0> (rational entries): in each entry (the previous state's ``variables`` -> the next
    state's entry) the linear forms of the state, W a + c, taken exactly before the rest is computed at ``digits``,
    so that a pre-activation cancelling to 0 is 0 (0.05 * 0.2 - 0.04 * 0.25 in binary is 10^-53, and the run from
    it no precision settles); None where a<0> is not exact or an entry is not a finite real number (the
    usual step then takes it, and says why)."""
    values = dict(zip(variables, start))
    if not all(isinstance(v, sympy.Rational) for v in values.values()):
        return None
    out = []
    for e in exprs:
        try:
            v = value_at(_exact_linear(e, values), digits, values)
        except (Unsupported, ArithmeticError, ValueError):       # (beyond reach: the usual step says how)
            return None
        if type(v) is not mpmath.mpf or not mpmath.isfinite(v):
            return None
        out.append(v)
    return out


def _exact_linear(expr, values: dict):
    """expr with each sum of exact multiples of the variables (and an exact number) replaced by its exact value."""
    def linear(x) -> bool:
        return x.is_Add and bool(x.free_symbols) and x.free_symbols <= set(values) and all(_exact_term(t, values)
                                                                                           for t in x.args)
    return expr.replace(linear, lambda x: x.xreplace(values))


def _exact_term(term, values: dict) -> bool:
    coeff, rest = term.as_coeff_Mul()
    return (term.is_number or rest in values) and coeff.is_number and not term.has(sympy.Float)


def starting(step: Callable, first) -> Callable:
    """The step, answering ``first`` (a<1>, when there is one) for its first call, from a<0>."""
    if first is None:
        return step
    pending = [first]

    def stepping(state):
        return pending.pop() if pending else step(state)
    return stepping


def run(step: Callable, start, n: int, settle_after: int, size: Callable, digits: int = DIGITS) -> list:
    """start, step(start), ... (n steps at most, at ``digits``): stops at a non-finite state (dropped), past
    DIVERGED in size (kept) unless one of the next PEEK states comes back below it (e^(-a) from a<0> = -1000:
    e^1000, then 10^(-8.6e433), then about 1, settling at 0.567...), at a state that overflows to infinity (kept,
    as the step raises it: Escaped), or once stationary after settle_after steps (with more digits than DIGITS:
    once two states are one at DIGITS)."""
    out = [start]
    same = operator.eq if digits == DIGITS else _same_at_digits
    with mpmath.workdps(digits):
        while len(out) <= n:
            try:
                nxt = step(out[-1])
            except Escaped as escape:
                out.append(escape.state)
                break
            if not _finite(nxt):
                break
            out.append(nxt)
            if size(nxt) > DIVERGED:
                back = _back(step, nxt, size, min(PEEK, n + 1 - len(out)))
                if back is None:
                    break
                out += back
            elif len(out) - 2 > settle_after and same(out[-1], out[-2]):
                break
    return out


def _same_at_digits(a, b) -> bool:
    """Whether two states (numbers or lists of them) round to the same numbers at DIGITS."""
    pairs = zip(a, b) if isinstance(a, list) else ((a, b),)
    return all(type(x) is type(y) is mpmath.mpf and mpf_pos(x._mpf_, PREC, ROUND) == mpf_pos(y._mpf_, PREC, ROUND)
               for x, y in pairs)


PEEK = 5        # steps looked ahead from a state past DIVERGED for one back below it


def _back(step: Callable, state, size: Callable, steps: int) -> list | None:
    """The states after one past DIVERGED up to the first back below it (within ``steps``), or None when
    none comes back (they stay beyond, overflow or are not finite): the state runs off."""
    ahead = []
    for _ in range(steps):
        try:
            state = step(state)
        except Escaped:
            return None
        if not _finite(state):
            return None
        ahead.append(state)
        if size(state) <= DIVERGED:
            return ahead
    return None


def _finite(state) -> bool:
    """A real, finite state (a complex value, as from the root of a negative number, ends the run too)."""
    values = state if isinstance(state, list) else [state]
    return all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in values)


# --- enough digits ----------------------------------------------------------------------------
# A trajectory is computed at DIGITS, then checked by a run at DIGITS + GUARD: where the two differ beyond AGREE
# digits (digits lost: an iteration that amplifies rounding, 4z(1 - z) over 400 steps losing about 120; a
# cancellation inside the activation, ln(1 + e^z) at z = -1000 coming out 0), or where a pre-activation is
# past 10^HUGE (e^z at z ~ 10^50 needs z's digits beyond the 50th for its own first ones), it is computed
# again at rising precision until two runs agree to DIGITS + 5 digits in every state and every value derived
# from the states (the factors, the Jacobians): those, rounded to DIGITS, are the trajectory.

GUARD = 20                # the extra digits of the run that checks a trajectory
AGREE = DIGITS - 10       # the digits the two runs must share for the DIGITS run to stand
HUGE = 10                 # a pre-activation past 10^HUGE sends the trajectory to rising precision
FIRST_MOST = 2000         # the most digits the rising precision starts at
PRECISE_DIGITS = 8000     # the most digits a trajectory is computed at (e^z at z ~ 10^1233 needs about 1300)


def checked_run(states: list, at: Callable, n: int, settle_after: int, huge: int,
                again: Callable | None = None) -> tuple[list, list | None]:
    """(states, None) when a run with more digits agrees with the given DIGITS run to AGREE digits and no
    pre-activation passes 10^HUGE (``huge``: its largest's digits); else (states, derived) from runs at rising
    precision, ``at(n, settle_after, digits, derived?)`` -> (states, derived values or None), once two agree
    to DIGITS + 5 digits: the states rounded to DIGITS. The run with more digits is ``again(steps)``'s where it
    gives one (the checker's own, orbits.run_states, which it then need not make again), else at's at
    DIGITS + GUARD. Refused (OutsideDomain) when none agree by PRECISE_DIGITS."""
    lost = 0
    if huge <= HUGE:
        finer = again(len(states) - 1) if again is not None else None
        if finer is None:
            finer = at(len(states) - 1, len(states), DIGITS + GUARD, False)[0]
        lost = _lost(states, finer)
        if lost <= DIGITS - AGREE:
            return states, None
    digits, last = min(DIGITS + lost + max(huge, 0) + GUARD, FIRST_MOST), None
    while digits <= PRECISE_DIGITS:
        got = at(n, settle_after, digits, True)
        if last is not None and _lost(last[0], got[0], DIGITS + 5) == 0 and _lost(last[1], got[1], DIGITS + 5) == 0:
            with mpmath.workdps(DIGITS):
                return [[+v for v in s] if isinstance(s, list) else +s for s in got[0]], got[1]
        last, digits = got, 2 * digits
    raise OutsideDomain("activation", f"the states from a<0> do not settle to {DIGITS} digits even with"
                        f" {PRECISE_DIGITS} digits of working precision: each step amplifies the rounding of the"
                        " last", expected="a trajectory whose digits a few thousand digits of working precision"
                        " can compute")


def _lost(first: list, second: list, digits: int = DIGITS) -> int:
    """How many of ``digits`` significant digits two runs' values (numbers, lists of numbers, None) do not
    share at worst: 0 when they agree to ``digits`` digits everywhere, ``digits`` when they differ in length,
    in an infinity or in a value that is not a real number."""
    first, second = list(_flat(first)), list(_flat(second))
    if len(first) != len(second):
        return digits
    worst, mpf = 0, mpmath.mpf
    for u, v in zip(first, second):
        if type(u) is not mpf or type(v) is not mpf:
            if u is None or v is None:
                if u is not v:
                    return digits
                continue
            if u == v:
                continue
            return digits
        a, b = u._mpf_, v._mpf_
        if a == b and a != _NAN:
            continue
        if not (a[1] and b[1]):                # 0, an infinity or nan (no mantissa) beside another value
            return digits
        gap = _bits(mpf_sub(a, b, 32)) - max(_bits(a), _bits(b))                   # log2 of the gap
        worst = max(worst, min(digits, digits + int(gap * 0.30103) + 1))
    return worst


_NAN = mpmath.libmp.fnan


def _flat(values):
    """The numbers (and Nones) in nested lists and tuples, in order."""
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _bits(raw) -> int:
    """A raw mpf value's binary magnitude: 2^(bits - 1) <= |x| < 2^bits (x not 0, finite)."""
    return raw[2] + raw[3]


def z_digits(W, c, states: list) -> int:
    """About the digits of the integer part of the largest |W a + c| over the states (numbers, or lists of
    numbers with W a bound on the matrix's largest row sum and c on the vector's largest entry), from the
    binary exponents alone."""
    zero = W == 0
    scale = 0 if zero else _bits(abs(W)._mpf_)
    top = _bits(abs(c)._mpf_) if c != 0 else -10**9
    if not zero:
        for state in states:
            for a in (state if isinstance(state, list) else [state]):
                if type(a) is mpmath.mpf and a._mpf_[1]:          # (a mantissa: finite and not 0)
                    top = max(top, _bits(a._mpf_) + scale)
    return max(0, int((top + 1) * 0.30103) + 1)


def digits_cancelled(terms, z) -> int:
    """The digits a pre-activation z lost cancelling terms of the size ``terms`` (raw-free mpmath numbers):
    0 when none, DIGITS when z came out 0 from terms that are not (W a<1> + c at a<1> = tanh(83.3) = 1 - 10^-72,
    rounded to 1)."""
    if not terms or not mpmath.isfinite(terms) or type(z) is not mpmath.mpf:
        return 0
    if not z:
        return DIGITS
    return max(0, int((_bits(terms._mpf_) - _bits(z._mpf_)) * 0.30103))


def digits_of(value) -> int:
    """The decimal digits of a number's integer part, about (0 below 1; a non-finite or non-real value: 0)."""
    if type(value) is not mpmath.mpf or not mpmath.isfinite(value) or value == 0:
        return 0
    return max(0, int(mpmath.mag(value) * 0.30103) + 1)
