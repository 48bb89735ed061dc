"""LaTeX for the pieces of a derivation: the problem's notation, prose, chains of relations."""

from __future__ import annotations

import functools
import re

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..notation import EMPTY, Notation
from ..steps import Chain, Let, Text

T = r"\langle t\rangle"
NOTATION = {
    "a_t": rf"a^{{(i){T}}}",
    "a_prev": r"a^{(i)\langle t-1\rangle}",
    "a_0": r"a^{(i)\langle 0\rangle}",
    "a_star": "a^{*}",
    "z": rf"z^{{(i){T}}}",
    "z_star": "z^{*}",
    "W_a": "W_a^{[1]}",
    "W_x": "W_x^{[1]}",
    "b": "b^{[1]}",
    "x_t": rf"x^{{(i){T}}}",
    "da_t/da_prev": r"\frac{\partial a^{(i)\langle t\rangle}}{\partial a^{(i)\langle t-1\rangle}}",
    "da_t/dz_t": r"\frac{\partial a^{(i)\langle t\rangle}}{\partial z^{(i)\langle t\rangle}}",
    "dz_t/da_prev": r"\frac{\partial z^{(i)\langle t\rangle}}{\partial a^{(i)\langle t-1\rangle}}",
    "da_T/da_0": r"\frac{\partial a^{(i)\langle T\rangle}}{\partial a^{(i)\langle 0\rangle}}",
    "factor": r"\gamma",
    "cycle_product": r"\Pi",
    "phi'(z)": r"\phi'(z)",
    "phi'(z*)": r"\phi'(z^{*})",
    "diag(phi'(z))": r"\operatorname{diag}\left(\phi'(z)\right)",
    "diag(phi'(z*))": r"\operatorname{diag}\left(\phi'(z^{*})\right)",
    "phi'(z_i) W_ij": r"\phi'(z_i)\, W_{ij}",
    "dz_i/da_j": r"\frac{\partial z_i}{\partial a_j^{(i)\langle t-1\rangle}}",
    "da_i/da_j": r"\frac{\partial a_i^{(i)\langle t\rangle}}{\partial a_j^{(i)\langle t-1\rangle}}",
    "W_ij": "W_{ij}",
    "W_x x": r"W_x^{[1]} x^{(i)\langle t\rangle}",
    "c_vec": "c",
    "rho": r"\rho",
    "sigma_max": r"\sigma_{\max}",
    "gamma_sup": r"\gamma",
    "sup_slope": r"\sup_z \left|\phi'(z)\right|",
    "norm(da_T/da_0)": r"\left\| \frac{\partial a^{(i)\langle T\rangle}}{\partial a^{(i)\langle 0\rangle}} \right\|_2",
    "x^(i)": "x^{(i)}",
    "z_vec": "z",
    "a^(i)": "a^{(i)}",
    "(u/v)'": r"\left(\frac{u}{v}\right)'",
    "(u'v - uv')/v^2": r"\frac{u'v - uv'}{v^{2}}",
    # conv1d-matrix
    "x_pad": r"\tilde{x}^{(i)}",
    "F_pad": r"\tilde{F}",
    "da/df": r"\frac{\partial a^{(i)}}{\partial f}",
    "dz/df": r"\frac{\partial z}{\partial f}",
    "da/dx^(i)": r"\frac{\partial a^{(i)}}{\partial x^{(i)}}",
    "dz/dx^(i)": r"\frac{\partial z}{\partial x^{(i)}}",
    "da_r/df_j": r"\frac{\partial a_r^{(i)}}{\partial f_j}",
    "dz_r/df_j": r"\frac{\partial z_r}{\partial f_j}",
    "da_r/dx_c": r"\frac{\partial a_r^{(i)}}{\partial x_c^{(i)}}",
    "F_rc": "F_{rc}",
}
PATTERNS = [
    (re.compile(r"a_(\d+)$"), r"a^{(i)\\langle \1\\rangle}"),
    (re.compile(r"a_star_(\d+)$"), r"a^{*}_{\1}"),
    (re.compile(r"factor_(\d+)$"), r"\\gamma_{\1}"),
    (re.compile(r"cycle_(\d+)$"), r"\\bar{a}_{\1}"),
    (re.compile(r"da_(\d+)/da_0$"), r"\\frac{\\partial a^{(i)\\langle \1\\rangle}}{\\partial a^{(i)\\langle 0\\rangle}}"),
    (re.compile(r"x(\d+)$"), r"x_{\1}^{(i)}"),
    (re.compile(r"([fz])(\d+)$"), r"\1_{\2}"),
    (re.compile(r"da/df(\d+)$"), r"\\frac{\\partial a^{(i)}}{\\partial f_{\1}}"),
    (re.compile(r"da_r/df(\d+)$"), r"\\frac{\\partial a_r^{(i)}}{\\partial f_{\1}}"),
    (re.compile(r"dz_r/df(\d+)$"), r"\\frac{\\partial z_r}{\\partial f_{\1}}"),
    (re.compile(r"x_(r(?:\+\d+)?)$"), r"x_{\1}^{(i)}"),
    (re.compile(r"r([hw])_(\d+)$"), r"r^{(\1)}_{\2}"),
    (re.compile(r"j([hw])_(\d+)$"), r"j^{(\1)}_{\2}"),
    (re.compile(r"x_\[([0-9a-z+-]+)\]$"), r"x_{\1}^{(i)}"),                 # conv1d: x_{2r-1}
    (re.compile(r"phi'\(z(\d*|_r)\)$"),                                    # conv1d: phi'(z_1), phi'(z_r)
     lambda m: r"\phi'\left(z%s\right)" % (f"_{{{m.group(1).lstrip('_')}}}" if m.group(1) else "")),
]
FUNCTIONS = {"diag": r"\operatorname{diag}", "phi": r"\phi", "sigma": r"\sigma", "relu": r"\operatorname{relu}", "relu'": r"\operatorname{relu}'"}
RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": r"\le", ">=": r"\ge", "approx": r"\approx"}
UNICODE = {
    "×": r"$\times$", "−": "$-$", "←": r"$\leftarrow$", "→": r"$\to$", "∞": r"$\infty$", "⌈": r"$\lceil$",
    "⌉": r"$\rceil$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "·": r"$\cdot$", "≤": r"$\le$", "≥": r"$\ge$",
    "…": r"\dots{}", "φ": r"$\phi$", "′": "'", "γ": r"$\gamma$", "ρ": r"$\rho$", "σ": r"$\sigma$", "“": "``", "”": "''", "’": "'", "‘": "`", "–": "--", "—": "---", "∂": r"$\partial$",
}
SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
           "~": r"\~{}", "^": r"\^{}", "\\": r"$\backslash$", "<": "$<$", ">": "$>$", "|": r"$|$"}


def symbol_latex(name: str) -> str | None:
    """The problem's notation for a symbol name, if it has one."""
    if name in NOTATION:
        return NOTATION[name]
    for pattern, repl in PATTERNS:
        if pattern.match(name):
            return pattern.sub(repl, name)
    return None


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
        return self.notation.get(expr) or symbol_latex(expr.name) or super()._print_Symbol(expr, style)

    def _print_MatrixSymbol(self, expr):
        return self.notation.matrix_latex(expr.name) or symbol_latex(expr.name) or super()._print_MatrixSymbol(expr)

    def _print_Function(self, expr, exp=None):
        name = type(expr).__name__
        head = self.notation.get(type(expr)) or FUNCTIONS.get(name)
        if head is not None:
            args = ", ".join(self._print(a) for a in expr.args)
            out = rf"{head}\left({args}\right)"
            return out if exp is None else rf"{out}^{{{exp}}}"
        return super()._print_Function(expr, exp)

    def _print_Heaviside(self, expr, exp=None):
        out = rf"\mathbf{{1}}\left[{self._print(expr.args[0])} > 0\right]"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    def _print_Mul(self, expr):
        """Arithmetic on numbers shown as written, a dot between every factor: (1 + 3·3·3)·10."""
        if not expr.free_symbols and any(isinstance(a, sympy.Add) for a in expr.args):
            return r" \cdot ".join(self.parenthesize(a, PRECEDENCE["Mul"])
                                   for a in expr.args)
        return super()._print_Mul(expr)


@functools.lru_cache(maxsize=64)
def printer(notation: Notation = EMPTY) -> Printer:
    """The printer of a notation (one per notation, reused)."""
    return Printer(notation)


def math(expr, notation: Notation = EMPTY) -> str:
    """LaTeX of an expression in a kind's notation."""
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


def _escape_table() -> dict[int, str]:
    table = {code: "" for code in INVISIBLE}
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


class Typesetter:
    """LaTeX for the template context: prose escaped, maths in a kind's notation, chains in rows
    (``limit`` characters to a row: 70 for the article, fewer on a slide)."""

    def __init__(self, limit: int = 70, notation: Notation = EMPTY):
        self.limit, self.notation = limit, notation

    def speaking(self, notation: Notation):
        """The same typesetter in another notation."""
        return self if notation is self.notation else type(self)(self.limit, notation)

    def escape(self, prose: str) -> str:
        return escape(prose)

    def text(self, t: Text) -> str:
        return text(t, self.notation)

    def rows(self, ch: Chain) -> list[tuple[str, str]]:
        return chain_rows(ch, self.limit, self.notation)


__all__ = ["math", "escape", "text", "one_row", "chain_rows", "chain_inline", "Typesetter"]
