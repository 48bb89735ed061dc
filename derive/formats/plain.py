"""Maths as one line of plain Unicode text: a figure's titles and data attributes, what a screen reader says.
It reads the presentation MathML tree derive's MathML printer makes (the same maths the page and the figure
show): scripts as Unicode sub- and superscripts where Unicode has them (x₁, a⁽ⁱ⁾), else _(...) and ^(...);
fractions a/b; a matrix row by row, [1, −1; 0, 1]."""

from __future__ import annotations

import functools
from xml.dom.minidom import Element, parseString

SUP = dict(zip("0123456789+-−=()niTt*", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵀᵗ*"))
SUB = dict(zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
INVISIBLE = {"\u2061", "\u2062", "\u2063"}
SPACED = set("=<>≤≥≠≈+−×⋅·±→∈")


def _kids(el: Element) -> list[Element]:
    return [k for k in el.childNodes if isinstance(k, Element)]


def _script(text: str, table: dict, mark: str) -> str:
    if text and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return f"{mark}({text})" if len(text) > 1 else mark + text


def _row(kids: list[Element]) -> str:
    out = []
    for k in kids:
        text = line(k)
        if k.tagName == "mo" and text in SPACED and out:
            out.append(f" {text} ")
        else:
            out.append(text)
    return "".join(out).replace("  ", " ")


def _wrap(text: str) -> str:
    return f"({text})" if any(ch in text for ch in " +−-/") else text


def line(el: Element) -> str:
    """One MathML element as a line of text."""
    tag, kids = el.tagName, _kids(el)
    if tag in ("mi", "mn", "mo", "mtext"):
        text = "".join(k.data for k in el.childNodes if k.nodeType == k.TEXT_NODE)
        return "" if text in INVISIBLE else text
    if tag in ("msub", "msup", "msubsup"):
        base = line(kids[0])
        sub = _script(line(kids[1]), SUB, "_") if tag != "msup" else ""
        sup = _script(line(kids[-1]), SUP, "^") if tag != "msub" else ""
        return base + sub + sup
    if tag == "mfrac":
        return f"{_wrap(line(kids[0]))}/{_wrap(line(kids[1]))}"
    if tag == "msqrt":
        return f"√{_wrap(_row(kids))}"
    if tag == "mover":
        return line(kids[0]) + {"^": "\u0302", "\u02dc": "\u0303", "\u00af": "\u0304"}.get(line(kids[1]), "")
    if tag == "mtable":
        return "; ".join(", ".join(_row(_kids(td)) for td in _kids(tr)) for tr in kids)
    if tag == "mspace":
        return " "
    return _row(kids)


@functools.lru_cache(maxsize=1 << 14)
def plain_xml(xml: str) -> str:
    """A MathML element (as text) as one line of plain text."""
    return line(parseString(xml).documentElement).strip()


__all__ = ["plain_xml", "line"]
