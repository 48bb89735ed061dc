"""What an output format is (kept out of derive.formats, so that the command line lists the formats without
loading the renderers): one object with everything the renderer, the writer and the CLI need.

A ``Format`` names its file ending, its templates (folder, extension, delimiters, escaping), its
typesetter, whether it is compiled from another format (the PDFs), which sheets it serves and its
line of help. The CLI and derive.formats read ``FORMATS``; nothing else keeps a list of formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

SHEET_NAMES = ("solutions", "problems")
BEAMER_LIMIT = 56                     # characters to a row of a display on a slide (70 in the article)


def _latex(limit: int = 70):
    from .formats.latex import Typesetter
    return Typesetter(limit)


def _markdown():
    from .formats.markdown import Typesetter
    return Typesetter()


def _html():
    from .formats.html import Typesetter
    return Typesetter()


@dataclass(frozen=True)
class Format:
    """An output format (``derive solutions --format NAME``)."""

    name: str
    help: str                                  # one line, for --help
    suffix: str                                # the file's ending after '<spec>-<sheet>'
    folder: str | None = None                  # its templates' folder under templates/ (None: not templated)
    ext: str | None = None                     # its templates' extension: '<sheet>.<ext>.j2'
    typesetter: Callable | None = None         # makes the typesetter (prose escaped, maths printed)
    compiled_from: str | None = None           # the format whose output is compiled into this one (PDFs)
    passes: int = 1                            # pdflatex runs a compiled format needs (beamer: 2)
    sheets: tuple[str, ...] = SHEET_NAMES
    snippets: bool = False                     # whether `derive snippets` writes it
    snippet_typesetter: Callable | None = None  # the snippets' typesetter, when not the format's own

    @property
    def binary(self) -> bool:
        """Compiled formats are bytes (a PDF); the others text."""
        return self.compiled_from is not None

    @property
    def tex(self) -> bool:
        """TeX templates use the LaTeX-safe delimiters ((* *)), ((( ))), ((= =))."""
        return self.ext == "tex"

    @property
    def autoescape(self) -> bool:
        """HTML templates escape every value not already marked safe."""
        return self.ext == "html"

    def template(self, name: str) -> str:
        """The path of one of its templates, e.g. template('question') = 'latex/question.tex.j2'."""
        return f"{self.folder}/{name}.{self.ext}.j2"

    def snippet_template(self, name: str) -> str:
        return f"snippets/{name}.{self.ext}.j2"


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("latex", "LaTeX article", ".tex", "latex", "tex", _latex, snippets=True,
           snippet_typesetter=lambda: _latex(BEAMER_LIMIT)),
    Format("pdf", "the article compiled", ".pdf", compiled_from="latex"),
    Format("json", "answers for graders", ".json", sheets=("solutions",)),
    Format("markdown", "$-maths for Jupyter, MkDocs, GitHub", ".md", "markdown", "md", _markdown, snippets=True),
    Format("html", "one self-contained page, MathML", ".html", "html", "html", _html),
    Format("beamer", "slides, one frame a question", "-slides.tex", "beamer", "tex",
           lambda: _latex(BEAMER_LIMIT)),
    Format("beamer-pdf", "the slides compiled", "-slides.pdf", compiled_from="beamer", passes=2),
)}
SNIPPET_HELP = {"latex": "for beamer frames and articles", "markdown": "for notebooks and pages"}


def for_sheet(sheet: str) -> tuple[str, ...]:
    """The names of the formats a sheet ('solutions' or 'problems') can be written in."""
    return tuple(name for name, f in FORMATS.items() if sheet in f.sheets)


def snippet_formats() -> tuple[str, ...]:
    return tuple(name for name, f in FORMATS.items() if f.snippets)


SHEETS = {sheet: for_sheet(sheet) for sheet in SHEET_NAMES}


def template_folders(templates) -> list:
    """The --templates folders given (a path or several); a folder that is not there is a usage error."""
    from pathlib import Path
    from .errors import UsageError
    folders = [] if templates is None else [templates] if isinstance(templates, (str, Path)) else list(templates)
    for folder in folders:
        if not Path(folder).is_dir():
            raise UsageError(f"--templates {folder}: no such folder")
    return folders


__all__ = ["Format", "FORMATS", "SHEET_NAMES", "SHEETS", "for_sheet", "snippet_formats", "template_folders",
           "BEAMER_LIMIT", "SNIPPET_HELP"]
