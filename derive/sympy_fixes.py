"""A fix SymPy has upstream, applied to the version derive runs on.

SymPy 1.14 with gmpy2 (its default ground types) fails on the square root of some integers beyond a double's
range: factoring one, ``_perfect_power`` takes ``math.log`` of what is left of it, an ``mpz``, which Python turns
into a float first ("OverflowError: 'mpz' too large to convert to float"). The numbers of a spec reach such
integers: a ``negative_slope`` of 400 digits makes the gain √(2/(1 + a²)) one of them. ``math.log`` of a Python
int of any size is fine, so the function is given an int, as SymPy itself does since its pull request #28009."""

from __future__ import annotations

import functools

from sympy.ntheory import factor_


def _ints_only(perfect_power):
    @functools.wraps(perfect_power)
    def wrapped(n, next_p=2):
        return perfect_power(int(n), next_p)
    wrapped.derive_fixed = True
    return wrapped


def apply() -> None:
    """Give SymPy's _perfect_power an int (once; nothing if SymPy no longer has it)."""
    original = getattr(factor_, "_perfect_power", None)
    if original is not None and not getattr(original, "derive_fixed", False):
        factor_._perfect_power = _ints_only(original)


apply()
