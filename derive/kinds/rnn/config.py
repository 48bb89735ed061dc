"""rnn-activation's spec fields, validated, and the pieces both questions share for one unit.

Model: a<t> = phi(z<t>), z<t> = b + W_a a<t-1> + W_x x<t>, one unit, constant input x (a matrix W_a
makes several units: see ``units``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy
from sympy import Eq

from ... import fields
from ...fields import FieldError
from ...declare import needed, read
from ...mathparse import NAMED, parse_activation, written_activation
from ...steps import Text, say
from ...words import article, join_pieces
from ..activations import composed_derivative, slope
from .limits import T_EVIDENCE, long_T
from . import cells, units
from .keys import FIELDS, NAMES  # noqa: F401  (NAMES: the activations' names, stated in keys)
from .notation import A_PREV, A_T, B, DA_DAPREV, DA_DZ, DZ_DAPREV, PHI, SIGMA, W_A, W_X, X_T, Z



@dataclass(frozen=True)
class Config:
    activation: str          # as written in the spec
    phi: sympy.Expr          # the activation as an expression in z
    called: str | None       # what the problem text calls it
    W_a: sympy.Rational
    W_x: sympy.Rational | None
    b: sympy.Rational
    x: sympy.Rational
    a0: sympy.Rational
    T: int = T_EVIDENCE      # the sequence length of the evidence |da<T>/da<0>|


def configure(values: dict, asks) -> "Config | units.Units | cells.Cell":
    """The rules between the keys of an rnn-activation part (read by FIELDS): a gated cell when ``cell`` is given,
    several units when W_a is a matrix, W_x when x is not 0."""
    values = read(FIELDS, values)
    if values.get("cell") is not None:
        return cells.configure(values, asks)
    cells.check_unused(values)
    text = needed(values, FIELDS, "activation")
    phi = parse_activation(text)
    if isinstance(values.get("W_a"), list):
        several = units.configure(values, phi, text, fields.text(values, "called"))
        if several.n > 1 or (isinstance(values.get("x"), list) and len(values["x"]) > 1):
            return several              # one unit with several inputs: W_x a row, kept as the matrix it is
        values = {**values, "W_a": values["W_a"][0][0]}
        values.update({k: values[k][0] for k in ("b", "a0", "W_x", "x") if isinstance(values.get(k), list)})
    x = fields.number(values, "x", 0)
    W_x = fields.number(values, "W_x") if "W_x" in values else None
    if W_x is None and x != 0:
        raise FieldError("W_x", "missing: the input x is not 0, so its weight matters", expected="a number")
    return Config(activation=text, phi=phi, called=fields.text(values, "called"),
                  W_a=fields.number(values, "W_a"), W_x=W_x, b=fields.number(values, "b", 0),
                  x=x, a0=fields.number(values, "a0", 0), T=long_T(values))


def setting(c: Config) -> Text:
    """The situation the questions are asked about, with the spec's values."""
    called = f", {article(c.called)} “{c.called}”," if c.called else ""
    known = [Eq(W_A, c.W_a, evaluate=False), Eq(B, c.b, evaluate=False), Eq(X_T, c.x, evaluate=False)]
    if c.W_x is not None:
        known.insert(1, Eq(W_X, c.W_x, evaluate=False))
    pieces: list = ["One recurrent unit with ", *join_pieces(known)]
    pieces += [" for every t, and activation ", Eq(A_T, PHI(Z), evaluate=False), called, " with ",
               Eq(PHI(Z), written_activation(c.activation), evaluate=False), ", where ", Eq(Z, z_general(), evaluate=False), "."]
    return say(*pieces)


# --- shared pieces -------------------------------------------------------------------------

def z_general():
    """z<t> = b + W_a a<t-1> + W_x x<t> in symbols."""
    return B + W_A * A_PREV + W_X * X_T


def constant(c: Config) -> sympy.Expr:
    """The constant part b + W_x x of the pre-activation."""
    return c.b + (c.W_x or 0) * c.x


def meanings(c: Config) -> dict:
    """What each notation symbol means, for the checker (everything in terms of a<t-1>)."""
    return dict(_shared_meanings(c))


@functools.lru_cache(maxsize=32)
def _shared_meanings(c: Config) -> dict:
    z_of_prev = c.W_a * A_PREV + constant(c)
    m = {W_A: c.W_a, B: c.b, X_T: c.x, Z: z_of_prev, A_T: c.phi, PHI: sympy.Lambda(Z, c.phi),
         SIGMA: sympy.Lambda(Z, NAMED["sigmoid"]),
         DA_DZ: slope(c.phi)[0], DZ_DAPREV: sympy.diff(z_of_prev, A_PREV),
         DA_DAPREV: composed_derivative(c.phi, z_of_prev, A_PREV)}
    if c.W_x is not None:
        m[W_X] = c.W_x
    return m
