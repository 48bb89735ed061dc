"""Rich display in Jupyter for the document model: each level renders itself, typeset.

Markdown with $-maths in the notebook (``_repr_markdown_``), LaTeX (amsmath only) in a LaTeX or PDF
export of the notebook (``_repr_latex_``). A display looks its format up by name in the registry of formats
(derive.formats.registry, which imports neither a renderer nor the model) when it happens: the model never
imports the renderers, and the renderers only read the model.
"""

from __future__ import annotations

from typing import ClassVar


class Displayed:
    """A level of the document (``level``: document, problem, part, question or answer) that displays itself."""

    level: ClassVar[str]

    def _repr_markdown_(self) -> str:
        return _fragment(self, "markdown")

    def _repr_latex_(self) -> str:
        return _fragment(self, "latex")


def _fragment(obj: Displayed, name: str) -> str:
    """The piece of the document in the format of that name, as derive.formats.fragment gives it."""
    from .figures import without
    from .formats.registry import FORMATS
    return FORMATS[name].fragment(without(obj))          # a notebook shows neither TikZ nor files beside it
