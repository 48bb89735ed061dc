"""Figures in each format: a body laid out once (derive.formats.drawing_bodies) and printed as TikZ or SVG, its
labels printed by the format's own maths printer; and the figure as data, for JSON.

Sizes: a figure fits a box of BOXES (cm): the article's text width and a third of its page, or a
16:9 slide's frame under its title.
"""

from __future__ import annotations

import dataclasses
import numbers

import math

import sympy

from ..notation import EMPTY, Notation
from ..numeric import decimal_text, json_number
from . import latex as tex
from .drawing import number_text
from .drawing_bodies import layout
from .tikz import picture

BOXES = {"article": (12.5, 7.0), "slide": (11.0, 5.8)}


def _number(label) -> str | None:
    """A number's text (4 significant digits), or None when the label is not a number."""
    if isinstance(label, bool):
        return None
    if isinstance(label, numbers.Integral) or (isinstance(label, sympy.Integer)):
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
    """A number beyond a double's range as number_text writes large ones, 4 significant digits: '8.965e398'
    (None when it has no finite value: the label is then printed as maths)."""
    text = decimal_text(label, 4)
    if text is None:
        return None
    mantissa, exponent = text.split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def label_tex(label, notation: Notation = EMPTY) -> str:
    """A label as LaTeX in text mode: text escaped, maths in $...$."""
    if label is None or label == "":
        return ""
    if isinstance(label, str):
        return tex.escape(label)
    shown = _number(label)
    if shown is not None and "e" in shown:
        mantissa, exponent = shown.split("e")
        return rf"${mantissa} \cdot 10^{{{int(exponent)}}}$"
    if shown is not None and "/" not in shown:
        return f"${shown}$"
    return f"${tex.math(sympy.sympify(label), notation)}$"


def label_plain(label, notation: Notation = EMPTY) -> str:
    """A label as plain Unicode text (the SVG's), maths made readable."""
    if label is None or label == "":
        return ""
    if isinstance(label, str):
        return label
    shown = _number(label)
    if shown is not None:
        return shown.replace("-", "−")
    from .svg import plain_latex                      # SVG only where a format draws it (not for LaTeX)
    return plain_latex(tex.math(sympy.sympify(label), notation))


def label_comment(label, notation: Notation = EMPTY) -> str:
    """A label on one line of a TeX comment: text as it is, maths as LaTeX."""
    if isinstance(label, str):
        return " ".join(label.split())
    shown = _number(label)
    return shown if shown is not None else tex.math(sympy.sympify(label), notation)


def tikz(body, notation: Notation = EMPTY, slide: bool = False) -> str:
    """The body as a tikzpicture, sized for the article or a slide."""
    plain = lambda lab: label_plain(lab, notation)                 # noqa: E731
    drawing = layout(body, BOXES["slide" if slide else "article"], plain)
    return picture(drawing, lambda lab: label_tex(lab, notation), lambda lab: label_comment(lab, notation))


def svg_text(body, notation: Notation = EMPTY, title: str = "", standalone: bool = False) -> str:
    """The body as an <svg> element (inline in a page) or file (``standalone``)."""
    plain = lambda lab: label_plain(lab, notation)                 # noqa: E731
    from .svg import svg
    return svg(layout(body, BOXES["article"], plain), plain, title, standalone)


_NOT_PLAIN = object()


def _plain(value):
    """A float, an int, a str or a point of floats as JSON data (most of a figure: a curve's coordinates), asked
    first; _NOT_PLAIN for anything else."""
    kind = type(value)
    if kind is float:
        return value if value - value == 0 else json_number(value)     # not finite: json_number's ValueError
    if kind is int or kind is str:
        return value
    if kind is tuple and all(type(v) is float for v in value):
        return [v if v - v == 0 else json_number(v) for v in value]
    return _NOT_PLAIN


def data(value, notation: Notation = EMPTY):
    """A figure (or any part of one) as JSON data: numbers as numbers, text as text, SymPy labels as LaTeX."""
    plain = _plain(value)
    if plain is not _NOT_PLAIN:
        return plain
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: data(getattr(value, f.name), notation) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [data(v, notation) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral) or isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, (numbers.Real, sympy.Float)) and not isinstance(value, sympy.Rational):
        return json_number(value)
    if isinstance(value, sympy.Basic):
        return tex.math(value, notation)
    return str(value)


def figure_json(fig, notation: Notation = EMPTY) -> dict:
    """One figure for the JSON: its kind, caption and body (and what the problem sheet shows, or null)."""
    return {"kind": fig.kind, **data(fig, notation)}
