"""A figure's body laid out once, in centimetres, as a handful of primitives (paths, dots, rectangles,
texts) that the TikZ and SVG printers each print their own way: both formats draw the same picture. The
primitives are here; derive.formats.drawing_bodies lays each kind of body out in them (``layout``).

Every primitive that stands for data keeps the numbers it stands for (``data``): the printers write
them beside the geometry (a comment in TikZ, attributes and titles in SVG), so that a reader, an editor
or a test reads the figure's numbers back. Nothing here prints maths; labels pass through untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# The palette, by plain names (the TikZ code defines them by these names).
COLOURS = {
    "deriveink": "1C1C1E", "derivegrey": "8E8E93", "derivelight": "E5E5EA", "deriveblue": "1F4E8C",
    "deriveorange": "D9731A", "derivegreen": "2E7D32", "derivered": "C62828", "derivepurple": "6A3D9A",
    "deriveteal": "00838F", "derivebrown": "8D6E63", "derivepink": "D81B60", "deriveolive": "827717",
    "deriveshade": "B3CDE8", "derivepositive": "C8E6C9", "derivezero": "EEEEEE", "derivehatch": "F5F5F5",
}
SERIES = ("deriveblue", "deriveorange", "derivegreen", "derivepurple", "deriveteal", "derivered")
ROLES = {"shaded": "deriveshade", "positive": "derivepositive", "zero": "derivezero", "hatched": "derivehatch",
         "negative": "derivered", "hole": "white"}
WEIGHTS = ("deriveblue", "deriveorange", "derivegreen", "derivepurple", "deriveteal", "derivered", "derivebrown",
           "derivepink", "deriveolive")
CHAR = 0.17          # a character's rough width at the figures' small size, cm
LINE = 0.42          # a line of small text, cm


@dataclass(frozen=True)
class Tick:
    """A tick's label: LaTeX and plain text (10^{-3} and 10⁻³)."""
    tex: str
    plain: str


@dataclass(frozen=True)
class Path:
    points: tuple[tuple[float, float], ...]
    colour: str = "deriveink"
    style: str = "solid"            # solid, thick, dashed, thin, frame, grid
    arrow: bool = False
    data: tuple[tuple[float, float], ...] | None = None
    label: Any = ""
    meta: tuple[tuple[str, Any], ...] = ()      # (name, value) pairs: a wire's source, target, values


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    colour: str = "deriveblue"
    filled: bool = True
    data: tuple[float, float] | None = None
    label: Any = ""
    radius: float = 0.08


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = "derivegrey"
    dotted: bool = False
    data: tuple[tuple[str, Any], ...] = ()      # (name, value) pairs: row, col, role, label, width, ...
    rounded: bool = False
    hatched: bool = False           # diagonal lines over the fill (padding)


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    label: Any
    anchor: str = "center"          # center, north, south, east, west, or two of them ("north west")
    colour: str = "deriveink"
    size: str = "small"             # small, tiny
    rotate: int = 0
    halo: bool = False              # on a white ground, over whatever it crosses


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    items: tuple
    colours: tuple[str, ...]


def finish(items: list, width: float, height: float) -> Drawing:
    """The drawing with the colours it uses, in order of first use."""
    used = []
    for it in items:
        for name in (getattr(it, "colour", None), getattr(it, "fill", None), getattr(it, "stroke", None)):
            if name and name not in used:
                used.append(name)
    return Drawing(round(width, 3), round(height, 3), tuple(items), tuple(used))


def text_width(label, plain) -> float:
    """A rough width of a label in cm (``plain`` prints it as text)."""
    return CHAR * len(plain(label) if not isinstance(label, Tick) else label.plain)


def number_text(v: float) -> str:
    """A number as a tick or value shows it: at most 4 significant digits, no trailing zeros."""
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        mantissa, exponent = f"{v:.3e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return f"{v:.4g}"


# --- axes ----------------------------------------------------------------------------------

def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round numbers (1, 2 or 5 times a power of 10) from lo to hi, at most ``most`` of them."""
    span = hi - lo
    raw = span / max(most - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, 12))
        k += 1
    return ticks


def log_ticks(lo: float, hi: float, most: int = 6) -> list[int]:
    """Decades from lo to hi (exponents of 10), every one or every few, at most ``most``."""
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if last - first + 1 <= most:
        return list(range(first, last + 1))
    return [int(k) for k in nice_ticks(first, last, most) if float(k).is_integer()]


def decade(k: int) -> Tick:
    sup = str(k).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return Tick(rf"$10^{{{k}}}$", f"10{sup}")


def padded(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """A range around the data: a little room each side; a degenerate one widened."""
    if hi - lo < 1e-9:
        return (math.floor(lo) - 1, math.ceil(hi) + 1) if log else (lo - 1, hi + 1)
    if log:
        return math.floor(lo + 1e-9) if hi - lo > 1 else lo - 0.5, math.ceil(hi - 1e-9) if hi - lo > 1 else hi + 0.5
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad
