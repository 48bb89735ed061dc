"""derive's own formats, one small class each. derive's pyproject.toml names them in the entry-point group
``derive.formats``, as another package names its own; this module stays light (each renderer is imported when
its format renders)."""

from __future__ import annotations

import re

from .base import CompiledFormat, Format, TemplatedFormat, TexFormat



class Latex(TexFormat):
    """The answer key as an article; its snippets (derive snippets) are set as narrow as a slide's rows."""

    name = "latex"
    listed = 1
    help = "LaTeX article"
    suffix = ".tex"
    folder = "latex"
    snippet_help = "for beamer frames and articles"

    def snippet_typesetter(self):
        from .latex_typesetter import Typesetter
        from .layout import SLIDE
        return Typesetter(SLIDE)


class Pdf(CompiledFormat):
    name = "pdf"
    listed = 2
    help = "the article compiled"
    suffix = ".pdf"
    compiled_from = "latex"


class Json(Format):
    """The answers as data (the JSON contract of docs/json.md), from the document model: no template."""

    name = "json"
    listed = 3
    help = "answers for graders"
    suffix = ".json"
    sheets = ("solutions",)

    def prepare(self) -> None:
        from . import jsonkey  # noqa: F401

    def render(self, doc, sheet: str = "solutions", *, templates=None, cache: bool = True) -> str:
        from .jsonkey import dumps, to_json
        return dumps(to_json(doc)) + "\n"


class Markdown(TemplatedFormat):
    """$-maths for Jupyter, MkDocs and GitHub; each figure an SVG file beside the sheet, which links it."""

    name = "markdown"
    listed = 4
    help = "$-maths for Jupyter, MkDocs, GitHub"
    suffix = ".md"
    folder = "markdown"
    ext = "md"
    snippet_help = "for notebooks and pages"
    stdout_note = ("figures are left out of Markdown on standard output (each is an SVG file written beside the .md;"
                   " give -o FILE to have them)")

    def typesetter(self):
        from .markdown import Typesetter
        return Typesetter()

    def tidy(self, text: str) -> str:
        """At most one blank line in a row and one newline at the end."""
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"

    def figure_files(self, doc, sheet: str = "solutions") -> dict[str, str]:
        """The SVG files the sheet links, by their names after '<name>-' ('1a.ii-fig1.svg')."""
        from . import context
        ctx = context.document(doc, self.typesetter(), sheet)
        return {f"{f['file']}.svg": f["drawing"] for p in ctx["problems"] for part in p["parts"]
                for q in part["questions"] for f in q["figures"]}


class Html(TemplatedFormat):
    name = "html"
    listed = 5
    help = "one self-contained page, MathML"
    suffix = ".html"
    folder = "html"
    ext = "html"

    def typesetter(self):
        from .html import Typesetter
        return Typesetter()


class Beamer(TexFormat):
    name = "beamer"
    listed = 6
    help = "slides, one frame a question"
    suffix = "-slides.tex"
    folder = "beamer"
    room = "slide"


class BeamerPdf(CompiledFormat):
    name = "beamer-pdf"
    listed = 7
    help = "the slides compiled"
    suffix = "-slides.pdf"
    compiled_from = "beamer"
    passes = 2                        # beamer's navigation needs a second run


__all__ = ["Latex", "Pdf", "Json", "Markdown", "Html", "Beamer", "BeamerPdf"]
