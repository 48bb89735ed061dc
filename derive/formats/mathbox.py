"""Maths laid out as boxes, as TeX lays it out: the figures' labels measured and drawn.

A label's maths is the presentation MathML tree derive's MathML printer makes (derive.formats.mathml: the same
maths the HTML page shows); ``typeset`` lays it out in runs of glyphs (each in one font class: italic letters,
upright letters and digits, bold, symbols, text), rules (a fraction's bar) and strokes (brackets that grow
with a matrix, a root's sign), with TeX's rules for scripts, fractions, spacing and matrices. The widths are
pdflatex's own (derive.formats.font_widths: each character measured in the fonts and sizes the figures use),
so a label's box is the box pdflatex sets it in, near enough, and the SVG draws each run at exactly the width
measured (``textLength``), whatever font the browser has.

Lengths are in points of the setup's size; y grows upwards from the baseline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from xml.dom.minidom import Element

from .font_widths import EM, SHAPES, WIDTHS

# (setup, size) -> the point sizes of text, script and scriptscript style, and the distance between baselines.
SIZES = {("article", "tiny"): (8.0, 6.0, 5.0, 9.5), ("article", "small"): (9.0, 6.0, 5.0, 11.0),
         ("slides", "tiny"): (8.0, 6.0, 5.0, 9.5), ("slides", "small"): (9.0, 6.0, 5.0, 11.0),
         ("svg", "ten"): (10.0, 7.0, 5.0, 12.0)}
STYLES = ("text", "script", "scriptscript")
BINARY = set("+−-×⋅·±∓∘⊙∗*")
RELATIONS = set("=<>≤≥≠≈∼≡∈→←↦")
PUNCTUATION = set(",;")
OPENING, CLOSING = set("([{⟨⌊⌈|‖"), set(")]}⟩⌋⌉|‖")
INVISIBLE = {"\u2061", "\u2062", "\u2063", ""}
BOLD = {chr(0x1D400 + k): chr(ord("A") + k) for k in range(26)} | \
    {chr(0x1D41A + k): chr(ord("a") + k) for k in range(26)} | {chr(0x1D7CE + k): str(k) for k in range(10)}
SCRIPTED = dict(zip("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹ᵢⱼₖₙₜᵀ", "01234567890123456789ijkntT"))
MU = 1 / 18                        # TeX's math unit, of the current size
ARRAYCOLSEP = 5.0                  # pt: half the gap between a matrix's columns
RULE = 0.04                        # a fraction's bar, of the size
NULLDELIMITER = 1.2                # pt: either side of a fraction (TeX's \nulldelimiterspace)
SCRIPTSPACE = 0.5                  # pt: after a script


@dataclass(frozen=True)
class Run:
    """Glyphs in one font class ('it', 'rm', 'bf', 'sy', 'tx') and size (pt), from (x, y) on the baseline."""
    x: float
    y: float
    text: str
    cls: str
    size: float
    width: float


@dataclass(frozen=True)
class Bar:
    """A horizontal bar: a fraction's line, a root's top."""
    x: float
    y: float
    w: float
    thickness: float


@dataclass(frozen=True)
class Stroke:
    """A drawn sign: a bracket that grows with what it holds, a root's check; points in pt."""
    points: tuple[tuple[float, float], ...]
    thickness: float


@dataclass(frozen=True)
class Box:
    """Width, height above the baseline and depth below it; the pieces placed from the box's origin."""
    w: float
    h: float
    d: float
    items: tuple = ()

    def moved(self, dx: float, dy: float) -> tuple:
        return tuple(_moved(it, dx, dy) for it in self.items)


def _moved(it, dx: float, dy: float):
    if isinstance(it, Stroke):
        return Stroke(tuple((x + dx, y + dy) for x, y in it.points), it.thickness)
    return replace(it, x=it.x + dx, y=it.y + dy)


EMPTY = Box(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Metrics:
    """The fonts of one setup ('article', 'slides', 'svg') at one size ('tiny', 'small', 'ten')."""
    setup: str
    size: str

    def points(self, level: int) -> float:
        return SIZES[(self.setup, self.size)][min(level, 2)]

    @property
    def baselineskip(self) -> float:
        return SIZES[(self.setup, self.size)][3]

    def width(self, ch: str, cls: str, level: int) -> float:
        if ch in SCRIPTED:                                   # x₁ in words: LaTeX sets the 1 as a script
            return self.width(SCRIPTED[ch], "rm", level + 1)
        style = "text" if cls == "tx" else STYLES[min(level, 2)]
        table = WIDTHS[self.setup][self.size][style]
        for name in (cls, "rm", "it", "sy"):
            if ch in table.get(name, {}):
                return table[name][ch]
        return EM[self.setup][self.size] * self.points(level) / self.points(0)     # an unknown character: an M

    def shape(self, ch: str, cls: str, level: int) -> tuple[float, float]:
        """A character's height and depth: as pdflatex sets it in text style, scaled to the level's size."""
        table, scale = SHAPES[self.setup][self.size], self.points(level) / self.points(0)
        for name in (cls, "rm", "it", "sy"):
            if ch in table.get(name, {}):
                h, d = table[name][ch]
                return h * scale, d * scale
        size = self.points(level)                               # an unknown character: as tall as a parenthesis
        return 0.75 * size, 0.25 * size


def run(text: str, cls: str, level: int, m: Metrics) -> Box:
    """A run of glyphs as a box: its measured width, its height and depth by the letters it holds."""
    if cls == "bf":
        text = "".join(BOLD.get(ch, ch) for ch in text)
    size = m.points(level)
    width = sum(m.width(ch, cls, level) for ch in text)
    shapes = [m.shape(ch, cls, level) for ch in text if not ch.isspace()]
    h, d = max([s[0] for s in shapes] + [0.0]), max([s[1] for s in shapes] + [0.0])
    return Box(width, h, d, (Run(0.0, 0.0, text, cls, size, width),) if text else ())


def hbox(boxes: list[Box], gaps: list[float] | None = None) -> Box:
    """Boxes side by side (``gaps[k]`` before box k)."""
    x, items, h, d = 0.0, [], 0.0, 0.0
    for k, b in enumerate(boxes):
        x += gaps[k] if gaps else 0.0
        items += b.moved(x, 0.0)
        x += b.w
        h, d = max(h, b.h), max(d, b.d)
    return Box(x, h, d, tuple(items))


def text_box(text: str, m: Metrics) -> Box:
    """Prose in the text font (a label that is words, not maths)."""
    return run(text, "tx", 0, m)


@functools.lru_cache(maxsize=1 << 14)
def typeset_xml(xml: str, m: Metrics) -> Box:
    """A MathML element (as the MathML printer writes it) laid out."""
    from xml.dom.minidom import parseString
    return _Layout(m).node(parseString(xml).documentElement, 0)


class _Layout:
    def __init__(self, m: Metrics):
        self.m = m

    def node(self, el: Element, level: int) -> Box:
        tag = el.tagName
        if tag in ("mi", "mn", "mo", "mtext"):
            return self.token(el, level)
        if tag in ("mrow", "math", "mstyle", "mtd"):
            return self.row(_kids(el), level)
        if tag in ("msub", "msup", "msubsup"):
            return self.scripts(el, level)
        if tag == "mfrac":
            return self.fraction(_kids(el), level)
        if tag == "msqrt":
            return self.root(self.row(_kids(el), level), level)
        if tag in ("mover", "munder"):
            return self.accent(_kids(el), level, tag == "mover")
        if tag == "mtable":
            return self.table(el, level)
        if tag == "mspace":
            return Box(_em(el.getAttribute("width")) * self.m.points(level), 0.0, 0.0)
        return self.row(_kids(el), level)

    def token(self, el: Element, level: int) -> Box:
        text = _text(el)
        if el.tagName == "mo" or text in INVISIBLE:
            return run("" if text in INVISIBLE else text, "sy" if text not in "()[]+=<>,;:!?/|" else "rm", level,
                       self.m)
        if el.tagName == "mtext":
            return run(text, "tx", level, self.m)
        if el.tagName == "mn" or len(text) > 1 or el.getAttribute("mathvariant") == "normal":
            return run(text, "bf" if any(ch in BOLD for ch in text) else "rm", level, self.m)
        return run(text, "bf" if text in BOLD else "it", level, self.m)

    def row(self, kids: list[Element], level: int) -> Box:
        boxes = [self.node(k, level) for k in kids]
        boxes = _grown(kids, boxes, level, self.m)
        return hbox(boxes, _spacing(kids, level, self.m))

    def scripts(self, el: Element, level: int) -> Box:
        """Scripts by TeX's rules (The TeXbook, appendix G, 18a-18f): raised and lowered from the base, apart from
        each other by four rule thicknesses, the superscript's bottom at least 4/5 of an x-height up."""
        kids = _kids(el)
        base = self.node(kids[0], level)
        size, small = self.m.points(level), level + 1
        sub = self.node(kids[1], small) if el.tagName in ("msub", "msubsup") else None
        sup = self.node(kids[-1], small) if el.tagName in ("msup", "msubsup") else None
        token = kids[0].tagName in ("mi", "mn", "mo", "mtext") and _text(kids[0]) not in "∑∏"     # a big operator: a box
        up = 0.0 if token else base.h - 0.386 * self.m.points(small)
        down = 0.0 if token else base.d + 0.05 * self.m.points(small)
        x_height, rule = 0.431 * size, RULE * size
        if sup is not None:
            up = max(up, 0.413 * size, sup.d + x_height / 4)
        if sub is not None:
            down = max(down, 0.247 * size if sup is not None else 0.15 * size, sub.h - 0.8 * x_height)
        if sub is not None and sup is not None:
            if (up - sup.d) - (sub.h - down) < 4 * rule:
                down = 4 * rule - (up - sup.d) + sub.h
                lift = 0.8 * x_height - (up - sup.d)
                if lift > 0:
                    up, down = up + lift, down - lift
        items, w, h, d = list(base.items), base.w, base.h, base.d
        gap = 0.05 * size
        for script, dy in ((sup, up), (sub, -down)):
            if script is not None:
                items += script.moved(base.w + gap, dy)
                w = max(w, base.w + gap + script.w)
                h, d = max(h, dy + script.h), max(d, script.d - dy)
        return Box(w + SCRIPTSPACE, h, d, tuple(items))

    def fraction(self, kids: list[Element], level: int) -> Box:
        size, small = self.m.points(level), level + 1
        num, den = self.node(kids[0], small), self.node(kids[1], small)
        axis, t = 0.25 * size, RULE * size
        up = max(0.394 * size, axis + t / 2 + t + num.d)
        down = max(0.345 * size, t / 2 + t + den.h - axis)
        w = max(num.w, den.w) + 2 * NULLDELIMITER
        items = list(num.moved((w - num.w) / 2, up)) + list(den.moved((w - den.w) / 2, -down))
        items.append(Bar(NULLDELIMITER, axis - t / 2, w - 2 * NULLDELIMITER, t))
        return Box(w, up + num.h, down + den.d, tuple(items))

    def root(self, inner: Box, level: int) -> Box:
        size = self.m.points(level)
        top, bottom, sign = inner.h + 0.12 * size, -inner.d - 0.05 * size, 0.6 * size
        check = Stroke(((0.05 * size, 0.45 * (top + bottom)), (0.2 * size, 0.5 * (top + bottom)),
                        (0.35 * size, bottom), (sign, top)), 0.05 * size)
        items = [check, Bar(sign, top - 0.04 * size, inner.w + 0.1 * size, 0.04 * size)] + list(inner.moved(sign, 0))
        return Box(sign + inner.w + 0.1 * size, top + 0.04 * size, -bottom, tuple(items))

    def accent(self, kids: list[Element], level: int, over: bool) -> Box:
        base, mark = self.node(kids[0], level), self.node(kids[1], level)
        dy = base.h + 0.05 * self.m.points(level) - 0.45 * self.m.points(level) if over else -base.d - mark.h
        items = list(base.items) + list(mark.moved((base.w - mark.w) / 2, dy))
        return Box(max(base.w, mark.w), max(base.h, dy + mark.h), max(base.d, mark.d - dy), tuple(items))

    def table(self, el: Element, level: int) -> Box:
        """A matrix: columns centred, ARRAYCOLSEP either side of each inner gap, rows a baseline apart, the
        whole centred on the maths axis (amsmath's matrix)."""
        rows = [[self.row(_kids(td), level) for td in _kids(tr)] for tr in _kids(el)]
        cols = max((len(r) for r in rows), default=0)
        widths = [max((r[c].w for r in rows if c < len(r)), default=0.0) for c in range(cols)]
        skip = self.m.baselineskip * self.m.points(level) / self.m.points(0)
        strut_h, strut_d = 0.7 * skip, 0.3 * skip
        heights = [max([strut_h] + [b.h for b in r]) for r in rows]
        depths = [max([strut_d] + [b.d for b in r]) for r in rows]
        total = sum(heights) + sum(depths)
        axis = 0.25 * self.m.points(level)
        y, items = total / 2 + axis, []
        for r, row in enumerate(rows):
            y -= heights[r]
            x = 0.0
            for c, b in enumerate(row):
                items += b.moved(x + (widths[c] - b.w) / 2, y)
                x += widths[c] + 2 * ARRAYCOLSEP
            y -= depths[r]
        width = sum(widths) + 2 * ARRAYCOLSEP * max(cols - 1, 0)
        return Box(width, total / 2 + axis, total / 2 - axis, tuple(items))


def _kids(el: Element) -> list[Element]:
    return [k for k in el.childNodes if isinstance(k, Element)]


def _text(el: Element) -> str:
    return "".join(k.data for k in el.childNodes if k.nodeType == k.TEXT_NODE)


def _em(width: str) -> float:
    return float(width[:-2]) if width.endswith("em") else 0.0


def _kind(el: Element) -> str:
    """TeX's class of an atom: 'bin', 'rel', 'punct', 'open', 'close', 'op' (a name), 'inner' (a group between
    fences, LaTeX's \\left ... \\right), 'none' (an invisible operator) or 'ord'."""
    text = _text(el)
    if el.tagName == "mi" and len(text) > 1:
        return "op"
    if el.tagName == "mrow":
        kids = _kids(el)
        fenced = len(kids) > 1 and all(k.tagName == "mo" for k in (kids[0], kids[-1]))
        return "inner" if fenced and _text(kids[0]) in OPENING and _text(kids[-1]) in CLOSING else "ord"
    if el.tagName != "mo":
        return "ord"
    if text in INVISIBLE:
        return "none"
    for kind, chars in (("bin", BINARY), ("rel", RELATIONS), ("punct", PUNCTUATION)):
        if text in chars:
            return kind
    if text in OPENING and text not in CLOSING:
        return "open"
    return "close" if text in CLOSING and text not in OPENING else "ord"


# TeX's spacing between atoms (The TeXbook, chapter 18): 1 thin, 2 medium, 3 thick space; negative: only in text
# style (not in scripts).
ATOMS = ("ord", "op", "bin", "rel", "open", "close", "punct", "inner")
SPACES = dict(zip(ATOMS, (
    (0, 1, -2, -3, 0, 0, 0, -1), (1, 1, 0, -3, 0, 0, 0, -1), (-2, -2, 0, 0, -2, 0, 0, -2),
    (-3, -3, 0, 0, -3, 0, 0, -3), (0, 0, 0, 0, 0, 0, 0, 0), (0, 1, -2, -3, 0, 0, 0, -1),
    (-1, -1, 0, -1, -1, -1, -1, -1), (-1, 1, -2, -3, -1, 0, -1, -1))))
MUS = {0: 0, 1: 3, 2: 4, 3: 5}


def _spacing(kids: list[Element], level: int, m: Metrics) -> list[float]:
    """The space before each atom of a row, by TeX's table."""
    mu = MU * m.points(level)
    gaps, previous = [], None
    for el in kids:
        kind = _kind(el)
        if kind == "bin" and previous in (None, "bin", "rel", "open", "punct", "op"):
            kind = "ord"                                   # a sign in front: unary
        gaps.append(0.0 if kind == "none" else _gap(previous, kind, mu, level))
        previous = previous if kind == "none" else kind
    return gaps


def _gap(before: str | None, kind: str, mu: float, level: int) -> float:
    if before is None:
        return 0.0
    code = SPACES[before][ATOMS.index(kind)]
    return 0.0 if code < 0 and level > 0 else MUS[abs(code)] * mu


def _grown(kids: list[Element], boxes: list[Box], level: int, m: Metrics) -> list[Box]:
    """Brackets that grow: a stretchy fence around tall content (a matrix, a fraction) drawn as a stroke as tall
    as what it holds."""
    fences = [k for k, el in enumerate(kids) if el.tagName == "mo" and el.getAttribute("stretchy") != "false"
              and _text(el) in OPENING | CLOSING]
    inner = [b for k, b in enumerate(boxes) if k not in fences]
    if not fences or not inner:
        return boxes
    size = m.points(level)
    h, d = max(b.h for b in inner), max(b.d for b in inner)
    if h + d <= 1.05 * size:
        return boxes
    axis = 0.25 * size
    half = max(h - axis, d + axis) + 0.05 * size                 # centred on the axis, as TeX's delimiters are
    out = list(boxes)
    for n, k in enumerate(fences):
        text = _text(kids[k])
        closing = text not in OPENING or (text in CLOSING and n > 0)
        out[k] = bracket(text, axis + half, half - axis, size, closing)
    return out


def bracket(kind: str, h: float, d: float, size: float, closing: bool) -> Box:
    """A bracket, parenthesis or bar as tall as h above the baseline and d below, drawn; as wide as TeX's (whose
    tallest delimiters, built from pieces, are wider)."""
    wide = {"|": 0.34, "‖": 0.56, "(": 0.5, ")": 0.5}.get(kind, 0.58 if h + d <= 3.0 * size else 0.72)
    w, t = wide * size, 0.045 * size
    inner, outer = (0.46 * size, 0.16 * size) if not closing else (0.12 * size, 0.42 * size)     # serif ends, stem
    if kind in "[]⌊⌋⌈⌉":
        points = ((inner, h), (outer, h), (outer, -d), (inner, -d))
    elif kind in "|‖":
        points = ((w / 2, h), (w / 2, -d))
    else:
        mid = (h - d) / 2
        points = ((inner, h), ((inner + outer) / 2, h - 0.25 * (h + d)), (outer, mid),
                  ((inner + outer) / 2, -d + 0.25 * (h + d)), (inner, -d))
    return Box(w, h, d, (Stroke(points, t),))


__all__ = ["Box", "Run", "Bar", "Stroke", "Metrics", "typeset_xml", "text_box", "hbox", "run", "EMPTY"]
