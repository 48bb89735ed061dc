"""What an output format is: one small class, found by its name through the entry-point group ``derive.formats``.

A format is a subclass of ``Format`` (derive.formats.format) with

- ``name`` (what ``--format`` says, and the entry point's name), ``help`` (its line in ``--help``) and
  ``suffix`` (the file's ending after '<spec-name>-<sheet>': '.tex', '-slides.pdf');
- ``sheets``: the sheets it serves ('solutions', the answer key; 'problems', the questions alone);
- ``binary``: whether it renders bytes (a PDF, a zip), which never go to standard output;
- ``render(doc, sheet, templates=, cache=)``: the document's sheet as the file's text or bytes;

and, where it has them, ``prepare`` (load what rendering needs, while the questions are derived),
``figure_files`` (files written beside the sheet, which it links), ``snippets`` (files for ``derive snippets``,
which lists the formats with a ``snippet_help``) and ``fragment`` (a piece of the document as a notebook
displays it). ``TemplatedFormat`` renders Jinja templates with a typesetter (prose
escaped, maths printed); ``TexFormat`` is one with TeX's delimiters; ``CompiledFormat`` compiles the text of
another format with pdflatex; ``PooledFormat`` holds a pool of variants in one file (an LMS's question bank).

This module is light (no SymPy, no Jinja when imported): the command line lists the formats and builds its help
from the classes alone, and a format imports its heavy parts (typesetter, templates, TeX) when it renders.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from .format import Format


class TemplatedFormat(Format):
    """A format made by Jinja templates: '<folder>/<sheet>.<ext>.j2' (and '<folder>/<level>.<ext>.j2' for a
    notebook's pieces, 'snippets/<name>.<ext>.j2' for snippets) fed the template context (derive.formats.context),
    every piece of which its typesetter printed. HTML templates ('.html.j2') escape what is not marked safe."""

    folder: ClassVar[str]
    ext: ClassVar[str]
    tex: ClassVar[bool] = False          # TeX's delimiters ((* *)), ((( ))), ((= =)); else Jinja's own

    @abc.abstractmethod
    def typesetter(self) -> Any:
        """The typesetter (derive.formats.context.Typesetter) of the sheet."""

    def snippet_typesetter(self) -> Any:
        """The snippets' typesetter: the sheet's, unless the format says otherwise."""
        return self.typesetter()

    def prepare(self) -> None:
        from . import engine, figures  # noqa: F401 - the templates' environment, the figures' drawers
        self.typesetter()

    def template(self, name: str) -> str:
        """The path of one of its templates, e.g. template('question') = 'latex/question.tex.j2'."""
        return f"{self.folder}/{name}.{self.ext}.j2"

    def snippet_template(self, name: str) -> str:
        return f"snippets/{name}.{self.ext}.j2"

    def tidy(self, text: str) -> str:
        """A rendered template's text as it is written (as it came, unless the format tidies it)."""
        return text

    def render(self, doc, sheet: str = "solutions", *, templates=None, cache: bool = True) -> str:
        from . import context, engine
        return engine.render_template(self, self.template(sheet), context.document(doc, self.typesetter(), sheet),
                                      templates)

    def snippets(self, doc, *, templates=None) -> dict[str, str]:
        if self.snippet_help is None:
            return super().snippets(doc, templates=templates)
        from . import engine
        return engine.snippet_files(self, doc, templates)

    def snippet_preamble(self, ctx: dict, templates=None) -> dict[str, str]:
        """The snippets' shared files, such as the packages and macros they need (none)."""
        return {}

    def figure_snippets(self, ctx: dict, q: dict, templates=None) -> dict[str, str]:
        """Each figure of a question as a file of its own: the typesetter's drawing, an SVG ('<id>-fig1.svg')."""
        return {f"{f['file']}.svg": f["drawing"] for f in q["figures"]}

    def fragment(self, obj) -> str:
        from . import engine
        return engine.fragment_of(self, obj)


class TexFormat(TemplatedFormat):
    """A LaTeX format: TeX's delimiters in its templates, LaTeX's typesetter laying displays out for ``room``
    ('article': the article's text block; 'slide': a 16:9 frame's); its snippets come with a preamble and draw
    figures as tikzpictures."""

    ext = "tex"
    tex = True
    room: ClassVar[str] = "article"

    def typesetter(self) -> Any:
        from .latex_typesetter import Typesetter
        from .layout import ROOMS
        return Typesetter(ROOMS[self.room])

    def snippet_preamble(self, ctx: dict, templates=None) -> dict[str, str]:
        from . import engine
        return {"preamble.tex": engine.render_template(self, self.snippet_template("preamble"), ctx, templates)}

    def figure_snippets(self, ctx: dict, q: dict, templates=None) -> dict[str, str]:
        from . import engine
        figure = self.snippet_template("figure")
        return {f"{f['file']}.tex": engine.render_template(self, figure, {**ctx, "q": q, "f": f}, templates)
                for f in q["figures"]}

    def fragment(self, obj) -> str:
        """An answer on one line (its sentence, then its chain in $...$); a document as its problems, one after
        another (no preamble); any other level by its template."""
        from . import engine
        from .latex import answer_latex
        if obj.level == "answer":
            return answer_latex(obj, obj.notation)
        if obj.level == "document":
            return engine.problems_fragment(self, obj)
        return engine.fragment_of(self, obj)


class CompiledFormat(Format):
    """A PDF: the text of another format (``compiled_from``, a TeX format, by its name) compiled by pdflatex
    (derive.pdf) in ``passes`` runs at least."""

    compiled_from: ClassVar[str]
    passes: ClassVar[int] = 1
    binary = True

    def prepare(self) -> None:
        from .registry import FORMATS
        FORMATS[self.compiled_from].prepare()

    def render(self, doc, sheet: str = "solutions", *, templates=None, cache: bool = True) -> bytes:
        from .registry import FORMATS
        source = FORMATS[self.compiled_from].render(doc, sheet, templates=templates, cache=cache)
        return self.compile(source, templates, cache)

    def compile(self, source: str, templates=None, cache: bool = True) -> bytes:
        from ..pdf import compile_pdf
        from .engine import templates_origin
        return compile_pdf(source, self.passes, cache=cache, origin=templates_origin(templates) if cache else None)


class PooledFormat(Format):
    """A format whose one file holds a pool of variants (an LMS's question bank): ``piece(doc, variant)`` makes a
    variant's share (picklable, made where the variant was derived), ``join(title, name, pieces)`` the file from
    every variant's share in order. One key is a pool of one (``variant`` None)."""

    pooled = True
    sheets = ("solutions",)

    @abc.abstractmethod
    def piece(self, doc, variant: str | None) -> Any:
        """A variant's share of the file: its questions, made from its document."""

    @abc.abstractmethod
    def join(self, title: str, name: str, pieces: list) -> str | bytes:
        """The file of a pool: the spec's title and file name, each variant's piece."""

    def render(self, doc, sheet: str = "solutions", *, templates=None, cache: bool = True) -> str | bytes:
        return self.join(doc.title, doc.name, [self.piece(doc, None)])


__all__ = ["Format", "TemplatedFormat", "TexFormat", "CompiledFormat", "PooledFormat"]
