"""TeX started on a compiled format's document before it is derived (derive.pdf.Early): the document's beginning,
through its ``\\begin{document}`` line, is what the templates print for a document of the spec's title and date with
no problems yet, with figures drawn or without (the one whose format the cache has is taken, else the first);
pdflatex loads that preamble (its dumped format) while the questions are derived. A document that turns out to
begin otherwise (a user's template printing more) is compiled the usual way: a wrong guess costs time, never a
different PDF, and leaves nothing in the cache."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

from .base import CompiledFormat
from .registry import FORMATS


def lead(form: CompiledFormat, problem_set, sheet: str, templates=None, figures: bool = True) -> str | None:
    """The beginning of the document ``form`` will compile, through its ``\\begin{document}`` line, as guessed
    before the questions are derived; None when there is none to guess (no such line, a template failing)."""
    from . import context, engine
    from ..texformat import BEGIN
    tex = FORMATS[form.compiled_from]
    skeleton = SimpleNamespace(title=problem_set.title, due=problem_set.due, name=problem_set.name, problems=(),
                               generator=_generator())
    try:
        ctx = context.document(skeleton, tex.typesetter(), sheet)
        ctx["figures"] = figures and problem_set.figures
        text = engine.render_template(tex, tex.template(sheet), ctx, templates)
    except Exception:                                        # a user's template that wants problems: no guess
        return None
    match = BEGIN.search(text)
    end = text.find("\n", match.end()) if match else -1
    return text[:end + 1] if end >= 0 else None


def _generator() -> tuple[str, str]:
    from .. import __version__
    return ("derive", __version__)


@contextlib.contextmanager
def running(problem_set, names: list[str], sheet: str, templates=None, cache: bool = True, figures: bool = True):
    """While open, TeX runs on the compiled formats among ``names``, started now; those no document took are
    ended on leaving. Nothing when no format is compiled."""
    if not any(isinstance(FORMATS[name], CompiledFormat) for name in names):
        yield
        return
    from ..pdf import early_runs
    with early_runs():
        start(problem_set, names, sheet, templates, cache, figures)
        yield


def start(problem_set, names: list[str], sheet: str, templates=None, cache: bool = True,
          figures: bool = True) -> None:
    """Start TeX early on each compiled format among ``names`` (inside derive.pdf.early_runs)."""
    from ..pdf import start_early
    from .engine import templates_origin
    for name in dict.fromkeys(names):
        form = FORMATS[name]
        if isinstance(form, CompiledFormat) and sheet in form.sheets:
            origin = templates_origin(templates) if cache else None
            if origin or not cache:                          # (templates of no origin: a format of each document's)
                guesses = [lead(form, problem_set, sheet, templates, drawn) for drawn in (figures, False)]
                start_early([g for g in dict.fromkeys(guesses) if g is not None], form.passes, cache, origin)
