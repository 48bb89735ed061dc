"""conv1d-matrix: a 1D convolution (stride, padding, dilation) as a banded matrix F, then an activation.

Questions: the matrix F with F x = z (the activation's argument), and the derivatives of
a = phi(z): with respect to one filter weight (``gradient``), the whole filter (``jacobian``)
and the input (``input-gradient``). For an activation with a kink at 0 (ReLU, leaky ReLU,
|z|, ...) the spec gives the sign of each argument, which decides each row's slope; for a
smooth activation the slope phi'(z_r) stays a function of z_r = (F x)_r.
"""

from __future__ import annotations

from ...mathparse import Z
from ...steps import Solution, Text, let, say
from ...words import join
from ..base import REQUIRED, Field, Kind, register
from ..activations import READABLE
from .config import Config, configure
from .derivatives import _gradient, _input_gradient, _jacobian
from .matrix import _matrix, arguments, filter_vector, inputs
from .names import A_VEC, F_VEC, NOTATION, PHI, RELU, X_VEC, Z_VEC


def setting(c: Config) -> Text:
    """The input, the filter, the geometry and the activation, with the spec's values."""
    pieces = [f"A one-dimensional input of length {c.length} and a filter of width {c.width}: ",
              let(X_VEC, inputs(c)), ", ", let(F_VEC, filter_vector(c)), "."]
    geometry = _geometry(c)
    if geometry:
        pieces.append(f" The filter slides with {geometry}.")
    if c.name == "relu":
        pieces += [" The layer's output is ", let(A_VEC, RELU(arguments(c))),
                   ", with the ReLU applied elementwise."]
    else:
        known = f" ({READABLE[c.name]})" if c.name else ""
        pieces += [" The layer's output is ", let(A_VEC, PHI(arguments(c))), ", with ",
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


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of a conv1d-matrix part."""
    return {"matrix": _matrix, "gradient": _gradient, "jacobian": _jacobian,
            "input-gradient": _input_gradient}[ask](c)


@register
class Conv1dMatrix(Kind):
    """A 1D convolution as a banded matrix, then an activation, and its derivatives."""

    name = "conv1d-matrix"
    notation = NOTATION
    summary = "a 1D convolution (stride, padding, dilation) as a matrix F, then an activation; its derivatives"
    asks = {
        "matrix": "the banded matrix F with z = F x",
        "gradient": "da/df_j for one filter weight ('wrt')",
        "jacobian": "da/df, m x k",
        "input-gradient": "da/dx = diag(phi'(z)) F, m x n",
    }
    fields = (
        Field("length", "a whole number >= 1", "the input length n", REQUIRED),
        Field("width", "a whole number >= 1", "the filter width k", REQUIRED),
        Field("stride", "a whole number >= 1", "entries the filter moves per output", 1),
        Field("padding", "a whole number, or [left, right]", "zeros added on both sides", 0),
        Field("dilation", "a whole number >= 1", "entries between neighbouring filter weights", 1),
        Field("activation", "LaTeX in z, or a name such as relu", "the activation after the convolution", "relu"),
        Field("wrt", '"f1" ... "fk"', "for 'gradient': the filter weight"),
        Field("signs", 'a list of "+" or "-", one per output', "for a kinked activation: the sign of each"
              " argument z_r"),
        Field("blank", "[rows, columns]", "the blank drawn in the question (a note says when F's shape differs)"),
    )

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)
