"""The numeric side of a scalar recurrence a<t> = phi(W a<t-1> + c), to 50 digits.

Trajectories, fixed points (Newton's method, and Newton on g/g' at multiple roots), all
fixed points in a window, attracting cycles, and the gradient along a trajectory. Pure
functions of (phi, W, c); no prose, no printing.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Heaviside

from ..check import is_zero
from ..numeric import Unsupported, compile as compile_numeric, evaluate, to_sympy
from ..symbols import A_PREV, A_STAR, Z

DIGITS = 50
DIVERGED = 10**300      # beyond this a state has left every bounded region (and float64)
TINY = mpmath.mpf("1e-45")
MAX_PERIOD = 8
T_EVIDENCE = 100        # the long T whose |da<T>/da<0>| each stability answer states
MAX_ITERATES = 400


def _step0(expr):
    """expr with ReLU'(0) := 0 (Heaviside(0) = 0)."""
    return expr.replace(Heaviside, lambda arg, *rest: Heaviside(arg, 0))


@dataclass(frozen=True)
class Recurrence:
    """a<t> = phi(W a<t-1> + c) with phi' = dphi (ReLU'(0) = 0)."""

    phi: sympy.Expr
    dphi: sympy.Expr
    W: sympy.Rational
    c: sympy.Rational

    def map(self):
        """a -> phi(W a + c), compiled."""
        return compile_numeric(self.phi.subs(Z, self.W * A_PREV + self.c), (A_PREV,))

    def slope(self):
        """a -> W phi'(W a + c), the one-step factor at state a, compiled."""
        return compile_numeric(self.W * self.dphi.subs(Z, self.W * A_PREV + self.c), (A_PREV,))

    def trajectory(self, a0, n: int, settle_after: int) -> list:
        """a<0>, ..., a<n>; stops once stationary (past settle_after) or beyond DIVERGED (kept)."""
        step = self.map()
        out = [evaluate(a0)]
        with mpmath.workdps(DIGITS):
            for k in range(n):
                nxt = step(out[-1])
                if not mpmath.isfinite(nxt):
                    break
                out.append(nxt)
                if abs(nxt) > DIVERGED or (k > settle_after and out[-1] == out[-2]):
                    break
        return [to_sympy(v) for v in out]

    def g(self) -> sympy.Expr:
        """g(a*) = phi(W a* + c) - a*, zero at a fixed point."""
        return self.phi.subs(Z, self.W * A_STAR + self.c) - A_STAR

    def newton(self, start) -> sympy.Float | None:
        """A root of g near start to about 45 digits: Newton's method, and where that crawls (a multiple
        root, as where the factor is exactly 1) Newton's method on g/g'; None if neither converges."""
        g = self.g()
        dg = _step0(sympy.diff(g, A_STAR))
        gf, dgf = compile_numeric(g, (A_STAR,)), compile_numeric(dg, (A_STAR,))
        with mpmath.workdps(DIGITS):
            a = evaluate(start)
            for _ in range(60):
                slope = dgf(a)
                if slope == 0 or not mpmath.isfinite(slope):
                    break
                delta = gf(a) / slope
                a -= delta
                if abs(delta) < TINY:
                    break
            else:
                a = self._multiple_root(g, gf, dgf, a)
            if a is None or not mpmath.isfinite(a) or abs(gf(a)) > mpmath.mpf("1e-30"):
                return None
        return to_sympy(a)

    @staticmethod
    def _multiple_root(g, gf, dgf, a):
        try:
            d2gf = compile_numeric(sympy.diff(g, A_STAR, 2), (A_STAR,))
        except Unsupported:
            return a
        for _ in range(60):
            value, slope, curve = gf(a), dgf(a), d2gf(a)
            denominator = slope**2 - value * curve
            if denominator == 0 or not mpmath.isfinite(denominator):
                break
            delta = value * slope / denominator
            a -= delta
            if abs(delta) < TINY:
                break
        return a

    def fixed_points(self, around: list, width: float = 20, cells: int = 400) -> list[sympy.Float]:
        """Every fixed point in a window that covers the given states (sign changes of g, refined)."""
        finite = [float(a) for a in around if abs(a) < 1e6]
        lo, hi = min(finite + [0.0]) - width, max(finite + [0.0]) + width
        gf = compile_numeric(self.g(), (A_STAR,))
        found: list = []
        with mpmath.workdps(DIGITS):
            grid = [mpmath.mpf(lo) + (hi - lo) * mpmath.mpf(k) / cells for k in range(cells + 1)]
            values = [gf(a) for a in grid]
            starts = [grid[k] for k in range(cells) if mpmath.isfinite(values[k]) and mpmath.isfinite(values[k + 1])
                      and (values[k] == 0 or values[k] * values[k + 1] < 0)]
        for start in starts + [a for a in around if abs(a) < 1e6]:
            root = self.newton(start)
            if root is not None and all(abs(root - r) > 1e-20 for r in found):
                found.append(root)
        return sorted(found)

    def cycle(self, traj: list) -> list | None:
        """The attracting cycle (period 2..MAX_PERIOD) the trajectory has settled on, if any."""
        if len(traj) < 4 * MAX_PERIOD or abs(traj[-1]) > 1e6:
            return None
        tail = traj[-(2 * MAX_PERIOD + 1):]
        for p in range(2, MAX_PERIOD + 1):
            if all(abs(tail[-1 - k] - tail[-1 - k - p]) < 1e-30 for k in range(p)) and \
                    abs(tail[-1] - tail[-2]) > 1e-20:
                return tail[-p:]
        return None

    def gradient(self, traj: list, T: int) -> sympy.Float | None:
        """|da<T>/da<0>| = prod_t |W phi'(z<t>)| along the trajectory; None if it diverged before T."""
        if len(traj) <= T:
            return None
        factor = self.slope()
        with mpmath.workdps(DIGITS):
            prod = mpmath.mpf(1)
            for a in traj[:T]:
                prod *= abs(factor(evaluate(a)))
        return to_sympy(prod)

    def product(self, states: list) -> sympy.Float:
        """prod |W phi'(W a + c)| over the given states."""
        factor = self.slope()
        with mpmath.workdps(DIGITS):
            return to_sympy(mpmath.fprod(abs(factor(evaluate(a))) for a in states))

    def mean_factor(self, traj: list) -> sympy.Expr:
        """Geometric mean of the one-step factors over the second half of the trajectory (0 if any is 0)."""
        factor = self.slope()
        with mpmath.workdps(DIGITS):
            factors = [abs(factor(evaluate(a))) for a in traj[len(traj) // 2:-1] or traj[:1]]
            if any(f == 0 for f in factors):
                return sympy.Integer(0)
            return to_sympy(mpmath.exp(mpmath.fsum(mpmath.log(f) for f in factors) / len(factors)))


def compare_one(value) -> str:
    """'<', '=' or '>' of a factor against 1: exactly for exact values, to 1e-30 for numeric ones."""
    d = value - 1
    if d.has(sympy.Float):
        return "=" if abs(d) < sympy.Float("1e-30") else "<" if d < 0 else ">"
    if is_zero(d):
        return "="
    return "<" if sympy.N(d, DIGITS) < 0 else ">"
