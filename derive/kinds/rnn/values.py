"""The numbers of rnn-activation's JSON answers, and the words for a state beyond every number."""

from __future__ import annotations

import sympy

from ...numeric import MAX_MAGNITUDE, json_number
from ...steps import Text, say


def number(value) -> float | None:
    """A value for the stability answer's JSON: the float, or None when there is none or it is beyond a double's
    range (a factor of 10^(10^49) along a state that runs off to infinity: the null of docs/json.md)."""
    out = json_number(value)
    return out if isinstance(out, float) else None


def overflow(state, positive: bool | None) -> Text:
    """Why a state is not shown: it overflows, and where to (positive: +oo, False: -oo, None: infinity)."""
    where = "infinity" if positive is None else sympy.oo if positive else -sympy.oo
    return say(" the next state ", state, " overflows: computing it raises e to a power above ",
               sympy.Pow(2, MAX_MAGNITUDE, evaluate=False), " (about ", sympy.Pow(10, 1233, evaluate=False),
               ") on the way, so it is far beyond ", sympy.Pow(10, 300, evaluate=False), ", beyond any double. The"
               " state runs off to ", where, ".")
