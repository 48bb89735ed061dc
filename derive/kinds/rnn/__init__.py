"""rnn-activation: a recurrent unit a<t> = phi(b + W_a a<t-1> + W_x x<t>), or several: the derivative of
one step and the vanishing/exploding verdict for long sequences.

- ``notation``: every symbol the keys show, with its LaTeX;
- ``config``: the spec's fields validated (one unit), and the pieces both questions share;
- four variants, each one row of ``VARIANTS`` (by the configuration's type): one unit (``derivative``,
  ``stability``), several units (``units``), a gated cell (``cells``, ``cell_derivative``, ``cell_stability``)
  and several gated units (``cell_units``, ``cell_units_stability``); a stability question is an analysis (a frozen
  result), its narration, and its figures (``figures``) drawn from that result when first read;
- the numeric work, pure functions of (phi, W, c) with no prose: ``limits`` (the bounds), ``runs`` (trajectories
  at rising precision), ``points`` (Newton, exact values, slopes), ``recurrence`` and ``vector_recurrence`` (one
  unit, several), ``verdict`` (growth rates, the comparison with 1), ``domain`` (where phi is undefined) and
  ``orbits`` (the checker's own runs); the facts about activations are in ``kinds/activations.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from ...figures import Later
from ...steps import Solution, Text
from ..base import Kind
from . import cell_derivative, cell_stability, cell_units, cell_units_stability, cells, figures, gate_letter, units
from . import stability as one_stability
from .config import Config, configure, setting as _one_setting
from .derivative import derivative
from .keys import FIELDS
from .notation import N
from .stability import analyse


@dataclass(frozen=True)
class Variant:
    """One form of the recurrence a spec may give: its setting, its derivative question, and its stability question
    as analysis (a frozen result), narration of that result, and the figures drawn from it."""

    setting: Callable[[Any], Text]
    derivative: Callable[[Any], Solution]
    analyse: Callable[[Any], Any]
    stability: Callable[[Any, Any], Solution]     # (config, analysis) -> the steps, without figures
    figures: Callable[[Any, Any], tuple]          # (config, analysis) -> the figures


def _with_unused(setting: Callable[[Any], Text]) -> Callable[[Any], Text]:
    """A gated cell's setting, followed by the sentence on the plain cell's keys it does not use."""
    return lambda c: setting(c) + cells.unused_sentence(c)


# The four variants by their configuration's type (config.configure makes one of them).
VARIANTS: dict[type, Variant] = {
    Config: Variant(_one_setting, derivative, analyse, one_stability.stability, figures.of_one_unit),
    units.Units: Variant(units.setting, units.derivative, units.analyse, units.stability, figures.of_units),
    cells.Cell: Variant(_with_unused(cells.setting), cell_derivative.derivative, cell_stability.analyse,
                        cell_stability.stability, figures.of_cell),
    cell_units.GatedUnits: Variant(_with_unused(cell_units.setting), cell_units.derivative,
                                   cell_units_stability.analyse, cell_units_stability.stability,
                                   figures.of_cell_units),
}


def setting(c) -> Text:
    """The situation the questions are asked about, with the spec's values."""
    return VARIANTS[type(c)].setting(c)


def solve(c, ask: str) -> Solution:
    """Derive one question of an rnn-activation part: the derivative, or the stability analysis, its narration,
    then its figures (drawn from the same analysis when first read; the problem sheet shows none of them)."""
    variant = VARIANTS[type(c)]
    if ask == "derivative":
        return variant.derivative(c)
    s = variant.analyse(c)
    return replace(variant.stability(c, s), figures=Later(variant.figures, c, s, sheetless=True))


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

    def shown(self, notation, config, configs):
        """A GRU part beside a plain cell's writes its update gate u⟨t⟩ (derive.kinds.rnn.gate_letter)."""
        return gate_letter.shown(notation, config, configs)

    def setting_among(self, config, configs):
        return setting(config) + gate_letter.note(config, configs)


__all__ = ["RnnActivation", "Config", "configure", "setting", "solve", "analyse", "N", "VARIANTS", "Variant"]
