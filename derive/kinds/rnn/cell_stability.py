"""Vanishing or exploding gradients through a gated cell (one unit, PyTorch's equations, a constant input).

The state is (h, c) for the LSTM and h for the GRU. ``analyse`` follows it from (h<0>, c<0>) at 50 digits
into a frozen ``CellStability``: the fixed point it settles at (Newton's method on the whole step) and the
spectral radius of the step's Jacobian there, or the growth rate of the product of Jacobians along the
trajectory when it does not settle; the evidence |dc<T>/dc<0>| (LSTM: the cell-state entry of the product
of the T Jacobians, every path through h included) or |dh<T>/dh<0>| (GRU); and the product of the copying
factors alone (f<t> along the cell path, z<t> along the GRU's update path). The functions after it narrate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import sympy
from sympy import Float, ImmutableMatrix

from ...numeric import compile as compile_numeric, compile_at, evaluate, shown, to_sympy, value_at
from ...precision import DIGITS
from ...steps import Answer, Solution, chain, let, say, step
from .limits import iterates
from .points import refined_at
from .runs import checked_run, largest, run
from .verdict import VERDICTS, compare_one, growth, radius, settled_point
from .cell_derivative import numeric
from .cells import (C_PREV, C_T, DC_CELL, DC_DH, DH_DC, DH_DIRECT, DH_FULL, GATE, H_PREV, H_T, N, WEIGHT, Cell,
                    at_step, gates, meanings as cell_meanings)
from . import orbits
from ...written import Partial, Row, Sym
from .notation import DA_DAPREV, RHO, T_LONG
from .values import number

SHOWN_ITERATES = 3


H_STAR = N.symbol("h_star", Sym("h", sup="*"), real=True)
C_STAR = N.symbol("c_star", Sym("c", sup="*"), real=True)
J_STEP = N.symbol("J_cell", Sym("J", time="t"))
J_STAR = N.symbol("J_cell_star", Sym("J", sup="*"))
GRAD_C = N.symbol("dc_T/dc_0", Partial(Sym("c", time="T"), Sym("c", time="0")))
GRAD_H = N.symbol("dh_T/dh_0", Partial(Sym("h", time="T"), Sym("h", time="0")))
PRODUCT = Sym("∏", sub="t=1", sup="T")                 # over the steps t = 1 ... T
PROD_F = N.symbol("prod_f", Row(PRODUCT, " ", Sym("f", time="t")), nonnegative=True)
PROD_Z = N.symbol("prod_z", Row(PRODUCT, " ", Sym("z", time="t")), nonnegative=True)


# --- analysis -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellStability:
    traj: tuple                      # states along the trajectory: [h] or [h, c] (mpmath numbers)
    star: tuple | None               # the fixed point it settles at, as sympy Floats
    J_star: ImmutableMatrix | None   # the step's Jacobian there
    factor: sympy.Expr               # its spectral radius, or the growth rate along the trajectory
    rel: str                         # factor against 1
    evidence: sympy.Expr | None      # |dc<T>/dc<0>| (LSTM) or |dh<T>/dh<0>| (GRU) over T steps
    copying: sympy.Expr              # prod f<t> (LSTM) or prod z<t> (GRU) over the same T steps
    running: tuple = ()              # the evidence after t = 1 ... T steps (the figure's curve; its last is evidence)
    running_path: tuple = ()         # the copying gates' product after t = 1 ... T steps

    @property
    def verdict(self) -> str:
        return VERDICTS[self.rel]


def states(c: Cell) -> tuple:
    return (H_PREV, C_PREV) if c.cell == "lstm" else (H_PREV,)


def step_map(c: Cell) -> tuple:
    """The new state in terms of the previous one: (h<t>, c<t>) or (h<t>,)."""
    m = cell_meanings(c)
    return (m[H_T], m[C_T]) if c.cell == "lstm" else (m[H_T],)


@functools.lru_cache(maxsize=8)
def _orbit_maps(c: Cell) -> tuple:
    """The step, its full Jacobian and the copying gate as the checker's own runs take them (orbits): (the
    Jacobian's maps, the copying gate's)."""
    syms, new = states(c), step_map(c)
    parts = tuple(d for row in _jacobian_entries(c) for d in row)
    gate = gates(c, H_PREV)["f" if c.cell == "lstm" else "z"]
    return (orbits.maps(syms, new, parts, ImmutableMatrix(0, 0, [])),
            orbits.maps(syms, new, (gate,), ImmutableMatrix([[1]])))


class _Tanh(sympy.tanh):
    """tanh, its derivative written 1 / cosh^2 u rather than 1 - tanh^2 u: the difference is 0 at 50 digits once
    a gate saturates (|u| past ~57), 1 / cosh^2 u keeps every digit (4e^-2000 at u = 1000)."""

    def fdiff(self, argindex=1):
        return 1 / sympy.cosh(self.args[0]) ** 2


def _jacobian_entries(c: Cell) -> list:
    """The step's Jacobian, entry by entry (rows of expressions in the state), no slope of tanh a difference."""
    syms, new = states(c), step_map(c)
    return [[sympy.diff(e.replace(sympy.tanh, _Tanh), s).replace(_Tanh, sympy.tanh) for s in syms] for e in new]


def _start(c: Cell) -> list:
    return [c.h0, c.c0] if c.cell == "lstm" else [c.h0]


def _compiled(c: Cell):
    """(step, jacobian, copying gate): mpmath closures of the state (a list)."""
    syms, new = states(c), step_map(c)
    maps = [compile_numeric(e, syms) for e in new]
    parts = [[(compile_numeric(d, syms), d) for d in row] for row in _jacobian_entries(c)]
    gate = compile_numeric(gates(c, H_PREV)["f" if c.cell == "lstm" else "z"], syms)

    def advance(state):
        return [f(*state) for f in maps]

    def jacobian(state):                  # (an entry below 10^-30 from a difference computed again: refined_at)
        with mpmath.workdps(DIGITS):
            return mpmath.matrix([[refined_at(e, syms, state, d(*state), "cell") for d, e in row] for row in parts])
    return advance, jacobian, lambda state: gate(*state)


def _run_at(c: Cell, start: list):
    """(steps, settle_after, digits, _) -> (the trajectory at that many digits, []): runs.checked_run's runs
    (a chaotic cell loses digits at every step)."""
    syms, new = states(c), step_map(c)

    def at(n: int, settle_after: int, digits: int, _) -> tuple:
        prec = mpmath.libmp.dps_to_prec(digits)
        with mpmath.workprec(prec):
            maps = [compile_at(e, syms, prec) for e in new]
            return run(lambda state: [f(*state) for f in maps], [value_at(v, digits) for v in start], n, settle_after,
                       largest, digits), []
    return at


def _products(c: Cell, jacobian, gate, traj: list) -> tuple:
    """(|entry of J<T> ... J<1>| for the cell state (LSTM) or h (GRU), prod of the copying gate) over T steps,
    and both after each step t = 1 ... T (mpmath numbers; None, None, (), () when the trajectory is shorter)."""
    if len(traj) <= c.T:
        return None, None, (), ()
    k = 1 if c.cell == "lstm" else 0
    running, path = [], []
    with mpmath.workdps(DIGITS):
        M, copying = mpmath.eye(len(traj[0])), mpmath.mpf(1)
        for state in traj[:c.T]:
            M = jacobian(state) * M
            copying *= gate(state)
            running.append(abs(M[k, k]))
            path.append(copying)
        return to_sympy(abs(M[k, k])), to_sympy(copying), tuple(running), tuple(path)


def analyse(c: Cell) -> CellStability:
    """Follow the state from (h<0>, c<0>): where it settles, the spectral radius there, the evidence at T."""
    advance, jacobian, gate = _compiled(c)
    start = _start(c)
    steps, settle_after = iterates(c.T)
    traj = run(advance, [evaluate(v) for v in start], steps, settle_after, largest)
    traj = checked_run(traj, _run_at(c, start), steps, settle_after, 0,
                       lambda k: orbits.run_states(_orbit_maps(c)[0], start, k))[0]
    star = settled_point(advance, jacobian, traj)
    if star is not None:
        with mpmath.workdps(DIGITS):
            J = jacobian(star)
            factor = to_sympy(radius(J))
        J_star = ImmutableMatrix(J.rows, J.cols, lambda i, j: to_sympy(J[i, j]))
    else:
        J_star, factor = None, growth(jacobian, traj)
    evidence, copying, running, path = _products(c, jacobian, gate, traj)
    return CellStability(traj=tuple(traj), star=tuple(to_sympy(v) for v in star) if star is not None else None,
                         J_star=J_star, factor=factor, rel=compare_one(factor), evidence=evidence, copying=copying,
                         running=running, running_path=path)


# --- narration ----------------------------------------------------------------------------------

VERDICT_TEXT = {
    "vanishing": "Vanishing gradients: at the state the cell settles in, every step back in time multiplies the"
                 " gradient by the step's Jacobian, whose spectral radius is below 1, so it decays geometrically"
                 " with the sequence length.",
    "exploding": "Exploding gradients: the step's Jacobian has spectral radius above 1 where the cell settles, so"
                 " the gradient grows geometrically with the sequence length.",
    "neither": "Neither: the step's Jacobian has spectral radius exactly 1 where the cell settles, so the gradient"
               " keeps its size.",
}


def stability(c: Cell, s: CellStability) -> Solution:
    """Vanishing, exploding or neither for a gated cell: the analysis narrated."""
    m = dict(cell_meanings(c))
    steps = [_iterate_step(c, s, m), _jacobian_step(c)]
    rho = orbits.along(_orbit_maps(c)[0], _start(c), "growth", *orbits.later_half(len(s.traj)))
    steps += _fixed_point_steps(c, s, m) if s.star is not None else [_growth_step(s, m, rho)]
    steps += _evidence_steps(c, s, m)
    lstm = c.cell == "lstm"
    fixed = None if s.star is None else [number(v) for v in s.star] if lstm else number(s.star[0])
    value = {"verdict": s.verdict, "fixed_point": fixed, "factor": number(s.factor),
             "gradient_T": number(s.evidence), "T": c.T, ("cell_path_T" if lstm else "update_path_T"): number(s.copying)}
    state = [let(at_step("h", 0), c.h0), " and ", let(at_step("c", 0), c.c0)] if lstm else [let(at_step("h", 0), c.h0)]
    question = say("Starting from ", *state, ", for long sequences (T → ∞), will this cell tend to suffer from"
                   " vanishing gradients, exploding gradients, or neither?")
    tail = [] if s.rel == "=" else [s.rel, 1]
    return Solution(question=question, steps=tuple(steps), meanings=m, notes=(_note(c),),
                    answer=Answer(value=value, text=say(VERDICT_TEXT[s.verdict]),
                                  chain=chain(RHO, "approx", shown(s.factor), *tail)))


def _iterate_step(c: Cell, s: CellStability, m: dict):
    """The first few steps from the start, each through its gates (checked against the 50-digit run)."""
    lstm, lines = c.cell == "lstm", []
    h_prev, c_prev = at_step("h", 0), at_step("c", 0)
    m.update({h_prev: c.h0, c_prev: c.c0})
    for k in range(1, min(SHOWN_ITERATES, len(s.traj) - 1) + 1):
        h_k, c_k = at_step("h", k), at_step("c", k)
        m[h_k] = to_sympy(s.traj[k][0])
        for g, v in gates(c, m[h_prev]).items():
            m[at_step(g, k)] = numeric(v)
        if lstm:
            m[c_k] = to_sympy(s.traj[k][1])
            f, i, g, o = (at_step(n, k) for n in "figo")
            lines += [chain(c_k, f * c_prev + i * g, "approx", Float(m[c_k], 6)),
                      chain(h_k, o * sympy.tanh(c_k), "approx", Float(m[h_k], 6))]
        else:
            z, n = at_step("z", k), at_step("n", k)
            lines.append(chain(h_k, (1 - z) * n + z * h_prev, "approx", Float(m[h_k], 6)))
        h_prev, c_prev = h_k, c_k
    what = "the state (h, c)" if lstm else "the state h"
    return step(say(f"Iterate {what} from the start, each step through its gates at the previous ",
                    H_PREV, ":"), *lines)


def _jacobian_step(c: Cell):
    """The step's Jacobian in symbols (checked at sample states)."""
    f, i, g, o = (GATE[k] for k in "figo")
    if c.cell == "gru":
        return step(say("Backpropagating one step multiplies the gradient by ", DH_FULL, " (the derivative"
                        " question): the update-gate path ", DH_DIRECT, " plus the paths through both gates and"
                        " the candidate."))
    dc_dh = C_PREV * f * (1 - f) * WEIGHT["U_f"] + g * i * (1 - i) * WEIGHT["U_i"] + i * (1 - g**2) * WEIGHT["U_g"]
    return step(say("The state is the pair (", H_PREV, ", ", C_PREV, "): one step back multiplies the gradient by"
                    " the 2 × 2 Jacobian of the step, whose entries (the gates depend on ", H_PREV, " only) are"),
                chain(DC_CELL, f), chain(DC_DH, dc_dh), chain(DH_DC, o * (1 - sympy.tanh(C_T) ** 2) * f),
                chain(DH_FULL, o * (1 - o) * WEIGHT["U_o"] * sympy.tanh(C_T) + o * (1 - sympy.tanh(C_T) ** 2) * DC_DH))


def _fixed_point_steps(c: Cell, s: CellStability, m: dict) -> list:
    """Where the state settles, the Jacobian there and its spectral radius."""
    m.update({H_STAR: s.star[0], RHO: s.factor})
    lines = [chain(H_STAR, "approx", Float(s.star[0], 8))]
    tail = [] if s.rel == "=" else [s.rel, 1]
    settle = step(say("The iterates settle at a fixed point of the step, found by Newton's method on the whole"
                      " step started from the last iterate (to 40 digits):"), *lines)
    if c.cell == "gru":
        m[J_STAR] = s.J_star[0, 0]
        return [settle, step(say("There one step back multiplies the gradient by ", let(J_STAR, DH_FULL), " at ",
                                 H_STAR, "; its size ", RHO, " is how fast repeated products grow or shrink:"),
                             chain(J_STAR, "approx", Float(s.J_star[0, 0], 6)),
                             chain(RHO, sympy.Abs(J_STAR), "approx", shown(s.factor), *tail))]
    m.update({C_STAR: s.star[1], J_STAR: s.J_star})
    lines.append(chain(C_STAR, "approx", Float(s.star[1], 8)))
    J = ImmutableMatrix(s.J_star.applyfunc(lambda e: Float(e, 6)))
    return [settle,
            step(say("There one step back multiplies the gradient by the Jacobian ", J_STAR, " (rows ", H_T, ", ",
                     C_T, "; columns ", H_PREV, ", ", C_PREV, "); its spectral radius (largest eigenvalue in"
                     " absolute value) ", RHO, " is how fast repeated products grow or shrink:"),
                 chain(J_STAR, "approx", J), chain(RHO, "approx", shown(s.factor), *tail))]


def _growth_step(s, m: dict, rho=None):
    """The growth rate standing in for the spectral radius when the state does not settle (one unit or
    several: any analysis with ``factor``, ``rel`` and ``traj``); ``rho``: what the checker takes it to mean, when
    not the number (an orbits node)."""
    m[RHO] = s.factor if rho is None else rho
    tail = [] if s.rel == "=" else [s.rel, 1]
    return step(say(f"The iterates do not settle (after {len(s.traj) - 1} steps), so the growth rate per step of"
                    " the product of Jacobians along the trajectory stands in for the spectral radius:"),
                chain(RHO, "approx", shown(s.factor), *tail))


def _evidence_steps(c: Cell, s: CellStability, m: dict) -> list:
    """|dc<T>/dc<0>| (or |dh<T>/dh<0>|) against the copying path alone, and the plain RNN's product."""
    if s.evidence is None:
        return []
    lstm = c.cell == "lstm"
    grad, prod, gate = (GRAD_C, PROD_F, GATE["f"]) if lstm else (GRAD_H, PROD_Z, GATE["z"])
    full, copying = _orbit_maps(c)
    m.update({grad: orbits.entry(full, _start(c), c.T, int(lstm)), prod: orbits.along(copying, _start(c), "product",
                                                                                       0, c.T)})
    full = say("As evidence, along the actual trajectory with ", let(T_LONG, c.T), ", the ",
               "cell-state entry of the product of the T Jacobians (every path through h included)" if lstm else
               "product of the T one-step derivatives", ":")
    path = "cell path" if lstm else "update-gate path"
    return [step(full, chain(sympy.Abs(grad), "approx", Float(s.evidence, 4))),
            step(say(f"Along the {path} alone the factors are just ", gate, ": no recurrent weight and no slope"
                     " of an activation, so a gate held near 1 carries the gradient across many steps. A plain RNN"
                     " multiplies instead by ", DA_DAPREV, " at every step, a weight times a slope that is at most"
                     " 1 (tanh) or 1/4 (σ), which must balance exactly at every step to neither shrink nor grow."
                     " Here:"),
                 chain(prod, "approx", Float(s.copying, 4)))]


def _note(c: Cell):
    if c.cell == "lstm":
        return say("The gradient of a loss reaches c⟨0⟩ through the full Jacobians; the cell path's product of"
                   " forget gates is the part the LSTM was designed around (Hochreiter & Schmidhuber's constant"
                   " error carousel, with the forget gate of Gers et al.). Where the gates saturate the other"
                   " paths fade and the full product approaches the forget gates' product.")
    return say("PyTorch's update ", let(H_T, (1 - GATE["z"]) * GATE["n"] + GATE["z"] * H_PREV), " copies the state"
               " with weight ", GATE["z"], "; in courses that put the update gate on the candidate instead, the"
               " copying factor is one minus their gate.")


__all__ = ["analyse", "stability", "CellStability"]
