"""The four bodies laid out (derive.formats.drawing's primitives, in cm, y upwards): a plot's axes, ticks,
curves, marks and legend; a grid's cells; a row of boxes; a circuit's nodes and wires. ``layout`` lays out any
of them to fit a box."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .drawing_circuit import circuit, laid_out
from .drawing import (CHAR, LINE, ROLES, SERIES, WEIGHTS, Dot, Drawing, Path, Rect, Text, decade, extent, finish,
                      log_ticks, nice_ticks, number_tick, padded, text_width, thinned)

# --- plot ----------------------------------------------------------------------------------

LEFT, BOTTOM, TOP, RIGHT = 1.2, 0.95, 0.75, 0.4
UPRIGHT = 0.3            # between upright lines of small text, cm


@dataclass(frozen=True)
class Frame:
    """Where the plot area sits (cm) and the data range it shows (y as log10 on a log axis)."""
    x0: float
    y0: float
    w: float
    h: float
    xs: tuple[float, float]
    ys: tuple[float, float]
    log: bool

    def at(self, x: float, y: float) -> tuple[float, float]:
        px, py = self.exact(x, y)
        return round(px, 3), round(py, 3)

    def exact(self, x: float, y: float) -> tuple[float, float]:
        """Where (x, y) is drawn, in cm, unrounded."""
        y = math.log10(y) if self.log else y
        return (self.x0 + (x - self.xs[0]) / (self.xs[1] - self.xs[0]) * self.w,
                self.y0 + (y - self.ys[0]) / (self.ys[1] - self.ys[0]) * self.h)

    def across(self, x: float) -> float:
        """The horizontal position of x (a tick's: no y to take, which on a log axis far below 1e-308 has
        no float)."""
        return round(self.x0 + (x - self.xs[0]) / (self.xs[1] - self.xs[0]) * self.w, 3)


def _shown(y: float, log: bool) -> bool:
    return math.isfinite(y) and (y > 0 or not log)


def _ranges(body) -> tuple[tuple[float, float], tuple[float, float]]:
    pts = [p for s in body.series for p in s.points] + [(m.x, m.y) for m in body.marks]
    pts = [(float(x), float(y)) for x, y in pts if math.isfinite(float(x)) and _shown(float(y), body.log_y)]
    if not pts:
        pts = [(0.0, 1.0)]
    xs = [x for x, _ in pts]
    ys = [math.log10(y) if body.log_y else y for _, y in pts]
    if body.square:
        lo, hi = min(xs + ys), max(xs + ys)
        lo, hi = padded(lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05, False)
        return (lo, hi), (lo, hi)
    return padded(min(xs), max(xs), False), padded(min(ys), max(ys), body.log_y)


def _legend(body, labels, width: float) -> list[list]:
    """The legend's rows: each a list of (series index, label, width)."""
    rows, row, used = [], [], 0.0
    for k, s in enumerate(body.series):
        if s.label == "" or s.label is None:
            continue
        w = 0.9 + text_width(s.label, labels, "tiny") + 0.4
        if row and used + w > width:
            rows.append(row)
            row, used = [], 0.0
        row.append((k, s.label, w))
        used += w
    return rows + ([row] if row else [])


def plot(body, box, labels):
    W, H = box
    rows = _legend(body, labels, W - LEFT)
    heights = [max([LINE] + [_tall(label, labels) + 0.12 for _, label, _ in row]) for row in rows]
    legend_h = sum(heights) + (0.15 if rows else 0)
    xs, ys = _ranges(body)
    top = max(TOP, _tall(body.y_label, labels, "small") + 0.32)          # the y axis's name over the frame
    bottom = max(BOTTOM, _tall(body.x_label, labels, "small") + 0.55)    # the x axis's name under its ticks
    left = max([LEFT] + [text_width(t, labels, "tiny") + 0.2 for _, t in _y_ticks(ys, body.log_y)])
    if body.square:
        side = min(H - bottom - top - legend_h, W - left - RIGHT, 6.5)
        pw = ph = side
    else:
        pw, ph = W - left - RIGHT, min(H, 0.55 * W) - bottom - top - legend_h
    frame = Frame(left, bottom + legend_h, pw, ph, xs, ys, body.log_y)
    items = _axes(body, frame, labels)
    for k, s in enumerate(body.series):
        items += _series(s, frame, SERIES[k % len(SERIES)])
    items += _marks(body.marks, frame, labels, [t for t in items if isinstance(t, Text)])
    items += _legend_items(body, rows, heights, frame, legend_h)
    wide = max([left + sum(w for _, _, w in row) for row in rows] + [left + pw + RIGHT])
    return finish(items, wide, bottom + legend_h + ph + top)


def _y_ticks(ys: tuple[float, float], log: bool) -> list:
    """(value, label) of the y axis's ticks (exponents of 10 on a log axis)."""
    return [(y, decade(y)) for y in log_ticks(*ys)] if log else [(y, number_tick(y)) for y in nice_ticks(*ys)]


def _axes(body, f: Frame, labels) -> list:
    """The frame, its ticks and their labels (a y tick's label left out where it would meet an x tick's), and the
    axes' names."""
    x1, y1 = f.x0 + f.w, f.y0 + f.h
    marks = [Path(((f.x0, f.y0), (x1, f.y0), (x1, y1), (f.x0, y1), (f.x0, f.y0)), "deriveink", "frame")]
    texts = []
    for x in nice_ticks(*f.xs):
        px = f.across(x)
        marks.append(Path(((px, f.y0), (px, f.y0 + 0.1)), "deriveink", "frame"))
        texts.append(Text(px, f.y0 - 0.08, number_tick(x), "north", size="tiny"))
    below = [extent(t, labels) for t in texts]
    for y, label in _y_ticks(f.ys, f.log):
        py = round(f.y0 + (y - f.ys[0]) / (f.ys[1] - f.ys[0]) * f.h, 3)
        marks.append(Path(((f.x0, py), (f.x0 + 0.1, py)), "deriveink", "frame"))
        tick = Text(f.x0 - 0.08, py, label, "east", size="tiny")
        if not any(_meet(extent(tick, labels), b) for b in below):
            texts.append(tick)
    texts += [Text(f.x0 + f.w / 2, f.y0 - 0.5, body.x_label, "north"),
              Text(f.x0 - 0.3, f.y0 + f.h + 0.22, body.y_label, "south west")]
    return marks + texts


def _runs(points, log: bool) -> list[list]:
    """The series' points split where a point cannot be drawn (zero or below on a log axis)."""
    runs, run = [], []
    for x, y in points:
        if _shown(float(y), log) and math.isfinite(float(x)):
            run.append((float(x), float(y)))
        elif run:
            runs.append(run)
            run = []
    return runs + ([run] if run else [])


def _series(s, f: Frame, colour: str) -> list:
    items = []
    for run in _runs(s.points, f.log):
        if s.style == "points":
            items += [Dot(*f.at(x, y), colour, True, (x, y), s.label, 0.05) for x, y in run]
            continue
        style = {"line": "thick", "dashed": "dashed", "path": "thin"}.get(s.style, "thick")
        run = [run[k] for k in thinned([f.exact(x, y) for x, y in run])]      # the points print shows
        if len(run) == 1:
            items.append(Dot(*f.at(*run[0]), colour, True, run[0], s.label, 0.05))
        else:
            items.append(Path(tuple(f.at(x, y) for x, y in run), colour, style, s.style == "path",
                              tuple(run), s.label))
    return items


# Where a mark's label goes, tried in turn: (dx, dy, anchor) from the mark.
AROUND = ((0.12, -0.1, "north west"), (0.12, 0.1, "south west"), (-0.12, -0.1, "north east"),
          (-0.12, 0.1, "south east"), (0.0, 0.14, "south"), (0.0, -0.14, "north"))


def _marks(marks, f: Frame, labels, taken: list) -> list:
    """The marked points, each label beside its point where it meets no other label (the first of AROUND that
    is free; several points close together take turns)."""
    items, boxes = [], [extent(t, labels) for t in taken]
    for m in marks:
        x, y = float(m.x), float(m.y)
        if not _shown(y, f.log):
            continue
        px, py = f.at(x, y)
        items.append(Dot(px, py, "derivered", m.style != "open", (x, y), m.label, 0.09))
        if m.label == "" or m.label is None:
            continue
        tries = [Text(px + dx, py + dy, m.label, anchor, "derivered", "tiny", halo=True) for dx, dy, anchor in AROUND]
        text = next((t for t in tries if not any(_meet(extent(t, labels), b) for b in boxes)), None)
        if text is not None:
            boxes.append(extent(text, labels))
            items.append(text)
    return items


def _meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _legend_items(body, rows, heights, f: Frame, legend_h: float) -> list:
    items = []
    for r, row in enumerate(rows):
        y = legend_h - sum(heights[:r]) - heights[r] / 2
        x = f.x0
        for k, label, w in row:
            colour, s = SERIES[k % len(SERIES)], body.series[k]
            style = {"line": "thick", "dashed": "dashed", "path": "thin"}.get(s.style, "thick")
            if s.style == "points":
                items.append(Dot(x + 0.35, y, colour, True, None, "", 0.05))
            else:
                items.append(Path(((x, y), (x + 0.7, y)), colour, style))
            items.append(Text(x + 0.85, y, label, "west", size="tiny"))
            x += w
    return items


# --- grid ----------------------------------------------------------------------------------

def _weight(role: str) -> bool:
    """A filter weight's role: 'f3', 'f12' (2D: row 1, column 2), 'f1_10'."""
    return role.startswith("f") and role[1:].replace("_", "").isdigit()


def _palette(body) -> dict[str, str]:
    """A colour for each filter weight's role, in the order the legend (then the cells) names them."""
    roles = [r for r, _ in body.legend] + [c.role for c in body.cells]
    weights = [r for r in dict.fromkeys(roles) if _weight(r)]
    return {r: WEIGHTS[k % len(WEIGHTS)] for k, r in enumerate(weights)}


def _role_fill(role: str, palette: dict) -> str | None:
    if role in palette:
        return palette[role]
    return ROLES.get(role.removesuffix("-hatched"), "derivelight")


def grid(body, box, labels):
    W, H = box
    palette = _palette(body)
    left = max([text_width(lab, labels, "tiny") for lab in body.row_labels] + [0]) + (0.15 if body.row_labels else 0)
    rows = _flow([(role, meaning, 0.4 + text_width(meaning, labels, "tiny") + 0.35) for role, meaning in body.legend],
                 W - left)
    heights = [max([LINE] + [_tall(meaning, labels) + 0.12 for _, meaning, _ in row]) for row in rows]
    legend_h = sum(heights)
    overhang = max([_tall(lab, labels) / 2 for lab in body.row_labels] + [0]) if body.col_labels else 0.0
    top = max([_tall(lab, labels) + 0.1 + overhang for lab in body.col_labels] + [0])
    size = min(0.6, (W - left) / max(body.cols, 1), (H - legend_h - top - 0.1) / max(body.rows, 1))
    y_top = legend_h + 0.1 + body.rows * size
    items = [Rect(left, y_top - body.rows * size, body.cols * size, body.rows * size, None, "derivegrey")]
    for c, count in _runs_of_cells(body.cells):
        items += _cell(c, count, left + c.col * size, y_top - (c.row + 1) * size, size, palette, labels)
    items += _grid_lines(body, left, y_top, size)
    edge = _edge_labels(body, labels, left, y_top, size, max(0.0, overhang - size / 2))
    items += edge
    right = max([extent(t, labels)[2] for t in edge] + [0.0])
    y = legend_h
    for row, height in zip(rows, heights):
        x, y = left, y - height / 2
        for role, meaning, w in row:
            items += _cell_shape(role, x, y - 0.14, 0.28, 0.28, (), palette)
            items.append(Text(x + 0.4, y, meaning, "west", size="tiny"))
            x += w
        y -= height / 2
    legend_w = max([left + sum(w for *_, w in row) for row in rows] + [0])
    return finish(items, max(left + body.cols * size, legend_w, right + 0.02, 3.0), y_top + top)


def _tall(label, labels, size: str = "tiny") -> float:
    """A label's height and depth, cm."""
    _, h, d = labels.measure(label, size)
    return h + d


def _edge_labels(body, labels, left: float, y_top: float, size: float, lift: float = 0.0) -> list:
    """The row labels left of the grid and the column labels over it (raised by ``lift``, clear of the first row's
    label), every so many when they would touch."""
    rows = max([_tall(lab, labels) + 0.06 for lab in body.row_labels] + [0.34])
    cols = max([text_width(lab, labels, "tiny") + 0.1 for lab in body.col_labels] + [0.34])
    every_row, every_col = max(1, math.ceil(rows / size)), max(1, math.ceil(cols / size))
    items = [Text(left - 0.1, y_top - (r + 0.5) * size, lab, "east", size="tiny")
             for r, lab in enumerate(body.row_labels) if r % every_row == 0]
    return items + [Text(left + (k + 0.5) * size, y_top + 0.05 + lift, lab, "south", size="tiny")
                    for k, lab in enumerate(body.col_labels) if k % every_col == 0]


def _flow(entries: list, width: float) -> list[list]:
    """Entries (..., width) in rows no wider than ``width``."""
    rows, row, used = [], [], 0.0
    for entry in entries:
        if row and used + entry[-1] > width:
            rows.append(row)
            row, used = [], 0.0
        row.append(entry)
        used += entry[-1]
    return rows + ([row] if row else [])


def _grid_lines(body, left: float, y_top: float, size: float) -> list:
    if size < 0.12:
        return []
    bottom, right = y_top - body.rows * size, left + body.cols * size
    lines = [Path(((left + k * size, bottom), (left + k * size, y_top)), "derivegrey", "grid")
             for k in range(1, body.cols)]
    return lines + [Path(((left, y_top - k * size), (right, y_top - k * size)), "derivegrey", "grid")
                    for k in range(1, body.rows)]


def _cell_shape(role: str, x: float, y: float, w: float, h: float, data, palette: dict) -> list:
    return [Rect(x, y, w, h, _role_fill(role, palette), "derivegrey", role == "hole", data,
                 hatched=role.endswith("hatched"))]


def _runs_of_cells(cells) -> list[tuple]:
    """Cells as runs: neighbours in a row with the same role and no label drawn as one rectangle
    (a padding border of a large grid is a few rectangles, not hundreds). (first cell, count)."""
    runs: list[list] = []
    for c in sorted(cells, key=lambda c: (c.row, c.col)):
        last = runs[-1] if runs else None
        if (last and c.label == "" and last[0].label == "" and last[0].role == c.role and last[0].row == c.row
                and last[0].col + last[1] == c.col):
            last[1] += 1
        else:
            runs.append([c, 1])
    return [tuple(r) for r in runs]


def _cell(c, count: int, x: float, y: float, s: float, palette: dict, labels) -> list:
    """A cell (or a run of like cells): its shape, and its label inside it when the label fits."""
    data = (("row", c.row), ("col", c.col)) + ((("cols", count),) if count > 1 else ()) + (("role", c.role),)
    data += (("label", c.label),) if c.label != "" else ()
    items = _cell_shape(c.role, x, y, s * count, s, data, palette)
    w, h, d = labels.measure(c.label, "tiny") if c.label != "" else (0, 0, 0)
    if c.label != "" and w <= s - 0.03 and h + d <= s - 0.03:
        dark = c.role in palette or c.role == "negative"
        items.append(Text(x + s / 2, y + s / 2, c.label, "center", "white" if dark else "deriveink", "tiny"))
    return items


# --- boxes ---------------------------------------------------------------------------------

def boxes(body, box, labels):
    """Boxes in a row, sized by their numbers, the text under each; when the row is too crowded for the
    text to lie flat, each line of it stands upright in a column of its own (cut short with '…' past
    what the height allows). The row is sized to fit the width, so only the boxes shrink, never the text."""
    W, H = box
    n = max(len(body.boxes), 1)
    texts = [(b.title, *b.lines) for b in body.boxes]
    upright = sum(slots_text(texts, labels)) + 0.25 * (n - 1) > W
    gap = 0.1 if upright else 0.25
    if upright:
        longest = max(1, int((H - 1.0) / CHAR))
        texts = [tuple(_cut(t, longest) for t in lines) for lines in texts]
        slots = [UPRIGHT * len(lines) + 0.05 for lines in texts]
        base = min(max(slots_text(texts, labels)), H - 0.7) + 0.1
    else:
        slots = [min(s, W / n) for s in slots_text(texts, labels)]
        base = LINE * max(len(lines) for lines in texts) + 0.2
    raw = [float(b.width) for b in body.boxes]
    room = max(W - 0.2 - gap * (n - 1) - sum(slots) * 0.5, 0.3 * n)
    scale_w = min(2.5 / max(raw + [1e-9]), room / max(sum(raw), 1e-9))
    scale_h = min(max(H - base - 0.1, 0.5), 4.0) / max([float(b.height) for b in body.boxes] + [1e-9])
    items, x, top = [], 0.1, base
    for b, lines, slot in zip(body.boxes, texts, slots):
        w, h = max(float(b.width) * scale_w, 0.15), max(float(b.height) * scale_h, 0.15)
        width = max(w, slot)
        cx = x + width / 2
        items.append(Rect(cx - w / 2, base, w, h, "deriveshade", "deriveblue",
                          data=(("title", b.title), ("width", b.width), ("height", b.height))))
        items += _box_text(lines, cx, base, upright)
        x, top = x + width + gap, max(top, base + h)
    return finish(items, max(x, 1.0), top + 0.1)


def _cut(label, longest: int):
    """A text label cut to ``longest`` characters with '…' (maths is never long)."""
    return label[:longest - 1] + "…" if isinstance(label, str) and len(label) > longest else label


def slots_text(texts, labels) -> list[float]:
    """Each box's longest line, in cm (the depth of upright text)."""
    return [max(text_width(t, labels, "tiny") for t in lines) + 0.3 for lines in texts]


def _box_text(lines, cx: float, base: float, upright: bool) -> list:
    out = []
    for k, line in enumerate(lines):
        colour = "deriveink" if k == 0 else "derivegrey"
        if upright:
            x = cx + (k - (len(lines) - 1) / 2) * UPRIGHT
            out.append(Text(x, base - 0.1, line, "east", colour, "tiny", rotate=90))
        else:
            out.append(Text(cx, base - 0.08 - LINE * k, line, "north", colour, "tiny"))
    return out


# --- a body laid out, fitted to its box ---------------------------------------------------------

def layout(body, box: tuple[float, float], labels) -> Drawing:
    """A body laid out to fit a box (width, height) in cm; ``labels`` measures a label (derive.formats.labels)."""
    kind = type(body).__name__
    if kind == "Circuit":
        return _circuit_in(body, box, labels)
    draw = {"Plot": plot, "Grid": grid, "Boxes": boxes}[kind]
    drawn, room = draw(body, box, labels), box
    for _ in range(3):                        # too large: laid out again in less room (its labels keep their size)
        over = max(drawn.width / box[0], drawn.height / box[1])
        if over <= 1 + 1e-9:
            return drawn
        room = (room[0] / over, room[1] / over)
        drawn = draw(body, room, labels)
    return fit(drawn, box)


CLOSER = (0.0, -0.5, -1.0, -1.5, -2.5, 0.5, 1.0)       # heights tried for a circuit, cm from its box's


def _circuit_in(body, box: tuple[float, float], labels) -> Drawing:
    """A circuit within the box's height where it can be: laid out for the box's height, then with its rows
    closer (its labels' keys and their table under it count in its height), the first that fits with every key in
    a place of its own; failing that, the lowest with every key placed (a little taller than the box, which a
    slide's figure shrinks to take), or the circuit spread as its labels want. Never shrunk as a picture: a label
    shrunk with the geometry would meet its neighbours."""
    tries = []
    for dh in CLOSER:
        drawn, stranded = laid_out(body, (box[0], box[1] + dh), labels)
        if stranded == 0 and drawn.height <= box[1] + 0.05:
            return drawn
        tries.append((stranded, drawn.height, drawn))
    stranded, _, drawn = min(tries, key=lambda t: t[:2])
    return drawn if stranded == 0 else circuit(body, (box[0], 2 * box[1]), labels)


def fit(d: Drawing, box: tuple[float, float]) -> Drawing:
    """The drawing shrunk (its geometry, not its text) to fit the box, when it is larger: a long stack of
    layers or a deep circuit never runs off the page or the frame."""
    scale = min(box[0] / d.width if d.width > 0 else 1, box[1] / d.height if d.height > 0 else 1)
    if scale >= 1:
        return d
    r = lambda v: round(v * scale, 3)                 # noqa: E731
    items = []
    for it in d.items:
        if isinstance(it, Path):
            items.append(replace(it, points=tuple((r(x), r(y)) for x, y in it.points)))
        elif isinstance(it, Rect):
            items.append(replace(it, x=r(it.x), y=r(it.y), w=r(it.w), h=r(it.h)))
        else:
            items.append(replace(it, x=r(it.x), y=r(it.y)))
    return Drawing(r(d.width), r(d.height), tuple(items), d.colours)


__all__ = ["layout", "fit", "plot", "grid", "boxes", "circuit", "CHAR"]
