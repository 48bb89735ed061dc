"""MathML for the pieces of a derivation, in the problem's notation: SymPy's presentation printer,
with symbols and functions written as the kind's notation says (derive.written, printed by
derive.formats.written_mathml), so a symbol reads the same in the PDF and in the browser.
"""

from __future__ import annotations

import functools
import html
from xml.dom.minidom import Document, Element, Text

import sympy
from sympy.core.sorting import default_sort_key
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.simplify.radsimp import fraction

from ..notation import EMPTY, Notation
from ..written import ROOT
from . import latex as tex                    # which rows and columns of a matrix show: the LaTeX key's choice
from .written_mathml import element as written_element, styled

RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": "\u2264", ">=": "\u2265", "approx": "\u2248"}


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
        if not expr.free_symbols or expr != sympy.Add(*expr.args) or tex.written_terms(expr):
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
        written = self.notation.get(sym)
        return written_element(self.dom, written) if written is not None else super()._print_Symbol(sym, style)

    def _print_MatrixSymbol(self, sym):
        written = self.notation.matrix_written(sym.name)
        return written_element(self.dom, written) if written is not None else super()._print_MatrixSymbol(sym)

    def _print_Exp1(self, e):
        return self._el("mi", text="e")

    def _print_Function(self, e):
        name = type(e).__name__
        written = self.notation.get(type(e))
        if written is not None:
            head = written_element(self.dom, written)
        else:
            head = self._el("mi", text=name)
        args = self._el("mrow")
        for k, arg in enumerate(e.args):
            if k:
                args.appendChild(self._el("mo", text=","))
            args.appendChild(self._print(arg))
        if written == ROOT:                                      # a root covers its argument
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

    def _dotted(self, args, fractions_bare: bool = False) -> Element:
        row = self._el("mrow")
        for k, arg in enumerate(args):
            if k:
                row.appendChild(self._el("mo", text="\u22c5"))
            bare = fractions_bare and tex.fraction_like(arg) and not arg.could_extract_minus_sign()
            row.appendChild(self._print(arg) if bare else self.parenthesize(arg, PRECEDENCE["Mul"]))
        return row

    def _print_Plus(self, e):
        return super()._print_Add(sympy.Add(*e.args, evaluate=False), order="none")

    def _print_Times(self, e):
        return self._dotted(e.args)

    def _print_Mul(self, expr):
        """As the LaTeX key: arithmetic on numbers shown as written, a dot between every factor."""
        written = self._numbers_as_written(expr)
        if written is not None:
            return written
        if expr.could_extract_minus_sign():
            return self._el("mrow", self._el("mo", text="-"), self._print(-expr))
        numer, denom = fraction(expr, exact=True)
        if denom is not sympy.S.One:
            return self._el("mfrac", self._print(numer), self._print(denom))
        row, previous = self._el("mrow"), None
        factors = tex.sums_last(expr.as_ordered_factors()) or expr.args
        for factor in factors:                            # in the order the LaTeX key prints them
            if previous is not None:
                both_numbers = previous.is_number and factor.is_number
                row.appendChild(self._el("mo", text="\u22c5" if both_numbers else "\u2062"))
            row.appendChild(self.parenthesize(factor, PRECEDENCE["Mul"]))
            previous = factor
        return row

    def _numbers_as_written(self, expr) -> Element | None:
        """A product whose numbers show as written: (1 + 3 ⋅ 3) ⋅ 10; −0.5, not (−1) ⋅ 0.5 (a sign, not a
        factor); 3.2 s; 0.5 ⋅ 1/y; 3 ⋅ x/y (not 0.5½). None for any other product."""
        if isinstance(expr, sympy.Mul) and not expr.free_symbols and any(isinstance(a, sympy.Add) for a in expr.args):
            return self._dotted(expr.args)
        negated = tex.negated_number(expr)
        if negated is not None:
            rest = self._print(negated)
            return self._el("mrow", self._el("mo", text="-"),
                            self._fenced(rest) if negated.is_Number and negated.is_negative else rest)
        split = tex.decimal_coefficient(expr) if getattr(self.notation, "decimals", False) else None
        if split is not None:
            rest = self.parenthesize(split[1], PRECEDENCE["Mul"], strict=True)
            times = "\u22c5" if split[1].is_number or rest.tagName == "mfrac" else "\u2062"
            return self._el("mrow", self._print(split[0]), self._el("mo", text=times), rest)
        if isinstance(expr, sympy.Mul) and tex.number_meets_number(expr):
            return self._dotted(expr.args, fractions_bare=True)
        return None

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

    def _print_Rational(self, e):
        """As the LaTeX key: in a notation of decimals, 3.2 for 16/5 and 10⁻⁸ for 1/10⁸."""
        if not getattr(self.notation, "decimals", False) or e.is_Integer:
            return super()._print_Rational(e)
        power = tex.scientific(e)
        if power is not None:
            return self._power_of_ten(*power)
        text = tex.decimal_text(e)
        if text is None:
            return super()._print_Rational(e)
        number = self._el("mn", text=text.lstrip("-"))
        return self._el("mrow", self._el("mo", text="-"), number) if e < 0 else number

    def parenthesize(self, item, level, strict=False):
        """As the LaTeX key: a positive decimal of a notation of decimals is a plain number."""
        if getattr(self.notation, "decimals", False) and isinstance(item, sympy.Rational) and item > 0 \
                and tex.decimal_text(item) is not None:
            return self._print(item)
        return super().parenthesize(item, level, strict)

    def _print_Float(self, e):
        """As the LaTeX key: below 10⁻⁴ or from 10¹⁵ up, a power of ten at any precision."""
        power = tex.scientific(e)
        return self._power_of_ten(*power) if power is not None else super()._print_Float(e)

    def _power_of_ten(self, mantissa: str, exponent: int):
        negative, digits = mantissa.startswith("-"), mantissa.lstrip("-")
        power = self._el("msup", self._el("mn", text="10"), self._el("mn", text=str(exponent).replace("-", "\u2212")))
        row = self._el("mrow", *([self._el("mo", text="-")] if negative else []))
        if digits != "1":
            row.appendChild(self._el("mn", text=digits))
            row.appendChild(self._el("mo", text="\u00b7"))               # as SymPy sets 1.268·10³⁰
        row.appendChild(power)
        return row

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

