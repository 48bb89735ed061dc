"""One recurrent unit a<t> = phi(W a<t-1> + c), W and c numbers (``Recurrence``): its trajectory, fixed points
in a window, attracting cycles, the one-step factor and the gradient along the way. Pure functions of (phi, W, c); no
prose, no printing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import mpmath
import sympy
from sympy import ImmutableMatrix

from ...numeric import Unsupported, compile as compile_numeric, compile_at, evaluate, limit, to_sympy, value_at
from ...precision import DIGITS, RESIDUAL, SAME_ROOT, ZERO
from ..activations import composed_derivative
from . import orbits
from .domain import BEYOND, refusal
from .limits import BOUNDED, MAX_ITERATES, MAX_PERIOD, T_EVIDENCE
from .notation import A_PREV, A_STAR, Z
from .points import binary_rational, cancelled, exact_at, newton, tiny_slope
from .runs import Escaped, HUGE, checked_run, digits_cancelled, first_exactly, run, starting, z_digits
from .verdict import geometric_mean


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
        first = first_exactly(self.expressions[:1], (A_PREV,), [a0])
        states = run(starting(self._escaping(self.map()), first and first[0]), evaluate(a0), n, settle_after, abs)
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
            lost = 0
            if c and W:                      # (W a and c of opposite signs and about one size: all that can cancel)
                (w_sign, _, w_exp, w_bc), (c_sign, _, c_exp, c_bc) = W._mpf_, c._mpf_
                for a in states:
                    raw = a._mpf_ if type(a) is mpmath.mpf else None
                    if raw and raw[1] and raw[0] ^ w_sign != c_sign and \
                            abs(raw[2] + raw[3] + w_exp + w_bc - c_exp - c_bc) <= 2:
                        lost = max(lost, digits_cancelled(abs(W * a) + abs(c), W * a + c))
        return max(z_digits(W, c, states), lost)

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
        """phi(W a + c) where it came out 0 from a difference (points.cancelled)."""
        b = binary_rational(a)
        return cancelled(self.phi, self.W * b + self.c if b is not None else None,
                         evaluate(self.W) * a + evaluate(self.c))

    def _run_at(self, a0) -> Callable:
        """(steps, settle_after, digits, factors?) -> (the trajectory at that many digits, the factors |W phi'(z)|
        at its states but the last, or None): checked_run's runs."""
        expr, slope = self.expressions

        def at(steps: int, settle_after: int, digits: int, factors: bool) -> tuple:
            prec = mpmath.libmp.dps_to_prec(digits)
            with mpmath.workprec(prec):
                step, start = compile_at(expr, (A_PREV,), prec), value_at(a0, digits)
                first = first_exactly([expr], (A_PREV,), [a0], digits)
                states = run(starting(self._escaping(step), first and first[0]), start, steps, settle_after, abs, digits)
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
        dg = composed_derivative(self.phi, self.W * A_STAR + self.c, A_STAR) - 1
        return g, compile_numeric(g, (A_STAR,)), compile_numeric(dg, (A_STAR,))

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
        b = binary_rational(a)
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


def _numbers(states: list | None) -> list | None:
    """One unit's states as numbers (orbits gives each as a list of one)."""
    return None if states is None else [s[0] for s in states]
