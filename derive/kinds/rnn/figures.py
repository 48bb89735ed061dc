"""rnn-activation's figures for `stability`, every number taken from the analysis that gives the answer:

- the gradient's size |da<T>/da<0>| for T = 1 ... T_EVIDENCE on a log axis (the running product of the
  factors along the trajectory, whose last value is the answer's gradient_T), with the geometric rate
  gamma^T of the factor the answer states beside it;
- one unit: the cobweb diagram, y = phi(W_a a + c) (the recurrence's own compiled map), the diagonal, the
  iterates from a<0> as a staircase and each fixed point marked stable (filled) or unstable (open);
- two units: the trajectory in the plane, ending at the fixed point.

The problem sheet shows none of them: they give the answer away. Each question's figures are drawn from its
frozen analysis when first read (the kind's solve attaches them as a ``derive.figures.Later``).
"""

from __future__ import annotations

import dataclasses
import math

import mpmath
import sympy
from sympy import Abs

from ...figures import Figure, Mark, Plot, Series
from ...numeric import evaluate, to_sympy
from ...precision import DIGITS
from . import cell_stability, cell_units_stability
from .limits import T_EVIDENCE
from .verdict import compare_one
from .notation import A_PREV, A_T, DA_T_DA_0, FACTOR, NORM_T, RHO, T_LONG

STAIRS = 24              # iterates drawn as the cobweb's staircase, at most
SAMPLES = 49             # points of the curve y = phi(W_a a + c)
PLANE = 60               # states drawn in the plane, at most
FAR = 1e3                # states beyond this are not drawn


def _float(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def running_gradients(rec, traj, T: int) -> list:
    """|da<t>/da<0>| for t = 1 ... T: the running product of the factors along the trajectory, computed as
    Recurrence.gradient computes its last one (so the figure's last point is the answer's gradient_T)."""
    out = []
    with mpmath.workdps(DIGITS):
        prod = mpmath.mpf(1)
        for a in traj[:T]:
            prod *= rec.factor_at(a)
            out.append(to_sympy(prod))
    return out


def running_norms(rec, traj, T: int, last) -> list:
    """||da<t>/da<0>|| (the largest singular value) for t = 1 ... T: the derivation's Jacobians along the
    trajectory multiplied in floats (kept at a largest entry of 1, the scale carried aside, so that nothing
    underflows), the size by power iteration from the previous t's direction; at T the answer's own value."""
    J_at = rec.jacobian()
    n = rec.n
    out, v, M, scale = [], [1.0] * n, None, mpmath.mpf(1)
    for state in traj[:T - 1]:
        J = J_at(state)
        Jf = [[float(J[i, j]) for j in range(n)] for i in range(n)]
        M = Jf if M is None else [[sum(Jf[i][k] * M[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
        top = max(abs(x) for row in M for x in row)
        if top == 0:
            out.append(sympy.Integer(0))
            continue
        M = [[x / top for x in row] for row in M]
        scale *= top
        sigma, v = _largest_singular(M, v)
        out.append(to_sympy(mpmath.mpf(sigma) * scale))
    return out + [last]


def block_norms(blocks: list, last) -> list:
    """The largest singular value of each mpmath matrix in ``blocks`` (the running products a gated cell's
    figure plots), in floats: each scaled to a largest entry of 1 (the scale carried aside, so nothing
    underflows), the size by power iteration from the previous one's direction; then ``last`` (the answer's
    own value, at 50 digits)."""
    out, v = [], None
    for B in blocks:
        top = max((abs(B[i, j]) for i in range(B.rows) for j in range(B.cols)), default=0)
        if top == 0:
            out.append(sympy.Integer(0))
            continue
        A = [[float(B[i, j] / top) for j in range(B.cols)] for i in range(B.rows)]
        sigma, v = _largest_singular(A, v or [1.0] * B.cols)
        out.append(to_sympy(mpmath.mpf(sigma) * top))
    return out + [last]


def _largest_singular(A: list[list[float]], v: list[float]) -> tuple[float, list[float]]:
    """The largest singular value of a small float matrix by power iteration on A^T A, from v."""
    n = len(A[0])
    sigma = 0.0
    for _ in range(500):
        Av = [sum(row[j] * v[j] for j in range(n)) for row in A]
        w = [sum(A[i][j] * Av[i] for i in range(len(A))) for j in range(n)]
        size = math.sqrt(sum(x * x for x in w))
        if size == 0:
            return 0.0, [1.0] * n
        v = [x / size for x in w]
        new = math.sqrt(size)
        if abs(new - sigma) <= 1e-13 * new:
            return new, v
        sigma = new
    return sigma, v


def decay(values: list, factor, y_label, rate_symbol) -> Figure | None:
    """The gradient's size against T on a log axis, with rate^T beside it."""
    points = tuple((t, f) for t, f in ((t, _float(v)) for t, v in enumerate(values, 1)) if f is not None)
    if not any(f > 0 for _, f in points):
        return None                                  # nothing a log axis can show (a size of 0 from the start)
    series = [Series("along the trajectory", points, "line")]
    rate = _float(factor)
    if rate is not None and rate > 0:
        ends = [t for t in (points[0][0], points[-1][0]) if -700 < t * math.log(rate) < 690]   # rate^t a float
        geometric = tuple((t, rate ** t) for t in dict.fromkeys(ends))      # a straight line on the log axis
        series.append(Series(rate_symbol ** T_LONG, geometric, "dashed"))
    caption = ("The gradient's size against the sequence length T on a log axis: the product of the factors"
               f" along the trajectory (the last, after {len(values)} steps, is the answer's value), and the geometric rate"
               " of the per-step factor beside it." + _cut_short(points, values))
    return Figure(caption, Plot(T_LONG, y_label, tuple(series), log_y=True))


def _cut_short(points, values: list) -> str:
    """A caption's sentence when the curve ends before the last step: a size of exactly 0 (no place on a log
    axis), or one beyond the range of the doubles the drawing works in (below about 1e-308 or above 1e308)."""
    drawn = {t for t, f in points if f > 0}
    if len(drawn) == len(values):
        return ""
    gap = min(t for t in range(1, len(values) + 1) if t not in drawn)     # the first step left out
    if any(t > gap for t in drawn):                                        # (a state past 1e300 that came back)
        return (" Steps whose size is 0, or beyond the double-precision numbers the drawing uses, are left out"
                f" (the first: step {gap}).")
    if values[gap - 1] == 0:
        return f" From step {gap} on the size is 0, which a log axis cannot show."
    side = "small" if values[gap - 1] is not None and abs(values[gap - 1]) < 1 else "large"
    return (f" From step {gap} on the size is too {side} for the double-precision numbers the drawing uses:"
            " the curve stops there.")


def gated(running: tuple, path: tuple, factor, y_label, path_label, lstm: bool) -> tuple[Figure, ...]:
    """A gated cell's stability figure: the evidence after t = 1 ... T steps (|dc<t>/dc<0>| of an LSTM,
    |dh<t>/dh<0>| of a GRU) on a log axis with the rate rho^t, and the copying gates' product alone beside it
    (the cell path; the update-gate path)."""
    figure = decay(list(running), factor, y_label, RHO) if running else None
    if figure is None:
        return ()
    alone = tuple((t, f) for t, f in ((t, _float(v)) for t, v in enumerate(path, 1)) if f is not None and f > 0)
    series = figure.body.series + ((Series(path_label, alone, "line"),) if alone else ())
    state, gates = ("cell state", "forget gates") if lstm else ("state", "update gates")
    caption = (f"The gradient's size against the sequence length T on a log axis: the {state}'s derivative through"
               f" the product of the step's Jacobians along the trajectory (the last, after {len(running)} steps, is"
               f" the answer's value), the product of the {gates} alone (no weight, no slope of an activation),"
               " and the geometric rate of the spectral radius beside them.")
    return (Figure(caption, dataclasses.replace(figure.body, series=series)),)


# --- one unit --------------------------------------------------------------------------------

def _stairs(traj) -> list[float]:
    """The iterates the staircase shows: the first few, until they stop moving visibly or run far."""
    states = []
    for a in traj[:STAIRS + 1]:
        f = _float(a)
        if f is None or abs(f) > FAR:
            break
        states.append(f)
    return states


def _window(states: list[float], fixed: list[float]) -> tuple[float, float]:
    near = states + [p for p in fixed if abs(p) <= FAR]
    lo, hi = min(near), max(near)
    pad = max((hi - lo) * 0.2, 0.5)
    return lo - pad, hi + pad


def cobweb(s) -> Figure | None:
    """y = phi(W_a a + c), y = a, the staircase of iterates from a<0>, the fixed points marked."""
    states = _stairs(s.traj)
    if not states:
        return None
    fixed = [(_float(p.value), p.factor) for p in s.points if _float(p.value) is not None]
    lo, hi = _window(states, [v for v, _ in fixed])
    step = s.rec.map()
    curve = []
    with mpmath.workdps(DIGITS):
        for k in range(SAMPLES):
            a = lo + (hi - lo) * k / (SAMPLES - 1)
            y = _float(step(mpmath.mpf(a)))
            if y is not None and lo - (hi - lo) <= y <= hi + (hi - lo):
                curve.append((a, y))
    path = [(states[0], states[0])]
    for a, b in zip(states, states[1:]):
        path += [(a, b), (b, b)]
    marks = tuple(Mark(v, v, _stable(f), "filled" if compare_one(f) == "<" else "open")
                  for v, f in fixed if lo <= v <= hi)
    series = (Series("the step", tuple(curve), "line"), Series("the diagonal", ((lo, lo), (hi, hi)), "dashed"),
              Series("the iterates", tuple(path), "path"))
    caption = ("The cobweb diagram: the step from one state to the next, the diagonal (where a state maps to itself),"
               " the iterates from the start as a staircase, and each fixed point, filled when stable (factor"
               " below 1), open when not.")
    return Figure(caption, Plot(A_PREV, A_T, series, marks, square=True))


def _stable(factor) -> str:
    return {"<": "stable", ">": "unstable", "=": "neutral"}[compare_one(factor)]


def one_unit(s, T: int = T_EVIDENCE) -> tuple[Figure, ...]:
    """The figures of a one-unit stability question, from its analysis (derive.kinds.rnn.stability), up
    to the spec's T."""
    figures = []
    if s.evidence is not None or len(s.traj) > 1:
        T = T if s.evidence is not None else min(T, len(s.traj) - 1)
        figures.append(decay(running_gradients(s.rec, list(s.traj), T), s.factor, Abs(DA_T_DA_0), FACTOR))
    figures.append(cobweb(s))
    return tuple(f for f in figures if f is not None)


# --- several units ---------------------------------------------------------------------------

def plane(s) -> Figure | None:
    """Two units: the states a<0>, a<1>, ... as a path in the plane, the fixed point marked."""
    states = []
    for state in s.traj[:PLANE]:
        x, y = _float(state[0]), _float(state[1])
        if x is None or y is None or max(abs(x), abs(y)) > FAR:
            break
        states.append((x, y))
    if len(states) < 2:
        return None
    marks = ()
    if s.star is not None:
        marks = (Mark(float(s.star[0]), float(s.star[1]), _stable(s.factor),
                      "filled" if compare_one(s.factor) == "<" else "open"),)
    caption = ("The trajectory in the plane of the two units' states, from the start onwards"
               + (", to the fixed point." if s.star is not None else "."))
    return Figure(caption, Plot("a₁", "a₂",
                                (Series("the states", tuple(states), "path"),), marks, square=True))


def units(rec, s, T: int = T_EVIDENCE) -> tuple[Figure, ...]:
    """The figures of a several-unit stability question, from its analysis (derive.kinds.rnn.units), up to the
    spec's T."""
    figures = []
    if s.evidence is not None:
        figures.append(decay(running_norms(rec, list(s.traj), T, s.evidence), s.factor, NORM_T, RHO))
    if rec.n == 2:
        figures.append(plane(s))
    return tuple(f for f in figures if f is not None)


# --- each variant's figures, from its frozen analysis (the kind's VARIANTS) ----------------------

def of_one_unit(c, s) -> tuple[Figure, ...]:
    """One unit (derive.kinds.rnn.stability's analysis): the gradient's size against T, and the cobweb."""
    return one_unit(s, c.T)


def of_units(u, s) -> tuple[Figure, ...]:
    """Several units (derive.kinds.rnn.units' analysis): the gradient's size against T, and two units' plane."""
    return units(s.rec, s, u.T)


def of_cell(c, s) -> tuple[Figure, ...]:
    """A gated cell (derive.kinds.rnn.cell_stability's analysis): the gradient's size against T, the copying
    gates' product beside it."""
    lstm = c.cell == "lstm"
    grad, prod = (cell_stability.GRAD_C, cell_stability.PROD_F) if lstm else (cell_stability.GRAD_H,
                                                                                 cell_stability.PROD_Z)
    return gated(s.running, s.running_path, s.factor, Abs(grad), prod, lstm)


def of_cell_units(c, s) -> tuple[Figure, ...]:
    """Several gated units (derive.kinds.rnn.cell_units_stability's analysis): as a cell's, with matrix norms;
    the running products' norms computed here, in floats but the last (the answer's own value)."""
    lstm, k = c.cell == "lstm", cell_units_stability
    with mpmath.workdps(DIGITS):
        running = tuple(block_norms(s.blocks[:-1], s.evidence)) if s.blocks else ()
    return gated(running, s.running_path, s.factor, k.GRAD_C if lstm else k.GRAD_H, k.PROD_F if lstm else k.PROD_Z,
                 lstm)
