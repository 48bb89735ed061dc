"""rnn-activation: the derivative of one recurrent step, and the vanishing/exploding verdict.

Model: a<t> = phi(z<t>), z<t> = b + W_a a<t-1> + W_x x<t>, one unit, constant input x.
"""

from __future__ import annotations

from dataclasses import dataclass

import functools

import mpmath
import sympy
from sympy import Abs, Eq, Float, Heaviside, Symbol

from .. import fields
from ..check import is_zero
from ..fields import FieldError
from ..mathparse import NAMED, MathSyntaxError, parse_activation
from ..numeric import compile as compile_numeric, evaluate, shown, small_rational, to_sympy
from . import rnn_units
from .base import REQUIRED, Field, Kind, register
from .activations import READABLE, SUPREMA, recognise, slope
from .dynamics import DIVERGED, MAX_ITERATES, T_EVIDENCE, Recurrence, compare_one
from ..steps import Answer, Solution, Text, chain, let, say, step
from ..symbols import (A_0, A_PREV, A_STAR, A_T, B, DA_DAPREV, DA_DZ, DA_T_DA_0, DZ_DAPREV, FACTOR,
                       PHI, SIGMA, T_LONG, W_A, W_X, X_T, Z, Z_STAR, iterate)


DIGITS = 50
SHOWN_ITERATES = 5

NAMES = ", ".join(sorted(NAMED))


@dataclass(frozen=True)
class Config:
    activation: str          # as written in the spec
    phi: sympy.Expr          # the activation as an expression in z
    called: str | None       # what the problem text calls it
    W_a: sympy.Rational
    W_x: sympy.Rational | None
    b: sympy.Rational
    x: sympy.Rational
    a0: sympy.Rational


def configure(values: dict, asks) -> Config:
    """Validate the fields of an rnn-activation part."""
    text = fields.text(values, "activation")
    expected = "LaTeX in z such as '\\frac{1}{1+e^{-z}}', or a name: " + NAMES
    if text is None:
        raise FieldError("activation", "missing", expected=expected)
    try:
        phi = parse_activation(text)
    except MathSyntaxError as err:
        raise FieldError("activation", str(err), text, expected) from None
    if isinstance(values.get("W_a"), list):
        units = rnn_units.configure(values, phi, text, fields.text(values, "called"))
        if units.n > 1:
            return units
        values = {**values, "W_a": values["W_a"][0][0]}
        values.update({k: values[k][0] for k in ("b", "a0", "W_x", "x") if isinstance(values.get(k), list)})
    x = fields.number(values, "x", 0)
    W_x = fields.number(values, "W_x") if "W_x" in values else None
    if W_x is None and x != 0:
        raise FieldError("W_x", "missing: the input x is not 0, so its weight matters", expected="a number")
    return Config(activation=text, phi=phi, called=fields.text(values, "called"),
                  W_a=fields.number(values, "W_a"), W_x=W_x, b=fields.number(values, "b", 0),
                  x=x, a0=fields.number(values, "a0", 0))


def setting(c: Config) -> Text:
    """The situation the questions are asked about, with the spec's values."""
    if isinstance(c, rnn_units.Units):
        return rnn_units.setting(c)
    called = f", {_article(c.called)} “{c.called}”," if c.called else ""
    known = [Eq(W_A, c.W_a, evaluate=False), Eq(B, c.b, evaluate=False), Eq(X_T, c.x, evaluate=False)]
    if c.W_x is not None:
        known.insert(1, Eq(W_X, c.W_x, evaluate=False))
    pieces: list = ["One recurrent unit with "]
    for k, eq in enumerate(known):
        pieces += [eq, ", " if k < len(known) - 2 else " and " if k == len(known) - 2 else ""]
    pieces += [" for every t, and activation ", Eq(A_T, PHI(Z), evaluate=False), called, " with ",
               Eq(PHI(Z), c.phi, evaluate=False), ", where ", Eq(Z, _z_general(), evaluate=False), "."]
    return say(*pieces)


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of an rnn-activation part."""
    if isinstance(c, rnn_units.Units):
        return rnn_units.solve(c, ask, slope)
    return {"derivative": _derivative, "stability": _stability}[ask](c)


# --- shared pieces -------------------------------------------------------------------------

def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _z_general():
    return B + W_A * A_PREV + W_X * X_T


def _c(c: Config) -> sympy.Expr:
    """The constant part b + W_x x of the pre-activation."""
    return c.b + (c.W_x or 0) * c.x


def _meanings(c: Config) -> dict:
    """What each notation symbol means, for the checker (everything in terms of a<t-1>)."""
    return dict(_shared_meanings(c))


@functools.lru_cache(maxsize=32)
def _shared_meanings(c: Config) -> dict:
    z_of_prev = c.W_a * A_PREV + _c(c)
    m = {W_A: c.W_a, B: c.b, X_T: c.x, Z: z_of_prev, A_T: c.phi, PHI: sympy.Lambda(Z, c.phi),
         SIGMA: sympy.Lambda(Z, NAMED["sigmoid"]),
         DA_DZ: slope(c.phi)[0], DZ_DAPREV: sympy.diff(z_of_prev, A_PREV),
         DA_DAPREV: sympy.diff(c.phi.subs(Z, z_of_prev), A_PREV).replace(
             Heaviside, lambda arg, *rest: Heaviside(arg, 0))}
    if c.W_x is not None:
        m[W_X] = c.W_x
    return m


# --- derivative ---------------------------------------------------------------------------

def _derivative(c: Config) -> Solution:
    steps, notes = [], []
    name = recognise(c.phi)
    notes += _naming_notes(c, name)
    z_prev = c.W_a * A_PREV + _c(c)
    steps.append(step(say("Write the pre-activation with the given values."),
                      chain(Z, _z_general(), z_prev)))
    steps.append(step(say("Chain rule through ", Z, ": the activation depends on ", A_PREV, " only through ", Z, "."),
                      chain(DA_DAPREV, DA_DZ * DZ_DAPREV)))
    steps.append(step(say("The pre-activation is linear in ", A_PREV, "."),
                      chain(DZ_DAPREV, W_A, c.W_a)))
    if name and c.phi != NAMED[name]:
        steps.append(step(say("The formula is ", READABLE[name], ":"), chain(PHI(Z), c.phi, NAMED[name])))
    dphi, g = slope(c.phi)
    steps += _differentiate(c.phi, dphi)
    if g is not None:
        steps.append(step(say("Since ", Eq(A_T, PHI(Z), evaluate=False), ", this can be written with the output itself."),
                          chain(DA_DZ, dphi, g)))
    final = c.W_a * dphi
    steps.append(step(say("Multiply the two factors."),
                      chain(DA_DAPREV, W_A * DA_DZ, final, *([c.W_a * g] if g is not None else []))))
    ans_chain = chain(DA_DAPREV, final, *([c.W_a * g] if g is not None else []))
    if dphi.has(Heaviside):
        notes.append(say("The ReLU is not differentiable at 0; the derivative there is taken as 0 (",
                         Eq(Heaviside(0, 0), 0, evaluate=False), "), as PyTorch and TensorFlow do."))
    question = say("Find ", DA_DAPREV, ", first finding ", DA_DZ, ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=_meanings(c),
                    answer=Answer(value=str(final), chain=ans_chain))


def _naming_notes(c: Config, name: str | None) -> list[Text]:
    if not c.called or name is None or c.called.strip().lower().replace("-", "_") == name:
        return []
    note = say(f"The problem calls this activation {_article(c.called)} “{c.called}”, but the formula is ",
               READABLE[name], ", ", Eq(PHI(Z), NAMED[name], evaluate=False), ".")
    if name == "tanh" and "sigmoid" in c.called.lower():
        note += say(" It is S-shaped like the logistic sigmoid, and in fact ",
                    Eq(sympy.tanh(Z), 2 * SIGMA(2 * Z) - 1, evaluate=False),
                    ", but its range is (−1, 1) and its slope at 0 is 1, not 1/4."
                    " The answer follows the formula as written.")
    else:
        note += say(" The answer follows the formula as written.")
    return [note]


def _differentiate(phi: sympy.Expr, dphi: sympy.Expr) -> list:
    """The steps that get to phi'(z): the quotient rule for a fraction, else the derivative directly."""
    num, den = sympy.fraction(sympy.together(phi))
    if den != 1 and den.has(Z):
        dnum, dden = sympy.diff(num, Z), sympy.diff(den, Z)
        rule = sympy.Mul(sympy.Add(sympy.Mul(dnum, den, evaluate=False), -sympy.Mul(num, dden, evaluate=False),
                                   evaluate=False), sympy.Pow(den, -2, evaluate=False), evaluate=False)
        expanded = sympy.expand(dnum * den - num * dden) / den**2
        return [step(say("Quotient rule: ", let(sympy.Symbol("(u/v)'"), sympy.Symbol("(u'v - uv')/v^2")), "."),
                           chain(DA_DZ, rule, expanded, *([dphi] if expanded != dphi else [])))]
    return [step(say("Differentiate the activation."), chain(DA_DZ, dphi))]


# --- stability ----------------------------------------------------------------------------

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
}


def _fixed_point(c: Config, rec: Recurrence, traj: list):
    """(a*, exact?) the trajectory settles at, or (None, False) when it does not settle."""
    cc = _c(c)
    prev = c.a0
    for _ in range(SHOWN_ITERATES):            # an exactly stationary start, e.g. tanh(0) = 0
        nxt = c.phi.subs(Z, c.W_a * prev + cc)
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
    half = traj[len(traj) // 2]
    if abs(last - a) > Float("1e-6") and not abs(last - a) < abs(half - a):
        return None, False
    return _exact_if_possible(rec, a)


def _exact_if_possible(rec: Recurrence, a):
    """(a, exact?): the small rational a numeric fixed point is, when it provably is one."""
    guess = small_rational(a, tolerance=1e-20)
    if guess is not None and is_zero(rec.g().subs(A_STAR, guess)):
        return guess, True
    return a, False


def _stability(c: Config) -> Solution:
    cc = _c(c)
    dphi, g = slope(c.phi)
    rec = Recurrence(c.phi, dphi, c.W_a, cc)
    meanings = {**_meanings(c), A_0: c.a0}
    traj = rec.trajectory(c.a0, MAX_ITERATES, T_EVIDENCE)
    star, exact = _fixed_point(c, rec, traj)
    stationary = exact and star == c.a0
    steps, notes = [], []
    steps.append(step(say("With the given values the recurrence is"),
                      chain(A_T, PHI(_z_general()), c.phi.subs(Z, c.W_a * A_PREV + cc))))
    steps.append(step(say("Iterate from ", Eq(A_0, c.a0, evaluate=False), "."),
                      *_iterate_lines(c, traj, meanings, 1 if stationary else None)))
    cycle = rec.cycle(traj) if star is None else None
    if star is not None:
        more, factor, rel_one, f_shown = _at_fixed_point(c, star, exact, stationary, dphi, g, meanings)
        steps += more
        if dphi.has(Heaviside) and is_zero(c.W_a * star + cc):
            notes.append(say("At the fixed point the ReLU's argument is exactly 0, where it is not differentiable;"
                             " the derivative there is taken as 0, as PyTorch and TensorFlow do."))
    elif cycle is not None:
        more, factor, rel_one, f_shown = _on_cycle(rec, cycle, meanings)
        steps += more
    else:
        factor = rec.mean_factor(traj)
        meanings[FACTOR] = factor
        drifting = abs(factor - 1) < 1e-6      # the factors tend to 1: no geometric trend either way
        rel_one = "=" if drifting else compare_one(factor)
        f_shown = ["approx", sympy.Integer(1) if drifting else shown(factor)]
        meanings[iterate(len(traj) - 1)] = traj[-1]
        steps.append(step(say(f"The iterates do not settle at a fixed point or a short cycle (after {len(traj) - 1}"
                              " steps ", chain(iterate(len(traj) - 1), "approx", Float(traj[-1], 6)),
                              "), so the per-step factor ", FACTOR, " is the geometric mean of ",
                              Abs(DA_DAPREV), " along the trajectory",
                              " (the factors tend to 1: the gradient has no geometric trend):" if drifting else ":"),
                          chain(FACTOR, *f_shown, *([] if drifting else [rel_one, 1]))))
    steps += _other_fixed_points(rec, traj, star, meanings)
    name = recognise(c.phi)
    sup = SUPREMA.get(name, (None,))[0]
    if sup is not None and sup is not sympy.oo:
        steps.append(step(say("For comparison, whatever the state, the factor is at most ", Abs(W_A),
                              " times the largest slope of ", READABLE[name], ":"),
                          chain(Abs(DA_DAPREV), "<=", Abs(W_A) * sup, "=", Abs(c.W_a) * sup)))
    elif name is None:
        steps += _slope_bound(c, dphi, meanings)
    evidence = rec.gradient(traj, T_EVIDENCE)
    verdict = {"<": "vanishing", ">": "exploding", "=": "neither"}[rel_one]
    if evidence is None:
        steps.append(step(say(f"The state passes 1e300 after {len(traj) - 1} steps, so no finite gradient exists at ",
                              let(T_LONG, T_EVIDENCE), ": it explodes with the state.")))
    else:
        meanings[DA_T_DA_0] = evidence
        exact_evidence = ["approx", Float(evidence, 4)]
        if stationary and factor.is_Integer:
            power = sympy.Pow(factor, T_EVIDENCE, evaluate=False)
            exact_evidence = [FACTOR**T_EVIDENCE, power] + (["approx", Float(evidence, 4)] if factor > 1 else
                                                           ["=", factor**T_EVIDENCE])
        steps.append(step(say("Backpropagating through T steps multiplies T such factors, so the gradient behaves"
                              " like ", FACTOR**T_LONG, ". As evidence, along the actual trajectory with ",
                              let(T_LONG, T_EVIDENCE), ":"), chain(Abs(DA_T_DA_0), *exact_evidence)))
    if verdict == "neither" and star is not None and not stationary:
        longer = rec.gradient(traj, len(traj) - 1)
        if longer is not None and evidence is not None and longer < evidence:
            verdict = "slowly-vanishing"
            later = sympy.Symbol(f"da_{len(traj) - 1}/da_0")
            meanings[later] = longer
            steps.append(step(say("The factor is exactly 1 only at the fixed point itself, which the state never"
                                  " reaches: on the way every factor is below 1, so the product still decays, like a"
                                  " power of T rather than geometrically. Further along the trajectory:"),
                              chain(Abs(later), "approx", Float(longer, 4), "<", Float(evidence, 4))))
    text = VERDICT_TEXT["neither-drifting" if verdict == "neither" and star is None and cycle is None else verdict]
    if stationary and rel_one == ">":
        text = ("Exploding gradients on this exact path: the state sits on a fixed point where each step back in"
                " time multiplies the gradient by a factor above 1. The fixed point is unstable, though (see the"
                " note).")
        notes.append(_perturbation_note(c, rec, star))
    value = {"verdict": "vanishing" if verdict == "slowly-vanishing" else verdict,
             "fixed_point": float(star) if star is not None else None,
             "factor": float(factor), "gradient_T": float(evidence) if evidence is not None else None,
             "T": T_EVIDENCE}
    question = say("Starting from ", Eq(A_0, c.a0, evaluate=False), ", for long sequences (T → ∞), will this network"
                   " tend to suffer from vanishing gradients, exploding gradients, or neither?")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=value, text=say(text),
                                  chain=chain(FACTOR, *f_shown, *([] if rel_one == "=" else [rel_one, 1]))))


def _slope_bound(c: Config, dphi, meanings: dict) -> list:
    """The largest slope of an unrecognised activation, found numerically, as a bound on the factor."""
    slope_at = compile_numeric(Abs(dphi), (Z,))
    with mpmath.workdps(15):
        grid = [mpmath.mpf(k) / 20 for k in range(-1000, 1001)]
        values = [slope_at(z) for z in grid]
    if not all(mpmath.isfinite(v) for v in values) or max(values[:40] + values[-40:]) >= max(values):
        return [step(say("The activation's slope keeps growing away from 0, so no bound on the factor holds for"
                         " every state."))]
    best = max(range(len(grid)), key=lambda k: values[k])
    with mpmath.workdps(DIGITS):
        lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        for _ in range(200):                     # golden-section search for the maximum around the grid's best
            m1, m2 = lo + (hi - lo) * 0.381966, hi - (hi - lo) * 0.381966
            lo, hi = (m1, hi) if slope_at(m1) < slope_at(m2) else (lo, m2)
        sup = to_sympy(slope_at((lo + hi) / 2))
    bound = shown(sup * abs(c.W_a), 6, away_from=None)
    meanings[Symbol("sup_slope")] = sup
    return [step(say("For comparison, whatever the state, the factor is at most ", Abs(W_A),
                     " times the largest slope of the activation, found numerically (a grid over [−50, 50] refined"
                     " by golden-section search):"),
                 chain(Abs(DA_DAPREV), "<=", Abs(W_A) * Symbol("sup_slope"), "approx", bound))]


def _iterate_lines(c: Config, traj: list, meanings: dict, count: int | None):
    """a<0> = ..., a<k> = phi(W_a a<k-1> + c) = value, for the first few k (exact where the value is simple)."""
    cc = _c(c)
    lines = [chain(A_0, c.a0)]
    for k in range(1, min(count or SHOWN_ITERATES, len(traj) - 1) + 1):
        meanings[iterate(k)] = traj[k]
        prev = A_0 if k == 1 else iterate(k - 1)
        exact = small_rational(traj[k])
        shown = ["=", exact] if exact is not None else ["approx", Float(traj[k], 6)]
        lines.append(chain(iterate(k), c.phi.subs(Z, c.W_a * prev + cc), *shown))
    return lines


def _at_fixed_point(c: Config, star, exact: bool, stationary: bool, dphi, g, meanings: dict):
    """Steps locating a* and the factor |W_a phi'(z*)| there; returns (steps, factor, '<'|'='|'>', shown value)."""
    cc = _c(c)
    z_star = c.W_a * star + cc
    meanings.update({A_STAR: star, Z_STAR: z_star})
    if stationary:
        how = say("The state never moves: ", A_0, " already solves the fixed-point equation, so ",
                  let(A_T, star), " for every t.")
    elif exact:
        how = say("The iterates settle at the fixed point ", A_STAR, ", which solves the equation exactly.")
    else:
        how = say("The iterates settle at the fixed point ", A_STAR, " of ", Eq(A_STAR, PHI(Z_STAR), evaluate=False),
                  ". It has no closed form, so it is found by Newton's method on ",
                  let(sympy.Function("g")(A_STAR), PHI(W_A * A_STAR + B + W_X * X_T) - A_STAR),
                  " started from the last iterate, to 40 digits (far below the 1e−12 needed).")
    steps = [step(how, chain(A_STAR, c.phi.subs(Z, c.W_a * A_STAR + cc),
                             *(["=", star] if exact else ["approx", Float(star, 8)])))]
    factor = Abs(c.W_a * dphi.subs(Z, z_star))
    if exact:
        factor = factor if factor.is_Rational else sympy.simplify(factor)
    else:
        factor = to_sympy(evaluate(factor))
    meanings[FACTOR] = factor
    rel_one = compare_one(factor)
    factor_shown = ["=", factor] if exact else ["approx", shown(factor)]
    forms = [Abs(W_A * dphi.subs(Z, Z_STAR))]
    if g is not None:
        forms.append(Abs(c.W_a * g.subs(A_T, A_STAR)))
    tail = [] if factor == 1 else [rel_one, 1]
    steps.append(step(say("Backpropagating one step multiplies the gradient by ", DA_DAPREV,
                          "; at the fixed point its size is"), chain(FACTOR, *forms, *factor_shown, *tail)))
    return steps, factor, rel_one, factor_shown


def _on_cycle(rec: Recurrence, cycle: list, meanings: dict):
    """Steps for a trajectory that settles on a cycle: the factor per step is the geometric mean over it."""
    p = len(cycle)
    product = rec.product(cycle)
    factor = to_sympy(evaluate(product ** sympy.Rational(1, p)))
    meanings[FACTOR] = factor
    lines = []
    for k, a in enumerate(cycle, 1):
        point = sympy.Symbol(f"cycle_{k}")
        meanings[point] = a
        lines.append(chain(point, "approx", Float(a, 8)))
    per_period = sympy.Symbol("cycle_product")
    meanings[per_period] = product
    rel_one = compare_one(factor)
    steps = [
        step(say(f"The iterates do not settle at a fixed point: they settle on a cycle of period {p}, visiting in"
                 " turn"), *lines),
        step(say("Over one period the gradient is multiplied by the product of the factors at the cycle's states, so"
                 f" per step by its {ROOTS.get(p, f'{p}th')} root:"),
             chain(per_period, "approx", Float(product, 6)),
             chain(FACTOR, per_period ** sympy.Rational(1, p), "approx", shown(factor), rel_one, 1)),
    ]
    return steps, factor, rel_one, ["approx", shown(factor)]


def _other_fixed_points(rec: Recurrence, traj: list, star, meanings: dict) -> list:
    """A step listing every fixed point with its factor, when there is more than the one reached."""
    points = rec.fixed_points(traj[:SHOWN_ITERATES + 1] + traj[-1:])
    if not points:
        return [step(say("The fixed-point equation has no real solution near the trajectory, so the state cannot"
                         " settle."))]
    if len(points) == 1 and star is not None:
        return []
    lines, reached = [], None
    for k, a in enumerate(points, 1):
        a, exact = _exact_if_possible(rec, a)
        f_k = rec.product([a]) if not exact else sympy.Abs(rec.W * rec.dphi.subs(Z, rec.W * a + rec.c))
        point, gamma = sympy.Symbol(f"a_star_{k}"), sympy.Symbol(f"factor_{k}")
        meanings.update({point: a, gamma: f_k})
        rel = compare_one(f_k)
        lines.append(chain(point, *(["=", a] if exact else ["approx", Float(a, 6)])))
        lines.append(chain(gamma, *(["=", f_k] if f_k.is_Rational else ["approx", shown(f_k)]),
                           *([] if f_k == 1 else [rel, 1])))
        if star is not None and abs(a - star) < 1e-12:
            reached = point
    count = "one solution" if len(points) == 1 else f"{len(points)} solutions"
    text = say(f"The equation has {count}; a factor below 1 makes a fixed point stable (nearby states"
               " are drawn in), above 1 unstable (they are pushed away).")
    if reached is not None:
        text += say(" The state from the given start ends at ", reached, ".")
    return [step(text, *lines)]


def _perturbation_note(c: Config, rec: Recurrence, star) -> Text:
    """What a small perturbation of a state sitting on an unstable fixed point does."""
    outcomes = []
    for eps in (sympy.Rational(1, 10**6), -sympy.Rational(1, 10**6)):
        traj = rec.trajectory(star + eps, MAX_ITERATES, T_EVIDENCE)
        end = rec.newton(traj[-1]) if abs(traj[-1]) <= DIVERGED else None
        if end is not None and abs(end - traj[-1]) < 1e-6:
            f_end = rec.product([end])
            outcomes.append(say("from ", let(A_0, star + eps), " the state moves to ",
                                Float(end, 6), f", where the factor is {float(f_end):.4g}"
                                f" ({'vanishing' if f_end < 1 else 'exploding' if f_end > 1 else 'neither'})"))
        else:
            outcomes.append(say("from ", let(A_0, star + eps), " the state does not settle"))
    note = say("The fixed point the state sits on is unstable: the slightest perturbation (rounding, a nonzero input)"
               " grows by the factor each step. For instance ")
    for k, o in enumerate(outcomes):
        note += (say("; ") if k else say()) + o
    return note + say(". In practice the network therefore behaves as at the fixed point it falls into.")


@register
class RnnActivation(Kind):
    """One recurrent unit, or several: the step's derivative and the vanishing/exploding verdict."""

    name = "rnn-activation"
    summary = "a recurrent unit a<t> = phi(b + W_a a<t-1> + W_x x<t>): its derivative and gradient stability"
    asks = {
        "derivative": "da<t>/da<t-1> by the chain rule (the Jacobian diag(phi'(z)) W_a for several units)",
        "stability": "vanishing, exploding or neither for long sequences: fixed point, factor, evidence at T = 100",
    }
    fields = (
        Field("activation", "LaTeX in z, or a name: " + NAMES, "the activation phi", REQUIRED),
        Field("called", "text", "what the problem text calls the activation (a note says so when the formula"
              " is something else)"),
        Field("W_a", "a number, or an n x n matrix for n units", "the recurrent weight", REQUIRED),
        Field("W_x", "a number, a list of n weights, or an n x m matrix", "the input weight; required when x"
              " is not 0"),
        Field("b", "a number, or a list of n", "the bias", 0),
        Field("x", "a number, or a list of m inputs", "every input x<t> (constant)", 0),
        Field("a0", "a number, or a list of n", "the initial state a<0>", 0),
    )

    def configure(self, values, asks):
        return configure(values, asks)

    def setting(self, config):
        return setting(config)

    def solve(self, config, ask):
        return solve(config, ask)
