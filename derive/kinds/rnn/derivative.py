"""rnn-activation, one unit: the derivative of one recurrent step, da<t>/da<t-1> = W_a phi'(z<t>)."""

from __future__ import annotations

import sympy
from sympy import Eq, Heaviside

from ...mathparse import NAMED, written_activation
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import article
from ..activations import READABLE, kinks, recognise, slope
from .config import Config, constant, meanings, z_general
from .notation import (A_PREV, A_T, DA_DAPREV, DA_DZ, DZ_DAPREV, PHI, QUOTIENT_RULE, QUOTIENT_RULE_RHS, SIGMA, W_A,
                       Z)


def derivative(c: Config) -> Solution:
    """da<t>/da<t-1> by the chain rule, through phi'(z) (and phi' in terms of a<t> where it exists)."""
    steps, notes = [], []
    name = recognise(c.phi)
    notes += _naming_notes(c, name)
    z_prev = c.W_a * A_PREV + constant(c)
    steps.append(step(say("Write the pre-activation with the given values."),
                      chain(Z, z_general(), z_prev)))
    steps.append(step(say("Chain rule through ", Z, ": the activation depends on ", A_PREV, " only through ", Z, "."),
                      chain(DA_DAPREV, DA_DZ * DZ_DAPREV)))
    steps.append(step(say("The pre-activation is linear in ", A_PREV, "."),
                      chain(DZ_DAPREV, W_A, c.W_a)))
    if name and c.phi != NAMED[name]:
        steps.append(step(say("The formula is ", READABLE[name], ":"), chain(PHI(Z), written_activation(c.activation), NAMED[name])))
    dphi, g = slope(c.phi)
    steps += _differentiate(c.phi, dphi)
    if g is not None:
        steps.append(step(say("Since ", Eq(A_T, PHI(Z), evaluate=False), ", this can be written with the output itself."),
                          chain(DA_DZ, dphi, g)))
    final = c.W_a * dphi
    steps.append(step(say("Multiply the two factors."),
                      chain(DA_DAPREV, W_A * DA_DZ, final, *([c.W_a * g] if g is not None else []))))
    ans_chain = chain(DA_DAPREV, final, *([c.W_a * g] if g is not None else []))
    notes += kink_notes(name, dphi) + _max_note(c.activation, name)
    question = say("Find ", DA_DAPREV, ", first finding ", DA_DZ, ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings(c),
                    answer=Answer(value=str(final), chain=ans_chain))


def kink_notes(name: str | None, dphi: sympy.Expr) -> list[Text]:
    """How phi' is taken where phi has a kink: PyTorch's slope of the branch below it."""
    if dphi == Heaviside(Z, 0):
        return [say("The ReLU is not differentiable at 0; the derivative there is taken as 0 (",
                    Eq(Heaviside(0, 0), 0, evaluate=False), "), as PyTorch and TensorFlow do.")]
    whose = ("as PyTorch does for " + READABLE[name]) if name in ("relu", "leaky_relu") else \
        "the convention of PyTorch's ReLU and leaky ReLU"
    return [say("The activation is not differentiable at ", let(Z, z0), "; the derivative there is taken as"
                " the slope of the branch below the kink, ", let(DA_DZ, dphi.subs(Z, z0)), f" ({whose}).")
            for z0 in kinks(dphi)]


def _max_note(text: str, name: str | None) -> list[Text]:
    """An activation written with max read as a ReLU (or a leaky one) takes its slope at the kink, not the ½ of
    torch.maximum (which splits the gradient between its arguments at a tie)."""
    if name not in ("relu", "leaky_relu") or "max" not in text.lower():
        return []
    return [say("The activation is written with max and read as ", READABLE[name], ": its slope at the kink is the"
                " branch below's, as torch.relu and F.leaky_relu take it; torch.maximum of the two branches would"
                " split the gradient there, half to each (in a graph's equations max(a, b) is torch.maximum).")]


def _naming_notes(c: Config, name: str | None) -> list[Text]:
    if not c.called or name is None or c.called.strip().lower().replace("-", "_") == name:
        return []
    note = say(f"The problem calls this activation {article(c.called)} “{c.called}”, but the formula is ",
               READABLE[name], ", ", Eq(PHI(Z), NAMED[name], evaluate=False), ".")
    if name == "tanh" and "sigmoid" in c.called.lower():
        note += say(" It is S-shaped like the logistic sigmoid, and in fact ",
                    Eq(sympy.tanh(Z), 2 * SIGMA(2 * Z) - 1, evaluate=False),
                    ", but its range is (−1, 1) and its slope at 0 is 1, not 1/4."
                    " The answer follows the formula as written.")
    else:
        note += say(" The answer follows the formula as written.")
    return [note]


def _differentiate(phi: sympy.Expr, dphi: sympy.Expr) -> list:
    """The steps that get to phi'(z): the quotient rule for a fraction, else the derivative directly."""
    num, den = sympy.fraction(sympy.together(phi))
    if den != 1 and den.has(Z):
        dnum, dden = sympy.diff(num, Z), sympy.diff(den, Z)
        rule = sympy.Mul(sympy.Add(sympy.Mul(dnum, den, evaluate=False), -sympy.Mul(num, dden, evaluate=False),
                                   evaluate=False), sympy.Pow(den, -2, evaluate=False), evaluate=False)
        expanded = sympy.expand(dnum * den - num * dden) / den**2
        return [step(say("Quotient rule: ", let(QUOTIENT_RULE, QUOTIENT_RULE_RHS), "."),
                           chain(DA_DZ, rule, expanded, *([dphi] if expanded != dphi else [])))]
    return [step(say("Differentiate the activation."), chain(DA_DZ, dphi))]
