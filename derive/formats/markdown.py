"""Markdown for the pieces of a derivation: prose escaped, maths as $...$ and $$...$$ from the LaTeX printer.

The maths renders with MathJax or KaTeX in Jupyter, MkDocs (pymdownx.arithmatex) and GitHub.
"""

from __future__ import annotations

from ..notation import EMPTY, Notation
from ..steps import Text
from . import latex as tex
from .latex_typesetter import Typesetter as LatexTypesetter

# Backslash-escaped in prose: Markdown's own punctuation, and '$', which would open maths. The
# characters of HTML become entities (every renderer reads those; '\\<' shows its backslash in
# Python-Markdown, and raw '<' would let HTML in). Line breaks become spaces, invisible characters go.
_TABLE = {ord(ch): "\\" + ch for ch in "\\`*_[]#|$~"}
_TABLE.update({ord("<"): "&lt;", ord(">"): "&gt;", ord("&"): "&amp;"})
_TABLE.update({ord(c): " " for c in "\t\n\r\u2028\u2029"})
_TABLE.update({code: "" for code in tex.INVISIBLE if chr(code) not in "\t\n\r"})


def escape(prose: str) -> str:
    """Prose made safe for Markdown: punctuation that Markdown or the maths renderer reads is escaped,
    HTML's characters written as entities; a short formula in the prose kept on one line (latex.glue)."""
    return tex.glue(prose).translate(_TABLE)


def text(t: Text, notation: Notation = EMPTY, room: tex.Room | None = None) -> str:
    """Prose with inline maths."""
    return "".join(escape(p) if isinstance(p, str) else f"${tex.inline(p, notation, room)}$" for p in t.pieces)


class Typesetter(LatexTypesetter):
    """Markdown for the template context: prose escaped for Markdown, rows are LaTeX (as in the
    article), laid out by the templates in an aligned display."""

    def escape(self, prose: str) -> str:
        return escape(prose)

    def text(self, t: Text) -> str:
        return text(t, self.notation, self.room)

    def figure(self, body, caption: str) -> str:
        """A figure's body as an SVG file (written beside the .md, which links it)."""
        from .figures import svg_text
        return svg_text(body, self.notation, caption, standalone=True)
