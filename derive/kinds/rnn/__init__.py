"""rnn-activation: a recurrent unit a<t> = phi(b + W_a a<t-1> + W_x x<t>), or several: the derivative of
one step and the vanishing/exploding verdict for long sequences.

- ``notation``: every symbol the keys show, with its LaTeX;
- ``config``: the spec's fields validated (one unit), and the pieces both questions share;
- ``derivative`` and ``stability``: the two questions for one unit (stability: analysis, then narration);
- ``units``: both questions for several units (a matrix W_a);
- the numeric work (trajectories, fixed points, Newton) is in ``kinds/dynamics.py``, the facts about
  activations in ``kinds/activations.py``.
"""

from __future__ import annotations

from ...steps import Solution, Text
from ..base import Field, Kind, Rule
from ..dynamics import MAX_T, T_EVIDENCE
from . import cell_units, cells, units
from .config import NAMES, Config, configure, setting as _one_setting
from .derivative import derivative
from .notation import N
from .stability import analyse, stability


def setting(c) -> Text:
    """The situation the questions are asked about, with the spec's values."""
    if isinstance(c, units.Units):
        return units.setting(c)
    if isinstance(c, cells.Cell):
        return cells.setting(c) + cells.unused_sentence(c)
    if isinstance(c, cell_units.GatedUnits):
        return cell_units.setting(c) + cells.unused_sentence(c)
    return _one_setting(c)


def solve(c, ask: str) -> Solution:
    """Derive one question of an rnn-activation part."""
    if isinstance(c, units.Units):
        return units.solve(c, ask)
    if isinstance(c, cells.Cell):                    # the gated cells' questions are imported when asked
        if ask == "derivative":
            from .cell_derivative import derivative as cell_derivative
            return cell_derivative(c)
        from .cell_stability import stability as cell_stability
        return cell_stability(c)
    if isinstance(c, cell_units.GatedUnits):
        if ask == "derivative":
            return cell_units.derivative(c)
        from .cell_units_stability import stability as cell_units_stability
        return cell_units_stability(c)
    return {"derivative": derivative, "stability": stability}[ask](c)


class RnnActivation(Kind):
    """One recurrent unit, or several: the step's derivative and the vanishing/exploding verdict."""

    name = "rnn-activation"
    notation = N
    summary = "a recurrent unit a<t> = phi(b + W_a a<t-1> + W_x x<t>): its derivative and gradient stability"
    asks = {
        "derivative": "da<t>/da<t-1> by the chain rule (the Jacobian diag(phi'(z)) W_a for several units;"
                      " dc<t>/dc<t-1> for an LSTM cell, dh<t>/dh<t-1> for a GRU cell: the copying path and in full)",
        "stability": "vanishing, exploding or neither for long sequences: fixed point, factor, evidence |da<T>/da<0>|"
                     " at T (|dc<T>/dc<0>| for an LSTM, a matrix norm for several units)",
    }
    fields = (
        Field("activation", "LaTeX in z, or a name: " + NAMES, "the activation phi", Rule("required unless `cell`")),
        Field("called", "text", "what the problem text calls the activation (a note says so when the formula"
              " is something else)"),
        Field("W_a", "a number, or an n x n matrix for n units", "the recurrent weight", Rule("required unless `cell`")),
        Field("W_x", "a number, a list of n weights, or an n x m matrix", "the input weight; required when x"
              " is not 0"),
        Field("b", "a number, or a list of n", "the bias", 0),
        Field("x", "a number, or a list of m inputs", "every input x<t> (constant)", 0),
        Field("a0", "a number, or a list of n", "the initial state a<0> (h<0> of a cell)", 0),
        Field("cell", "'lstm' or 'gru'", "a gated cell (PyTorch's LSTMCell or GRUCell; several units when a"
              " gate parameter, x, a0 or c0 is a list) instead of"
              " phi(b + W_a a<t-1> + W_x x<t>); activation, called, W_a, W_x and b are then refused"),
        *(Field(p, {"W": "a number; a list of n, or an n x m matrix when x is a list of m, for n units",
                    "U": "a number; an n x n matrix for n units", "b": "a number, or a list of n"}[p[0]],
                f"the {p[2]} gate's " + {"W": "input weight", "U": "recurrent weight", "b": "bias"}[p[0]]
                + (" (LSTM)" if p[2] in "figo" else " (GRU)"), 0) for p in cells.PARAMETERS),
        Field("c0", "a number, or a list of n", "the initial cell state c<0> (LSTM)", 0),
        Field("T", f"a whole number from 1 up to {MAX_T}", "the sequence length of the stability evidence"
              " |da<T>/da<0>| along the trajectory (several gated units: T d^3 at most"
              f" {cell_units.MAX_WORK}, d the state's size, 2n for an LSTM, n for a GRU)", T_EVIDENCE),
    )

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)


__all__ = ["RnnActivation", "Config", "configure", "setting", "solve", "analyse", "N"]
