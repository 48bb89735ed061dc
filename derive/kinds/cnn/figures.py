"""The network kind's figures: the receptive field on the input grid, and the layer diagram.

Every number comes from the derivation's own analysis: the receptive field's extent from
``ReceptiveField`` (the r, j, c the question derives, or a dense layer's extents), the pixels inside it that
the unit is really connected to by following its taps back through the configured sizes (``seen``), the
layer diagram from the configured shapes (``Config.shapes``, the shapes the shapes question derives).

- receptive-field: the input grid (the image and the padding every layer adds, in input pixels) with the
  first output unit's field shaded: "shaded" the pixels it is connected to, "hole" the pixels inside its
  extent it is not (a dilation, a stride, a tap on a deeper layer's padding), "hatched" padding,
  "shaded-hatched" padding inside the field. A grid wider than MAX_GRID shows WINDOW rows (columns) from
  the padded input's start when the field and MARGIN more fit in them, else MAX_GRID, from the start or
  ending at the field's end (the caption says which); a field wider than that has no figure. The sheet:
  the same grid, padding hatched, no field.
- shapes: one box per layer (after the input's), its width growing with log2 of the channels (features),
  its height with log2 of the spatial size (length, or a vector's size), the shape as its line. A stack of
  more than MAX_BOXES layers is drawn a box per stage (see ``stages``). The sheet: the boxes, names only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy

from ...figures import Box, Boxes, Cell, Figure, Grid
from ...words import plural
from .field import ReceptiveField, _num
from .layers import Config
from .summary import KEEPERS, torch_name

MAX_GRID = 40            # rows or columns of the receptive-field grid
WINDOW = 20              # a large input's window, when the field and MARGIN more fit in it
MARGIN = 2
MAX_BOXES = 12           # boxes of the layer diagram


# --- the receptive field -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """Along one dimension: the field's first pixel and extent (input pixels, negative or past the end in
    the padding), the pixels it touches, and the rows (or columns) the grid shows."""

    start: int
    extent: int
    touched: frozenset
    first: int               # the grid's first row (or column), in input pixels
    count: int               # how many it shows


def _field_span(c: Config, rf: ReceptiveField, dim: int) -> tuple[int, int]:
    """The first unit's field along dim: its first pixel and its extent (the answer's)."""
    if rf.dense is not None:
        extent = rf.extents[dim]
        return (0, 0) if extent is None else (extent[0], extent[1] - extent[0] + 1)
    f = rf.seqs[dim][rf.upto]
    return int(f.start), f.r


def seen(c: Config, rf: ReceptiveField, dim: int) -> frozenset:
    """The input pixels the first unit (of a dense layer, every unit of the layer before it) is connected
    to along dim, followed back tap by tap through the layers' real sizes: a tap on padding, at any layer,
    leads nowhere. Called once the field is known to be at most MAX_GRID wide."""
    spatial = [(k, layer) for k, layer in enumerate(c.layers[:rf.upto]) if layer.spatial]
    if not spatial:
        return frozenset(range(c.input[dim]))
    used = set(range(c.shapes[spatial[-1][0] + 1][dim])) if rf.dense is not None else {0}
    for k, layer in reversed(spatial):
        n_in, s, d, pb = c.shapes[k][dim], layer.stride[dim], layer.dilation[dim], layer.padding[dim][0]
        taps = (i * s - pb + t * d for i in used for t in range(layer.kernel[dim]))
        used = {tap for tap in taps if 0 <= tap < n_in}
    return frozenset(used)


def padded(c: Config, rf: ReceptiveField, dim: int) -> tuple[int, int]:
    """The padding every layer up to the field's adds before and after, in input pixels (p·j, with the
    jump j the field question derives before that layer): what the grid shows around the input."""
    before = after = 0
    for k, layer in enumerate(c.layers[:rf.upto]):
        if layer.spatial:
            j = rf.seqs[dim][k].j
            before, after = before + layer.padding[dim][0] * j, after + layer.padding[dim][1] * j
    return before, after


def span(c: Config, rf: ReceptiveField, dim: int) -> Span | None:
    """What the grid shows along dim: the padded input; when that is larger than MAX_GRID, its first
    WINDOW rows (columns) if the field and MARGIN more fit in them, else its first MAX_GRID, else the
    MAX_GRID ending at the field's end (a dense layer's field far into the image); None when the field is
    wider than MAX_GRID. Only in that last case does the field's place decide the grid the sheet shows."""
    start, extent = _field_span(c, rf, dim)
    n, (pb, pa) = c.input[dim], padded(c, rf, dim)
    lo, hi = min(0, start, -pb), max(n - 1, start + extent - 1, n - 1 + pa)
    if hi - lo + 1 > MAX_GRID:
        if extent > MAX_GRID:
            return None
        end = start + extent - 1
        size = next(w for w in (WINDOW, MAX_GRID) if end + MARGIN < lo + w or w == MAX_GRID)
        lo = lo if end < lo + size else end - size + 1
        hi = lo + size - 1
    return Span(start, extent, seen(c, rf, dim), lo, hi - lo + 1)


def _role(rows: Span, cols: Span, i: int, j: int, n: tuple[int, int]) -> str | None:
    """The role of the cell at input pixel (i, j): in the field or not, in the padding or not."""
    padding = not (0 <= i < n[0] and 0 <= j < n[1])
    inside = rows.start <= i < rows.start + rows.extent and cols.start <= j < cols.start + cols.extent
    if not inside:
        return "hatched" if padding else None
    if padding:
        return "shaded-hatched"
    return "shaded" if i in rows.touched and j in cols.touched else "hole"


def field_grid(c: Config, rows: Span, cols: Span, empty: bool = False) -> Grid:
    """The grid of input pixels: the field (unless ``empty``) and the padding."""
    n, cells = c.input[:2], []
    for a in range(rows.count):
        for b in range(cols.count):
            i, j = rows.first + a, cols.first + b
            role = _role(rows, cols, i, j, n)
            if empty and role is not None:
                role = None if role in ("shaded", "hole") else "hatched"
            if role is not None:
                cells.append(Cell(a, b, role))
    used = {cell.role for cell in cells}
    legend = tuple((r, w) for r, w in LEGEND if r in used)
    return Grid(rows.count, cols.count, tuple(cells), legend,
                tuple(sympy.Integer(rows.first + a) for a in range(rows.count)),
                tuple(sympy.Integer(cols.first + b) for b in range(cols.count)))


LEGEND = (("shaded", "in the field"), ("hole", "inside the field's extent, not seen"),
          ("shaded-hatched", "padding inside the field"), ("hatched", "padding"))


def _window_words(c: Config, rows: Span, cols: Span) -> str:
    """'' when the grid shows the whole (padded) input, else which rows and columns it shows."""
    whole = all(s.first <= 0 and s.first + s.count >= c.input[d] for d, s in enumerate((rows, cols)))
    if whole:
        return ""
    return (f" The input is large: the grid shows rows {_num(rows.first)} to {_num(rows.first + rows.count - 1)}"
            f" and columns {_num(cols.first)} to {_num(cols.first + cols.count - 1)} only.")


def receptive_field_figures(c: Config, rf: ReceptiveField) -> tuple[Figure, ...]:
    """The input grid with the first unit's field (no figure when the field is wider than MAX_GRID)."""
    rows, cols = span(c, rf, 0), span(c, rf, 1)
    if rows is None or cols is None:
        return ()
    h, w = c.input[:2]
    body = field_grid(c, rows, cols)
    roles = {cell.role for cell in body.cells}
    what = (f"The {h} × {w} input, rows and columns numbered from 0, with the receptive field of the first unit"
            f" of layer {rf.target} shaded")
    if rows.extent and cols.extent:
        what += (f" (rows {_num(rows.start)} to {_num(rows.start + rows.extent - 1)}, columns {_num(cols.start)}"
                 f" to {_num(cols.start + cols.extent - 1)})")
    elif not roles & {"shaded", "shaded-hatched"}:
        what = (f"The {h} × {w} input, rows and columns numbered from 0: the first unit of layer {rf.target} depends"
                " on none of its pixels (every window falls in the padding or between the inputs), so none is shaded")
    extras = []
    if "hole" in roles:
        extras.append("pixels inside its extent that it is not connected to are left white")
    if roles & {"hatched", "shaded-hatched"}:
        extras.append("padding is hatched (rows and columns below 0 or past the input: every layer's padding, in"
                      " input pixels)")
    caption = what + ("; " + "; ".join(extras) if extras else "") + "." + _window_words(c, rows, cols)
    return (Figure(caption, body, field_grid(c, rows, cols, empty=True)),)


# --- the layer diagram -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """Layers first..last (0-based) drawn as one box: its title and the shape after the last."""

    first: int
    last: int
    title: str

    @property
    def numbers(self) -> str:
        return str(self.first + 1) if self.first == self.last else f"{self.first + 1}–{self.last + 1}"


def _spatial(shape: tuple) -> int:
    """The size a box's height shows: an image's height × width, a sequence's length, a vector's size."""
    return shape[0] * shape[1] if len(shape) == 3 else shape[0]


def _depth(shape: tuple) -> int:
    """The size a box's width shows: channels, features (1 for a vector)."""
    return shape[-1] if len(shape) > 1 else 1


def _stage(shape: tuple):
    """What the layers of one stage share: an image's height and width, a sequence's shape (None for a
    vector: vectors are not merged)."""
    return shape[:2] if len(shape) == 3 else shape if len(shape) == 2 else None


def _titled(c: Config, ks: list[int]) -> str:
    """'Conv2d', or for several layers 'Conv2d ×2, MaxPool2d' in order of first appearance."""
    names = [torch_name(c.layers[k], c.shapes[k]) for k in ks]
    counts = {n: names.count(n) for n in names}
    return ", ".join(n if counts[n] == 1 else f"{n} ×{counts[n]}" for n in counts)


def _merge(c: Config, groups: list[list[int]], same) -> list[list[int]]:
    out: list[list[int]] = []
    for g in groups:
        if out and same(out[-1], g):
            out[-1] = out[-1] + g
        else:
            out.append(list(g))
    return out


def stages(c: Config) -> tuple[list[Stage], str]:
    """The boxes: one per layer; for a long stack the layers that keep their input's shape join the box
    before them, then boxes whose outputs have an image's size (a sequence's shape) in common join (a stage); past
    MAX_BOXES, the first boxes are kept and the caption says so. Returns the stages and what was done."""
    groups = [[k] for k in range(len(c.layers))]
    how = ""
    if len(groups) > MAX_BOXES:
        keeps = lambda a, b: all(c.layers[k].type in KEEPERS and c.shapes[k] == c.shapes[k + 1] for k in b)
        groups = _merge(c, groups, keeps)
        how = " Layers that keep their input's shape share the box of the layer before them."
    if len(groups) > MAX_BOXES:
        alike = lambda a, b: _stage(c.shapes[a[-1] + 1]) == _stage(c.shapes[b[-1] + 1]) is not None
        groups = _merge(c, groups, alike)
        how = (" One box per stage: the layers up to each change of an image's size (a sequence's shape)"
               " share a box.")
    if len(groups) > MAX_BOXES:
        how += f" The first {MAX_BOXES - 1} boxes and the last are drawn."
        groups = groups[:MAX_BOXES - 1] + groups[-1:]
    return [Stage(g[0], g[-1], _titled(c, g)) for g in groups], how


def box(c: Config, shape: tuple, title: str, top: tuple[int, int], shapes: bool) -> Box:
    """A box for an output shape; ``top`` the largest spatial size and depth of the stack."""
    height = 0.5 + 3.5 * math.log2(1 + _spatial(shape)) / math.log2(1 + top[0])
    width = 0.3 + 0.25 * math.log2(_depth(shape))
    return Box(title, round(width, 3), round(height, 3), (c.show(shape),) if shapes else ())


def layer_boxes(c: Config, shapes: bool = True) -> tuple[Boxes, str]:
    """The diagram, input first, and the caption's words on how a long stack was condensed."""
    groups, how = stages(c)
    top = (max(_spatial(s) for s in c.shapes), max(_depth(s) for s in c.shapes))
    boxes = [box(c, c.input, "Input", top, shapes)]
    boxes += [box(c, c.shapes[g.last + 1], f"{g.numbers} {g.title}", top, shapes) for g in groups]
    return Boxes(tuple(boxes)), how


def shapes_figures(c: Config) -> tuple[Figure, ...]:
    body, how = layer_boxes(c)
    sheet, _ = layer_boxes(c, shapes=False)
    caption = (f"The network, {plural(len(c.layers), 'layer')}: a box per output shape, wider for more channels"
               " (features), taller for a larger image (sequence, vector), both on a log scale; each box is"
               " numbered by its layer." + how)
    return (Figure(caption, body, sheet),)
