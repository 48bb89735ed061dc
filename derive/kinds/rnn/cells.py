"""rnn-activation with ``cell = "lstm"`` or ``"gru"``: one gated unit and the derivative of one step.

PyTorch's gate equations (torch.nn.LSTMCell, torch.nn.GRUCell), one unit, a constant input x:

- LSTM: f, i, o = sigma(W_* x + U_* h<t-1> + b_*), g = tanh(W_g x + U_g h<t-1> + b_g),
  c<t> = f c<t-1> + i g, h<t> = o tanh(c<t>).
- GRU: r, z = sigma(W_* x + U_* h<t-1> + b_*), n = tanh(W_n x + b_n + r U_n h<t-1>),
  h<t> = (1 - z) n + z h<t-1>.

``configure`` validates the gate parameters (missing ones 0; the plain cell's keys refused) into a frozen
``Cell`` for one unit, or hands a spec with lists (several units) to ``cell_units``; ``meanings`` gives every symbol in terms of the free states h<t-1>, c<t-1>.
``cell_derivative`` derives dc<t>/dc<t-1> (LSTM: the cell path f<t>, then the full one through h<t-1>, in
numbers at t = 2) or dh<t>/dh<t-1> (GRU: the update-gate path z<t>, then the full one, at t = 1);
``cell_stability`` the verdict over long sequences and the evidence over T steps.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import sympy
from sympy import Eq

from ... import fields
from ...declare import given
from ...fields import FieldError
from ...steps import Text, let, say
from ...words import join, join_pieces
from .limits import T_EVIDENCE, long_T
from . import cell_units
from .keys import CELLS, PARAMETERS
from ...written import Fenced, Partial, Sym
from .notation import N, SIGMA, gate_means

GATES = {"lstm": ("f", "i", "g", "o"), "gru": ("r", "z", "n")}
PLAIN_ONLY = ("activation", "called", "W_a", "W_x", "b")       # the plain cell's keys
R = dict(real=True)
DIGITS = 6


def _at(name: str, t: str) -> Sym:
    """A gate or state at a step: c^{⟨t⟩}; the candidate g is written c̃."""
    return Sym("c", accent="tilde", time=t) if name == "g" else Sym(name, time=t)


def held(d: Partial, fixed) -> Sym:
    """A partial derivative with what is held fixed: (∂c/∂c)|_h."""
    return Sym(Fenced(d, ".", "|", sized=True), sub=fixed)


X = N.symbol("x_cell", _at("x", "t"), **R)
H_PREV = N.symbol("h_prev", _at("h", "t-1"), **R)
C_PREV = N.symbol("c_prev", _at("c", "t-1"), **R)
O_PREV = N.symbol("o_prev", _at("o", "t-1"), **R)
WEIGHT = {p: N.symbol(p, Sym(p.split("_")[0], sub=p.split("_")[1]), **R) for p in PARAMETERS}
GATE = {g: N.symbol(f"gate_{g}", _at(g, "t"), means=gate_means(g), **R) for g in ("f", "i", "g", "o", "r", "z", "n")}
C_T = N.symbol("c_t", _at("c", "t"), **R)
H_T = N.symbol("h_t", _at("h", "t"), **R)
DC_CELL = N.symbol("dc_t/dc_prev|h", held(Partial(_at("c", "t"), _at("c", "t-1")), _at("h", "t-1")), **R)
DC_FULL = N.symbol("dc_t/dc_prev", Partial(_at("c", "t"), _at("c", "t-1")), **R)
DC_DH = N.symbol("dc_t/dh_prev", Partial(_at("c", "t"), _at("h", "t-1")), **R)
DH_PREV_DC = N.symbol("dh_prev/dc_prev", Partial(_at("h", "t-1"), _at("c", "t-1")), **R)
DH_FULL = N.symbol("dh_t/dh_prev", Partial(_at("h", "t"), _at("h", "t-1")), **R)
DN_DH = N.symbol("dn_t/dh_prev", Partial(_at("n", "t"), _at("h", "t-1")), **R)
DH_DC = N.symbol("dh_t/dc_prev", Partial(_at("h", "t"), _at("c", "t-1")), **R)
DH_DIRECT = N.symbol("dh_t/dh_prev|z,n", held(Partial(_at("h", "t"), _at("h", "t-1")), "z, n"), **R)


def at_step(name: str, t: int) -> sympy.Symbol:
    """A gate or state at a numbered step (f<2>, c<1>, ...), shown with its step."""
    return N.symbol(f"{name}_cell_{t}", _at(name, str(t)), means=gate_means(name), **R)


@dataclass(frozen=True)
class Cell:
    cell: str                          # "lstm" or "gru"
    weights: tuple                     # ((name, value), ...) for every parameter of the cell
    x: sympy.Expr
    h0: sympy.Expr
    c0: sympy.Expr
    T: int = T_EVIDENCE                # the sequence length of the stability evidence
    unused: tuple = ()                 # the plain cell's keys the spec gives (W_a, activation, ...): not used

    def w(self, name: str) -> sympy.Expr:
        return dict(self.weights)[name]


def configure(values: dict, asks) -> Cell:
    """Validate a gated cell's fields (``cell`` is set)."""
    cell, spec = values["cell"], given(values)
    own = [f"{w}_{g}" for g in GATES[cell] for w in ("W", "U", "b")]
    for name in PARAMETERS:
        if name not in own and name in spec:
            raise FieldError(name, f"not a parameter of the {cell} cell", values[name], ", ".join(own))
    unused = tuple(name for name in PLAIN_ONLY if name in spec)       # e.g. shared with a plain part
    if cell == "gru" and "c0" in spec:
        raise FieldError("c0", "the GRU has no cell state", values["c0"], "a0 (its h<0>) only")
    if cell_units.several(values, own):
        return replace(cell_units.configure(values, cell, own), unused=unused)
    return Cell(cell=cell, weights=tuple((n, fields.number(values, n, 0)) for n in own),
                x=fields.number(values, "x", 0), h0=fields.number(values, "a0", 0),
                c0=fields.number(values, "c0", 0) if cell == "lstm" else sympy.Integer(0), T=long_T(values),
                unused=unused)


def check_unused(values: dict) -> None:
    """Gate parameters and c0 belong to a gated cell: without ``cell`` they are refused."""
    for name in (*PARAMETERS, "c0"):
        if name in given(values):
            raise FieldError(name, "only used with cell = 'lstm' or 'gru'", values[name], "cell set, or no " + name)


# --- the cell's equations ---------------------------------------------------------------------

def pre(c: Cell, gate: str, h, x=None) -> sympy.Expr:
    """W x + U h + b for one gate (the GRU's n: W_n x + b_n + r U_n h is built in ``gates``)."""
    return c.w(f"W_{gate}") * (c.x if x is None else x) + c.w(f"U_{gate}") * h + c.w(f"b_{gate}")


def _sig(e):
    return 1 / (1 + sympy.exp(-e))


def gates(c: Cell, h) -> dict:
    """Each gate's value (an expression in h) as PyTorch computes it."""
    if c.cell == "lstm":
        return {"f": _sig(pre(c, "f", h)), "i": _sig(pre(c, "i", h)), "g": sympy.tanh(pre(c, "g", h)),
                "o": _sig(pre(c, "o", h))}
    r = _sig(pre(c, "r", h))
    n = sympy.tanh(c.w("W_n") * c.x + c.w("b_n") + r * c.w("U_n") * h)
    return {"r": r, "z": _sig(pre(c, "z", h)), "n": n}


def symbolic(c: Cell, gate: str):
    """A gate's equation in symbols: sigma(W x + U h + b), tanh(...) for g and n."""
    W, U, b = (WEIGHT[f"{w}_{gate}"] for w in ("W", "U", "b"))
    if gate == "n":
        return sympy.tanh(W * X + b + GATE["r"] * U * H_PREV)
    inner = W * X + U * H_PREV + b
    return sympy.tanh(inner) if gate == "g" else SIGMA(inner)


@functools.lru_cache(maxsize=32)
def meanings(c: Cell) -> dict:
    """Every symbol in terms of the free states h<t-1>, c<t-1> (and o<t-1>), for the checker."""
    g = gates(c, H_PREV)
    m = {WEIGHT[n]: v for n, v in c.weights}
    m.update({X: c.x, SIGMA: sympy.Lambda(sympy.Symbol("s"), _sig(sympy.Symbol("s")))})
    m.update({GATE[k]: v for k, v in g.items()})
    if c.cell == "lstm":
        c_t = g["f"] * C_PREV + g["i"] * g["g"]
        dh = O_PREV * (1 - sympy.tanh(C_PREV) ** 2)
        m.update({C_T: c_t, H_T: g["o"] * sympy.tanh(c_t), DC_CELL: sympy.diff(c_t, C_PREV),
                  DC_DH: sympy.diff(c_t, H_PREV), DH_PREV_DC: dh,
                  DC_FULL: sympy.diff(c_t, C_PREV) + sympy.diff(c_t, H_PREV) * dh,
                  DH_DC: sympy.diff(g["o"] * sympy.tanh(c_t), C_PREV),
                  DH_FULL: sympy.diff(g["o"] * sympy.tanh(c_t), H_PREV)})
    else:
        h_t = (1 - g["z"]) * g["n"] + g["z"] * H_PREV
        m.update({H_T: h_t, DH_FULL: sympy.diff(h_t, H_PREV), DH_DIRECT: g["z"], DN_DH: sympy.diff(g["n"], H_PREV)})
    return m


def unused_sentence(c) -> Text:
    """Says which of the plain cell's keys the spec gives that the gated cell does not use."""
    if not c.unused:
        return say()
    names = join(list(c.unused))
    return say(f" The spec's {names} (keys of the plain cell) {'is' if len(c.unused) == 1 else 'are'} not used"
               f" by the {c.cell.upper()} cell: its gates have their own weights.")


def setting(c: Cell) -> Text:
    """The cell and its given values."""
    known = [Eq(WEIGHT[n], v, evaluate=False) for n, v in c.weights]
    known += [Eq(X, c.x, evaluate=False), Eq(at_step("h", 0), c.h0, evaluate=False)]
    if c.cell == "lstm":
        known.append(Eq(at_step("c", 0), c.c0, evaluate=False))
        return say("One LSTM unit (PyTorch's torch.nn.LSTMCell) with ", *join_pieces(known),
                   ", the same input at every step: forget, input and output gates ",
                   let(GATE["f"], symbolic(c, "f")), ", ", let(GATE["i"], symbolic(c, "i")), ", ",
                   let(GATE["o"], symbolic(c, "o")), ", candidate ", let(GATE["g"], symbolic(c, "g")),
                   ", cell state ", let(C_T, GATE["f"] * C_PREV + GATE["i"] * GATE["g"]), " and output ",
                   let(H_T, GATE["o"] * sympy.tanh(C_T)), ".")
    return say("One GRU unit (PyTorch's torch.nn.GRUCell) with ", *join_pieces(known),
               ", the same input at every step: reset gate ", let(GATE["r"], symbolic(c, "r")),
               ", update gate ", let(GATE["z"], symbolic(c, "z")), ", candidate ", let(GATE["n"], symbolic(c, "n")),
               " and output ", let(H_T, (1 - GATE["z"]) * GATE["n"] + GATE["z"] * H_PREV), ".")


__all__ = ["Cell", "CELLS", "PARAMETERS", "configure", "check_unused", "setting", "meanings", "gates"]
