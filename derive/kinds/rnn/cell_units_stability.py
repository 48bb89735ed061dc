"""Vanishing or exploding gradients through several gated units (PyTorch's LSTMCell / GRUCell equations).

``analyse`` follows the state ((h, c) for the LSTM, h for the GRU) from the start at 50 digits into a frozen
``UnitsStability``: the fixed point it settles at (Newton's method on the whole step) and the spectral radius
of the step's Jacobian there, or the growth rate of the product of Jacobians when it does not settle; the
evidence ||dc<T>/dc<0>||_2 (LSTM: the cell-state block of the product of the T step Jacobians, every path
through h included) or ||dh<T>/dh<0>||_2 (GRU), the largest singular value; and the copying path alone,
||prod diag(f<t>)||_2 = max_i prod_t f_i<t> (z for the GRU). The functions after it narrate.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Float

from ...numeric import evaluate, shown, to_sympy, value_at
from ...precision import DIGITS
from ...steps import Answer, Solution, chain, let, say, step
from .limits import iterates
from .runs import checked_run, largest, run
from .verdict import VERDICTS, compare_one, growth, radius
from .cell_stability import _growth_step
from .verdict import settled_point
from .cell_units import GatedUnits, Step, gate_vec, to_matrix, vec
from ...written import Fenced, Op, Partial, Row, Sym
from .notation import DA_DAPREV, N, RHO, T_LONG, weights
from .values import number

SHOWN_ITERATES = 3

def _norm(inner) -> Sym:
    """‖inner‖₂, the spectral norm."""
    return Sym(Fenced(inner, "‖", "‖", sized=True), sub="2", bare=True)


def _bold(name: str, **scripts) -> Sym:
    return Sym(name, bold=True, **scripts)


J_STAR = N.symbol("J_units_star", _bold("J", sup="*"))
H_STAR = N.symbol("h_units_star", _bold("h", sup="*"))
C_STAR = N.symbol("c_units_star", _bold("c", sup="*"))
GRAD_C = N.symbol("||dc_T/dc_0||", _norm(Partial(_bold("c", time="T"), _bold("c", time="0"))))
GRAD_H = N.symbol("||dh_T/dh_0||", _norm(Partial(_bold("h", time="T"), _bold("h", time="0"))))
PROD_F = N.symbol("||prod diag f||", _norm(Row(Sym("∏", sub="t=1", sup="T"), Op("diag"),
                                               Fenced(_bold("f", time="t"), sized=True))))
PROD_Z = N.symbol("||prod diag z||", _norm(Row(Sym("∏", sub="t=1", sup="T"), Op("diag"),
                                               Fenced(_bold("z", time="t"), sized=True))))


@dataclass(frozen=True)
class UnitsStability:
    traj: tuple                  # the states (lists of mpmath numbers, [h..., c...] for the LSTM)
    star: list | None            # the fixed point (mpmath numbers)
    J_star: object               # the step's Jacobian there (mpmath matrix), or None
    factor: sympy.Expr           # its spectral radius, or the growth rate along the trajectory
    rel: str
    evidence: sympy.Expr | None  # ||dc<T>/dc<0>||_2 (LSTM) or ||dh<T>/dh<0>||_2 (GRU)
    copying: sympy.Expr | None   # max_i prod_t f_i<t> (or z_i<t>)
    blocks: tuple = ()           # the evidence's block of J<t> ... J<1> after t = 1 ... T steps (mpmath matrices)
    running_path: tuple = ()     # max_i of the copying gates' products after t = 1 ... T steps

    @property
    def verdict(self) -> str:
        return VERDICTS[self.rel]


def _norm2(M) -> mpmath.mpf:
    """The largest singular value of an mpmath matrix."""
    if M.rows == 0:
        return mpmath.mpf(0)
    return max(abs(v) for v in mpmath.svd_r(M, compute_uv=False))


def _products(c: GatedUnits, S: Step, traj: list) -> tuple:
    """(||block of J<T> ... J<1>||_2, max_i prod_t of the copying gate) over T steps, and both after every step
    t = 1 ... T for the figure (the running product's block; the copying gates' largest product); (None, None, (),
    ()) when the trajectory is shorter than T."""
    if len(traj) <= c.T:
        return None, None, (), ()
    n = c.n
    blocks, path = [], []
    with mpmath.workdps(DIGITS):
        M, copying = mpmath.eye(c.d), [mpmath.mpf(1)] * n
        for state in traj[:c.T]:
            M = S.jacobian(state) * M
            copying = [a * b for a, b in zip(copying, S.copying(state))]
            blocks.append(M[n:, n:] if c.cell == "lstm" else M)
            path.append(max(copying))
        evidence = to_sympy(_norm2(blocks[-1]))
        return evidence, to_sympy(max(copying)), tuple(blocks), tuple(path)


def _run_at(c: GatedUnits, start: list):
    """(steps, settle_after, digits, _) -> (the trajectory at that many digits, []): runs.checked_run's runs
    (a chaotic cell loses digits at every step)."""
    def at(n: int, settle_after: int, digits: int, _) -> tuple:
        return run(Step(c, digits).advance, [value_at(v, digits) for v in start], n, settle_after, largest, digits), []
    return at


def analyse(c: GatedUnits) -> UnitsStability:
    """Follow the state from the start: where it settles, the spectral radius there, the evidence at T."""
    S = Step(c)
    start = [*c.h0, *c.c0] if c.cell == "lstm" else list(c.h0)
    steps, settle_after = iterates(c.T)
    traj = run(S.advance, [evaluate(v) for v in start], steps, settle_after, largest)
    traj = checked_run(traj, _run_at(c, start), steps, settle_after, 0)[0]
    star = settled_point(S.advance, S.jacobian, traj)
    J_star = None
    if star is not None:
        with mpmath.workdps(DIGITS):
            J_star = S.jacobian(star)
            factor = to_sympy(radius(J_star))
    else:
        factor = growth(S.jacobian, traj)
    evidence, copying, blocks, path = _products(c, S, traj)
    return UnitsStability(traj=tuple(traj), star=star, J_star=J_star, factor=factor, rel=compare_one(factor),
                          evidence=evidence, copying=copying, blocks=blocks, running_path=path)


# --- narration ----------------------------------------------------------------------------------

VERDICT_TEXT = {
    "vanishing": "Vanishing gradients: where the cells settle, the step's Jacobian has spectral radius below 1,"
                 " so the gradient decays geometrically with the sequence length.",
    "exploding": "Exploding gradients: the step's Jacobian has spectral radius above 1 where the cells settle, so"
                 " the gradient grows geometrically with the sequence length.",
    "neither": "Neither: the step's Jacobian has spectral radius exactly 1 where the cells settle, so the gradient"
               " keeps its size.",
}


def _split(c: GatedUnits, state) -> tuple:
    return (list(state[:c.n]), list(state[c.n:])) if c.cell == "lstm" else (list(state), None)


def _iterate_step(c: GatedUnits, s: UnitsStability, m: dict):
    lines = []
    m.update({vec("h", 0): c.h0, vec("c", 0): c.c0})
    for k in range(1, min(SHOWN_ITERATES, len(s.traj) - 1) + 1):
        h, cs = _split(c, s.traj[k])
        m[vec("h", k)] = to_matrix(h)
        lines.append(chain(vec("h", k), "approx", to_matrix(h, 6)))
        if cs is not None:
            m[vec("c", k)] = to_matrix(cs)
            lines.append(chain(vec("c", k), "approx", to_matrix(cs, 6)))
    what = "the state (h, c)" if c.cell == "lstm" else "the state h"
    return step(say(f"Iterate {what} from the start, each step through its gates (at 50 digits):"), *lines)


def _fixed_point_steps(c: GatedUnits, s: UnitsStability, m: dict) -> list:
    h, cs = _split(c, s.star)
    m.update({H_STAR: to_matrix(h), J_STAR: to_matrix(s.J_star), RHO: s.factor})
    lines = [chain(H_STAR, "approx", to_matrix(h, 8))]
    if cs is not None:
        m[C_STAR] = to_matrix(cs)
        lines.append(chain(C_STAR, "approx", to_matrix(cs, 8)))
    tail = [] if s.rel == "=" else [s.rel, 1]
    d = c.d
    blocks = [" (rows ", vec("h", "t"), " then ", vec("c", "t"), ", columns ", vec("h", "t-1"), " then ",
              vec("c", "t-1"), ")"] if c.cell == "lstm" else []
    return [step(say("The iterates settle at a fixed point of the step, found by Newton's method on the whole"
                     " step started from the last iterate (to 40 digits):"), *lines),
            step(say(f"There one step back multiplies the gradient by the {d} × {d} Jacobian ", J_STAR, *blocks,
                     "; its spectral radius (largest eigenvalue in absolute value) ", RHO,
                     " is how fast repeated products grow or shrink:"),
                 chain(J_STAR, "approx", to_matrix(s.J_star, 4)), chain(RHO, "approx", shown(s.factor), *tail))]


def _evidence_steps(c: GatedUnits, s: UnitsStability, m: dict) -> list:
    if s.evidence is None:
        return []
    lstm = c.cell == "lstm"
    grad, prod = (GRAD_C, PROD_F) if lstm else (GRAD_H, PROD_Z)
    m.update({grad: s.evidence, prod: s.copying})
    what = ("the cell-state block of the product of the T step Jacobians (every path through h included)" if lstm
            else "the product of the T step Jacobians")
    gate = "f" if lstm else "z"
    return [step(say("As evidence, along the actual trajectory with ", let(T_LONG, c.T), ", the size (largest"
                     f" singular value) of {what}:"), chain(grad, "approx", Float(s.evidence, 4))),
            step(say(f"Along the {'cell' if lstm else 'update-gate'} path alone every factor is the diagonal matrix"
                     " of the gate ", gate_vec(gate, c.n), ": no recurrent weight and no slope of an activation, so"
                     " the product is diagonal and its size is the largest unit's product of its own gate over the"
                     " T steps. A plain RNN multiplies instead by its Jacobian ", DA_DAPREV, " (the diagonal"
                     " matrix of its activation's slopes times ", weights(c.n), ") at every step. Here:"),
                 chain(prod, "approx", Float(s.copying, 4)))]


def stability(c: GatedUnits, s: UnitsStability) -> Solution:
    """Vanishing, exploding or neither for several gated units: the analysis narrated."""
    m: dict = {}
    steps = [_iterate_step(c, s, m)]
    steps += _fixed_point_steps(c, s, m) if s.star is not None else [_growth_step(s, m)]
    steps += _evidence_steps(c, s, m)
    lstm = c.cell == "lstm"
    fixed = None
    if s.star is not None:
        h, cs = _split(c, s.star)
        fixed = [[number(v) for v in h], [number(v) for v in cs]] if lstm else [number(v) for v in h]
    value = {"verdict": s.verdict, "fixed_point": fixed, "factor": number(s.factor),
             "gradient_T": number(s.evidence), "T": c.T,
             ("cell_path_T" if lstm else "update_path_T"): number(s.copying)}
    state = [let(vec("h", 0), c.h0), " and ", let(vec("c", 0), c.c0)] if lstm else [let(vec("h", 0), c.h0)]
    question = say("Starting from ", *state, ", for long sequences (T → ∞), will these cells tend to suffer from"
                   " vanishing gradients, exploding gradients, or neither?")
    tail = [] if s.rel == "=" else [s.rel, 1]
    return Solution(question=question, steps=tuple(steps), meanings=m,
                    answer=Answer(value=value, text=say(VERDICT_TEXT[s.verdict]),
                                  chain=chain(RHO, "approx", shown(s.factor), *tail)))


__all__ = ["analyse", "stability", "UnitsStability"]
