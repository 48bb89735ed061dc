"""LaTeX's typesetter for the template context (the article's and the slides'; Markdown's rows too): prose and
maths printed by derive.formats.latex, displays laid out for a room (derive.formats.layout), figures drawn as
TikZ by derive.formats.figures."""

from __future__ import annotations

from ..notation import EMPTY, Notation
from ..steps import Chain, Text
from .latex import chain_rows, escape, text
from .layout import ARTICLE, Room, boxes


class Typesetter:
    """LaTeX for the template context: prose escaped, maths in a kind's notation, chains in rows laid out to fit
    the ``room`` (the article's text block, or a slide's)."""

    def __init__(self, room: Room = ARTICLE, notation: Notation = EMPTY):
        self.room, self.notation = room, notation

    def speaking(self, notation: Notation):
        """The same typesetter in another notation."""
        return self if notation is self.notation else type(self)(self.room, notation)

    def escape(self, prose: str) -> str:
        return escape(prose)

    def text(self, t: Text) -> str:
        return text(t, self.notation, self.room)

    def rows(self, ch: Chain, alone: bool = False) -> list[tuple[str, str]]:
        return chain_rows(ch, self.room, self.notation, alone)

    def boxes(self, rows: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
        """An answer's rows in the boxes that show them (``layout.boxes``: more than one only on a slide)."""
        return boxes(rows, self.room)

    def figure(self, body, caption: str) -> str:
        """A figure's body as a tikzpicture, sized for a slide when the room is a slide's."""
        from .figures import tikz                     # TikZ only where a sheet draws a figure
        return tikz(body, self.notation, slide=self.room.slide)
