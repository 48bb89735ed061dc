"""The forward and backward passes written out: the table of values, then each node in reverse order,
upstream times local equals downstream, every relation a checked chain."""

from __future__ import annotations

import mpmath
import sympy

from ... import numeric
from ...functions import ELEMENTWISE, maximum, minimum
from ..activations import in_sigmoids
from ...steps import Solution, Text, boxed, chain, let, say, step
from ...symbols import Plus, Times, as_written
from ...words import join_pieces
from ...written import Sym
from . import names as nm
from .config import Config, Equation
from .parse import Call, Index, Name, Neg, Num, Op
from .stages import nesting
from .values import UNARY, Undefined, Val, evaluate, make, shape_text

DIGITS = 6


# --- showing names and values ------------------------------------------------------------------

def sym(c: Config, name: str) -> sympy.Symbol:
    return nm.name_symbol(name, c.shape(name))


def display(node, c: Config, leaf=None) -> sympy.Expr:
    """A right-hand side as a SymPy expression of the names' symbols (or of ``leaf(name)``), kept as written."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        return sym(c, node.name) if leaf is None else leaf(node.name)
    if isinstance(node, Neg):
        return sympy.Mul(-1, display(node.arg, c, leaf), evaluate=False)
    if isinstance(node, Index):
        return _entry(node, c)
    if isinstance(node, Op):
        return _op(node, c, leaf)
    if node.func == "transpose" and isinstance(node.args[0], Name) and c.shape(node.args[0].name) != () \
            and leaf is None:
        return transpose_sym(node.args[0].name)
    args = [display(a, c, leaf) for a in node.args]
    if node.func == "cross_entropy" and isinstance(node.args[1], Num):
        args[1] = sympy.Integer(node.args[1].value)
    return nm.function(node.func, len(args))(*args)


def _op(node: Op, c: Config, leaf) -> sympy.Expr:
    left, right = display(node.left, c, leaf), display(node.right, c, leaf)
    if node.op == "+":
        head = left.args if isinstance(left, (sympy.Add, Plus)) and isinstance(node.left, Op) else (left,)
        return as_written(sympy.Add(*head, right, evaluate=False))               # 1 + e^{-z}, as written
    if node.op == "-":
        return as_written(sympy.Add(left, sympy.Mul(-1, right, evaluate=False), evaluate=False))
    if node.op == "^":
        return sympy.Pow(left, right, evaluate=False)
    if node.op == "/" and left == 1:                # 1/(1 + e⁻ᶻ), not 1·(1/(…)), which read as a mixed number
        return sympy.Pow(right, -1, evaluate=False)
    if node.op == "/":
        return sympy.Mul(left, sympy.Pow(right, -1, evaluate=False), evaluate=False)
    if node.op == "*" and not left.is_commutative and not right.is_commutative:
        return nm.function("hadamard")(left, right)
    if isinstance(node.right, Num) and not isinstance(node.left, Num):
        return sympy.Mul(right, left, evaluate=False)                   # x * 2 is written 2x
    if left == -1 and right.is_Number:      # x₀w₀ at x₀ = −1: (−1) · 2, a factor (a product's first −1 is a sign)
        return Times(left, right, evaluate=False)
    return sympy.Mul(left, right, evaluate=False)


def _entry(node: Index, c: Config) -> sympy.Expr:
    """p[2] is written p₃, W[0][1] is W₁₂ and W[1] (a row) W₂,:: code indexes from 0, typeset maths from 1."""
    inner = node.arg
    if isinstance(inner, Name) and len(c.shape(inner.name)) == 1:
        return entry_sym(inner.name, (node.index % c.shape(inner.name)[0],))
    if isinstance(inner, Name):
        return row_sym(inner.name, node.index % c.shape(inner.name)[0])
    if isinstance(inner, Index) and isinstance(inner.arg, Name) and len(c.shape(inner.arg.name)) == 2:
        rows, cols = c.shape(inner.arg.name)
        return entry_sym(inner.arg.name, (inner.index % rows, node.index % cols))
    if isinstance(inner, Index):                  # (Vᵀ)[1][2], (W @ X)[0][1]: one entry, two indices
        rows, cols = evaluate(inner.arg, c.values).shape
        return sympy.Indexed(sympy.IndexedBase(display(inner.arg, c)), inner.index % rows + 1, node.index % cols + 1)
    size = evaluate(inner, c.values).shape[0]
    return sympy.Indexed(sympy.IndexedBase(display(inner, c)), node.index % size + 1)


def entry_sym(name: str, index: tuple) -> sympy.Symbol:
    """Entry i (or i, j) of a vector or matrix name, 0-based as in the spec, written 1-based: p[2] is p₃, W[0][1]
    is W₁₂ (W₁,₁₂ once an index passes 9)."""
    written = Sym(nm.written(name), sub=("," if any(i >= 9 for i in index) else "").join(str(i + 1) for i in index),
                  grouped=True)
    return nm.NOTATION.symbol(f"{name}" + "".join(f"[{i}]" for i in index), written, means=nm.spec_means(name),
                              real=True)


def row_sym(name: str, i: int) -> sympy.Symbol:
    """Row i of a matrix name (0-based as in the spec), written 1-based: W[1] is W₂,:."""
    return nm.NOTATION.symbol(f"{name}[{i}, :]", Sym(nm.written(name), sub=f"{i + 1},:", grouped=True),
                              means=nm.spec_means(name), commutative=False)


def transpose_sym(name: str) -> sympy.Symbol:
    """Vᵀ, the transpose of a vector or matrix name."""
    return nm.NOTATION.symbol(f"{name}^T", Sym(nm.written(name), sup="⊤", grouped=True), means=nm.spec_means(name),
                              commutative=False)


def entry_meanings(c: Config, name: str) -> dict:
    v = c.values[name]
    if v.shape == ():
        return {}
    if len(v.shape) == 1:
        return {entry_sym(name, (i,)): e for i, e in enumerate(v.entries)}
    return {entry_sym(name, (i, j)): v.m[i, j] for i in range(v.shape[0]) for j in range(v.shape[1])}


def array_meanings(c: Config, name: str) -> dict:
    """A matrix's rows (each a column, as a vector is) and a vector's or matrix's transpose."""
    v = c.values[name]
    if v.shape == ():
        return {}
    out = {transpose_sym(name): v.m.T}
    if len(v.shape) == 2:
        out.update({row_sym(name, i): v.m.row(i).T for i in range(v.shape[0])})
    return out


def shown(v: Val):
    """A value as displayed: exact when rational or symbolic, rounded when irrational."""
    expr = v.scalar if v.shape == () else v.m
    entries = v.entries
    if not all(e.is_number for e in entries):
        return [_sigmoids(expr)]
    if all(e.is_Rational for e in entries):
        return [expr]
    rounded = expr.evalf(DIGITS) if v.shape == () else v.m.applyfunc(lambda e: e.evalf(DIGITS))
    return ["approx", rounded]


def _sigmoids(expr):
    """A formula with its exponentials written as sigmoids where that is shorter: e^z/(e^{2z} + 2e^z + 1) is
    σ(z)(1 − σ(z)), as the sigmoid's own rule derives it."""
    sigma = nm.function("sigmoid")
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(lambda e: in_sigmoids(e, sigma))
    return in_sigmoids(expr, sigma)


def exact(v: Val):
    return v.scalar if v.shape == () else v.m


LAMBDAS = {"sum": lambda a: a, "mean": lambda a: a, "transpose": lambda a: a, "max": lambda a: a,
           "min": lambda a: a}       # of a scalar, as written out


def _elementwise_meanings() -> dict:
    """Each function of the entries, by its number of arguments (x and its constants)."""
    out = {}
    for name, fn in UNARY.items():
        low, high = ELEMENTWISE[name].arity
        for n in range(low, high + 1):
            xs = sympy.symbols(f"a0:{n}", cls=sympy.Dummy, real=True)
            out[nm.function(name, n)] = sympy.Lambda(xs, fn(*xs))
    return out


def meanings(c: Config) -> dict:
    a, b, p = sympy.Dummy("a"), sympy.Dummy("b"), sympy.Dummy("p")
    out = {nm.function(f, 1): sympy.Lambda(a, fn(a)) for f, fn in LAMBDAS.items()}
    out.update(_elementwise_meanings())
    out[nm.function("max", 2)] = sympy.Lambda((a, b), maximum(a, b))
    out[nm.function("min", 2)] = sympy.Lambda((a, b), minimum(a, b))
    out[nm.function("mse")] = sympy.Lambda((a, b), (a - b) ** 2)           # of two scalars, as written out
    out[nm.function("dropout")] = sympy.Lambda((a, b, p), a * b / (1 - p))
    for name, v in c.values.items():
        out.update(entry_meanings(c, name))
        out.update(array_meanings(c, name))
        s = sym(c, name)
        if s != exact(v):
            out[s] = exact(v)
    return out


# --- the forward pass ----------------------------------------------------------------------------

def setting(c: Config) -> Text:
    pieces = ["Given "] if c.given else []
    givens = []
    for name, v in c.given.items():
        if name in c.symbolic:
            what = "a symbol" if v.shape == () else shape_text(v.shape) + \
                (" symbols" if len(v.shape) == 1 else " of symbols")
            givens.append(say(sym(c, name), f" ({what})"))
        else:
            givens.append(say(let(sym(c, name), exact(v))))
    pieces += _joined(givens)
    pieces.append(", the graph computes, in order, ")
    eqs = [say(let(sym(c, eq.name), display(eq.shown, c))) for eq in c.equations if eq.stage_of is None]
    pieces += _joined(eqs)
    pieces.append(".")
    return say(*pieces, *_constants(c))


def _constants(c: Config) -> list:
    """The sentences on the names that are not differentiated: ' mask and p are constants.' and, for the class
    indices alone (cross_entropy's targets), once: ' y is a class index, counted from 0 as in PyTorch.'"""
    out = []
    plain = [sym(c, n) for n in sorted(c.labels - c.indices)]
    indices = [sym(c, n) for n in sorted(c.indices & c.labels)]
    if plain:
        out += [" ", *join_pieces(plain), " is a constant." if len(plain) == 1 else " are constants."]
    if indices:
        out += [" ", *join_pieces(indices), " is a class index, counted from 0 as in PyTorch." if len(indices) == 1
                else " are class indices, each counted from 0 as in PyTorch."]
    return out


def _joined(texts: list[Text]) -> list:
    """The pieces of texts listed with commas and 'and'."""
    return [p for t in join_pieces(texts) for p in (t.pieces if isinstance(t, Text) else (t,))]


def forward(c: Config) -> Solution:
    lines = []
    for eq in c.equations:
        v = c.values[eq.name]
        lines.append(chain(sym(c, eq.name), *_written(eq, c), *shown(v)))
    steps = [step(say("Evaluate the equations in order, each from the values above it (name, expression,"
                      " value)", *_staged(c), ":"), *lines)]
    value = {eq.name: c.values[eq.name].json() for eq in c.equations if eq.stage_of is None}
    return Solution(question=say("Carry out the forward pass: find the value of every name."),
                    steps=tuple(steps), notes=mode_notes(c), answer=boxed(value, answer_chains(c)), meanings=meanings(c))


def answer_chains(c: Config, before: dict | None = None) -> list:
    """The forward pass's boxed chains: every name the equations define, in order, each after the chains
    ``before`` gives it (an attention's scores and weights before its output)."""
    before = before or {}
    return [ch for eq in c.equations if eq.stage_of is None
            for ch in (*before.get(eq.name, ()), chain(sym(c, eq.name), *shown(c.values[eq.name])))]


def mode_notes(c: Config) -> tuple:
    """With training = false, the note on dropout at evaluation (when an equation uses it)."""
    from .config import _calls
    if c.training or not any(call.func == "dropout" for eq in c.equations for call in _calls(eq.shown)):
        return ()
    return (say("The network is evaluated (training is false: PyTorch's model.eval()), so dropout is the identity: "
                "it passes its input unchanged. This is inverted dropout: in training it keeps each unit with "
                "probability 1 − p and scales the kept ones by 1/(1 − p), so that the expected value is already "
                "the input's and nothing is rescaled at evaluation."),)


def _staged(c: Config) -> list:
    """The sentence that says which equations are evaluated in stages (derive.kinds.graph.stages), as prose
    pieces ([] when none is)."""
    pieces = []
    for eq in c.equations:
        parts = [sym(c, s.name) for s in c.equations if s.stage_of == eq.name]
        if parts and eq.stage_of is None:
            span = join_pieces(parts) if len(parts) <= 2 else [parts[0], " to ", parts[-1]]
            pieces += ["; ", sym(c, eq.name), f" nests {nesting(eq.shown)} functions, so it is evaluated from the"
                       " inside out, each function's result named (", *span, ")"]
    return pieces


def _written(eq: Equation, c: Config) -> list:
    """The right-hand side with the values put in, for an all-scalar equation of numbers (else nothing): each
    irrational value rounded as the key shows it (σ(0.880797), not its 60 digits) where the right-hand side
    evaluated at the rounded values agrees with the value to ROUNDED_TO; the link is then ≈."""
    if any(c.shape(n) != () for n in eq.inputs) or not all(c.values[n].scalar.is_number for n in eq.inputs):
        return []
    exact = {n: c.values[n].scalar for n in eq.inputs}
    if all(v.is_Rational for v in exact.values()):
        return _unless_bare([display(eq.rhs, c, exact.get)])
    target = c.values[eq.name].scalar
    for digits in (DIGITS, 2 * DIGITS, 4 * DIGITS):
        rounded = {n: v if v.is_Rational else v.evalf(digits) for n, v in exact.items()}
        if _agrees(eq, rounded, target):
            return _unless_bare(["approx", display(eq.rhs, c, rounded.get)])
    return _unless_bare([display(eq.rhs, c, exact.get)])


def _unless_bare(written: list) -> list:
    """The right-hand side with the values put in, or nothing when that is a number alone, negated or not (b = z
    or b = −z at z = 0.5, shown as −0.5): the value shown after it says the same."""
    expr = written[-1]
    if isinstance(expr, sympy.Mul) and len(expr.args) == 2 and expr.args[0] == -1:
        expr = expr.args[1]
    return [] if expr.is_Number else written


ROUNDED_TO = mpmath.mpf(10) ** -6     # how closely a right-hand side at rounded values must give the value


def _agrees(eq: Equation, rounded: dict, target) -> bool:
    """Whether eq's right-hand side at the rounded values is the value to ROUNDED_TO, relatively."""
    try:
        got = evaluate(eq.rhs, {n: make((), [v]) for n, v in rounded.items()}).scalar
        a, b = (numeric.evaluate(x) for x in (got, target))
    except (ArithmeticError, TypeError, ValueError, numeric.Unsupported, Undefined):
        return False
    if not (isinstance(a, mpmath.mpf) and isinstance(b, mpmath.mpf)) or b == 0:
        return False
    return abs(a - b) <= ROUNDED_TO * abs(b)
