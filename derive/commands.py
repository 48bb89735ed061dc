"""What each command does, as a library function: load the spec, solve it, render, write.

The CLI (derive.cli) is a thin wrapper over these; they return the paths written ('<stdout>' for -o -).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterable

from . import document, output, parallel, process, spec as specs
from .formats import FORMATS, for_sheet, latex_early, snippet_formats, template_folders
from .errors import Unanswered, UsageError, did_you_mean
from .figures import without as without_figures
from .kinds import KINDS

OUT = "out"


def ids(only: str | Iterable[str] | None) -> list[str] | None:
    """Question ids from '1a.ii,2d' (or a list of them); None keeps every question."""
    if only is None:
        return None
    items = only.split(",") if isinstance(only, str) else list(only)
    picked = [s.strip() for s in items if s.strip()]
    if not picked:
        raise UsageError("--only: no question ids given (for instance --only 1a.ii,2d)")
    return picked


def _output(out: str | None) -> str | None:
    if out is not None and not out.strip():
        raise UsageError("-o: an empty path (give a file, a folder or '-' for standard output)")
    return out


def format_names(fmt: str | Iterable[str], allowed: tuple[str, ...], what: str) -> list[str]:
    """The formats asked for: 'pdf,json,html' (or a list), each one of ``allowed``, none twice."""
    names = [f.strip() for f in (fmt.split(",") if isinstance(fmt, str) else fmt) if f.strip()]
    if not names:
        raise UsageError(f"--format: no format given; the formats are {', '.join(allowed)}")
    for name in names:
        if name not in allowed:
            FORMATS.check_installed(name)             # a package's format that did not load: says why
            raise UsageError(f"no format {name!r} for the {what}{did_you_mean(name, allowed)}; the formats are"
                             f" {', '.join(allowed)}")
    if len(set(names)) != len(names):
        raise UsageError(f"--format: a format is named twice ({','.join(names)})")
    return names


def _targets(names: list[str], out: str | None, stem: str) -> list[str]:
    """Where each format goes: out/<stem><suffix> by default; with several formats -o is a folder, and with
    one it is when it names one (an existing folder, or a path ending in '/')."""
    if out == "-" and (len(names) > 1 or FORMATS[names[0]].binary):
        raise UsageError(f"{names[0]} is binary: it cannot be written to standard output; give a file with -o PATH"
                         if len(names) == 1 else
                         "several formats cannot go to standard output; give a folder with -o DIR")
    folder_named = out is not None and out != "-" and (out.endswith(("/", os.sep)) or os.path.isdir(out))
    if len(names) > 1 or out is None or folder_named:
        folder = out or OUT
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise UsageError(f"-o {folder}: not a folder (several formats are written into a folder)")
        return [os.path.join(folder, f"{stem}{FORMATS[n].suffix}") for n in names]
    return [out]


def _loaded(spec, templates):
    """The spec loaded (a missing --templates folder fails first)."""
    template_folders(templates)
    problem_set = specs.load(spec)
    process.settle()
    return problem_set


def _solved(problem_set, only, templates, cache: bool, names: list[str]):
    """The document derived and checked (on every core: derive.parallel), and derive.formats with its Jinja
    environment made and the renderers of the formats ``names`` loaded, meanwhile."""
    def renderers():
        from . import formats
        formats.environment(templates)
        for name in names:
            FORMATS[name].prepare()
        return formats
    doc = document.solve(problem_set, ids(only), cache=cache, jobs=parallel.jobs(), meanwhile=renderers)
    if doc.refused and not doc.problems:
        raise Unanswered(doc.refused, [])
    return doc, renderers()


def _refusing(doc, written: list[str]) -> list[str]:
    """The paths written, or Unanswered (exit status 2) naming the questions over their budget."""
    if doc.refused:
        raise Unanswered(doc.refused, written)
    return written


def _figure_files(doc, sheet: str, name: str, path: str) -> dict[Path, str]:
    """The files a sheet links (a Markdown sheet's SVG files), beside it (none beside a device or a pipe)."""
    target = Path(path)
    if target.exists() and not target.is_file():
        return {}
    return {target.parent / f"{doc.name}-{tail}": data for tail, data in FORMATS[name].figure_files(doc, sheet).items()}


def _sheet(sheet: str, spec, fmt, out: str | None, only, templates, figures: bool = True,
           cache: bool = True) -> list[str]:
    """Derive and check once, render in every format asked for, then write each file (and the files a sheet
    links, such as a Markdown sheet's SVG files: left out, with a note, on standard output)."""
    out = _output(out)
    names = format_names(fmt, for_sheet(sheet), sheet)
    problem_set = _loaded(spec, templates)
    paths = _targets(names, out, f"{problem_set.name}-{sheet}")
    with latex_early.running(problem_set, names, sheet, templates, cache, figures):     # TeX loads meanwhile
        doc, formats = _solved(problem_set, only, templates, cache, names)
        if not figures:
            doc = without_figures(doc)
        if out == "-" and FORMATS[names[0]].figure_files(doc, sheet):
            doc = without_figures(doc)
            print(f"derive: note: {FORMATS[names[0]].stdout_note}", file=sys.stderr)
        rendered = formats.render_many(doc, names, sheet=sheet, templates=templates, cache=cache)
    extra = {} if out == "-" else {p: svg for name, path in zip(names, paths)
                                   for p, svg in _figure_files(doc, sheet, name, path).items()}
    written = [output.write(path, data) for path, data in zip(paths, rendered)]
    return _refusing(doc, written + [output.write(p, svg) for p, svg in extra.items()])


def solutions(spec=None, fmt: str = "latex", out: str | None = None, only=None, templates=None,
              figures: bool = True, cache: bool = True) -> list[str]:
    """Write the answer key of a spec (default: the bundled HW5 set) in a format (or several, 'pdf,json'),
    to out/<spec-name>-solutions.<ext> unless ``out`` is given ('-' for standard output; a folder for
    several formats); ``figures=False`` (--no-figures) leaves the figures out. Questions derived before come
    from the user's cache unless ``cache`` is False (derive.cache)."""
    return _sheet("solutions", spec, fmt, out, only, templates, figures, cache)


def problems(spec=None, fmt: str = "latex", out: str | None = None, only=None, templates=None,
             figures: bool = True, cache: bool = True) -> list[str]:
    """Write the problem sheet of a spec, the questions alone, to out/<spec-name>-problems.<ext>
    unless ``out`` is given."""
    return _sheet("problems", spec, fmt, out, only, templates, figures, cache)


def snippets(spec=None, fmt: str = "latex", out: str | None = None, only=None, templates=None,
             figures: bool = True, cache: bool = True) -> list[str]:
    """Write one file a question and one a problem (and for LaTeX <spec-name>-preamble.tex) into the
    folder ``out`` (default out/snippets); returns the files written, in order."""
    if fmt not in snippet_formats():
        FORMATS.check_installed(fmt)
        raise UsageError(f"no snippet format {fmt!r}; the formats are {', '.join(snippet_formats())}")
    if _output(out) == "-":
        raise UsageError("snippets are several files; give a folder with -o DIR")
    folder = Path(out or os.path.join(OUT, "snippets"))
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: not a folder")
    problem_set = _loaded(spec, templates)
    doc, formats = _solved(problem_set, only, templates, cache, [fmt])
    if not figures:
        doc = without_figures(doc)
    files = formats.snippets(doc, fmt, templates=templates)          # everything rendered before anything is written
    return _refusing(doc, [output.write(folder / f"{problem_set.name}-{tail}", text) for tail, text in files.items()])


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
    if KINDS.problems:
        lines += ["", "Not listed (a problem in an installed package):"] + [f"  {line}" for line in KINDS.problems]
    return "\n".join(lines) + "\n"


def example(name: str) -> str:
    """A commented spec of a kind that derives: the start of a new problem."""
    if name not in KINDS:
        raise UsageError(f"no kind {name!r}{did_you_mean(name, KINDS)}; the kinds are "
                         + ", ".join(k.name for k in KINDS.kinds()) + " (derive kinds lists them)")
    return KINDS[name].example()


def schema() -> str:
    """The JSON Schema of a spec (every installed kind's keys and questions), for TOML editors."""
    import json
    from .schema import spec_schema
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


def variants(spec=None, count: int | None = None, roster: str | None = None, fmt: str = "json",
             out: str | None = None, shard: str | None = None, templates=None, figures: bool = True,
             cache: bool = True, progress=None, scheduler: str | None = None) -> list[str]:
    """Write a variant of the spec for each student of a roster (a CSV file with an ``id`` column) or each of a
    pool of ``count`` variants, into the folder ``out`` (default out/variants): each variant's files in
    ``<id>/``, ``manifest.json`` and ``answers.csv`` (with ``shard`` 'i/N', the i-th of N slices and its own
    manifest and table, joined by ``merge_variants``). Returns the manifest's, the table's (and the book's)
    paths. ``progress(total)``: a context manager yielding a function told how many variants are done.
    ``scheduler``: a Dask scheduler's address (tcp://HOST:PORT): each variant derived there (the same files)."""
    from .variants import make, roster as rosters, run
    if spec is None:
        raise UsageError("derive variants needs a SPEC (a spec with [problem.vary] tables)")
    names = format_names(fmt, tuple(FORMATS), "variants")
    if _output(out) == "-":
        raise UsageError("variants are many files; give a folder with -o DIR")
    template_folders(templates)
    opts = run.Options(tuple(names), templates, figures, cache, _scheduler(scheduler))
    return make.generate(spec, count, roster, opts, out, rosters.shard(shard), progress)


def _scheduler(given: str | None) -> str | None:
    """The scheduler's address once it answers (before anything is drawn), or None."""
    if given is None:
        return None
    from .variants import cluster
    cluster.reachable(given)
    return given.strip()


def variants_only(spec, count, roster, shard, stress, scheduler=None) -> None:
    """--check and --merge take the folder alone (--check may take a --scheduler; --merge derives nothing)."""
    given = [name for name, value in (("SPEC", spec), ("--count", count), ("--roster", roster), ("--shard", shard),
                                      ("--stress", stress), ("--scheduler", scheduler)) if value is not None]
    if given:
        raise UsageError(f"--check and --merge read everything from the folder's manifest; leave out {', '.join(given)}")


def check_variants(folder: str, templates=None, cache: bool = True, progress=None,
                   scheduler: str | None = None) -> str:
    """Derive the variants of a folder's manifest again (on a Dask cluster with ``scheduler``) and compare every
    file byte for byte: a report when they match, VariantsDiffer (exit status 1) naming the files that do not."""
    from .variants import audit
    return audit.check(folder, templates, cache, progress, _scheduler(scheduler))


def merge_variants(folder: str, cache: bool = True) -> list[str]:
    """Join the manifests and answers tables of a folder's shards into manifest.json and answers.csv."""
    from .variants import audit
    return audit.merge(folder, cache)


STRESS_FORMATS = ("html", "pdf")


def stress_variants(spec, n: int, count=None, roster=None, progress=None, scheduler: str | None = None,
                    fmt: str | None = None, out: str | None = None) -> tuple[str, list[str]]:
    """Draw n variants and report the spread of each question's answers (a histogram each in the HTML and PDF
    reports, ``fmt`` 'html', 'pdf' or both, written as ``out``/<spec>-stress.html and .pdf), how often each
    way of deriving it occurs, and each require's acceptance: the text report and the paths written."""
    from .variants import report, stress
    if spec is None:
        raise UsageError("derive variants --stress N needs a SPEC")
    if count is not None or roster is not None:
        raise UsageError("--stress N draws N variants of its own: leave out --count and --roster")
    if scheduler is not None:
        raise UsageError("--stress derives its variants on this machine's cores: leave out --scheduler")
    names = [] if fmt is None else format_names(fmt, STRESS_FORMATS, "stress report")
    if _output(out) == "-":
        raise UsageError("--stress writes its text to standard output; give -o FILE or -o DIR for the reports")
    stats = stress.analyse(spec, n, progress)
    targets = _targets(names, out, f"{stats.name}-stress") if names else []
    made = {"html": lambda: report.to_html(stats), "pdf": lambda: report.to_pdf(stats)}
    data = [made[name]() for name in names]                       # everything made before anything is written
    return stress.text(stats), [output.write(path, blob) for path, blob in zip(targets, data)]


def grade(folder, responses, out: str | None = None, feedback: str | None = None) -> tuple[list[str], list[str]]:
    """Grade a responses CSV against the keys of a folder of derive variants: the paths written (the gradebook,
    and each student's feedback with ``feedback``) and the report's lines, the last a summary."""
    from . import grade as grading
    return grading.grade(folder, responses, _output(out), feedback)
