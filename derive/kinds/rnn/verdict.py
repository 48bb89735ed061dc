"""What a gradient does along a trajectory: the spectral radius, the growth rate of a product of Jacobians, a
factor's comparison with 1 and the verdict it gives (vanishing, exploding or neither).
"""

from __future__ import annotations

from typing import Callable

import mpmath
import sympy

from ...check import is_zero
from ...numeric import shown, to_sympy
from ...precision import DIGITS, DRIFT, RESIDUAL, SETTLED, ZERO
from .points import newton
from .runs import GUARD, HUGE, digits_of


_RADII: dict = {}          # (precision, the entries' raw values) -> the spectral radius: the fixed point's
#                            Jacobian is asked for it twice (its stability, the settling), 0.15 s each for 10 units


def radius(J) -> mpmath.mpf:
    """The spectral radius of an mpmath matrix (mpmath.eig returns its 1 x 1 case with the eigenvectors, whatever
    it is asked)."""
    if J.rows == 1:
        return abs(J[0, 0])
    entries = [J[i, j] for i in range(J.rows) for j in range(J.cols)]
    key = (mpmath.mp.prec, tuple(v._mpf_ for v in entries)) if all(type(v) is mpmath.mpf for v in entries) else None
    if key is not None and key in _RADII:
        return _RADII[key]
    value = max(abs(v) for v in mpmath.eig(J, left=False, right=False))
    if key is not None:
        if len(_RADII) >= 64:
            _RADII.clear()
        _RADII[key] = value
    return value


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


def settled_point(advance, jacobian, traj: list) -> list | None:
    """The fixed point the trajectory approaches (Newton's method on step(s) - s, from its last state), as a list of
    mpmath numbers, or None: where Newton's method sticks or leaves the reals, the step does not return to it, or
    it is neither reached nor attracting (a point the states merely pass near)."""
    with mpmath.workdps(DIGITS):
        eye = mpmath.eye(len(traj[0]))

        def update(s):
            try:
                return mpmath.lu_solve(jacobian(list(s)) - eye, mpmath.matrix(advance(list(s))) - s)
            except (ZeroDivisionError, TypeError):         # singular; or a NaN, which mpmath's LU cannot pivot
                return None
        s, how = newton(update, mpmath.matrix(traj[-1]), lambda d: mpmath.mnorm(d, 1))
        if how == "stuck" or not all(mpmath.isfinite(v) for v in s):
            return None
        residual = mpmath.mnorm(mpmath.matrix(advance(list(s))) - s, 1)
        near = mpmath.mnorm(mpmath.matrix(traj[-1]) - s, 1)
        half = mpmath.mnorm(mpmath.matrix(traj[len(traj) // 2]) - s, 1)
        attracting = near < half and radius(jacobian(list(s))) < 1 + DRIFT   # not one the state merely passes near
        if residual > RESIDUAL or not (near < mpmath.mpf(SETTLED) or attracting):
            return None
        return list(s)
