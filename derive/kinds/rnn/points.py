"""Values at one state: fixed points by Newton's method, a state's exact value, and the activation's slope there
(refined where it cancels or is tiny).
"""

from __future__ import annotations

import functools
from typing import Callable

import mpmath
import sympy

from ...numeric import (Unsupported, accurate, accurate_at, compile as compile_numeric, evaluate, largest_argument, limit,
                        to_sympy, value_in_exponentials)
from ...precision import DEEPEST, DIGITS, STEP_TINY, ZERO
from .domain import OutsideDomain, refusal
from .notation import Z
from .runs import AGREE

NEWTON_STEPS = 60
SEEN_TO = 1000          # a function of a number beyond this is evaluated in exponentials first (_finer)
SMALL_POWERS = 12       # the largest power of t that may make (a polynomial SymPy cancels at once)
FURTHEST = 10**6        # beyond, no exponentials either: 1 − tanh²(10^6) is about 10^-868589, taken as 0
SLOPE_DIGITS = DEEPEST  # the most digits a tiny slope is computed at (tanh's 1 − tanh²(z) up to |z| ~ 8000)


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


def binary_rational(a) -> sympy.Rational | None:
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
    z = binary_rational(z)
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
    b = binary_rational(z)
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
    """An exact slope's value at rising precision (numeric.accurate, up to SLOPE_DIGITS), or None. Where that is 0
    or does not settle, a function of a number beyond SEEN_TO (up to FURTHEST) is evaluated with its exponentials
    in one t, where the difference cancels in algebra (1 − tanh²(−11000) is about 10^-9554: no number of digits
    short of that many finds it)."""
    try:
        finer = accurate(exact, DIGITS, SLOPE_DIGITS)
        if (finer is None or finer == 0) and SEEN_TO < largest_argument(exact) <= FURTHEST:
            found = value_in_exponentials(exact, DIGITS, SEEN_TO, SMALL_POWERS, SLOPE_DIGITS)
            finer = finer if found is None else found
    except (Unsupported, ArithmeticError, ValueError):
        return None
    return finer if isinstance(finer, mpmath.mpf) else None
