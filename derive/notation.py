"""A kind's notation: its symbols, matrices and functions with how each is written.

The notation is keyed by the SymPy object itself, as SymPy's ``symbol_names`` printer setting is:
a kind makes each symbol through its ``Notation`` (``N.symbol("a_star", Sym("a", sup="*"), real=True)``)
and the printers look the object up. The written form is structure (derive.written: a base, its scripts,
an accent, an operator's name), which each printer (LaTeX, MathML, plain text, SVG) prints its own way,
so a symbol reads alike in every format and none parses another's output. A name belongs to one symbol:
making a second, different symbol with a name already taken (other assumptions, say) is an error, so two
things never print alike.

A symbol may say what it means (``means="the layer's matrix"``), and a letter what it means wherever it
stands (``letter("L", "the loss")``: the L of ∂L/∂a). ``senses`` reads them back as (letter, meaning) pairs,
so a problem that gives one letter two meanings, or one meaning two letters, can be found (``clashes``).

A style (the spec's ``notation``) rewrites the written forms: 'plain' drops the example index and writes
the time step as a subscript, 'layer' writes W^{[1]} for W_1; a kind adds its own rule for a style with
``restyle`` (the rnn kind writes h for its state a in the plain style).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Callable, Iterator, Mapping

import sympy
from sympy.core.function import UndefinedFunction

from .written import Part, Partial, Row, Sym, check, rewrite


class Notation(Mapping):
    """Symbols (and functions, and matrix symbols by name) with how each is written, keyed by the object."""

    def __init__(self, *bases: "Notation"):
        self._written: dict = {}
        self._matrices: dict[str, Part] = {}
        self._by_name: dict[str, sympy.Basic] = {}
        self._styles: dict[str, Callable] = {}
        self._means: dict[str, str] = {}          # by name: what a symbol, function or matrix stands for
        self._letters: dict[str, str] = {}        # what a letter stands for wherever it is written
        for base in bases:
            self.include(base)

    # --- making symbols -------------------------------------------------------------------------

    def symbol(self, name: str, written: Part | None = None, means: str | None = None,
               **assumptions) -> sympy.Symbol:
        """The symbol called ``name`` (made once), written ``written`` (default: SymPy's own way), standing for
        ``means``."""
        self._mean(name, means)
        return self.add(sympy.Symbol(name, **assumptions), written)

    def function(self, name: str, written: Part | None = None, means: str | None = None) -> UndefinedFunction:
        """An undefined function, applied as f(x); its head written ``written`` (an Op, a Sym, ROOT)."""
        self._mean(name, means)
        return self.add(sympy.Function(name), written)

    def matrix(self, name: str, rows: int, cols: int, written: Part | None = None,
               means: str | None = None) -> sympy.MatrixSymbol:
        """A matrix symbol of any shape under one name, written ``written``."""
        self._mean(name, means)
        if written is not None:
            written = check_written(written)
            known = self._matrices.get(name)
            if known is not None and known != written:
                raise ValueError(f"the matrix symbol {name!r} is written two ways: {known!r} and {written!r}")
            self._matrices[name] = written
        return sympy.MatrixSymbol(name, rows, cols)

    def add(self, obj, written: Part | None = None):
        """Register an object (a Symbol or an undefined function) under its name; returns it."""
        name = obj.name if hasattr(obj, "name") else obj.__name__
        known = self._by_name.get(name)
        if known is not None and known != obj:
            raise ValueError(f"two different symbols are named {name!r}: {known!r} {_assumed(known)} and "
                             f"{obj!r} {_assumed(obj)}")
        self._by_name[name] = obj
        if written is not None:
            written = check_written(written)
            if self._written.get(obj, written) != written:
                raise ValueError(f"the symbol {name!r} is written two ways: {self._written[obj]!r} and {written!r}")
            self._written[obj] = written
        return obj

    def letter(self, letter: str, means: str) -> None:
        """What a letter stands for wherever it is written, alone or inside a derivative (the loss L of ∂L/∂a)."""
        known = self._letters.get(letter)
        if known is not None and known != means:
            raise ValueError(f"the letter {letter!r} is given two meanings: {known!r} and {means!r}")
        self._letters[letter] = means

    def _mean(self, name: str, means: str | None) -> None:
        if means is None:
            return
        known = self._means.get(name)
        if known is not None and known != means:
            raise ValueError(f"the symbol {name!r} is given two meanings: {known!r} and {means!r}")
        self._means[name] = means

    def restyle(self, style: str, rule: Callable[[Part], Part]) -> None:
        """How this notation's symbols change in a style, beyond the style's own rule: ``rule`` is applied to
        every part of a written form (the rnn kind's h for a in the plain style, say)."""
        self._styles[style] = rule

    def include(self, other: "Notation") -> None:
        """Take over every symbol of another notation (a kind's shared pieces, say)."""
        for name, obj in other._by_name.items():
            self.add(obj, other._written.get(obj))
        for name, written in other._matrices.items():
            self._matrices.setdefault(name, written)
        for style, rule in other._styles.items():
            self._styles.setdefault(style, rule)
        for name, means in other._means.items():
            self._mean(name, means)
        for letter, means in other._letters.items():
            self.letter(letter, means)

    # --- reading ----------------------------------------------------------------------------------

    def matrix_written(self, name: str) -> Part | None:
        return self._matrices.get(name)

    def named(self, name: str):
        """The symbol or function registered under ``name`` (KeyError if none)."""
        return self._by_name[name]

    def senses(self, obj, written: Part | None = None) -> list[tuple[str, str]]:
        """(letter, meaning) of each letter the object is written with whose meaning is declared: its own
        letter with the object's meaning (or the letter's), and the letters of the derivatives it holds (the L
        and a of ∂L/∂a^{[1]}) with theirs. A symbol, a matrix symbol or a function (by its name); ``written``:
        the form it is shown in, when a problem writes it otherwise (``Rewritten``)."""
        name = getattr(obj, "name", None) or getattr(obj, "__name__", "")
        if written is None:
            written = self._matrices.get(name) if isinstance(obj, sympy.MatrixSymbol) else self._written.get(obj)
        if written is None:
            written = name
        out = []
        head = _letter(written)
        means = self._means.get(name) or (self._letters.get(head) if head else None)
        if head and means:
            out.append((head, means))
        for of, wrt in _derivatives(written):
            out += [(x, self._letters[x]) for x in (_letter(of), _letter(wrt)) if x in self._letters]
        return out

    def style_rule(self, style: str) -> Callable[[Part], Part] | None:
        return self._styles.get(style)

    def __getitem__(self, key) -> Part:
        return self._written[key]

    def __iter__(self) -> Iterator:
        return iter(self._written)

    def __len__(self) -> int:
        return len(self._written)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other) -> bool:
        return self is other


def _letter(part) -> str | None:
    """The letter a written form is: the base of a symbol (F of F^⊤, a of a^{(i)}), a plain name; None for a
    derivative, a row or an operator."""
    while isinstance(part, Sym):
        part = part.base
    if isinstance(part, str) and part.replace("_", "").isalnum() and not part.isdigit():
        return part.split("_")[0] or part
    return None


def _derivatives(part) -> list:
    """Every derivative ∂of/∂wrt written in a part: (of, wrt)."""
    found = []

    def visit(p):
        if isinstance(p, Partial):
            found.append((p.of, p.wrt))
        return p
    rewrite(part, visit)
    return found


def clashes(senses) -> list[str]:
    """One letter with two meanings, or one meaning with two letters, among (letter, meaning) pairs: a
    sentence for each."""
    by_letter, by_meaning = {}, {}
    for letter, means in senses:
        by_letter.setdefault(letter, set()).add(means)
        by_meaning.setdefault(means, set()).add(letter)
    return ([f"{letter} stands for {' and for '.join(sorted(m))}" for letter, m in by_letter.items() if len(m) > 1]
            + [f"{means} is written {' and '.join(sorted(ls))}" for means, ls in by_meaning.items() if len(ls) > 1])


def check_written(value) -> Part:
    """A written form as given, checked: structure, or plain characters (never LaTeX)."""
    check(value)
    return value


def _assumed(obj) -> str:
    assumptions = getattr(obj, "assumptions0", None) or {}
    given = {k: v for k, v in getattr(obj, "_assumptions_orig", assumptions).items()}
    return "(" + ", ".join(f"{k}={v}" for k, v in sorted(given.items())) + ")" if given else "(no assumptions)"


class Seen(Mapping):
    """A notation seen through something: every question passed to the notation it wraps (``base``); a subclass
    changes what it must."""

    def __init__(self, base: Mapping):
        self.base = base

    def get(self, key, default=None):
        return self.base.get(key, default)

    def matrix_written(self, name: str) -> Part | None:
        return self.base.matrix_written(name)

    def named(self, name: str):
        return self.base.named(name)

    def senses(self, obj, written=None) -> list[tuple[str, str]]:
        return self.base.senses(obj, written) if hasattr(self.base, "senses") else []

    @property
    def decimals(self) -> bool:
        """Numbers as the spec wrote them when the notation seen through is one of decimals (``Decimals``)."""
        return getattr(self.base, "decimals", False)

    def __getitem__(self, key) -> Part:
        return self.base[key]

    def __iter__(self) -> Iterator:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


class Styled(Seen):
    """A notation seen through a style: each symbol's written form rewritten (the course's a^{(i)⟨t⟩} as h_t,
    say). It follows its notation as that grows (symbols made while deriving are styled too)."""

    def __init__(self, base: Notation, style: str):
        super().__init__(base)
        self.style = style

    def _styled(self, part: Part) -> Part:
        return restyled(part, self.style, self.base.style_rule(self.style))

    def get(self, key, default=None):
        written = self.base.get(key)
        return self._styled(written) if written is not None else default

    def matrix_written(self, name: str) -> Part | None:
        written = self.base.matrix_written(name)
        return self._styled(written) if written is not None else None

    def __getitem__(self, key) -> Part:
        return self._styled(self.base[key])

    def __hash__(self) -> int:
        return hash((id(self.base), self.style))

    def __eq__(self, other) -> bool:
        return isinstance(other, Styled) and other.base is self.base and other.style == self.style


def _plain(part: Part) -> Part:
    """The textbook's plain notation for the course's: no example index (x_3 for x_3^{(i)}), the time step
    as a subscript (x_t for x^{(i)⟨t⟩}, h_{i,t} for a_i^{(i)⟨t⟩})."""
    if not isinstance(part, Sym) or (part.example is None and part.time is None):
        return part
    sub = part.sub
    if part.time is not None:
        sub = part.time if sub is None else Row(sub, ",", part.time)
    return replace(part, sub=sub, example=None, time=None)


def _layer(part: Part) -> Part:
    """Layer superscripts, as deep-learning courses write them: W^{[1]} for W_1 (a single Latin letter with a
    number for its only script; not Adam's β₁, not an entry such as the graph kind's {z}_{1})."""
    if (isinstance(part, Sym) and isinstance(part.base, str) and len(part.base) == 1 and part.base.isascii()
            and part.base.isalpha() and isinstance(part.sub, str) and part.sub.isdigit()
            and part.superscript() is None and not (part.accent or part.primes or part.grouped)):
        return replace(part, sub=None, layer=part.sub, bare=False)
    return part


STYLES = {"course": None, "plain": _plain, "layer": _layer}


@functools.lru_cache(maxsize=1 << 14)
def restyled(part: Part, style: str, rule: Callable | None = None) -> Part:
    """A written form in a style: the notation's own rule for the style first, then the style's."""
    if rule is not None:
        part = rewrite(part, rule)
    generic = STYLES[style]
    return rewrite(part, generic) if generic is not None else part


@functools.lru_cache(maxsize=None)
def styled(notation: Notation, style: str):
    """A notation in a style ('course' is the notation itself)."""
    return notation if STYLES[style] is None else Styled(notation, style)


class Decimals(Seen):
    """A notation whose numbers read as the spec wrote them, in decimals: a rational with a short decimal
    expansion (3.2, not 16/5) prints as that decimal; the value underneath stays exact. For a part whose spec
    writes its numbers as decimals (``Kind.decimals``)."""

    decimals = True

    def __hash__(self) -> int:
        return hash((id(self.base), "decimals"))

    def __eq__(self, other) -> bool:
        return isinstance(other, Decimals) and other.base is self.base


@functools.lru_cache(maxsize=None)
def in_decimals(notation: Mapping) -> Decimals:
    """A notation (styled or not) whose numbers print as decimals (``Decimals``)."""
    return Decimals(notation)


class Rewritten(Seen):
    """A notation in which some written forms change within one problem or part: the graph kind's sigmoid as the
    word 'sigmoid' where the spec's own σ is a value, the GRU's update gate u⟨t⟩ where z⟨t⟩ is a plain cell's
    pre-activation. ``rule(obj, written)`` gives an object's (or a matrix symbol's name's) written form anew, or
    the same one; ``key`` tells two such notations apart (the same key, the same rule)."""

    def __init__(self, base: Mapping, rule: Callable, key):
        super().__init__(base)
        self.rule, self.key = rule, key

    def get(self, key, default=None):
        written = self.base.get(key)
        return self.rule(key, written) if written is not None else default

    def __getitem__(self, key) -> Part:
        return self.rule(key, self.base[key])

    def matrix_written(self, name: str) -> Part | None:
        written = self.base.matrix_written(name)
        return self.rule(name, written) if written is not None else None

    def senses(self, obj, written=None) -> list[tuple[str, str]]:
        """As the notation seen through, read from the form this one shows (a printer shows an object with no
        written form by its SymPy name, and so does this)."""
        shown = self.matrix_written(obj.name) if isinstance(obj, sympy.MatrixSymbol) else self.get(obj)
        return super().senses(obj, shown if shown is not None else written)

    def __hash__(self) -> int:
        return hash((id(self.base), self.key))

    def __eq__(self, other) -> bool:
        return isinstance(other, Rewritten) and other.base is self.base and other.key == self.key


EMPTY = Notation()


def merged(*notations: Mapping) -> Notation:
    """One notation holding all of the given ones (the later wins nothing: a clash is an error)."""
    out = Notation()
    for n in notations:
        if isinstance(n, Notation):
            out.include(n)
    return out


__all__ = ["Notation", "Styled", "Decimals", "Rewritten", "in_decimals", "EMPTY", "merged", "styled", "restyled", "STYLES",
           "clashes"]
