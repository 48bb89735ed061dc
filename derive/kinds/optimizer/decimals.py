"""How the optimizer's key writes a value: exactly when it is a short decimal or a small fraction, else rounded
(to SHOWN significant digits after ≈). Shared by the steps (``narrate``) and the schedules' rates (``rates``)."""

from __future__ import annotations

import sympy

from ...precision import DIGITS

SHOWN = 8                     # significant digits of a value shown with ≈


def shown(x, digits: int) -> tuple[sympy.Expr, bool]:
    """(x as written, exact?): a short decimal or small fraction exactly, else rounded to ``digits``."""
    if x.is_Integer:
        return x, True
    if x.is_Rational:
        q = int(x.q)
        if _decimal(q) and len(str(abs(x.p))) <= 12 and q <= 10 ** 15:
            return sympy.Float(x, DIGITS), True
        if abs(x.p) < 10 ** 4 and q < 10 ** 4:
            return x, True
    return sympy.Float(x, digits), False


def _decimal(q: int) -> bool:
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def result(value) -> list:
    """['=', value] when it is shown exactly, else ['approx', value rounded]."""
    written, exact = shown(value, SHOWN)
    return ["=", written] if exact else ["approx", sympy.Float(value, SHOWN)]
