"""Every precision and tolerance derive works with, named once.

Numbers are exact where they can be; where they cannot (a fixed point with no closed form, a product
of a hundred slopes) they are computed with mpmath to ``DIGITS`` significant digits, far more than any
key shows, and compared with the tolerances below.
"""

from __future__ import annotations

import mpmath
import sympy

DIGITS = 50                               # working precision of every numeric computation and check
ZERO = sympy.Float("1e-30", DIGITS)       # a 50-digit difference below this is zero (checker, factor vs 1)
TINY = mpmath.mpf("1e-30")                # the same, for mpmath values
STEP_TINY = mpmath.mpf("1e-45")           # Newton's method stops when a step is smaller than this
RESIDUAL = mpmath.mpf("1e-30")            # a root's |g| must be below this to count as a root
SAME_ROOT = 1e-20                         # two roots closer than this are one; a rational this close is exact
SETTLED = 1e-6                            # a trajectory this close to a fixed point has settled on it
DRIFT = 1e-6                              # factors this close to 1 along a trajectory have no trend
SHOWN = 6                                 # significant digits of a number shown with ≈
RECOMPUTED = DIGITS + 17                  # digits the checker first computes a value again at (numeric.Recomputed):
                                          # more than the derivation's DIGITS, and fewer than it checks them at
DEEPEST = 7000                            # the most digits a value is computed at where cancellation or a long
                                          # trajectory takes digits away (1 - tanh²(z) at |z| ~ 8000 needs ~7000)
