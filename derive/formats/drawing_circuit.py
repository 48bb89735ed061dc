"""A circuit laid out (a computational graph): nodes in columns by depth, wires between them, and each wire's
value above it and gradient below it placed where nothing else is.

Every label is measured (derive.formats.labels) before anything is placed: the columns are spread so that the
labels of the wires leaving a column fit between it and the next, the rows so that a wire's labels clear the
next row's. Each label then tries places along its wire, nearest the source first (where wires that meet at a
node are still apart), on its side of the wire and clear of it, then a little further off with a leader line to
its wire; a place is taken only when the label's box meets no node, no other label and no other wire, and lies
inside the figure. A label that finds no place is drawn as a key, (1), (2), ..., and written out in a table
under the circuit (as happens to the matrices on five wires converging on one node); the drawing says where that
table is (``parted``), for a slide to set it on a frame of its own when the two are too tall for one."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .drawing import Drawing, Path, Rect, Text, extent, finish

MARGIN = 0.1             # between a label and any other thing, cm
GAP = 0.06               # between a label and its own wire
PAD = 0.3                # around a node's label
NEAREST = 0.15           # a label is this much nearer its own wire than any other
SHOTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)      # places along a wire, as fractions of its length
LIFTS = (0.0, 0.3, 0.6)                          # further off, with a leader line


@dataclass(frozen=True)
class Wire:
    edge: object
    start: tuple[float, float]
    end: tuple[float, float]

    def y_at(self, x: float) -> float:
        (x1, y1), (x2, y2) = self.start, self.end
        return y1 if x2 == x1 else y1 + (y2 - y1) * (x - x1) / (x2 - x1)


def _overlap(a, b, margin: float = 0.0) -> bool:
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


def _point_segment(px: float, py: float, a, b) -> float:
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)))
    return ((px - x1 - t * dx) ** 2 + (py - y1 - t * dy) ** 2) ** 0.5


def _meets(box, a, b) -> bool:
    """Whether the segment ab meets the box (Liang-Barsky clipping)."""
    (x1, y1), (x2, y2) = a, b
    t0, t1 = 0.0, 1.0
    for p, q in ((x1 - x2, x1 - box[0]), (x2 - x1, box[2] - x1), (y1 - y2, y1 - box[1]), (y2 - y1, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        t0, t1 = (max(t0, r), t1) if p < 0 else (t0, min(t1, r))
        if t0 > t1:
            return False
    return True


def _distance(box, w: Wire) -> float:
    """The least distance from a box to a wire; 0 when the wire passes through it."""
    if _meets(box, w.start, w.end):
        return 0.0
    corners = [(box[0], box[1]), (box[0], box[3]), (box[2], box[1]), (box[2], box[3])]
    ends = [max(box[0] - x, 0.0, x - box[2]) ** 2 + max(box[1] - y, 0.0, y - box[3]) ** 2 for x, y in (w.start, w.end)]
    return min([_point_segment(x, y, w.start, w.end) for x, y in corners] + [e ** 0.5 for e in ends])


class Board:
    """What is placed so far: node boxes, label boxes, wires, and the figure's bounds."""

    def __init__(self, width: float, height: float, nodes: list, wires: list[Wire]):
        self.width, self.height, self.nodes, self.wires, self.labels = width, height, nodes, wires, []
        self.loose = 0                   # whether the last place taken meets another wire (or is nearer another)
        self.stranded = 0                # keys drawn where they may meet something: no place of their own

    def free(self, box, own: Wire, strict: bool) -> bool:
        """Whether a box is inside the figure and meets no node and no label; ``strict``: and no other wire, and
        its own wire is the nearest (a label reads as its wire's)."""
        if box[0] < 0.05 or box[1] < 0.05 or box[2] > self.width - 0.05 or box[3] > self.height - 0.05:
            return False
        if any(_overlap(box, other, MARGIN) for other in self.nodes + self.labels):
            return False
        if not strict:
            return True
        mine = _distance(box, own)
        return all(_distance(box, w) > mine + NEAREST for w in self.wires if w is not own)


def _candidates(w: Wire, size: tuple[float, float], side: int):
    """Boxes for a label of ``size`` (width, height) beside a wire, on its side (1: above, to the left going along
    it; -1: below), each just clear of the wire at a point along it, or further off; with that point (for a
    leader line) and whether the box is off (needs one)."""
    (x1, y1), (x2, y2) = w.start, w.end
    length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1e-9)
    nx, ny = -(y2 - y1) / length * side, (x2 - x1) / length * side         # the normal on the label's side
    width, height = size
    reach = (abs(nx) * width + abs(ny) * height) / 2                          # the box's half-depth along it
    for lift in LIFTS:
        for t in SHOTS:
            px, py = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            cx, cy = px + nx * (GAP + reach + lift), py + ny * (GAP + reach + lift)
            yield (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2), (px, py), lift > 0


def _box_gap(a, b) -> float:
    dx, dy = max(a[0] - b[2], b[0] - a[2], 0.0), max(a[1] - b[3], b[1] - a[3], 0.0)
    return (dx * dx + dy * dy) ** 0.5


def _room(board: Board, box, own: Wire) -> float:
    """How clear a place is: its distance to the nearest other wire, label or node (at most 0.6 cm counts)."""
    near = [_distance(box, w) for w in board.wires if w is not own]
    near += [_box_gap(box, other) for other in board.nodes + board.labels]
    return min(near + [0.6])


def place(board: Board, w: Wire, label, size: tuple[float, float], side: int, colour: str,
          loose: bool = False) -> list | None:
    """The label's text (and leader line) at the best free place beside its wire, or None: of the places that
    meet nothing and read as the wire's, the clearest, near the middle of the wire, without a leader when it
    can; failing those (when ``loose``), the first that meets no node and no label."""
    best, best_score = None, None
    for box, point, leader in _candidates(w, size, side):
        if board.free(box, w, True):
            t = _along(w, point)
            score = _room(board, box, w) - 0.5 * leader - 0.15 * abs(t - 0.4)
            if best_score is None or score > best_score:
                best, best_score = (box, point, leader), score
    board.loose = 0
    if best is None and loose:
        best = next(((b, p, lead) for b, p, lead in _candidates(w, size, side) if board.free(b, w, False)), None)
        board.loose = 1
    if best is None:
        return None
    box, point, leader = best
    board.labels.append(box)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    items = [Text(round(centre[0], 3), round(centre[1], 3), label, "center", colour, "tiny", halo=True)]
    if leader:
        items.insert(0, Path((point, _edge_point(box, point)), "derivegrey", "thin"))
    return items


def _along(w: Wire, point) -> float:
    (x1, _), (x2, _) = w.start, w.end
    return 0.5 if x2 == x1 else (point[0] - x1) / (x2 - x1)


def _edge_point(box, point) -> tuple[float, float]:
    """The point of a box's edge nearest a point outside it (where a leader line meets the label)."""
    return (round(min(max(point[0], box[0]), box[2]), 3), round(min(max(point[1], box[1]), box[3]), 3))


def _node_sizes(body, labels) -> dict[str, tuple[float, float]]:
    out = {}
    for n in body.nodes:
        w, h, d = labels.measure(n.label, "small")
        out[n.id] = (max(w, 0.6) + PAD, max(0.5, h + d + 0.2))
    return out


def _label_size(label, labels) -> tuple[float, float]:
    if label == "" or label is None:
        return (0.0, 0.0)
    w, h, d = labels.measure(label, "tiny")
    return (w + 0.08, h + d + 0.08)                  # with the white ground under it


def _columns(body, sizes, labels, width: float) -> tuple[list[float], list[float]]:
    """Each column's width and the gap after it: wide enough for the labels of the wires leaving it, the rest of
    the figure's width shared by how many labels each gap holds (each gap at least 0.8 cm)."""
    count = max([n.column for n in body.nodes] + [0]) + 1
    col = {n.id: n.column for n in body.nodes}
    col_w = [max([sizes[n.id][0] for n in body.nodes if n.column == c] + [0.9]) for c in range(count)]
    need, load = [0.8] * count, [1.0] * count
    for e in body.edges:
        if e.source in col and e.target in col:
            label_w = max(_label_size(e.above, labels)[0], _label_size(e.below, labels)[0])
            need[col[e.source]] = max(need[col[e.source]], label_w + 2 * MARGIN + 0.25)
            load[col[e.source]] += (e.above not in ("", None)) + (e.below not in ("", None))
    need, load = need[:-1], load[:-1]
    room = width - 0.2 - sum(col_w)
    if not need:
        return col_w, []
    if sum(need) > room:
        return col_w, [max(0.8, g * room / sum(need)) for g in need]
    extra = room - sum(need)
    return col_w, [g + extra * k / sum(load) for g, k in zip(need, load)]


def _row_step(body, sizes, labels, height: float) -> float:
    """The distance between rows: room for a wire's labels above and below it, within the figure's height (the
    rows never closer than their nodes and a little room between)."""
    rows = max([float(n.row) for n in body.nodes] + [0]) + 1
    node_h = max([h for _, h in sizes.values()] + [0.5])
    above = max([_label_size(e.above, labels)[1] for e in body.edges] + [0.0])
    below = max([_label_size(e.below, labels)[1] for e in body.edges] + [0.0])
    want = max(node_h + 0.4, above + below + 2 * GAP + MARGIN + 0.1, 1.8 if above + below > 0 else 0.0)
    return max(node_h + 0.4, min(max(want, (height - 0.6) / rows), 2.6, (height - 0.2) / rows))


def circuit(body, box, labels) -> Drawing:
    """Nodes in columns by depth, each box as wide as its own label; each wire's value above it and its gradient
    below it, placed where nothing else is (see the module's doc)."""
    return laid_out(body, box, labels)[0]


def laid_out(body, box, labels) -> tuple[Drawing, int]:
    """The circuit (``circuit``), and how many of its keys found no place of their own (0 when none may meet
    anything)."""
    W, H = box
    sizes = _node_sizes(body, labels)
    col_w, gaps = _columns(body, sizes, labels, W)
    lefts = [0.1 + sum(col_w[:c]) + sum(gaps[:c]) for c in range(len(col_w))]
    rows = max([float(n.row) for n in body.nodes] + [0]) + 1
    dy = _row_step(body, sizes, labels, H)
    height = rows * dy + 0.2
    where = {n.id: (lefts[n.column] + col_w[n.column] / 2, height - 0.1 - (float(n.row) + 0.5) * dy)
             for n in body.nodes}
    wires = [_wire(e, where, sizes) for e in body.edges if e.source in where and e.target in where]
    node_boxes = [(x - sizes[i][0] / 2, y - sizes[i][1] / 2, x + sizes[i][0] / 2, y + sizes[i][1] / 2)
                  for i, (x, y) in where.items()]
    width = lefts[-1] + col_w[-1] + 0.1
    board = Board(width, height, node_boxes, wires)
    items = [Path((w.start, w.end), "deriveink", "solid", True, meta=(("source", w.edge.source),
             ("target", w.edge.target), ("above", w.edge.above), ("below", w.edge.below))) for w in wires]
    for n in body.nodes:
        x, y = where[n.id]
        w, h = sizes[n.id]
        items.append(Rect(x - w / 2, y - h / 2, w, h, "white", "deriveink", data=(("node", n.id), ("label", n.label)),
                          rounded=True))
        items.append(Text(x, y, n.label, "center"))
    texts, keyed = _labels(board, wires, labels)
    items, height = _trimmed(items + texts, node_boxes + board.labels, height)
    table, depth = _table(keyed, labels, width)
    return _stacked(items, table, depth, width, height), board.stranded


def _trimmed(items: list, boxes: list, height: float) -> tuple[list, float]:
    """The circuit with the empty room under and over it cut off (0.1 cm kept)."""
    low, high = min(b[1] for b in boxes) - 0.1, max(b[3] for b in boxes) + 0.1
    low, high = max(low, 0.0), min(high, height)
    return [_up(it, -low) for it in items], high - low


def _wire(e, where, sizes) -> Wire:
    (x1, y1), (x2, y2) = where[e.source], where[e.target]
    start = (round(x1 + sizes[e.source][0] / 2, 3), round(y1, 3))
    return Wire(e, start, (round(x2 - sizes[e.target][0] / 2, 3), round(y2, 3)))


def _labels(board: Board, wires: list[Wire], labels) -> tuple[list, list]:
    """Every wire's labels placed, in the order that leaves the fewest without a place of their own (the largest
    first, or wire by wire); those with no place drawn as keys (1), (2), ... and returned as (key, label, colour)
    for the table."""
    jobs = [(w, lab, side, colour) for w in wires for lab, side, colour in
            ((w.edge.above, 1, "derivegreen"), (w.edge.below, -1, "derivered")) if lab != "" and lab is not None]
    by_size = sorted(jobs, key=lambda j: -_label_size(j[1], labels)[0] * _label_size(j[1], labels)[1])
    by_wire = sorted(jobs, key=lambda j: j[2] < 0)
    tries = []
    for order in (by_size, jobs, by_wire):
        trial = Board(board.width, board.height, board.nodes, board.wires)
        items, keyed, loose = _placed(trial, order, labels)
        tries.append(((trial.stranded, len(keyed), loose), items, keyed, trial))
    _, items, keyed, best = min(tries, key=lambda t: t[0])
    board.labels, board.stranded = best.labels, best.stranded
    return items, keyed


def _placed(board: Board, jobs: list, labels) -> tuple[list, list, int]:
    items, keyed, loose = [], [], 0
    for w, lab, side, colour in jobs:
        got = place(board, w, lab, _label_size(lab, labels), side, colour)
        if got is None:
            key = f"({len(keyed) + 1})"
            got = place(board, w, key, _label_size(key, labels), side, colour, loose=True)
            if got is None:                  # stranded: not even its key has a place of its own
                board.stranded += 1
                got = [Text(*_midpoint(w), key, "south" if side > 0 else "north", colour, "tiny", halo=True)]
            keyed.append((key, lab, colour))
        loose += board.loose
        items += got
    return items, keyed, loose


def _midpoint(w: Wire) -> tuple[float, float]:
    return ((w.start[0] + w.end[0]) / 2, (w.start[1] + w.end[1]) / 2)


def _table(keyed: list, labels, width: float) -> tuple[list, float]:
    """The labels that found no place on their wire, under the circuit: key, then the label, in order, as many to
    a line as the width holds (each as wide as itself, a line as high as its highest); placed below y = 0, and the
    table's depth."""
    if not keyed:
        return [], 0.0
    lines, x = [[]], 0.1
    for key, lab, colour in keyed:
        kw = labels.measure(key, "tiny")[0] + 0.15
        w, h, d = labels.measure(lab, "tiny")
        if lines[-1] and x + kw + w > width - 0.1:
            lines, x = lines + [[]], 0.1
        lines[-1].append((x, key, lab, colour, kw, h + d + 0.15))
        x += kw + w + 0.4
    out, top = [], 0.0
    for line in lines:
        high = max(e[5] for e in line)
        y = round(-(top + high / 2) - 0.15, 3)
        out += [t for x, key, lab, colour, kw, _ in line
                for t in (Text(x, y, key, "west", colour, "tiny"), Text(x + kw, y, lab, "west", colour, "tiny"))]
        top += high
    return out, top + 0.3


def _stacked(items: list, table: list, depth: float, width: float, height: float) -> Drawing:
    """The circuit above its table (the table's y below 0): everything moved up by the table's depth; the drawing
    says where the table is (its items after the circuit's, under y = its depth), for a slide to set it apart."""
    if not table:
        return finish(items, width, height)
    moved = [_up(it, depth) for it in items + table]
    return finish(moved, width, height + depth, (len(items), round(depth, 3)))


def parted(d: Drawing) -> tuple[Drawing, Drawing]:
    """A circuit drawn over its key table as two drawings, the circuit and the table, in the same coordinates."""
    k, _ = d.keys
    return (Drawing(d.width, d.height, d.items[:k], d.colours), Drawing(d.width, d.height, d.items[k:], d.colours))


def keys_caption(table: Drawing) -> str:
    """What a key table holds, as a caption of its own: 'The labels keyed (1) to (8) on the computational graph's
    wires: values in green, gradients in red.'"""
    keys = [t for t in table.items if isinstance(t, Text) and isinstance(t.label, str) and t.label.startswith("(")]
    which = "label keyed (1)" if len(keys) == 1 else f"labels keyed (1) to ({len(keys)})"
    shown = [what for colour, what in (("derivegreen", "values in green"), ("derivered", "gradients in red"))
             if any(t.colour == colour for t in keys)]
    return f"The {which} on the computational graph's wires" + (": " + ", ".join(shown) if shown else "") + "."


def _up(it, dy: float):
    if isinstance(it, Path):
        return replace(it, points=tuple((x, round(y + dy, 3)) for x, y in it.points))
    return replace(it, y=round(it.y + dy, 3))


def labelled_boxes(d: Drawing, labels) -> list[tuple]:
    """Every text's box in a drawing (for checks): (x0, y0, x1, y1)."""
    return [extent(t, labels) for t in d.items if isinstance(t, Text)]


__all__ = ["circuit", "laid_out", "parted", "keys_caption", "Board", "Wire", "place", "labelled_boxes", "MARGIN", "PAD"]
