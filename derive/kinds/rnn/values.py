"""The numbers of rnn-activation's JSON answers."""

from __future__ import annotations

from ...numeric import json_number


def number(value) -> float | None:
    """A value for the stability answer's JSON: the float, or None when there is none or it is beyond a double's
    range (a factor of 10^(10^49) along a state that runs off to infinity: the null of docs/json.md)."""
    out = json_number(value)
    return out if isinstance(out, float) else None
