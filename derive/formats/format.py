"""What every output format is (``Format``, the abstract class; see derive.formats.base for the kinds of format
derive builds on it), the sheets a format may serve, and the --templates folders a user gives.

This module is the lowest of derive.formats: it imports no renderer and no document model, so that the registry
(derive.formats.registry) and whatever looks a format up by its name can import it.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import ClassVar

from ..errors import UsageError

SHEET_NAMES = ("solutions", "problems")


class Format(abc.ABC):
    """An output format (``derive solutions --format NAME``)."""

    name: ClassVar[str]
    help: ClassVar[str] = ""
    suffix: ClassVar[str]
    sheets: ClassVar[tuple[str, ...]] = SHEET_NAMES
    binary: ClassVar[bool] = False
    pooled: ClassVar[bool] = False                 # a pool of variants in one file (PooledFormat)
    snippet_help: ClassVar[str | None] = None      # set: `derive snippets --format NAME` writes it
    listed: ClassVar[int] = 0                      # its place in lists of formats (then by name), in --help
    stdout_note: ClassVar[str] = ("figures are left out on standard output (each is a file written beside the"
                                  " sheet; give -o FILE to have them)")

    @abc.abstractmethod
    def render(self, doc, sheet: str = "solutions", *, templates=None, cache: bool = True) -> str | bytes:
        """The document's sheet in this format; ``templates``: the user's folders of templates (or None),
        ``cache``: whether the user's cache may be read and written (derive.cache)."""

    def prepare(self) -> None:
        """Load what rendering needs (the command line calls it while the questions are derived in other processes;
        nothing by default)."""

    def figure_files(self, doc, sheet: str = "solutions") -> dict[str, str]:
        """The files written beside the sheet, which it links, by their names after '<spec-name>-' (none)."""
        return {}

    def snippets(self, doc, *, templates=None) -> dict[str, str]:
        """Files for slides and pages by the ends of their names (formats with a ``snippet_help``)."""
        raise UsageError(f"the format {self.name!r} writes no snippets")

    def fragment(self, obj) -> str:
        """A level of the document (``obj.level``) without a preamble, as a notebook displays it."""
        raise UsageError(f"the format {self.name!r} displays no piece of a document")

    def __repr__(self) -> str:
        return f"<format {self.name}>"


def template_folders(templates) -> list:
    """The --templates folders given (a path or several); a folder that is not there is a usage error."""
    folders = [] if templates is None else [templates] if isinstance(templates, (str, Path)) else list(templates)
    for folder in folders:
        if not Path(folder).is_dir():
            raise UsageError(f"--templates {folder}: no such folder")
    return folders


__all__ = ["Format", "SHEET_NAMES", "template_folders"]
