"""The graph kind's figure: the computational graph as a circuit, as in CS231n's backpropagation notes.

A node per name: the givens in column 0, each equation one column right of its deepest input (labelled
with its equation when that is short, else its name), and an output node after the last column. An edge
from each name to each equation that uses it carries the name's forward value above (``Config.values``,
the forward pass's values) and, in the gradient question, the gradient flowing back along it below (the
``Flow`` of that equation and name, the backward pass's own; a name used by two equations has one part on
each edge, and its gradient is their sum). The output edge carries the value of 'of' and the gradient
flowing into it ('upstream', 1 by default).

The forward question draws every equation with values only; the gradient question draws the equations
'of' depends on, values and gradients. A value is drawn when it has at most MAX_ENTRIES entries and is a
number, or a formula of at most MAX_FORMULA characters; otherwise its place is left empty (the key has
it). A graph of more than MAX_NODES nodes has no figure. The sheet: the same circuit, labels only.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ...figures import Circuit, Edge, Figure, Node
from . import names as nm
from .backward import Backward
from .config import Config, Equation
from .narrate import display, shown, sym
from .values import Val

MAX_NODES = 30
MAX_ENTRIES = 6
MAX_FORMULA = 24
OUTPUT = "->"            # the output node's id (no name of the spec can be it)


def value_label(v: Val | None):
    """A value as a label: exact when rational, rounded when irrational, '' when too large to draw."""
    if v is None or len(v.m) > MAX_ENTRIES:
        return ""
    out = shown(v)[-1]
    if not all(e.is_number for e in v.entries) and len(str(out)) > MAX_FORMULA:
        return ""
    return out


def node_label(c: Config, eq: Equation):
    """'q = x + y' when the right-hand side is short, else the name."""
    rhs = display(eq.rhs, c)
    if len(str(rhs)) > MAX_FORMULA:
        return sym(c, eq.name)
    return sympy.Eq(sym(c, eq.name), rhs, evaluate=False)


def _columns(c: Config, equations: list[Equation]) -> dict[str, int]:
    column = {}
    for eq in equations:
        for name in eq.inputs:
            column.setdefault(name, 0)
        column[eq.name] = 1 + max((column[n] for n in eq.inputs), default=0)
    return column


def _rows(column: dict[str, int], inputs: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """Each column's nodes in order of the mean row of their inputs (the givens in order of first use),
    centred on the tallest column."""
    rows: dict[str, float] = {}
    depth = max(column.values(), default=0)
    tallest = max((list(column.values()).count(k) for k in range(depth + 1)), default=1)
    for k in range(depth + 1):
        here = [n for n in column if column[n] == k]
        key = {n: sum(rows[i] for i in inputs.get(n, ())) / max(len(inputs.get(n, ())), 1) for n in here}
        order = {n: i for i, n in enumerate(here)}
        here.sort(key=lambda n: (key[n], order[n]))
        offset = (tallest - len(here)) / 2
        rows.update({n: offset + i for i, n in enumerate(here)})
    return rows


def circuit(c: Config, equations: list[Equation], sinks: list[str], b: Backward | None) -> Circuit:
    """The circuit of ``equations``, an output edge from each of ``sinks``; gradients from ``b`` if given."""
    column = _columns(c, equations)
    inputs = {eq.name: eq.inputs for eq in equations}
    rows = _rows(column, inputs)
    last = max(column.values(), default=0) + 1
    labels = {eq.name: node_label(c, eq) for eq in equations}
    nodes = [Node(n, labels.get(n, sym(c, n)), column[n], rows[n]) for n in column]
    flows = {(f.eq.name, f.wrt): f.value for fl in (b.flows.values() if b else ()) for f in fl}
    edges = [Edge(n, eq.name, value_label(c.values[n]), value_label(flows.get((eq.name, n))))
             for eq in equations for n in eq.inputs]
    for s in sinks:
        top = s if b is None else c.top
        nodes.append(Node(OUTPUT + s, sym(c, s) if top == s else nm.value_symbol(top), last, rows[s]))
        edges.append(Edge(s, OUTPUT + s, value_label(c.values[s]), value_label(c.upstream) if b else ""))
    return Circuit(tuple(nodes), tuple(edges))


def bare(body: Circuit) -> Circuit:
    """The circuit with its labels only: no values, no gradients."""
    return replace(body, edges=tuple(replace(e, above="", below="") for e in body.edges))


def _figure(c: Config, body: Circuit, caption: str, gradients: bool) -> tuple[Figure, ...]:
    if len(body.nodes) > MAX_NODES:
        return ()
    missing = any(not e.above or gradients and not e.below and e.source not in c.labels for e in body.edges)
    if missing:
        caption += " Values too large to draw are left off (the key has them)."
    return (Figure(caption, body, bare(body)),)


def forward_figures(c: Config) -> tuple[Figure, ...]:
    used = {n for eq in c.equations for n in eq.inputs}
    sinks = [eq.name for eq in c.equations if eq.name not in used]
    body = circuit(c, list(c.equations), sinks, None)
    return _figure(c, body, "The computational graph, inputs on the left: each wire carries its value (above it).",
                   False)


def gradient_figures(c: Config, b: Backward) -> tuple[Figure, ...]:
    """The equations 'of' depends on (those the backward pass went through), values and gradients."""
    through = {eq.name for eq in b.order}
    equations = [eq for eq in c.equations if eq.name in through]
    body = circuit(c, equations, [c.of], b)
    return _figure(c, body, "The computational graph, inputs on the left: each wire carries its value (above it)"
                            " and the gradient flowing back along it (below it); the gradient of a name used by"
                            " two equations is the sum of its wires'.", True)
