"""The size of typeset maths, estimated from its LaTeX before any TeX runs: Computer Modern's widths as pdflatex
measures them (font_widths.py, in em of the maths font: 1 em is 10 pt at 10 pt), TeX's spacing between atoms (thin,
medium and thick spaces by the classes of the atoms beside them), fractions, scripts, fences and arrays laid out
as TeX lays them out. Every format breaks a display and elides a matrix where this says the LaTeX key would run
over the text block; the tests compile the keys and read pdflatex's log to hold it to that.

``parse(tex)`` reads a formula into boxes (``Box``: width, height, depth, TeX's atom class, the span of the source it
came from, and, for ``\\left ... \\right``, the boxes inside); ``width(tex)`` is the width of the whole.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .font_widths import MATHS, WIDTHS as _FONT_WIDTHS

TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.S)
ORD, OP, BIN, REL, OPEN, CLOSE, PUNCT, INNER = "ord", "op", "bin", "rel", "open", "close", "punct", "inner"
THIN, MED, THICK = 3 / 18, 4 / 18, 5 / 18
# TeX's spacing between atoms (The TeXbook, chapter 18): (left, right) -> space, and whether scripts get it too.
SPACING = {(ORD, OP): (THIN, True), (ORD, BIN): (MED, False), (ORD, REL): (THICK, False), (ORD, INNER): (THIN, False),
           (OP, ORD): (THIN, True), (OP, OP): (THIN, True), (OP, REL): (THICK, False), (OP, INNER): (THIN, False),
           (BIN, ORD): (MED, False), (BIN, OP): (MED, False), (BIN, OPEN): (MED, False), (BIN, INNER): (MED, False),
           (REL, ORD): (THICK, False), (REL, OP): (THICK, False), (REL, OPEN): (THICK, False),
           (REL, INNER): (THICK, False), (CLOSE, OP): (THIN, True), (CLOSE, BIN): (MED, False),
           (CLOSE, REL): (THICK, False), (CLOSE, INNER): (THIN, False), (PUNCT, ORD): (THIN, False),
           (PUNCT, OP): (THIN, False), (PUNCT, REL): (THIN, False), (PUNCT, OPEN): (THIN, False),
           (PUNCT, CLOSE): (THIN, False), (PUNCT, PUNCT): (THIN, False), (PUNCT, INNER): (THIN, False),
           (INNER, ORD): (THIN, False), (INNER, OP): (THIN, True), (INNER, BIN): (MED, False),
           (INNER, REL): (THICK, False), (INNER, OPEN): (THIN, False), (INNER, PUNCT): (THIN, False),
           (INNER, INNER): (THIN, False)}
# Styles: display, text, script, scriptscript; the width of a glyph there (the 7 pt and 5 pt fonts are drawn
# wider than 0.7 and 0.5 of the 10 pt one), and the style of a fraction's parts and of scripts.
SCALE = {"D": 1.0, "T": 1.0, "S": 0.8, "SS": 0.69}
FRACTION = {"D": "T", "T": "S", "S": "SS", "SS": "SS"}
SCRIPT = {"D": "S", "T": "S", "S": "SS", "SS": "SS"}
AXIS = 0.25                          # the maths axis, above the baseline
ROW = 1.2                            # an array's row: the strut of a 10 pt line (8.4 pt up, 3.6 pt down)
COLSEP = 0.5                         # \arraycolsep, 5 pt

# The glyphs' widths are pdflatex's own (derive/formats/font_widths.py, measured by tests/fonts/make.py in a 10 pt
# article: Computer Modern at 10, 7 and 5 pt for the text, script and scriptscript styles), in em of the 10 pt
# font. A letter's width there includes its italic correction, as TeX adds it to a letter with no subscript.
FONT = _FONT_WIDTHS["svg"]["ten"]
STYLE_SIZE = {"D": "text", "T": "text", "S": "script", "SS": "scriptscript"}
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ITALIC = {c: FONT["text"]["it"][c] / 10 for c in LATIN}
# cmmi10's italic corrections (in the widths above): a subscript tucks in under them.
LEAN = {name: w / 10 for name, w in MATHS["italic"].items() if w}
ROMAN = {c: w / 10 for c, w in FONT["text"]["rm"].items()}
GREEK_NAMES = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
               "varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
               "Upsilon Phi Psi Omega").split()
GREEK = dict(zip(GREEK_NAMES, "αβγδϵεζηθϑικλμνξπρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ"))           # name -> its character
# Symbols of cmsy10 and cmmi10 in the table, by command.
GLYPHS = {"times": "×", "cdot": "⋅", "pm": "±", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
          "approx": "≈", "sim": "∼", "in": "∈", "to": "→", "rightarrow": "→", "leftarrow": "←", "infty": "∞",
          "nabla": "∇", "partial": "∂", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
          "rceil": "⌉", "|": "‖", "Vert": "‖", "top": "⊤", "ldots": "…", "dots": "…", "cdots": "⋯", "circ": "∘",
          "odot": "⊙", "sum": "∑", "prod": "∏", "ell": "ℓ"}


def glyph(font: str, ch: str, style: str) -> float | None:
    """A character's width (em of the 10 pt font) in one of the table's fonts ('it', 'rm', 'bf', 'sy'; 'tx' is
    text mode, measured at the text size and scaled) at a style's size; None if the table has no such character."""
    table, scale = FONT[STYLE_SIZE[style]].get(font), 1.0
    if table is None:
        table, scale = FONT["text"][font], SCALE[style]
    width = table.get(ch)
    return None if width is None else width / 10 * scale


# Characters typed as they are: their class (the width from the tables: cmr10's, the minus sign cmsy10's).
CHARS = {"+": BIN, "-": BIN, "*": BIN, "=": REL, "<": REL, ">": REL, ":": REL, "(": OPEN, "[": OPEN, ")": CLOSE,
         "]": CLOSE, "!": CLOSE, ",": PUNCT, ";": PUNCT, ".": ORD, "/": ORD, "|": ORD, "?": CLOSE}
# Commands that print one symbol: their class (the width from the tables: GLYPHS or MATHS).
SYMBOLS = {
    "cdot": BIN, "times": BIN, "odot": BIN, "otimes": BIN, "oplus": BIN, "circ": BIN, "pm": BIN, "mp": BIN,
    "ast": BIN, "div": BIN, "setminus": BIN, "cdotp": PUNCT, "ldotp": PUNCT, "le": REL, "leq": REL, "ge": REL,
    "geq": REL, "ne": REL, "neq": REL, "approx": REL, "sim": REL, "simeq": REL, "equiv": REL, "in": REL, "notin": REL,
    "to": REL, "rightarrow": REL, "leftarrow": REL, "mapsto": REL, "Rightarrow": REL, "propto": REL, "subset": REL,
    "partial": ORD, "infty": ORD, "nabla": ORD, "ell": ORD, "top": ORD, "prime": ORD, "forall": ORD, "exists": ORD,
    "emptyset": ORD, "imath": ORD, "langle": OPEN, "rangle": CLOSE, "lfloor": OPEN, "rfloor": CLOSE, "lceil": OPEN,
    "rceil": CLOSE, "lvert": OPEN, "rvert": CLOSE, "lVert": OPEN, "rVert": CLOSE, "{": OPEN, "}": CLOSE,
    "lbrace": OPEN, "rbrace": CLOSE, "|": ORD, "Vert": ORD, "vert": ORD, "backslash": ORD, "ldots": INNER,
    "dots": INNER, "cdots": INNER, "vdots": ORD, "ddots": INNER, "%": ORD, "&": ORD, "#": ORD, "_": ORD, "$": ORD,
    "colon": ORD, "mid": REL, "sum": OP, "prod": OP, "int": OP,
}
BIG_OPS = {name: w / 10 for name, w in MATHS["display"].items()}           # their width in display style
NAMED = {"exp", "log", "ln", "sin", "cos", "tan", "tanh", "sinh", "cosh", "max", "min", "det", "dim", "sup", "inf",
         "lim", "arg", "sgn", "diag", "tr", "rank", "arctan", "sec", "csc", "cot", "coth", "ker", "deg", "gcd", "Pr"}
SPACES = {",": THIN, ":": MED, ";": THICK, ">": MED, " ": 1 / 3, "quad": 1.0, "qquad": 2.0, "!": -THIN,
          "enspace": .5, "thinspace": THIN, "medspace": MED, "thickspace": THICK, "negthinspace": -THIN}
IGNORED = {"displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle", "limits", "nolimits", "mathstrut",
           "strut", "nonumber", "notag", "relax", "allowbreak", "nobreak", "left", "right", "middle"}
ACCENTS = {"tilde", "hat", "bar", "vec", "dot", "ddot", "check", "breve", "acute", "grave", "widehat", "widetilde",
           "overline", "underline", "overrightarrow", "mathring"}
FONTS = {"mathrm": ROMAN, "operatorname": ROMAN, "text": ROMAN, "textrm": ROMAN, "textnormal": ROMAN,
         "mathup": ROMAN, "mathsf": ROMAN, "mathtt": ROMAN, "textit": ROMAN, "texttt": ROMAN, "textbf": ROMAN,
         "mathbf": ROMAN, "mathit": ITALIC, "mathbb": ROMAN, "mathcal": ROMAN, "boldsymbol": ITALIC, "bm": ITALIC,
         "mathnormal": ITALIC, "mathfrak": ROMAN, "mathscr": ROMAN}
BOLD = {"mathbf", "boldsymbol", "bm", "textbf"}
CLASSES = {"mathord": ORD, "mathop": OP, "mathbin": BIN, "mathrel": REL, "mathopen": OPEN, "mathclose": CLOSE,
           "mathpunct": PUNCT, "mathinner": INNER}
# A delimiter's sizes (normal, \big, \Big, \bigg, \Bigg, extensible): the height it covers and its width.
HEIGHTS = (1.0, 1.2, 1.8, 2.4, 3.0)
WIDE_DELIMS = {token: tuple(w / 10 for w in widths) for token, widths in MATHS["delimiters"].items()}
WIDE_DELIMS["."] = (.12,) * 6                           # the null delimiter: \nulldelimiterspace, 1.2 pt
BIGS = {"big": 1, "bigl": 1, "bigr": 1, "bigm": 1, "Big": 2, "Bigl": 2, "Bigr": 2, "Bigm": 2, "bigg": 3, "biggl": 3,
        "biggr": 3, "Bigg": 4, "Biggl": 4, "Biggr": 4}
UNKNOWN = 0.6                        # a command or character not known here: about a letter's width


@dataclass
class Box:
    """One atom of a formula: its size in em (the baseline's height above, depth below), TeX's class, the span of
    the source it came from, and for a ``\\left ... \\right`` group the boxes inside and its two delimiters."""

    width: float
    cls: str = ORD
    height: float = 0.7
    depth: float = 0.0
    start: int = 0
    end: int = 0
    kids: list["Box"] = field(default_factory=list)
    fences: tuple[str, str] | None = None
    lean: float = 0.0                # an italic letter's correction (in the width; a subscript tucks under it)


def _spaced(boxes: list[Box], style: str) -> list[float]:
    """The space TeX puts before each box, from the classes of it and its neighbour (a binary operator with
    nothing to act on becomes an ordinary atom, as in TeX)."""
    classes = [b.cls for b in boxes]
    for k, c in enumerate(classes):
        before = classes[k - 1] if k else None
        after = classes[k + 1] if k + 1 < len(classes) else None
        if c == BIN and (before in (None, BIN, OP, REL, OPEN, PUNCT) or after in (None, REL, CLOSE, PUNCT)):
            classes[k] = ORD
    scripts = style in ("S", "SS")
    out = [0.0]
    for left, right in zip(classes, classes[1:]):
        space, always = SPACING.get((left, right), (0.0, False))
        out.append(space * SCALE[style] if always or not scripts else 0.0)
    return out


def hlist(boxes: list[Box], style: str = "D") -> Box:
    """The boxes side by side, spaced as TeX spaces them: one box."""
    if not boxes:
        return Box(0.0, ORD, 0.0, 0.0)
    spaces = _spaced(boxes, style)
    width = sum(spaces) + sum(b.width for b in boxes)
    return Box(width, ORD, max(b.height for b in boxes), max(b.depth for b in boxes), boxes[0].start, boxes[-1].end)


class Reader:
    """A formula read token by token into boxes. It never fails: what it does not know counts as a letter."""

    def __init__(self, source: str):
        self.source = source
        self.tokens = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(source) if not m.group().isspace()]
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def here(self) -> int:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else len(self.source)

    def take(self) -> str:
        token = self.peek()
        self.pos += 1
        return token if token is not None else "}"

    def until(self, style: str, stops: tuple[str, ...] = ("}",)) -> list[Box]:
        """Atoms up to one of ``stops`` (not taken), scripts attached to the atom before them."""
        boxes: list[Box] = []
        while self.peek() is not None and self.peek() not in stops:
            token = self.peek()
            if token in ("^", "_", "'"):
                base = boxes.pop() if boxes else Box(0.0, ORD, 0.0, 0.0, self.here(), self.here())
                box = self.scripts(base, style)
                box.start, box.end = base.start, self.here()
                boxes.append(box)
            elif token in ("}", "&", "\\\\", "\\end", "\\right"):
                self.take()                                     # out of place here: skipped
            else:
                start = self.here()
                box = self.atom(style)
                if box is not None:
                    box.start, box.end = start, self.here()
                    boxes.append(box)
        return boxes

    def argument(self, style: str) -> Box:
        """One argument: a {group} or a single token."""
        if self.peek() == "{":
            self.take()
            box = hlist(self.until(style), style)
            self.take()
            return box
        if self.peek() is None:
            return Box(0.0)
        return self.atom(style) or Box(0.0)

    def raw(self) -> str:
        """An argument's source text ({...} or one token), not measured."""
        if self.peek() != "{":
            return self.take()
        self.take()
        depth, out = 1, []
        while self.peek() is not None:
            token = self.take()
            depth += token == "{"
            depth -= token == "}"
            if depth == 0:
                break
            out.append(token)
        return "".join(out)

    def scripts(self, base: Box, style: str) -> Box:
        """A base with its superscript and subscript (primes are superscripts)."""
        sup = sub = None
        small = SCRIPT[style]
        while self.peek() in ("^", "_", "'"):
            token = self.take()
            if token == "'":
                prime = Box(MATHS[STYLE_SIZE[small]]["prime"] / 10, ORD, .8 * SCALE[small])
                sup = prime if sup is None else hlist([sup, prime], small)
            elif token == "^":
                sup = self.argument(small) if sup is None else hlist([sup, self.argument(small)], small)
            else:
                sub = self.argument(small)
        return attach(base, sup, sub, style)

    def atom(self, style: str) -> Box | None:
        token = self.take()
        if token == "{":
            box = hlist(self.until(style), style)
            self.take()
            return box
        if token.startswith("\\") and len(token) > 1:
            return self.command(token[1:], style)
        return char(token, style)

    def command(self, name: str, style: str) -> Box | None:
        handler = COMMANDS.get(name)
        if handler is not None:
            return handler(self, name, style)
        return symbol(name, style)


def attach(base: Box, sup: Box | None, sub: Box | None, style: str) -> Box:
    """A base with scripts: beside it, or above and below a big operator's in display style."""
    if sup is None and sub is None:
        return base
    s = SCALE[style]
    sup_w, sub_w = (sup.width if sup else 0.0), (sub.width if sub else 0.0)
    if base.cls == OP and style == "D" and base.width > 1.0:             # \sum's limits, above and below
        width = max(base.width, sup_w, sub_w)
        return Box(width, OP, base.height + (sup.height + sup.depth + .2 if sup else 0),
                   base.depth + (sub.height + sub.depth + .2 if sub else 0))
    width = base.width + max(sup_w, sub_w - base.lean) + 0.05 * s
    up = (.413 if style == "D" else .363) * s
    height = max(base.height, up + sup.height) if sup else base.height
    depth = max(base.depth, (.247 if sup else .15) * s + sub.depth) if sub else base.depth
    return Box(width, base.cls if base.cls in (OP, CLOSE, OPEN, INNER) else ORD, height, depth)


def char(token: str, style: str) -> Box:
    s = SCALE[style]
    if token in ITALIC:
        return Box(glyph("it", token, style), ORD, .69 * s, (.19 if token in "gjpqyQ" else 0) * s,
                   lean=LEAN.get(token, 0) * s)
    if token.isdigit():
        return Box(glyph("rm", token, style), ORD, .64 * s)
    if token in CHARS:
        tall = token in "()[]|/"
        width = glyph("sy", "−", style) if token == "-" else glyph("rm", token, style)
        return Box(width, CHARS[token], (.75 if tall else .58) * s, (.25 if tall else 0) * s)
    return Box(UNKNOWN * s, ORD, .7 * s)


def symbol(name: str, style: str) -> Box:
    """A command that prints one symbol, a named function, a space or a Greek letter."""
    s = SCALE[style]
    if name in SYMBOLS:
        cls = SYMBOLS[name]
        if name in BIG_OPS and style == "D":
            return Box(BIG_OPS[name], cls, 1.0, .6)
        width = glyph("sy", GLYPHS[name], style) if name in GLYPHS else MATHS[STYLE_SIZE[style]][name] / 10
        return Box(width, cls, .75 * s, .25 * s if cls in (OPEN, CLOSE) else 0)
    if name in GREEK:
        return Box(glyph("it", GREEK[name], style), ORD, .69 * s, lean=LEAN.get(name, 0) * s)
    if name in NAMED:
        return Box(word(name, "rm", style), OP, .69 * s)
    if name in SPACES:
        return Box(SPACES[name] * s, ORD, 0.0)
    if name in IGNORED:
        return None
    return Box(UNKNOWN * s, ORD, .7 * s)


def _fraction(r: Reader, name: str, style: str) -> Box:
    inner = {"dfrac": "D", "tfrac": "T"}.get(name, style)
    part = FRACTION[inner]
    num, den = r.argument(part), r.argument(part)
    s = SCALE[inner]
    shift_up, shift_down = (.677, .686) if inner == "D" else (.394, .345)
    return Box(max(num.width, den.width) + .24 * s, INNER if name != "binom" else ORD,
               shift_up * s + num.height, shift_down * s + den.depth)


def _sqrt(r: Reader, name: str, style: str) -> Box:
    if r.peek() == "[":
        while r.peek() not in (None, "]"):
            r.take()
        r.take()
    body = r.argument(style)
    return Box(body.width + .833 * SCALE[style], ORD, body.height + .15, body.depth)


def _font(r: Reader, name: str, style: str) -> Box:
    """\\mathrm{...}, \\operatorname{...}, \\text{...}: letters in the font's widths."""
    s = SCALE[style]
    text = r.raw()
    cls = OP if name == "operatorname" else ORD
    if FONTS[name] is ITALIC and not any(c == "\\" for c in text):
        widths = [glyph("it", c, style) or glyph("rm", c, style) or UNKNOWN * s for c in text if not c.isspace()]
        return Box(sum(widths) * (1.1 if name in BOLD else 1.0), cls, .69 * s)
    if "\\" in text or "{" in text:                           # commands inside: read them as maths
        return hlist(Reader(text).until(style, ()), style)
    font = "bf" if name in BOLD else "tx" if name.startswith("text") else "rm"
    return Box(word(text, font, style), cls, .69 * s)


def word(text: str, font: str, style: str) -> float:
    """The width of upright letters in a row: each as in running text (no italic correction between letters),
    the last as a maths letter ('rm' or 'bf': with its correction), spaces and others as text sets them."""
    s = SCALE[style]
    widths = [glyph("tx", c, style) or glyph(font, c, style) or UNKNOWN * s for c in text]
    if font == "bf":
        widths = [glyph("bf", c, style) or w for c, w in zip(text, widths)]
    last = glyph(font, text[-1], style) if text else None
    return sum(widths) + (last - widths[-1] if last is not None else 0.0)


def _accent(r: Reader, name: str, style: str) -> Box:
    body = r.argument(style)
    return Box(body.width, body.cls if body.cls != BIN else ORD, body.height + .25 * SCALE[style], body.depth)


def _brace(r: Reader, name: str, style: str) -> Box:
    """\\underbrace{x}_{note} and \\overbrace: the note under (over) the brace, centred."""
    body = r.argument(style)
    note = None
    if r.peek() in ("_", "^"):
        r.take()
        note = r.argument(SCRIPT[style])
    width = max(body.width, note.width if note else 0.0)
    extra = .5 + (note.height + note.depth if note else 0.0)
    return Box(width, ORD, body.height + (extra if name == "overbrace" else 0), body.depth + (extra if name == "underbrace" else 0))


def _phantom(r: Reader, name: str, style: str) -> Box:
    body = r.argument(style)
    return Box(0.0 if name == "vphantom" else body.width, ORD, body.height if name != "hphantom" else 0, body.depth)


def _class(r: Reader, name: str, style: str) -> Box:
    body = r.argument(style)
    body.cls = CLASSES[name]
    return body


def _skip(r: Reader, name: str, style: str) -> Box | None:
    """\\color{red}, \\textcolor{red}{x}, \\label{...}: the colour or label read and dropped."""
    r.raw()
    return r.argument(style) if name == "textcolor" else None


def _hspace(r: Reader, name: str, style: str) -> Box:
    text = r.raw()
    m = re.fullmatch(r"\s*(-?[\d.]+)\s*(em|pt|ex|mu)\s*", text)
    if not m:
        return Box(0.0, ORD, 0.0)
    value, unit = float(m.group(1)), m.group(2)
    return Box(value * {"em": 1.0, "pt": .1, "ex": .43, "mu": 1 / 18}[unit], ORD, 0.0)


def delimiter(token: str, needed: float, size: int | None = None) -> float:
    """The width of a fence around content ``needed`` em tall (or of the \\big size ``size``)."""
    widths = WIDE_DELIMS.get(token, WIDE_DELIMS["("] if token.startswith("\\") else (.389,) * 6)
    if size is None:
        size = next((k for k, h in enumerate(HEIGHTS) if h >= needed), 5)
    return widths[min(size, 5)]


def _fence_token(r: Reader) -> str:
    token = r.take()
    return token if token != "\\" else "."


def _left(r: Reader, name: str, style: str) -> Box:
    """\\left( ... \\right): the fences sized to the content, as TeX sizes them (delimiterfactor 901,
    shortfall 5 pt)."""
    opening = _fence_token(r)
    kids = r.until(style, ("\\right",))
    r.take()
    closing = _fence_token(r) if r.peek() is not None else "."
    inner = hlist(kids, style)
    half = max(inner.height - AXIS, inner.depth + AXIS)
    needed = max(2 * half * .901, 2 * half - .5)
    width = inner.width + delimiter(opening, needed) + delimiter(closing, needed)
    box = Box(width, INNER, max(inner.height, AXIS + needed / 2), max(inner.depth, needed / 2 - AXIS),
              kids=kids, fences=(opening, closing))
    return box


def _big(r: Reader, name: str, style: str) -> Box:
    token = _fence_token(r)
    cls = OPEN if name.endswith("l") else CLOSE if name.endswith("r") else REL if name.endswith("m") else ORD
    return Box(delimiter(token, 0, BIGS[name]), cls, .75 + .3 * BIGS[name], .25 + .3 * BIGS[name])


def _cells(r: Reader, style: str) -> list[list[Box]]:
    """An array's cells, row by row, up to its \\end."""
    rows, row = [], []
    while r.peek() is not None and r.peek() != "\\end":
        row.append(hlist(r.until(style, ("&", "\\\\", "\\end")), style))
        token = r.peek()
        if token == "&":
            r.take()
        elif token == "\\\\":
            r.take()
            rows.append(row)
            row = []
    if row and (len(row) > 1 or row[0].width > 0):
        rows.append(row)
    r.take()
    r.raw()                                                        # \end's {name}
    return rows


def _environment(r: Reader, name: str, style: str) -> Box:
    """\\begin{matrix} and its kin, array{ccc}, smallmatrix, cases, aligned: columns as wide as their widest
    cell, with \\arraycolsep between (and at the edges of an array)."""
    env = r.raw()
    spec = r.raw() if env == "array" else ""
    small = env == "smallmatrix"
    inner = "S" if small else ("D" if env in ("aligned", "gathered", "split") else "T")
    rows = _cells(r, inner)
    cols = max((len(row) for row in rows), default=0)
    widths = [max((row[c].width for row in rows if c < len(row)), default=0.0) for c in range(cols)]
    sep = (1 / 3 if small else COLSEP) * 2 if env not in ("aligned", "split") else 0.0
    width = sum(widths) + sep * max(cols - 1, 0) + (2 * COLSEP * (env == "array"))
    width *= SCALE[style] if style in ("S", "SS") else 1.0
    lines = sum(max(ROW * .7, max((c.height for c in row), default=0)) +
                max(ROW * .3, max((c.depth for c in row), default=0)) for row in rows) * (.7 if small else 1)
    fences = {"pmatrix": .875, "bmatrix": .667, "vmatrix": .333, "Vmatrix": .556, "cases": .889}
    width += 2 * fences.get(env, 0.0) if env != "cases" else fences["cases"]
    del spec
    return Box(width, INNER if env in fences else ORD, lines / 2 + AXIS, lines / 2 - AXIS)


COMMANDS = {
    **{n: _fraction for n in ("frac", "dfrac", "tfrac", "binom")}, "sqrt": _sqrt,
    **{n: _font for n in FONTS}, **{n: _accent for n in ACCENTS}, "underbrace": _brace, "overbrace": _brace,
    **{n: _phantom for n in ("phantom", "hphantom", "vphantom")}, **{n: _class for n in CLASSES},
    **{n: _skip for n in ("color", "textcolor", "label")}, "hspace": _hspace, "hspace*": _hspace,
    "left": _left, **{n: _big for n in BIGS}, "begin": _environment,
}


def parse(tex: str, style: str = "D") -> list[Box]:
    """A formula's top-level atoms, each with the span of the source it came from."""
    return Reader(tex).until(style, ())


@functools.lru_cache(maxsize=1 << 14)
def measure(tex: str, style: str = "D") -> Box:
    """The size of a formula (em of the maths font), set in ``style``: 'D' (a display), 'T' (in a line of text)."""
    return hlist(parse(tex, style), style)


def width(tex: str, style: str = "D") -> float:
    """The width of a formula, in em of the maths font."""
    return measure(tex, style).width


__all__ = ["Box", "parse", "measure", "width", "hlist", "ORD", "OP", "BIN", "REL", "OPEN", "CLOSE", "PUNCT", "INNER"]
