"""Displays laid out to fit a width, from the widths ``measure`` estimates: a chain of relations one row a link
when it does not fit on one; a side that is still too wide broken before a + or − of its top level, then between
the factors of a long product, then inside a wide pair of brackets (set as \\bigl( ... \\bigr) so that it may
open on one line and close on another). Continuation lines are indented; a left side too wide to align the
relations after it puts every row flush left, the relations indented under it.

Widths are in em of the maths font (10 pt at 10 pt). A row is a pair (left side, relation and right side), as the
templates set them: ``left &right`` in an aligned display.
"""

from __future__ import annotations

from dataclasses import dataclass

from .measure import BIN, CLOSE, INNER, OP, OPEN, ORD, PUNCT, REL, Box, measure, parse

SLACK = 1.06                         # the estimates run up to 6 % short of TeX's widths: room kept for that
INDENT = r"\quad "                   # before a continuation line
JOINT = r"\cdot "                    # starts a line that continues a product
DEEP = r"\qquad "                    # before a continuation of a link under a left side set flush left
TALL = 2.0                           # a factor taller than this (em) is built up: a product may break before it
FLUSH_LEFT = 0.45                    # a left side wider than this share of the room: rows flush left
SIZES = ((1.2, r"\bigl", r"\bigr"), (1.8, r"\Bigl", r"\Bigr"), (2.4, r"\biggl", r"\biggr"),
         (1e9, r"\Biggl", r"\Biggr"))


@dataclass(frozen=True)
class Room:
    """The room a display has: its width (em of the maths font), the rows a matrix may show (a slide's height
    holds fewer than a page's), whether it is a slide's, and the characters (a rough count of what the LaTeX
    prints) a chain may have to be set on one row even where it would fit: a long chain reads better one
    relation a row."""

    width: float
    rows: int
    slide: bool = False
    chars: int = 70
    tall: float = 1e9                # em: the rows an answer's box holds (a box cannot continue on the next page)
    line: float = 1e9                # em: the text block's own width, past which a display runs off the line

    def fits(self, tex: str, width: float | None = None) -> bool:
        return measure(tex).width * SLACK <= (self.width if width is None else width)


def wide(tex: str, width: float) -> bool:
    """Whether a formula is wider than ``width`` em (with the estimate's slack)."""
    return measure(tex).width * SLACK > width


def _binary(boxes: list[Box], k: int) -> bool:
    """Whether boxes[k] is a + or − between two operands (a place to break before)."""
    return k > 0 and boxes[k].cls == BIN and boxes[k - 1].cls not in (BIN, OP, REL, OPEN, PUNCT) \
        and k + 1 < len(boxes)


def _factor(boxes: list[Box], k: int) -> bool:
    """Whether boxes[k] is a bracketed or built-up factor right after another operand (a product's joint): a
    bracket, a wide factor or a tall one (a matrix shown in part, under its size)."""
    big = boxes[k].kids or boxes[k].cls == INNER or boxes[k].width > 3 or boxes[k].height + boxes[k].depth > TALL
    return k > 0 and big and boxes[k - 1].cls in (ORD, CLOSE, INNER) and boxes[k].cls in (ORD, INNER, OPEN)


def _cut(tex: str, boxes: list[Box], at: list[int], end: int) -> list[tuple[str, list[Box]]]:
    """The source cut before the boxes at ``at``: (text, its boxes) pieces."""
    edges = [0, *at, len(boxes)]
    out = []
    for a, b in zip(edges, edges[1:]):
        if a == b:
            continue
        stop = boxes[b].start if b < len(boxes) else end
        out.append((tex[boxes[a].start:stop].strip(), boxes[a:b]))
    return out


def _delimiters(box: Box) -> tuple[str, str]:
    """The \\bigl( \\bigr) pair that stands for a \\left( \\right) pair broken across lines, sized to its content."""
    tall = max(box.height - .25, box.depth + .25) * 2
    _, left, right = next(s for s in SIZES if tall <= s[0])
    opening, closing = box.fences
    return f"{left}{opening if opening != '.' else '.'}", f"{right}{closing if closing != '.' else '.'}"


Path = tuple                          # where a line starts: (term,), (term, OPEN_AT, *path inside the bracket), or
                                      # (term, FACTOR_AT, factor)
Line = tuple[str, Path]               # a line's LaTeX and where it starts
OPEN_AT, FACTOR_AT = "(", "*"


def _opened(tex: str, box: Box, width: float) -> list[Line] | None:
    """A wide \\left( ... \\right) factor broken inside: its content's pieces (with where each starts inside),
    the first opening the bracket and the last closing it; None when it has no place to break."""
    if not box.kids or box.fences is None or box.fences[0] == "." or box.fences[1] == ".":
        return None
    inner = _pieces(tex, box.kids, box.kids[-1].end, width)
    if len(inner) < 2:
        return None
    opening, closing = _delimiters(box)
    (first, at), *middle, (last, end) = inner
    return [(f"{opening} {first}", at), *middle, (f"{last} {closing}", end)]


def _openable(box: Box) -> bool:
    return bool(box.kids) and box.fences is not None and "." not in box.fences and terms_of(box.kids) > 1


def _term(tex: str, part: list[Box], width: float) -> list[Line]:
    """A term wider than ``width`` in pieces (each with where it starts inside the term): inside its widest
    bracket that holds a sum (the bracket opening on one line and closing on another), else between its factors
    (a line that starts with a factor starts with ``JOINT``, a multiplication dot)."""
    brackets = [k for k, box in enumerate(part) if _openable(box)]
    if brackets:
        k = max(brackets, key=lambda j: part[j].width)
        opened = _opened(tex, part[k], width)
        if opened:
            before, after = tex[part[0].start:part[k].start].strip(), tex[part[k].end:part[-1].end].strip()
            (first, _), *middle, (last, end) = opened
            pieces = [(f"{before} {first}".strip(), ()), *((t, (OPEN_AT, *at)) for t, at in middle),
                      (f"{last} {after}".strip(), (OPEN_AT, *end))]
            if not any(wide(p, width) for p, _ in pieces):
                return pieces
    factors = _cut(tex, part, [k for k in range(len(part)) if _factor(part, k)], part[-1].end)
    return [((JOINT if k else "") + piece, (FACTOR_AT, k) if k else ()) for k, (piece, _) in enumerate(factors)]


def _pieces(tex: str, boxes: list[Box], end: int, width: float) -> list[Line]:
    """A formula's pieces, each starting at a place to break: before its top-level + and −, and where a piece is
    still wider than ``width``, inside a bracket or between factors (``_term``). Each piece comes with where it
    starts (``Path``)."""
    out: list[Line] = []
    for term, (text, part) in enumerate(_cut(tex, boxes, [k for k in range(len(boxes)) if _binary(boxes, k)], end)):
        if not wide(text, width) or len(part) < 2 and not _openable(part[0]):
            out.append((text, (term,)))
            continue
        out.extend((piece, (term, *at)) for piece, at in _term(tex, part, width))
    return out


def terms_of(boxes: list[Box]) -> int:
    return 1 + sum(_binary(boxes, k) for k in range(len(boxes)))


def terms(tex: str) -> int:
    """The number of top-level terms of a formula (one more than its top-level binary + and −)."""
    return terms_of(parse(tex))


def continued(line: str, indent: str = INDENT) -> str:
    """A continuation line: a leading + or − kept binary ({}+), indented."""
    return indent + ("{}" + line if line[:1] in "+-" or line.startswith(JOINT) else line)


def breaks(tex: str, first: float, rest: float) -> list[Line]:
    """A formula broken into lines: the first at most ``first`` em wide, the others ``rest`` em (their indent
    not counted); as few lines as the places to break allow, each filled greedily. Each line comes with where
    it starts (``Path``: (2,) the third top-level term; (2, OPEN_AT, 1) the second term inside the bracket
    opened in the third)."""
    if not wide(tex, first):
        return [(tex, (0,))]
    out: list[Line] = []
    for piece, term in _pieces(tex, parse(tex), len(tex), min(first, rest)):
        joined = f"{out[-1][0]} {piece.removeprefix(JOINT)}" if out else piece
        if out and wide(joined, first if len(out) == 1 else rest):
            out.append((piece, term))
        elif out:
            out[-1] = (joined, out[-1][1])
        else:
            out.append((piece, term))
    return out


def lines(tex: str, first: float, rest: float) -> list[str]:
    """A formula broken into lines (``breaks``), their LaTeX alone."""
    return [text for text, _ in breaks(tex, first, rest)]


@dataclass(frozen=True)
class Plan:
    """How a chain is laid out: 'one' row; 'aligned', a row a link (each link's lines), the left side on the
    first; or 'flush' left, the left side's lines, then each link's, indented. A link's lines hold its relation
    sign on the first."""

    kind: str
    left: tuple[Line, ...]
    links: tuple[tuple[Line, ...], ...]


def plan(sides: list[str], rels: list[str], room: Room, one_row: bool = True, alone: bool = False) -> Plan:
    """The layout of a chain (the LaTeX of its sides and of its relation signs): on one row when it fits (and
    ``one_row`` allows it), else one row a link, each link broken into lines if it is wider than the room left
    beside the left side; a left side too wide for that (wider than FLUSH_LEFT of the room, and too wide for
    the links beside it) sets every row flush left, and so does, in a display of this chain ``alone`` (several
    share their left column), a link that cannot be broken (a wide matrix) when beside the left side it would
    run off the line (``room.line``) and flush left it is narrower."""
    links = [f"{rel} {side}" for rel, side in zip(rels, sides[1:])]
    if one_row and room.fits(" ".join([sides[0], *links])):
        return Plan("one", ((sides[0], (0,)),), tuple(((link, (0,)),) for link in links))
    left = measure(sides[0]).width * SLACK
    beside = max(measure(link).width * SLACK for link in links)
    if left + beside <= room.width or left <= room.width * FLUSH_LEFT:
        aligned = Plan("aligned", ((sides[0], (0,)),),
                       tuple(tuple(breaks(link, room.width - left, room.width - left - 1)) for link in links))
        if not alone or widest(aligned) * SLACK <= room.line \
                or widest(aligned) <= widest(flush := _flush(sides[0], links, room)):
            return aligned
        return flush
    return _flush(sides[0], links, room)


def _flush(left: str, links: list[str], room: Room) -> Plan:
    """The left side's lines flush left, then each link's, indented."""
    return Plan("flush", tuple(breaks(left, room.width, room.width - 1)),
                tuple(tuple(breaks(link, room.width - 1, room.width - 2)) for link in links))


def widest(p: Plan) -> float:
    """The estimated width of a plan's display (em): its widest left side and its widest right side, as an aligned
    display's two columns (a flush plan's left column is empty). A link that cannot be broken to fit beside its
    left side (a wide matrix) and so would run off the line may fit flush, under it: a 3 x 3 matrix of
    σ(z)(1 − σ(z)) products beside a Jacobian's partial ran 2.7 pt past a slide's list; set under it, it fits."""
    table = rows(p)
    return max(measure(l).width for l, _ in table) + max(measure(r).width for _, r in table)


def rows(p: Plan) -> list[tuple[str, str]]:
    """The rows of a plan, (left side, relation and right side), as an aligned display sets them."""
    if p.kind == "one":
        return [(p.left[0][0], " ".join(link[0][0] for link in p.links))]
    if p.kind == "aligned":
        out = []
        for k, link in enumerate(p.links):
            out += [(p.left[0][0] if k == 0 else "", link[0][0]), *(("", continued(t)) for t, _ in link[1:])]
        return out
    out = [("", p.left[0][0]), *(("", continued(t)) for t, _ in p.left[1:])]
    for link in p.links:
        out += [("", INDENT + link[0][0]), *(("", continued(t, DEEP)) for t, _ in link[1:])]
    return out


def chain_rows(sides: list[str], rels: list[str], room: Room, one_row: bool = True,
               alone: bool = False) -> list[tuple[str, str]]:
    """Rows of an aligned display of a chain, laid out by ``plan``."""
    return rows(plan(sides, rels, room, one_row, alone))


# The article's text block (435 pt in an answer box, at 10.95 pt): 39.7 em; its answer box, rows of 45 em (a page
# is 64 em high; the estimates run a fifth short of a tall display's height, and the box has a title and a sentence).
ARTICLE = Room(38.0, 40, False, 70, 45.0, 39.7)
# A 16:9 frame's (376 pt in a list, at 10 pt): 37.6 em, 10 matrix rows; its answer box, rows of 13.5 em.
SLIDE = Room(35.0, 10, True, 56, 13.5, 37.6)
ROOMS = {"article": ARTICLE, "slide": SLIDE}
MATRIX_MARGIN = 3.0                  # a matrix leaves room beside it for a relation and an indent
DOTS = measure(r"\cdots", "T").width   # a column of dots (in a matrix, \cdots and the thin space amsmath ends it with)


def _columns_width(widths: list[float], cols: list[int | None]) -> float:
    inner = sum(widths[c] if c is not None else DOTS for c in cols) + 2 * .5 * (len(cols) - 1)
    return (inner + 1.4) * SLACK                                          # and its brackets


ROW_UP, ROW_DOWN = .84, .36          # a matrix row's strut: 8.4 pt up and 3.6 pt down at 10 pt


def _row_height(row: list[str]) -> float:
    """A matrix row's height and depth (em): its strut's, or its tallest entry's (a fraction is taller)."""
    boxes = [measure(cell, "T") for cell in row]
    return max(ROW_UP, *(b.height for b in boxes)) + max(ROW_DOWN, *(b.depth for b in boxes))


def _rows(cells: list[list[str]], room: Room) -> list[int | None]:
    """The rows of a matrix shown in the room: all of them when they are no taller than ``room.rows`` rows of
    one line each, else the first that fit with a row of dots and the last (rows of fractions are taller, so
    fewer of them are shown)."""
    m, budget = len(cells), room.rows * (ROW_UP + ROW_DOWN)
    if m <= room.rows // 2:
        return list(range(m))
    heights = [_row_height(row) for row in cells]
    if sum(heights) <= budget + 1e-9:
        return list(range(m))
    left, k = budget - ROW_UP - ROW_DOWN - heights[-1], 0                   # the dots' row and the last
    while k < m - 2 and left >= heights[k] - 1e-9:
        left -= heights[k]
        k += 1
    return [*range(max(k, 1)), None, m - 1]


BRACKETS = 1.4                       # a matrix's brackets and their spaces (em)
PAGE_OVER = 1.2                      # on a page, a column's entry is set on lines once it is this much too wide


def on_lines(cells: list[list[str]], room: Room) -> list[list[str]]:
    """A column's entries as a slide holds them: an entry too wide for it (a long sum, which a matrix's cell
    cannot break) set on lines in an aligned block inside its cell, broken before a + or − (``lines``), its
    continuation lines indented; a matrix of more columns, or one that fits, as it is. On a page only an entry
    PAGE_OVER too wide is set on lines (a page's margin, unlike a frame's, holds a column the estimate finds a
    little too wide; nine-term sums with channel superscripts, 139 pt over, it does not)."""
    if not cells or len(cells[0]) != 1:
        return cells
    limit = (room.width - MATRIX_MARGIN) / SLACK - BRACKETS
    over = limit if room.slide else limit * PAGE_OVER
    out = []
    for (cell,) in cells:
        if wide(cell, over):
            first, *more = lines(cell, limit, limit - measure(INDENT).width)
            cell = r"\begin{aligned}&" + r"\\&".join([first, *map(continued, more)]) + r"\end{aligned}"
        out.append([cell])
    return out


def elision(cells: list[list[str]], room: Room) -> tuple[list[int | None], list[int | None]] | None:
    """Which rows and columns of a matrix (the LaTeX of its entries) to show so that it fits the room: the first
    rows, a row of dots and the last, when it has more rows than the room shows; the first columns, a column of
    dots and the last, when it is wider than the room. None: all of it fits."""
    m = len(cells)
    n = len(cells[0]) if m else 0
    rows = _rows(cells, room)
    widths = [max(measure(cells[r][c], "T").width for r in rows if r is not None) for c in range(n)]
    limit = room.width - MATRIX_MARGIN
    cols: list[int | None] = list(range(n))
    if n > 3 and _columns_width(widths, cols) > limit:
        k = n - 3                    # at least two columns left out: dots in place of one are no narrower
        while k > 1 and _columns_width(widths, [*range(k), None, n - 1]) > limit:
            k -= 1
        cols = [*range(k), None, n - 1]
    return None if len(rows) == m and len(cols) == n else (rows, cols)


def boxes(rows: list[tuple[str, str]], room: Room) -> list[list[tuple[str, str]]]:
    """An answer's rows in the boxes that show them: one box, which cannot continue on the next frame or page, so
    a new box each time the rows so far would be taller than the room's ``tall`` (a vector shown as a product and
    then multiplied out, too tall for one frame: the second row in a box of its own). A box after the first
    repeats the left side its first row leaves blank."""
    out: list[list[tuple[str, str]]] = [[]]
    tall, left = 0.0, ""
    for row in rows:
        box = measure(f"{row[0]} {row[1]}")
        if out[-1] and tall + box.height + box.depth > room.tall:
            out.append([])
            tall = 0.0
            row = (row[0] or left, row[1])
        left = row[0] or left
        tall += box.height + box.depth
        out[-1].append(row)
    return out


def dots(row: int | None, col: int | None) -> str:
    """The LaTeX of a left-out entry: dots along the row, down the column, or across where both are left out."""
    return r"\ddots" if row is None and col is None else r"\vdots" if row is None else r"\cdots"


__all__ = ["Room", "ARTICLE", "SLIDE", "ROOMS", "SLACK", "Plan", "Path", "OPEN_AT", "FACTOR_AT", "wide", "breaks", "lines", "terms", "plan", "rows",
           "chain_rows", "continued", "elision", "dots", "boxes", "on_lines"]
