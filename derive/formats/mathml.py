"""MathML for the pieces of a derivation, in the problem's notation: SymPy's presentation printer,
with symbols and functions given the same notation as the LaTeX key.

The notation is written once, as LaTeX (derive.formats.latex); ``tex_to_mathml`` reads the LaTeX such
notation is written in (scripts, groups, fractions, fences, accents, fonts, Greek letters, operators,
primes) into MathML, so a symbol reads the same in the PDF and in the browser.
"""

from __future__ import annotations

import functools
import html
import re
from xml.dom.minidom import Document, Element, Text

import sympy
from sympy.core.sorting import default_sort_key
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.simplify.radsimp import fraction

from ..notation import EMPTY, Notation
from . import latex as tex

GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("vartheta", 0x3D1),
    ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE),
    ("pi", 0x3C0), ("rho", 0x3C1), ("varrho", 0x3F1), ("sigma", 0x3C3), ("varsigma", 0x3C2), ("tau", 0x3C4),
    ("upsilon", 0x3C5), ("phi", 0x3D5), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9),
    ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0),
    ("Sigma", 0x3A3), ("Upsilon", 0x3A5), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9))}
# Commands that print one character: (MathML element, character).
SYMBOLS = {
    "partial": ("mi", "\u2202"), "nabla": ("mi", "\u2207"), "infty": ("mi", "\u221e"), "ell": ("mi", "\u2113"),
    "dots": ("mi", "\u2026"), "ldots": ("mi", "\u2026"), "cdots": ("mi", "\u22ef"), "prime": ("mo", "\u2032"),
    "langle": ("mo", "\u27e8"), "rangle": ("mo", "\u27e9"), "lfloor": ("mo", "\u230a"), "rfloor": ("mo", "\u230b"),
    "lceil": ("mo", "\u2308"), "rceil": ("mo", "\u2309"), "|": ("mo", "\u2016"), "Vert": ("mo", "\u2016"),
    "vert": ("mo", "|"), "{": ("mo", "{"), "}": ("mo", "}"), "lbrace": ("mo", "{"), "rbrace": ("mo", "}"),
    "cdot": ("mo", "\u22c5"), "times": ("mo", "\u00d7"), "odot": ("mo", "\u2299"), "circ": ("mo", "\u2218"),
    "pm": ("mo", "\u00b1"), "mp": ("mo", "\u2213"), "le": ("mo", "\u2264"), "leq": ("mo", "\u2264"),
    "ge": ("mo", "\u2265"), "geq": ("mo", "\u2265"), "ne": ("mo", "\u2260"), "neq": ("mo", "\u2260"),
    "approx": ("mo", "\u2248"), "sim": ("mo", "\u223c"), "equiv": ("mo", "\u2261"), "in": ("mo", "\u2208"),
    "to": ("mo", "\u2192"), "rightarrow": ("mo", "\u2192"), "leftarrow": ("mo", "\u2190"), "mapsto": ("mo", "\u21a6"),
    "sum": ("mo", "\u2211"), "prod": ("mo", "\u220f"), "top": ("mi", "\u22a4"), "%": ("mo", "%"), "&": ("mo", "&"),
    "#": ("mo", "#"), "_": ("mo", "_"), "$": ("mo", "$"),
}
NAMED = {"max", "min", "log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "dim", "sup",
         "inf", "lim", "arg", "sgn", "diag", "tr", "rank"}
ACCENTS = {"tilde": "\u02dc", "bar": "\u00af", "overline": "\u00af", "hat": "^", "widehat": "^", "vec": "\u2192",
           "dot": "\u02d9", "ddot": "\u00a8", "check": "\u02c7"}
FONTS = {"mathrm": "normal", "textrm": "normal", "text": "normal", "mathit": "italic", "mathbf": "bold",
         "boldsymbol": "bold-italic", "bm": "bold-italic", "mathcal": "script", "mathbb": "double-struck",
         "operatorname": "normal", "mathsf": "sans-serif"}
SPACES = {",": "0.167em", ":": "0.222em", ";": "0.278em", " ": "0.25em", "quad": "1em", "qquad": "2em", "!": "0em"}
SIZES = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "textstyle", "limits"}
RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": "\u2264", ">=": "\u2265", "approx": "\u2248"}
# Unicode's mathematical alphabets (browsers implement MathML's mathvariant only as 'normal'):
# the first capital, small letter and digit of each, and the letters that live elsewhere.
ALPHABETS = {"bold": (0x1D400, 0x1D41A, 0x1D7CE), "italic": (0x1D434, 0x1D44E, None),
             "bold-italic": (0x1D468, 0x1D482, None), "script": (0x1D49C, 0x1D4B6, None),
             "double-struck": (0x1D538, 0x1D552, 0x1D7D8), "sans-serif": (0x1D5A0, 0x1D5BA, 0x1D7E2)}
HOLES = {("italic", "h"): "\u210e", ("script", "B"): "\u212c", ("script", "E"): "\u2130",
         ("script", "F"): "\u2131", ("script", "H"): "\u210b", ("script", "I"): "\u2110",
         ("script", "L"): "\u2112", ("script", "M"): "\u2133", ("script", "R"): "\u211b",
         ("script", "e"): "\u212f", ("script", "g"): "\u210a", ("script", "o"): "\u2134",
         ("double-struck", "C"): "\u2102", ("double-struck", "H"): "\u210d", ("double-struck", "N"): "\u2115",
         ("double-struck", "P"): "\u2119", ("double-struck", "Q"): "\u211a", ("double-struck", "R"): "\u211d",
         ("double-struck", "Z"): "\u2124"}
TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+|\S")


def styled(text: str, variant: str) -> str:
    """Text in one of Unicode's mathematical alphabets ('bold', 'script', ...); other characters as they are."""
    if variant not in ALPHABETS:
        return text
    capital, small, digit = ALPHABETS[variant]
    out = []
    for ch in text:
        if (variant, ch) in HOLES:
            out.append(HOLES[(variant, ch)])
        elif "A" <= ch <= "Z":
            out.append(chr(capital + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(small + ord(ch) - ord("a")))
        elif "0" <= ch <= "9" and digit is not None:
            out.append(chr(digit + ord(ch) - ord("0")))
        else:
            out.append(ch)
    return "".join(out)


class _TexReader:
    """A reader of the LaTeX the notation is written in (scripts, groups, fractions, roots, fences,
    accents, fonts, Greek, operators): MathML elements in one DOM. It never fails: a command it does not
    know prints as its name, and ``unknown`` lists them (a test keeps that list empty)."""

    def __init__(self, dom: Document, source: str):
        self.dom, self.tokens, self.pos, self.unknown = dom, TOKEN.findall(source), 0, []

    def el(self, tag: str, *children, text: str | None = None, **attrs) -> Element:
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        for key, value in attrs.items():
            node.setAttribute(key, value)
        return node

    def row(self, nodes: list[Element]) -> Element:
        return nodes[0] if len(nodes) == 1 else self.el("mrow", *nodes)

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        self.pos += 1
        return token if token is not None else "}"

    def sequence(self, stop: tuple[str, ...] = ()) -> list[Element]:
        nodes: list[Element] = []
        while self.peek() is not None and self.peek() not in stop:
            if self.peek() in ("^", "_", "'"):
                base = nodes.pop() if nodes else self.el("mrow")
                nodes.append(self.scripts(base))
            elif self.peek() in ("}", "&", "\\\\"):
                self.take()                                  # stray: skipped
            else:
                nodes.append(self.atom())
        return nodes

    def scripts(self, base: Element) -> Element:
        sub = sup = None
        while self.peek() in ("^", "_", "'"):
            token = self.take()
            if token == "'":
                base = self.el("mrow", base, self.el("mo", text="\u2032", lspace="0", rspace="0"))
            elif token == "^":
                sup = self.group()
            else:
                sub = self.group()
        if sub is not None and sup is not None:
            return self.el("msubsup", base, sub, sup)
        if sup is not None:
            return self.el("msup", base, sup)
        return self.el("msub", base, sub) if sub is not None else base

    def group(self) -> Element:
        """A braced group, or the next atom."""
        if self.peek() == "{":
            self.take()
            nodes = self.sequence(("}",))
            self.take()
            return self.row(nodes) if nodes else self.el("mrow")
        if self.peek() is None:
            return self.el("mrow")
        return self.atom()

    def word(self) -> str:
        """The text of a braced group, as written ('relu', 'max')."""
        if self.peek() != "{":
            return self.take().lstrip("\\")
        self.take()
        letters, depth = [], 0
        while self.peek() is not None and (self.peek() != "}" or depth):
            token = self.take()
            depth += token == "{"
            depth -= token == "}"
            letters.append(" " if token in ("\\ ", "\\,") else token.lstrip("\\") if len(token) == 2 else token)
        self.take()
        return "".join(letters)

    def fence(self, token: str) -> Element:
        if token == ".":
            return self.el("mo", text="")
        if token.startswith("\\") and token[1:] in SYMBOLS:
            return self.el("mo", text=SYMBOLS[token[1:]][1])
        return self.el("mo", text=token.lstrip("\\"))

    def command(self, name: str) -> Element:
        if name == "frac" or name in ("dfrac", "tfrac"):
            return self.el("mfrac", self.group(), self.group())
        if name == "sqrt":
            return self.el("msqrt", self.group())
        if name == "left":
            opening = self.fence(self.take())
            inner = self.sequence(("\\right",))
            self.take()
            return self.el("mrow", opening, *inner, self.fence(self.take()))
        if name in FONTS:
            text = self.word()
            if name in ("text", "textrm"):
                return self.el("mtext", text=text)
            if FONTS[name] == "normal":
                return self.el("mi", text=text, **({"mathvariant": "normal"} if len(text) == 1 else {}))
            return self.el("mi", text=styled(text, FONTS[name]))
        if name in ACCENTS:
            return self.el("mover", self.group(), self.el("mo", text=ACCENTS[name], stretchy="false"),
                           accent="true")
        if name in GREEK:
            return self.el("mi", text=GREEK[name])
        if name in SYMBOLS:
            tag, char = SYMBOLS[name]
            return self.el(tag, text=char, stretchy="false") if tag == "mo" else self.el(tag, text=char)
        if name in NAMED:
            return self.el("mi", text=name)
        if name in SPACES:
            return self.el("mspace", width=SPACES[name])
        if name in SIZES:
            return self.el("mrow")
        self.unknown.append(name)
        return self.el("mi", text=name)

    def atom(self) -> Element:
        token = self.take()
        if token == "{":
            self.pos -= 1
            return self.group()
        if token.startswith("\\"):
            return self.command(token[1:])
        if token.isdigit():
            return self.el("mn", text=token)
        if token.isalpha():
            return self.el("mi", text=token)
        if token in "()[]|":
            return self.el("mo", text=token, stretchy="false")
        if token == "~":
            return self.el("mspace", width="0.25em")
        return self.el("mo", text=token)


def tex_to_mathml(dom: Document, source: str) -> Element:
    """MathML for a formula of the notation, written in LaTeX."""
    reader = _TexReader(dom, source)
    nodes = reader.sequence()
    return reader.row(nodes) if nodes else reader.el("mrow")


def unknown_commands(source: str) -> list[str]:
    """The LaTeX commands of a notation formula that tex_to_mathml does not know."""
    reader = _TexReader(Document(), source)
    reader.sequence()
    return reader.unknown


def _text_node(dom: Document, data: str) -> Text:
    """An ordinary (escaped) text node; SymPy writes entities such as '&#x2202;' into its text."""
    node = Text()
    data = html.unescape(data)
    node.data = "\u2212" + data[1:] if data.startswith("-") else data          # a minus sign, not a hyphen
    node.ownerDocument = dom
    return node


class Printer(MathMLPresentationPrinter):
    """SymPy's presentation-MathML printer speaking the problem's notation."""

    def __init__(self, notation: Notation = EMPTY, room=None):
        super().__init__({"mul_symbol": None})
        self.notation, self.room = notation, room
        dom = self.dom
        dom.createTextNode = lambda data: _text_node(dom, data)      # proper escaping of '<', '&'

    def _print_Add(self, expr, order=None):
        """As in the LaTeX printer: arithmetic built unevaluated keeps its written order."""
        if not expr.free_symbols or expr != sympy.Add(*expr.args):
            return super()._print_Add(expr, order="none")
        return super()._print_Add(expr, order=order)

    def doprint(self, expr) -> str:
        node = self._print(expr)
        _settle_fences(node)
        return node.toxml()

    def _el(self, tag: str, *children, text: str | None = None) -> Element:
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _fenced(self, inner: Element, left: str = "(", right: str = ")") -> Element:
        return self._el("mrow", self._el("mo", text=left), inner, self._el("mo", text=right))

    def _print_Symbol(self, sym, style="plain"):
        notation = self.notation.get(sym)
        return tex_to_mathml(self.dom, notation) if notation else super()._print_Symbol(sym, style)

    def _print_MatrixSymbol(self, sym):
        notation = self.notation.matrix_latex(sym.name)
        return tex_to_mathml(self.dom, notation) if notation else super()._print_MatrixSymbol(sym)

    def _print_Exp1(self, e):
        return self._el("mi", text="e")

    def _print_Function(self, e):
        name = type(e).__name__
        latex = self.notation.get(type(e))
        if latex is not None:
            head = tex_to_mathml(self.dom, latex)
        else:
            head = self._el("mi", text=name)
        args = self._el("mrow")
        for k, arg in enumerate(e.args):
            if k:
                args.appendChild(self._el("mo", text=","))
            args.appendChild(self._print(arg))
        if latex == r"\sqrt":                                   # a root covers its argument
            return self._el("msqrt", args)
        return self._el("mrow", head, self._el("mo", text="\u2061"), self._fenced(args))

    def _print_Heaviside(self, e):
        rel = "\u2265" if e.args[1:] == (1,) else ">"        # H(u, 1) is 1 at u = 0
        inner = self._el("mrow", self._print(e.args[0]), self._el("mo", text=rel), self._el("mn", text="0"))
        return self._el("mrow", self._el("mn", text=styled("1", "bold")), self._fenced(inner, "[", "]"))

    def _print_FloorDiv(self, e):
        n, d = (self._print(a) for a in e.args)
        return self._fenced(self._el("mfrac", n, d), "\u230a", "\u230b")

    def _print_Quotient(self, e):
        n, d = (self._print(a) for a in e.args)
        return self._el("mfrac", n, d)

    def _dotted(self, args) -> Element:
        row = self._el("mrow")
        for k, arg in enumerate(args):
            if k:
                row.appendChild(self._el("mo", text="\u22c5"))
            row.appendChild(self.parenthesize(arg, PRECEDENCE["Mul"]))
        return row

    def _print_Times(self, e):
        return self._dotted(e.args)

    def _print_Mul(self, expr):
        """As the LaTeX key: arithmetic on numbers shown as written, a dot between every factor."""
        if isinstance(expr, sympy.Mul) and not expr.free_symbols and any(isinstance(a, sympy.Add) for a in expr.args):
            return self._dotted(expr.args)
        if expr.could_extract_minus_sign():
            return self._el("mrow", self._el("mo", text="-"), self._print(-expr))
        numer, denom = fraction(expr, exact=True)
        if denom is not sympy.S.One:
            return self._el("mfrac", self._print(numer), self._print(denom))
        row, previous = self._el("mrow"), None
        for factor in expr.args:                          # in the order the LaTeX key prints them
            if previous is not None:
                both_numbers = previous.is_number and factor.is_number
                row.appendChild(self._el("mo", text="\u22c5" if both_numbers else "\u2062"))
            row.appendChild(self.parenthesize(factor, PRECEDENCE["Mul"]))
            previous = factor
        return row

    def _print_Max(self, e):
        """max(...) and min(...) as the LaTeX key prints them: an upright name, the arguments sorted."""
        args = self._el("mrow")
        for k, arg in enumerate(sorted(e.args, key=default_sort_key)):
            if k:
                args.appendChild(self._el("mo", text=","))
            args.appendChild(self._print(arg))
        return self._el("mrow", self._el("mi", text=type(e).__name__.lower()), self._el("mo", text="\u2061"),
                        self._fenced(args))

    _print_Min = _print_Max

    def _print_Integer(self, e):
        number = self._el("mn", text=str(abs(int(e))))
        return self._el("mrow", self._el("mo", text="-"), number) if e < 0 else number

    def _print_Pow(self, e):
        """As SymPy's, but a base that already carries a script is parenthesised: (a*)^2, not a*^2."""
        out = super()._print_Pow(e)
        if out.tagName == "msup" and out.firstChild.tagName in ("msup", "msubsup"):
            base, exponent = out.childNodes
            return self._el("msup", self._fenced(base), exponent)
        return out

    def _print_MatrixBase(self, m):
        """SymPy's; in a room too small for it, the rows and columns the LaTeX key shows (dots for the others),
        its size under it."""
        shown = tex.printer(self.notation, self.room).shown(m) if self.room is not None else None
        if shown is None:
            return super()._print_MatrixBase(m)
        table = self._el("mtable")
        for i in shown[0]:
            table.appendChild(self._el("mtr", *(self._el("mtd", self._dots(i, j) if i is None or j is None
                                                          else self._print(m[i, j])) for j in shown[1])))
        size = self._el("mrow", self._el("mn", text=str(m.rows)), self._el("mo", text="\u00d7"),
                        self._el("mn", text=str(m.cols)))
        return self._el("munder", self._fenced(table, "[", "]"), size)

    def _dots(self, i, j) -> Element:
        return self._el("mo", text="\u22f1" if i is None and j is None else "\u22ee" if i is None else "\u22ef")

    def _print_Abs(self, expr, exp=None):
        return self._fenced(self._print(expr.args[0]), "|", "|")


FENCES = set("()[]|\u230a\u230b")
TALL = ("mfrac", "mtable", "munder", "mover", "msqrt", "mroot")


def _settle_fences(node: Element) -> None:
    """Brackets around flat content do not stretch (Chromium pads a stretchy bracket); around
    fractions and matrices they do."""
    for row in node.getElementsByTagName("mrow") + ([node] if node.tagName == "mrow" else []):
        kids = [k for k in row.childNodes if isinstance(k, Element)]
        if len(kids) < 2 or not any(k.tagName == "mo" and k.firstChild is not None
                                    and k.firstChild.data in FENCES for k in (kids[0], kids[-1])):
            continue
        tall = any(inner.getElementsByTagName(tag) or inner.tagName == tag for inner in kids[1:-1] for tag in TALL)
        if not tall:
            for k in (kids[0], kids[-1]):
                if k.tagName == "mo" and not k.hasAttribute("stretchy"):
                    k.setAttribute("stretchy", "false")


@functools.lru_cache(maxsize=64)
def _printer(notation: Notation = EMPTY, room=None) -> Printer:
    return Printer(notation, room)


@functools.lru_cache(maxsize=1 << 16)
def element(expr, notation: Notation = EMPTY, room=None) -> str:
    """MathML (without the <math> wrapper) of an expression in a kind's notation, its matrices shown as the
    LaTeX key shows them in ``room`` (a derive.formats.layout.Room; all of them without one)."""
    return _printer(notation, room).doprint(expr)


def relation(rel: str) -> str:
    """MathML of a relation of a chain ('=', '<=', 'approx', ...)."""
    return f"<mo>{html.escape(RELATIONS[rel])}</mo>"

