"""An activation's slope at its kink is PyTorch's: relu'(0) = 0 and leaky_relu'(0) = 1/100, the slope of
the branch below. Checked against autograd on states that sit exactly on the kink."""

from __future__ import annotations

import pytest
import sympy
import torch
import torch.nn.functional as F

import derive
from conftest import answers
from derive.formats import latex
from derive.kinds.activations import derivative, kinks
from derive.mathparse import NAMED, Z

TORCH = {"relu": torch.relu, "leaky_relu": F.leaky_relu}


def _autograd_slope(name: str, z: float) -> float:
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    TORCH[name](t).backward()
    return t.grad.item()


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
@pytest.mark.parametrize("z", [-2, 0, 3])
def test_slope_matches_autograd_on_and_off_the_kink(name, z):
    assert float(derivative(NAMED[name]).subs(Z, z)) == pytest.approx(_autograd_slope(name, float(z)), abs=0)


def test_a_leaky_relu_written_as_max_has_the_same_slope_at_zero():
    assert derivative(sympy.Max(Z / 100, Z)).subs(Z, 0) == sympy.Rational(1, 100)
    assert kinks(derivative(NAMED["leaky_relu"])) == (0,)


def _unrolled_gradient(name, W, b, a0, T):
    a = torch.tensor(float(a0), dtype=torch.float64, requires_grad=True)
    h = a
    for _ in range(T):
        h = TORCH[name](W * h + b)
    h.backward()
    return abs(a.grad.item()), h.item()


@pytest.mark.parametrize("name,W,b,a0", [("leaky_relu", 2, 0, 0), ("leaky_relu", -3, 0, 0), ("relu", 2, 0, 0),
                                         ("leaky_relu", 1, 0, 0), ("leaky_relu", 2, 1, -0.5)])
def test_stability_on_the_kink_is_autograds(name, W, b, a0):
    T = 6
    value = answers("rnn-activation", {"ask": "stability"}, activation=name, W_a=W, b=b, a0=a0, T=T)["1a"]
    grad, state = _unrolled_gradient(name, W, b, a0, T)
    assert value["gradient_T"] == pytest.approx(grad, rel=1e-12, abs=1e-300)
    if value["fixed_point"] is not None:
        assert value["fixed_point"] == pytest.approx(state, abs=1e-12)


def test_two_units_on_the_kink():
    W = [[2, -1], [1, 3]]
    value = answers("rnn-activation", {"ask": "stability"}, activation="leaky_relu", W_a=W, b=[0, 0], a0=[0, 0],
                    T=4)["1a"]
    a = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    Wt = torch.tensor(W, dtype=torch.float64)

    def step(h):
        for _ in range(4):
            h = F.leaky_relu(Wt @ h)
        return h
    J = torch.autograd.functional.jacobian(step, a)
    assert value["gradient_T"] == pytest.approx(torch.linalg.matrix_norm(J, ord=2).item(), rel=1e-9)


def test_the_note_gives_the_slope_taken_and_the_printers_show_the_closed_side():
    doc = derive.solve(derive.from_mapping({"title": "t", "problem": [{
        "kind": "rnn-activation", "activation": "leaky_relu", "W_a": 2, "b": 0, "a0": 0, "part": [{"ask": "derivative"}]}]}))
    q = next(doc.questions())
    assert any(sympy.Rational(1, 100) in [getattr(p, "rhs", None) for p in n.pieces] for n in q.notes)
    assert r"\geq 0" in latex.math(sympy.Heaviside(-Z, 1))
    assert r"> 0" in latex.math(sympy.Heaviside(Z, 0))
