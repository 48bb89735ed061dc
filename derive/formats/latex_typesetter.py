"""LaTeX's typesetter for the template context (the article's and the slides'; Markdown's rows too): prose and
maths printed by derive.formats.latex, figures drawn as TikZ by derive.formats.figures."""

from __future__ import annotations

from ..notation import EMPTY, Notation
from ..steps import Chain, Text
from .latex import chain_rows, escape, text


class Typesetter:
    """LaTeX for the template context: prose escaped, maths in a kind's notation, chains in rows
    (``limit`` characters to a row: 70 for the article, fewer on a slide)."""

    def __init__(self, limit: int = 70, notation: Notation = EMPTY):
        self.limit, self.notation = limit, notation

    def speaking(self, notation: Notation):
        """The same typesetter in another notation."""
        return self if notation is self.notation else type(self)(self.limit, notation)

    def escape(self, prose: str) -> str:
        return escape(prose)

    def text(self, t: Text) -> str:
        return text(t, self.notation)

    def rows(self, ch: Chain) -> list[tuple[str, str]]:
        return chain_rows(ch, self.limit, self.notation)

    def figure(self, body, caption: str) -> str:
        """A figure's body as a tikzpicture, sized for a slide when rows are a slide's."""
        from .figures import tikz                     # TikZ only where a sheet draws a figure
        return tikz(body, self.notation, slide=self.limit < 70)
