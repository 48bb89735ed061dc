"""A figure's body laid out once, in centimetres, as a handful of primitives (paths, dots, rectangles,
texts) that the TikZ and SVG printers each print their own way: both formats draw the same picture. The
primitives are here; derive.formats.drawing_bodies lays each kind of body out in them (``layout``).

Every primitive that stands for data keeps the numbers it stands for (``data``): the printers write
them beside the geometry (a comment in TikZ, attributes and titles in SVG), so that a reader, an editor
or a test reads the figure's numbers back. Nothing here prints maths; labels pass through untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
    """A tick's label: LaTeX, plain text and MathML (10^{-3}, 10⁻³ and <msup>...)."""
    tex: str
    plain: str
    mathml: str


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
    # a circuit's key table: its items from this index on, under this y (out of the repr, which the SVG's ids hash)
    keys: tuple[int, float] | None = field(default=None, repr=False)


def finish(items: list, width: float, height: float, keys: tuple[int, float] | None = None) -> Drawing:
    """The drawing with the colours it uses, in order of first use (and where its key table is, if any)."""
    used = []
    for it in items:
        for name in (getattr(it, "colour", None), getattr(it, "fill", None), getattr(it, "stroke", None)):
            if name and name not in used:
                used.append(name)
    return Drawing(round(width, 3), round(height, 3), tuple(items), tuple(used), keys)


def text_width(label, labels, size: str = "small") -> float:
    """A label's width in cm, measured by the target's labels (derive.formats.labels)."""
    return labels.measure(label, size)[0]


HALO = 0.04             # the white ground around a label drawn over lines, cm (TikZ's \fboxsep 1pt, SVG's 1.5 px)


def extent(t: Text, labels) -> tuple[float, float, float, float]:
    """The box a text covers, (x0, y0, x1, y1) in cm, from its anchor and its label's measured size (with its
    white ground, when it has one)."""
    x0, y0, x1, y1 = _extent(t, labels)
    pad = HALO if t.halo else 0.0
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _extent(t: Text, labels) -> tuple[float, float, float, float]:
    w, h, d = labels.measure(t.label, t.size)
    x0 = t.x - (0.0 if "west" in t.anchor else w if "east" in t.anchor else w / 2)
    y0 = t.y - (h + d if "north" in t.anchor else 0.0 if "south" in t.anchor else (h + d) / 2)
    if not t.rotate:
        return x0, y0, x0 + w, y0 + h + d
    c, s = math.cos(math.radians(t.rotate)), math.sin(math.radians(t.rotate))
    corners = [(t.x + (x - t.x) * c - (y - t.y) * s, t.y + (x - t.x) * s + (y - t.y) * c)
               for x in (x0, x0 + w) for y in (y0, y0 + h + d)]
    return (min(p[0] for p in corners), min(p[1] for p in corners), max(p[0] for p in corners),
            max(p[1] for p in corners))


def baseline(t: Text, labels) -> tuple[float, float]:
    """Where a text's label starts (its baseline's left end), in cm, unrotated."""
    w, h, d = labels.measure(t.label, t.size)
    x0 = t.x - (0.0 if "west" in t.anchor else w if "east" in t.anchor else w / 2)
    y = t.y - h if "north" in t.anchor else t.y + d if "south" in t.anchor else t.y - (h - d) / 2
    return x0, y


def _mn(text: str) -> str:
    return f"<mrow><mo>\u2212</mo><mn>{text[1:]}</mn></mrow>" if text.startswith("-") else f"<mn>{text}</mn>"


def number_mathml(text: str) -> str:
    """A number's text ('-0.5', '1.5e-7') as MathML: m · 10^k for a power of ten."""
    if "e" not in text:
        return _mn(text)
    mantissa, exponent = text.split("e")
    return f"<mrow>{_mn(mantissa)}<mo>\u22c5</mo><msup><mn>10</mn>{_mn(str(int(exponent)))}</msup></mrow>"


def number_tick(v: float) -> Tick:
    """A tick at a round number: LaTeX, plain text and MathML of number_text's text."""
    text = number_text(v)
    if "e" in text:
        mantissa, exponent = text.split("e")
        tex = rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    else:
        tex = text
    return Tick(f"${tex}$", text, number_mathml(text))


def number_text(v: float) -> str:
    """A number as a tick or value shows it: at most 4 significant digits, no trailing zeros."""
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        mantissa, exponent = f"{v:.3e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return f"{v:.4g}"


# --- curves thinned to what print shows -----------------------------------------------------

THIN = 0.05 / 72.27 * 2.54     # cm: 0.05 pt, well under a printer's dot (0.12 pt at 600 dpi)


def _off(p, a, b) -> float:
    """The distance from the point p to the segment from a to b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    span = dx * dx + dy * dy
    t = 0.0 if span == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / span))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def thinned(points, tolerance: float = THIN) -> list[int]:
    """The indices of the points a polyline needs (Ramer-Douglas-Peucker): the first and the last, and between
    two kept points any point farther than ``tolerance`` from the segment joining them, the farthest first.
    Every point left out lies within ``tolerance`` of the segment drawn in its place, so the thinned line stays
    within ``tolerance`` of the whole one (and it of the thinned one); a point repeated is never kept twice."""
    n = len(points)
    if n < 2:
        return list(range(n))
    keep, spans = [0, n - 1], [(0, n - 1)]
    while spans:
        i, j = spans.pop()
        far, at = max(((_off(points[k], points[i], points[j]), k) for k in range(i + 1, j)), default=(0.0, i))
        if far > tolerance:
            keep.append(at)
            spans += [(i, at), (at, j)]
    keep.sort()
    return keep[:1] if len(keep) == 2 and points[0] == points[-1] else keep      # a point alone: once


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
    return Tick(rf"$10^{{{k}}}$", f"10{sup}", f"<msup><mn>10</mn>{_mn(str(k))}</msup>")


def padded(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """A range around the data: a little room each side; a degenerate one widened."""
    if hi - lo < 1e-9:
        return (math.floor(lo) - 1, math.ceil(hi) + 1) if log else (lo - 1, hi + 1)
    if log:
        return math.floor(lo + 1e-9) if hi - lo > 1 else lo - 0.5, math.ceil(hi - 1e-9) if hi - lo > 1 else hi + 0.5
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad
