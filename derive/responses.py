"""What a student typed, read as people type it, by a scanner of derive's own (nothing is evaluated as code or
handed to SymPy): the numbers of ``26x26x10``, ``(26, 26, 10)``, ``[1, 0, -1]``, ``3/4``, ``1.5e-3``,
``1.5 × 10^-3``, ``1.5·10⁻³``, ``≈ 0.2247``, ``−0.5`` (a Unicode minus), ``1,703,936`` (thousands grouped, when the
question asks one number), words such as units ignored; and a choice among words (``vanishing``, ``Exploding
gradients``, ``b``).

Numbers are exact (fractions: ``0.1`` is 1/10). A response that is too long, or a number too long or too large to be
one anybody typed, is unreadable (None), never slow.
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_RESPONSE = 10_000              # characters of one response
MAX_DIGITS = 400                   # digits of one number
MAX_EXPONENT = 1000                # |e| of 10^e
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"})
_MANTISSA = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_TAIL = (r"(?:[eE](?P<e>[+-]?\d+))?"
         r"(?:\s*(?:[x×*·⋅]|\*\*?)\s*10\s*(?:\^|\*\*)\s*\(?\s*(?P<ten>[+-]?\d+)\s*\)?"
         r"|\s*[x×*·⋅]\s*10(?P<sup>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?"
         r"(?:\s*/\s*(?P<den>\d+))?")
_NUMBER = re.compile(rf"(?P<m>{_MANTISSA}){_TAIL}")
_NUMBER_GROUPED = re.compile(rf"(?P<m>{_GROUPED}|{_MANTISSA}){_TAIL}")
_THIN = re.compile(r"(?<=\d)[\u00a0\u2009\u202f'](?=\d{3}\b)")       # 1 703 936, 1'703'936


def _clean(text: str) -> str | None:
    if not isinstance(text, str) or len(text) > MAX_RESPONSE:
        return None
    return _THIN.sub("", text.translate(MINUS))


def _value(m: re.Match) -> Fraction | None:
    mantissa = m.group("m").replace(",", "")
    if len(mantissa) > MAX_DIGITS:
        return None
    exponent = sum(int(m.group(g)) for g in ("e", "ten") if m.group(g))
    if m.group("sup"):
        exponent += int(m.group("sup").translate(SUPERSCRIPTS))
    if abs(exponent) > MAX_EXPONENT:
        return None
    value = Fraction(mantissa) * Fraction(10) ** exponent
    if m.group("den"):
        if int(m.group("den")) == 0 or len(m.group("den")) > MAX_DIGITS:
            return None
        value /= int(m.group("den"))
    return value


def numbers(text: str, grouped: bool = False) -> list[Fraction] | None:
    """Every number of a response, in order (anything else, words and signs, skipped); None when it cannot be
    read. ``grouped``: '1,703,936' is one number (else three)."""
    text = _clean(text)
    if text is None:
        return None
    out = []
    for m in (_NUMBER_GROUPED if grouped else _NUMBER).finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        if (before.isalpha() or before == "_") and before not in "xX×":    # a name's digits (layer2): no number
            continue
        value = _value(m)
        if value is None:
            return None
        out.append(value)
    return out


def read_numbers(text: str, count: int) -> list[Fraction] | None:
    """The ``count`` numbers of a response: as written, or with thousands grouped by commas when that is what
    makes ``count`` of them; None when neither does."""
    for grouped in (False, True):
        found = numbers(text, grouped)
        if found is not None and len(found) == count:
            return found
    if count == 1 and isinstance(text, str) and re.fullmatch(r"\s*[+-]?\d{1,3}( \d{3})+(\.\d+)?\s*", text):
        return numbers(text.replace(" ", ""))                          # 1 703 936
    return None


def read_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """The one choice a response names: a choice's word (any case, other words around it), the start of one (three
    letters at least), or its letter (a, b, c … in order); None when it names none or several."""
    text = _clean(text)
    if text is None:
        return None
    words = re.findall(r"[^\W\d_]+", text.lower())
    lowered = [c.lower() for c in choices]
    named = {c for c, low in zip(choices, lowered) if low in words}
    if not named:
        named = {c for c, low in zip(choices, lowered) for w in words if len(w) >= 3 and low.startswith(w)}
    if not named and len(words) == 1 and len(words[0]) == 1 and re.fullmatch(r"\W*[a-z][.)]?\W*", text.lower()):
        index = ord(words[0]) - ord("a")
        named = {choices[index]} if 0 <= index < len(choices) else set()
    return next(iter(named)) if len(named) == 1 else None


__all__ = ["numbers", "read_numbers", "read_choice", "MAX_RESPONSE"]
