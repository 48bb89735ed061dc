"""Where an activation (or its slope) is undefined, infinite or complex along a trajectory: the spec's error
naming the state.
"""

from __future__ import annotations

import mpmath
import sympy

from ...fields import FieldError
from ...numeric import MAX_MAGNITUDE, compile as compile_numeric, limit, shown
from ...precision import DIGITS
from .notation import Z


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
