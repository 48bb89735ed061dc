"""conv1d-matrix: a 1D convolution (stride, padding, dilation) as a banded matrix F, then an activation.

Questions: the matrix F with F x = z (the activation's argument), and the derivatives of
a = phi(z): with respect to one filter weight (``gradient``), the whole filter (``jacobian``)
and the input (``input-gradient``). For an activation with a kink at 0 (ReLU, leaky ReLU,
|z|, ...) the spec gives the sign of each argument, which decides each row's slope; for a
smooth activation the slope phi'(z_r) stays a function of z_r = (F x)_r.
"""

from __future__ import annotations

from dataclasses import replace

import sympy
from sympy import ImmutableMatrix

from ...mathparse import Z
from ...steps import Solution, Text, let, say
from ...words import join
from ..base import Kind
from ..activations import READABLE
from . import band, compose, plane, symbolic, values
from .compose import Composition
from .plane import DOTS
from .numbers import with_numbers
from .config import Config
from .keys import FIELDS
from .layer import Layer, configure
from .derivatives import _gradient, _input_gradient, _jacobian
from ...figures import Later
from .figures import mask_figures, matrix_figures, matrix_figures_1d
from .matrix import _matrix, arguments, filter_vector, inputs, layout
from .slopes import slopes
from .names import A_VEC, F_MAT, F_VEC, NOTATION, PHI, RELU, X_VEC, Z_VEC


def setting_1d(c: Config) -> Text:
    """The input, the filter, the geometry and the activation, with the spec's values."""
    xs = inputs(c) if not band.long(c) else sympy.Transpose(ImmutableMatrix([[*inputs(c)[:3], DOTS, inputs(c)[-1]]]))
    pieces = [f"A one-dimensional input of length {c.length} and a filter of width {c.width}: ",
              let(X_VEC, xs), ", ", let(F_VEC, filter_vector(c)), "."]
    geometry = _geometry(c)
    if geometry:
        pieces.append(f" The filter slides with {geometry}.")
    args = arguments(c) if not band.long(c) else Z_VEC
    if band.long(c):
        pieces += [" The activation's argument is ", let(Z_VEC, sympy.MatMul(F_MAT, X_VEC)), "."]
    if c.name == "relu":
        pieces += [" The layer's output is ", let(A_VEC, RELU(args)),
                   ", with the ReLU applied elementwise."]
    else:
        known = f" ({READABLE[c.name]})" if c.name else ""
        pieces += [" The layer's output is ", let(A_VEC, PHI(args)), ", with ",
                   let(PHI(Z_VEC), c.phi.subs(Z, Z_VEC)), known, " applied elementwise."]
    return say(*pieces)


def _geometry(c: Config) -> str:
    """'stride 2, zero padding of 1 on each side and dilation 2 (...)', or '' for the plain convolution."""
    out = []
    if c.stride != 1:
        out.append(f"stride {c.stride}")
    pl, pr = c.padding
    if pl == pr and pl:
        out.append(f"zero padding of {pl} on each side")
    elif pl or pr:
        out.append(f"zero padding of {pl} on the left and {pr} on the right")
    if c.dilation != 1:
        out.append(f"dilation {c.dilation} (neighbouring weights {c.dilation} entries apart)")
    return join(out)


LEGACY = {"matrix": _matrix, "gradient": _gradient, "jacobian": _jacobian, "input-gradient": _input_gradient}
# HW5's 1D figures, drawn from the analysis the steps narrate: F from its layout, the ReLU's mask from the slopes.
FIGURES_1D = {"matrix": lambda c: matrix_figures_1d(c, layout(c)), "gradient": lambda c: mask_figures(c, slopes(c))}


def _legacy(c: Config, ask: str) -> Solution:
    """One of HW5's 1D questions: its steps, then its figures."""
    sol = LEGACY[ask](c)
    draw = FIGURES_1D.get(ask)
    return replace(sol, figures=Later(draw, c)) if draw else sol


def solve(c: Config | Layer | Composition, ask: str) -> Solution:
    """Derive one question of a conv-matrix part: HW5's 1D symbols as before, the general layer otherwise."""
    if isinstance(c, Composition):
        return compose.solve(c, ask)
    if isinstance(c, Config):
        return band.SOLVERS[ask](c) if band.long(c) else _legacy(c, ask)
    if ask in LEGACY and c.legacy is not None and (ask != "matrix" or c.f is None):
        sol = _legacy(c.legacy, ask)
        return with_numbers(sol, c) if ask != "matrix" and c.x is not None and c.f is not None else sol
    if ask in ("gradient", "jacobian", "input-gradient"):
        return symbolic.gradient(c, c.wrt) if ask == "gradient" else getattr(symbolic, ask.replace("-", "_"))(c)
    if ask == "matrix":
        return replace(plane.matrix(c), figures=Later(lambda: matrix_figures(c, plane.layer_matrix(c))))
    return {"output-size": plane.output_size, "forward": values.forward,
            "filter-gradient-value": values.filter_gradient, "input-gradient-value": values.input_gradient}[ask](c)


def setting(c: Config | Layer | Composition) -> Text:
    """HW5's 1D setting as before; the general layer's otherwise."""
    if isinstance(c, Composition):
        return compose.setting(c)
    if isinstance(c, Config):
        return setting_1d(c)
    if c.legacy is not None and c.x is None and c.f is None and c.upstream is None:
        return setting_1d(c.legacy)
    return values.setting(c)


class ConvMatrix(Kind):
    """A 1D or 2D convolution (or transposed convolution) as a matrix, then an activation; its derivatives."""

    name = "conv-matrix"
    aliases = ("conv1d-matrix",)
    notation = NOTATION
    summary = ("a 1D or 2D convolution (stride, padding, dilation, channels, transposed) as a matrix F, then an"
               " activation; its derivatives, with symbols or numbers")
    asks = {
        "matrix": "the matrix F with z = F x (banded in 1D, doubly block Toeplitz in 2D; F^T when transposed)",
        "output-size": "m (1D) or [m_h, m_w] (2D): Conv's or ConvTranspose's output size",
        "forward": "with x and f: z and a, in the output's shape",
        "gradient": "da/df_j for one filter weight ('wrt')",
        "jacobian": "da/df, outputs x weights",
        "input-gradient": "da/dx = diag(phi'(z)) F (F^T when transposed), outputs x inputs",
        "filter-gradient-value": "with x, f, upstream: dL/df, numbers in the filter's shape",
        "input-gradient-value": "with x, f, upstream: dL/dx, numbers in the input's shape",
        "compose": "width = [k1, k2], no activation: two 1D convolutions in a row as one, its kernel from the product"
                   " of their matrices",
    }
    fields = FIELDS

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)
