"""The graph's functions of matrices: softmax and log-softmax along PyTorch's ``dim`` (of a matrix, 1 is over each
row, 0 over each column; -1 and -2 count from the end), and attention as F.scaled_dot_product_attention computes
it, with an optional boolean mask (1, true: the query may attend to the key; 0: it may not):

    S = Q Kᵀ / √d    (L × S: a row per query, a column per key; d the size of a query)
    A = softmax(S) over each row, a masked score taking weight 0 (its bias is −∞)
    O = A V          (L × dᵥ)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import ImmutableMatrix

from .val import ShapeProblem, Val, shape_text


def dim(fn: str, a: Val, d: Val | None) -> int | None:
    """The dimension a softmax runs along: None over a vector's entries, 1 over each row, 0 over each column."""
    k = None if d is None else d.scalar if d.shape == () else None
    if d is not None and not (k is not None and k.is_Integer):
        raise ShapeProblem(f"{fn}'s dim is a whole number, as in PyTorch, not {k if k is not None else d.shape}")
    if len(a.shape) == 1:
        if k is not None and int(k) not in (0, -1):
            raise ShapeProblem(f"{fn} of a vector runs along dim 0 (or -1), not {k}")
        return None
    if len(a.shape) != 2:
        raise ShapeProblem(f"{fn} takes a vector or a matrix, not {shape_text(a.shape)}")
    if k is None:
        raise ShapeProblem(f"{fn} of a matrix needs its dim, as in PyTorch: {fn}(S, 1) over each row (as attention"
                           f" weights are), {fn}(S, 0) over each column")
    if int(k) not in (-2, -1, 0, 1):
        raise ShapeProblem(f"{fn}'s dim for a matrix is 0 or 1 (or -2, -1), not {k}")
    return int(k) % 2


def _lines(a: Val, along: int | None) -> list[list[tuple[int, int]]]:
    """The positions (row, column) of each line a softmax normalises: the whole vector, each row or each column."""
    rows, cols = a.m.shape
    if along is None:
        return [[(i, 0) for i in range(rows)]]
    if along == 1:
        return [[(i, j) for j in range(cols)] for i in range(rows)]
    return [[(i, j) for i in range(rows)] for j in range(cols)]


def _normalised(a: Val, d: Val | None, fn: str, log: bool) -> Val:
    out = {}
    for line in _lines(a, dim(fn, a, d)):
        exps = [sympy.exp(a.m[p]) for p in line]
        total = sympy.Add(*exps)
        lse = sympy.log(total) if log else None
        for p, e in zip(line, exps):
            out[p] = a.m[p] - lse if log else e / total
    rows, cols = a.m.shape
    return Val(a.shape, ImmutableMatrix(rows, cols, lambda i, j: out[(i, j)]))


def softmax(a: Val, d: Val | None = None) -> Val:
    """torch.softmax(a, dim)."""
    return _normalised(a, d, "softmax", False)


def log_softmax(a: Val, d: Val | None = None) -> Val:
    """torch.log_softmax(a, dim)."""
    return _normalised(a, d, "log_softmax", True)


@dataclass(frozen=True)
class Attention:
    """The three stages of attention: the scores, the weights, the output (each a Val), and d."""

    scores: Val
    weights: Val
    output: Val
    d: int


def _shapes(Q: Val, K: Val, V: Val, mask: Val | None) -> None:
    for what, v in (("Q", Q), ("K", K), ("V", V)):
        if len(v.shape) != 2:
            raise ShapeProblem(f"attention takes matrices (a row per query, key or value), and {what} is "
                               f"{shape_text(v.shape)}")
    if Q.shape[1] != K.shape[1]:
        raise ShapeProblem(f"attention's queries and keys must have one size: Q is {shape_text(Q.shape)}, K "
                           f"{shape_text(K.shape)}")
    if K.shape[0] != V.shape[0]:
        raise ShapeProblem(f"attention needs a value for each key: K is {shape_text(K.shape)}, V {shape_text(V.shape)}")
    if mask is not None and mask.shape != (Q.shape[0], K.shape[0]):
        raise ShapeProblem(f"attention's mask is L × S, a row per query and a column per key: "
                           f"{shape_text((Q.shape[0], K.shape[0]))}, not {shape_text(mask.shape)}")
    if mask is not None and any(e not in (0, 1) for e in mask.entries):
        raise ShapeProblem("attention's mask holds 1 (true: may attend) and 0 (false: may not), as a boolean mask")


def stages(Q: Val, K: Val, V: Val, mask: Val | None = None) -> Attention:
    """Scores, weights and output, as F.scaled_dot_product_attention(Q, K, V, attn_mask=mask) computes them."""
    _shapes(Q, K, V, mask)
    d = Q.shape[1]
    scores = Val((Q.shape[0], K.shape[0]), (Q.m * K.m.T) / sympy.sqrt(d))
    rows, cols = scores.m.shape
    allowed = [[mask is None or mask.m[i, j] == 1 for j in range(cols)] for i in range(rows)]
    weights = []
    for i in range(rows):
        if not any(allowed[i]):
            raise ShapeProblem(f"row {i + 1} of attention's mask lets query {i + 1} attend to no key (PyTorch's "
                               "weights would be NaN)")
        exps = [sympy.exp(scores.m[i, j]) if allowed[i][j] else sympy.Integer(0) for j in range(cols)]
        total = sympy.Add(*exps)
        weights += [e / total for e in exps]
    A = Val((rows, cols), ImmutableMatrix(rows, cols, weights))
    return Attention(scores, A, Val((rows, V.shape[1]), A.m * V.m), d)


def attention(Q: Val, K: Val, V: Val, mask: Val | None = None) -> Val:
    """F.scaled_dot_product_attention(Q, K, V, attn_mask=mask): the output, L × dᵥ."""
    return stages(Q, K, V, mask).output


# --- backwards: the vector-Jacobian products, as autograd takes them ------------------------------------------

def softmax_back(a: Val, d: Val | None, g: Val, log: bool, fn: str, settle=lambda e: e) -> Val:
    """The gradient flowing into a softmax's (log-softmax's) input along its dim: p ⊙ (g − Σ g ⊙ p) along each
    line (g − p Σ g for the log-softmax), p the probabilities (each ``settle``d: a number's 60 digits)."""
    p = _normalised(a, d, fn, False).map(settle)
    out = {}
    for line in _lines(a, dim(fn, a, d)):
        if log:
            total = sympy.Add(*[g.m[q] for q in line])
            out.update({q: g.m[q] - p.m[q] * total for q in line})
        else:
            total = sympy.Add(*[g.m[q] * p.m[q] for q in line])
            out.update({q: p.m[q] * (g.m[q] - total) for q in line})
    rows, cols = a.m.shape
    return Val(a.shape, ImmutableMatrix(rows, cols, lambda i, j: out[(i, j)]))


def attention_back(Q: Val, K: Val, V: Val, mask: Val | None, g: Val, settle=lambda e: e) -> tuple[Val, Val, Val]:
    """The gradients flowing into Q, K and V: with A the weights (each ``settle``d), G = g Vᵀ, the scores' gradient
    Sᵢⱼ = Aᵢⱼ (Gᵢⱼ − Σₖ Aᵢₖ Gᵢₖ) (0 where masked); then Q: S K/√d, K: Sᵀ Q/√d, V: Aᵀ g."""
    att = stages(Q, K, V, mask)
    A, G = att.weights.m.applyfunc(settle), g.m * V.m.T
    rows, cols = A.shape
    row_sums = [sympy.Add(*[A[i, k] * G[i, k] for k in range(cols)]) for i in range(rows)]
    dS = ImmutableMatrix(rows, cols, lambda i, j: A[i, j] * (G[i, j] - row_sums[i]))
    root = sympy.sqrt(att.d)
    return (Val(Q.shape, _product(dS, K.m) / root), Val(K.shape, _product(dS.T, Q.m) / root),
            Val(V.shape, _product(A.T, g.m)))


CANCELLED = sympy.Float(10) ** -50       # a sum of 60-digit numbers below this part of its terms' size is 0


def _product(a: ImmutableMatrix, b: ImmutableMatrix) -> ImmutableMatrix:
    """a b, an entry of numbers that cancels to within their precision (below CANCELLED of the sum of its terms'
    sizes) written 0: the last digits of 60-digit values are no value's."""
    out = a * b
    if not all(e.is_number for e in (*a, *b)):
        return out
    size = a.applyfunc(abs) * b.applyfunc(abs)
    return ImmutableMatrix(out.rows, out.cols, [0 if not e.is_Rational and abs(e) <= CANCELLED * s else e
                                                for e, s in zip(out, size)])
