"""The activation's slope phi'(z_r) at each output: decided by the signs, or kept as a function of z_r."""

from __future__ import annotations

import sympy
from sympy import ImmutableMatrix, MatMul

from ...mathparse import Z
from ...steps import Text, chain, let, say, step
from ...words import join, join_pieces
from ..activations import derivative, tidy as tidy_form
from .config import Config
from .matrix import arguments, zero_rows
from .names import DPHI_Z, F_MAT, RELU_PRIME, X_VEC, Z_R, Z_VEC, agree, dphi_at, signed_z, z


class _Slopes:
    """phi'(z_r) for each row: how it is shown, its value, and what the checker needs to know."""

    def __init__(self, c: Config):
        self.c = c
        args = arguments(c)
        dphi = derivative(c.phi)
        self.zs = [z(r + 1) for r in range(c.outputs)]
        if c.kinked:
            # the checker reads each z_r with the sign the spec gives it, which decides the slope
            signed = [signed_z(r + 1, sg) for r, sg in enumerate(c.signs)]
            self.values = [c.slopes[0 if sg > 0 else 1].subs(Z_VEC, zr) for sg, zr in zip(c.signs, self.zs)]
            if c.name == "relu":
                self.shown = [RELU_PRIME(zr) for zr in self.zs]
                self.meanings = {RELU_PRIME(zr): sympy.Heaviside(sz, 0) for zr, sz in zip(self.zs, signed)}
                self.generic = RELU_PRIME(Z_R)
            else:
                self.shown = [dphi_at(r + 1) for r in range(c.outputs)]
                self.meanings = {sym: dphi.subs(Z, sz) for sym, sz in zip(self.shown, signed)}
                self.generic = dphi_at()
            self.meanings.update(zip(self.zs, signed))
            self.factors = self.values            # what multiplies each row in the displays
            self.exact = [dphi.subs(Z, sz) for sz in signed]
        else:
            tidy = tidy_form(dphi)
            self.values = [tidy.subs(Z, zr) for zr in self.zs]
            self.shown = [dphi_at(r + 1) for r in range(c.outputs)]
            self.meanings = {**{sym: dphi.subs(Z, zr) for sym, zr in zip(self.shown, self.zs)},
                             **{zr: args[r] for r, zr in enumerate(self.zs)}}
            self.generic = dphi_at()
            self.factors = self.shown             # displays keep phi'(z_r); the JSON value writes it out
            self.exact = [dphi.subs(Z, args[r]) for r in range(c.outputs)]
            self.dphi = tidy.subs(Z, Z_VEC)
        self.meanings[DPHI_Z] = dphi.subs(Z, Z_VEC)

    def conditions(self) -> list:
        return [let(z(i + 1), 0, ">") if s > 0 else
                let(z(i + 1), 0, "<") for i, s in enumerate(self.c.signs)]

    def step(self):
        """The step that finds each row's slope."""
        c = self.c
        if not c.kinked:
            return step(say("Differentiate the activation. Its slope depends on the argument itself, so row r is"
                            " scaled by ", self.generic, ", with ", Z_R, " the r-th entry of ",
                            MatMul(F_MAT, X_VEC), ":"), chain(DPHI_Z, self.dphi))
        conds = join_pieces(self.conditions())
        if c.name == "relu":
            text = say("The ReLU's derivative is 1 for a positive argument and 0 for a negative one; with ", *conds,
                       ":")
        elif c.name == "leaky_relu":
            text = say("The leaky ReLU's derivative is 1 for a positive argument and ", c.slopes[1],
                       " for a negative one; with ", *conds, ":")
        else:
            text = say("On each side of 0 the activation is smooth: ", let(DPHI_Z, c.slopes[0]),
                       " for ", let(Z_VEC, 0, ">"), " and ",
                       let(DPHI_Z, c.slopes[1]), " for ",
                       let(Z_VEC, 0, "<"), "; with ", *conds, ":")
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
            out.append(say(f"The window of {agree(len(dead), 'output', 'outputs')} {join(r + 1 for r in dead)}"
                           " lies entirely in the"
                           " padding, so its argument is exactly 0 whatever x and f and the stated sign cannot hold;"
                           " its row is zero whatever the slope there is taken to be."))
        return out

    def answer_text(self) -> Text:
        """For a smooth activation, what phi'(z_r) in the boxed answer is."""
        if self.c.kinked:
            return Text(())
        return say("With ", let(DPHI_Z, self.dphi), " and ", Z_R,
                   " the r-th entry of ", MatMul(F_MAT, X_VEC), ":")

    def question_tail(self) -> list:
        return [", assuming ", *join_pieces(self.conditions())] if self.c.kinked else []
