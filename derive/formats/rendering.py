"""A document rendered in a format the user names: ``render``, ``render_many`` (the PDFs compiled while the other
formats render), ``snippets``, ``figure_files`` and ``fragment``. The format is found by its name in the registry
(derive.formats.registry) and renders itself (derive.formats.base); the templates' environment is
derive.formats.engine's.
"""

from __future__ import annotations

from ..errors import UsageError
from ..figures import without as without_figures
from .base import CompiledFormat
from .engine import environment, templates_origin
from .format import SHEET_NAMES, Format
from .registry import FORMATS, for_sheet, snippet_formats


def _format(fmt: str, sheet: str) -> Format:
    if sheet not in SHEET_NAMES:
        raise UsageError(f"no sheet {sheet!r}; the sheets are {', '.join(SHEET_NAMES)}")
    if fmt not in for_sheet(sheet):
        FORMATS.check_installed(fmt)
        raise UsageError(f"no format {fmt!r} for the {sheet}; the formats are {', '.join(for_sheet(sheet))}")
    return FORMATS[fmt]


def render(doc, fmt: str = "latex", *, sheet: str = "solutions", templates=None,
           cache: bool = True) -> str | bytes:
    """The document in a format: text for latex, json, markdown, html and beamer; the compiled PDF's
    bytes for pdf and beamer-pdf. ``sheet`` is 'solutions' (the answer key) or 'problems' (the
    questions alone); ``templates`` a folder (or folders) of templates in front of the built-in ones;
    ``cache`` False: the LaTeX preamble is not read from (or dumped into) the user's cache (derive.pdf).
    Templates are compiled in memory, never kept on disk."""
    form = _format(fmt, sheet)
    environment(templates)                                   # a missing templates folder fails first
    return form.render(doc, sheet, templates=templates, cache=cache)


def render_many(doc, names: list[str], *, sheet: str = "solutions", templates=None,
                cache: bool = True) -> list[str | bytes]:
    """Several formats of one document, each as ``render`` gives it: the PDFs are compiled at once (TeX in
    processes of its own) while the other formats render; a LaTeX text asked for and compiled is made once."""
    forms = [_format(name, sheet) for name in names]
    environment(templates)                                   # a missing templates folder fails first
    texts: dict[str, str | bytes] = {}

    def text(name: str):
        if name not in texts:
            texts[name] = render(doc, name, sheet=sheet, templates=templates, cache=cache)
        return texts[name]
    compiled = [form for form in forms if isinstance(form, CompiledFormat)]
    if not compiled:
        return [text(name) for name in names]
    from ..pdf import compile_all
    jobs = [(text(form.compiled_from), form.passes) for form in compiled]
    pdfs, _ = compile_all(jobs, lambda: [text(form.name) for form in forms if form not in compiled],
                          cache=cache, origin=templates_origin(templates) if cache else None)
    made = dict(zip((form.name for form in compiled), pdfs))
    return [made[name] if name in made else texts[name] for name in names]


def snippets(doc, fmt: str = "latex", *, templates=None) -> dict[str, str]:
    """Files for slides and pages, by the end of their names: one a question ('1a.i.tex'), one a
    problem ('1.tex'), and for LaTeX 'preamble.tex', the packages and macros they need. No preamble
    in the snippets themselves: they can be \\input in an article or inside a beamer frame."""
    if fmt not in snippet_formats():
        FORMATS.check_installed(fmt)
        raise UsageError(f"no snippet format {fmt!r}; the formats are {', '.join(snippet_formats())}")
    environment(templates)                                   # a missing templates folder fails first
    return FORMATS[fmt].snippets(doc, templates=templates)


def figure_files(doc, fmt: str = "markdown", *, sheet: str = "solutions") -> dict[str, str]:
    """The files a sheet links, written beside it, by their names after '<name>-': a Markdown sheet's SVG files
    ('1a.ii-fig1.svg'); none for a format that draws its figures inside its own file."""
    return _format(fmt, sheet).figure_files(doc, sheet)


def fragment(obj, fmt: str) -> str:
    """A piece of the document without a preamble, for notebooks: 'latex' (amsmath only, the article's
    layout) or 'markdown'. ``obj`` is a document, a problem, a part, a question or an answer (its
    ``level`` says which)."""
    return FORMATS[fmt].fragment(without_figures(obj))     # a notebook shows neither TikZ nor files beside it


__all__ = ["render", "render_many", "snippets", "figure_files", "fragment"]
