"""The bounds of a recurrence's numeric work: where a state has run off, how far trajectories go, the longest T a
spec may ask for, and the digits mpmath works at.
"""

from __future__ import annotations

import mpmath

from ...fields import check_int
from ...precision import DIGITS

DIVERGED = 10**300      # beyond this a state has left every bounded region (and float64)
BOUNDED = 1e6           # states beyond this are not looked at for fixed points and cycles
MAX_PERIOD = 8
T_EVIDENCE = 100        # the long T whose |da<T>/da<0>| each stability answer states (the spec's T, by default)
MAX_T = 1000            # the largest T a spec may ask for: the evidence multiplies T Jacobians at 50 digits
MAX_ITERATES = 400
PREC, ROUND = mpmath.libmp.dps_to_prec(DIGITS), mpmath.libmp.round_nearest   # DIGITS as mpmath works at it


def iterates(T: int) -> tuple[int, int]:
    """(steps, settle_after) for a trajectory that must reach T: the usual MAX_ITERATES, or twice T for a
    long T; never stopped as stationary before T (or T_EVIDENCE)."""
    return max(MAX_ITERATES, 2 * T), max(T_EVIDENCE, T)


def long_T(values: dict) -> int:
    """The spec's T: the sequence length of the evidence |da<T>/da<0>| (default T_EVIDENCE)."""
    return check_int(values.get("T", T_EVIDENCE), "T", minimum=1, maximum=MAX_T)
