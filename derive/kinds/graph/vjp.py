"""Reverse mode through one right-hand side: the gradient flowing into the equation's output, sent back
operation by operation to the names it uses (a vector-Jacobian product per operation). The simple
operations have their rules written out (sums, products, powers, the matrix product, elementwise functions,
indexing, sum, mean, transpose); the others (softmax, cross-entropy, the normalisations, ...) differentiate
their own formula with SymPy."""

from __future__ import annotations

import functools

import sympy
from sympy import ImmutableMatrix

from .config import CONSTANT_ARGS
from .matrices import attention_back, softmax_back
from .pointwise import extreme_back
from .parse import Call, Index, Name, Neg, Node, Num, Op, names
from .values import UNARY, Val, elementwise, evaluate, make, settle


def kinks(e: sympy.Expr) -> sympy.Expr:
    """PyTorch's slope at a kink: relu'(0) = 0 (SymPy's Heaviside(0) is 1/2)."""
    return e.replace(sympy.Heaviside, lambda *a: sympy.Heaviside(a[0], 0))


_X = sympy.Dummy("x", real=True)


@functools.lru_cache(maxsize=None)
def slope(fn: str, fixed: tuple = ()) -> sympy.Expr:
    """f'(x) of an elementwise function (its constant arguments ``fixed``), in the dummy _X."""
    return kinks(sympy.diff(UNARY[fn](_X, *fixed), _X))


def backprop(rhs: Node, env: dict, upstream: Val, constant: frozenset) -> dict:
    """{name: the gradient flowing into it from this right-hand side} (names in ``constant`` get none)."""
    memo: dict = {}
    grads: dict = {}
    _trace(rhs, env, memo)
    _back(rhs, upstream, env, memo, grads, constant)
    return grads


def _trace(node: Node, env: dict, memo: dict) -> Val:
    for child in _children(node):
        _trace(child, env, memo)
    memo[id(node)] = evaluate(node, env)
    return memo[id(node)]


def _children(node: Node):
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Op):
        return (node.left, node.right)
    if isinstance(node, (Neg, Index)):
        return (node.arg,)
    return ()


def _live(node: Node, constant: frozenset) -> bool:
    return any(n not in constant for n in names(node))


def _back(node: Node, g: Val, env, memo, grads, constant) -> None:
    if isinstance(node, Num) or not _live(node, constant):
        return
    if isinstance(node, Name):
        grads[node.name] = g if node.name not in grads else elementwise("+", grads[node.name], g)
        return
    for child, cg in _rules(node, g, env, memo, constant):
        _back(child, cg, env, memo, grads, constant)


def _rules(node: Node, g: Val, env, memo, constant):
    """(child, the gradient flowing into it) for each child of the node."""
    if isinstance(node, Neg):
        return [(node.arg, g.map(lambda e: -e))]
    if isinstance(node, Index):
        return [(node.arg, _scatter(memo[id(node.arg)], node.index, g))]
    if isinstance(node, Op):
        return _op(node, g, memo, constant)
    if node.func in UNARY:
        x = memo[id(node.args[0])]
        d = slope(node.func, tuple(memo[id(a)].scalar for a in node.args[1:]))
        local = x.map(lambda e: d.xreplace({_X: e}))
        return [(node.args[0], _times(g, local))]
    if node.func in ("max", "min") and len(node.args) == 1:
        return [(node.args[0], extreme_back(node.func, memo[id(node.args[0])], g))]
    if node.func in ("softmax", "log_softmax", "attention") and _numbers(node, memo):
        return _matrices(node, g, memo, constant)
    if node.func in ("sum", "mean", "transpose"):
        return [(node.args[0], _reduce(node.func, memo[id(node.args[0])], g))]
    return _generic(node, g, memo, constant)


def _numbers(node: Call, memo: dict) -> bool:
    """Whether every argument of a call is numbers (its rule is then written out, not differentiated)."""
    return all(e.is_number for a in node.args for e in memo[id(a)].entries)


def _matrices(node: Call, g: Val, memo, constant):
    """softmax, log-softmax and attention backwards, by their rules (derive.kinds.graph.matrices): the
    Jacobian's product with g, not the Jacobian (an attention of 8 × 8 matrices has 24,576 partials)."""
    args = [memo[id(a)] for a in node.args]
    if node.func == "attention":
        sent = attention_back(*args[:3], args[3] if len(args) > 3 else None, g, settle)
        return [(a, v) for a, v in zip(node.args[:3], sent)]
    return [(node.args[0], softmax_back(args[0], args[1] if len(args) > 1 else None, g, node.func == "log_softmax",
                                        node.func, settle))]


def _times(a: Val, b: Val) -> Val:
    return Val(b.shape, ImmutableMatrix(b.m.rows, b.m.cols, [x * y for x, y in zip(a.m, b.m)]))


def _unbroadcast(g: Val, shape: tuple) -> Val:
    """A scalar that was broadcast receives the sum of what flows back."""
    if shape == () and g.shape != ():
        return make((), [sympy.Add(*g.entries)])
    return g


def _op(node: Op, g: Val, memo, constant):
    a, b = memo[id(node.left)], memo[id(node.right)]
    if node.op in "+-":
        right = g if node.op == "+" else g.map(lambda e: -e)
        return [(node.left, _unbroadcast(g, a.shape)), (node.right, _unbroadcast(right, b.shape))]
    if node.op == "@":
        return _matmul(node, a, b, g)
    if node.op == "*":
        return [(node.left, _unbroadcast(elementwise("*", g, b), a.shape)),
                (node.right, _unbroadcast(elementwise("*", g, a), b.shape))]
    if node.op == "/":
        back = elementwise("/", elementwise("*", g, a), elementwise("*", b, b)).map(lambda e: -e)
        return [(node.left, _unbroadcast(elementwise("/", g, b), a.shape)), (node.right, _unbroadcast(back, b.shape))]
    out = [(node.left, _unbroadcast(elementwise("*", g, elementwise("*", b, elementwise(
        "^", a, b.map(lambda e: e - 1)))), a.shape))]
    if _live(node.right, constant):
        power = elementwise("^", a, b).map(lambda e: e)
        out.append((node.right, _unbroadcast(elementwise("*", g, elementwise(
            "*", power, a.map(sympy.log))), b.shape)))
    return out


def _matmul(node: Op, a: Val, b: Val, g: Val):
    """PyTorch's @ backwards: G Bᵀ and Aᵀ G, with vectors as columns (a vector on the left acts as a row)."""
    if len(a.shape) == 1 and len(b.shape) == 1:                        # a dot product: g is a scalar
        return [(node.left, b.map(lambda e: e * g.scalar)), (node.right, a.map(lambda e: e * g.scalar))]
    gm = g.m if len(g.shape) == 2 else (g.m.T if len(a.shape) == 1 else g.m)
    if len(a.shape) == 1:                                               # a (n,) @ B (n, p) -> (p,)
        return [(node.left, make(a.shape, list(b.m * g.m))), (node.right, Val(b.shape, a.m * g.m.T))]
    ga = gm * (b.m.T if len(b.shape) == 2 else b.m.T)
    gb = a.m.T * gm
    return [(node.left, Val(a.shape, ga)), (node.right, make(b.shape, list(gb)) if len(b.shape) == 1
                                            else Val(b.shape, gb))]


def _scatter(v: Val, i: int, g: Val) -> Val:
    i %= v.shape[0]
    zero = sympy.Integer(0)
    if len(v.shape) == 1:
        return make(v.shape, [g.scalar if k == i else zero for k in range(v.shape[0])])
    return Val(v.shape, ImmutableMatrix(v.shape[0], v.shape[1], lambda r, c: g.m[c] if r == i else zero))


def _reduce(fn: str, x: Val, g: Val) -> Val:
    if fn == "transpose":
        if x.shape == ():
            return g
        return make(x.shape, list(g.m.T)) if len(x.shape) == 1 else Val(x.shape, g.m.T)
    share = g.scalar if fn == "sum" else g.scalar / len(x.entries)
    return x.map(lambda e: share)


def _fixed(func: str, args: list) -> set:
    """The places of a function's constant arguments (a class index, dropout's mask and p, a stride, eps), however
    they are written: no gradient flows through them."""
    index = {1} if func == "cross_entropy" and args[1].shape == () else set()
    return set(CONSTANT_ARGS.get(func, ())) | index


def _generic(node: Call, g: Val, memo, constant):
    """Differentiate the function's own formula: a Dummy per entry of each live argument."""
    args = [memo[id(a)] for a in node.args]
    fixed = _fixed(node.func, args)
    live = [_live(a, constant) and k not in fixed for k, a in enumerate(node.args)]
    holders = [make(v.shape, [sympy.Dummy(real=True) for _ in v.entries]) if on else v for v, on in zip(args, live)]
    out = evaluate(Call(node.func, tuple(Name(f"_{k}") for k in range(len(args)))),
                   {f"_{k}": h for k, h in enumerate(holders)})
    subs = {d: e for v, h, on in zip(args, holders, live) if on for d, e in zip(h.entries, v.entries)}
    frees = [o.free_symbols for o in out.entries]
    result = []
    for arg, h, on in zip(node.args, holders, live):
        if not on:
            continue
        entries = [sympy.Add(*[gi * kinks(sympy.diff(o, d)) for gi, o, free in zip(g.entries, out.entries, frees)
                               if gi != 0 and d in free]).xreplace(subs) for d in h.entries]
        result.append((arg, make(h.shape, entries)))
    return result
