"""HTML for the pieces of a derivation: prose escaped, maths as MathML (no script, no network)."""

from __future__ import annotations

from xml.dom import minidom

from markupsafe import Markup, escape

from ..notation import EMPTY, Notation
from ..steps import Chain, Let, Text
from . import latex as tex
from . import layout, mathml, measure
from .layout import ARTICLE, OPEN_AT, Room

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
    return Markup("").join(escape(tex.glue(p)) if isinstance(p, str) else _inline(p, notation, room) for p in t.pieces)


def _inline(piece, notation: Notation, room: Room | None) -> Markup:
    out = math(piece, notation, room)
    if measure.width(tex.inline(piece, notation, room), "T") > WIDE:
        return Markup('<span class="wide">') + out + Markup("</span>")
    return out


def _elements(node) -> list:
    return [k for k in node.childNodes if k.nodeType == k.ELEMENT_NODE]


def _signs(nodes: list) -> list[int]:
    """The places of a row's top-level + and − signs (not a leading one)."""
    return [k for k, node in enumerate(nodes) if k and node.tagName == "mo" and node.firstChild is not None
            and node.firstChild.data in SIGNS]


def _fenced(node) -> list | None:
    """A bracketed group's parts, [opening, the content's nodes..., closing], when the node is one whose content
    is a sum; else None."""
    kids = _elements(node) if node.tagName == "mrow" else []
    if len(kids) != 3 or kids[0].tagName != "mo" or kids[2].tagName != "mo" or kids[1].tagName != "mrow":
        return None
    inner = _elements(kids[1])
    return [kids[0], *inner, kids[2]] if _signs(inner) else None


def _fences(node) -> list:
    """The bracketed sums within a term's node: itself, or down its rows (not inside a bracket)."""
    if _fenced(node) is not None:
        return [node]
    return [f for kid in _elements(node) for f in _fences(kid)] if node.tagName == "mrow" else []


def _opened(node, fence, term: int, flat: list, starts: dict) -> None:
    """A term's node onto ``flat``, opened down to ``fence`` and the bracket's parts, the inner terms' starts
    noted in ``starts``."""
    if node is fence:
        parts = _fenced(node)
        signs = _signs(parts[1:-1])
        for k, part in enumerate(parts):
            if k - 1 in signs:
                starts[(term, OPEN_AT, signs.index(k - 1) + 1)] = len(flat)
            flat.append(part)
    elif fence is not None and node.tagName == "mrow" and _contains(node, fence):
        for kid in _elements(node):
            _opened(kid, fence, term, flat, starts)
    else:
        flat.append(node)


def _contains(node, target) -> bool:
    return node is target or any(_contains(k, target) for k in _elements(node))


def _flatten(nodes: list, bounds: list[int], lines: tuple) -> tuple[list, dict]:
    """A side's top-level nodes, with the bracket a line starts inside opened into its parts; and where each
    line's start (its path: (term,) or (term, OPEN_AT, inner term)) falls in that list."""
    flat, starts = [], {}
    for term, (a, b) in enumerate(zip(bounds, bounds[1:])):
        starts[(term,)] = len(flat)
        inside = [p[2] for _, p in lines[1:] if len(p) == 3 and p[0] == term]
        fences = [f for n in nodes[a:b] for f in _fences(n) if inside and len(_signs(_fenced(f)[1:-1])) >= max(inside)]
        fence = max(fences, key=lambda f: len(f.toxml()), default=None)      # the widest, as the key opens
        for node in nodes[a:b]:
            _opened(node, fence, term, flat, starts)
    return flat, starts


def split(side: str, lines: tuple, terms: int) -> list[str]:
    """The MathML of a side cut where the LaTeX key breaks it (``lines``: its lines, each with where it starts):
    before a top-level + or −, or before a + or − inside the bracket the key opens across lines. Whole, on one
    line, when the key breaks it elsewhere (between factors), or when its terms are not the key's."""
    paths = [tuple(p) for _, p in lines[1:]]
    if not paths or any(len(p) != 1 and (len(p) != 3 or p[1] != OPEN_AT) for p in paths):
        return [side]
    root = minidom.parseString(side).documentElement
    nodes = _elements(root) if root.tagName == "mrow" else [root]
    signs = _signs(nodes)
    if len(signs) != terms - 1:
        return [side]
    flat, starts = _flatten(nodes, [0, *signs, len(nodes)], lines)
    cuts = [starts.get(p) for p in paths]
    if None in cuts or cuts != sorted(set(cuts)):
        return [side]
    edges = [0, *cuts, len(flat)]
    return ["".join(node.toxml() for node in flat[a:b]) for a, b in zip(edges, edges[1:])]


class Typesetter:
    """HTML for the template context: rows are MathML fragments, (left side, relation and right side),
    broken where the LaTeX key breaks them (``layout.plan``)."""

    def __init__(self, room: Room = ARTICLE, notation: Notation = EMPTY):
        self.room, self.notation = room, notation

    def speaking(self, notation: Notation):
        """The same typesetter in another notation."""
        return self if notation is self.notation else type(self)(self.room, notation)

    def escape(self, prose: str) -> Markup:
        return escape(tex.glue(prose))

    def text(self, t: Text) -> Markup:
        return text(t, self.notation, self.room)

    def boxes(self, rows: list[tuple[Markup, Markup]]) -> list[list[tuple[Markup, Markup]]]:
        """An answer's rows in one box: a page scrolls."""
        return [rows]

    def figure(self, body, caption: str) -> Markup:
        """A figure's body as inline SVG."""
        from .figures import svg_text
        return Markup(svg_text(body, self.notation, caption))

    def rows(self, ch: Chain, alone: bool = False) -> list[tuple[Markup, Markup]]:
        latex, rels = tex.sides(ch, self.notation, self.room)
        plan = layout.plan(latex, rels, self.room, one_row=tex.short(latex, rels, self.room), alone=alone)
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
