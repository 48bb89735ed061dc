"""The derivative of one gated step: LSTM dc<t>/dc<t-1> (the cell path f<t>, then the full one through
h<t-1>), GRU dh<t>/dh<t-1> (the update-gate path z<t>, then the full one). The general formula in symbols,
then the numbers along the trajectory from the given h<0> (and c<0>)."""

from __future__ import annotations

import sympy

from ...numeric import json_number
from ...steps import Answer, Solution, chain, say, step
from ...written import Partial, Sym, text as short
from .cells import (C_PREV, C_T, DC_CELL, DC_DH, DC_FULL, DH_DIRECT, DH_FULL, DH_PREV_DC, DN_DH, GATE, H_PREV, H_T,
                    N, O_PREV, WEIGHT, Cell, at_step, gates, held, meanings)
from .notation import SIGMA
from ...precision import DIGITS

SHOWN = 6


def _approx(e: sympy.Expr):
    return sympy.Float(sympy.N(e, 30), SHOWN)


def _value(e: sympy.Expr) -> float | str:
    return json_number(sympy.N(e, 30))


def numeric(e: sympy.Expr) -> sympy.Float:
    """A value along the trajectory (a gate, a state, a derivative) to DIGITS, so that the checker compares
    the numbers shown at 50 digits. Kept exact, the states after one step nest exponentials in exponentials,
    and confirming such a constant exactly (sympy.simplify) took minutes; with a large weight (tanh(300))
    an exact difference of 10^-258 is not confirmed at all."""
    return sympy.Float(sympy.N(e, DIGITS), DIGITS)


def _partial_at(top: str, bottom: str, t: int, fixed=None) -> sympy.Symbol:
    """d top<t> / d bottom<t-1>, with what is held fixed (a piece of notation) if given."""
    written = Partial(Sym(top, time=str(t)), Sym(bottom, time=str(t - 1)))
    name = f"d{top}_{t}/d{bottom}_{t - 1}"
    if fixed is not None:
        return N.symbol(f"{name}|{short(fixed)}", held(written, fixed), real=True)
    return N.symbol(name, written, real=True)


def _gate_steps(c: Cell, t: int, h_sym, h_val, m: dict) -> list:
    """Each gate at step t with the numbers in (h<t-1> by its symbol at t = 2); meanings recorded in m."""
    lines = []
    for g, v in gates(c, h_val).items():
        s = at_step(g, t)
        m[s] = numeric(v)
        if g == "n":
            written = sympy.tanh(c.w("W_n") * c.x + c.w("b_n") + at_step("r", t) * c.w("U_n") * h_sym)
        else:
            inner = sympy.tanh if g == "g" else SIGMA
            written = inner(c.w(f"W_{g}") * c.x + c.w(f"U_{g}") * h_sym + c.w(f"b_{g}"))
        lines.append(chain(s, written, "approx", _approx(v)))
    return lines


def lstm(c: Cell) -> Solution:
    """dc<t>/dc<t-1>: f<t> along the cell path, plus the paths through h<t-1>; numbers at t = 2."""
    m = dict(meanings(c))
    f, i, g, o = (GATE[k] for k in "figo")
    dc_dh = C_PREV * f * (1 - f) * WEIGHT["U_f"] + g * i * (1 - i) * WEIGHT["U_i"] + i * (1 - g**2) * WEIGHT["U_g"]
    dh_dc = O_PREV * (1 - sympy.tanh(C_PREV) ** 2)
    steps = [step(say("Along the cell path, hold ", H_PREV, " (so every gate) fixed: ", C_T,
                      " is linear in ", C_PREV, " and its slope is the forget gate."), chain(DC_CELL, f)),
             step(say("Through ", H_PREV, " every gate moves; differentiate ", C_T, " by ", H_PREV,
                      " with the sigmoid's slope σ(1 − σ) and tanh's 1 − tanh²."), chain(DC_DH, dc_dh)),
             step(say("In the unrolled network ", H_PREV, " is itself made from ", C_PREV, " by the output gate."),
                  chain(DH_PREV_DC, dh_dc)),
             step(say("The full derivative adds the path through ", H_PREV, " to the cell path."),
                  chain(DC_FULL, DC_CELL + DC_DH * DH_PREV_DC, f + dc_dh * dh_dc))]
    h0, c0 = at_step("h", 0), at_step("c", 0)
    m.update({h0: c.h0, c0: c.c0})
    g1 = gates(c, c.h0)
    c1v = numeric(g1["f"] * c.c0 + g1["i"] * g1["g"])
    h1v = numeric(g1["o"] * sympy.tanh(c1v))
    c1, h1, f1, i1, g1s, o1 = at_step("c", 1), at_step("h", 1), *(at_step(k, 1) for k in "figo")
    steps.append(step(say("The first step from ", h0, " and ", c0, ":"), *_gate_steps(c, 1, c.h0, c.h0, m),
                      chain(c1, f1 * c.c0 + i1 * g1s, "approx", _approx(c1v)),
                      chain(h1, o1 * sympy.tanh(c1), "approx", _approx(h1v))))
    m.update({c1: c1v, h1: h1v})
    steps.append(step(say("At the second step, the first whose ", H_PREV, " depends on ", C_PREV, ", the gates from ",
                          h1, ":"), *_gate_steps(c, 2, h1, h1v, m)))
    g2 = gates(c, h1v)
    cell_v = g2["f"]
    sub = {H_PREV: h1v, C_PREV: c1v, O_PREV: g1["o"]}
    full_v = numeric(m[DC_FULL].subs(sub))
    cell_s, full_s = _partial_at("c", "c", 2, Sym("h", time="1")), _partial_at("c", "c", 2)
    m.update({cell_s: cell_v, full_s: full_v})
    f2, i2, gg2 = (at_step(k, 2) for k in "fig")
    full_written = f2 + (c1 * f2 * (1 - f2) * c.w("U_f") + gg2 * i2 * (1 - i2) * c.w("U_i")
                         + i2 * (1 - gg2**2) * c.w("U_g")) * o1 * (1 - sympy.tanh(c1) ** 2)
    steps.append(step(say("Both derivatives at the second step:"), chain(cell_s, f2, "approx", _approx(cell_v)),
                      chain(full_s, full_written, "approx", _approx(full_v))))
    answer = Answer(value={"t": 2, "cell_path": _value(cell_v), "full": _value(full_v)},
                    text=say("Along the cell path ", chain(DC_CELL, f), ", here ", chain(cell_s, "approx", _approx(cell_v)),
                             "; with the paths through the hidden state ", chain(full_s, "approx", _approx(full_v)), "."))
    notes = (say("The cell path multiplies the gradient by the forget gate alone, with no recurrent weight and no"
                 " activation slope: a forget gate near 1 carries the gradient across many steps, where a plain"
                 " RNN multiplies by its recurrent weight times the activation's slope at every step."),)
    return Solution(question=say("Find ", DC_FULL, " along the cell path and in full, then at the second step."),
                    steps=tuple(steps), answer=answer, notes=notes, meanings=m)


def gru(c: Cell) -> Solution:
    """dh<t>/dh<t-1>: z<t> along the update-gate path, plus the paths through the gates; numbers at t = 1."""
    m = dict(meanings(c))
    r, z, n = (GATE[k] for k in "rzn")
    dn = (1 - n**2) * (r * WEIGHT["U_n"] + WEIGHT["U_n"] * H_PREV * r * (1 - r) * WEIGHT["U_r"])
    full = z + (H_PREV - n) * z * (1 - z) * WEIGHT["U_z"] + (1 - z) * DN_DH
    steps = [step(say("Along the update-gate path, hold the gates and the candidate fixed: ", H_T, " is linear in ",
                      H_PREV, " with slope the update gate."), chain(DH_DIRECT, z)),
             step(say("In full, the update gate, the candidate ", n, " and, inside it, the reset gate also depend on ",
                      H_PREV, " (product and chain rules, with σ′ equal to σ(1 − σ) and tanh′ to 1 − tanh²)."),
                  chain(DN_DH, dn), chain(DH_FULL, full))]
    h0 = at_step("h", 0)
    m[h0] = c.h0
    steps.append(step(say("The first step, from ", h0, ":"), *_gate_steps(c, 1, c.h0, c.h0, m)))
    g1 = gates(c, c.h0)
    direct_v, full_v = numeric(g1["z"]), numeric(m[DH_FULL].subs(H_PREV, c.h0))
    direct_s, full_s = _partial_at("h", "h", 1, "z, n"), _partial_at("h", "h", 1)
    m.update({direct_s: direct_v, full_s: full_v})
    r1, z1, n1 = (at_step(k, 1) for k in "rzn")
    written = z1 + (c.h0 - n1) * z1 * (1 - z1) * c.w("U_z") + (1 - z1) * (1 - n1**2) * (
        r1 * c.w("U_n") + c.w("U_n") * c.h0 * r1 * (1 - r1) * c.w("U_r"))
    steps.append(step(say("Both derivatives at the first step:"), chain(direct_s, z1, "approx", _approx(direct_v)),
                      chain(full_s, written, "approx", _approx(full_v))))
    answer = Answer(value={"t": 1, "update_path": _value(direct_v), "full": _value(full_v)},
                    text=say("Along the update-gate path ", chain(DH_DIRECT, z), ", here ",
                             chain(direct_s, "approx", _approx(direct_v)), "; in full ",
                             chain(full_s, "approx", _approx(full_v)), "."))
    notes = (say("PyTorch writes the update as (1 − z) n + z h, so the path that copies the state is z. Courses that"
                 " put the update gate on the candidate instead (as the new state's weight) get the same path as one"
                 " minus their update gate."),)
    return Solution(question=say("Find ", DH_FULL, " along the update-gate path and in full, then at the first step."),
                    steps=tuple(steps), answer=answer, notes=notes, meanings=m)


def derivative(c: Cell) -> Solution:
    return lstm(c) if c.cell == "lstm" else gru(c)
