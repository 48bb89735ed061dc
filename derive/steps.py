"""A derivation as data: prose with inline maths, chains of checked relations, steps, answers.

Nothing here knows how it will be printed; SymPy objects stay SymPy objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Union

import sympy

from .display import Displayed
from .notation import EMPTY, Notation

RELATIONS = ("=", "<", ">", "<=", ">=", "approx")


@dataclass(frozen=True)
class Text:
    """Prose: plain strings interleaved with inline maths: SymPy expressions (an equation among them is
    a checked claim), checked chains (``chain(...)``, printed inline) and definitions (``Let``, not
    checked: they give a symbol its meaning)."""

    pieces: tuple[Piece, ...]

    def __add__(self, other: "Text") -> "Text":
        return Text(self.pieces + other.pieces)

    def __bool__(self) -> bool:
        return bool(self.pieces)

    def expressions(self):
        """Every SymPy expression in the prose: inline expressions, and the sides of its chains and definitions."""
        for p in self.pieces:
            if isinstance(p, Chain):
                yield from p.exprs
            elif isinstance(p, Let):
                yield from (p.lhs, p.rhs)
            elif not isinstance(p, str):
                yield p


def say(*pieces) -> Text:
    """Text from strings, expressions and chains, e.g. say('so ', chain(n - k + 1, 5 - 3 + 1, 3), ' outputs')."""
    return Text(tuple(sympy.Integer(p) if isinstance(p, int) else p for p in pieces))


@dataclass(frozen=True)
class Chain:
    """e0 r1 e1 r2 e2 ...: a displayed chain of relations, every link checked."""

    exprs: tuple[sympy.Basic, ...]
    rels: tuple[str, ...]

    def links(self):
        """The (left, relation, right) triples of the chain."""
        return [(self.exprs[k], self.rels[k], self.exprs[k + 1]) for k in range(len(self.rels))]

    @property
    def last(self) -> sympy.Basic:
        return self.exprs[-1]


def chain(first: sympy.Basic, *rest) -> Chain:
    """chain(a, b, c) is a = b = c; chain(a, '<', b, '=', c) mixes relations."""
    exprs, rels = [first], []
    items = list(rest)
    while items:
        item = items.pop(0)
        if isinstance(item, str):
            if item not in RELATIONS:
                raise ValueError(f"unknown relation {item!r}")
            rels.append(item)
            exprs.append(items.pop(0))
        else:
            rels.append("=")
            exprs.append(item)
    return Chain(tuple(exprs), tuple(rels))


@dataclass(frozen=True)
class Let:
    """``lhs = rhs`` (or another relation) in prose as a definition or a given: a value of the problem
    (W_a = 1), a name for a formula (z = b + W_a a + W_x x), a rule quoted by name, an assumption on a
    sign (z_1 > 0). Shown as a relation but not a claim, so not checked: whatever is derived is a chain."""

    lhs: sympy.Basic
    rhs: sympy.Basic
    rel: str = "="

    @property
    def chain(self) -> Chain:
        """The relation as a one-link chain, for the printers."""
        return Chain((self.lhs, self.rhs), (self.rel,))


def let(lhs, rhs, rel: str = "=") -> Let:
    """A definition or given shown in prose: let(W_A, 1) prints W_a = 1; let(z1, 0, '>') prints z_1 > 0."""
    if rel not in RELATIONS:
        raise ValueError(f"unknown relation {rel!r}")
    return Let(_sym(lhs), _sym(rhs), rel)


def written_sum(*terms) -> sympy.Expr:
    """A sum kept as written, term by term, until evaluated: written_sum(n, 2, -3) shows n + 2 - 3."""
    return sympy.Add(*terms, evaluate=False)


def written_product(*factors) -> sympy.Expr:
    """A product kept as written, factor by factor: written_product(3, 3, 16) shows 3 · 3 · 16."""
    return sympy.Mul(*factors, evaluate=False)


def _sym(value):
    return sympy.Integer(value) if isinstance(value, int) else value


Piece = Union[str, sympy.Basic, Chain, Let]


@dataclass(frozen=True)
class Table:
    """A table as data (a network's summary: layer, output shape, parameters, MACs): a header, rows and
    an optional last row of totals, each cell a string or an int. Its numbers are no claims of their own:
    whoever builds one takes them from checked answers."""

    header: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]
    foot: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class Step:
    """One idea of the derivation: a justification and (usually) a checked chain, or a table."""

    text: Text
    chains: tuple[Chain, ...] = ()
    table: Table | None = None


def step(text: Text, *chains: Chain) -> Step:
    """A step with its justification and any number of displayed chains."""
    return Step(text, tuple(chains))


def table_step(text: Text, table: Table) -> Step:
    """A step that shows a table (after its sentence)."""
    return Step(text, (), table)


@dataclass(frozen=True)
class Answer(Displayed):
    """The boxed result: a sentence and/or a chain (``more`` chains after it when the question asks for
    several quantities: each is boxed), and the machine-readable value (the JSON's). The document gives it its
    kind's notation, so that it displays itself in a notebook."""

    level: ClassVar[str] = "answer"
    value: Any
    chain: Chain | None = None
    text: Text = Text(())
    notation: Notation = EMPTY
    more: tuple[Chain, ...] = ()

    @property
    def chains(self) -> tuple[Chain, ...]:
        """Every boxed chain, in order: the first chain, then the others."""
        return ((self.chain,) if self.chain is not None else ()) + self.more


def boxed(value, chains, text: Text = Text(())) -> Answer:
    """An answer boxing each of several chains (one per asked quantity), e.g. boxed(v, [chain(q, 3), chain(f, -12)])."""
    chains = tuple(chains)
    return Answer(value=value, chain=chains[0] if chains else None, text=text, more=chains[1:])


@dataclass(frozen=True)
class Solution:
    """What a deriver returns for one question."""

    question: Text
    steps: tuple[Step, ...]
    answer: Answer
    notes: tuple[Text, ...] = ()
    meanings: Mapping[sympy.Symbol, sympy.Basic] = field(default_factory=dict)
    figures: tuple[Any, ...] = ()       # derive.figures.Figure: drawn from this derivation's numbers
