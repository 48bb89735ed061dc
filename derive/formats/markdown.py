"""Markdown for the pieces of a derivation: prose escaped, maths as $...$ and $$...$$ from the LaTeX printer.

The maths renders with MathJax or KaTeX in Jupyter, MkDocs (pymdownx.arithmatex) and GitHub.
"""

from __future__ import annotations

from ..notation import EMPTY, Notation
from ..steps import Text
from . import latex as tex

# Backslash-escaped in prose: Markdown's own punctuation, and '$', which would open maths.
SPECIAL = set("\\`*_[]<>#|$~")


def escape(prose: str) -> str:
    """Prose made safe for Markdown: punctuation that Markdown or the maths renderer reads is escaped."""
    return "".join("\\" + ch if ch in SPECIAL else ch for ch in prose)


def text(t: Text, notation: Notation = EMPTY) -> str:
    """Prose with inline maths."""
    return "".join(escape(p) if isinstance(p, str) else f"${tex.inline(p, notation)}$" for p in t.pieces)


class Typesetter(tex.Typesetter):
    """Markdown for the template context: prose escaped for Markdown, rows are LaTeX (as in the
    article), laid out by the templates in an aligned display."""

    def escape(self, prose: str) -> str:
        return escape(prose)

    def text(self, t: Text) -> str:
        return text(t, self.notation)
