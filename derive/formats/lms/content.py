"""A question's statement and worked solution as (X)HTML elements for an LMS: prose as text (escaped when written),
maths either as TeX between \\( \\) and \\[ \\] (Moodle's MathJax filter) or as MathML elements (Canvas; QTI 2.1 in
the ``m:`` namespace), tables as tables, figures as SVG files the page links (their bytes kept for the package).

Only what QTI 2.1's XHTML allows is made (div, p, ol, li, strong, em, table, img, span), so the same elements serve
all three formats; ``ns`` gives their namespace (QTI's) or none (HTML).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable

from ...figures import on_sheet
from ...notation import EMPTY, Notation
from ...steps import Chain, Let, Table, Text
from ..layout import ARTICLE                # a display laid out as in the article
from .markup import append_text, clean, element, file_name, sub

MATHML = "http://www.w3.org/1998/Math/MathML"


class Tex:
    """Maths as TeX for MathJax: \\( … \\) inline, \\[ … \\] displayed (aligned on the relations)."""

    def inline(self, el: ET.Element, piece, notation: Notation) -> None:
        from .. import latex
        append_text(el, f"\\({latex.inline(piece, notation)}\\)")

    def display(self, parent: ET.Element, chain: Chain, notation: Notation, ns: str) -> None:
        from .. import latex
        rows = latex.chain_rows(chain, ARTICLE, notation)
        body = rows[0][0] + " " + rows[0][1] if len(rows) == 1 else \
            "\\begin{aligned}" + " \\\\ ".join(f"{left} &{right}" for left, right in rows) + "\\end{aligned}"
        sub(parent, f"{ns}p", {}, f"\\[{body}\\]")


@dataclass
class MathML:
    """Maths as MathML elements: ``qualified`` puts them in the MathML namespace (QTI's m: prefix); otherwise
    the <math> element says xmlns itself, as HTML has it (Canvas)."""

    qualified: bool = False

    def _math(self, inner: str, display: bool = False) -> ET.Element:
        root = ET.fromstring(f"<math>{clean(inner)}</math>")
        if display:
            root.set("display", "block")
        for node in root.iter():
            node.tag = f"{{{MATHML}}}{node.tag}" if self.qualified else node.tag
        if not self.qualified:
            root.set("xmlns", MATHML)
        return root

    def inline(self, el: ET.Element, piece, notation: Notation) -> None:
        from .. import html
        el.append(self._math(str(html.math(piece, notation))[len("<math>"):-len("</math>")]))

    def display(self, parent: ET.Element, chain: Chain, notation: Notation, ns: str) -> None:
        from .. import html
        rows = html.Typesetter(ARTICLE, notation).rows(chain)
        cells = "".join(f"<mtr><mtd><mrow>{left}</mrow></mtd><mtd><mrow>{right}</mrow></mtd></mtr>"
                        for left, right in rows)
        holder = sub(parent, f"{ns}div")
        holder.append(self._math(f'<mtable columnalign="right left">{cells}</mtable>', display=True))


@dataclass
class Page:
    """How one format writes a page: its namespace (``ns``, '{uri}' or ''), its maths, where a figure's file is
    linked from (``src(name)``), and the files the page links, gathered as it is made (name: bytes)."""

    maths: object
    src: Callable[[str], str]
    ns: str = ""
    prefix: str = ""                  # a variant's figure files are named after it
    files: dict = field(default_factory=dict)

    def el(self, tag: str, attrs: dict | None = None, text: str | None = None) -> ET.Element:
        return element(f"{self.ns}{tag}", attrs, text)

    def sub(self, parent: ET.Element, tag: str, attrs: dict | None = None, text: str | None = None) -> ET.Element:
        return sub(parent, f"{self.ns}{tag}", attrs, text)

    def prose(self, parent: ET.Element, text: Text, notation: Notation = EMPTY, tag: str = "p") -> ET.Element:
        """A paragraph of prose with its inline maths."""
        return self.into(self.sub(parent, tag), text, notation)

    def into(self, el: ET.Element, text: Text, notation: Notation = EMPTY) -> ET.Element:
        """Prose with its inline maths after what an element holds."""
        for piece in text.pieces:
            if isinstance(piece, str):
                append_text(el, piece)
            else:
                self.maths.inline(el, piece.chain if isinstance(piece, Let) else piece, notation)
        return el

    def display(self, parent: ET.Element, chain: Chain, notation: Notation) -> None:
        self.maths.display(parent, chain, notation, self.ns)

    def table(self, parent: ET.Element, t: Table) -> None:
        """A step's table (a network's summary), numbers grouped by thousands as the keys print them."""
        def cell(v) -> str:
            return f"{v:,}" if isinstance(v, int) else str(v)
        table = self.sub(parent, "table")
        head = self.sub(self.sub(table, "thead"), "tr")
        for h in t.header:
            self.sub(head, "th", {}, cell(h))
        body = self.sub(table, "tbody")
        for row in (*t.rows, *((t.foot,) if t.foot else ())):
            tr = self.sub(body, "tr")
            for v in row:
                self.sub(tr, "td", {}, cell(v))

    def figure(self, parent: ET.Element, body, caption: str, name: str, notation: Notation) -> None:
        """A figure as an SVG file, linked by an image (its caption the image's text and the line under it)."""
        from ..figures import svg_text
        name = file_name(f"{self.prefix}{name}.svg")
        self.files[name] = svg_text(body, notation, caption, standalone=True).encode("utf-8")
        holder = self.sub(parent, "div")
        self.sub(holder, "img", {"src": self.src(name), "alt": caption})
        self.sub(holder, "p", {}, caption)


def statement(page: Page, problem, setting: Text | None, q) -> ET.Element:
    """What a student reads: the problem's title, the part's setting, the question, the problem sheet's figures."""
    root = page.el("div")
    title = f"Problem {problem.number}" + (f": {problem.title}" if problem.title else "") + f" — question {q.id}"
    page.sub(page.sub(root, "p"), "strong", {}, title)
    if setting:
        page.prose(root, setting, q.notation)
    page.prose(root, q.text, q.notation)
    for k, f in enumerate(on_sheet(q.figures), 1):
        if f.sheet is not None:
            page.figure(root, f.sheet, f.sheet_caption or f.caption, f"{q.id}-fig{k}-sheet", q.notation)
    return root


def blanks(page: Page, parent: ET.Element, lines, blank: Callable) -> ET.Element:
    """A cloze's answer area: a table, a row a line of the layout (derive.answers.Line): its label, then its cells
    (text, and each blank as ``blank(i)`` makes it: an element, or raw text, unescaped and uncleaned, which a
    format turns into its own syntax once the page is written)."""
    body = page.sub(page.sub(parent, "table"), "tbody")
    for row in lines:
        tr = page.sub(body, "tr")
        page.sub(tr, "th", {}, row.label)
        td = page.sub(tr, "td")
        for cell in row.cells:
            made = cell if isinstance(cell, str) else blank(cell)
            if isinstance(made, ET.Element):
                td.append(made)
            elif isinstance(cell, str):
                append_text(td, made)
            elif len(td):
                td[-1].tail = (td[-1].tail or "") + made
            else:
                td.text = (td.text or "") + made
    return body


def answer(page: Page, parent: ET.Element, q) -> None:
    """The boxed answer: its sentence and its chains."""
    lead = page.sub(parent, "p")
    page.sub(lead, "strong", {}, f"Answer {q.id}.")
    if q.answer.text:
        append_text(lead, " ")
        page.into(lead, q.answer.text, q.notation)
    for ch in q.answer.chains:
        page.display(parent, ch, q.notation)


def solution(page: Page, q) -> ET.Element:
    """The worked solution: each step (its words, displays and table), the answer, the notes, the figures."""
    root = page.el("div")
    if q.steps:
        steps = page.sub(root, "ol")
        for s in q.steps:
            item = page.sub(steps, "li")
            page.prose(item, s.text, q.notation)
            for ch in s.chains:
                page.display(item, ch, q.notation)
            if s.table is not None:
                page.table(item, s.table)
    answer(page, root, q)
    for note in q.notes:
        para = page.sub(root, "p")
        page.sub(para, "em", {}, "Note.")
        append_text(para, " ")
        page.into(para, note, q.notation)
    for k, f in enumerate(q.figures, 1):
        page.figure(root, f.body, f.caption, f"{q.id}-fig{k}", q.notation)
    return root


__all__ = ["Tex", "MathML", "Page", "statement", "solution", "answer", "blanks", "MATHML"]
