"""rnn-activation with several units: a<t> = phi(W_a a<t-1> + b + W_x x), phi elementwise.

The one-step Jacobian is diag(phi'(z<t>)) W_a; at the fixed point its spectral radius
decides the verdict, and Pascanu, Mikolov & Bengio's (2013) conditions on the largest
singular value of W_a bound it for every state.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Eq, Float, ImmutableMatrix, MatMul

from ...fields import FieldError, to_number as to_rational
from ...mathparse import NAMED
from ...numeric import evaluate, shown, to_sympy
from ...precision import DIGITS
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import join_pieces
from ..activations import READABLE, SUPREMA, derivative as activation_derivative, in_sigmoids, recognise, slope
from .domain import check_domain
from .limits import DIVERGED, T_EVIDENCE, iterates, long_T
from .points import slope_value
from .vector_recurrence import VectorRecurrence
from .verdict import VERDICTS, compare_one, radius, versus_one
from .notation import (A_0, A_PREV, A_STAR, A_T, B, C_V, DA_DAPREV, DA_I_DA_J, DZ_I_DA_J, NORM_T, PHI, RHO, SIGMA,
                       SIGMA_MAX, SLOPE_TIMES_W_IJ, SUP_SLOPE, W_A, W_IJ, W_X_X, Z, Z_I, iterate, pre_activation,
                       previous, slopes, weights)
from .values import number, overflow
from . import orbits

SHOWN_ITERATES = 3


@dataclass(frozen=True)
class Units:
    activation: str
    phi: sympy.Expr
    called: str | None
    W_a: ImmutableMatrix      # n x n
    c: ImmutableMatrix        # b + W_x x, n x 1
    b: ImmutableMatrix
    a0: ImmutableMatrix
    T: int = T_EVIDENCE          # the sequence length of the evidence ||da<T>/da<0>||

    @property
    def n(self) -> int:
        return self.W_a.rows


def _matrix(value, field: str) -> ImmutableMatrix:
    if not (isinstance(value, list) and value and all(isinstance(r, list) and r for r in value)):
        raise FieldError(field, "must be a matrix, a list of rows", value, "e.g. [[0.5, 1], [0, 2]]")
    if len({len(r) for r in value}) != 1:
        raise FieldError(field, "rows of different lengths", value, "rows of equal length")
    return ImmutableMatrix([[to_rational(v, field) for v in r] for r in value])


def _vector(value, field: str, n: int) -> ImmutableMatrix:
    if isinstance(value, list):
        if len(value) != n:
            raise FieldError(field, f"must have one entry per unit ({n})", value, f"a list of {n} numbers")
        return ImmutableMatrix([to_rational(v, field) for v in value])
    return ImmutableMatrix([to_rational(value, field)] * n)


MAX_UNITS = 12            # units: each stability answer multiplies a hundred n x n Jacobians at 50 digits
MAX_WORK = 120 * MAX_UNITS**3   # T n^3: the evidence multiplies T n x n Jacobians (12 units: T up to 120)


def configure(values: dict, phi, text: str, called: str | None) -> Units:
    """Validate a several-unit part: W_a square, vectors of the right length."""
    raw = values["W_a"]
    if isinstance(raw, list) and len(raw) > MAX_UNITS:
        raise FieldError("W_a", f"{len(raw)} units; at most {MAX_UNITS}", f"a {len(raw)} x ... matrix",
                         f"an n x n matrix with n up to {MAX_UNITS}")
    W_a = _matrix(raw, "W_a")
    n = W_a.rows
    if W_a.cols != n:
        raise FieldError("W_a", f"must be square (it is {W_a.rows} x {W_a.cols})", values.raw["W_a"], "an n x n matrix")
    b = _vector(values.get("b", 0), "b", n)
    a0 = _vector(values.get("a0", 0), "a0", n)
    x = values.get("x", 0)
    if isinstance(x, list):
        xs = ImmutableMatrix([to_rational(v, "x") for v in x])
        if "W_x" not in values:
            raise FieldError("W_x", "missing: the input x is given, so its weights matter", expected="a matrix")
        W_x = _matrix(values["W_x"], "W_x")
        if W_x.shape != (n, xs.rows):
            raise FieldError("W_x", f"must be {n} x {xs.rows} (units x inputs)", values.raw["W_x"])
        c = b + W_x * xs
    else:
        xv = to_rational(x, "x")
        if xv == 0:
            c = b
        elif "W_x" not in values:
            raise FieldError("W_x", "missing: the input x is not 0, so its weights matter", expected="a list")
        else:
            c = b + _vector(values["W_x"], "W_x", n) * xv
    T = long_T(values)
    if T * n**3 > MAX_WORK:
        raise FieldError("T", f"too long for {n} units: the evidence multiplies T {n} x {n} Jacobians at 50 digits",
                         T, f"a whole number up to {MAX_WORK // n**3} with {n} units")
    return Units(activation=text, phi=phi, called=called, W_a=W_a, c=ImmutableMatrix(c), b=b, a0=a0, T=T)


def _zs(n: int) -> list:
    return [pre_activation(k) for k in range(1, n + 1)]


def _prevs(n: int) -> list:
    return [previous(k) for k in range(1, n + 1)]


def setting(u: Units) -> Text:
    """The units, weights and activation with the spec's values."""
    return say(f"{u.n} recurrent units, ", Eq(A_T, PHI(W_A * A_PREV + C_V), evaluate=False),
               " with the activation applied to each unit, ", Eq(PHI(Z), u.phi, evaluate=False),
               ", ", Eq(W_A, u.W_a, evaluate=False), " and ", Eq(C_V, u.c, evaluate=False),
               " (the bias plus the input's contribution, ", Eq(C_V, B + W_X_X, evaluate=False), ").")


def derivative(u: Units) -> Solution:
    """The Jacobian da<t>/da<t-1> of a several-unit step."""
    return _derivative(u, slope(u.phi)[0])           # phi' as the one-unit case has it


def jacobian_at(u: Units, dphi, zs, slopes_at: list | None = None) -> ImmutableMatrix:
    """diag(phi'(z)) W_a at the given pre-activations (or with the slopes phi'(z_i) given): row i of W_a
    scaled by phi'(z_i)."""
    s = slopes_at if slopes_at is not None else [dphi.subs(Z, z) for z in zs]
    return ImmutableMatrix(u.n, u.n, lambda i, j: s[i] * u.W_a[i, j])


def _meanings(u: Units, dphi, slopes_at: list) -> dict:
    """What the notation means, for the checker: the Jacobian by the chain rule from phi(W_a a + c) itself
    (phi' at unit i's pre-activation, once a row, times the derivative of the pre-activation)."""
    prevs = _prevs(u.n)
    z_of_prev = u.W_a * ImmutableMatrix(prevs) + u.c
    outer = [activation_derivative(u.phi).subs(Z, e) for e in z_of_prev]
    true_jacobian = [[d * _partial(e, p) for p in prevs] for d, e in zip(outer, z_of_prev)]
    meanings = {zk: e for zk, e in zip(_zs(u.n), z_of_prev)}
    meanings.update({DA_DAPREV: ImmutableMatrix(true_jacobian), weights(u.n): u.W_a,
                     slopes(u.n): ImmutableMatrix(sympy.diag(*slopes_at))})
    return meanings


def _partial(e: sympy.Expr, p: sympy.Symbol) -> sympy.Expr:
    """de/dp: for a sum of numbers, symbols and number x symbol terms (W_a a + c, linear) the coefficient of p,
    which is its derivative; else by differentiation."""
    terms = e.args if e.is_Add else (e,)
    if all(t.is_Number or t.is_Symbol or (t.is_Mul and len(t.args) == 2 and t.args[0].is_Number and t.args[1].is_Symbol)
           for t in terms):
        return e.coeff(p)
    return sympy.diff(e, p)


def _derivative(u: Units, dphi) -> Solution:
    zs = _zs(u.n)
    exact_slopes = [dphi.subs(Z, zk) for zk in zs]
    slopes_at = [in_sigmoids(d, SIGMA) for d in exact_slopes]          # σ(z)(1 − σ(z)), not e^z/(e^z + 1)²
    J = jacobian_at(u, dphi, zs, slopes_at)
    diag = ImmutableMatrix(sympy.diag(*slopes_at))
    steps = [
        step(say("Unit i's activation depends on the previous state only through its own pre-activation ",
                 Z_I, ", and ", let(DZ_I_DA_J, W_IJ), ". By the chain rule, entry (i, j) of the Jacobian is ",
                 let(DA_I_DA_J, SLOPE_TIMES_W_IJ), "; as matrices:"),
             chain(DA_DAPREV, MatMul(slopes(u.n), weights(u.n), evaluate=False))),
        step(say("With the given weights:"), chain(DA_DAPREV, MatMul(diag, u.W_a, evaluate=False), J)),
    ]
    printed: dict = {}                 # equal entries (a row's equal weights) printed once
    J_exp = jacobian_at(u, dphi, zs, exact_slopes)                  # the JSON's formulas, in exponentials
    value = [[printed[e] if e in printed else printed.setdefault(e, str(e)) for e in J_exp.row(i)]
             for i in range(u.n)]
    question = say("Find the Jacobian ", DA_DAPREV, f" (a {u.n} × {u.n} matrix), in terms of the"
                   " pre-activations ", *join_pieces(zs), ".")
    return Solution(question=question, steps=tuple(steps),
                    meanings={**_meanings(u, dphi, slopes_at), SIGMA: sympy.Lambda(Z, NAMED["sigmoid"])},
                    answer=Answer(value=value, chain=chain(DA_DAPREV, J)))


# --- stability: analysis ------------------------------------------------------------------

@dataclass(frozen=True)
class Stability:
    """Where the state goes from a<0>, the Jacobian's spectral radius there, the bound and the evidence."""
    traj: tuple                      # the states (lists of mpmath numbers)
    star: ImmutableMatrix | None     # the fixed point the state settles at
    exact: bool                      # ... exactly
    stationary: bool                 # a<0> is already the fixed point
    first: ImmutableMatrix | None    # a<1> computed exactly, for a stationary start
    J_star: ImmutableMatrix | None   # the Jacobian at the fixed point
    factor: sympy.Expr               # its spectral radius, or the growth rate along the trajectory
    rel: str                         # factor against 1
    sigma: sympy.Expr                # the largest singular value of W_a
    name: str | None                 # the standard activation phi is, if any
    sup: sympy.Expr | None           # its largest slope (finite), if known
    bound: sympy.Expr | None         # sigma * sup
    evidence: sympy.Expr | None      # ||da<T>/da<0>|| at the spec's T
    rec: VectorRecurrence            # the recurrence followed

    @property
    def verdict(self) -> str:
        return VERDICTS[self.rel]


def analyse(u: Units) -> Stability:
    """Follow the state from a<0> and measure how products of Jacobians grow along the way."""
    dphi, _ = slope(u.phi)
    rec = VectorRecurrence(u.phi, dphi, u.W_a, u.c)
    traj = rec.trajectory(u.a0, *iterates(u.T))
    check_domain(u.phi, dphi, [z for state in traj if max(abs(v) for v in state) <= DIVERGED
                               for z in rec.pre_activations(state)])
    exact_star = rec.exact_fixed_point(u.a0)
    star = exact_star if exact_star is not None else rec.settle(traj)
    if exact_star is None and star is not None:
        exact_star = rec.exact(star)
        star = exact_star if exact_star is not None else star
    stationary = exact_star is not None and exact_star == u.a0
    first = ImmutableMatrix([u.phi.subs(Z, e) for e in u.W_a * u.a0 + u.c]) if stationary else None
    J_star, factor = _at_star(u, dphi, star, exact_star is not None) if star is not None else (None, _rate(rec, traj))
    name = recognise(u.phi)
    sup = SUPREMA.get(name, (None,))[0]
    sup = None if sup is sympy.oo else sup
    sigma = _sigma_max(u.W_a)
    return Stability(traj=tuple(traj), star=star, exact=exact_star is not None, stationary=stationary,
                     first=first, J_star=J_star, factor=factor, rel=compare_one(factor), sigma=sigma, name=name,
                     sup=sup, bound=sigma * sup if sup is not None else None,
                     evidence=rec.gradient(traj[:-1] if escaped(traj) else traj, u.T), rec=rec)


def _at_star(u: Units, dphi, star: ImmutableMatrix, exact: bool) -> tuple:
    """(the Jacobian at the fixed point, its spectral radius): exactly for an exact point, else to 50 digits."""
    zs = list(u.W_a * star + u.c)
    precise = None if exact else [slope_value(dphi, z) for z in zs]
    J_star = ImmutableMatrix(jacobian_at(u, dphi, zs, precise))
    if not exact:
        J_star = ImmutableMatrix(J_star.applyfunc(lambda e: to_sympy(evaluate(e))))
    return J_star, _spectral_radius(J_star)


def _rate(rec: VectorRecurrence, traj: list) -> sympy.Expr:
    """No fixed point: the growth rate of the product of Jacobians along the trajectory; oo where the state
    overflows and the Jacobians on the way overflow too."""
    factor = rec.growth(traj)
    return sympy.oo if escaped(traj) and not factor.is_finite else factor


def escaped(traj) -> bool:
    """Whether the last state overflowed (kept with its infinities: VectorRecurrence.trajectory)."""
    return any(mpmath.isinf(v) for v in traj[-1])


def _spectral_radius(M) -> sympy.Expr:
    """max |eigenvalue|: exactly for small exact matrices of moderate numbers, else to 50 digits."""
    if M.rows <= 2 and _moderate(M):
        return max((sympy.sqrt(sympy.expand(v * sympy.conjugate(v))) for v in M.eigenvals()),
                   key=lambda v: float(sympy.N(v)))
    with mpmath.workdps(DIGITS):
        return to_sympy(radius(_numeric(M)))


def _moderate(M) -> bool:
    """Rational entries of at most 40 digits: exact eigenvalues stay cheap (SymPy factors the integers under
    a square root, and fails on ones beyond a float, as 10^600 is)."""
    return all(e.is_Rational and abs(e.p) < 10**40 and e.q < 10**40 for e in M)


def _numeric(M: ImmutableMatrix):
    return mpmath.matrix([[evaluate(e) for e in M.row(i)] for i in range(M.rows)])


def _sigma_max(M: ImmutableMatrix) -> sympy.Expr:
    """The largest singular value: exactly (the square root of the largest eigenvalue of M^T M) for a small
    exact matrix, else to 50 digits by mpmath's singular value decomposition."""
    if M.rows <= 2 and _moderate(M):
        return sympy.sqrt(_spectral_radius(ImmutableMatrix(M.T * M)))
    with mpmath.workdps(DIGITS):
        return to_sympy(max(mpmath.svd_r(_numeric(M), compute_uv=False)))


# --- stability: narration -----------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _maps(u: Units) -> tuple:
    """The recurrence as the checker's own runs take it (orbits), made once a spec."""
    return VectorRecurrence(u.phi, slope(u.phi)[0], u.W_a, u.c).orbit_maps


def _state(u: Units, k: int) -> ImmutableMatrix:
    """a<k> as the checker computes it again (from a<0>, at each precision it evaluates it at)."""
    return ImmutableMatrix([orbits.state(_maps(u), u.a0, k, i) for i in range(u.n)])


VERDICT_TEXT = {
    "vanishing": "Vanishing gradients: the spectral radius is below 1, so products of the Jacobian shrink"
                 " geometrically with the sequence length.",
    "exploding": "Exploding gradients: the spectral radius is above 1, so products of the Jacobian grow"
                 " geometrically with the sequence length.",
    "neither": "Neither: the spectral radius is exactly 1, so products of the Jacobian keep their size.",
    "overflowing": "Exploding gradients: the state runs off to infinity, overflowing within a few steps, and the"
                   " Jacobians along the way overflow too, so the gradient blows up with it.",
}


def stability(u: Units, s: Stability) -> Solution:
    """Vanishing, exploding or neither for several units: the analysis narrated."""
    meanings = {A_0: u.a0}
    steps = [_iterates(u, s, meanings)]
    steps += _at_fixed_point(u, s, meanings) if s.star is not None else [_growth(u, s, meanings)]
    bound_steps, notes = _bound(s, meanings)
    steps += bound_steps + _evidence(u, s, meanings)
    value = {"verdict": s.verdict, "fixed_point": [number(v) for v in s.star] if s.star is not None else None,
             "factor": number(s.factor), "sigma_max": number(s.sigma), "gradient_T": number(s.evidence),
             "T": u.T}
    question = say("Starting from ", Eq(A_0, u.a0, evaluate=False), ", for long sequences (T → ∞), will this network"
                   " tend to suffer from vanishing gradients, exploding gradients, or neither?")
    answer_chain = None if s.factor.is_infinite else \
        chain(RHO, *versus_one(s.factor, s.factor.is_Rational or not s.factor.has(Float)))
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=value, chain=answer_chain,
                                  text=say(VERDICT_TEXT["overflowing" if s.factor.is_infinite else s.verdict])))


def _iterates(u: Units, s: Stability, meanings: dict):
    """One exact step for a stationary start, else the first few iterates."""
    if s.stationary:
        meanings[iterate(1)] = s.first
        return step(say("One step from ", Eq(A_0, u.a0, evaluate=False), ":"), chain(iterate(1), s.first, u.a0))
    shown_ks = range(1, min(SHOWN_ITERATES + 1, len(s.traj) - escaped(s.traj)))
    for k in shown_ks:
        meanings[iterate(k)] = _state(u, k)
    return step(say("Iterate from ", Eq(A_0, u.a0, evaluate=False), ":"),
                *[chain(iterate(k), "approx", ImmutableMatrix([Float(to_sympy(v), 6) for v in s.traj[k]]))
                  for k in shown_ks])


def _at_fixed_point(u: Units, s: Stability, meanings: dict) -> list:
    """The fixed point, the Jacobian there and its spectral radius."""
    meanings.update({A_STAR: s.star, RHO: s.factor, DA_DAPREV: s.J_star})
    how = (say("The state never moves: ", A_0, " is already a fixed point.") if s.stationary else
           say("The iterates settle at the fixed point ", A_STAR, ".") if s.exact else
           say("The iterates settle (to 40 digits) at the fixed point ", A_STAR, "."))
    star = ["=", s.star] if s.exact else ["approx", ImmutableMatrix([Float(v, 8) for v in s.star])]
    J = ["=", s.J_star] if s.exact else ["approx", ImmutableMatrix(s.J_star.applyfunc(lambda e: Float(e, 6)))]
    return [step(how, chain(A_STAR, *star)),
            step(say("There the Jacobian ", let(DA_DAPREV, MatMul(slopes(u.n, "z*"), weights(u.n), evaluate=False)),
                     " multiplies the gradient at each step back in time; its spectral radius (largest"
                     " eigenvalue in absolute value) ", RHO, " is how fast repeated products grow or shrink:"),
                 chain(DA_DAPREV, *J), chain(RHO, *versus_one(s.factor, s.exact)))]


def _growth(u: Units, s: Stability, meanings: dict):
    """No fixed point: the growth rate of the product of Jacobians stands in for the spectral radius."""
    if escaped(s.traj):
        return _overflowing(u, s, meanings)
    meanings[RHO] = orbits.along(_maps(u), u.a0, "growth", *orbits.later_half(len(s.traj)))
    return step(say(f"The iterates do not settle (after {len(s.traj) - 1} steps), so the growth rate per"
                    " step of the product of Jacobians along the trajectory stands in for the spectral"
                    " radius:"), chain(RHO, *versus_one(s.factor, False)))


def _overflowing(u: Units, s: Stability, meanings: dict):
    """No fixed point, and the state overflows: the growth rate along the way, or in words where it overflows too."""
    last = len(s.traj) - 1
    before = A_0 if last == 1 else iterate(last - 1)
    if last > 1:                                     # (a<0> means what the spec gives)
        meanings[before] = _state(u, last - 1)
    text = say("The iterates do not settle: from ", chain(before, "approx", ImmutableMatrix(
        [Float(to_sympy(v), 6) for v in s.traj[-2]]))) + overflow(iterate(last), None)
    if s.factor.is_infinite:
        return step(text + say(" The Jacobians along the way overflow as well, so each step back in time multiplies"
                               " the gradient by far more than 1."))
    meanings[RHO] = orbits.along(_maps(u), u.a0, "growth", *orbits.later_half(len(s.traj)))
    return step(text + say(" The growth rate per step of the product of Jacobians before it stands in for the"
                           " spectral radius:"), chain(RHO, *versus_one(s.factor, False)))


def _bound(s: Stability, meanings: dict) -> tuple[list, list]:
    """Pascanu, Mikolov & Bengio's conditions on sigma_max(W_a) (steps, notes)."""
    meanings[SIGMA_MAX] = s.sigma
    if s.sup is None:
        return [], []
    meanings[SUP_SLOPE] = s.sup
    exact = s.bound.is_Rational
    value = s.bound if exact else to_sympy(evaluate(s.bound))
    steps = [step(say("Pascanu, Mikolov & Bengio (2013): with ", let(SUP_SLOPE, s.sup),
                      ", the largest slope of ", READABLE[s.name], ", the gradient must vanish when the largest"
                      " singular value of ", W_A, ", its spectral norm ", SIGMA_MAX, ", is below ", 1 / SUP_SLOPE,
                      " (sufficient), and can only explode when it is above (necessary):"),
                  chain(SIGMA_MAX * s.sup, *versus_one(value, exact)))]
    notes = []
    if s.bound < 1:
        notes.append(say("Since ", sympy.StrictLessThan(SIGMA_MAX * SUP_SLOPE, 1, evaluate=False),
                         ", the gradient vanishes whatever the state or the input."))
    return steps, notes


def _evidence(u: Units, s: Stability, meanings: dict) -> list:
    if s.evidence is None:
        return []
    T = u.T
    meanings[NORM_T] = orbits.along(_maps(u), u.a0, "norm", 0, T)
    return [step(say(f"As evidence, the size (largest singular value) of the product of the {T}"
                     " Jacobians along the actual trajectory:"), chain(NORM_T, "approx", Float(s.evidence, 4)))]


__all__ = ["Units", "configure", "setting", "derivative", "analyse", "stability"]
