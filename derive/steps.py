"""A derivation as data: prose with inline maths, chains of checked relations, steps, answers.

Nothing here knows how it will be printed; SymPy objects stay SymPy objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

import sympy

Piece = Union[str, sympy.Basic]
RELATIONS = ("=", "<", ">", "<=", ">=", "approx")


@dataclass(frozen=True)
class Text:
    """Prose: plain strings interleaved with inline SymPy expressions."""

    pieces: tuple[Piece, ...]

    def __add__(self, other: "Text") -> "Text":
        return Text(self.pieces + other.pieces)

    def __bool__(self) -> bool:
        return bool(self.pieces)


def say(*pieces: Piece) -> Text:
    """Text from strings and expressions, e.g. say('the fixed point ', a, ' solves ', eq)."""
    return Text(tuple(sympy.sympify(p) if isinstance(p, (int,)) else p for p in pieces))


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
class Step:
    """One idea of the derivation: a justification and (usually) a checked chain."""

    text: Text
    chains: tuple[Chain, ...] = ()


def step(text: Text, *chains: Chain) -> Step:
    """A step with its justification and any number of displayed chains."""
    return Step(text, tuple(chains))


@dataclass(frozen=True)
class Answer:
    """The boxed result: a sentence and/or a chain, and the machine-readable value."""

    value: Any
    chain: Chain | None = None
    text: Text = Text(())


@dataclass(frozen=True)
class Solution:
    """What a deriver returns for one question."""

    question: Text
    steps: tuple[Step, ...]
    answer: Answer
    notes: tuple[Text, ...] = ()
    meanings: Mapping[sympy.Symbol, sympy.Basic] = field(default_factory=dict)
