"""The numeric side of a recurrence a<t> = phi(W a<t-1> + c), to 50 digits: one unit (``Recurrence``,
W and c numbers) and several (``VectorRecurrence``, W a matrix, c a vector, phi elementwise).

Trajectories, fixed points (Newton's method, and Newton on g/g' at multiple roots), all fixed points
in a window, attracting cycles, the gradient along a trajectory, and the comparison of a factor with 1.
Pure functions of (phi, W, c); no prose, no printing.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Callable

import mpmath
import sympy
from mpmath.libmp import from_man_exp, fzero, mpf_add, mpf_mul, mpf_pos, mpf_sub, mpf_sum
from sympy import ImmutableMatrix

from ..check import is_zero
from ..fields import FieldError, check_int
from ..numeric import (MAX_MAGNITUDE, Unsupported, accurate, accurate_at, compile as compile_numeric, compile_at,
                       evaluate, limit, shown, small_rational, to_sympy, value_at)
from ..precision import DEEPEST, DIGITS, DRIFT, RESIDUAL, SAME_ROOT, SETTLED, STEP_TINY, ZERO
from . import orbits
from .activations import composed_derivative
from .rnn_notation import A_PREV, A_STAR, Z, previous

DIVERGED = 10**300      # beyond this a state has left every bounded region (and float64)
BOUNDED = 1e6           # states beyond this are not looked at for fixed points and cycles
MAX_PERIOD = 8
T_EVIDENCE = 100        # the long T whose |da<T>/da<0>| each stability answer states (the spec's T, by default)
MAX_T = 1000            # the largest T a spec may ask for: the evidence multiplies T Jacobians at 50 digits
MAX_ITERATES = 400
PREC, ROUND = mpmath.libmp.dps_to_prec(DIGITS), mpmath.libmp.round_nearest   # DIGITS as mpmath works at it


def iterates(T: int) -> tuple[int, int]:
    """(steps, settle_after) for a trajectory that must reach T: the usual MAX_ITERATES, or twice T for a
    long T; never stopped as stationary before T (or T_EVIDENCE)."""
    return max(MAX_ITERATES, 2 * T), max(T_EVIDENCE, T)


def long_T(values: dict) -> int:
    """The spec's T: the sequence length of the evidence |da<T>/da<0>| (default T_EVIDENCE)."""
    return check_int(values.get("T", T_EVIDENCE), "T", minimum=1, maximum=MAX_T)
NEWTON_STEPS = 60


class Escaped(Exception):
    """The next state overflows to infinity (an exponential beyond reach on the way, numeric.limit): the state has
    run off, and ``state`` is it with its infinities."""

    def __init__(self, state):
        super().__init__("the state overflows")
        self.state = state


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


def _z_digits(W, c, states: list) -> int:
    """About the digits of the integer part of the largest |W a + c| over the states (numbers, or lists of
    numbers with W a bound on the matrix's largest row sum and c on the vector's largest entry), from the
    binary exponents alone."""
    zero = W == 0
    scale = 0 if zero else _bits(abs(W)._mpf_)
    top = _bits(abs(c)._mpf_) if c != 0 else -10**9
    for state in states:
        for a in (state if isinstance(state, list) else [state]):
            if not zero and type(a) is mpmath.mpf and a != 0 and mpmath.isfinite(a):
                top = max(top, _bits(a._mpf_) + scale)
    return max(0, int((top + 1) * 0.30103) + 1)


def _cancelling(terms, z) -> int:
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


def newton(update: Callable, start, size: Callable) -> tuple:
    """Iterate a -> a - update(a): (a, "done") once a step is below STEP_TINY, (a, "stuck") when the
    update is None (a zero slope, say), (a, "slow") after NEWTON_STEPS. Call inside mpmath.workdps(DIGITS).
    A number that comes back exactly (Newton's method cycling where there is no root) repeats its cycle to
    the last step, so the state after NEWTON_STEPS is read off the cycle instead of iterated to."""
    a, seen, states = start, {}, []
    for k in range(NEWTON_STEPS):
        if seen is not None and isinstance(a, mpmath.mpf):          # states[k] is the state after k steps
            if a._mpf_ in seen:
                first = seen[a._mpf_]
                return states[first + (NEWTON_STEPS - first) % (k - first)], "slow"
            seen[a._mpf_] = k
            states.append(a)
        else:
            seen = None                                             # not a real number: no cycle looked for
        delta = update(a)
        if delta is None:
            return a, "stuck"
        a = a - delta
        if size(delta) < STEP_TINY:
            return a, "done"
    return a, "slow"


EXACT_BITS = 10_000     # the most bits of an exact number SymPy may build substituting a state (as mathparse's)


def exact_at(expr: sympy.Expr, z) -> sympy.Expr | None:
    """expr (in Z) with the exact number z in place of Z, or None where SymPy would choke on the way: a power of a
    rational whose exponent depends on z building a number beyond EXACT_BITS (2^z at z = 10^10 is a 3-billion-digit
    integer, z^(z^2) at 10^4 a 400-million-digit one), or an exponential beyond reach (numeric.limit: SymPy's
    assumptions evaluate ln cosh e^(e^(10^6)) numerically, for minutes). The caller then goes numeric."""
    if not expr.has(Z):
        return expr
    if limit(expr, (Z,), evaluate(z)) is not None:
        return None
    for node in sympy.postorder_traversal(expr):          # inner powers first: their values are then safe to build
        if node.is_Pow and node.exp.has(Z) and _too_many_bits(node.base.subs(Z, z), node.exp.subs(Z, z)):
            return None
    return expr.subs(Z, z)


def _too_many_bits(base, exp) -> bool:
    """Whether SymPy, raising base to exp (numbers), would build an exact number beyond EXACT_BITS."""
    if not exp.is_Rational or not base.is_number or base in (0, 1, -1):
        return False
    if base.is_Rational:
        return (abs(base.p).bit_length() + base.q.bit_length()) * abs(exp) > EXACT_BITS
    return abs(exp) > EXACT_BITS // 64           # an algebraic base (2^(1/2)) is rewritten as a rational's power


def _binary(a) -> sympy.Rational | None:
    """A state's number as the exact rational its binary digits are (a Float inside tanh would make SymPy
    evaluate it at the Float's precision at once); None where that rational would have more than EXACT_BITS
    bits (a state of 2^(-10^436), as 1/(1 + e^(e^z)) reaches, is no number to write out)."""
    value = a if isinstance(a, mpmath.mpf) else mpmath.mpf(a._mpf_) if isinstance(a, sympy.Float) else None
    if value is None:
        return sympy.sympify(a)
    sign, man, exp, _ = value._mpf_
    if abs(exp) > EXACT_BITS:
        return None
    return (-1) ** sign * sympy.Integer(man) * sympy.Integer(2) ** exp


def slope_value(dphi: sympy.Expr, z):
    """phi'(z) at a numeric pre-activation z, as SymPy evaluates it; computed again at rising precision when it
    comes out below ZERO from a difference (tanh's 1 − tanh²(z) is 0 at 50 digits past |z| ~ 57)."""
    value = dphi.subs(Z, z)
    tiny = value == 0 or (value.is_Float and abs(value) < ZERO)
    if not (tiny and dphi.has(sympy.Add)):
        return value
    z = _binary(z)
    exact = exact_at(dphi, z) if z is not None else None
    finer = _finer(exact) if exact is not None else None
    return to_sympy(finer) if finer is not None else value


def refined_at(expr: sympy.Expr, symbols: tuple, state: list, value, field: str = "activation"):
    """expr (in the symbols) at a state (mpmath numbers), where compiled it came out below ZERO from a difference
    (a gated cell's (h − n) z (1 − z) where h and n nearly agree): at rising precision at the numbers the state
    is (numeric.accurate_at, up to SLOPE_DIGITS). Refused (OutsideDomain, naming ``field``) where it does not
    settle by then; 0 where it is 0 at every precision up to there."""
    if not (type(value) is mpmath.mpf and abs(value) < ZERO and expr.has(sympy.Add)):
        return value
    finer = _accurate_at(expr, symbols, tuple(v._mpf_ if type(v) is mpmath.mpf else v for v in state))
    if finer is None:
        raise OutsideDomain(field, "a derivative of the step along the trajectory comes out below 10^-30 from a"
                            f" difference, and its digits do not settle up to {SLOPE_DIGITS} digits",
                            expected="values whose derivatives a few thousand digits can compute")
    return finer


@functools.lru_cache(maxsize=1024)
def _accurate_at(expr: sympy.Expr, symbols: tuple, raw: tuple):
    """refined_at's value at a state given by its raw mpf values (remembered: a settled state repeats)."""
    with mpmath.workdps(DIGITS):
        values = tuple(mpmath.mpf(v) if isinstance(v, tuple) else v for v in raw)
        finer = accurate_at(expr, symbols, values, compile_numeric(expr, symbols)(*values), AGREE, SLOPE_DIGITS)
        return None if finer is None else +finer


@functools.lru_cache(maxsize=256)
def cancelled(phi: sympy.Expr, z, where):
    """phi(z) (z an exact number, or None where it has none) where it came out 0 from a difference at the
    working precision (ln(1 + e^z) at z = -1000 is 0 until ~440 digits): exactly where SymPy gives a rational,
    else at rising precision (numeric.accurate, up to SLOPE_DIGITS). Refused (OutsideDomain, at ``where``, z's
    value) when it is 0 at every precision up to there without being 0 exactly: it cancels beyond them."""
    exact = exact_at(phi, z) if z is not None else None
    if exact is not None and exact.is_Rational:
        return evaluate(exact)
    finer = _finer(exact) if exact is not None else None
    if not finer:
        raise refusal("the state", where, "the activation", f"comes out 0 at every precision up to {SLOPE_DIGITS}"
                      " digits without being 0 exactly: it cancels beyond them")
    with mpmath.workdps(DIGITS):
        return +finer


def refined(dphi: sympy.Expr, z, value):
    """phi'(z) (compiled: value) at a pre-activation z (an mpmath number), right to DIGITS where it came out below
    ZERO from a difference: computed again at rising precision at the exact number z is (as slope_value);
    refused where it cancels beyond SLOPE_DIGITS (tiny_slope)."""
    if not (type(value) is mpmath.mpf and abs(value) < ZERO and dphi.has(sympy.Add)):
        return value
    b = _binary(z)
    exact = exact_at(dphi, b) if b is not None else None
    if exact is None:
        return value
    with mpmath.workdps(DIGITS):
        return +tiny_slope(exact, z)


def tiny_slope(exact: sympy.Expr, z):
    """An exact slope's value at rising precision (_finer), where at DIGITS it cancelled to below ZERO: 0 where it
    is 0 at every precision up to SLOPE_DIGITS (below 10^-6900 or so, an underflow: the slope of tanh(e^z) at
    z = 3001, 10^(-10^1303)); refused (OutsideDomain, at the pre-activation z) where it is not 0 there but its
    digits have not settled (1 − tanh²(z) at |z| ~ 7700 first comes out at 7680 digits, with none to confirm it)."""
    finer = _finer(exact)
    if finer is None:
        raise OutsideDomain("activation", f"the state reaches z = {mpmath.nstr(z, 6)}, where the slope of the"
                            f" activation comes out 0 at {DIGITS} digits from a difference, and its digits do not"
                            f" settle up to {SLOPE_DIGITS} digits", expected="states where the slope can be"
                            f" computed with {SLOPE_DIGITS} digits (1 − tanh²(z) up to |z| ~ 4300)")
    return finer


def _finer(exact: sympy.Expr):
    """An exact slope's value at rising precision (numeric.accurate, up to SLOPE_DIGITS), or None."""
    try:
        finer = accurate(exact, DIGITS, SLOPE_DIGITS)
    except (Unsupported, ArithmeticError, ValueError):
        return None
    return finer if isinstance(finer, mpmath.mpf) else None


SLOPE_DIGITS = DEEPEST      # the most digits a tiny slope is computed at (tanh's 1 − tanh²(z) up to |z| ~ 8000)


@dataclass(frozen=True)
class Recurrence:
    """a<t> = phi(W a<t-1> + c) with phi' = dphi (ReLU'(0) = 0)."""

    phi: sympy.Expr
    dphi: sympy.Expr
    W: sympy.Rational
    c: sympy.Rational

    def map(self):
        """a -> phi(W a + c), compiled."""
        return self._compiled[0]

    def slope(self):
        """a -> W phi'(W a + c), the one-step factor at state a, compiled."""
        return self._compiled[1]

    @functools.cached_property
    def expressions(self) -> tuple:
        """(phi(W a + c), W phi'(W a + c)) in a<t-1>."""
        z = self.W * A_PREV + self.c
        return self.phi.subs(Z, z), self.W * self.dphi.subs(Z, z)

    @functools.cached_property
    def _compiled(self) -> tuple:
        return tuple(compile_numeric(e, (A_PREV,)) for e in self.expressions)

    @functools.cached_property
    def orbit_maps(self) -> tuple:
        """The recurrence as the checker's own runs take it (orbits.maps: the step, the factor W phi'(W a + c))."""
        return orbits.maps((A_PREV,), self.expressions[:1], self.expressions[1:], ImmutableMatrix([[1]]))

    def trajectory(self, a0, n: int = MAX_ITERATES, settle_after: int = T_EVIDENCE) -> list:
        """a<0>, ..., a<n>; stops once stationary (past settle_after) or beyond DIVERGED (kept; a state that
        overflows, e^(e^z) at z = 10^4, say, is kept as the infinity it overflows to: SymPy's oo or -oo). Every
        state right to DIGITS (checked_run): where 50 digits do not give them, the states and the factors at
        them (remembered for factor_at) come from runs at rising precision."""
        states = run(self._escaping(self.map()), evaluate(a0), n, settle_after, abs)
        states, factors = checked_run(states, self._run_at(a0), n, settle_after, self._sensitive(states[:-1]),
                                      lambda k: _numbers(orbits.run_states(self.orbit_maps, a0, k)))
        out = [to_sympy(v) for v in states]
        for a, v, factor in zip(out, states, factors or ()):
            if factor is not None and self._sensitive([v]) > HUGE:     # (elsewhere 50 digits of the state do)
                self._factors[a._mpf_ if isinstance(a, sympy.Float) else a] = factor
        return out

    def _sensitive(self, states: list) -> int:
        """How many digits beyond DIGITS a value at these states may need, about: those of the largest
        pre-activation's integer part (e^z needs z's), or those a pre-activation lost cancelling W a against c."""
        with mpmath.workdps(DIGITS):
            W, c = evaluate(self.W), evaluate(self.c)
            lost = max((_cancelling(abs(W * a) + abs(c), W * a + c) for a in states if c and type(a) is mpmath.mpf
                        and mpmath.isfinite(a)), default=0)
        return max(_z_digits(W, c, states), lost)

    def _escaping(self, step: Callable) -> Callable:
        """The step, raising Escaped where the next state overflows to an infinity (numeric.limit) and refusing
        one beyond reach that is not an infinity."""
        expr, cancels = self.expressions[0], self.phi.has(sympy.Add)

        def escaping(a):
            value = step(a)
            if type(value) is mpmath.mpf and mpmath.isnan(value):
                beyond = limit(expr, (A_PREV,), a)
                if beyond is not None and mpmath.isinf(beyond):
                    raise Escaped(beyond)
                if beyond is not None:                   # nan on the way, or a finite value: no state to go on from
                    raise refusal("the state", evaluate(self.W) * a + evaluate(self.c), "the activation", BEYOND)
            if cancels and type(value) is mpmath.mpf and not value and type(a) is mpmath.mpf:
                return self._zero(a)                    # (ln(1 + e^z) at z = -1000 is 0 until ~440 digits)
            return value
        return escaping

    def _zero(self, a):
        """phi(W a + c) where it came out 0 from a difference (dynamics.cancelled)."""
        b = _binary(a)
        return cancelled(self.phi, self.W * b + self.c if b is not None else None, evaluate(self.W) * a + evaluate(self.c))

    def _run_at(self, a0) -> Callable:
        """(steps, settle_after, digits, factors?) -> (the trajectory at that many digits, the factors |W phi'(z)|
        at its states but the last, or None): checked_run's runs."""
        expr, slope = self.expressions

        def at(steps: int, settle_after: int, digits: int, factors: bool) -> tuple:
            prec = mpmath.libmp.dps_to_prec(digits)
            with mpmath.workprec(prec):
                step, start = compile_at(expr, (A_PREV,), prec), value_at(a0, digits)
                states = run(self._escaping(step), start, steps, settle_after, abs, digits)
                if not factors:
                    return states, None
                slope_at = compile_at(slope, (A_PREV,), prec)
                return states, [self._precise_factor(abs(slope_at(a)), a) for a in states[:-1]]
        return at

    def _precise_factor(self, value, a):
        """A factor computed with more digits than DIGITS (None where it is not a finite real number, left to
        factor_at), right to DIGITS where it is tiny too (see slope_at)."""
        if type(value) is not mpmath.mpf or not mpmath.isfinite(value):
            return None
        if value >= ZERO or not self.dphi.has(sympy.Add):
            return value
        return self._refined(a, value)

    def g(self) -> sympy.Expr:
        """g(a*) = phi(W a* + c) - a*, zero at a fixed point."""
        return self._g[0]

    @functools.cached_property
    def _g(self) -> tuple:
        """(g, g compiled, g' compiled): made once for every Newton run of this recurrence."""
        g = self.phi.subs(Z, self.W * A_STAR + self.c) - A_STAR
        return g, compile_numeric(g, (A_STAR,)), compile_numeric(composed_derivative(self.phi, self.W * A_STAR + self.c, A_STAR) - 1, (A_STAR,))

    @functools.cached_property
    def _roots(self) -> dict:
        return {}

    def newton(self, start) -> sympy.Float | None:
        """A root of g near start to about 45 digits: Newton's method, and where that crawls (a multiple
        root, as where the factor is exactly 1) Newton's method on g/g'; None if neither converges.
        A start seen before (the same number) gives the root found then."""
        with mpmath.workdps(DIGITS):
            first = evaluate(start)
        seen = first._mpf_ if isinstance(first, mpmath.mpf) else None
        if seen is None or seen not in self._roots:
            root = self._newton(first)
            if seen is None:
                return root
            self._roots[seen] = root
        return self._roots[seen]

    def _newton(self, first) -> sympy.Float | None:
        g, gf, dgf = self._g

        def plain(a):
            slope = dgf(a)
            return None if slope == 0 or not mpmath.isfinite(slope) else gf(a) / slope
        with mpmath.workdps(DIGITS):
            a, how = newton(plain, first, abs)
            if how == "slow":
                a = self._multiple_root(g, gf, dgf, a)
            if type(a) is not mpmath.mpf or not mpmath.isfinite(a) or not abs(gf(a)) <= RESIDUAL:   # (nan too)
                return None
        return to_sympy(a)

    @functools.cached_property
    def _d2g(self):
        """g'' compiled (None where the evaluator has no rule for it)."""
        try:
            return compile_numeric(sympy.diff(self._g[0], A_STAR, 2), (A_STAR,))
        except Unsupported:
            return None

    def _multiple_root(self, g, gf, dgf, a):
        """Newton's method on g/g', which converges fast at a multiple root of g."""
        d2gf = self._d2g
        if d2gf is None:
            return a

        def damped(a):
            value, slope, curve = gf(a), dgf(a), d2gf(a)
            denominator = slope**2 - value * curve
            return None if denominator == 0 or not mpmath.isfinite(denominator) else value * slope / denominator
        return newton(damped, a, abs)[0]

    def fixed_points(self, around: list, width: float = 20, cells: int = 400) -> list[sympy.Float]:
        """Every fixed point in a window that covers the given states (sign changes of g, refined)."""
        finite = [float(a) for a in around if abs(a) < BOUNDED]
        lo, hi = min(finite + [0.0]) - width, max(finite + [0.0]) + width
        gf = self._g[1]
        found: list = []
        with mpmath.workdps(DIGITS):
            grid = [mpmath.mpf(lo) + (hi - lo) * mpmath.mpf(k) / cells for k in range(cells + 1)]
            values = [gf(a) for a in grid]
            real = [type(v) is mpmath.mpf and mpmath.isfinite(v) for v in values]     # (z^z below 0: complex)
            starts = [grid[k] for k in range(cells) if real[k] and real[k + 1]
                      and (values[k] == 0 or values[k] * values[k + 1] < 0)]
        for start in starts + [a for a in around if abs(a) < BOUNDED]:
            root = self.newton(start)
            if root is not None and all(abs(root - r) > SAME_ROOT for r in found):
                found.append(root)
        return sorted(found)

    def cycle(self, traj: list) -> list | None:
        """The attracting cycle (period 2..MAX_PERIOD) the trajectory has settled on, if any."""
        if len(traj) < 4 * MAX_PERIOD or abs(traj[-1]) > BOUNDED:
            return None
        tail = traj[-(2 * MAX_PERIOD + 1):]
        for p in range(2, MAX_PERIOD + 1):
            if all(abs(tail[-1 - k] - tail[-1 - k - p]) < ZERO for k in range(p)) and \
                    abs(tail[-1] - tail[-2]) > SAME_ROOT:
                return tail[-p:]
        return None

    @functools.cached_property
    def _factors(self) -> dict:
        return {}

    def factor_at(self, a):
        """|W phi'(W a + c)| at the state a, as an mpmath number (each state's computed once: the gradient,
        the mean factor and the figure's running products all multiply the same factors)."""
        key = a._mpf_ if isinstance(a, sympy.Float) else a
        found = self._factors.get(key)
        if found is None:
            found = self._factors[key] = self.slope_at(a)
        return found

    def slope_at(self, a):
        """|W phi'(W a + c)| at the state a (mpmath), right to DIGITS where it is tiny: a slope written with a
        difference (tanh's 1 − tanh²(z)) cancels to 0 at 50 digits once |z| passes ~57, so a factor below
        ZERO is computed again at rising precision (numeric.accurate, up to SLOPE_DIGITS)."""
        with mpmath.workdps(DIGITS):
            value = abs(self.slope()(evaluate(a)))
            if isinstance(value, mpmath.mpf) and mpmath.isnan(value):
                return self._beyond(a, value)
            if value >= ZERO or not isinstance(value, mpmath.mpf) or not self.dphi.has(sympy.Add):
                return value                         # no difference in the slope: nothing cancels
            return self._refined(a, value)

    def _refined(self, a, value):
        """|W phi'(W a + c)| at rising precision (tiny_slope) at the exact number the state a is, or the value as it
        came where that cannot be had (a state of more than EXACT_BITS bits)."""
        b = _binary(a)
        exact = exact_at(self.dphi, self.W * b + self.c) if b is not None else None
        if exact is None:
            return value
        return abs(tiny_slope(self.W * exact, evaluate(self.W) * evaluate(a) + evaluate(self.c)))

    def _beyond(self, a, value):
        """|W phi'(W a + c)| where compiled it is nan: inf where it overflows to an infinity, or is beyond reach
        where phi itself overflows to one (the state runs off next: e^(e^z) overflows, and so does its slope
        e^z e^(e^z), while tanh(e^(e^z)) e^(e^z) e^z takes 1 inf inf; the slope of ln cosh e^(e^z), inf/inf, is as
        far beyond every bound), else nan as it came (check_domain has refused such a state)."""
        a = evaluate(a)
        beyond = limit(self.expressions[1], (A_PREV,), a)
        if beyond is None:
            return value
        escapes = limit(self.expressions[0], (A_PREV,), a)
        return mpmath.inf if mpmath.isinf(beyond) or (escapes is not None and mpmath.isinf(escapes)) else value

    def gradient(self, traj: list, T: int) -> sympy.Float | None:
        """|da<T>/da<0>| = prod_t |W phi'(z<t>)| along the trajectory; None if it diverged before T."""
        if len(traj) <= T:
            return None
        with mpmath.workdps(DIGITS):
            prod = mpmath.mpf(1)
            for a in traj[:T]:
                prod *= self.factor_at(a)
        return to_sympy(prod)

    def product(self, states: list) -> sympy.Float:
        """prod |W phi'(W a + c)| over the given states."""
        with mpmath.workdps(DIGITS):
            return to_sympy(mpmath.fprod(self.factor_at(a) for a in states))

    def mean_factor(self, traj: list) -> sympy.Expr:
        """Geometric mean of the one-step factors over the second half of the trajectory (0 if any is 0)."""
        with mpmath.workdps(DIGITS):
            factors = [self.factor_at(a) for a in traj[len(traj) // 2:-1] or traj[:1]]
            if any(f == 0 for f in factors):
                return sympy.Integer(0)
            return to_sympy(geometric_mean(factors))


@dataclass(frozen=True)
class VectorRecurrence:
    """a<t> = phi(W a<t-1> + c) for n units: W an n x n matrix, c a vector, phi elementwise."""

    phi: sympy.Expr
    dphi: sympy.Expr
    W: ImmutableMatrix
    c: ImmutableMatrix

    @property
    def n(self) -> int:
        return self.W.rows

    def _previous(self) -> tuple:
        return tuple(previous(k) for k in range(1, self.n + 1))

    def map(self):
        """state (a list) -> phi(W state + c) (a list), compiled: each unit's phi(W_i state + c_i) evaluated as
        its compiled expression evaluates it, the pre-activation on raw values where phi(z) keeps z whole."""
        units = self._units
        slow = [compile_numeric(sub, self._previous()) for sub, _, _ in units]
        make = mpmath.mp.make_mpf

        def step(state):
            if not all(type(v) is mpmath.mpf for v in state):
                return [m(*state) for m in slow]
            raw = [v._mpf_ for v in state]
            return [phi(make(_pre_activation(plan, raw, PREC, ROUND))) if plan else m(*state)
                    for (_, plan, phi), m in zip(units, slow)]
        return step

    @functools.cached_property
    def _units(self) -> tuple:
        """Per unit: (phi(W_i a + c_i) in the previous state's symbols, the plan of W_i a + c_i's terms or None,
        phi compiled). The plan is used only where the expression is phi with W_i a + c_i put whole in place
        of z (so that it is evaluated once, and as the expression's own evaluation would)."""
        prevs = self._previous()
        index = {p: k for k, p in enumerate(prevs)}
        phi = compile_numeric(self.phi, (Z,))
        out = []
        for e in self.pre_expressions:
            sub = self.phi.subs(Z, e)
            plan = _plan(e, index) if _whole(self.phi, sub, e) else None
            out.append((sub, plan, phi))
        return tuple(out)

    @functools.cached_property
    def pre_expressions(self) -> list:
        """W_i a + c_i, each unit's pre-activation in the previous state's symbols."""
        return list(self.W * ImmutableMatrix(self._previous()) + self.c)

    @functools.cached_property
    def orbit_maps(self) -> tuple:
        """The recurrence as the checker's own runs take it (orbits.maps: the step, the slopes phi'(W_i a + c_i),
        W)."""
        return orbits.maps(self._previous(), tuple(sub for sub, _, _ in self._units),
                           orbits.slopes(self.dphi, tuple(self.pre_expressions)), ImmutableMatrix(self.W))

    def jacobian(self):
        """state -> diag(phi'(W state + c)) W as an mpmath matrix: each row of W scaled by its unit's slope
        (no n x n diagonal multiplied in). Each entry is what mpmath's matrices give (W state as an exact dot
        product rounded once, plus c, times the slope), remembered by the state for every recurrence equal
        to this one (the answer's evidence and the figure's norms take the same Jacobians)."""
        def at(state):
            rows = self._jacobian_rows(state)
            return _matrix(rows) if rows is not None else self._jacobian_slow(state)
        return at

    @functools.cached_property
    def _numbers(self) -> tuple:
        """(W's rows, c, phi' compiled): W and c as raw mpmath values (mpf tuples) at DIGITS."""
        with mpmath.workdps(DIGITS):
            W = tuple(tuple(evaluate(v)._mpf_ for v in self.W.row(i)) for i in range(self.n))
            c = tuple(evaluate(v)._mpf_ for v in self.c)
        return W, c, compile_numeric(self.dphi, (Z,))

    def pre_activations(self, state) -> list:
        """W state + c (mpmath numbers) as mpmath's matrices compute it: each entry an exact dot product rounded
        once, plus c (on raw values when every entry of the state is a real mpmath number)."""
        with mpmath.workdps(DIGITS):
            if not all(type(v) is mpmath.mpf for v in state):
                return list(self._matrices[0] * mpmath.matrix(list(state)) + self._matrices[1])
            W, c, _ = self._numbers
            raw = [v._mpf_ for v in state]
            make = mpmath.mp.make_mpf
            prec, rnd = mpmath.mp._prec_rounding
            dots = _row_times(raw, _fixed(raw), W, self._fixed_rows, prec, rnd)
            return [make(mpf_add(d, ci, prec, rnd)) for d, ci in zip(dots, c)]

    @functools.cached_property
    def _fixed_rows(self) -> list:
        return [_fixed(row) for row in self._numbers[0]]

    @functools.cached_property
    def _matrices(self) -> tuple:
        """(W, c) as mpmath matrices."""
        return (mpmath.matrix([[evaluate(v) for v in self.W.row(i)] for i in range(self.n)]),
                mpmath.matrix([evaluate(v) for v in self.c]))

    def _jacobian_rows(self, state) -> tuple | None:
        """diag(phi'(W state + c)) W as rows of raw mpmath values, remembered by the state; None where a value
        is not a real mpmath number (the caller then takes mpmath's matrices)."""
        memo = _remembered(self)
        key = tuple(v._mpf_ if type(v) is mpmath.mpf else v for v in state)
        if key not in memo:
            W, _, slope = self._numbers
            with mpmath.workdps(DIGITS):
                slopes = [refined(self.dphi, z, slope(z)) for z in self.pre_activations(state)]
                prec, rnd = mpmath.mp._prec_rounding
                memo[key] = (tuple(tuple(mpf_mul(w, s._mpf_, prec, rnd) for w in row) for row, s in zip(W, slopes))
                             if all(type(s) is mpmath.mpf for s in slopes) else None)
        return memo[key]

    def _jacobian_slow(self, state):
        """The Jacobian by mpmath's matrices (a complex value on the way, say)."""
        slope = self._numbers[2]
        with mpmath.workdps(DIGITS):
            z = self.pre_activations(state)
            J = self._matrices[0].copy()
            for i in range(self.n):
                s = slope(z[i])
                for j in range(self.n):
                    J[i, j] *= s
            return J

    def trajectory(self, a0, n: int = MAX_ITERATES, settle_after: int = T_EVIDENCE) -> list[list]:
        """The states a<0>, a<1>, ... (lists of mpmath numbers), until stationary, diverged or n steps; a state
        that overflows (a unit's phi beyond reach, overflowing to an infinity, numeric.limit) is kept with its
        infinities (and its other units' limits) and ends the trajectory. Every state right to DIGITS
        (checked_run): where 50 digits do not give them, the states and the Jacobians at them (remembered for
        jacobian()) come from runs at rising precision."""
        states = run(self._escaping(self.map()), [evaluate(v) for v in a0], n, settle_after, largest)
        states, jacobians = checked_run(states, self._run_at(a0), n, settle_after, self._sensitive(states[:-1]),
                                        lambda k: orbits.run_states(self.orbit_maps, a0, k))
        memo = _remembered(self)
        for state, J in zip(states, jacobians or ()):
            if self._sensitive([state]) > HUGE:                        # (elsewhere 50 digits of the state do)
                memo[tuple(v._mpf_ for v in state)] = None if J is None else \
                    tuple(tuple(mpf_pos(x._mpf_, PREC, ROUND) for x in row) for row in J)
        return states

    def _sensitive(self, states: list) -> int:
        """Recurrence._sensitive for several units: W a + c's largest entry, and the digits each entry lost
        cancelling its terms."""
        with mpmath.workdps(DIGITS):
            W, c = self._matrices
            rows = max(mpmath.fsum(abs(W[i, j]) for j in range(self.n)) for i in range(self.n))
            lost = 0
            for state in states:
                if all(type(v) is mpmath.mpf and mpmath.isfinite(v) for v in state) and any(c):
                    terms = [mpmath.fsum(abs(W[i, j] * state[j]) for j in range(self.n)) + abs(c[i])
                             for i in range(self.n)]
                    lost = max([lost] + [_cancelling(t, z) for t, z, ci in zip(terms, self.pre_activations(state), c)
                                         if ci])
            return max(_z_digits(rows, max(abs(c[i]) for i in range(self.n)), states), lost)

    def _escaping(self, step: Callable) -> Callable:
        """The step, raising Escaped where a unit overflows to an infinity (numeric.limit) and refusing a value
        beyond reach that is not an infinity."""
        cancels = self.phi.has(sympy.Add)

        def escaping(state):
            nxt = step(state)
            lost = [type(v) is mpmath.mpf and mpmath.isnan(v) for v in nxt]
            if cancels and any(type(v) is mpmath.mpf and not v for v in nxt):
                nxt = self._zeros(state, nxt)
            if not any(lost):
                return nxt
            zs = self.pre_activations(state)
            beyond = [limit(self.phi, (Z,), z) if gone else v for v, z, gone in zip(nxt, zs, lost)]
            if any(v is None for v in beyond):
                return nxt                               # undefined (check_domain says where)
            if any(mpmath.isinf(v) for v in beyond):
                raise Escaped(beyond)
            raise refusal("the state", next(z for z, gone in zip(zs, lost) if gone), "the activation", BEYOND)
        return escaping

    def _zeros(self, state: list, nxt: list) -> list:
        """The next state with each unit that came out 0 from a difference computed again (dynamics.cancelled)."""
        exact = [_binary(v) if type(v) is mpmath.mpf else None for v in state]
        zs = self.pre_activations(state)
        out = []
        for i, v in enumerate(nxt):
            if type(v) is mpmath.mpf and not v:
                used = [(self.W[i, j], b) for j, b in enumerate(exact) if self.W[i, j] != 0]
                z = None if any(b is None for _, b in used) else sum((w * b for w, b in used), self.c[i])
                v = cancelled(self.phi, z, zs[i])
            out.append(v)
        return out

    def _run_at(self, a0) -> Callable:
        """(steps, settle_after, digits, Jacobians?) -> (the trajectory at that many digits, the Jacobians at its
        states but the last as rows of raw values at DIGITS, or None): checked_run's runs."""
        prevs, units, zs = self._previous(), [sub for sub, _, _ in self._units], self.pre_expressions

        def at(steps: int, settle_after: int, digits: int, jacobians: bool) -> tuple:
            prec = mpmath.libmp.dps_to_prec(digits)
            with mpmath.workprec(prec):
                maps = [compile_at(e, prevs, prec) for e in units]
                start = [value_at(v, digits) for v in a0]
                states = run(self._escaping(lambda s: [m(*s) for m in maps]), start, steps, settle_after, largest,
                             digits)
                if not jacobians:
                    return states, None
                pre, slope = [compile_at(e, prevs, prec) for e in zs], compile_at(self.dphi, (Z,), prec)
                W = [[value_at(w, digits) for w in self.W.row(i)] for i in range(self.n)]
                slopes = [[refined(self.dphi, z, slope(z)) for z in (f(*state) for f in pre)] for state in states[:-1]]
                return states, [_rows_at(W, row) for row in slopes]
        return at

    def exact_fixed_point(self, a0, tries: int = 3) -> ImmutableMatrix | None:
        """a0 or one of the first few exact iterates when it is exactly fixed."""
        state = a0
        for _ in range(tries):
            nxt = self._exactly(state)
            if nxt is None:
                return None
            nxt = ImmutableMatrix(nxt)
            if all(is_zero(p - q) for p, q in zip(nxt, state)):
                return state
            if not all(e.is_Rational for e in nxt):
                return None
            state = nxt
        return None

    def _exactly(self, state: ImmutableMatrix) -> list | None:
        """phi(W state + c) exactly (a list), or None where SymPy would choke on it or on the slope there (see
        exact_at): an exact state's Jacobian is then shown exactly too."""
        zs = list(self.W * state + self.c)
        if any(exact_at(self.dphi, z) is None for z in zs):
            return None
        nxt = [exact_at(self.phi, z) for z in zs]
        return None if any(e is None for e in nxt) else nxt

    def settle(self, traj: list) -> ImmutableMatrix | None:
        """The fixed point the trajectory approaches, refined by Newton's method on phi(W a + c) - a."""
        if len(traj) < 3 or max(abs(v) for v in traj[-1]) > BOUNDED:
            return None
        step, J_at = self.map(), self.jacobian()
        with mpmath.workdps(DIGITS):
            eye = mpmath.eye(self.n)

            def update(a):
                try:
                    return mpmath.lu_solve(J_at(list(a)) - eye, mpmath.matrix(step(list(a))) - a)
                except (ZeroDivisionError, TypeError):     # singular; or a NaN, which mpmath's LU cannot pivot
                    return None
            a, how = newton(update, mpmath.matrix(traj[-1]), lambda d: mpmath.mnorm(d, 1))
            if how == "stuck":
                return None
            residual = mpmath.mnorm(mpmath.matrix(step(list(a))) - a, 1)
            last, half = mpmath.matrix(traj[-1]), mpmath.matrix(traj[len(traj) // 2])
            near = mpmath.mnorm(last - a, 1)
            attracting = near < mpmath.mnorm(half - a, 1) and radius(J_at(list(a))) < 1 + DRIFT   # not one passed near
            if residual > RESIDUAL or not (near < mpmath.mpf(SETTLED) or attracting):
                return None
            return ImmutableMatrix([to_sympy(v) for v in a])

    def growth(self, traj: list) -> sympy.Float:
        """Growth rate per step of the product of Jacobians over the second half of the trajectory: the
        change of log |J_k ... J_1| per step between the middle and the end of that stretch, so that a
        constant factor (the size of the first Jacobian; sqrt(2) for a rotation) does not bias it."""
        return growth(self.jacobian(), traj)

    def exact(self, star: ImmutableMatrix) -> ImmutableMatrix | None:
        """The small rationals a numeric fixed point is, when they provably are one (0 for a linear map)."""
        guess = [small_rational(v, tolerance=SAME_ROOT) for v in star]
        if any(g is None for g in guess):
            return None
        guess = ImmutableMatrix(guess)
        nxt = self._exactly(guess)
        if nxt is None:
            return None
        return guess if all(is_zero(p - q) for p, q in zip(nxt, guess)) else None

    def gradient(self, traj: list, T: int):
        """The largest singular value of da<T>/da<0> = J<T> ... J<1>; None if the trajectory is shorter. The
        products are mpmath's (each entry an exact dot product rounded once), taken on rows of raw values."""
        if len(traj) <= T:
            return None
        with mpmath.workdps(DIGITS):
            rows = [self._jacobian_rows(state) for state in traj[:T]]
            if any(J is None for J in rows):           # mpmath's matrices throughout
                J_at, M = self.jacobian(), None
                for state in traj[:T]:
                    J = J_at(state)
                    M = J if M is None else J * M
            else:
                prec, rnd = mpmath.mp._prec_rounding
                M = rows[0]
                for J in rows[1:]:
                    M = _product(J, M, prec, rnd)
                M = _matrix(M)
            singular = mpmath.svd_r(M, compute_uv=False)
            return to_sympy(max(abs(s) for s in singular))


def _numbers(states: list | None) -> list | None:
    """One unit's states as numbers (orbits gives each as a list of one)."""
    return None if states is None else [s[0] for s in states]


def largest(state: list):
    """A state's size: its largest |entry|."""
    return max(abs(v) for v in state)


def _rows_at(W: list, slopes: list) -> tuple | None:
    """diag(slopes) W as rows (computed at the context's precision); None where
    a slope is not a finite real number (the Jacobian is then left to jacobian())."""
    if not all(type(s) is mpmath.mpf and mpmath.isfinite(s) for s in slopes):
        return None
    return tuple(tuple(w * s for w in row) for row, s in zip(W, slopes))


def _whole(phi: sympy.Expr, sub: sympy.Expr, e: sympy.Expr) -> bool:
    """Whether sub is phi with e in place of every z, node for node (no node of phi changed by the change)."""
    if phi == Z:
        return sub == e
    return phi.func == sub.func and len(phi.args) == len(sub.args) and \
        all(_whole(p, q, e) for p, q in zip(phi.args, sub.args))


def _plan(e: sympy.Expr, index: dict) -> tuple | None:
    """How numeric.compile evaluates a sum of (number) x (symbol) terms and a number: ("one" | "two" | "sum",
    [(coefficient as a raw value or None, the symbol's index or None)]) in its order; None for another form."""
    terms = e.args if e.is_Add else (e,)
    plan = []
    for t in terms:
        if t.is_Symbol and t in index:
            plan.append((None, index[t]))
        elif t.is_Number:
            plan.append((evaluate(t)._mpf_, None))
        elif t.is_Mul and len(t.args) == 2 and t.args[0].is_Number and t.args[1].is_Symbol and t.args[1] in index:
            plan.append((evaluate(t.args[0])._mpf_, index[t.args[1]]))
        else:
            return None
    return ("one" if len(terms) == 1 else "two" if len(terms) == 2 else "sum"), plan


def _pre_activation(plan: tuple, raw: list, prec: int, rnd: str) -> tuple:
    """W_i a + c_i from the state's raw values, as numeric.compile's closures compute it: each product rounded,
    a sum of two terms one addition, of more one rounded exact sum (mpmath.fsum)."""
    how, terms = plan
    values = [c if k is None else raw[k] if c is None else mpf_mul(c, raw[k], prec, rnd) for c, k in terms]
    if how == "one":
        return values[0]
    if how == "two":
        return mpf_add(values[0], values[1], prec, rnd)
    return mpf_sum(values, prec, rnd)


@functools.lru_cache(maxsize=2)
def _remembered(rec: VectorRecurrence) -> dict:
    """The Jacobians of one recurrence by state (every instance equal to it shares them: the question's analysis
    and its figure); the last two recurrences' only, so that a course's many questions do not pile them up."""
    return {}


def _product(A: tuple, B: tuple, prec: int, rnd: str) -> tuple:
    """A B for rows of raw mpmath values, each entry as mpmath's matrix product makes it: the exact products
    summed (in the same order) and rounded once."""
    columns = list(zip(*B))
    fixed = [_fixed(col) for col in columns]
    return tuple(_row_times(row, _fixed(row), columns, fixed, prec, rnd) for row in A)


def _row_times(row: tuple, fixed_row, columns: list, fixed: list, prec: int, rnd: str) -> tuple:
    """The exact dot products of a row with each column, each rounded once: in integers over a common
    exponent where mpf_sum would keep every term (the terms' exponents within 2 prec bits, its window),
    else by mpf_sum itself."""
    out = []
    for col, fixed_col in zip(columns, fixed):
        if fixed_row and fixed_col and fixed_row[2] + fixed_col[2] <= 2 * prec:
            out.append(from_man_exp(sum(map(operator.mul, fixed_row[0], fixed_col[0])),
                                    fixed_row[1] + fixed_col[1], prec, rnd))
        else:
            out.append(mpf_sum([mpf_mul(a, b) for a, b in zip(row, col)], prec, rnd))
    return tuple(out)


def _fixed(values) -> tuple | None:
    """Raw mpmath values as (signed integers over a common exponent, that exponent, the spread of their
    exponents), exactly; None for an infinity or nan (a zero mantissa with a non-zero exponent), or where the
    exponents spread beyond mpf_sum's window of 2 PREC bits (e^-(10^300) beside 1: no integer that long)."""
    exps = [v[2] for v in values if v[1]]
    if len(exps) < len(values) and any(v[2] for v in values if not v[1]):
        return None
    low, high = min(exps, default=0), max(exps, default=0)
    if high - low > 2 * PREC:
        return None
    return [(-v[1] if v[0] else v[1]) << (v[2] - low) if v[1] else 0 for v in values], low, high - low


def _matrix(rows: tuple):
    """An mpmath matrix of rows of raw values (each value kept exactly): its table of non-zero entries
    filled at once where mpmath keeps one (as assigning each entry would fill it), else entry by entry."""
    M = mpmath.matrix(len(rows), len(rows[0]))
    make = mpmath.mp.make_mpf
    table = getattr(M, "_matrix__data", None)
    if type(table) is dict and not table:
        table.update({(i, j): make(v) for i, row in enumerate(rows) for j, v in enumerate(row) if v != fzero})
        return M
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            M[i, j] = make(v)
    return M


def radius(J) -> mpmath.mpf:
    """The spectral radius of an mpmath matrix (mpmath.eig returns its 1 x 1 case with the eigenvectors, whatever
    it is asked)."""
    return abs(J[0, 0]) if J.rows == 1 else max(abs(v) for v in mpmath.eig(J, left=False, right=False))


def growth(J_at: Callable, traj: list) -> sympy.Float:
    """Growth rate per step of the product of the Jacobians J_at(state) over the second half of the
    trajectory (see VectorRecurrence.growth)."""
    with mpmath.workdps(DIGITS):
        states = traj[len(traj) // 2:-1] or traj[:1]
        logs, sizes, M = [mpmath.mpf(0)], [], None
        for state in states:
            J = J_at(state)
            M = J if M is None else J * M
            size = mpmath.mnorm(M, "f")
            if size == 0:
                return sympy.Integer(0)
            logs.append(logs[-1] + mpmath.log(size))
            sizes.append(size)
            M = M / size
        half = len(logs) // 2 if len(logs) > 2 else 0
        if _log_digits(sizes) > HUGE:               # logarithms too large for their sum's digits at DIGITS
            return to_sympy(geometric_mean(sizes[half:]))
        return to_sympy(mpmath.exp((logs[-1] - logs[half]) / (len(logs) - 1 - half)))


def geometric_mean(values: list):
    """The geometric mean of positive mpmath numbers, right to DIGITS however far from 1 they are: their
    logarithms summed with as many more digits as the logarithms have (the mean of logarithms near 10^50 has
    its 50 first digits in their integer parts: exp of it at DIGITS would be wrong from the first digit)."""
    extra = _log_digits(values)
    with mpmath.workdps(DIGITS if extra <= HUGE else DIGITS + extra + GUARD):
        return mpmath.exp(mpmath.fsum(mpmath.log(v) for v in values) / len(values))


def _log_digits(values: list) -> int:
    """The digits of the integer part of the largest |ln v| among positive numbers, about (0 where one is
    not finite: its logarithm is an infinity, whatever the digits)."""
    if not all(type(v) is mpmath.mpf and mpmath.isfinite(v) and v > 0 for v in values):
        return 0
    return digits_of(mpmath.mpf(max((abs(mpmath.mag(v)) for v in values), default=0)))


def versus_one(value, exact: bool) -> list:
    """Chain pieces comparing a factor with 1: '= 4/5 < 1', '≈ 1.00173 > 1', '= 1' (never '= 1 = 1'),
    and '≈ 1' for a numeric value equal to 1 to every digit computed."""
    rel = compare_one(value)
    if rel == "=":
        return ["=" if exact else "approx", sympy.Integer(1)]
    return (["=", value] if exact else ["approx", shown(value)]) + [rel, 1]


def compare_one(value) -> str:
    """'<', '=' or '>' of a factor against 1: exactly for exact values, to ZERO for numeric ones (an overflowed
    factor, oo, is above)."""
    if value is sympy.oo:
        return ">"
    d = value - 1
    if d.has(sympy.Float):
        return "=" if abs(d) < ZERO else "<" if d < 0 else ">"
    if is_zero(d):
        return "="
    return "<" if sympy.N(d, DIGITS) < 0 else ">"


VERDICTS = {"<": "vanishing", ">": "exploding", "=": "neither"}


def verdict(value) -> str:
    """'vanishing', 'exploding' or 'neither': what a per-step factor does to a gradient."""
    return VERDICTS[compare_one(value)]


# --- domains ----------------------------------------------------------------------------------

class OutsideDomain(FieldError):
    """The state reaches a value where the activation (or its slope) is undefined, infinite or complex."""


OVERFLOWS = "overflows"          # _defect: an exponential beyond reach on the way, and the value is an infinity
BEYOND = (f"cannot be computed: a number on the way is beyond reach (e to a power above 2^{MAX_MAGNITUDE}, about"
          " 10^1233, or tanh of a number above 2^(2^20)), and the value is not an overflow to infinity (a state"
          " running off)")


def check_domain(phi: sympy.Expr, dphi: sympy.Expr, zs, where: str = "the state") -> None:
    """Raise OutsideDomain (naming the field 'activation') at the first pre-activation z in ``zs`` where
    phi(z) or phi'(z) is not a finite real number: found by the analysis, before any step is written. Values
    that overflow to infinity (numeric.limit) are where the state runs off, not holes in the domain: phi's at
    any z, the slope's where phi's does too; anything else beyond reach is refused."""
    checks = ((phi, compile_numeric(phi, (Z,))), (dphi, compile_numeric(dphi, (Z,))))
    seen = set()
    with mpmath.workdps(DIGITS):
        for z in zs:
            key = z._mpf_ if isinstance(z, mpmath.mpf) else None
            if key is not None and key in seen:                      # a settled state: the same z again
                continue
            seen.add(key)
            value, slope = (_defect(expr, fn, z) for expr, fn in checks)
            if slope in (OVERFLOWS, BEYOND):           # beyond reach where phi overflows: the state runs off
                slope = "" if value == OVERFLOWS else BEYOND
            for what, problem in (("the activation", value), ("its slope", slope)):
                if problem and problem != OVERFLOWS:
                    raise refusal(where, z, what, problem)


def refusal(where: str, z, what: str, problem: str) -> OutsideDomain:
    """The refusal of a state whose pre-activation z is outside the domain of the activation or its slope, or
    where they are beyond reach (BEYOND), naming the field 'activation'."""
    shown = mpmath.nstr(z, 6) if isinstance(z, (mpmath.mpf, mpmath.mpc)) else str(z)
    return OutsideDomain("activation", f"{where} reaches z = {shown}, where {what} {problem}",
                         expected="states where the activation can be computed" if problem == BEYOND else
                         "an activation defined (finite and real) at every state visited")


def _defect(expr, fn, z) -> str:
    """What is wrong with fn(z) (expr compiled): '' when nothing, OVERFLOWS, BEYOND, or what it is."""
    try:
        value = fn(z)
    except (ZeroDivisionError, ValueError, OverflowError):
        return "is undefined"
    if not isinstance(value, (mpmath.mpf, mpmath.mpc)):           # a SymPy value where mpmath had none
        value = sympy.sympify(value)
        return "" if value.is_real and value.is_finite else "is undefined" if value.has(sympy.zoo, sympy.nan) \
            else "is infinite" if value.is_infinite else "is complex"
    if isinstance(value, mpmath.mpc):
        return "is complex"
    if mpmath.isnan(value):
        beyond = limit(expr, (Z,), z) if isinstance(z, mpmath.mpf) else None
        return "is undefined" if beyond is None else OVERFLOWS if mpmath.isinf(beyond) else BEYOND
    if mpmath.isinf(value):
        return "is infinite"
    return ""
