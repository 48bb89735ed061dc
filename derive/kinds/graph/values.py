"""Values of a computation graph: a scalar, a vector (a column, as in the maths) or a matrix, each entry
a SymPy expression, and the operations of the equation language on them, with shapes checked.

A shape is () for a scalar, (n,) for a vector and (m, n) for a matrix, as PyTorch writes it; the entries
are kept in an ImmutableMatrix (1 x 1, n x 1 or m x n)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy import ImmutableMatrix

from .parse import Call, Index, Name, Neg, Node, Num, Op

MAX_ENTRIES = 400           # entries of any one value (a 20 x 20 matrix)


class ShapeProblem(ValueError):
    """An operation applied to values of shapes it does not accept (the message names both)."""


@dataclass(frozen=True)
class Val:
    shape: tuple[int, ...]
    m: ImmutableMatrix

    @property
    def entries(self) -> list:
        return list(self.m)

    @property
    def scalar(self):
        return self.m[0, 0]

    def map(self, fn: Callable) -> "Val":
        return Val(self.shape, self.m.applyfunc(fn))

    def json(self):
        """PyTorch's layout: a number, a list, a list of lists."""
        conv = to_json
        if self.shape == ():
            return conv(self.scalar)
        if len(self.shape) == 1:
            return [conv(e) for e in self.m]
        return [[conv(e) for e in self.m.row(r)] for r in range(self.shape[0])]


def to_json(e):
    """An exact rational as an int or a 'p/q' string; an irrational number as a float; a formula as a string."""
    e = sympy.sympify(e)
    if e.is_Integer:
        return int(e)
    if e.is_Rational:
        return f"{e.p}/{e.q}"
    if e.is_number:
        value = complex(e.evalf(17))
        return float(value.real)
    return str(e)


def shape_text(shape: tuple) -> str:
    if shape == ():
        return "a scalar"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"a {shape[0]} × {shape[1]} matrix"


def make(shape: tuple, entries) -> Val:
    rows, cols = (1, 1) if shape == () else (shape[0], 1) if len(shape) == 1 else shape
    return Val(tuple(shape), ImmutableMatrix(rows, cols, list(entries)))


def scalar(e) -> Val:
    return make((), [sympy.sympify(e)])


# --- elementwise -------------------------------------------------------------------------------

def sigmoid(a):
    return 1 / (1 + sympy.exp(-a))


UNARY = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
         "relu": lambda a: sympy.Max(0, a), "sigmoid": sigmoid, "tanh": sympy.tanh}
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
          "^": lambda a, b: a ** b}
WORDS = {"+": "add", "-": "subtract", "*": "multiply elementwise", "/": "divide elementwise",
         "^": "raise to a power elementwise", "@": "multiply as matrices"}


def elementwise(op: str, a: Val, b: Val) -> Val:
    fn = BINARY[op]
    if a.shape == b.shape:
        return Val(a.shape, ImmutableMatrix(a.m.rows, a.m.cols, [fn(x, y) for x, y in zip(a.m, b.m)]))
    if a.shape == ():
        return b.map(lambda y: fn(a.scalar, y))
    if b.shape == ():
        return a.map(lambda x: fn(x, b.scalar))
    raise ShapeProblem(f"cannot {WORDS[op]} {shape_text(a.shape)} {a.shape} and {shape_text(b.shape)} {b.shape}:"
                       " the shapes must match (or one be a scalar)")


def matmul(a: Val, b: Val) -> Val:
    """PyTorch's @: matrix-vector, matrix-matrix, vector-vector (a dot product), vector-matrix."""
    if a.shape == () or b.shape == ():
        raise ShapeProblem(f"'@' needs vectors or matrices, not {shape_text(a.shape)} {a.shape} and "
                           f"{shape_text(b.shape)} {b.shape}; use '*' for a scalar")
    inner_a, inner_b = a.shape[-1], b.shape[0]
    if inner_a != inner_b:
        raise ShapeProblem(f"cannot multiply {shape_text(a.shape)} {a.shape} by {shape_text(b.shape)} {b.shape}"
                           f" with '@': the inner sizes {inner_a} and {inner_b} differ")
    left = a.m.T if len(a.shape) == 1 else a.m
    product = left * b.m
    if len(a.shape) == 1 and len(b.shape) == 1:
        return scalar(product[0, 0])
    if len(a.shape) == 1:
        return make((b.shape[1],), list(product))
    if len(b.shape) == 1:
        return make((a.shape[0],), list(product))
    return Val((a.shape[0], b.shape[1]), product)


def index(a: Val, i: int) -> Val:
    if a.shape == ():
        raise ShapeProblem(f"cannot index a scalar with [{i}]")
    n = a.shape[0]
    if not -n <= i < n:
        raise ShapeProblem(f"index {i} is out of range for {shape_text(a.shape)} {a.shape}: "
                           f"indices run from 0 to {n - 1}")
    i %= n
    if len(a.shape) == 1:
        return scalar(a.m[i, 0])
    return make((a.shape[1],), list(a.m.row(i)))


# --- reductions and vector functions -----------------------------------------------------------------

def total(a: Val) -> Val:
    return scalar(sympy.Add(*a.entries))


def mean(a: Val) -> Val:
    return scalar(sympy.Add(*a.entries) / len(a.entries))


def transpose(a: Val) -> Val:
    if a.shape == ():
        return a
    if len(a.shape) == 1:
        return Val((1, a.shape[0]), a.m.T)
    return Val((a.shape[1], a.shape[0]), a.m.T)


def _vector(fn: str, a: Val) -> None:
    if len(a.shape) != 1:
        raise ShapeProblem(f"{fn} takes a vector, not {shape_text(a.shape)} {a.shape}")


def softmax(a: Val) -> Val:
    _vector("softmax", a)
    exps = [sympy.exp(e) for e in a.entries]
    s = sympy.Add(*exps)
    return make(a.shape, [e / s for e in exps])


def log_softmax(a: Val) -> Val:
    _vector("log_softmax", a)
    lse = sympy.log(sympy.Add(*[sympy.exp(e) for e in a.entries]))
    return make(a.shape, [e - lse for e in a.entries])


def cross_entropy(z: Val, y: Val) -> Val:
    """PyTorch's cross_entropy of logits z: y a class index (0-based) or a vector of probabilities."""
    _vector("cross_entropy", z)
    logp = log_softmax(z).entries
    if y.shape == ():
        k = y.scalar
        if not (k.is_Integer and 0 <= k < z.shape[0]):
            raise ShapeProblem(f"the class index of cross_entropy must be a whole number from 0 to {z.shape[0] - 1}"
                               f" (0-based, as in PyTorch), not {k}")
        return scalar(-logp[int(k)])
    if y.shape != z.shape:
        raise ShapeProblem(f"cross_entropy's target {y.shape} must be a class index or a vector of probabilities"
                           f" of the logits' shape {z.shape}")
    return scalar(-sympy.Add(*[t * l for t, l in zip(y.entries, logp)]))


def mse(a: Val, b: Val) -> Val:
    if a.shape != b.shape:
        raise ShapeProblem(f"mse compares values of one shape, not {shape_text(a.shape)} {a.shape} and "
                           f"{shape_text(b.shape)} {b.shape}")
    return mean(elementwise("^", elementwise("-", a, b), scalar(2)))


FUNCTIONS = {"sum": (1, total), "mean": (1, mean), "transpose": (1, transpose), "softmax": (1, softmax),
             "log_softmax": (1, log_softmax), "cross_entropy": (2, cross_entropy), "mse": (2, mse)}
NOT_YET = ("batchnorm", "layernorm", "dropout", "conv1d")
KNOWN = sorted([*UNARY, *FUNCTIONS])


def evaluate(node: Node, env: dict[str, Val]) -> Val:
    """The value of a right-hand side; ShapeProblem for shapes that do not fit, KeyError for an unknown name."""
    if isinstance(node, Num):
        return scalar(node.value)
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, Neg):
        return evaluate(node.arg, env).map(lambda e: -e)
    if isinstance(node, Index):
        return index(evaluate(node.arg, env), node.index)
    if isinstance(node, Op):
        left, right = evaluate(node.left, env), evaluate(node.right, env)
        out = matmul(left, right) if node.op == "@" else elementwise(node.op, left, right)
        return _sized(out)
    return _sized(_call(node, [evaluate(a, env) for a in node.args]))


def _call(node: Call, args: list[Val]) -> Val:
    if node.func in UNARY:
        _arity(node, 1)
        return args[0].map(UNARY[node.func])
    _arity(node, FUNCTIONS[node.func][0])
    return FUNCTIONS[node.func][1](*args)


def _arity(node: Call, n: int) -> None:
    if len(node.args) != n:
        raise ShapeProblem(f"{node.func} takes {n} argument{'s' if n > 1 else ''}, not {len(node.args)}")


def _sized(v: Val) -> Val:
    if len(v.m) > MAX_ENTRIES:
        raise ShapeProblem(f"a value of shape {v.shape} has more than {MAX_ENTRIES} entries")
    return v
