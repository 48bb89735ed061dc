"""LaTeX for the pieces of a derivation: the problem's notation, prose, chains of relations."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

import sympy
from sympy.core.function import AppliedUndef
from mpmath.libmp import prec_to_dps, to_str as mlib_to_str
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..notation import EMPTY, Notation
from ..steps import Answer, Chain, Let, Text
from ..written import ROOT
from . import layout, measure
from .layout import ARTICLE, Room
from .written_tex import tex

RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": r"\le", ">=": r"\ge", "approx": r"\approx"}
UNICODE = {
    "×": r"$\times$", "−": "$-$", "←": r"$\leftarrow$", "→": r"$\to$", "∞": r"$\infty$", "⌈": r"$\lceil$",
    "⌉": r"$\rceil$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "·": r"$\cdot$", "≤": r"$\le$", "≥": r"$\ge$",
    "…": r"\dots{}", "φ": r"$\phi$", "′": "'", "γ": r"$\gamma$", "ρ": r"$\rho$", "σ": r"$\sigma$", "“": "``", "”": "''", "’": "'", "‘": "`", "–": "--", "—": "---", "∂": r"$\partial$",
}
SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
           "~": r"\~{}", "^": r"\^{}", "\\": r"$\backslash$", "<": "$<$", ">": "$>$", "|": r"$|$"}


NBSP = "\u00a0"              # a no-break space (LaTeX's ~)


class Printer(LatexPrinter):
    """SymPy's LaTeX printer speaking a kind's notation (symbols, matrices and functions by object); given a
    ``room``, a matrix too wide or too tall for it shows its first and last rows and columns, dots between, and
    its size under it."""

    def __init__(self, notation: Notation = EMPTY, room: Room | None = None):
        super().__init__({"mul_symbol": None})
        self.notation, self.room = notation, room

    def _print_Add(self, expr, order=None):
        """Arithmetic built unevaluated keeps the order it was written in; the rest is ordered as usual."""
        if self._settings["order"] == "none":          # a sum inside a term of _written_terms: ordered as usual
            self._settings["order"] = None
            try:
                return self._print_Add(expr, order)
            finally:
                self._settings["order"] = "none"
        if expr.free_symbols and written_terms(expr):
            return self._written_terms(expr)
        if not expr.free_symbols or expr != sympy.Add(*expr.args):
            return super()._print_Add(expr, order="none")
        return super()._print_Add(expr, order=order)

    def _written_terms(self, expr) -> str:
        """A rule written term by term (``written_terms``), each term's factors in the order built:
        μ b + (1 − τ) g."""
        out = []
        for term in expr.args:
            factors = list(term.args) if isinstance(term, sympy.Mul) else [term]
            negative = factors[0] == -1 and len(factors) > 1
            body = factors[1:] if negative else factors
            body = body[0] if len(body) == 1 else sympy.Mul(*body, evaluate=False)
            self._settings["order"] = "none"
            try:
                text = self._print(body)
            finally:
                self._settings["order"] = None
            if isinstance(body, sympy.Add):
                text = rf"\left({text}\right)"
            out.append((" - " if negative else " + ") + text if out else ("- " if negative else "") + text)
        return "".join(out)

    def _print_Rational(self, expr):
        """In a notation of decimals (derive.notation.Decimals), 3.2 for 16/5 and 10^{-8} for 1/10⁸; else SymPy's
        fraction."""
        if not getattr(self.notation, "decimals", False) or expr.is_Integer:
            return super()._print_Rational(expr)
        power = scientific(expr)
        if power is not None:
            return self._power_of_ten(*power)
        text = decimal_text(expr)
        return text if text is not None else super()._print_Rational(expr)

    def parenthesize(self, item, level, is_neg=False, strict=False) -> str:
        """SymPy's; a positive decimal of a notation of decimals is a plain number, not a fraction: 1.5 · 3.2."""
        if getattr(self.notation, "decimals", False) and isinstance(item, sympy.Rational) and item > 0 \
                and decimal_text(item) is not None:
            return self._print(item)
        return super().parenthesize(item, level, is_neg, strict)

    def _print_Float(self, expr):
        """SymPy's, but a number below 10⁻⁴ or from 10¹⁵ up as a power of ten at any precision: 10^{-8}, not
        0.00000001; 2.5 \\cdot 10^{-12}."""
        power = scientific(expr)
        return self._power_of_ten(*power) if power is not None else super()._print_Float(expr)

    @staticmethod
    def _power_of_ten(mantissa: str, exponent: int) -> str:
        sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
        return f"{sign}10^{{{exponent}}}" if digits == "1" else f"{mantissa} \\cdot 10^{{{exponent}}}"

    def _print_FloorDiv(self, expr, exp=None):
        n, d = (self._print(a) for a in expr.args)
        return rf"\left\lfloor \frac{{{n}}}{{{d}}} \right\rfloor"

    def _print_Times(self, expr, exp=None):
        """A product kept as written (derive.symbols.Times): (−1) · 2; raised to a power in parentheses (SymPy
        hands a function's power to the function's printer)."""
        out = r" \cdot ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    def _print_Plus(self, expr, exp=None):
        """A sum in the order written (derive.symbols.Plus): 1 + e^{-z}; (1 + e^{-z})^{2}."""
        out = super()._print_Add(sympy.Add(*expr.args, evaluate=False), order="none")
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

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

    def cells(self, expr) -> list[list[str]]:
        """A matrix's entries printed (``_entry``); in a room, a column's entries too wide for it on lines
        (``layout.on_lines``)."""
        cells = [[self._entry(e) for e in row] for row in expr.tolist()]
        return cells if self.room is None else layout.on_lines(cells, self.room)

    def shown(self, expr) -> tuple[list, list] | None:
        """The rows and columns of a matrix shown in the room (None in a slot: dots), or None: all of it."""
        if self.room is None or expr.rows == 0 or expr.cols == 0:
            return None
        return layout.elision(self.cells(expr), self.room)

    def _print_matrix_contents(self, expr):
        """SymPy's matrix body, the rows read at once and each entry printed once per printer (``_entry``): the
        same text as SymPy's, an entry printing the same wherever a matrix holds it; in a room too small for it,
        the rows and columns ``shown`` picks, dots for the others."""
        entries = self.cells(expr)
        rows, cols = self.shown(expr) or (range(expr.rows), range(expr.cols))
        lines = [" & ".join([layout.dots(i, j) if i is None or j is None else entries[i][j]
                             for j in cols]) for i in rows]
        mat_str = self._settings["mat_str"]
        if mat_str is None:
            if self._settings["mode"] == "inline":
                mat_str = "smallmatrix"
            else:
                mat_str = "matrix" if len(cols) <= 10 else "array"
        out_str = r"\begin{%MATSTR%}%s\end{%MATSTR%}".replace("%MATSTR%", mat_str)
        if mat_str == "array":
            out_str = out_str.replace("%s", "{" + "c" * len(cols) + "}%s")
        return out_str % r"\\".join(lines)

    def _print_MatrixBase(self, expr):
        """SymPy's; a matrix shown in part says its size under it."""
        out = super()._print_MatrixBase(expr)
        if self.shown(expr) is not None:
            return rf"{{\underbrace{{{out}}}_{{{expr.rows} \times {expr.cols}}}}}"  # braced: a script after it goes beside
        return out

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
        negated = negated_number(expr)
        if negated is not None:                                 # −0.5, not (−1) · 0.5: a sign, not a factor
            return self._negated(negated)
        split = decimal_coefficient(expr) if getattr(self.notation, "decimals", False) else None
        if split is not None:                                   # 3.2 s, not 16 s / 5; 3.2 · 0.88; 0.5 · 1/y
            text, rest = self._print(split[0]), self.parenthesize(split[1], PRECEDENCE["Mul"], strict=True)
            dot = split[1].is_number or rest[:1].isdigit() or rest.startswith(r"\frac")
            return f"{text} \\cdot {rest}" if dot else f"{text} {rest}"
        if isinstance(expr, sympy.Mul) and number_meets_number(expr):      # 0.3 · 0.5, 3 · x/y: not 0.5½
            return r" \cdot ".join(self._print(a) if fraction_like(a) and not a.could_extract_minus_sign() else
                                   self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)
        if isinstance(expr, sympy.Mul) and sums_last(expr.as_ordered_factors()) is not None:
            return self._sums_last(expr)
        return super()._print_Mul(expr)

    def _negated(self, number) -> str:
        """−number; −(−0.5)."""
        text = self._print(number)
        return rf"-\left({text}\right)" if number.is_Number and number.is_negative else f"-{text}"

    def _sums_last(self, expr) -> str:
        """A product of a function and a sum, the sum last, as textbooks write it: σ(z)(1 − σ(z))."""
        if expr.could_extract_minus_sign():
            return "- " + self.parenthesize(-expr, PRECEDENCE["Mul"])
        numer, denom = sympy.fraction(expr, exact=True)
        if denom != 1:
            return rf"\frac{{{self._print(numer)}}}{{{self._print(denom)}}}"
        factors = sums_last(expr.as_ordered_factors())
        return " ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in factors)


def negated_number(expr) -> sympy.Expr | None:
    """What a product built unevaluated negates when its first factor is −1 before a number (−z or z − y with the
    numbers put in: SymPy's own negation is a product by −1), else None: that −1 is a sign, −0.5 and not
    (−1) · 0.5. A −1 after a factor (0.2 · (−1)), or a product kept as written (Times), is a factor."""
    if not isinstance(expr, sympy.Mul) or len(expr.args) < 2 or expr.args[0] != -1 or not expr.args[1].is_Number:
        return None
    return expr.args[1] if len(expr.args) == 2 else sympy.Mul(*expr.args[1:], evaluate=False)


def number_meets_number(expr: sympy.Mul) -> bool:
    """Whether a product built unevaluated has a number followed by a number or a fraction (printed side by side,
    0.5 ½ would read as a mixed number): then a dot goes between its factors."""
    if expr == sympy.Mul(*expr.args):
        return False
    return any(a.is_Number and (b.is_Number or fraction_like(b) or negated_number(b) is not None)
               for a, b in zip(expr.args, expr.args[1:]))


def fraction_like(e) -> bool:
    """Whether e prints as a fraction of its own beside a number: a rational that is not whole, a product with a
    denominator. (A negative power joins the product's own denominator: 2 · 3⁻¹ prints as 2/3.)"""
    if e.is_Rational:
        return not e.is_Integer
    return isinstance(e, sympy.Mul) and sympy.fraction(e, exact=True)[1] != 1


def sums_last(factors) -> list | None:
    """The factors of a product with its sums after a function of the kind's notation applied (σ(z)(1 − σ(z)),
    not (1 − σ(z))σ(z)), or None when that changes nothing. A number stays first."""
    if not any(isinstance(f, AppliedUndef) for f in factors):
        return None
    moved = [f for f in factors if not f.is_Add] + [f for f in factors if f.is_Add]
    return moved if moved != list(factors) else None


SIGNIFICANT = 15        # digits of a decimal shown as one (a longer expansion stays a fraction)


def decimal_text(r) -> str | None:
    """A rational that is not an integer as the decimal it is ('3.2', '-0.125'), or None when its expansion does
    not end (1/3) or runs past SIGNIFICANT digits."""
    if not isinstance(r, sympy.Rational) or r.is_Integer:
        return None
    q, twos, fives = int(r.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    places = max(twos, fives)
    if q != 1 or places > SIGNIFICANT:
        return None
    digits = str(abs(int(r.p)) * 10 ** places // int(r.q)).rjust(places + 1, "0")
    if len(digits.lstrip("0")) > SIGNIFICANT:
        return None
    return ("-" if r < 0 else "") + digits[:-places] + "." + digits[-places:]


def scientific(x) -> tuple[str, int] | None:
    """(mantissa, exponent) of a number below 10⁻⁴ or from 10¹⁵ up in size ('2.5', -12; '1', -8), at the digits
    it carries (a float's precision, a rational's exact expansion when it ends); None for others and for 0."""
    if not isinstance(x, (sympy.Float, sympy.Rational)) or x.is_zero or (x.is_Integer and abs(x) < 10 ** 15) \
            or not x.is_finite:
        return None
    size = abs(x)
    if sympy.Rational(1, 10 ** 4) <= size < 10 ** 15:
        return None
    if isinstance(x, sympy.Float):                      # SymPy's digits, in scientific form (any exponent)
        text = mlib_to_str(x._mpf_, prec_to_dps(x._prec), strip_zeros=True, min_fixed=-5, max_fixed=15)
        if "e" not in text:
            return None
        mantissa, exponent = text.split("e")
        return mantissa.removesuffix(".0"), int(exponent)
    exponent = len(str(abs(int(x.p)))) - len(str(int(x.q)))
    scaled = x / sympy.Integer(10) ** exponent
    if not 1 <= abs(scaled) < 10:                         # the digit counts' estimate one off
        exponent += -1 if abs(scaled) < 1 else 1
        scaled = x / sympy.Integer(10) ** exponent
    text = str(scaled) if scaled.is_Integer else decimal_text(scaled)
    return None if text is None else (text, exponent)


def decimal_coefficient(expr):
    """(the number, the rest) of a product whose number is a decimal (3.2 s), else None."""
    if not isinstance(expr, sympy.Mul):
        return None
    coefficient, rest = expr.as_coeff_Mul()
    text = decimal_text(coefficient)
    return None if text is None or rest == 1 else (coefficient, rest)


def written_terms(expr) -> bool:
    """Whether a sum of symbols is a rule written term by term: no number among its terms, a product among them,
    and each product built unevaluated in an order of its own (μ b + (1 − τ) g, which SymPy would print
    g (1 − τ) + b μ); it is then shown as built, so that the same rule with the numbers put in (built alike)
    reads in the same order."""
    products = [a for a in expr.args if isinstance(a, sympy.Mul)]
    return len(expr.args) > 1 and bool(products) and not any(a.is_number for a in expr.args) \
        and all(a.args != sympy.Mul(*a.args).args for a in products)


@functools.lru_cache(maxsize=64)
def printer(notation: Notation = EMPTY, room: Room | None = None) -> Printer:
    """The printer of a notation and a room (one each, reused)."""
    return Printer(notation, room)


@functools.lru_cache(maxsize=1 << 16)
def math(expr, notation: Notation = EMPTY, room: Room | None = None) -> str:
    """LaTeX of an expression in a kind's notation, its matrices shown as the room holds them (all of them
    without a room: the JSON's). Each printed once per run: a chain is measured for its rows and then laid out,
    and every format after the first reuses it."""
    return printer(notation, room).doprint(expr)


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
    table[ord(NBSP)] = "~"
    table.update({ord(c): r"$\mathrm{o}$" if name == "o" else rf"$\{name}$" for c, name in GREEK.items()})
    table.update({ord(c): out for c, out in {**UNICODE, **SPECIAL}.items()})
    return table


_TABLE = _escape_table()
_UNSET = re.compile("[^\x00-\x7f%s]" % re.escape(TEXT_CHARS))


def escape(text: str) -> str:
    """Prose made safe for LaTeX: special characters escaped, typographic unicode and Greek mapped, line
    breaks made spaces, invisible characters dropped; a character pdflatex cannot set (CJK, emoji, ...)
    is shown as its code point, [U+4E2D], rather than stopping the build. A short formula written in the
    prose stays on one line (``glue``)."""
    return _UNSET.sub(lambda m: r"\texttt{[U+%04X]}" % ord(m.group()), glue(text).translate(_TABLE))


_GLUED = re.compile(r"(?<=\S)[ \u00a0]([−+×·=←→≤≥≈⊙])[ \u00a0](?=\S)")


def glue(prose: str) -> str:
    """Prose whose signs between two operands hold them together: the spaces around the − of 1 − σ become
    no-break spaces, so a formula written in words (σ(1 − σ), t − 1 steps, 4 × 4) never ends a line at its
    sign. Every format's prose goes through it (LaTeX writes the no-break space as ~)."""
    return _GLUED.sub(lambda m: f"{NBSP}{m.group(1)}{NBSP}", prose)


def inline(piece, notation: Notation = EMPTY, room: Room | None = None) -> str:
    """LaTeX (without $) of a piece of inline maths: an expression, a chain or a definition (its matrices shown
    as the room holds them)."""
    if isinstance(piece, Let):
        piece = piece.chain
    if isinstance(piece, Chain):
        return chain_inline(piece, notation, room)
    return math(piece, notation, room)


def text(t: Text, notation: Notation = EMPTY, room: Room | None = None) -> str:
    """Prose with inline maths; in a room, a wide formula may start a new line leaving the line before it short
    (``BREAK_BEFORE``), rather than stretch that line past what TeX allows and run off the page."""
    return "".join(escape(p) if isinstance(p, str) else _inline(p, notation, room) for p in t.pieces)


WIDE_INLINE = 0.35                   # an inline formula wider than this share of the line is a wide one
SHORT_INLINE = 0.2                   # one at most this wide is kept on one line (a longer one may break, so that
                                     # the lines around it need not stretch to make room for it whole)
BREAK_BEFORE = r"\hfil\penalty0\hfilneg "      # a break that fills the line it ends, and is nothing if not taken


PROSE_ROWS = 12                      # a matrix in prose shows at most these rows (two tall vectors in one line of
                                     # a setting, 24 and 20 rows, were taller than a page with the question after it)


def _inline(piece, notation: Notation, room: Room | None) -> str:
    """A formula in prose: a wide one may start a new line; a short one is kept whole (braced: TeX breaks
    inline maths only after a relation or a binary sign outside any group, so d(k − 1) + 1 = 7 never ends a
    line at its + and goes on at 1 = 7 on the next)."""
    if room is None:
        return f"${inline(piece, notation, room)}$"
    body = inline(piece, notation, replace(room, rows=min(room.rows, PROSE_ROWS)))
    width = measure.width(body, "T")
    if width > room.width * WIDE_INLINE:
        return f"{BREAK_BEFORE}${body}$"
    return f"${{{body}}}$" if width <= room.width * SHORT_INLINE and breakable(body) else f"${body}$"


# Where TeX may end a line inside inline maths: after these, outside every group and \left ... \right.
_BREAK_SIGNS = set("=<>+-*")
_BREAK_COMMANDS = {"le", "ge", "leq", "geq", "ne", "neq", "approx", "equiv", "sim", "simeq", "propto", "in",
                   "notin", "subset", "subseteq", "to", "leftarrow", "rightarrow", "gets", "mapsto", "cdot",
                   "times", "div", "pm", "mp", "odot", "otimes", "oplus", "circ", "setminus", "cup", "cap",
                   "wedge", "vee", "ll", "gg", "mid", "Leftarrow", "Rightarrow", "iff", "implies"}
_TOKEN = re.compile(r"\\\\|\\[a-zA-Z]+|\\.|.", re.DOTALL)


def breakable(body: str) -> bool:
    """Whether TeX could end a line inside the inline formula ``body``: a relation or a binary sign at its
    top level (not inside braces or \\left ... \\right; a sign that opens the formula is not one)."""
    depth = 0
    for i, token in enumerate(_TOKEN.findall(body.strip())):
        if token in ("{", r"\left"):
            depth += 1
        elif token in ("}", r"\right"):
            depth -= 1
        elif depth == 0 and i and (token in _BREAK_SIGNS or token.startswith("\\") and token[1:] in _BREAK_COMMANDS):
            return True
    return False


def sides(ch: Chain, notation: Notation = EMPTY, room: Room | None = None) -> tuple[list[str], list[str]]:
    """The LaTeX of a chain's sides and of its relation signs."""
    return [math(e, notation, room) for e in ch.exprs], [RELATIONS[rel] for rel in ch.rels]


def chain_rows(ch: Chain, room: Room | None = ARTICLE, notation: Notation = EMPTY,
               alone: bool = False) -> list[tuple[str, str]]:
    """Rows of an aligned display, (left side, relation and right side), laid out to fit the room
    (``layout.chain_rows``): one row when it fits and shows no matrix, else one row a link, a link too wide
    broken into lines (the chain ``alone`` in its display may be set flush left). Without a room, one row."""
    exprs, rels = sides(ch, notation, room)
    if room is None:
        return [(exprs[0], " ".join(f"{rel} {right}" for rel, right in zip(rels, exprs[1:])))]
    return layout.chain_rows(exprs, rels, room, one_row=short(exprs, rels, room), alone=alone)


UNLIMITED = Room(1e9, 10**9, False, 10**9)


def short(exprs: list[str], rels: list[str], room: Room) -> bool:
    """Whether a chain may be set on one row (if it fits): no matrix, and few characters printed (by a rough
    count: commands, braces and scripts' marks left out)."""
    visible = re.sub(r"\\[a-zA-Z]+|[{}^_]", "", " ".join([exprs[0], *(f"{r} {e}" for r, e in zip(rels, exprs[1:]))]))
    return len(visible) <= room.chars and "matrix" not in visible


def chain_inline(ch: Chain, notation: Notation = EMPTY, room: Room | None = None) -> str:
    """A chain on one line (a chain that shows a matrix, a space more before each relation after its first)."""
    exprs, rels = sides(ch, notation, room)
    links = [f"{rel} {right}" for rel, right in zip(rels, exprs[1:])]
    gap = " " if short(exprs, rels, UNLIMITED) else "  "
    return f"{exprs[0]} {gap.join(links)}"


def chains_inline(chains, notation: Notation = EMPTY) -> str:
    """A step's chains, each on one line, separated by \\\\ (the JSON's step.latex)."""
    return r" \\ ".join(chain_inline(c, notation) for c in chains)


def answer_latex(a: Answer, notation: Notation = EMPTY) -> str:
    """An answer on one line of LaTeX: its sentence, then its chains in $...$, comma-separated (the JSON's
    answer.latex)."""
    sentence = text(a.text, notation)
    maths = ", ".join(f"${chain_inline(c, notation)}$" for c in a.chains)
    return " ".join(x for x in (sentence, maths) if x)


__all__ = ["math", "escape", "text", "sides", "short", "chain_rows", "chain_inline", "chains_inline", "answer_latex",
           "Room", "ARTICLE"]
