"""The activation's slope phi'(z_r) at each output: decided by the signs, or kept as a function of z_r."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping

import sympy
from sympy import ImmutableMatrix, MatMul, Symbol

from ...mathparse import Z
from ...steps import Text, chain, let, say, step
from ...words import join, join_pieces
from ..activations import derivative, in_sigmoids, tidy as tidy_form
from . import kink
from .config import Config
from .matrix import arguments, zero_rows
from .names import DPHI_Z, F_MAT, PHI, RELU_PRIME, X_VEC, Z_R, Z_VEC, agree, dphi_at, signed_z, z


@dataclass(frozen=True)
class Slopes:
    """phi'(z_r) for each row: how it is shown, its value, and what the checker needs to know. Computed by
    ``slopes``; its methods write the steps and notes from it."""

    c: Config
    zs: tuple[Symbol, ...]                # z_1 ... z_m as shown
    values: tuple[sympy.Expr, ...]        # each row's slope: decided by the sign, or phi' written out in z_r
    shown: tuple[sympy.Expr, ...]         # relu'(z_r) or phi'(z_r), as the slope step shows it
    factors: tuple[sympy.Expr, ...]       # what multiplies each row in the displays
    exact: tuple[sympy.Expr, ...]         # phi'(z_r) for the checker (in the signed z_r, or in x and f)
    generic: sympy.Expr                   # relu'(z_r) or phi'(z_r) for the generic row r
    meanings: Mapping                     # the notation above, for the checker
    dphi: sympy.Expr | None = None        # a smooth phi' in z, tidied (None when kinked)
    in_phi: sympy.Expr | None = None      # the sigmoid's phi' in phi itself, phi(z)(1 - phi(z)) (else None)
    written: tuple[sympy.Expr, ...] = ()  # each row's slope as the displays write it out (values, or in phi)

    def conditions(self) -> list:
        return [let(z(i + 1), 0, ">") if s > 0 else let(z(i + 1), 0, "<") if s < 0 else
                let(z(i + 1), 0) for i, s in enumerate(self.c.signs)]

    def step(self):
        """The step that finds each row's slope."""
        c = self.c
        if not c.kinked:
            return step(say("Differentiate the activation. Its slope depends on the argument itself, so row r is"
                            " scaled by ", self.generic, ", with ", Z_R, " the r-th entry of ",
                            MatMul(F_MAT, X_VEC), ":"), chain(DPHI_Z, self.dphi, *_some(self.in_phi)))
        conds, at_zero = join_pieces(self.conditions()), kink.clause(c)
        if c.name == "relu":
            text = say("The ReLU's derivative is 1 for a positive argument and 0 for a negative one", *at_zero,
                       "; with ", *conds, ":")
        elif c.name == "leaky_relu":
            text = say("The leaky ReLU's derivative is 1 for a positive argument and ", c.slopes[1],
                       " for a negative one", *at_zero, "; with ", *conds, ":")
        else:
            text = say("On each side of 0 the activation is smooth: ", let(DPHI_Z, c.slopes[0]),
                       " for ", let(Z_VEC, 0, ">"), " and ",
                       let(DPHI_Z, c.slopes[1]), " for ",
                       let(Z_VEC, 0, "<"), *at_zero, "; with ", *conds, ":")
        return step(text, chain(ImmutableMatrix(self.shown), ImmutableMatrix(self.values)))

    def notes(self) -> list[Text]:
        c = self.c
        out = []
        if not c.kinked:
            out.append(say("The activation is smooth, so its slope is not a 0/1 mask: the answer keeps ",
                           Z_R, ", the r-th argument (the r-th entry of ", MatMul(F_MAT, X_VEC), ")."))
        elif any(v.free_symbols for v in self.values):
            out.append(say("On a side of 0 where the activation is not linear its slope depends on the argument"
                           " itself, so the answer keeps ", Z_R, ", the r-th argument (the r-th entry of ",
                           MatMul(F_MAT, X_VEC), ")."))
        dead = zero_rows(c)
        if c.kinked and dead:
            stated = " and the stated sign cannot hold" if any(c.signs[r] for r in dead) else ""
            out.append(say(f"The window of {agree(len(dead), 'output', 'outputs')} {join(r + 1 for r in dead)}"
                           " lies entirely in the"
                           f" padding, so its argument is exactly 0 whatever x and f{stated};"
                           " its row is zero whatever the slope there is taken to be."))
        if c.kinked:
            out += kink.notes(c, self.zs)
        return out

    def answer_text(self) -> Text:
        """For a smooth activation, what phi'(z_r) in the boxed answer is."""
        if self.c.kinked:
            return Text(())
        return say("With ", let(DPHI_Z, self.in_phi if self.in_phi is not None else self.dphi), " and ", Z_R,
                   " the r-th entry of ", MatMul(F_MAT, X_VEC), ":")

    def question_tail(self) -> list:
        return [", assuming ", *join_pieces(self.conditions())] if self.c.kinked else []


@functools.lru_cache(maxsize=8)
def slopes(c: Config, rows: frozenset | None = None) -> Slopes:
    """Each row's slope: decided by the spec's signs for a kinked activation, a function of z_r otherwise (once
    per spec: the questions share it). With ``rows`` (a kinked activation), only those rows' slopes are shown and
    checked, the others' ``shown`` and ``exact`` None: a long input's key shows a few rows."""
    dphi = derivative(c.phi)
    zs = tuple(z(r + 1) for r in range(c.outputs))
    return _kinked(c, zs, dphi, rows) if c.kinked else _smooth(c, zs, dphi)


def _kinked(c: Config, zs: tuple, dphi: sympy.Expr, rows: frozenset | None = None) -> Slopes:
    # the checker reads each z_r with the sign the spec gives it, which decides the slope; a z_r of exactly 0
    # (numbers given) is 0, its slope the one taken at the kink
    kept = range(c.outputs) if rows is None else sorted(rows)
    signed = {r: signed_z(r + 1, c.signs[r]) if c.signs[r] else sympy.Integer(0) for r in kept}
    values = tuple(kink.slope_at(c, r, zr) for r, zr in enumerate(zs))
    exact = tuple(None if r not in signed else _signed_slope(dphi, sg, signed[r]) if sg else values[r]
                  for r, sg in enumerate(c.signs))
    if c.name == "relu":
        shown = tuple(RELU_PRIME(zr) if r in signed else None for r, zr in enumerate(zs))
        unit_step = sympy.Heaviside(Z, 0)
        meanings = {shown[r]: _signed_slope(unit_step, c.signs[r], sz) if c.signs[r] else values[r]
                    for r, sz in signed.items()}
        generic = RELU_PRIME(Z_R)
    else:
        shown = tuple(dphi_at(r + 1) if r in signed else None for r in range(c.outputs))
        meanings = {shown[r]: exact[r] for r in signed}
        generic = dphi_at()
    meanings.update((zs[r], sz) for r, sz in signed.items())
    meanings[DPHI_Z] = dphi.subs(Z, Z_VEC)
    return Slopes(c=c, zs=zs, values=values, shown=shown, factors=values, generic=generic, meanings=meanings,
                  exact=exact, written=values)


@functools.lru_cache(maxsize=64)
def _on_side(dphi: sympy.Expr, sign: int) -> sympy.Expr:
    """phi'(z) at a z of the given sign (any: a fresh one)."""
    return dphi.subs(Z, sympy.Dummy(positive=sign > 0, negative=sign < 0))


def _signed_slope(dphi: sympy.Expr, sign: int, sz: Symbol) -> sympy.Expr:
    """phi'(z_r) for the checker, z_r read with its sign: the side's constant when the sign alone decides it
    (relu, leaky relu, |z|: the same for every row), else phi' of that z_r."""
    side = _on_side(dphi, sign)
    return side if not side.free_symbols else dphi.subs(Z, sz)


def _smooth(c: Config, zs: tuple, dphi: sympy.Expr) -> Slopes:
    args, tidy = arguments(c), tidy_form(dphi)
    shown = tuple(dphi_at(r + 1) for r in range(c.outputs))
    meanings = {**{sym: dphi.subs(Z, zr) for sym, zr in zip(shown, zs)},
                **{zr: args[r] for r, zr in enumerate(zs)}, DPHI_Z: dphi.subs(Z, Z_VEC)}
    # the displays keep phi'(z_r); the JSON value writes it out
    values = tuple(tidy.subs(Z, zr) for zr in zs)
    in_phi, written = None, values
    if c.name == "sigmoid":                   # phi' = phi(1 - phi), as the sigmoid's slope is known
        form = in_sigmoids(tidy, PHI)
        in_phi, written = form.subs(Z, Z_VEC), tuple(form.subs(Z, zr) for zr in zs)
        meanings[PHI] = sympy.Lambda(Z, c.phi)
    return Slopes(c=c, zs=zs, values=values, shown=shown, factors=shown,
                  exact=tuple(dphi.subs(Z, args[r]) for r in range(c.outputs)), generic=dphi_at(),
                  meanings=meanings, dphi=tidy.subs(Z, Z_VEC), in_phi=in_phi, written=written)


def _some(e) -> tuple:
    return () if e is None else (e,)
