"""Figures as data: what a derivation draws, every number taken from the derivation itself.

A kind's ``solve`` attaches figures to a question (``Solution.figures``); the formats draw them (TikZ and
pgfplots in LaTeX, inline SVG in HTML, an SVG file beside Markdown, the data itself in JSON). Nothing
here knows how it is drawn. Four bodies cover the board drawings of the course:

- ``Plot``: curves and points on axes (a gradient norm against t on a log axis, a cobweb diagram, a
  trajectory in the plane), with marked points (fixed points, stable or not);
- ``Grid``: a rows × columns board of cells, each in a role (a filter weight's colour, shaded, hatched
  padding, a hole of a dilated field) with an optional label (an input grid, the matrix F, a mask);
- ``Boxes``: a row of boxes sized by their numbers (a layer diagram);
- ``Circuit``: a computational graph, nodes in columns by depth, forward values above each edge and
  gradients below.

Labels are strings or SymPy expressions (printed as maths); coordinates and sizes are numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Union

import sympy

Label = Union[str, sympy.Basic]


@dataclass(frozen=True)
class Series:
    """A curve or a set of points: ``style`` is "line", "dashed", "points" or "path" (a cobweb's
    staircase: the points joined in order, drawn thinner)."""

    label: Label
    points: tuple[tuple[float, float], ...]
    style: str = "line"


@dataclass(frozen=True)
class Mark:
    """One point drawn and labelled: ``style`` "filled" (a stable fixed point, say) or "open"."""

    x: float
    y: float
    label: Label = ""
    style: str = "filled"


@dataclass(frozen=True)
class Plot:
    x_label: Label
    y_label: Label
    series: tuple[Series, ...]
    marks: tuple[Mark, ...] = ()
    log_y: bool = False
    square: bool = False        # equal units on both axes (a cobweb, a trajectory in the plane)


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: its role names its colour or pattern ("f3" a filter weight's colour,
    "shaded", "hatched", "hole", "positive", "zero"); cells not listed are blank."""

    row: int
    col: int
    role: str
    label: Label = ""


@dataclass(frozen=True)
class Grid:
    rows: int
    cols: int
    cells: tuple[Cell, ...]
    legend: tuple[tuple[str, Label], ...] = ()     # (role, what it means), in the order shown
    row_labels: tuple[Label, ...] = ()
    col_labels: tuple[Label, ...] = ()


@dataclass(frozen=True)
class Box:
    """A box sized by ``width`` and ``height`` (numbers in the figure's own units), with lines of text."""

    title: Label
    width: float
    height: float
    lines: tuple[Label, ...] = ()


@dataclass(frozen=True)
class Boxes:
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class Node:
    id: str
    label: Label
    column: int         # depth: inputs in column 0, the output in the last
    row: float          # place within the column, top first


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    above: Label = ""   # the forward value on the wire
    below: Label = ""   # the gradient flowing back along it


@dataclass(frozen=True)
class Circuit:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


Body = Union[Plot, Grid, Boxes, Circuit]


@dataclass(frozen=True)
class Figure:
    """A figure of a question: its caption (a sentence), its body, and what the problem sheet may show
    of it: ``sheet`` is a body that gives nothing away (the empty grid, the layers without their shapes)
    or None when the sheet shows none of it."""

    caption: str
    body: Body
    sheet: Body | None = None
    sheet_caption: str | None = None     # the caption under ``sheet`` on the problem sheet (None: ``caption``)

    @property
    def kind(self) -> str:
        return type(self.body).__name__.lower()


class Later(Sequence):
    """A question's figures, drawn the first time anything reads them: ``Later(draw, *args)`` stands for the tuple
    ``draw(*args)``. A derivation whose figures no one shows (``--no-figures``, ``figures = false``, a question's
    answer read from Python) never draws them. Pickled (a worker's
    result, a cache entry) it is the tuple itself, drawn then; equal to the tuple it stands for. ``sheetless``: none
    of the figures shows anything on the problem sheet (``Figure.sheet`` None), so a sheet need not draw them."""

    __slots__ = ("_draw", "_args", "_drawn", "sheetless")

    def __init__(self, draw: Callable[..., tuple], *args, sheetless: bool = False):
        self._draw, self._args, self._drawn, self.sheetless = draw, args, None, sheetless

    def drawn(self) -> tuple:
        """The figures, drawn now if they were not (with SymPy evaluating, whatever the caller's setting)."""
        if self._drawn is None:
            from sympy.core.parameters import evaluate, global_parameters
            if global_parameters.evaluate:
                self._drawn = tuple(self._draw(*self._args))
            else:
                with evaluate(True):
                    self._drawn = tuple(self._draw(*self._args))
            self._draw = self._args = None
        return self._drawn

    def __getitem__(self, index):
        return self.drawn()[index]

    def __len__(self) -> int:
        return len(self.drawn())

    def __iter__(self):
        return iter(self.drawn())

    def __eq__(self, other) -> bool:
        return self.drawn() == (other.drawn() if isinstance(other, Later) else other)

    def __hash__(self) -> int:
        return hash(self.drawn())

    def __reduce__(self):
        return tuple, (self.drawn(),)

    def __repr__(self) -> str:
        return repr(self.drawn()) if self._drawn is not None else f"Later({getattr(self._draw, '__name__', '?')})"


def on_sheet(figures) -> Sequence:
    """The figures a problem sheet looks at (for their ``sheet`` bodies): none, undrawn, when they are sheetless."""
    return () if getattr(figures, "sheetless", False) else figures


def without(obj):
    """A document (or a problem, part or question of one) with every question's figures left out: what
    --no-figures renders. Works on the model's shape (problems, parts, questions), not its classes."""
    from dataclasses import replace
    if hasattr(obj, "figures") and hasattr(obj, "answer"):
        return obj if isinstance(obj.figures, tuple) and not obj.figures else replace(obj, figures=())
    if hasattr(obj, "questions") and hasattr(obj, "letter"):
        return replace(obj, questions=tuple(without(q) for q in obj.questions))
    if hasattr(obj, "parts"):
        return replace(obj, parts=tuple(without(p) for p in obj.parts))
    if hasattr(obj, "problems"):
        return replace(obj, problems=tuple(without(p) for p in obj.problems))
    return obj
