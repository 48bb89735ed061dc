"""The whole stability picture of one recurrent unit: unstable fixed points, several fixed points,
cycles, slope exactly 1, divergence, with values worked out by hand."""

import math

import pytest

import derive
from derive.formats import latex as tex


def solve(activation, **values):
    keys = "\n".join(f"{k} = {v!r}" for k, v in values.items())
    doc = derive.solve(derive.loads(f"""
title = "t"
[[problem]]
kind = "rnn-activation"
{keys}
  [[problem.part]]
  activation = '{activation}'
  ask = "stability"
"""))
    (q,) = doc.questions()
    return q


def prose(q) -> str:
    return " ".join(tex.text(s.text, q.notation) for s in q.steps) + " " + " ".join(tex.text(n, q.notation) for n in q.notes)


def tanh_fixed_point(W):
    """The positive solution of a = tanh(W a), by bisection (independent of derive)."""
    lo, hi = 1e-9, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.tanh(W * mid) > mid else (lo, mid)
    return lo


def test_sitting_on_an_unstable_fixed_point():
    q = solve("tanh", W_a=2, a0=0)
    v = q.answer.value
    assert v["verdict"] == "exploding" and v["fixed_point"] == 0 and v["factor"] == 2
    assert v["gradient_T"] == pytest.approx(2.0**100)
    p = tanh_fixed_point(2)
    text = prose(q)
    assert "3 solutions" in text and "unstable" in text
    assert f"{p:.6f}" in text                       # the perturbed state falls into +-a*
    assert f"{2 * (1 - p * p):.4g}" in text          # where the factor is below 1
    assert "on this exact path" in tex.text(q.answer.text, q.notation)


def test_two_cycle():
    q = solve("tanh", W_a=-2, a0=0.5)
    v = q.answer.value
    p = tanh_fixed_point(2)                          # the cycle is {p, -p}: -tanh(-2p) = tanh(2p) = p
    assert v["fixed_point"] is None
    assert v["factor"] == pytest.approx(2 * (1 - p * p), rel=1e-12)   # both states have the same factor
    assert v["verdict"] == "vanishing"
    assert "cycle of period 2" in prose(q) and "square root" in prose(q)


def test_three_fixed_points_from_either_side():
    low = solve("sigmoid", W_a=10, b=-5, a0=0.2).answer.value
    high = solve("sigmoid", W_a=10, b=-5, a0=0.6).answer.value
    assert low["fixed_point"] == pytest.approx(1 - high["fixed_point"], abs=1e-12)   # symmetric about 1/2
    assert low["fixed_point"] < 0.5 < high["fixed_point"]
    s = low["fixed_point"]
    assert low["factor"] == pytest.approx(10 * s * (1 - s), rel=1e-12)
    assert low["verdict"] == high["verdict"] == "vanishing"
    q = solve("sigmoid", W_a=10, b=-5, a0=0.5)                  # 1/2 itself: exact, unstable, factor 10/4
    assert q.answer.value["factor"] == 2.5 and q.answer.value["verdict"] == "exploding"


def test_slope_one_fixed_point_approached_slowly():
    q = solve("exp", W_a=1, b=-1)
    v = q.answer.value
    assert v["fixed_point"] == 1 and v["factor"] == 1 and v["verdict"] == "vanishing"
    assert "like a power of T" in prose(q)
    assert "slowly" in tex.text(q.answer.text, q.notation)


def test_relu_at_zero_convention():
    q = solve("relu", W_a=2, b=0, a0=0)
    assert q.answer.value["factor"] == 0 and q.answer.value["verdict"] == "vanishing"
    assert any("taken as 0" in tex.text(n, q.notation) for n in q.notes)


def test_no_real_fixed_point():
    q = solve("exp", W_a=0.5)          # e^(a/2) = a has no real solution: the state runs off
    v = q.answer.value
    assert v["fixed_point"] is None and v["verdict"] == "exploding"
    assert "no real solution" in prose(q)


def test_slope_bound_for_an_unrecognised_activation():
    # swish z·σ(z): its slope peaks at about 1.0998 (z ≈ 2.3994), found here by a fine scan
    q = solve("\\frac{z}{1+e^{-z}}", W_a=0.8, b=0.1)
    peak = max((1 + math.exp(-z) + z * math.exp(-z)) / (1 + math.exp(-z)) ** 2
               for z in (k / 10000 for k in range(0, 50000)))
    bound = [s for s in q.steps if "found numerically" in tex.text(s.text, q.notation)]
    assert bound and float(bound[0].chains[0].exprs[-1]) == pytest.approx(0.8 * peak, rel=1e-5)


def test_no_bound_when_the_slope_is_unbounded():
    q = solve("z^2", W_a=0.5)
    assert "keeps growing" in prose(q)


@pytest.mark.slow
def test_exact_constants_as_values():
    """W_a = '\\sqrt{2}', b = '\\ln 3', a0 = '\\sqrt{2}/4' are read exactly by the safe parser; the verdict and
    |da<T>/da<0>| agree with autograd through the unrolled recurrence (float64)."""
    import math
    import torch
    doc = derive.solve(derive.from_mapping({"title": "t", "problem": [{"kind": "rnn-activation",
        "activation": "tanh", "W_a": r"\sqrt{2}", "b": r"\ln 3", "a0": r"\frac{\sqrt{2}}{4}",
        "part": [{"ask": ["derivative", "stability"]}]}]}))
    derivative, stability = doc.questions()
    assert derivative.answer.value == "sqrt(2)*(1 - tanh(z)**2)"
    a0 = torch.tensor(math.sqrt(2) / 4, dtype=torch.float64, requires_grad=True)
    a = a0
    for _ in range(stability.answer.value["T"]):
        a = torch.tanh(math.sqrt(2) * a + math.log(3))
    a.backward()
    assert abs(stability.answer.value["gradient_T"] - abs(a0.grad.item())) <= 1e-9 * abs(a0.grad.item()) + 1e-300
    assert stability.answer.value["fixed_point"] == pytest.approx(a.item(), rel=1e-12)
    with pytest.raises(derive.errors.SpecError, match="field 'W_a'.*cannot depend on z"):
        derive.from_mapping({"title": "t", "problem": [{"kind": "rnn-activation", "activation": "tanh",
                                                         "W_a": "z", "part": [{"ask": "derivative"}]}]})
