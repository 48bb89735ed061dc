"""HTML for the pieces of a derivation: prose escaped, maths as MathML (no script, no network)."""

from __future__ import annotations

from markupsafe import Markup, escape

from ..steps import Chain, Text
from . import latex as tex
from . import mathml


def math(expr) -> Markup:
    """Inline MathML of an expression in the problem's notation."""
    return Markup(f"<math>{mathml.element(expr)}</math>")


def text(t: Text) -> Markup:
    """Prose with inline maths."""
    return Markup("").join(escape(p) if isinstance(p, str) else math(p) for p in t.pieces)


class Typesetter:
    """HTML for the template context: rows are MathML fragments, (left side, relation and right side),
    broken where the LaTeX key breaks them."""

    def __init__(self, limit: int = 70):
        self.limit = limit

    def escape(self, prose: str) -> Markup:
        return escape(prose)

    def text(self, t: Text) -> Markup:
        return text(t)

    def rows(self, ch: Chain) -> list[tuple[Markup, Markup]]:
        exprs = [mathml.element(e) for e in ch.exprs]
        links = [mathml.relation(rel) + right for rel, right in zip(ch.rels, exprs[1:])]
        if tex.one_row(ch, self.limit):
            return [(Markup(exprs[0]), Markup("".join(links)))]
        return [(Markup(exprs[0] if k == 0 else ""), Markup(link)) for k, link in enumerate(links)]
