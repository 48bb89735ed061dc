"""rnn-activation, one unit: vanishing or exploding gradients over long sequences.

``analyse`` follows the state from a<0> (where it settles: a fixed point, exactly where possible, a
cycle, or nowhere; the per-step factor there; every fixed point; the bound from the largest slope;
the gradient at the spec's T, 100 by default) into a frozen ``Stability``; the functions after it write the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Abs, Eq, Float, Heaviside

from ...check import is_zero
from ...numeric import compile as compile_numeric, evaluate, shown, small_rational, to_sympy
from ...precision import DIGITS, DRIFT, SAME_ROOT, SETTLED
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import plural
from ..activations import READABLE, SUPREMA, kinks, recognise, slope
from .domain import check_domain
from .limits import DIVERGED, iterates
from .points import exact_at
from .recurrence import Recurrence
from .verdict import VERDICTS, compare_one, verdict
from .config import Config, constant, meanings as part_meanings, z_general
from .notation import (A_0, A_PREV, A_STAR, A_T, B, CYCLE_PRODUCT, DA_DAPREV, DA_DZ, DA_T_DA_0, FACTOR, G, PHI, SUP_SLOPE,
                       T_LONG, W_A, W_X, X_T, Z, Z_STAR, cycle_point, factor, fixed_point, gradient_at, iterate)
from .values import number, overflow
from . import orbits

SHOWN_ITERATES = 5
GRID_DIGITS = 15          # a slope scanned on a grid needs no more; the maximum is then refined at DIGITS

# --- analysis -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FixedPoint:
    """One solution of a* = phi(W_a a* + c), with the factor |W_a phi'(z*)| there."""
    value: sympy.Expr
    exact: bool
    factor: sympy.Expr


@dataclass(frozen=True)
class Bound:
    """The largest slope of phi times |W_a|: known (a standard activation), found numerically, or none."""
    name: str | None
    sup: sympy.Expr | None          # None with numeric: the slope grows without bound
    numeric: bool


@dataclass(frozen=True)
class Outcome:
    """Where a state started next to an unstable fixed point ends: a fixed point and its factor, or None."""
    start: sympy.Expr
    end: sympy.Expr | None
    factor: sympy.Expr | None


@dataclass(frozen=True)
class Stability:
    """What the trajectory from a<0> does and what that means for the gradient over long sequences."""
    dphi: sympy.Expr
    g: sympy.Expr | None            # phi' in terms of the output a<t>, if there is such a form
    rec: Recurrence
    traj: tuple
    star: sympy.Expr | None         # the fixed point the state settles at
    exact: bool                     # ... exactly (a rational, or the start itself)
    stationary: bool                # a<0> is already the fixed point
    cycle: tuple | None             # the states of the cycle it settles on instead
    cycle_product: sympy.Expr | None
    factor: sympy.Expr              # per-step factor: at the fixed point, over the cycle, or the mean
    drifting: bool                  # no fixed point or cycle, and the factors tend to 1
    rel_one: str                    # factor against 1: '<', '=' or '>'
    points: tuple[FixedPoint, ...]  # every fixed point near the trajectory
    reached: int | None             # the one the state ends at (1-based), if listed
    kink_at_star: bool              # the ReLU's argument is exactly 0 at the fixed point
    bound: Bound
    evidence: sympy.Expr | None     # |da<T>/da<0>| at the spec's T (None: the state diverged first)
    longer: sympy.Expr | None       # the same further along, when it shows a slow decay
    verdict: str                    # a key of VERDICT_TEXT
    perturbed: tuple[Outcome, ...]  # a stationary start on an unstable fixed point, nudged either way
    a0: sympy.Expr = sympy.Integer(0)   # the spec's a<0>, where the checker's own runs start (orbits)

    def state(self, k: int) -> orbits.Orbit:
        """a<k> as the checker computes it again (from a<0>, at each precision it evaluates it at)."""
        return orbits.state(_maps(self.rec), self.a0, k)

    def along(self, what: str, lo: int, hi: int) -> orbits.Orbit:
        """The product ("product") or geometric mean ("mean") of the factors at a<lo> ... a<hi-1>, as the checker
        computes it again."""
        return orbits.along(_maps(self.rec), self.a0, what, lo, hi)


def _maps(rec: Recurrence) -> tuple:
    """The recurrence as the checker's own runs take it (orbits)."""
    return rec.orbit_maps


def _fixed_point(c: Config, rec: Recurrence, traj: list):
    """(a*, exact?) the trajectory settles at, or (None, False) when it does not settle."""
    cc = constant(c)
    prev = c.a0
    for _ in range(SHOWN_ITERATES):            # an exactly stationary start, e.g. tanh(0) = 0
        nxt = exact_at(c.phi, c.W_a * prev + cc)
        if nxt is None:
            break
        if nxt == prev:
            return prev, True
        if not nxt.is_Rational:
            break
        prev = nxt
    last = traj[-1]
    if abs(last) > DIVERGED:
        return None, False
    a = rec.newton(last)
    if a is None:
        return None, False
    half, near = traj[len(traj) // 2], abs(last - a)
    if near > SETTLED and not (near < abs(half - a) and near < APPROACH * abs(last - half) and _attracting(rec, a)):
        return None, False          # a repelling fixed point the state merely passes near (a cycle around it, say),
    return _exact_if_possible(rec, a)   # or a root far beyond a state creeping off (ln(1 + e^a) = a + e^(-a) ...)


APPROACH = 100     # a state approaching a fixed point is at most this many times its last half's travel from it


def _attracting(rec: Recurrence, a) -> bool:
    """|W_a phi'(z)| at a is below 1 (or 1 to within DRIFT: a factor of exactly 1 approached from outside)."""
    with mpmath.workdps(DIGITS):
        return bool(abs(rec.slope()(evaluate(a))) < 1 + DRIFT)


def _exact_if_possible(rec: Recurrence, a):
    """(a, exact?): the small rational a numeric fixed point is, when it provably is one."""
    guess = small_rational(a, tolerance=SAME_ROOT)
    if guess is None or exact_at(rec.dphi, rec.W * guess + rec.c) is None:     # (its factor is then exact too)
        return a, False
    value = exact_at(rec.phi, rec.W * guess + rec.c)
    if value is not None and is_zero(value - guess):
        return guess, True
    return a, False


def _factor_at(rec: Recurrence, star, exact: bool) -> sympy.Expr:
    """|W_a phi'(z*)| at a fixed point: exact for an exact point, else to DIGITS."""
    slope = exact_at(rec.dphi, rec.W * star + rec.c) if exact else None
    if slope is not None:
        factor = Abs(rec.W * slope)
        return factor if factor.is_Rational else sympy.simplify(factor)
    with mpmath.workdps(DIGITS):                     # numerically: a Float inside Abs would make SymPy evaluate
        return to_sympy(rec.slope_at(star))


def _listed(rec: Recurrence, traj: list, star) -> tuple[tuple[FixedPoint, ...], int | None]:
    """Every fixed point near the trajectory with its factor, and which of them the state reaches."""
    points, reached = [], None
    for k, a in enumerate(rec.fixed_points(traj[:SHOWN_ITERATES + 1] + traj[-1:]), 1):
        a, exact = _exact_if_possible(rec, a)
        factor = Abs(rec.W * exact_at(rec.dphi, rec.W * a + rec.c)) if exact else rec.product([a])   # (exact: safe)
        points.append(FixedPoint(a, exact, factor))
        if star is not None and abs(a - star) < SETTLED:
            reached = k
    return tuple(points), reached


def _bound(c: Config, dphi) -> Bound:
    name = recognise(c.phi)
    sup = SUPREMA.get(name, (None,))[0]
    if sup is not None and sup is not sympy.oo:
        return Bound(name, sup, False)
    if name is None:
        return Bound(None, _numeric_sup(dphi), True)
    return Bound(name, None, False)


def _numeric_sup(dphi) -> sympy.Expr | None:
    """The largest |phi'| over [-50, 50] (a grid refined by golden-section search), or None when the
    slope keeps growing towards the ends."""
    slope_at = compile_numeric(Abs(dphi), (Z,))
    with mpmath.workdps(GRID_DIGITS):
        grid = [mpmath.mpf(k) / 20 for k in range(-1000, 1001)]
        values = [slope_at(z) for z in grid]
    if not all(mpmath.isfinite(v) for v in values) or max(values[:40] + values[-40:]) >= max(values):
        return None
    best = max(range(len(grid)), key=lambda k: values[k])
    with mpmath.workdps(DIGITS):
        lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        for _ in range(200):                     # golden-section search for the maximum around the grid's best
            m1, m2 = lo + (hi - lo) * 0.381966, hi - (hi - lo) * 0.381966
            lo, hi = (m1, hi) if slope_at(m1) < slope_at(m2) else (lo, m2)
        return to_sympy(slope_at((lo + hi) / 2))


def _perturbed(rec: Recurrence, star) -> tuple[Outcome, ...]:
    """Where the state goes from just above and just below an unstable fixed point."""
    outcomes = []
    for eps in (sympy.Rational(1, 10**6), -sympy.Rational(1, 10**6)):
        traj = rec.trajectory(star + eps)
        end = rec.newton(traj[-1]) if abs(traj[-1]) <= DIVERGED else None
        settled = end is not None and abs(end - traj[-1]) < SETTLED
        outcomes.append(Outcome(star + eps, end if settled else None, rec.product([end]) if settled else None))
    return tuple(outcomes)


def _trend(rec: Recurrence, traj: list, star, exact: bool, cycle) -> tuple:
    """(factor, drifting?, product over the cycle): the per-step factor wherever the state ends up."""
    if star is not None:
        return _factor_at(rec, star, exact), False, None
    if cycle is not None:
        product = rec.product(cycle)
        return to_sympy(evaluate(product ** sympy.Rational(1, len(cycle)))), False, product
    factor = rec.mean_factor(traj)
    return factor, abs(factor - 1) < DRIFT, None


def _verdict(rel_one: str, star, cycle, evidence, longer, factor) -> str:
    """A key of VERDICT_TEXT: the factor against 1, refined by how the state gets there."""
    if factor.is_infinite:
        return "overflowing"
    word = VERDICTS[rel_one]
    if word == "neither" and longer is not None and evidence is not None and longer < evidence:
        return "slowly-vanishing"
    if word == "neither" and star is None and cycle is None:
        return "neither-drifting"
    return word


def _mpf(a: sympy.Number) -> mpmath.mpf:
    """A state as an mpmath number: a Float's bits as they are, an exact start (a0 = 0, 1/2) divided out."""
    return mpmath.mpf(a._mpf_) if a.is_Float else mpmath.mpf(a.p) / a.q


def analyse(c: Config) -> Stability:
    """Follow the state from a<0>: where it settles, the factor there, the evidence at T."""
    dphi, g = slope(c.phi)
    rec = Recurrence(c.phi, dphi, c.W_a, constant(c))
    traj = rec.trajectory(c.a0, *iterates(c.T))
    W, cc = evaluate(c.W_a), evaluate(constant(c))
    values = (_mpf(a) for a in traj if a.is_Float or a.is_Rational)  # (oo, a state that overflowed, left out)
    check_domain(c.phi, dphi, [W * v + cc for v in values if abs(v) <= DIVERGED])
    star, exact = _fixed_point(c, rec, traj)
    if star is not None:
        check_domain(c.phi, dphi, [evaluate(c.W_a * star + constant(c))], "the fixed point")
    stationary = exact and star == c.a0
    cycle = rec.cycle(traj) if star is None else None
    factor, drifting, product = _trend(rec, traj, star, exact, cycle)
    rel_one = "=" if drifting else compare_one(factor)
    points, reached = _listed(rec, traj, star)
    evidence = rec.gradient(traj[:-1] if traj[-1].is_infinite else traj, c.T)   # (the last factor overflows)
    longer = None
    if rel_one == "=" and star is not None and not stationary:
        longer = rec.gradient(traj, len(traj) - 1)
    return Stability(
        dphi=dphi, g=g, rec=rec, traj=tuple(traj), star=star, exact=exact, stationary=stationary,
        cycle=tuple(cycle) if cycle is not None else None, cycle_product=product, factor=factor,
        drifting=drifting, rel_one=rel_one, points=points, reached=reached,
        kink_at_star=star is not None and any(is_zero(c.W_a * star + constant(c) - k) for k in kinks(dphi)),
        bound=_bound(c, dphi), evidence=evidence, longer=longer,
        verdict=_verdict(rel_one, star, cycle, evidence, longer, factor),
        perturbed=_perturbed(rec, star) if stationary and rel_one == ">" else (), a0=c.a0)


# --- narration ----------------------------------------------------------------------------

ROOTS = {2: "square", 3: "cube"}
VERDICT_TEXT = {
    "vanishing": "Vanishing gradients: each step back in time multiplies the gradient by a factor below 1,"
                 " so it decays geometrically with the sequence length.",
    "slowly-vanishing": "Vanishing gradients, but slowly: the factor tends to exactly 1 as the state approaches"
                        " the fixed point, so the gradient decays like a power of the sequence length, not"
                        " geometrically.",
    "exploding": "Exploding gradients: each step back in time multiplies the gradient by a factor above 1,"
                 " so it grows geometrically with the sequence length.",
    "neither": "Neither: each step back in time multiplies the gradient by a factor of exactly 1, so it keeps"
               " its size.",
    "neither-drifting": "Neither: along the trajectory the factors tend to 1, so the gradient neither shrinks nor"
                        " grows geometrically.",
    "overflowing": "Exploding gradients: the state runs off to infinity, overflowing within a few steps, and the"
                   " factors along the way overflow too, so the gradient blows up with it.",
}
JSON_VERDICT = {"slowly-vanishing": "vanishing", "neither-drifting": "neither", "overflowing": "exploding"}
UNSTABLE_TEXT = ("Exploding gradients on this exact path: the state sits on a fixed point where each step back in"
                 " time multiplies the gradient by a factor above 1. The fixed point is unstable, though (see the"
                 " note).")
KINK_NOTE = ("At the fixed point the ReLU's argument is exactly 0, where it is not differentiable;"
             " the derivative there is taken as 0, as PyTorch and TensorFlow do.")


def _kink_note(c: Config, s: "Stability") -> list[Text]:
    if s.dphi == Heaviside(Z, 0):
        return [say(KINK_NOTE)]
    z_star = c.W_a * s.star + constant(c)
    return [say("At the fixed point the activation's argument is exactly at its kink, ", let(Z, z_star),
                ", where it is not differentiable; the derivative there is taken as the slope of the branch"
                " below the kink, ", let(DA_DZ, s.dphi.subs(Z, z_star)), ", as PyTorch does for the ReLU and the"
                " leaky ReLU.")]


def stability(c: Config, s: Stability) -> Solution:
    """Vanishing, exploding or neither: the analysis narrated step by step."""
    meanings = {**part_meanings(c), A_0: start_meaning(c)}
    steps = [step(say("With the given values the recurrence is"),
                  chain(A_T, PHI(z_general()), c.phi.subs(Z, c.W_a * A_PREV + constant(c)))),
             step(say("Iterate from ", Eq(A_0, c.a0, evaluate=False), "."),
                  *_iterate_lines(c, s, meanings, 1 if s.stationary else None))]
    if s.star is not None:
        steps += _at_fixed_point(c, s, meanings)
    elif s.cycle is not None:
        steps += _on_cycle(s, meanings)
    else:
        steps.append(_drifting(s, meanings))
    steps += _other_fixed_points(s, meanings) + _slope_bound(c, s, meanings) + _evidence(s, meanings, c.T)
    notes = (_kink_note(c, s) if s.kink_at_star else []) + ([_perturbation_note(s)] if s.perturbed else [])
    text = UNSTABLE_TEXT if s.perturbed else VERDICT_TEXT[s.verdict]
    value = {"verdict": JSON_VERDICT.get(s.verdict, s.verdict),
             "fixed_point": number(s.star), "factor": number(s.factor), "gradient_T": number(s.evidence),
             "T": c.T}
    question = say("Starting from ", Eq(A_0, c.a0, evaluate=False), ", for long sequences (T → ∞), will this network"
                   " tend to suffer from vanishing gradients, exploding gradients, or neither?")
    tail = [] if s.rel_one == "=" else [s.rel_one, 1]
    shown_chain = None if s.factor.is_infinite else chain(FACTOR, *_factor_shown(s), *tail)
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=value, text=say(text), chain=shown_chain))


def start_meaning(c: Config) -> sympy.Expr:
    """a<0> for the checker: exact, or its 50-digit value where the first step's formula at the exact number
    would choke SymPy (2^z at a<0> = 10^10: exact_at), as at every later state."""
    if exact_at(c.phi, c.W_a * c.a0 + constant(c)) is None:
        return to_sympy(evaluate(c.a0))
    return c.a0


def _factor_shown(s: Stability) -> list:
    """The factor as a chain shows it: exactly, or rounded (1 when the factors drift to 1)."""
    if s.star is not None and s.exact:
        return ["=", s.factor]
    return ["approx", sympy.Integer(1) if s.drifting else shown(s.factor)]


def _iterate_lines(c: Config, s: Stability, meanings: dict, count: int | None):
    """a<0> = ..., a<k> = phi(W_a a<k-1> + c) = value, for the first few k (exact where the value is simple; a
    last state that overflowed is not shown: the drifting step says so)."""
    lines, exact, traj = [chain(A_0, c.a0)], c.a0, s.traj
    computed = len(traj) - (2 if traj[-1].is_infinite else 1)
    for k in range(1, min(count or SHOWN_ITERATES, computed) + 1):
        meanings[iterate(k)] = s.state(k)
        prev = A_0 if k == 1 else iterate(k - 1)
        if exact is not None:                      # exact while the iterates stay rational: tanh(0) = 0
            exact = exact_at(c.phi, c.W_a * exact + constant(c))
            exact = exact if exact is not None and exact.is_Rational else None
        value = ["=", exact] if exact is not None else ["approx", Float(traj[k], 6)]
        lines.append(chain(iterate(k), c.phi.subs(Z, c.W_a * prev + constant(c)), *value))
    return lines


def _at_fixed_point(c: Config, s: Stability, meanings: dict) -> list:
    """Steps locating a* and the factor |W_a phi'(z*)| there."""
    cc = constant(c)
    meanings.update({A_STAR: s.star, Z_STAR: c.W_a * s.star + cc, FACTOR: s.factor})
    if s.stationary:
        how = say("The state never moves: ", A_0, " already solves the fixed-point equation, so ",
                  let(A_T, s.star), " for every t.")
    elif s.exact:
        how = say("The iterates settle at the fixed point ", A_STAR, ", which solves the equation exactly.")
    else:
        how = say("The iterates settle at the fixed point ", A_STAR, " of ", Eq(A_STAR, PHI(Z_STAR), evaluate=False),
                  ". It has no closed form, so it is found by Newton's method on ",
                  let(G(A_STAR), PHI(W_A * A_STAR + B + W_X * X_T) - A_STAR),
                  " started from the last iterate, to 40 digits (an error far below the ",
                  sympy.Float("1e-12"), " needed).")
    forms = [Abs(W_A * s.dphi.subs(Z, Z_STAR))]
    if s.g is not None:
        forms.append(Abs(c.W_a * s.g.subs(A_T, A_STAR)))
    tail = [] if s.factor == 1 else [s.rel_one, 1]
    return [step(how, chain(A_STAR, c.phi.subs(Z, c.W_a * A_STAR + cc),
                            *(["=", s.star] if s.exact else ["approx", Float(s.star, 8)]))),
            step(say("Backpropagating one step multiplies the gradient by ", DA_DAPREV,
                     "; at the fixed point its size is"), chain(FACTOR, *forms, *_factor_shown(s), *tail))]


def _on_cycle(s: Stability, meanings: dict) -> list:
    """Steps for a trajectory that settles on a cycle: the factor per step is the geometric mean over it."""
    p = len(s.cycle)
    meanings.update({FACTOR: s.factor, CYCLE_PRODUCT: s.cycle_product})
    lines = []
    for k, a in enumerate(s.cycle, 1):
        meanings[cycle_point(k)] = a
        lines.append(chain(cycle_point(k), "approx", Float(a, 8)))
    return [
        step(say(f"The iterates do not settle at a fixed point: they settle on a cycle of period {p}, visiting in"
                 " turn"), *lines),
        step(say("Over one period the gradient is multiplied by the product of the factors at the cycle's states, so"
                 f" per step by its {ROOTS.get(p, f'{p}th')} root:"),
             chain(CYCLE_PRODUCT, "approx", Float(s.cycle_product, 6)),
             chain(FACTOR, CYCLE_PRODUCT ** sympy.Rational(1, p), "approx", shown(s.factor), s.rel_one, 1)),
    ]


def _drifting(s: Stability, meanings: dict):
    """The step for a trajectory that settles nowhere: the geometric mean of the factors along it."""
    last = len(s.traj) - 1
    if s.traj[-1].is_infinite:
        return _overflowing(s, meanings)
    meanings.update({FACTOR: s.along("mean", *orbits.later_half(len(s.traj))),
                     iterate(last): s.state(last)})
    return step(say(f"The iterates do not settle at a fixed point or a short cycle (after {last}"
                    " steps ", chain(iterate(last), "approx", Float(s.traj[-1], 6)),
                    "), so the per-step factor ", FACTOR, " is the geometric mean of ",
                    Abs(DA_DAPREV), " along the trajectory",
                    " (the factors tend to 1: the gradient has no geometric trend):" if s.drifting else ":"),
                chain(FACTOR, *_factor_shown(s), *([] if s.drifting else [s.rel_one, 1])))


def _overflowing(s: Stability, meanings: dict):
    """The step for a trajectory whose last state overflowed: it runs off to infinity; the factor along the
    way as for any other trajectory, or, where it overflows too, in words."""
    last = len(s.traj) - 1
    before = A_0 if last == 1 else iterate(last - 1)
    if last > 1:                                     # (a<0> means what the spec gives)
        meanings[before] = s.state(last - 1)
    text = say("The iterates do not settle at a fixed point or a short cycle: from ",
               chain(before, "approx", Float(s.traj[-2], 6))) + overflow(iterate(last), bool(s.traj[-1] > 0))
    if s.factor.is_infinite:
        return step(text + say(" The factors ", Abs(DA_DAPREV), " along the way overflow as well, so each step back"
                               " in time multiplies the gradient by far more than 1."))
    meanings[FACTOR] = s.along("mean", *orbits.later_half(len(s.traj)))
    return step(text + say(" The per-step factor ", FACTOR, " is the geometric mean of ", Abs(DA_DAPREV),
                           " along the trajectory before it:"),
                chain(FACTOR, *_factor_shown(s), *([] if s.drifting else [s.rel_one, 1])))


def _other_fixed_points(s: Stability, meanings: dict) -> list:
    """A step listing every fixed point with its factor, when there is more than the one reached."""
    if not s.points:
        return [step(say("The fixed-point equation has no real solution near the trajectory, so the state cannot"
                         " settle."))]
    if len(s.points) == 1 and s.star is not None:
        return []
    lines = []
    for k, p in enumerate(s.points, 1):
        meanings.update({fixed_point(k): p.value, factor(k): p.factor})
        lines.append(chain(fixed_point(k), *(["=", p.value] if p.exact else ["approx", Float(p.value, 6)])))
        lines.append(chain(factor(k), *(["=", p.factor] if p.factor.is_Rational else ["approx", shown(p.factor)]),
                           *([] if p.factor == 1 else [compare_one(p.factor), 1])))
    count = "one solution" if len(s.points) == 1 else plural(len(s.points), "solution")
    text = say(f"The equation has {count}; a factor below 1 makes a fixed point stable (nearby states"
               " are drawn in), above 1 unstable (they are pushed away).")
    if s.reached is not None:
        text += say(" The state from the given start ends at ", fixed_point(s.reached), ".")
    return [step(text, *lines)]


def _slope_bound(c: Config, s: Stability, meanings: dict) -> list:
    """The factor's bound whatever the state: |W_a| times the activation's largest slope."""
    b = s.bound
    if b.sup is None:
        return [step(say("The activation's slope keeps growing away from 0, so no bound on the factor holds for"
                         " every state."))] if b.numeric else []
    if not b.numeric:
        return [step(say("For comparison, whatever the state, the factor is at most ", Abs(W_A),
                         " times the largest slope of ", READABLE[b.name], ":"),
                     chain(Abs(DA_DAPREV), "<=", Abs(W_A) * b.sup, "=", Abs(c.W_a) * b.sup))]
    meanings[SUP_SLOPE] = b.sup
    return [step(say("For comparison, whatever the state, the factor is at most ", Abs(W_A),
                     " times the largest slope of the activation, found numerically (a grid over [−50, 50] refined"
                     " by golden-section search):"),
                 chain(Abs(DA_DAPREV), "<=", Abs(W_A) * SUP_SLOPE, "approx",
                       shown(b.sup * abs(c.W_a), 6, away_from=None)))]


def _evidence(s: Stability, meanings: dict, T: int) -> list:
    """|da<T>/da<0>| at T along the trajectory, and further along when it decays slowly."""
    if s.evidence is None:
        return [step(say(f"The state passes 1e300 after {len(s.traj) - 1} steps, so no finite gradient exists at ",
                         let(T_LONG, T), ": it explodes with the state."))]
    meanings[DA_T_DA_0] = s.along("product", 0, T)
    value = ["approx", Float(s.evidence, 4)]
    if s.stationary and s.factor.is_Integer:
        power = sympy.Pow(s.factor, T, evaluate=False)
        value = [FACTOR**T, power] + (["approx", Float(s.evidence, 4)] if s.factor > 1 else
                                               ["=", s.factor**T])
    steps = [step(say("Backpropagating through T steps multiplies T such factors, so the gradient behaves"
                      " like ", FACTOR**T_LONG, ". As evidence, along the actual trajectory with ",
                      let(T_LONG, T), ":"), chain(Abs(DA_T_DA_0), *value))]
    if s.verdict == "slowly-vanishing":
        later = gradient_at(len(s.traj) - 1)
        meanings[later] = s.along("product", 0, len(s.traj) - 1)
        steps.append(step(say("The factor is exactly 1 only at the fixed point itself, which the state never"
                              " reaches: on the way every factor is below 1, so the product still decays, like a"
                              " power of T rather than geometrically. Further along the trajectory:"),
                          chain(Abs(later), "approx", Float(s.longer, 4), "<", Float(s.evidence, 4))))
    return steps


def _perturbation_note(s: Stability) -> Text:
    """What a small perturbation of a state sitting on an unstable fixed point does."""
    outcomes = []
    for o in s.perturbed:
        if o.end is not None:
            outcomes.append(say("from ", let(A_0, o.start), " the state moves to ", Float(o.end, 6),
                                f", where the factor is {float(o.factor):.4g} ({verdict(o.factor)})"))
        else:
            outcomes.append(say("from ", let(A_0, o.start), " the state does not settle"))
    note = say("The fixed point the state sits on is unstable: the slightest perturbation (rounding, a nonzero input)"
               " grows by the factor each step. For instance ")
    for k, o in enumerate(outcomes):
        note += (say("; ") if k else say()) + o
    return note + say(". In practice the network therefore behaves as at the fixed point it falls into.")
