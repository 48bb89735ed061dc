"""HTML for the pieces of a derivation: prose escaped, maths as MathML (no script, no network)."""

from __future__ import annotations

from xml.dom import minidom

from markupsafe import Markup, escape

from ..notation import EMPTY, Notation
from ..steps import Chain, Let, Text
from . import latex as tex
from . import layout, mathml, measure
from .layout import ARTICLE, Room

INDENT = '<mspace width="1em"/>'                 # before a continuation line, as the LaTeX key's \quad
DEEP = '<mspace width="2em"/>'
SIGNS = {"+", "-", "\u2212"}


def math(piece, notation: Notation = EMPTY, room: Room | None = None) -> Markup:
    """Inline MathML of an expression, a chain or a definition in a kind's notation."""
    if isinstance(piece, Let):
        piece = piece.chain
    if isinstance(piece, Chain):
        exprs = [mathml.element(e, notation, room) for e in piece.exprs]
        inner = exprs[0] + "".join(mathml.relation(rel) + e for rel, e in zip(piece.rels, exprs[1:]))
        return Markup(f"<math><mrow>{inner}</mrow></math>")
    return Markup(f"<math>{mathml.element(piece, notation, room)}</math>")


WIDE = 12.0                          # an inline formula wider than this (em) may not fit a phone's line


def text(t: Text, notation: Notation = EMPTY, room: Room | None = None) -> Markup:
    """Prose with inline maths; a wide formula in a box of its own that scrolls sideways on a narrow screen
    rather than run off it."""
    return Markup("").join(escape(p) if isinstance(p, str) else _inline(p, notation, room) for p in t.pieces)


def _inline(piece, notation: Notation, room: Room | None) -> Markup:
    out = math(piece, notation, room)
    if measure.width(tex.inline(piece, notation, room), "T") > WIDE:
        return Markup('<span class="wide">') + out + Markup("</span>")
    return out


def split(side: str, lines: tuple, terms: int) -> list[str]:
    """The MathML of a side cut where the LaTeX key breaks it (``lines``: its lines, each with the top-level term
    it starts): before the top-level + or − that starts each line. Whole, on one line, when the key breaks it
    inside a term, or when its terms are not the key's."""
    starts = [term for _, term in lines[1:]]
    if not starts or None in starts:
        return [side]
    root = minidom.parseString(side).documentElement
    kids = [k for k in root.childNodes if k.nodeType == k.ELEMENT_NODE] if root.tagName == "mrow" else [root]
    signs = [k for k, node in enumerate(kids) if k and node.tagName == "mo" and node.firstChild is not None
             and node.firstChild.data in SIGNS]
    if len(signs) != terms - 1:
        return [side]
    cuts = [0, *(signs[term - 1] for term in starts), len(kids)]
    return ["".join(node.toxml() for node in kids[a:b]) for a, b in zip(cuts, cuts[1:])]


class Typesetter:
    """HTML for the template context: rows are MathML fragments, (left side, relation and right side),
    broken where the LaTeX key breaks them (``layout.plan``)."""

    def __init__(self, room: Room = ARTICLE, notation: Notation = EMPTY):
        self.room, self.notation = room, notation

    def speaking(self, notation: Notation):
        """The same typesetter in another notation."""
        return self if notation is self.notation else type(self)(self.room, notation)

    def escape(self, prose: str) -> Markup:
        return escape(prose)

    def text(self, t: Text) -> Markup:
        return text(t, self.notation, self.room)

    def figure(self, body, caption: str) -> Markup:
        """A figure's body as inline SVG."""
        from .figures import svg_text
        return Markup(svg_text(body, self.notation, caption))

    def rows(self, ch: Chain) -> list[tuple[Markup, Markup]]:
        latex, rels = tex.sides(ch, self.notation, self.room)
        plan = layout.plan(latex, rels, self.room, one_row=tex.short(latex, rels, self.room))
        sides = [mathml.element(e, self.notation, self.room) for e in ch.exprs]
        links = [[mathml.relation(rel) + first, *more] for rel, (first, *more) in
                 zip(ch.rels, (split(side, lines, layout.terms(t)) for side, lines, t in
                               zip(sides[1:], plan.links, latex[1:])))]
        if plan.kind == "one":
            return [(Markup(sides[0]), Markup("".join(part for link in links for part in link)))]
        if plan.kind == "aligned":
            return [(Markup(sides[0] if k == 0 and j == 0 else ""), Markup(part if j == 0 else INDENT + part))
                    for k, link in enumerate(links) for j, part in enumerate(link)]
        left = split(sides[0], plan.left, layout.terms(latex[0]))
        rows = [(Markup(""), Markup(part if j == 0 else INDENT + part)) for j, part in enumerate(left)]
        return rows + [(Markup(""), Markup((INDENT if j == 0 else DEEP) + part))
                       for link in links for j, part in enumerate(link)]
