"""LaTeX for the pieces of a derivation: the problem's notation, prose, chains of relations."""

from __future__ import annotations

import functools
import re

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..notation import EMPTY, Notation
from ..steps import Answer, Chain, Let, Text
from ..written import ROOT
from .written_tex import tex

RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": r"\le", ">=": r"\ge", "approx": r"\approx"}
UNICODE = {
    "×": r"$\times$", "−": "$-$", "←": r"$\leftarrow$", "→": r"$\to$", "∞": r"$\infty$", "⌈": r"$\lceil$",
    "⌉": r"$\rceil$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "·": r"$\cdot$", "≤": r"$\le$", "≥": r"$\ge$",
    "…": r"\dots{}", "φ": r"$\phi$", "′": "'", "γ": r"$\gamma$", "ρ": r"$\rho$", "σ": r"$\sigma$", "“": "``", "”": "''", "’": "'", "‘": "`", "–": "--", "—": "---", "∂": r"$\partial$",
}
SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
           "~": r"\~{}", "^": r"\^{}", "\\": r"$\backslash$", "<": "$<$", ">": "$>$", "|": r"$|$"}


class Printer(LatexPrinter):
    """SymPy's LaTeX printer speaking a kind's notation (symbols, matrices and functions by object)."""

    def __init__(self, notation: Notation = EMPTY):
        super().__init__({"mul_symbol": None})
        self.notation = notation

    def _print_Add(self, expr, order=None):
        """Arithmetic built unevaluated keeps the order it was written in; the rest is ordered as usual."""
        if not expr.free_symbols or expr != sympy.Add(*expr.args):
            return super()._print_Add(expr, order="none")
        return super()._print_Add(expr, order=order)

    def _print_FloorDiv(self, expr, exp=None):
        n, d = (self._print(a) for a in expr.args)
        return rf"\left\lfloor \frac{{{n}}}{{{d}}} \right\rfloor"

    def _print_Times(self, expr, exp=None):
        return r" \cdot ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_Quotient(self, expr, exp=None):
        n, d = (self._print(a) for a in expr.args)
        return rf"\frac{{{n}}}{{{d}}}"

    def _print_Symbol(self, expr, style="plain"):
        written = self.notation.get(expr)
        return tex(written) if written is not None else super()._print_Symbol(expr, style)

    def _print_MatrixSymbol(self, expr):
        written = self.notation.matrix_written(expr.name)
        return tex(written) if written is not None else super()._print_MatrixSymbol(expr)

    def _print_Function(self, expr, exp=None):
        head = self.notation.get(type(expr))
        if head is not None:
            args = ", ".join(self._print(a) for a in expr.args)
            out = rf"\sqrt{{{args}}}" if head == ROOT else rf"{tex(head)}\left({args}\right)"   # a root covers its argument
            return out if exp is None else rf"{out}^{{{exp}}}"
        return super()._print_Function(expr, exp)

    def _print_Heaviside(self, expr, exp=None):
        rel = r"\geq" if expr.args[1:] == (1,) else ">"      # H(u, 1) is 1 at u = 0
        out = rf"\mathbf{{1}}\left[{self._print(expr.args[0])} {rel} 0\right]"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    ENTRIES = 1 << 16                       # matrix entries remembered by a printer, at most

    def _entry(self, e) -> str:
        """A matrix entry's text, printed once per printer: by the object (a banded matrix's zeros are one), and
        for an entry without floats, whose structure alone decides its text, by its value too (a vector shown in
        two questions, one derived in another process, prints alike). Remembered entries are kept alive, so an
        id stays theirs."""
        by_id, by_value = self.__dict__.setdefault("_entries", ({}, {}))
        known = by_id.get(id(e))
        if known is not None:
            return known[1]
        if len(by_id) > self.ENTRIES:
            by_id.clear()
            by_value.clear()
        exact = isinstance(e, sympy.Basic) and not e.has(sympy.Float)
        text = by_value.get(e) if exact else None
        if text is None:
            text = self._print(e)
            if exact:
                by_value[e] = text
        by_id[id(e)] = (e, text)
        return text

    def _print_matrix_contents(self, expr):
        """SymPy's matrix body, the rows read at once and each entry printed once per printer (``_entry``): the
        same text as SymPy's, an entry printing the same wherever a matrix holds it."""
        lines = [" & ".join([self._entry(e) for e in row]) for row in expr.tolist()]
        mat_str = self._settings["mat_str"]
        if mat_str is None:
            if self._settings["mode"] == "inline":
                mat_str = "smallmatrix"
            else:
                mat_str = "matrix" if (expr.cols <= 10) is True else "array"
        out_str = r"\begin{%MATSTR%}%s\end{%MATSTR%}".replace("%MATSTR%", mat_str)
        if mat_str == "array":
            out_str = out_str.replace("%s", "{" + "c" * expr.cols + "}%s")
        return out_str % r"\\".join(lines)

    def _print_MatMul(self, expr):
        """SymPy's, without its sign test when the first factor is not a number: that test (is the product its
        own negative?) multiplies explicit matrices out, and without a leading number its answer is no, so the
        product's precedence is a product's."""
        if type(expr) is sympy.MatMul and expr.args and not expr.args[0].is_Number:
            level = PRECEDENCE["Mul"]
            return " ".join(self._print(a) if isinstance(a, sympy.Mul) and not isinstance(a, sympy.MatMul)
                            else self.parenthesize(a, level, False) for a in expr.args)
        return super()._print_MatMul(expr)

    def _print_Mul(self, expr):
        """Arithmetic on numbers shown as written, a dot between every factor: (1 + 3·3·3)·10. (SymPy's printer
        hands a power with a negative exponent here too, to be set as a fraction: that is not a product.)"""
        if isinstance(expr, sympy.Mul) and not expr.free_symbols and any(isinstance(a, sympy.Add) for a in expr.args):
            return r" \cdot ".join(self.parenthesize(a, PRECEDENCE["Mul"])
                                   for a in expr.args)
        return super()._print_Mul(expr)


@functools.lru_cache(maxsize=64)
def printer(notation: Notation = EMPTY) -> Printer:
    """The printer of a notation (one per notation, reused)."""
    return Printer(notation)


@functools.lru_cache(maxsize=1 << 16)
def math(expr, notation: Notation = EMPTY) -> str:
    """LaTeX of an expression in a kind's notation (each printed once per run: a chain is measured for its
    rows and then laid out, and every format after the first reuses it)."""
    return printer(notation).doprint(expr)


# Characters beyond ASCII that pdflatex sets as they are (inputenc utf8, the OT1 fonts of
# texlive-latex-base): accented Latin letters, punctuation, currency and a few symbols.
TEXT_CHARS = "¡¢£¤¥¦§¨©ª¬®¯°±²³´µ¶·¸¹º¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖ×ØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõö÷øùúûüýÿĀāĂăĆćĈĉĊċČčĎďĒēĔĕĖėĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭİıĲĳĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŴŵŶŷŸŹźŻżŽžƒǄǅǆǇǈǉǊǋǌǍǎǏǐǑǒǓǔǢǣǦǧǨǩǰǴǵȘșȚțȲȳȷ‐‑‒–—―‖‘’“”†‡•…‰‱※‽⁄⁎⁒₡₤₦₩₫€₱℃№℗℞℠™Ω℧℮←↑→↓"
GREEK = dict(zip("αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ", (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho sigma tau upsilon phi chi"
    " psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()))
# Dropped: control characters, and the invisible ones that reorder or join text (bidi, zero-width).
INVISIBLE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0xAD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F,
             0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF]


# Mathematical symbols in prose, set as maths.
SYMBOLS = {"∇": r"$\nabla$", "∑": r"$\sum$", "∏": r"$\prod$", "√": r"$\surd$", "∈": r"$\in$", "∉": r"$\notin$",
           "≈": r"$\approx$", "≠": r"$\neq$", "≡": r"$\equiv$", "∝": r"$\propto$", "∀": r"$\forall$",
           "∃": r"$\exists$", "⊙": r"$\odot$", "⊗": r"$\otimes$", "⋅": r"$\cdot$", "±": r"$\pm$", "∘": r"$\circ$",
           "⟨": r"$\langle$", "⟩": r"$\rangle$", "ℝ": r"$\mathbb{R}$", "‖": r"$\|$"}
# Unicode sub- and superscripts in prose (Qᵢ, Kᵀ, x₁): set as maths.
SCRIPTS = {**{chr(0x2080 + d): f"$_{d}$" for d in range(10)}, **{c: f"$^{d}$" for c, d in zip("⁰⁴⁵⁶⁷⁸⁹", "0456789")},
           "ᵢ": "$_i$", "ⱼ": "$_j$", "ₖ": "$_k$", "ₙ": "$_n$", "ₜ": "$_t$", "ₘ": "$_m$", "ᵀ": r"$^{\top}$",
           "⁺": "$^+$", "⁻": "$^-$", "ⁿ": "$^n$", "ᵗ": "$^t$"}


def _escape_table() -> dict[int, str]:
    table = {code: "" for code in INVISIBLE}
    table.update({ord(c): out for c, out in {**SCRIPTS, **SYMBOLS}.items()})
    table.update({ord(c): " " for c in "\t\n\r\u2028\u2029"})
    table.update({ord(c): r"$\mathrm{o}$" if name == "o" else rf"$\{name}$" for c, name in GREEK.items()})
    table.update({ord(c): out for c, out in {**UNICODE, **SPECIAL}.items()})
    return table


_TABLE = _escape_table()
_UNSET = re.compile("[^\x00-\x7f%s]" % re.escape(TEXT_CHARS))


def escape(text: str) -> str:
    """Prose made safe for LaTeX: special characters escaped, typographic unicode and Greek mapped, line
    breaks made spaces, invisible characters dropped; a character pdflatex cannot set (CJK, emoji, ...)
    is shown as its code point, [U+4E2D], rather than stopping the build."""
    return _UNSET.sub(lambda m: r"\texttt{[U+%04X]}" % ord(m.group()), text.translate(_TABLE))


def inline(piece, notation: Notation = EMPTY) -> str:
    """LaTeX (without $) of a piece of inline maths: an expression, a chain or a definition."""
    if isinstance(piece, Let):
        piece = piece.chain
    if isinstance(piece, Chain):
        return chain_inline(piece, notation)
    return math(piece, notation)


def text(t: Text, notation: Notation = EMPTY) -> str:
    """Prose with inline maths."""
    return "".join(escape(p) if isinstance(p, str) else f"${inline(p, notation)}$" for p in t.pieces)


def one_row(ch: Chain, limit: int = 70, notation: Notation = EMPTY) -> bool:
    """Whether a chain is short enough for one row of a display, by a rough count of the characters
    its LaTeX prints (every format breaks a chain where the LaTeX key does)."""
    exprs = [math(e, notation) for e in ch.exprs]
    links = [f"{RELATIONS[rel]} {right}" for rel, right in zip(ch.rels, exprs[1:])]
    visible = re.sub(r"\\[a-zA-Z]+|[{}^_]", "", " ".join([exprs[0], *links]))
    return len(visible) <= limit and "matrix" not in visible


def chain_rows(ch: Chain, limit: int = 70, notation: Notation = EMPTY) -> list[tuple[str, str]]:
    """Rows of an aligned display, (left side, relation and right side): one row when the chain is
    short (by a rough count of printed characters), else one row a link, the left side on the first."""
    exprs = [math(e, notation) for e in ch.exprs]
    links = [f"{RELATIONS[rel]} {right}" for rel, right in zip(ch.rels, exprs[1:])]
    if one_row(ch, limit, notation):
        return [(exprs[0], " ".join(links))]
    return [(exprs[0] if k == 0 else "", link) for k, link in enumerate(links)]


def chain_inline(ch: Chain, notation: Notation = EMPTY) -> str:
    """A chain on one line."""
    return " ".join(" ".join(row) for row in chain_rows(ch, 10**9, notation))


def chains_inline(chains, notation: Notation = EMPTY) -> str:
    """A step's chains, each on one line, separated by \\\\ (the JSON's step.latex)."""
    return r" \\ ".join(chain_inline(c, notation) for c in chains)


def answer_latex(a: Answer, notation: Notation = EMPTY) -> str:
    """An answer on one line of LaTeX: its sentence, then its chain in $...$ (the JSON's answer.latex)."""
    sentence = text(a.text, notation)
    maths = f"${chain_inline(a.chain, notation)}$" if a.chain is not None else ""
    return " ".join(x for x in (sentence, maths) if x)


__all__ = ["math", "escape", "text", "one_row", "chain_rows", "chain_inline", "chains_inline", "answer_latex"]
