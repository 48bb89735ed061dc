"""The command line: thin wrappers, one call of derive.commands each (which loads, solves, renders, writes)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time

import click
from click.core import ParameterSource

from . import __version__
from .errors import DeriveError, Unanswered, printable


class Failure(click.ClickException):
    """A DeriveError on its way out: its message, its exit status."""

    def __init__(self, error: DeriveError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        lines = self.format_message().split("\n")
        click.echo("derive: error: " + "\n".join(printable(line) for line in lines), err=True)


def reports_errors(command):
    """Turn DeriveErrors raised inside a command into clean exits with their status."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Unanswered as err:
            _echo(err.written)
            raise Failure(err) from None
        except DeriveError as err:
            raise Failure(err) from None
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="derive")
def cli():
    """Step-by-step, CAS-checked answer keys for deep-learning homework."""


def _spec(f):
    return click.argument("spec", required=False, type=click.Path(dir_okay=False))(f)


class FormatOption(click.Option):
    """--format: its help names the formats installed for the command (a sheet's, or the snippets'), each with its
    line, read from the formats' classes when the help is shown (a command that runs looks them up itself)."""

    def __init__(self, *args, sheet: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = sheet                    # None: the snippets' formats

    def get_help_record(self, ctx):
        from .formats import FORMATS, for_sheet, snippet_formats
        several = self.sheet is not None
        names = for_sheet(self.sheet) if several else snippet_formats()
        lines = [f"{n} ({FORMATS[n].help if several else FORMATS[n].snippet_help})" for n in names]
        more = " Several, comma-separated (pdf,json,html), are derived once and each written." if several else ""
        broken = f" Not available: {'; '.join(FORMATS.problems)}." if FORMATS.problems else ""
        self.metavar = "FORMAT[,FORMAT...]" if several else "|".join(names)
        self.help = "Output format: " + "; ".join(lines) + "." + more + broken
        return super().get_help_record(ctx)


def _format(sheet: str | None):
    return click.option("--format", "-f", "fmt", cls=FormatOption, sheet=sheet, default="latex", show_default=True)


def _common(output_help, metavar="PATH"):
    """The options every command takes: --output, --only, --templates, --no-cache, --no-figures."""
    def decorate(f):
        f = click.option("--no-figures", "no_figures", is_flag=True,
                         help="Leave the figures out (as figures = false in the spec does).")(f)
        f = click.option("--templates", metavar="DIR", type=click.Path(exists=True, file_okay=False),
                         help="A folder of templates put in front of the built-in ones (same names override; "
                              "the built-in ones stay reachable as builtin/<name>).")(f)
        f = click.option("--no-cache", "no_cache", is_flag=True,
                         help="Read and write nothing in the user's cache folder (~/.cache/derive): derive every "
                              "question again, compile PDFs without the dumped preamble (also DERIVE_NO_CACHE=1).")(f)
        f = click.option("--only", metavar="IDS", help="Comma-separated question ids to include, e.g. 1a.ii,2d.")(f)
        f = click.option("--output", "-o", "output", metavar=metavar, help=output_help)(f)
        return f
    return decorate


SHEET_OUTPUT = ("Where to write; '-' for standard output (not for pdf or beamer-pdf); a folder for several formats. "
                "Default: out/<spec-name>-{sheet}.<ext> under the current directory "
                "(-slides.tex and -slides.pdf for beamer and beamer-pdf).")


@cli.command()
@_spec
@_format("solutions")
@_common(SHEET_OUTPUT.format(sheet="solutions"))
@reports_errors
def solutions(spec, fmt, output, only, no_cache, templates, no_figures):
    """Write the answer key of SPEC (default: the bundled HW5 problem set).

    Every answer is derived step by step from the spec's values, and every
    equality shown is re-checked by the computer algebra system before
    anything is written. Each question is restated above its answer.
    """
    from . import commands
    _echo(commands.solutions(spec, fmt, output, only, templates, not no_figures, cache=not no_cache))


@cli.command()
@_spec
@_format("problems")
@_common(SHEET_OUTPUT.format(sheet="problems"))
@reports_errors
def problems(spec, fmt, output, only, no_cache, templates, no_figures):
    """Write the problem sheet of SPEC: the questions alone, as students receive them.

    The questions are restated from the same spec as the answer key, so a
    changed number changes the sheet and the key together.
    """
    from . import commands
    _echo(commands.problems(spec, fmt, output, only, templates, not no_figures, cache=not no_cache))


@cli.command()
@_spec
@_format(None)
@_common("The folder to write into. Default: out/snippets under the current directory.", metavar="DIR")
@reports_errors
def snippets(spec, fmt, output, only, no_cache, templates, no_figures):
    """Write one file a question and one a problem of SPEC, for slides and pages.

    Files are named <spec-name>-<id>.tex (1a.i, ...) and <spec-name>-<number>.tex;
    they have no preamble, and can be \\input in an article or inside a beamer
    frame. The packages and macros they need are in <spec-name>-preamble.tex.
    """
    from . import commands
    _echo(commands.snippets(spec, fmt, output, only, templates, not no_figures, cache=not no_cache))


@cli.command()
@reports_errors
def kinds():
    """List the problem kinds installed: each with what it answers and its questions (the 'ask' names).

    A course's own kinds, from installed packages, are listed too.
    """
    from . import commands
    click.echo(commands.kinds(), nl=False)


@cli.command()
@click.argument("kind")
@reports_errors
def example(kind):
    """Print a commented problem-set spec of KIND that derives: a start for a new problem.

    For instance: derive example network > mine.toml; derive solutions mine.toml
    """
    from . import commands
    click.echo(commands.example(kind), nl=False)


@cli.command()
@reports_errors
def schema():
    """Print the JSON Schema of a problem-set spec, for editors that check TOML as you type.

    Every installed kind's keys (their types, ranges, choices and defaults) and
    questions are in it. For instance: derive schema > derive.schema.json, then
    start a spec with the line  #:schema ./derive.schema.json  (Taplo, Even Better TOML).
    """
    from . import commands
    click.echo(commands.schema(), nl=False)


VARIANTS_FORMAT = ("Formats of each variant's files, comma-separated (json by default; every format of `derive "
                   "solutions` and `derive problems`: a format that serves both sheets writes both). With --stress: "
                   "html and/or pdf, the report with a histogram of each number.")


PROGRESS_DELAY = 2.0         # seconds a run goes on before its progress bar shows (a shorter one shows none)


class _LateBar:
    """click's progress bar on standard error (done/total, time left), shown once the run has gone on for
    PROGRESS_DELAY seconds: a run shorter than that prints nothing."""

    def __init__(self, total: int):
        self.total, self.started, self.bar = total, time.monotonic(), None

    def update(self, done: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_DELAY:
                return
            self.bar = click.progressbar(length=self.total, label="derive variants", file=sys.stderr, show_pos=True,
                                         show_eta=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@contextlib.contextmanager
def _progress(quiet: bool, total: int):
    """A progress bar on standard error when it is a terminal and the run takes longer than PROGRESS_DELAY
    seconds (``_LateBar``); silent otherwise, and with --quiet."""
    if quiet or total < 2 or not sys.stderr.isatty():
        yield None
        return
    bar = _LateBar(total)
    try:
        yield bar.update
    finally:
        bar.close()


@cli.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option("--count", type=int, metavar="K", help="A pool of K different variants, v001 ... vK (for an LMS).")
@click.option("--roster", metavar="FILE.csv", type=click.Path(dir_okay=False),
              help="One variant a student: a CSV file with an id column (name, email and other columns are kept).")
@click.option("--format", "-f", "fmt", default="json", show_default=True, metavar="FORMAT[,FORMAT...]",
              help=VARIANTS_FORMAT)
@click.option("--output", "-o", "output", metavar="DIR", help="The folder to write into (default out/variants).")
@click.option("--shard", metavar="i/N", help="Derive only the i-th of N slices of the students (a job array); "
                                              "then derive variants --merge DIR.")
@click.option("--check", "check", metavar="DIR", help="Derive the variants of DIR's manifest again and compare "
                                                       "every file, byte for byte.")
@click.option("--merge", "merge", metavar="DIR", help="Join the shards' manifests and answers in DIR.")
@click.option("--stress", type=int, metavar="N", help="Draw N variants, write no keys, and report the spread of "
                                                      "the answers, the ways each is derived and how often each "
                                                      "require passes (-f html,pdf: reports with histograms).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Derive each variant on this Dask cluster (the same "
                                                                "files; pip install 'derive-keys[dask]').")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--templates", metavar="DIR", type=click.Path(exists=True, file_okay=False),
              help="A folder of templates put in front of the built-in ones.")
@click.option("--no-cache", "no_cache", is_flag=True, help="Read and write nothing in the user's cache folder.")
@click.option("--no-figures", "no_figures", is_flag=True, help="Leave the figures out.")
@reports_errors
def variants(spec, count, roster, fmt, output, shard, check, merge, stress, scheduler, quiet, templates, no_cache,
             no_figures):
    """Write a variant of SPEC for every student of a roster, or a pool of variants.

    Each [problem.vary] table's fields are drawn per student (seeded by the
    salt, the student's id and the problem's number), every require is met,
    and each variant's key and sheet are derived and checked: DIR/<id>/...,
    with DIR/manifest.json (values drawn, seeds, key hashes) and DIR/answers.csv.
    """
    from . import commands
    progress = functools.partial(_progress, quiet)
    if check or merge:
        commands.variants_only(spec, count, roster, shard, stress, None if check else scheduler)
        if check:
            click.echo(commands.check_variants(check, templates, cache=not no_cache, progress=progress,
                                               scheduler=scheduler), nl=False)
        else:
            _echo(commands.merge_variants(merge, cache=not no_cache))
    elif stress is not None:
        given = click.get_current_context().get_parameter_source("fmt") is not ParameterSource.DEFAULT
        text, written = commands.stress_variants(spec, stress, count, roster, progress=progress, scheduler=scheduler,
                                                 fmt=fmt if given else None, out=output)
        click.echo(text, nl=False)
        _echo(written)
    else:
        _echo(commands.variants(spec, count, roster, fmt, output, shard, templates, not no_figures,
                                cache=not no_cache, progress=progress, scheduler=scheduler))


@cli.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--responses", metavar="FILE.csv", required=True, type=click.Path(dir_okay=False),
              help="What the students typed: columns id, question, response (or id and a column per question id).")
@click.option("--output", "-o", "output", metavar="FILE.csv",
              help="The gradebook (default DIR/grades.csv): a row per student, a score per question, the total.")
@click.option("--feedback", metavar="DIR2", type=click.Path(file_okay=False),
              help="Write each student a short file: per question right or not, the expected answer, their key.")
@reports_errors
def grade(folder, responses, output, feedback):
    """Grade what students typed against their own keys, DIR being a folder of derive variants.

    Responses are read as people type them (26x26x10, (26, 26, 10), [1, 0, -1],
    3/4, 1.5e-3, ≈ 0.2247; words such as units are ignored) and each number is
    right within the spec's tolerance. Unknown students or questions and
    unreadable or missing answers are listed; a summary line ends the report.
    """
    from . import commands
    written, lines = commands.grade(folder, responses, output, feedback)
    _echo(written)
    click.echo("\n".join(printable(line) for line in lines), err=output == "-")


def _echo(written: list[str]) -> None:
    """Print the paths written (nothing when the output went to standard output)."""
    for path in written:
        if path != "<stdout>":
            click.echo(path)


def main(argv=None, time_limit: float = 0) -> int:
    """Run the CLI and return its exit status: 0 ok, 2 bad usage or spec, 1 anything else, 130 interrupted.
    With a ``time_limit`` (seconds) a runaway ends in exit status 1 with one line."""
    from .limits import time_limit as limited
    try:
        with limited(time_limit, "the command"):
            cli.main(args=argv, prog_name="derive", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        command = e.ctx.command_path if e.ctx is not None else "derive"
        click.echo(f"derive: error: {printable(e.format_message())} (see '{command} --help')", err=True)
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("derive: interrupted", err=True)
        return 130
    except DeriveError as e:
        click.echo(f"derive: error: {printable(str(e))}", err=True)
        return e.exit_code
    except MemoryError:
        click.echo("derive: error: out of memory (derive's limit is 1 GiB); the spec asks for too much", err=True)
        return 1
    except RecursionError:
        click.echo("derive: error: a formula or a template nests too deeply", err=True)
        return 1
    except Exception as e:  # noqa: BLE001 - the one-line reason promised for unexpected failures
        if os.environ.get("DERIVE_DEBUG"):
            raise
        click.echo(f"derive: internal error: {type(e).__name__}: {printable(str(e))[:300]}", err=True)
        return 1
    return 0
