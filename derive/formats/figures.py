"""Figures in each format: a body laid out once (derive.formats.drawing_bodies) and printed as TikZ or SVG, its
labels printed by the format's own maths printer; and the figure as data, for JSON.

Sizes: a figure fits a box of BOXES (cm): the article's text width and a third of its page, or a
16:9 slide's frame under its title.
"""

from __future__ import annotations

import dataclasses
import numbers

import sympy

from ..notation import EMPTY, Notation
from ..numeric import json_number
from . import latex as tex
from .drawing import Dot, Path, Rect, Text, extent
from .drawing_bodies import layout
from .drawing_circuit import keys_caption, parted
from .labels import Labels, number_label as _number
from .tikz import picture

BOXES = {"article": (12.5, 7.0), "slide": (11.0, 5.8)}


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


def label_comment(label, notation: Notation = EMPTY) -> str:
    """A label on one line of a TeX comment: text as it is, maths as LaTeX."""
    if isinstance(label, str):
        return " ".join(label.split())
    shown = _number(label)
    return shown if shown is not None else tex.math(sympy.sympify(label), notation)


def tikz_drawing(body, notation: Notation = EMPTY, slide: bool = False):
    """The body laid out for TikZ (its labels measured as pdflatex sets them in the article's or the slides'
    fonts), and those labels."""
    labels = Labels("slides" if slide else "article", notation)
    return layout(body, BOXES["slide" if slide else "article"], labels), labels


def tikz(body, notation: Notation = EMPTY, slide: bool = False) -> str:
    """The body as a tikzpicture, sized for the article or a slide. On a slide a circuit's key table is a picture
    of its own, with its caption, in \\derivekeys (the slides' \\derivefigure sets it under the circuit when the
    two fit a frame, else on the next)."""
    drawing, labels = tikz_drawing(body, notation, slide)
    label, comment = (lambda lab: label_tex(lab, notation)), (lambda lab: label_comment(lab, notation))
    x0, y0, x1, y1 = covered(drawing, labels)
    if not (slide and drawing.keys):
        return picture(drawing, label, comment, (x0, y0, x1, y1))
    circuit, table = parted(drawing)
    cut = drawing.keys[1]
    keys = picture(table, label, comment, (x0, y0, x1, cut))
    return (f"{picture(circuit, label, comment, (x0, cut, x1, y1))}%\n"
            f"\\derivekeys{{{tex.escape(keys_caption(table))}}}{{%\n{keys}}}")


def covered(d, labels) -> tuple[float, float, float, float]:
    """The box a drawing's shapes and labels cover, in cm."""
    xs, ys = [], []
    for it in d.items:
        if isinstance(it, Text):
            x0, y0, x1, y1 = extent(it, labels)
            xs += [x0, x1]
            ys += [y0, y1]
        elif isinstance(it, Path):
            xs += [x for x, _ in it.points]
            ys += [y for _, y in it.points]
        elif isinstance(it, Rect):
            xs += [it.x, it.x + it.w]
            ys += [it.y, it.y + it.h]
        elif isinstance(it, Dot):
            xs += [it.x - it.radius, it.x + it.radius]
            ys += [it.y - it.radius, it.y + it.radius]
    if not xs:
        return (0.0, 0.0, d.width, d.height)
    return (round(min(xs), 3), round(min(ys), 3), round(max(xs), 3), round(max(ys), 3))


def svg_drawing(body, notation: Notation = EMPTY):
    """The body laid out for SVG (its labels measured in the SVG's fonts), and those labels."""
    labels = Labels("svg", notation)
    return layout(body, BOXES["article"], labels), labels


def svg_text(body, notation: Notation = EMPTY, title: str = "", standalone: bool = False) -> str:
    """The body as an <svg> element (inline in a page) or file (``standalone``)."""
    from .svg import svg
    drawing, labels = svg_drawing(body, notation)
    return svg(drawing, labels, title, standalone)


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
