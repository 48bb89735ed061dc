"""How a symbol is written, as structure: a base with sub- and superscripts, an accent, primes, the example,
time step and layer it belongs to; an operator's name; a fraction, a partial derivative, fences. Every
printer (LaTeX, MathML, plain Unicode, SVG) prints this structure its own way; none reads another's output.

A piece of notation (``Part``) is one of the classes below or a ``str`` of plain characters: letters (each
a variable, set in italics), digits (a number), signs and brackets, Greek letters and a few symbols as
Unicode (``"(i)"``, ``"t-1"``, ``"γ"``, ``"⟨t⟩"``, ``"∂L/∂x"``). A ``str`` never holds LaTeX: a backslash,
a brace, ``^`` or ``_`` in one is refused (``check``), so a notation written the old way fails at once with
a message saying what to write instead.

    Sym("a", example="i", time="t")          a^{(i)⟨t⟩}: the course's state of example i at step t
    Sym("W", sub="a", layer="1")             W_a^{[1]}
    Sym("x", sub="3", example="i")           x_3^{(i)}
    Sym("m", sub="1", sup="(2)", accent="hat")
    Partial("L", Sym("z", sub="1"))          ∂L/∂z_1
    Op("relu")                               relu, an operator's name (set upright)
    Row(Op("Var"), "(", Sym("w"), ")")       Var(w)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union

ACCENTS = ("hat", "tilde", "bar", "vec", "dot", "ddot", "check")
FENCES = ("(", ")", "[", "]", "|", "‖", "⟨", "⟩", "⌊", "⌋", "⌈", "⌉", ".", "{", "}")
_NOT_PLAIN = set("\\{}^_$&%#~")


@dataclass(frozen=True)
class Sym:
    """A symbol: a base (a letter, a Greek letter, or any part) with its scripts and marks.

    ``example``, ``time`` and ``layer`` are the indices a deep-learning course writes above a symbol:
    x^{(i)} (example i), a^{⟨t⟩} (time step t), W^{[1]} (layer 1); the notation style decides where they
    go (the plain style writes h_t for the course's a^{(i)⟨t⟩}). ``sup`` is any other superscript (a*,
    F^⊤), printed after the example and time and before the layer. ``bold`` sets a vector or matrix in bold.

    ``bare``, ``sup_first`` and ``grouped`` say how the LaTeX source spells the scripts (one-character scripts
    without braces; the superscript before the subscript; the base in braces, {W}_{12}): the typeset symbol is
    the same either way, and a key's LaTeX source stays as it was written."""

    base: "Part"
    sub: "Part | None" = None
    sup: "Part | None" = None
    accent: str | None = None
    bold: bool = False
    primes: int = 0
    example: "Part | None" = None
    time: "Part | None" = None
    layer: "Part | None" = None
    bare: bool = False
    sup_first: bool = False
    grouped: bool = False

    def __post_init__(self):
        if self.accent is not None and self.accent not in ACCENTS:
            raise ValueError(f"unknown accent {self.accent!r}; one of {', '.join(ACCENTS)}")
        for part in (self.base, self.sub, self.sup, self.example, self.time, self.layer):
            if part is not None:
                check(part)

    def superscript(self) -> "Part | None":
        """What the course writes above the symbol: (example), ⟨time⟩, sup, then [layer]."""
        pieces = [p for p in (_wrapped("(", self.example, ")"), _wrapped("⟨", self.time, "⟩"), self.sup,
                              _wrapped("[", self.layer, "]")) if p is not None]
        if not pieces:
            return None
        return pieces[0] if len(pieces) == 1 else Row(*pieces)


def _wrapped(left: str, part, right: str):
    if part is None:
        return None
    return left + part + right if isinstance(part, str) else Row(left, part, right)


@dataclass(frozen=True)
class Op:
    """An operator's or a function's name, set upright: relu, diag, Var, exp."""

    name: str

    def __post_init__(self):
        if not self.name.replace(" ", "").isalpha():
            raise ValueError(f"an operator's name is letters (and spaces) only, not {self.name!r}")


@dataclass(frozen=True)
class Upright:
    """Upright letters in a script: the 'out' of p_out (``text``: set as words, 'in' of n_in)."""

    text: str
    words: bool = False

    def __post_init__(self):
        check(self.text)


@dataclass(frozen=True)
class Frac:
    """A fraction: numerator over denominator."""

    num: "Part"
    den: "Part"


@dataclass(frozen=True)
class Partial:
    """The partial derivative of ``of`` with respect to ``wrt``: ∂of/∂wrt, set as a fraction (``inline``: on one
    line, ∂L/∂x, as in Var(∂L/∂x))."""

    of: "Part"
    wrt: "Part"
    inline: bool = False


@dataclass(frozen=True)
class Fenced:
    """A part between fences: ``sized`` fences grow with what they hold (LaTeX's \\left ... \\right); ``spaced``
    puts a space inside each fence in the LaTeX source. A fence of '.' is none (the bar of 'evaluated at')."""

    inner: "Part"
    left: str = "("
    right: str = ")"
    sized: bool = False
    spaced: bool = False

    def __post_init__(self):
        for f in (self.left, self.right):
            if f not in FENCES:
                raise ValueError(f"unknown fence {f!r}; one of {' '.join(FENCES)}")


@dataclass(frozen=True)
class Row:
    """Parts side by side (a product written out, an operator and its argument). A ``str`` part " " is a
    space in the LaTeX source only."""

    parts: tuple = field(default=())

    def __init__(self, *parts):
        object.__setattr__(self, "parts", tuple(parts))


@dataclass(frozen=True)
class Root:
    """The square root as a function's head: √ covering its argument."""


ROOT = Root()
Part = Union[str, Sym, Op, Upright, Frac, Partial, Fenced, Row, Root]
KINDS = (str, Sym, Op, Upright, Frac, Partial, Fenced, Row, Root)


def check(part) -> None:
    """Refuse what is not notation: LaTeX in a string (a backslash, braces, ^ or _), or a foreign object."""
    if isinstance(part, str):
        bad = sorted(set(part) & _NOT_PLAIN)
        if bad:
            raise ValueError(f"notation is written as structure, not LaTeX: {part!r} holds {' '.join(bad)}; "
                             "write Sym(base, sub=..., sup=...), Op(name), Partial(of, wrt), ... "
                             "(derive.written), with Greek letters as Unicode (α, not \\alpha)")
        return
    if not isinstance(part, KINDS):
        raise TypeError(f"not a piece of notation: {part!r} ({type(part).__name__})")
    if isinstance(part, Row):
        for p in part.parts:
            check(p)


def rewrite(part, fn):
    """The part with ``fn`` applied to every part inside it, innermost first (``fn`` returns its argument
    to leave a part as it is)."""
    if isinstance(part, Sym):
        new = replace(part, **{k: rewrite(getattr(part, k), fn) for k in
                               ("base", "sub", "sup", "example", "time", "layer") if getattr(part, k) is not None})
    elif isinstance(part, Frac):
        new = Frac(rewrite(part.num, fn), rewrite(part.den, fn))
    elif isinstance(part, Partial):
        new = replace(part, of=rewrite(part.of, fn), wrt=rewrite(part.wrt, fn))
    elif isinstance(part, Fenced):
        new = replace(part, inner=rewrite(part.inner, fn))
    elif isinstance(part, Row):
        new = Row(*(rewrite(p, fn) for p in part.parts))
    else:
        new = part
    return fn(new)


def text(part) -> str:
    """A part as one short line of plain text, for names and messages: h^(⟨1⟩), ∂c/∂h, relu'(z)."""
    if isinstance(part, str):
        return part
    if isinstance(part, Sym):
        top = part.superscript()
        return (text(part.base) + "'" * part.primes + (f"_({text(part.sub)})" if part.sub is not None else "")
                + (f"^({text(top)})" if top is not None else ""))
    if isinstance(part, (Op, Upright)):
        return part.name if isinstance(part, Op) else part.text
    if isinstance(part, Frac):
        return f"({text(part.num)})/({text(part.den)})"
    if isinstance(part, Partial):
        return f"∂{text(part.of)}/∂{text(part.wrt)}"
    if isinstance(part, Fenced):
        return f"{part.left}{text(part.inner)}{part.right}"
    if isinstance(part, Row):
        return "".join(text(p) for p in part.parts)
    return "√"


__all__ = ["Sym", "Op", "Upright", "Frac", "Partial", "Fenced", "Row", "Root", "ROOT", "Part", "check", "rewrite",
           "text"]
