"""A figure's labels, printed and measured by the target's own printer.

A label is text (a ``str``: words), a number, or a SymPy expression in the kind's notation. ``Labels`` gives
each one's box (width, height and depth, in cm) at a figure's two sizes ('small', 'tiny'), for the layout
(derive.formats.drawing_bodies) to place it where nothing else is: the TikZ figures measure with the widths
pdflatex sets the article's or the slides' fonts in, the SVG with the 10 pt ones its Latin Modern has, each
at the size it is drawn. The maths is the MathML printer's tree (the page's own), laid out by
derive.formats.mathbox; the SVG draws exactly that layout (``svg``), never TeX source.
"""

from __future__ import annotations

import functools
import math
import numbers
from html import escape

import sympy

from ..notation import EMPTY, Notation
from ..numeric import decimal_text
from . import mathml
from .drawing import Tick, number_mathml, number_text
from .mathbox import Bar, Box, Metrics, Run, Stroke, text_box, typeset_xml
from .plain import plain_xml

PT = 2.54 / 72.27                      # a TeX point in cm
PX = 40                                # SVG pixels to a centimetre
SVG_SIZES = {"small": 12.0, "tiny": 10.0}
SPARE = 0.3                            # pt
ITALIC = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZαβγδϵεζηθϑικλμνξπρϱσςτυϕφχψω∂")


def number_label(label) -> str | None:
    """A number's text (4 significant digits; 'm e k' for m · 10^k; 'p/q'), or None when the label is not a
    number."""
    if isinstance(label, bool):
        return None
    if isinstance(label, numbers.Integral) or isinstance(label, sympy.Integer):
        return str(int(label))
    if isinstance(label, sympy.Rational):
        return f"{label.p}/{label.q}"
    if isinstance(label, (numbers.Real, sympy.Float)):
        try:
            value = float(label)
        except OverflowError:
            value = math.inf
        return number_text(value) if math.isfinite(value) else _beyond_a_double(label)
    return None


def _beyond_a_double(label) -> str | None:
    """A number beyond a double's range as number_text writes large ones, 4 significant digits: '8.965e398'."""
    text = decimal_text(label, 4)
    if text is None:
        return None
    mantissa, exponent = text.split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


@functools.lru_cache(maxsize=1 << 14)
def _expr_mathml(label, notation: Notation) -> str:
    return mathml.element(sympy.sympify(label), notation)


def label_mathml(label, notation: Notation = EMPTY) -> str | None:
    """A label's maths as MathML, or None when it is words (or nothing)."""
    if label is None or isinstance(label, str):
        return None
    if isinstance(label, Tick):
        return label.mathml
    shown = number_label(label)
    if shown is not None and "/" not in shown:
        return number_mathml(shown)
    return _expr_mathml(label, notation)                  # a fraction, or maths


class Labels:
    """The labels of one target: 'article' or 'slides' (TikZ, measured as pdflatex sets them) or 'svg'."""

    def __init__(self, setup: str, notation: Notation = EMPTY):
        self.setup, self.notation = setup, notation

    def metrics(self, size: str) -> Metrics:
        return Metrics(self.setup, "ten" if self.setup == "svg" else size)

    def box(self, label, size: str = "small") -> Box:
        """The label laid out, in points of the target's fonts."""
        if label is None or label == "":
            return Box(0.0, 0.0, 0.0)
        maths = label_mathml(label, self.notation)
        if maths is None:
            return text_box(str(label), self.metrics(size))
        return typeset_xml(maths, self.metrics(size))

    def scale(self, size: str) -> float:
        """cm per point of the layout."""
        return SVG_SIZES[size] / 10 / PX if self.setup == "svg" else PT

    def measure(self, label, size: str = "small") -> tuple[float, float, float]:
        """The label's width, height and depth in cm, with a little to spare (2 % and 0.3 pt: what the layout's
        rules leave out, a kern here and there)."""
        b, k = self.box(label, size), self.scale(size)
        if b.w == 0:
            return 0.0, 0.0, 0.0
        return (b.w * 1.02 + SPARE) * k, (b.h + SPARE) * k, (b.d + SPARE) * k

    def plain(self, label) -> str:
        """The label as one line of plain text."""
        if label is None or label == "":
            return ""
        if isinstance(label, str):
            return label
        return plain_xml(label_mathml(label, self.notation))

    def __hash__(self) -> int:
        return hash((self.setup, id(self.notation)))

    def __eq__(self, other) -> bool:
        return isinstance(other, Labels) and (other.setup, other.notation) == (self.setup, self.notation)


def svg_items(box: Box, x: float, y: float, k: float, colour: str) -> list[str]:
    """SVG elements drawing a laid-out label whose origin (baseline, left) is at (x, y) px, k px per point."""
    out = []
    for it in box.items:
        if isinstance(it, Run):
            out.append(_svg_run(it, x, y, k, colour))
        elif isinstance(it, Bar):
            out.append(f'<rect x="{_n(x + it.x * k)}" y="{_n(y - (it.y + it.thickness) * k)}" width="{_n(it.w * k)}"'
                       f' height="{_n(max(it.thickness * k, 0.6))}" fill="{colour}"/>')
        elif isinstance(it, Stroke):
            points = " ".join(f"{_n(x + px * k)},{_n(y - py * k)}" for px, py in it.points)
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}"'
                       f' stroke-width="{_n(max(it.thickness * k, 0.6))}"/>')
    return out


def _svg_run(r: Run, x: float, y: float, k: float, colour: str) -> str:
    style = ' font-style="italic"' if r.cls == "it" and all(ch in ITALIC for ch in r.text) else ""
    style += ' font-weight="bold"' if r.cls == "bf" else ""
    fit = f' textLength="{_n(r.width * k)}" lengthAdjust="spacingAndGlyphs"' if r.text.strip() else ""
    return (f'<text x="{_n(x + r.x * k)}" y="{_n(y - r.y * k)}" font-size="{_n(r.size * k)}"{style}{fit}'
            f' fill="{colour}">{escape(r.text)}</text>')


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


__all__ = ["Labels", "label_mathml", "number_label", "svg_items", "PT", "PX"]
