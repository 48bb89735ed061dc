"""What an output format is: derive.formatlist (outside this package, so that the command line lists the formats
without loading the renderers), under its old name."""

from ..formatlist import (BEAMER_LIMIT, FORMATS, SHEET_NAMES, SNIPPET_HELP, Format, for_sheet,  # noqa: F401
                          snippet_formats)

__all__ = ["Format", "FORMATS", "SHEET_NAMES", "for_sheet", "snippet_formats", "BEAMER_LIMIT", "SNIPPET_HELP"]
