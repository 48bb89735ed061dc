"""rnn-activation: a recurrent unit a<t> = phi(b + W_a a<t-1> + W_x x<t>), or several: the derivative of
one step and the vanishing/exploding verdict for long sequences.

- ``notation``: every symbol the keys show, with its LaTeX;
- ``config``: the spec's fields validated (one unit), and the pieces both questions share;
- ``derivative`` and ``stability``: the two questions for one unit (stability: analysis, then narration);
- ``units``: both questions for several units (a matrix W_a);
- the numeric work, pure functions of (phi, W, c) with no prose: ``limits`` (the bounds), ``runs`` (trajectories
  at rising precision), ``points`` (Newton, exact values, slopes), ``recurrence`` and ``vector_recurrence`` (one
  unit, several), ``verdict`` (growth rates, the comparison with 1), ``domain`` (where phi is undefined) and
  ``orbits`` (the checker's own runs); the facts about activations are in ``kinds/activations.py``.
"""

from __future__ import annotations

from ...steps import Solution, Text
from ..base import Kind
from . import cell_units, cells, units
from .config import Config, configure, setting as _one_setting
from .keys import FIELDS
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
    fields = FIELDS

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)


__all__ = ["RnnActivation", "Config", "configure", "setting", "solve", "analyse", "N"]
