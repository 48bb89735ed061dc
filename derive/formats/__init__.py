"""The output formats: each one small class (``Format``, see ``base``), found by name in ``FORMATS`` through the
entry-point group ``derive.formats`` (derive's own formats, ``builtin``, are entry points as a package's are).

Rendering a document in a format by its name (``render``, ``render_many``, ``snippets``, ``fragment``,
``figure_files``) is in ``rendering``, the templates' sandbox and errors in ``engine``, JSON in ``jsonkey``, and
each format's typesetter in ``latex_typesetter``, ``markdown`` and ``html`` (with ``latex`` and ``mathml``); the
template context is built in ``context``. Importing this package loads none of them (no SymPy, no Jinja): the
command line reads the formats' names and help from here, and the rest is imported on first use, as
``derive.formats.render``.
"""

from __future__ import annotations

import importlib
import importlib.util

from .base import CompiledFormat, PooledFormat, TemplatedFormat, TexFormat
from .format import SHEET_NAMES, Format, template_folders
from .registry import FORMATS, ENTRY_POINTS, PluginError, for_sheet, snippet_formats

_LAZY = {"to_json": "jsonkey", "dumps": "jsonkey", "answer_latex": "latex", "render": "rendering",
         "render_many": "rendering", "snippets": "rendering", "figure_files": "rendering", "fragment": "rendering"}


def __getattr__(name: str):
    """The renderers, imported on first use: ``render`` and the rest of ``rendering``, ``dumps``, the submodules,
    the templates' environment and errors (``engine``)."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)
    engine = importlib.import_module(".engine", __name__)
    try:
        return getattr(engine, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


__all__ = ["Format", "TemplatedFormat", "TexFormat", "CompiledFormat", "PooledFormat", "FORMATS", "ENTRY_POINTS",
           "PluginError", "SHEET_NAMES", "for_sheet", "snippet_formats", "template_folders", "render", "render_many",
           "snippets", "fragment", "figure_files", "to_json", "dumps"]
