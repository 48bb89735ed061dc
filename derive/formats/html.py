"""HTML for the pieces of a derivation: prose escaped, maths as MathML (no script, no network)."""

from __future__ import annotations

from markupsafe import Markup, escape

from ..notation import EMPTY, Notation
from ..steps import Chain, Let, Text
from . import latex as tex
from . import mathml


def math(piece, notation: Notation = EMPTY) -> Markup:
    """Inline MathML of an expression, a chain or a definition in a kind's notation."""
    if isinstance(piece, Let):
        piece = piece.chain
    if isinstance(piece, Chain):
        exprs = [mathml.element(e, notation) for e in piece.exprs]
        inner = exprs[0] + "".join(mathml.relation(rel) + e for rel, e in zip(piece.rels, exprs[1:]))
        return Markup(f"<math><mrow>{inner}</mrow></math>")
    return Markup(f"<math>{mathml.element(piece, notation)}</math>")


def text(t: Text, notation: Notation = EMPTY) -> Markup:
    """Prose with inline maths."""
    return Markup("").join(escape(p) if isinstance(p, str) else math(p, notation) for p in t.pieces)


class Typesetter:
    """HTML for the template context: rows are MathML fragments, (left side, relation and right side),
    broken where the LaTeX key breaks them."""

    def __init__(self, limit: int = 70, notation: Notation = EMPTY):
        self.limit, self.notation = limit, notation

    def speaking(self, notation: Notation):
        """The same typesetter in another notation."""
        return self if notation is self.notation else type(self)(self.limit, notation)

    def escape(self, prose: str) -> Markup:
        return escape(prose)

    def text(self, t: Text) -> Markup:
        return text(t, self.notation)

    def figure(self, body, caption: str) -> Markup:
        """A figure's body as inline SVG."""
        from .figures import svg_text
        return Markup(svg_text(body, self.notation, caption))

    def rows(self, ch: Chain) -> list[tuple[Markup, Markup]]:
        exprs = [mathml.element(e, self.notation) for e in ch.exprs]
        links = [mathml.relation(rel) + right for rel, right in zip(ch.rels, exprs[1:])]
        if tex.one_row(ch, self.limit, self.notation):
            return [(Markup(exprs[0]), Markup("".join(links)))]
        return [(Markup(exprs[0] if k == 0 else ""), Markup(link)) for k, link in enumerate(links)]
