"""An argument exactly 0, on the kink of the activation: the slope taken there and how it is said.

With numbers an argument z_r is often exactly 0. PyTorch computes a slope there all the same: torch.relu and
F.leaky_relu take the slope of the branch below the kink (0 and the negative slope, 1/100), torch.abs the sign
of 0, which is 0. derive takes the same slope for the activations it recognises as these (``at_kink``); for any
other activation with a kink at 0 the slope PyTorch would compute depends on how the formula is written
(torch.maximum splits a tie), so there the spec must give the side. A sign the spec gives for an argument that
is exactly 0 picks that side's slope (and a note says so, with PyTorch's)."""

from __future__ import annotations

import sympy

from ...mathparse import NAMED, Z
from ...steps import Text, let, say
from ...words import join_pieces
from ..activations import derivative
from .names import Z_VEC, agree

PYTORCH = {"relu": "torch.relu", "leaky_relu": "F.leaky_relu", "abs": "torch.abs"}


def at_kink(phi: sympy.Expr, name: str | None) -> sympy.Expr | None:
    """PyTorch's slope at z = 0 for the ReLU, the leaky ReLU (that of the branch below) and |z| (sign(0), 0);
    None for another activation (no single convention)."""
    if name in ("relu", "leaky_relu"):
        return derivative(NAMED[name]).subs(Z, 0)
    if phi == sympy.Abs(Z):
        return sympy.Integer(0)
    return None


def convention(phi: sympy.Expr, name: str | None) -> str | None:
    """Which of PyTorch's functions the slope at 0 follows."""
    if name in PYTORCH:
        return name
    return "abs" if phi == sympy.Abs(Z) else None


def slope_at(obj, r: int, zr):
    """Row r's slope, phi'(z_r): by its sign, the side the spec gives for a z_r of exactly 0, else PyTorch's
    slope at the kink. ``obj`` is a Config or a Layer (signs, at_zero, slopes, kink)."""
    s = obj.signs[r]
    if s:
        return _at(obj.slopes[0 if s > 0 else 1], zr)
    side = obj.at_zero[r] if obj.at_zero else 0
    if side:
        return _at(obj.slopes[0 if side > 0 else 1], sympy.Integer(0))
    return obj.kink


def _at(slope: sympy.Expr, zr) -> sympy.Expr:
    """A side's slope (in Z_VEC) at z_r: a constant slope (relu's 1 and 0) as it is, without substituting."""
    return slope.subs(Z_VEC, zr) if slope.free_symbols else slope


def zeros(obj) -> tuple[list[int], list[int]]:
    """0-based rows whose argument is exactly 0: those taking PyTorch's slope, those taking a given side."""
    if not obj.kinked or obj.signs is None:
        return [], []
    given = obj.at_zero or (0,) * len(obj.signs)
    rows = [r for r, s in enumerate(obj.signs) if s == 0]
    return [r for r in rows if not given[r]], [r for r in rows if given[r]]


def _below(obj) -> str:
    which = convention(obj.phi, obj.name)
    if which == "abs":
        return " (the sign of 0, neither side's slope)"
    return f", the {'ReLU' if which == 'relu' else 'leaky ReLU'}'s slope below the kink"


def notes(obj, zs) -> list[Text]:
    """What the slope at an argument of exactly 0 is taken to be, and why (nothing when no argument is 0)."""
    pytorch, given = zeros(obj)
    out = []
    if pytorch:
        many = len(pytorch) > 1
        out.append(say(*join_pieces([let(zs[r], 0) for r in pytorch]),
                       f" {agree(len(pytorch), 'sits', 'sit')} on the kink; as PyTorch does"
                       f" ({PYTORCH[convention(obj.phi, obj.name)]}), {'their' if many else 'its'} slope is taken as ",
                       obj.kink, _below(obj) + "."))
    for r in given:
        side = obj.at_zero[r]
        words = "positive" if side > 0 else "negative"
        value = slope_at(obj, r, 0)
        tail = [" (PyTorch would take ", obj.kink, ")."] if obj.kink is not None and obj.kink != value else ["."]
        out.append(say(let(zs[r], 0), f" sits on the kink; the spec's sign \"{'+' if side > 0 else '-'}\" takes the"
                       f" slope of the {words} side there, ", value, *tail))
    return out


def clause(obj) -> list:
    """Pieces for the slope step: the slope taken at 0 itself, when an argument is 0 ([] otherwise)."""
    pytorch, given = zeros(obj)
    out = []
    if pytorch:
        out += [", and at 0 itself PyTorch takes ", obj.kink]
    if given:
        out += [", and at 0 itself the slope of the side the spec's sign gives"]
    return out


def any_zero(obj) -> bool:
    pytorch, given = zeros(obj)
    return bool(pytorch or given)


def refusal(obj, zs_values, raw) -> str | None:
    """Why the slope at an argument of exactly 0 is not decided (no convention, no side given), or None."""
    if not obj.kinked or obj.kink is not None:
        return None
    given = obj.at_zero or (0,) * len(zs_values)
    for r, v in enumerate(zs_values):
        if v == 0 and not given[r]:
            return (f"argument {r + 1} is exactly 0, at the kink of '{obj.activation}'; derive takes PyTorch's slope"
                    " there only for relu, leaky_relu and |z| (\\sqrt{z^2}; for another formula it depends on how"
                    " it is written), so give the signs to say which side")
    return None
