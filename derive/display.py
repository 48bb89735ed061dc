"""Rich display in Jupyter for the document model: each level renders itself, typeset.

Markdown with $-maths in the notebook (``_repr_markdown_``), LaTeX (amsmath only) in a LaTeX or PDF
export of the notebook (``_repr_latex_``). The renderers are imported only when a display happens, so
the model never depends on them.
"""

from __future__ import annotations

from typing import ClassVar


class Displayed:
    """A level of the document (``level``: document, problem, part, question or answer) that displays itself."""

    level: ClassVar[str]

    def _repr_markdown_(self) -> str:
        from .formats import fragment
        return fragment(self, "markdown")

    def _repr_latex_(self) -> str:
        from .formats import fragment
        return fragment(self, "latex")
