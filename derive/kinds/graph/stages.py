"""An equation that nests many functions, evaluated in stages: each function (or power) applied inside another
becomes a node of its own, named u₁, u₂, … (a letter no name of the spec uses), as a textbook stages a long
computation.

    f = σ(σ(σ(σ(x))))   is evaluated as   u₁ = σ(x), u₂ = σ(u₁), u₃ = σ(u₂), f = σ(u₃)

Each stage's value is a number (or a formula of symbolic givens) computed once, and each is differentiated on
its own in the backward pass: the work grows with the number of functions, where one formula nested n deep
grows with n² (its derivative repeats every inner function) and SymPy's own evaluation of it with 3ⁿ. An
equation nesting at most MAX_NESTED functions is evaluated whole, as written. The same sub-expression written
twice in one equation is one stage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parse import Call, Index, Name, Neg, Node, Op

MAX_NESTED = 3              # functions nested in one equation evaluated as written; deeper ones in stages
LETTERS = ("u", "v", "h", "s", "t", "a", "r", "q", "g", "k")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Stage:
    name: str
    rhs: Node               # one function of names and numbers: the stages inside it by their names
    written: Node           # the same sub-expression as the spec writes it


def nesting(node: Node) -> int:
    """How many functions (a power counting as one) are nested on the deepest path of an expression:
    σ(x) + tanh(exp(y)) is 2, x^x^x is 2."""
    if isinstance(node, Call):
        return 1 + max((nesting(a) for a in node.args), default=0)
    if isinstance(node, Op):
        return (node.op == "^") + max(nesting(node.left), nesting(node.right))
    if isinstance(node, (Neg, Index)):
        return nesting(node.arg)
    return 0


class Namer:
    """u1, u2, … for the stages of a graph: the first letter of LETTERS that no name of the spec is written
    with (u, u2, u_in are all written with u), so that u₃ means one thing in the key, and that a name the
    equations use without defining it stays undefined."""

    def __init__(self, given, texts):
        taken = set(given) | {w for t in texts if isinstance(t, str) for w in WORD.findall(t)}
        free = [w for w in (*LETTERS, "aux", "stage") if not any(_written_with(n, w) for n in taken)]
        self.letter = free[0] if free else "stage_"
        self.taken, self.count = taken, 0

    def __call__(self) -> str:
        self.count += 1
        while f"{self.letter}{self.count}" in self.taken:
            self.count += 1
        return f"{self.letter}{self.count}"


def _written_with(name: str, letter: str) -> bool:
    return name == letter or bool(re.fullmatch(rf"{letter}(\d+|_.*)", name))


def stages(rhs: Node, namer: Namer) -> tuple[list[Stage], Node]:
    """(the stages, innermost first; the right-hand side over them): no stages when rhs nests at most
    MAX_NESTED functions."""
    if nesting(rhs) <= MAX_NESTED:
        return [], rhs
    out: list[Stage] = []
    named: dict = {}

    def lift(node: Node, inside: bool) -> Node:
        if isinstance(node, Call) or isinstance(node, Op) and node.op == "^":
            new = Call(node.func, tuple(lift(a, True) for a in node.args)) if isinstance(node, Call) else \
                Op("^", lift(node.left, True), lift(node.right, True))
            if not inside:
                return new
            if node not in named:
                named[node] = namer()
                out.append(Stage(named[node], new, node))
            return Name(named[node])
        if isinstance(node, Op):
            return Op(node.op, lift(node.left, inside), lift(node.right, inside))
        if isinstance(node, Neg):
            return Neg(lift(node.arg, inside))
        if isinstance(node, Index):
            return Index(lift(node.arg, inside), node.index)
        return node

    return out, lift(rhs, False)


def written(node: Node, originals: dict) -> Node:
    """An expression over stage names written back as the spec writes it (each stage's name replaced by its
    sub-expression): for messages."""
    if isinstance(node, Name):
        return originals.get(node.name, node)
    if isinstance(node, Call):
        return Call(node.func, tuple(written(a, originals) for a in node.args))
    if isinstance(node, Op):
        return Op(node.op, written(node.left, originals), written(node.right, originals))
    if isinstance(node, Neg):
        return Neg(written(node.arg, originals))
    if isinstance(node, Index):
        return Index(written(node.arg, originals), node.index)
    return node
