"""Readers for the fields of a problem kind: each returns a typed value or raises FieldError."""

from __future__ import annotations

import re
from typing import Any

import sympy

from . import sympy_fixes  # noqa: F401  (SymPy's square roots of integers beyond a double)


class FieldError(ValueError):
    """A kind's field is wrong; spec.py adds the file and the problem."""

    def __init__(self, field: str, reason: str, given: Any = None, expected: str | None = None):
        super().__init__(reason)
        self.field, self.reason, self.given, self.expected = field, reason, given, expected



def number(values: dict, field: str, default: Any = None) -> sympy.Expr:
    """An exact number: an int, a float (read by its decimal digits), a 'p/q' string, or an exact constant
    written in LaTeX ('\\ln 2', '\\sqrt{2}', '\\frac{1}{3}'), read by derive's own parser."""
    value = values.get(field, default)
    if value is None:
        raise FieldError(field, "missing", expected="a number")
    return to_number(value, field)


def to_number(value: Any, field: str) -> sympy.Expr:
    """An exact number from a TOML value: as to_rational, or an exact constant in LaTeX ('\\ln 2'); a number
    already read is returned as it is."""
    if isinstance(value, sympy.Expr) and value.is_number:
        return value
    if isinstance(value, str) and not re.fullmatch(r"\s*-?\d+\s*(/\s*\d+\s*)?", value):
        return _constant(value, field)
    return to_rational(value, field)


def _constant(text: str, field: str) -> sympy.Expr:
    from .mathparse import MathSyntaxError, parse_constant
    try:
        value = parse_constant(text)
    except MathSyntaxError as err:
        raise FieldError(field, str(err), text, "a number, \"p/q\", or an exact constant such as '\\ln 2'") from None
    if value.is_Rational:
        return value
    if abs(value.evalf(20)) > 10 ** MAX_DIGITS:
        raise FieldError(field, f"too large (more than {MAX_DIGITS} digits)", text, "a number of ordinary size")
    return value


MAX_DIGITS = 400          # digits of a number's numerator or denominator (1e308, float64's largest, has 309)


def to_rational(value: Any, field: str) -> sympy.Rational:
    """Exact rational of a TOML number or 'p/q' string (a SymPy rational is returned as it is); FieldError
    otherwise."""
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, bool):
        raise FieldError(field, "must be a number", value, "a number such as 1, 0.5 or \"1/3\"")
    if isinstance(value, int):
        return _sized(sympy.Integer(value), field, value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise FieldError(field, "must be finite", value, "a finite number")
        return _sized(sympy.Rational(repr(value)), field, value)
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(-?\d{1,%d})\s*(?:/\s*(\d{1,%d})\s*)?" % (MAX_DIGITS, MAX_DIGITS), value)
        if m and (m.group(2) is None or int(m.group(2)) != 0):
            return sympy.Rational(int(m.group(1)), int(m.group(2) or 1))
    raise FieldError(field, "must be a number", value, "a number such as 1, 0.5 or \"1/3\"")


def _sized(number: sympy.Rational, field: str, given) -> sympy.Rational:
    p, q = number.as_numer_denom()
    if max(abs(int(p)), int(q)).bit_length() > MAX_DIGITS * 3.33:
        raise FieldError(field, f"too many digits (at most {MAX_DIGITS})", given, "a number of ordinary size")
    return number


MAX_WHOLE = 100_000       # a size, a count, a kernel, a stride: far beyond any homework (VGG's widest is 4096)


def integer(values: dict, field: str, default: Any = None, minimum: int | None = None,
            maximum: int = MAX_WHOLE) -> int:
    """An int field, at least ``minimum`` and at most ``maximum``."""
    value = values.get(field, default)
    if value is None:
        raise FieldError(field, "missing", expected="a whole number")
    return check_int(value, field, minimum, maximum)


def check_int(value: Any, field: str, minimum: int | None = None, maximum: int = MAX_WHOLE) -> int:
    """``value`` as an int from ``minimum`` to ``maximum``; FieldError otherwise."""
    expected = "a whole number" + (f" from {minimum}" if minimum is not None else "") + f" up to {maximum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, "must be a whole number", value, expected)
    if minimum is not None and value < minimum:
        raise FieldError(field, f"must be at least {minimum}", value, expected)
    if value > maximum:
        raise FieldError(field, f"must be at most {maximum}", value, expected)
    return value


MAX_TEXT = 1000           # characters of a text field (a formula, a name)


def text(values: dict, field: str, default: str | None = None) -> str | None:
    """An optional string field, of at most MAX_TEXT characters."""
    value = values.get(field, default)
    if value is not None and not isinstance(value, str):
        raise FieldError(field, "must be text", value, "a string")
    if value is not None and len(value) > MAX_TEXT:
        raise FieldError(field, f"longer than {MAX_TEXT} characters", value, "a short text")
    return value
