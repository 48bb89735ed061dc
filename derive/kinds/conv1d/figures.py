"""The conv-matrix kind's figures: the matrix F as a grid, one colour per filter weight, and the ReLU mask.

Every number comes from the derivation: F's entries from the matrix the matrix question derives
(``Layout.F`` for HW5's 1D symbols, ``layer_matrix`` for the general layer), each placed by the same taps
that built it; the mask from the ``Slopes`` the derivative questions derive.

- matrix: F's nonzero entries (and a weight that is the number 0), each cell in the role of its filter
  weight ("f1", "f2", ... in 1D; "f11", "f12", ... by kernel row and column in 2D, "f10_3" when an index
  passes 9), labelled with the weight (a symbol or the spec's number); structural zeros are blank. Up to
  MAX_SIDE rows and columns the whole of F; a larger F is drawn by its first MAX_SIDE columns and its
  first rows (up to MAX_SIDE, none whose band starts past them: the band of the first outputs), and the
  caption says so. The sheet shows none of it: the empty grid would give away F's shape, which the
  question asks for.
- gradient (a kinked activation with signs): the slope of each output, column 0 in the role "positive"
  (z_r > 0) or "zero" (z_r < 0), labelled with the slope (1 or 0 for the ReLU), beside F's rows (columns
  2 on, column 1 left blank): the rows the mask keeps are the rows whose entries survive in the answer
  (and in input-gradient's diag(phi'(z)) F, which draws no second copy). No sheet: the mask is half the
  answer.
"""

from __future__ import annotations

from itertools import product

import sympy

from ...figures import Cell, Figure, Grid
from .config import Config
from .geometry import unflat
from .layer import Layer, weight_of
from .matrix import Layout
from .matrix import matrix as matrix_1d
from .names import RELU_PRIME, Z_R, dphi_at, f, x
from .slopes import Slopes

MAX_SIDE = 40            # rows or columns of F drawn


def role(index: tuple[int, ...]) -> str:
    """A weight's role from its 0-based kernel index: 'f3', 'f12' (row 1, column 2), 'f10_3'."""
    idx = [str(i + 1) for i in index]
    return "f" + ("_" if any(len(i) > 1 for i in idx) else "").join(idx)


def _clip(placed: list[tuple[int, int, str]], F: sympy.MatrixBase) -> tuple[list, int, int]:
    """The cells of F's first MAX_SIDE columns, and of its first rows up to MAX_SIDE, but no row after the
    last that has an entry in those columns (a strided band leaves the window)."""
    rows, cols = min(F.rows, MAX_SIDE), min(F.cols, MAX_SIDE)
    if F.cols > cols:
        rows = min(rows, 1 + max((r for r, c, _ in placed if c < cols), default=0))
    return [(r, c, w) for r, c, w in placed if r < rows and c < cols], rows, cols


def _grid(placed: list[tuple[int, int, str]], F: sympy.MatrixBase, legend: dict) -> tuple[Grid, str]:
    """F's cells (row, column, role) as a grid, bounded; the caption's words on what is shown."""
    kept, rows, cols = _clip(placed, F)
    cells = tuple(Cell(r, c, w, F[r, c]) for r, c, w in kept)
    shown = {w for _, _, w in kept}
    grid = Grid(rows, cols, cells, tuple((w, legend[w]) for w in legend if w in shown))
    if (rows, cols) == F.shape:
        return grid, f"The {F.rows} × {F.cols} matrix F"
    return grid, (f"The first {rows} rows and {cols} columns of the {F.rows} × {F.cols} matrix F (the band of"
                  " the first outputs)")


CAPTION = (": each cell holding a filter weight is in that weight's colour, labelled with it; the blank cells"
           " are zeros.")


def matrix_figures_1d(c: Config, lay: Layout) -> tuple[Figure, ...]:
    """HW5's 1D F: weight j of output r at the column the configuration places it (Config.column)."""
    placed = [(r, c.column(r, j), role((j,))) for r in range(c.outputs) for j in range(c.width)
              if c.column(r, j) is not None]
    grid, what = _grid(placed, lay.F, {role((j,)): f(j + 1) for j in range(c.width)})
    return (Figure(what + CAPTION, grid),)


def matrix_figures(layer: Layer, M: sympy.MatrixBase) -> tuple[Figure, ...]:
    """The general layer's matrix (F, or F transposed): each tap of each channel pair, as layer_matrix
    places it."""
    g = layer.g
    (c_in, c_out), m, n = g.channels, g.size(g.output), g.size(g.input)
    taps = g.taps()
    placed = [(co * m + row, ci * n + col, role(unflat(k, g.kernel)))
              for co, ci in product(range(c_out), range(c_in)) for row, col, k in taps]
    legend = {}
    for k in range(g.size(g.kernel)):
        w = role(unflat(k, g.kernel))
        legend[w] = (weight_of(layer, 0, 0, k) if layer.f is None and not g.channel_dims
                     else "weight " + w[1:].replace("_", ","))
    grid, what = _grid(placed, M, legend)
    name = "matrix of the transposed layer" if g.transposed else "matrix F"
    what = what.replace("matrix F", name)
    channels = " Each block is one pair of output and input channels." if g.channel_dims else ""
    return (Figure(what + CAPTION + channels, grid),)


# --- the mask ---------------------------------------------------------------------------------------

def mask_figures(c: Config, sl: Slopes) -> tuple[Figure, ...]:
    """The slope of each output (decided by the signs) beside F's rows; none for a smooth activation or
    an F larger than MAX_SIDE."""
    if not c.kinked or c.signs is None:
        return ()
    F = matrix_1d(c)
    if F.rows > MAX_SIDE or F.cols + 2 > MAX_SIDE:
        return ()
    cells = [Cell(r, 0, "positive" if s > 0 else "zero", sl.values[r]) for r, s in enumerate(c.signs)]
    cells += [Cell(r, col + 2, role((j,)), F[r, col]) for r in range(c.outputs) for j in range(c.width)
              for col in [c.column(r, j)] if col is not None]
    slope = RELU_PRIME(Z_R) if c.name == "relu" else dphi_at()
    below = sympy.LessThan(Z_R, 0) if 0 in c.signs else sympy.StrictLessThan(Z_R, 0)     # a z_r of 0 (numbers)
    legend = (("positive", sympy.StrictGreaterThan(Z_R, 0)), ("zero", below))
    grid = Grid(F.rows, F.cols + 2, tuple(cells), legend, row_labels=sl.zs,
                col_labels=(slope, "") + tuple(x(j + 1) for j in range(c.length)))
    what = "ReLU" if c.name == "relu" else "activation"
    caption = (f"The {what}'s slope at each output, from the signs of the arguments (coloured where the argument"
               " is positive), beside the rows of F: the derivative keeps the rows whose slope is not 0 and"
               " scales each row by its slope.")
    return (Figure(caption, grid),)
