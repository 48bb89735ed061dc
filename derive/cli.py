"""The command line: thin wrappers over derive.spec, derive.document, derive.formats and derive.pdf."""

from __future__ import annotations

import functools
import os
import sys

import click

from . import __version__
from .errors import DeriveError, UsageError

EXTENSIONS = {"latex": "tex", "pdf": "pdf", "json": "json"}


class Failure(click.ClickException):
    """A DeriveError on its way out: its message, its exit status."""

    def __init__(self, error: DeriveError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        click.echo(f"derive: error: {self.format_message()}", err=True)


def reports_errors(command):
    """Turn DeriveErrors raised inside a command into clean exits with their status."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DeriveError as err:
            raise Failure(err) from None
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="derive")
def cli():
    """Step-by-step, CAS-checked answer keys for deep-learning homework."""


@cli.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option("--format", "-f", "fmt", type=click.Choice(list(EXTENSIONS)), default="latex", show_default=True,
              help="Output format.")
@click.option("--output", "-o", "output", metavar="PATH",
              help="Where to write; '-' for standard output (not for pdf). "
                   "Default: out/<spec-name>-solutions.<ext> under the current directory.")
@click.option("--only", metavar="IDS", help="Comma-separated question ids to include, e.g. 1a.ii,2d.")
@reports_errors
def solutions(spec, fmt, output, only):
    """Write the answer key of SPEC (default: the bundled HW5 problem set).

    Every answer is derived step by step from the spec's values, and every
    equality shown is re-checked by the computer algebra system before
    anything is written.
    """
    from . import document, formats, output as out, spec as specs
    if output == "-" and fmt == "pdf":
        raise UsageError("a PDF cannot be written to standard output; give a file with -o PATH")
    problem_set = specs.load(spec)
    wanted = [s.strip() for s in only.split(",") if s.strip()] if only else None
    doc = document.solve(problem_set, wanted)
    if fmt == "pdf":
        from .pdf import compile_pdf
        data = compile_pdf(formats.render(doc, "latex"))
    else:
        data = formats.render(doc, fmt)
    path = output or os.path.join("out", f"{problem_set.name}-solutions.{EXTENSIONS[fmt]}")
    written = out.write(path, data)
    if written != "<stdout>":
        click.echo(written)


def main(argv=None) -> int:
    """Run the CLI and return its exit status: 0 ok, 2 bad usage or spec, 1 anything else."""
    try:
        cli.main(args=argv, prog_name="derive", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.Abort:
        click.echo("derive: aborted", err=True)
        return 1
    except Exception as e:  # noqa: BLE001 - the one-line reason promised for unexpected failures
        if os.environ.get("DERIVE_DEBUG"):
            raise
        click.echo(f"derive: internal error: {type(e).__name__}: {e}", err=True)
        return 1
    return 0


def run() -> None:
    """The console script: main(), then leave without the interpreter's teardown.

    Tearing down SymPy's caches at exit takes about as long as deriving the HW5 key;
    every file is already closed, so after flushing the standard streams it is skipped.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
