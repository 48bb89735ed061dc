"""The numbers of rnn-activation's JSON answers."""

from __future__ import annotations

import math


def number(value) -> float | None:
    """A value for the JSON answer: the float, or None when there is none or it overflows a float
    (a factor of 10^(10^49) along a state that runs off to infinity)."""
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None
