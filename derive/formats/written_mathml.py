"""A symbol's written form (derive.written) as MathML elements, in the DOM of SymPy's MathML printer."""

from __future__ import annotations

import re
from xml.dom.minidom import Document, Element

from ..written import Frac, Fenced, Op, Partial, Root, Row, Sym, Upright

# Characters of plain notation with their MathML element: identifiers (letters, ∂, ∞) or operators.
IDENTIFIERS = set("αβγδϵεζηθϑικλμνξπρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ∂∇∞ℓ…⋯⊤")
OPERATORS = set("′⟨⟩⌊⌋⌈⌉‖⋅×⊙∘±≤≥≠≈∈→∑∏")
FENCES = set("()[]|")
ACCENTS = {"tilde": "\u02dc", "bar": "\u00af", "hat": "^", "vec": "\u2192", "dot": "\u02d9", "ddot": "\u00a8",
           "check": "\u02c7"}
SPACES = {"\u2009": "0.167em", "~": "0.25em"}
_TOKENS = re.compile(r"\d+|\S|\u2009")
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


def styled(text: str, variant: str) -> str:
    """Text in one of Unicode's mathematical alphabets ('bold', 'script', ...); other characters as they are
    (browsers implement MathML's mathvariant only as 'normal')."""
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


class Writer:
    """MathML elements of notation, made in one DOM."""

    def __init__(self, dom: Document):
        self.dom = dom

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
        """One element for a sequence: itself when single, else an mrow."""
        return nodes[0] if len(nodes) == 1 else self.el("mrow", *nodes)

    def one(self, part) -> Element:
        return self.row(self.nodes(part))

    def _char(self, token: str) -> Element:
        if token.isdigit():
            return self.el("mn", text=token)
        if token.isalpha() and token not in IDENTIFIERS | OPERATORS or token in IDENTIFIERS:
            return self.el("mi", text=token)
        if token in SPACES:
            return self.el("mspace", width=SPACES[token])
        if token in FENCES or token in OPERATORS:
            return self.el("mo", text=token, stretchy="false")
        return self.el("mo", text=token)

    def text(self, s: str) -> list[Element]:
        nodes: list[Element] = []
        for token in _TOKENS.findall(s):
            if token == "′" and nodes:
                nodes.append(self._primed(nodes.pop(), 1))
            else:
                nodes.append(self._char(token))
        return nodes

    def _primed(self, base: Element, primes: int) -> Element:
        for _ in range(primes):
            base = self.el("mrow", base, self.el("mo", text="\u2032", lspace="0", rspace="0"))
        return base

    def sym(self, s: Sym) -> Element:
        base = self.one(s.base)
        if s.bold:
            base = self.el("mi", text=styled(base.firstChild.data, "bold")) if base.tagName == "mi" else base
        if s.accent:
            base = self.el("mover", base, self.el("mo", text=ACCENTS[s.accent], stretchy="false"), accent="true")
        base = self._primed(base, s.primes)
        top = s.superscript()
        sub = self.one(s.sub) if s.sub is not None else None
        sup = self.one(top) if top is not None else None
        if sub is not None and sup is not None:
            return self.el("msubsup", base, sub, sup)
        if sup is not None:
            return self.el("msup", base, sup)
        return self.el("msub", base, sub) if sub is not None else base

    def fence(self, f: str) -> Element:
        return self.el("mo", text="" if f == "." else f)

    def fenced(self, f: Fenced) -> list[Element]:
        if not f.sized:
            return self.text(f.left) + self.nodes(f.inner) + self.text(f.right)
        return [self.el("mrow", self.fence(f.left), *self.nodes(f.inner), self.fence(f.right))]

    def word(self, text: str) -> Element:
        """An upright name: mathvariant normal on a single letter (browsers set one letter in italics)."""
        return self.el("mi", text=text, **({"mathvariant": "normal"} if len(text) == 1 else {}))

    def nodes(self, part) -> list[Element]:
        """The elements of a part, in a row."""
        if isinstance(part, str):
            return self.text(part)
        if isinstance(part, Sym):
            return [self.sym(part)]
        if isinstance(part, Op):
            return [self.word(part.name)]
        if isinstance(part, Upright):
            return [self.el("mtext", text=part.text) if part.words else self.word(part.text)]
        if isinstance(part, Frac):
            return [self.el("mfrac", self.one(part.num), self.one(part.den))]
        if isinstance(part, Partial) and part.inline:
            return self.nodes(Row("∂", part.of, "/∂", part.wrt))
        if isinstance(part, Partial):
            return [self.el("mfrac", self.one(Row("∂", part.of)), self.one(Row("∂", part.wrt)))]
        if isinstance(part, Fenced):
            return self.fenced(part)
        if isinstance(part, Row):
            return [node for p in part.parts for node in self.nodes(p)]
        if isinstance(part, Root):
            return [self.el("mi", text="\u221a")]
        raise TypeError(f"not a piece of notation: {part!r}")


def element(dom: Document, part) -> Element:
    """MathML for a piece of notation (one element: an mrow when it has several)."""
    writer = Writer(dom)
    nodes = writer.nodes(part)
    return writer.row(nodes) if nodes else writer.el("mrow")
