"""How large a formula an operation on symbolic values will make, estimated before it is made.

An equation of symbolic givens is refused when an entry of its value grows beyond a set number of operations
(derive.kinds.graph.config.MAX_OPS), but building the value first can take minutes: sum(W @ W @ W @ W) of a
symbolic 20 × 20 W holds millions of terms. Each operation's result is estimated from its operands (their
largest entry, in SymPy nodes, and their shapes) before it is computed, and refused at once when an entry would
pass MAX_NODES, or the whole value MAX_TOTAL:

    elementwise a ∘ b      a + b + 1 an entry
    A @ B (inner size k)   k (a + b + 2) an entry
    f(a), elementwise      a + 3 (3a + 12 for a function writing its argument more than once: gelu, elu, …)
    sum, softmax, …        (entries of all operands) × (a + 3): each entry may use every entry

The estimate counts a sum as written, before SymPy collects equal terms, so it is above the formula's size; it
refuses only far beyond the limit on the equation's value, so that what it refuses the limit would too. Numbers
(a given matrix of numbers, say) have no formula to grow: an operation on numbers alone is not estimated."""

from __future__ import annotations

import functools

import sympy

from ...functions import ELEMENTWISE as FUNCTIONS
from .parse import Call, Node, Op

MAX_NODES = 1500            # an entry estimated beyond this is refused at once (the limit proper is 150 operations)
MAX_TOTAL = 200_000         # a value estimated beyond this many nodes in all is refused at once
ELEMENTWISE = {*FUNCTIONS, "transpose"}
ONCE = {"exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "transpose", "sin", "cos", "sinh", "cosh", "softplus",
        "log_sigmoid"}     # the rest write their argument up to three times (gelu, silu, the piecewise ones)


class TooLarge(ValueError):
    """An operation whose result is estimated beyond MAX_NODES an entry or MAX_TOTAL in all."""

    def __init__(self, node: Node, nodes: int):
        super().__init__(f"about {nodes:,} nodes an entry")
        self.node, self.nodes = node, nodes


@functools.lru_cache(maxsize=1 << 14)
def nodes(e) -> int:
    """The size of an entry's formula in SymPy nodes, counted as a tree (0 for a number)."""
    if e.is_number:
        return 0
    return 1 + sum(nodes(a) for a in e.args)


def largest(v) -> int:
    """The largest entry of a value, in nodes."""
    return max(nodes(e) for e in v.entries)


def check(node: Node, operands: list) -> None:
    """TooLarge when the value ``node`` makes of ``operands`` (values) is estimated beyond the limits."""
    sizes = [largest(v) for v in operands]
    if not any(sizes):
        return
    each = estimate(node, operands, sizes)
    count = max(len(v.entries) for v in operands)
    if each > MAX_NODES or each * count > MAX_TOTAL:
        raise TooLarge(node, each)


def estimate(node: Node, operands: list, sizes: list) -> int:
    """The nodes of one entry of ``node``'s value, from its operands' largest entries and shapes."""
    if isinstance(node, Op):
        a, b = sizes
        if node.op == "@":
            inner = operands[0].shape[-1] if operands[0].shape else 1
            return inner * (a + b + 2)
        return a + b + 1
    if isinstance(node, Call) and node.func in ELEMENTWISE:
        return sizes[0] + 3 if node.func in ONCE else 3 * sizes[0] + 12
    return sum(len(v.entries) for v in operands) * (max(sizes) + 3)
