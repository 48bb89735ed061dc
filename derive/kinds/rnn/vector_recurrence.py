"""Several units a<t> = phi(W a<t-1> + c), W a matrix, c a vector, phi elementwise (``VectorRecurrence``): its
trajectory, fixed points, the Jacobians and their products along the way (multiplied on raw mpmath numbers, fast).
Pure functions of (phi, W, c); no prose, no printing.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Callable

import mpmath
import sympy
from mpmath.libmp import from_man_exp, fzero, mpf_add, mpf_mul, mpf_pos, mpf_sum
from sympy import ImmutableMatrix

from ...check import is_zero
from ...numeric import compile as compile_numeric, compile_at, evaluate, limit, small_rational, to_sympy, value_at
from ...precision import DIGITS, SAME_ROOT
from . import orbits
from .domain import BEYOND, refusal
from .limits import BOUNDED, MAX_ITERATES, PREC, ROUND, T_EVIDENCE
from .notation import Z, previous
from .points import binary_rational, cancelled, exact_at, refined
from .runs import Escaped, HUGE, checked_run, digits_cancelled, first_exactly, largest, run, starting, z_digits
from .verdict import growth, settled_point


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
        first = first_exactly([sub for sub, _, _ in self._units], self._previous(), a0)
        states = run(starting(self._escaping(self.map()), first), [evaluate(v) for v in a0], n, settle_after, largest)
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
                    zs = self.pre_activations(state)
                    lost = max([lost] + [digits_cancelled(t, z) for t, z, ci in zip(terms, zs, c) if ci])
            return max(z_digits(rows, max(abs(c[i]) for i in range(self.n)), states), lost)

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
        """The next state with each unit that came out 0 from a difference computed again (points.cancelled)."""
        exact = [binary_rational(v) if type(v) is mpmath.mpf else None for v in state]
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
                start, first = [value_at(v, digits) for v in a0], first_exactly(units, prevs, a0, digits)
                states = run(starting(self._escaping(lambda s: [m(*s) for m in maps]), first), start, steps,
                             settle_after, largest, digits)
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
        a = settled_point(self.map(), self.jacobian(), traj)
        return None if a is None else ImmutableMatrix([to_sympy(v) for v in a])

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
