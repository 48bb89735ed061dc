"""What each command does, as a library function: load the spec, solve it, render, write.

The CLI (derive.cli) is a thin wrapper over these; they return the paths written ('<stdout>' for -o -).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from . import document, formats, output, spec as specs
from .errors import UsageError, did_you_mean
from .kinds import KINDS

OUT = "out"


def ids(only: str | Iterable[str] | None) -> list[str] | None:
    """Question ids from '1a.ii,2d' (or a list of them); None keeps every question."""
    if only is None:
        return None
    items = only.split(",") if isinstance(only, str) else list(only)
    return [s.strip() for s in items if s.strip()] or None


def _sheet(sheet: str, spec, fmt: str, out: str | None, only, templates) -> list[str]:
    if fmt not in formats.SHEETS[sheet]:
        raise UsageError(f"no format {fmt!r} for the {sheet}; the formats are {', '.join(formats.SHEETS[sheet])}")
    if out == "-" and formats.FORMATS[fmt].binary:
        raise UsageError("a PDF cannot be written to standard output; give a file with -o PATH")
    formats.environment(templates)                                   # a missing --templates folder fails first
    problem_set = specs.load(spec)
    doc = document.solve(problem_set, ids(only))
    data = formats.render(doc, fmt, sheet=sheet, templates=templates)
    path = out or os.path.join(OUT, f"{problem_set.name}-{sheet}{formats.FORMATS[fmt].suffix}")
    return [output.write(path, data)]


def solutions(spec=None, fmt: str = "latex", out: str | None = None, only=None, templates=None) -> list[str]:
    """Write the answer key of a spec (default: the bundled HW5 set) in a format, to
    out/<spec-name>-solutions.<ext> unless ``out`` is given ('-' for standard output)."""
    return _sheet("solutions", spec, fmt, out, only, templates)


def problems(spec=None, fmt: str = "latex", out: str | None = None, only=None, templates=None) -> list[str]:
    """Write the problem sheet of a spec, the questions alone, to out/<spec-name>-problems.<ext>
    unless ``out`` is given."""
    return _sheet("problems", spec, fmt, out, only, templates)


def snippets(spec=None, fmt: str = "latex", out: str | None = None, only=None, templates=None) -> list[str]:
    """Write one file a question and one a problem (and for LaTeX <spec-name>-preamble.tex) into the
    folder ``out`` (default out/snippets); returns the files written, in order."""
    if fmt not in formats.snippet_formats():
        raise UsageError(f"no snippet format {fmt!r}; the formats are {', '.join(formats.snippet_formats())}")
    if out == "-":
        raise UsageError("snippets are several files; give a folder with -o DIR")
    folder = Path(out or os.path.join(OUT, "snippets"))
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: not a folder")
    formats.environment(templates)
    problem_set = specs.load(spec)
    doc = document.solve(problem_set, ids(only))
    files = formats.snippets(doc, fmt, templates=templates)          # everything rendered before anything is written
    return [output.write(folder / f"{problem_set.name}-{tail}", text) for tail, text in files.items()]


def kinds() -> str:
    """Every installed kind: its name (and other names), what it answers, and its questions."""
    listed = KINDS.kinds()
    width = max(len(k.name) for k in listed) + 2
    lines = []
    for kind in listed:
        also = f" (also: {', '.join(kind.aliases)})" if kind.aliases else ""
        lines.append(f"{kind.name:<{width}}{kind.summary}{also}")
        for ask, line in kind.asks.items():
            lines.append(f"{'':<{width}}  {ask}: {line}")
    return "\n".join(lines) + "\n"


def example(name: str) -> str:
    """A commented spec of a kind that derives: the start of a new problem."""
    if name not in KINDS:
        raise UsageError(f"no kind {name!r}{did_you_mean(name, KINDS)}; the kinds are "
                         + ", ".join(k.name for k in KINDS.kinds()) + " (derive kinds lists them)")
    return KINDS[name].example()
