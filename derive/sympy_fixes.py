"""Two changes to SymPy as derive runs it.

A fix SymPy has upstream, applied to the version derive runs on. SymPy 1.14 with gmpy2 (its default ground types)
fails on the square root of some integers beyond a double's range: factoring one, ``_perfect_power`` takes
``math.log`` of what is left of it, an ``mpz``, which Python turns into a float first ("OverflowError: 'mpz' too
large to convert to float"). The numbers of a spec reach such integers: a ``negative_slope`` of 400 digits makes
the gain √(2/(1 + a²)) one of them. ``math.log`` of a Python int of any size is fine, so the function is given an
int, as SymPy itself does since its pull request #28009.

An assumption query (``expr.is_positive``, ...) that its own handler cannot answer tries the related facts next,
in an order SymPy shuffles with a random generator of its own, so that a handler inconsistent with the rules
shows up in SymPy's test runs. The facts come from a set, whose order is arbitrary already; derive asks tens of
thousands of such queries a course (about 2 per cent of its time went to the shuffling), so the facts are tried
in the order the set gives them. As SymPy says there, the order changes no answer while the handlers agree with
the rules; tests/test_extremes.py asks the same queries in both orders.
"""

from __future__ import annotations

import functools
import importlib

from sympy.ntheory import factor_

assumptions = importlib.import_module("sympy.core.assumptions")    # the module (sympy.core's name is a function)


def _ints_only(perfect_power):
    @functools.wraps(perfect_power)
    def wrapped(n, next_p=2):
        return perfect_power(int(n), next_p)
    wrapped.derive_fixed = True
    return wrapped


def _as_given(facts: list) -> None:
    """The facts left in the order they were given (in place of SymPy's shuffle)."""


def apply() -> None:
    """Give SymPy's _perfect_power an int, and its assumption queries their facts unshuffled (once; nothing
    where SymPy no longer has either)."""
    original = getattr(factor_, "_perfect_power", None)
    if original is not None and not getattr(original, "derive_fixed", False):
        factor_._perfect_power = _ints_only(original)
    if callable(getattr(assumptions, "shuffle", None)):
        assumptions.shuffle = _as_given


apply()
