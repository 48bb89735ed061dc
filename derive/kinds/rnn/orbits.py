"""Values along a recurrence's trajectory as the checker sees them: defined, never computed once.

An ``Orbit`` node stands for a state a<k> of a<t> = phi(W a<t-1> + c) from a<0>, or for a value made of the
factors or Jacobians along the way (their product, geometric mean, the product's largest singular value,
its growth rate), and computes it again from a<0> whenever it is evaluated, at the precision of that
evaluation (numeric.Recomputed). A key's meanings map its notation to these nodes, so the checker compares a
shown number with its own run, at more digits than the derivation works at and rising where the digits do
not stand (check._check_approx), not with the number the derivation computed: digits a 50-digit trajectory
gets wrong (e^(a/2) at a ~ 10^50, 400 steps of 4z(1 - z)) are caught.
"""

from __future__ import annotations

import functools

import mpmath
import sympy
from sympy import ImmutableMatrix, Lambda, Tuple
from sympy.core.symbol import Str

from ...numeric import Recomputed, accurate_at, compile_at, largest_argument, value_in_exponentials
from ...precision import DEEPEST, DIGITS, RECOMPUTED
from .notation import Z
from .points import FURTHEST, SEEN_TO, SMALL_POWERS, binary_rational
from .runs import first_exactly

MOST_DIGITS = DEEPEST     # the most digits a value is computed at (as check.SETTLE_DIGITS)
KEPT = 64                 # runs remembered (by recurrence, start and precision) for the nodes sharing them


class Orbit(Recomputed, sympy.Function):
    """A value along the trajectory of a<t> = step(a<t-1>) from start, computed at the precision it is evaluated
    at. Its arguments: step and slopes (Lambdas of the state's entries to a Tuple of the next state's entries and
    to one of the slopes s_i that make the step's Jacobian diag(s(a)) M, or where M has no rows to its entries
    row by row), M (a matrix), start (a Tuple), what, lo, hi and unit. ``what``:

    - "state": entry ``unit`` of a<lo>;
    - "product": prod over t in [lo, hi) of |J(a<t>)| (one unit: the factors |W phi'(W a + c)|);
    - "mean": its (hi - lo)-th root, 0 when a factor is 0;
    - "norm": the largest singular value of J(a<hi-1>) ... J(a<lo>);
    - "entry": the size of that product's entry (unit, unit) (a gated cell's |dc<T>/dc<0>|);
    - "growth": the growth rate of that product (verdict.growth): the geometric mean of the sizes
      (Frobenius) of the running products, each scaled to 1 after it, over the later half of the steps.

    A real number, or nan where a value on the way is not a finite real number. Its arguments are definitions,
    not notation: substituting meanings leaves it whole."""

    nargs = 8
    is_number = True                 # (a real number: SymPy may compare it, inside Max say, by evaluating it)

    @classmethod
    def eval(cls, *args):
        return None

    def _xreplace(self, rule):
        return (rule[self], True) if self in rule else (self, False)

    def _eval_subs(self, old, new):
        return self

    def doit(self, **hints):
        return self

    is_commutative = True
    is_extended_real = True
    is_finite = True

    def _eval_is_extended_nonnegative(self):
        return None if self.args[4].name == "state" else True     # (a size, a product of sizes, their mean)

    def value_here(self):
        prec = mpmath.mp.prec
        key = (self, prec)
        if key not in _VALUES:
            if len(_VALUES) >= 16 * KEPT:
                _VALUES.clear()
            _VALUES[key] = self._value(prec)
        return _VALUES[key]

    def _value(self, prec: int):
        step, slopes, M, start, what, lo, hi, unit = self.args
        what, lo, hi = what.name, int(lo), int(hi)
        run = _Run.of(step, slopes, M, start, prec)
        if what == "state":
            states = run.states(lo)
            return states[lo][int(unit)] if states is not None else mpmath.nan
        values = run.jacobians(lo, hi)
        if values is None:
            return mpmath.nan
        with mpmath.workprec(prec):
            if what in ("product", "mean"):
                return _product([abs(J[0][0]) for J in values], what == "mean")
            if what == "entry":
                return abs(_product_of(values)[int(unit)][int(unit)])
            return _largest_singular(values) if what == "norm" else _growth(values)

    def _eval_evalf(self, prec):
        """The value to prec bits as SymPy asks for it (to compare it, say): computed at RECOMPUTED digits, or
        at as many as prec bits need, doubling while it is not a finite real number; None past MOST_DIGITS."""
        digits = RECOMPUTED
        while mpmath.libmp.dps_to_prec(digits) < prec + 10:
            digits *= 2
        while digits <= MOST_DIGITS:
            with mpmath.workdps(digits):
                value = self.value_here()
            if isinstance(value, mpmath.mpf) and mpmath.isfinite(value):
                return sympy.Float._new(mpmath.libmp.mpf_pos(value._mpf_, prec, "n"), prec)
            digits *= 2
        return None


_VALUES: dict = {}        # (node, bits) -> its value


class _Run:
    """One run of a recurrence from a start at one precision: its states and the Jacobians at them, each
    computed once, as far as they are asked for (the states shared by the runs of every kind of Jacobian)."""

    _known: dict = {}
    _trajectories: dict = {}        # (step, start, prec) -> the states so far

    def __init__(self, step, slopes, M, start, prec: int):
        self.prec, self.slopes = prec, slopes
        self.tiny = -(prec // 2)             # a slope below 2^tiny (half the digits) is computed again
        with mpmath.workprec(prec):
            self.step = [(compile_at(e, tuple(step.variables), prec), e.has(sympy.Add)) for e in step.expr]
            self.step_fn = step
            self.entries = [(compile_at(e, tuple(slopes.variables), prec), e.has(sympy.Add)) for e in slopes.expr]
            self.M = [[compile_at(m, (), prec)() for m in M.row(i)] for i in range(M.rows)]
            key = (step, start, prec)
            if key not in self._trajectories:
                first = first_exactly(step.expr, tuple(step.variables), start, mpmath.libmp.prec_to_dps(prec))
                self._trajectories[key] = [[compile_at(v, (), prec)() for v in start]] + ([first] if first else [])
            self.list = self._trajectories[key]
        self.J: dict = {}             # t -> J(a<t>)

    @classmethod
    def of(cls, *args) -> "_Run":
        if args not in cls._known:
            if len(cls._known) >= KEPT:
                cls._known.clear()
                cls._trajectories.clear()
            cls._known[args] = cls(*args)
        return cls._known[args]

    def states(self, last: int) -> list | None:
        """a<0> ... a<last> (lists of mpmath numbers); None where one on the way is not a finite real number. A
        state that is its predecessor to every bit is a fixed point of the run: the states after it are it."""
        with mpmath.workprec(self.prec):
            while len(self.list) <= last and self.list[-1] is not None:
                state = self.list[-1]
                if len(self.list) > 1 and _same(state, self.list[-2]):
                    self.list.append(state)
                    continue
                self.list.append(_real([self._finer(self.step_fn, k, state, f(*state), cancels, -MOST_BITS)
                                        for k, (f, cancels) in enumerate(self.step)]))
        return self.list if all(s is not None for s in self.list[:last + 1]) else None

    def jacobians(self, lo: int, hi: int) -> list | None:
        """J(a<lo>) ... J(a<hi-1>) as lists of rows, J(a) = diag(s(a)) M (or s(a)'s entries row by row where M has
        no rows), each computed once; None where a state or a slope on the way is not a finite real number."""
        states = self.states(hi - 1)
        if states is None:
            return None
        out = []
        with mpmath.workprec(self.prec):
            for t in range(lo, hi):
                if t not in self.J:
                    same = t > 0 and states[t] is states[t - 1] and t - 1 in self.J     # (at a fixed point)
                    self.J[t] = self.J[t - 1] if same else self._jacobian(states[t])
                if self.J[t] is None:
                    return None
                out.append(self.J[t])
        return out

    def _jacobian(self, state: list) -> list | None:
        s = _real([self._finer(self.slopes, k, state, f(*state), cancels, self.tiny)
                   for k, (f, cancels) in enumerate(self.entries)])
        if s is None:
            return None
        n = len(state)
        return [s[i * n:(i + 1) * n] for i in range(n)] if not self.M else \
            [[si * m for m in row] for si, row in zip(s, self.M)]

    def _finer(self, fn: Lambda, k: int, state: list, value, cancels: bool, below):
        """Entry k of fn at the state, computed at the run's precision as ``value``; where it is written with a
        difference (``cancels``) and comes out below 2^below in size or 0 (a next state: 0; a slope: half its bits),
        at twice as many digits and so on until two evaluations agree to DIGITS + 5 digits (numeric.accurate_at;
        0 where it stays 0 up to MOST_DIGITS, nan where it does not settle): ln(1 + e^z) is 0 at z = -1000 until
        ~440 digits, 1 - tanh^2(z) at |z| ~ 1000 until ~870."""
        if not cancels or type(value) is not mpmath.mpf:
            return value
        raw = value._mpf_
        if raw[1] and raw[2] + raw[3] > below:            # (a mantissa: not 0, and at least 2^below in size)
            return value
        finer = accurate_at(fn.expr[k], tuple(fn.variables), tuple(state), value, DIGITS + 5, MOST_DIGITS)
        if finer is None or finer == 0:             # digits unsettled or underflowed, or 0 indeed: ask algebra
            beyond = _in_exponentials(fn.expr[k], fn.variables, state)
            finer = finer if beyond is None else beyond
        return mpmath.nan if finer is None else finer


def _in_exponentials(expr, variables, state: list):
    """expr at the state (each entry the exact binary number it is) with its exponentials in one t
    (numeric.value_in_exponentials): 1 − tanh²(−11000), about 10^-9554, is 0 at every precision up to
    MOST_DIGITS. None where that form does not apply."""
    exact = {v: binary_rational(x) for v, x in zip(variables, state)}
    if any(x is None for x in exact.values()):          # (a state of too many bits to write out)
        return None
    at = expr.xreplace(exact)
    if not SEEN_TO < largest_argument(at) <= FURTHEST:
        return None
    return value_in_exponentials(at, DIGITS + 5, SEEN_TO, SMALL_POWERS, MOST_DIGITS)


def _same(a: list, b: list) -> bool:
    """Whether two states are one to every bit."""
    return all(x._mpf_ == y._mpf_ for x, y in zip(a, b))


def _real(values: list) -> list | None:
    """The values when all are finite real mpmath numbers, else None."""
    return values if all(type(v) is mpmath.mpf and (v._mpf_[1] or v._mpf_ == _ZERO) for v in values) else None


_ZERO = mpmath.libmp.fzero
MOST_BITS = 2**64                    # (any number not 0 is larger than 2^-MOST_BITS)


def _product(factors: list, mean: bool):
    """The product of the factors, or their geometric mean (0 when one is 0)."""
    if not mean:
        return mpmath.fprod(factors)
    if any(f == 0 for f in factors):
        return mpmath.mpf(0)
    return mpmath.exp(mpmath.fsum(mpmath.log(f) for f in factors) / len(factors))


def _times(A: list, B: list) -> list:
    """A B for matrices as lists of rows (each entry an exact dot product rounded once: mpmath.fdot)."""
    columns = list(zip(*B))
    return [[mpmath.fdot(row, col) for col in columns] for row in A]


def _product_of(matrices: list) -> list:
    """J_last ... J_first (lists of rows)."""
    M = matrices[0]
    for J in matrices[1:]:
        M = _times(J, M)
    return M


def _largest_singular(matrices: list):
    """The largest singular value of the product J_last ... J_first (lists of rows)."""
    return max(abs(s) for s in mpmath.svd_r(mpmath.matrix(_product_of(matrices)), compute_uv=False))


def _growth(matrices: list):
    """The geometric mean of the sizes (Frobenius) of the running products (each scaled to 1 after its size is
    taken) over the later half of the steps: the product's growth per step, a constant first factor aside."""
    sizes, M = [], None
    for J in matrices:
        M = J if M is None else _times(J, M)
        size = mpmath.sqrt(mpmath.fsum(x * x for row in M for x in row))
        if size == 0:
            return mpmath.mpf(0)
        sizes.append(size)
        M = [[x / size for x in row] for row in M]
    half = (len(sizes) + 1) // 2 if len(sizes) > 1 else 0
    return mpmath.exp(mpmath.fsum(mpmath.log(s) for s in sizes[half:]) / (len(sizes) - half))


# --- the nodes a key's meanings use ---------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def maps(variables: tuple, nexts: tuple, slopes: tuple, M: ImmutableMatrix) -> tuple:
    """The recurrence as an Orbit takes it: a -> the next state's entries, a -> the slopes s_i of the Jacobian
    diag(s(a)) M, over the previous state's symbols (its own meanings are never substituted in:
    Orbit._xreplace), and M. One unit: s = W phi'(W a + c), M = 1; several: s_i = phi'(W_i a + c_i), M = W."""
    return Lambda(variables, Tuple(*nexts)), Lambda(variables, Tuple(*slopes)), M


def slopes(dphi, pres: tuple) -> tuple:
    """phi'(z) at each pre-activation W_i a + c_i."""
    return tuple(dphi.xreplace({Z: z}) for z in pres)


def state(recurrence: tuple, start, k: int, unit: int = 0) -> Orbit:
    """a<k> (entry ``unit``) from start (a number, or a list or matrix of them)."""
    return _node(recurrence, start, "state", k, k + 1, unit)


def along(recurrence: tuple, start, what: str, lo: int, hi: int) -> Orbit:
    """A value over the states a<lo> ... a<hi-1>: "product", "mean", "norm" or "growth"."""
    return _node(recurrence, start, what, lo, hi, 0)


def entry(recurrence: tuple, start, T: int, k: int) -> Orbit:
    """|entry (k, k) of J(a<T-1>) ... J(a<0>)|."""
    return _node(recurrence, start, "entry", 0, T, k)


def run_states(recurrence: tuple, start, last: int) -> list | None:
    """a<0> ... a<last> (lists of mpmath numbers) at RECOMPUTED digits: the run this recurrence's nodes from
    ``start`` are first evaluated on, made once (a derivation checking its own trajectory against it leaves the
    checker nothing to compute again); None where a state on the way is not a finite real number."""
    run = _Run.of(*recurrence, Tuple(*_entries(start)), mpmath.libmp.dps_to_prec(RECOMPUTED))
    states = run.states(last)
    return None if states is None else states[:last + 1]


def later_half(length: int) -> tuple[int, int]:
    """The states a mean factor or growth rate takes, of a trajectory of ``length`` states: its later half but
    the last state (as Recurrence.mean_factor and verdict.growth take them: traj[len // 2:-1], or the first state
    alone)."""
    lo, hi = length // 2, length - 1
    return (lo, hi) if lo < hi else (0, 1)


def _node(recurrence: tuple, start, what: str, lo: int, hi: int, unit: int) -> Orbit:
    return Orbit(*recurrence, Tuple(*_entries(start)), Str(what), lo, hi, unit)


def _entries(start) -> list:
    return list(start) if isinstance(start, (list, tuple, ImmutableMatrix)) else [start]


__all__ = ["Orbit", "maps", "slopes", "state", "along", "entry", "run_states", "later_half"]
