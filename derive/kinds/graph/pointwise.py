"""The graph's functions of each entry: derive.functions' table applied entry by entry, their constant arguments
(a slope, α, the bounds) read as numbers; and max / min, of two values entry by entry (torch.maximum and
torch.minimum, a scalar broadcast as with '+') or of every entry of one value (torch.max(x), a scalar)."""

from __future__ import annotations

import sympy
from sympy import ImmutableMatrix

from ...functions import ELEMENTWISE, maximum, minimum
from .val import ShapeProblem, Val, scalar, shape_text

PAIRWISE = {"max": maximum, "min": minimum}
REDUCED = {"max": sympy.Max, "min": sympy.Min}


def constants(func: str, args: list[Val]) -> tuple:
    """The constant arguments after x (a slope, α, the bounds), each a number."""
    out = []
    for (name, _), v in zip(ELEMENTWISE[func].constants, args[1:]):
        k = v.scalar if v.shape == () else None
        if k is None or not (k.is_number and k.is_real):
            raise ShapeProblem(f"{func}'s {name} is a number (a constant, as PyTorch takes it), not "
                               + (shape_text(v.shape) if k is None else f"the formula {k}"))
        out.append(k)
    if func == "hardtanh" and len(out) == 2 and not bool(out[0] < out[1]):
        raise ShapeProblem(f"hardtanh's min_val ({out[0]}) must be below its max_val ({out[1]})")
    return tuple(out)


def applied(func: str, fn, args: list[Val]) -> Val:
    """fn(x, *constants) on each entry of x."""
    fixed = constants(func, args)
    return args[0].map(lambda e: fn(e, *fixed))


def extreme(func: str, args: list[Val]) -> Val:
    """max(a, b) / min(a, b) entry by entry, or max(x) / min(x) of every entry."""
    if len(args) == 1:
        return scalar(REDUCED[func](*args[0].entries))
    a, b = args
    fn = PAIRWISE[func]
    if a.shape == b.shape:
        return Val(a.shape, ImmutableMatrix(a.m.rows, a.m.cols, [fn(x, y) for x, y in zip(a.m, b.m)]))
    if a.shape == ():
        return b.map(lambda y: fn(a.scalar, y))
    if b.shape == ():
        return a.map(lambda x: fn(x, b.scalar))
    raise ShapeProblem(f"cannot take the {func} of {shape_text(a.shape)} {a.shape} and {shape_text(b.shape)}"
                       f" {b.shape} entry by entry: the shapes must match (or one be a scalar)")


def extreme_back(func: str, x: Val, g: Val) -> Val:
    """The gradient of max(x) (min(x)) over every entry: the upstream gradient shared evenly among the entries that
    attain it, as autograd shares it at a tie."""
    if not all(e.is_number for e in x.entries):
        raise ShapeProblem(f"the gradient of {func}(x) needs x's entries as numbers: which of its symbols is the "
                           f"{'largest' if func == 'max' else 'smallest'} is not known")
    best = REDUCED[func](*x.entries)
    ties = [e == best for e in x.entries]
    share = g.scalar / sum(ties)
    return x.map(lambda e: share if e == best else sympy.Integer(0))
