"""How a question is answered online: its JSON answer value (docs/json.md) mapped to one of four forms, named as
Moodle names them, and each number's margin from the spec's tolerance.

- ``numerical``: a single number;
- ``cloze``: several numbers (a shape, a vector, a matrix, the steps of an optimiser), one blank a number, laid
  out as the answer is (a shape as h × w × c, a matrix row by row, a table's entries by name);
- ``multichoice``: a verdict (vanishing, exploding or neither);
- ``essay``: anything else (a formula, a number no LMS holds: beyond a double's range), graded by hand.

A number's margin is absolute: ``relative r`` gives r·|v|, ``absolute a`` gives a, ``digits n`` gives half a unit
of the n-th significant digit of v. Everything is exact (fractions): a response x is right when |x − v| <= margin,
v being the JSON's number (an int, the double written, or a "p/q" rational). The LMS exports write the value and
its margin as decimals; ``derive grade`` compares exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

NUMERICAL, CLOZE, MULTICHOICE, ESSAY = "numerical", "cloze", "multichoice", "essay"
# Conventions of derive's own asks (a kind of another package gets the general layout):
SHAPES = frozenset({"shapes", "receptive-field", "output-size"})      # lists that are extents: h × w × c
ITEMS = {"shapes": "layer"}                                           # what the items of a list are
GIVEN = {"updates": frozenset({"step"}), "lr": frozenset({"step"}), "derivative": frozenset({"t"}), "stability": frozenset({"T"})}
TOLERANCES = ("relative", "absolute", "digits")
DOUBLE_MAX = Fraction(int(2 ** 1023 * (2 - 2 ** -52)))
_RATIO = re.compile(r"-?\d+/\d+")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Tolerance:
    """How far a response may be from a number: ``relative`` (a fraction of it), ``absolute`` or ``digits``."""

    kind: str = "relative"
    amount: Fraction = Fraction(1, 100)

    @classmethod
    def of(cls, spec) -> "Tolerance":
        """The spec's tolerance of a question (derive.variants' Tolerance: kind and amount), or the default."""
        if spec is None:
            return cls()
        return cls(str(spec.kind), Fraction(str(spec.amount)))

    @classmethod
    def parse(cls, text: str) -> "Tolerance":
        """'relative 0.01', 'absolute 1/2', 'digits 3' (as derive variants' answers table writes it)."""
        kind, _, amount = str(text).strip().partition(" ")
        if kind not in TOLERANCES:
            raise ValueError(f"not a tolerance: {text!r}")
        return cls(kind, Fraction(amount.strip()))

    def margin(self, value: Fraction) -> Fraction:
        """The largest |x − value| accepted, exactly."""
        if self.kind == "absolute":
            return self.amount
        if self.kind == "relative":
            return abs(value) * self.amount
        if value == 0:
            return Fraction(0)
        return Fraction(1, 2) * Fraction(10) ** (exponent(value) - int(self.amount) + 1)

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


def exponent(value: Fraction) -> int:
    """e with 10^e <= |value| < 10^(e+1) (value not 0), exactly."""
    size = abs(value)
    e = math.floor(math.log10(size.numerator)) - math.floor(math.log10(size.denominator))
    while Fraction(10) ** e > size:
        e -= 1
    while Fraction(10) ** (e + 1) <= size:
        e += 1
    return e


def number(value) -> Fraction | None:
    """The exact number of a JSON scalar: an int, a float (the double itself), a "p/q" string, a decimal string
    (a number beyond a double's range); None for anything else (text, a formula, true, null)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value) if math.isfinite(value) else None
    if isinstance(value, str) and (_RATIO.fullmatch(value) or _DECIMAL.fullmatch(value)):
        try:
            return Fraction(value) if "/" in value else Fraction(Decimal(value))
        except (ValueError, ZeroDivisionError, InvalidOperation):
            return None
    return None


def decimal(value) -> str:
    """A number as an LMS reads it: an int in full, a float as Python writes it (shortest, round-trips), a
    rational as the nearest double. Never '+', 'inf' or 'nan' (Moodle's Cloze refuses them)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Fraction) and value.denominator == 1:
        return str(value.numerator)
    return repr(float(value)).replace("e+", "e")


@dataclass(frozen=True)
class Blank:
    """One number to type: its entry in the answer ('' for the whole, '[2][1]', 'w[1]'), its value as the JSON
    has it, the exact number and its margin."""

    entry: str
    value: object
    exact: Fraction
    margin: Fraction

    @property
    def low(self) -> Fraction:
        return self.exact - self.margin

    @property
    def high(self) -> Fraction:
        return self.exact + self.margin

    def accepts(self, x: Fraction) -> bool:
        return abs(x - self.exact) <= self.margin


@dataclass(frozen=True)
class Line:
    """A row of the answer's layout: a label (or '') and its cells, each a piece of text or a blank's index."""

    label: str
    cells: tuple


@dataclass(frozen=True)
class Mapped:
    """A question as an LMS asks it: its ``form`` (numerical, cloze, multichoice, essay), its blanks (numerical:
    one; cloze: each number), the layout of a cloze's blanks, a multichoice's choices and right one."""

    form: str
    blanks: tuple[Blank, ...] = ()
    lines: tuple[Line, ...] = ()
    choices: tuple[str, ...] = ()
    right: str = ""

    @property
    def graded(self) -> bool:
        """Whether a machine grades it (an essay is graded by hand)."""
        return self.form != ESSAY


def verdicts() -> tuple[str, ...]:
    """The verdicts a stability question chooses from, as the kinds declare them."""
    from .kinds.rnn.verdict import VERDICTS
    return tuple(dict.fromkeys(VERDICTS.values()))


def _scalar(value) -> bool:
    return not isinstance(value, (list, tuple, dict))


def _entries(value, given: frozenset, entry: str = ""):
    """(entry, scalar) pairs in order, the keys that restate a given left out (as derive variants flattens)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k) not in given:
                yield from _entries(v, given, f"{entry}.{k}" if entry else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value, 1):
            yield from _entries(v, given, f"{entry}[{i}]")
    else:
        yield entry, value


def mapped(ask: str, value, tolerance: Tolerance | None = None) -> Mapped:
    """The form of a question asking ``ask`` whose answer's JSON value is ``value`` (see the module's text)."""
    tolerance = tolerance or Tolerance()
    if isinstance(value, dict) and isinstance(value.get("verdict"), str) and value["verdict"] in verdicts():
        return Mapped(MULTICHOICE, choices=verdicts(), right=value["verdict"])
    pairs = list(_entries(value, GIVEN.get(ask, frozenset())))
    exact = [number(v) for _, v in pairs]
    if not pairs or any(x is None or abs(x) > DOUBLE_MAX for x in exact):
        return Mapped(ESSAY)
    blanks = tuple(Blank(e, v, x, tolerance.margin(x)) for (e, v), x in zip(pairs, exact))
    if len(blanks) == 1 and _scalar(value):
        return Mapped(NUMERICAL, blanks)
    counter = iter(range(len(blanks)))
    return Mapped(CLOZE, blanks, tuple(_layout(value, ask, counter, GIVEN.get(ask, frozenset()))))


def _flat(value) -> bool:
    return isinstance(value, (list, tuple)) and all(_scalar(v) for v in value)


def _cells(value, ask: str, counter) -> tuple:
    """A number or a flat list as cells: [b, b, b], or b × b × b for an extent."""
    if _scalar(value):
        return (next(counter),)
    if ask in SHAPES:
        return tuple(x for k, v in enumerate(value) for x in ((" × ",) if k else ()) + (next(counter),))
    inner = tuple(x for k, v in enumerate(value) for x in ((", ",) if k else ()) + (next(counter),))
    return ("[",) + inner + ("]",)


def _layout(value, ask: str, counter, given: frozenset, label: str = ""):
    """The lines of a cloze: a number or a flat list on one line; a table a line (or more) per key; a list of
    anything else a line (or more) per item, labelled by its place."""
    if _scalar(value) or _flat(value):
        yield Line(label, _cells(value, ask, counter))
        return
    if isinstance(value, dict):
        shown = [f"{k} = {v}" for k, v in value.items() if str(k) in given]
        head = ", ".join(([label] if label else []) + shown)
        for k, v in value.items():
            if str(k) not in given:
                yield from _layout(v, ask, counter, given, f"{head}: {k}" if head else str(k))
        return
    for i, v in enumerate(value, 1):
        if isinstance(v, dict) and any(str(k) in given for k in v):        # an optimiser's step names itself
            yield from _layout(v, ask, counter, given, label)
            continue
        place = f"{ITEMS[ask]} {i}" if ask in ITEMS else f"row {i}" if _flat(v) else f"[{i}]"
        yield from _layout(v, ask, counter, given, f"{label}, {place}" if label else place)


__all__ = ["NUMERICAL", "CLOZE", "MULTICHOICE", "ESSAY", "Tolerance", "Blank", "Line", "Mapped", "mapped", "number",
           "decimal", "verdicts", "exponent"]
