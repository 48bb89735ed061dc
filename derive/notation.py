"""A kind's notation: its symbols, matrices and functions with how each is written.

The notation is keyed by the SymPy object itself, as SymPy's ``symbol_names`` printer setting is:
a kind makes each symbol through its ``Notation`` (``N.symbol("a_star", "a^{*}", real=True)``) and the
printers look the object up. The written form is LaTeX; the MathML printer reads the same LaTeX, so a
symbol reads alike in every format. A name belongs to one symbol: making a second, different symbol
with a name already taken (other assumptions, say) is an error, so two things never print alike.
"""

from __future__ import annotations

import functools
import re
from typing import Iterator, Mapping

import sympy
from sympy.core.function import UndefinedFunction


class Notation(Mapping):
    """Symbols (and functions, and matrix symbols by name) with their LaTeX, keyed by the object."""

    def __init__(self, *bases: "Notation"):
        self._latex: dict = {}
        self._matrices: dict[str, str] = {}
        self._by_name: dict[str, sympy.Basic] = {}
        for base in bases:
            self.include(base)

    # --- making symbols -------------------------------------------------------------------------

    def symbol(self, name: str, latex: str | None = None, **assumptions) -> sympy.Symbol:
        """The symbol called ``name`` (made once), written ``latex`` (default: SymPy's own way)."""
        return self.add(sympy.Symbol(name, **assumptions), latex)

    def function(self, name: str, latex: str | None = None) -> UndefinedFunction:
        """An undefined function, applied as f(x); its head written ``latex``."""
        return self.add(sympy.Function(name), latex)

    def matrix(self, name: str, rows: int, cols: int, latex: str | None = None) -> sympy.MatrixSymbol:
        """A matrix symbol of any shape under one name, written ``latex``."""
        if latex is not None:
            known = self._matrices.get(name)
            if known is not None and known != latex:
                raise ValueError(f"the matrix symbol {name!r} is written two ways: {known!r} and {latex!r}")
            self._matrices[name] = latex
        return sympy.MatrixSymbol(name, rows, cols)

    def add(self, obj, latex: str | None = None):
        """Register an object (a Symbol or an undefined function) under its name; returns it."""
        name = obj.name if hasattr(obj, "name") else obj.__name__
        known = self._by_name.get(name)
        if known is not None and known != obj:
            raise ValueError(f"two different symbols are named {name!r}: {known!r} {_assumed(known)} and "
                             f"{obj!r} {_assumed(obj)}")
        self._by_name[name] = obj
        if latex is not None:
            if self._latex.get(obj, latex) != latex:
                raise ValueError(f"the symbol {name!r} is written two ways: {self._latex[obj]!r} and {latex!r}")
            self._latex[obj] = latex
        return obj

    def include(self, other: "Notation") -> None:
        """Take over every symbol of another notation (a kind's shared pieces, say)."""
        for name, obj in other._by_name.items():
            self.add(obj, other._latex.get(obj))
        for name, latex in other._matrices.items():
            self._matrices.setdefault(name, latex)

    # --- reading ----------------------------------------------------------------------------------

    def matrix_latex(self, name: str) -> str | None:
        return self._matrices.get(name)

    def named(self, name: str):
        """The symbol or function registered under ``name`` (KeyError if none)."""
        return self._by_name[name]

    def __getitem__(self, key) -> str:
        return self._latex[key]

    def __iter__(self) -> Iterator:
        return iter(self._latex)

    def __len__(self) -> int:
        return len(self._latex)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other) -> bool:
        return self is other


def _assumed(obj) -> str:
    assumptions = getattr(obj, "assumptions0", None) or {}
    given = {k: v for k, v in getattr(obj, "_assumptions_orig", assumptions).items()}
    return "(" + ", ".join(f"{k}={v}" for k, v in sorted(given.items())) + ")" if given else "(no assumptions)"


class Styled(Mapping):
    """A notation seen through a style: each symbol's LaTeX rewritten (the course's a^{(i)<t>} as h_t, say).
    It follows its notation as that grows (symbols made while deriving are styled too)."""

    def __init__(self, base: Notation, rewrite):
        self.base, self.rewrite = base, rewrite

    def get(self, key, default=None):
        latex = self.base.get(key)
        return self.rewrite(latex) if latex is not None else default

    def matrix_latex(self, name: str) -> str | None:
        latex = self.base.matrix_latex(name)
        return self.rewrite(latex) if latex is not None else None

    def named(self, name: str):
        return self.base.named(name)

    def __getitem__(self, key) -> str:
        return self.rewrite(self.base[key])

    def __iter__(self) -> Iterator:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)

    def __hash__(self) -> int:
        return hash((id(self.base), self.rewrite))

    def __eq__(self, other) -> bool:
        return isinstance(other, Styled) and other.base is self.base and other.rewrite == self.rewrite


_PLAIN = [
    (re.compile(r"a_([ij])\^\{\(i\)\\langle (.+?)\\rangle\}"), r"h_{\1,\2}"),   # a_i^{(i)<t>} -> h_{i,t}
    (re.compile(r"a\^\{\(i\)\\langle (.+?)\\rangle\}"), r"h_{\1}"),                # a^{(i)<t>} -> h_t
    (re.compile(r"([xz])\^\{\(i\)\\langle (.+?)\\rangle\}"), r"\1_{\2}"),          # x^{(i)<t>} -> x_t
    (re.compile(r"a\^\{\*\}"), "h^{*}"), (re.compile(r"\\bar\{a\}"), r"\\bar{h}"),
    (re.compile(r"W_a\^\{\[1\]\}"), "W"), (re.compile(r"W_x\^\{\[1\]\}"), "U"),
    (re.compile(r"b\^\{\[1\]\}"), "b"),
    (re.compile(r"\^\{\(i\)\}"), ""),                                                  # x_3^{(i)} -> x_3
]


@functools.lru_cache(maxsize=None)
def plain(latex: str) -> str:
    """The textbook's plain notation for the course's: h_t for a^{(i)<t>}, x_t, z_t, W, U and b for W_a^{[1]},
    W_x^{[1]} and b^{[1]}, x_3 for x_3^{(i)} (no example index)."""
    for pattern, repl in _PLAIN:
        latex = pattern.sub(repl, latex)
    return latex


_LAYER = re.compile(r"(?<![\\{A-Za-z])([A-Za-z])_\{(\d+)\}")


@functools.lru_cache(maxsize=None)
def layer(latex: str) -> str:
    """Layer superscripts, as deep-learning courses write them: W_{1} -> W^{[1]} (a single letter with a numeric
    subscript; an entry written {z}_{1} is left alone)."""
    return _LAYER.sub(r"\1^{[\2]}", latex)


STYLES = {"course": None, "plain": plain, "layer": layer}


@functools.lru_cache(maxsize=None)
def styled(notation: Notation, style: str):
    """A notation in a style ('course' is the notation itself)."""
    rewrite = STYLES[style]
    return notation if rewrite is None else Styled(notation, rewrite)


EMPTY = Notation()


def merged(*notations: Mapping) -> Notation:
    """One notation holding all of the given ones (the later wins nothing: a clash is an error)."""
    out = Notation()
    for n in notations:
        if isinstance(n, Notation):
            out.include(n)
    return out


__all__ = ["Notation", "Styled", "EMPTY", "merged", "styled", "plain", "STYLES"]
