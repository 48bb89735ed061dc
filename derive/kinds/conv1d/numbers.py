"""HW5's symbolic 1D questions (gradient, jacobian, input-gradient) when the spec gives x and f: the
derivation as before, then one step putting the numbers in, and the answer in numbers."""

from __future__ import annotations

from dataclasses import replace

import sympy

from ...steps import Answer, Solution, chain, say, step
from .layer import Layer
from .names import NOTATION, f, signed_z, x, z
from .plane import as_number


def with_numbers(sol: Solution, c: Layer) -> Solution:
    """The solution with a last step evaluating its answer at the spec's x and f (checked through what the
    answer's symbol means, with the numbers put in)."""
    zs = c.z()
    known = {**{x(j + 1): v for j, v in enumerate(c.x)}, **{f(j + 1): v for j, v in enumerate(c.f)},
             **{z(r + 1): v for r, v in enumerate(zs)}}
    if c.kinked and c.signs:
        known.update({signed_z(r + 1, s): zs[r] for r, s in enumerate(c.signs) if zs[r] != 0})
    lhs, last = sol.answer.chain.exprs[0], sol.answer.chain.last
    local = {**sol.meanings, **known}
    value, exact = last, sol.meanings[lhs]
    for _ in range(5):                                  # phi'(z_r) and the like, down to numbers
        value, exact = value.xreplace(local), exact.xreplace(local)
    numbers = sympy.ImmutableMatrix(value)
    at = NOTATION.symbol(f"{lhs.name}@numbers", NOTATION[lhs])
    rows = [[as_number(e) for e in numbers.row(r)] for r in range(numbers.rows)]
    json = [r[0] for r in rows] if isinstance(sol.answer.value[0], str) else rows
    steps = sol.steps + (step(say("With the spec's numbers:"), chain(at, numbers)),)
    return replace(sol, steps=steps, meanings={**sol.meanings, at: sympy.ImmutableMatrix(exact)},
                   answer=Answer(value=json, chain=chain(at, numbers), text=sol.answer.text))
