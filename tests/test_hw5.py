"""The ten HW5 answers, their notes, and questions restated with the spec's values."""

import sympy
import pytest

from derive.mathparse import Z
from derive.formats import latex as tex

SIGMA = 1 / (1 + sympy.exp(-Z))


def same(value: str, expected) -> bool:
    """A derivative string equals the expected expression (numerically at several points)."""
    got = sympy.sympify(value, locals={"z": Z})  # our own output, not user text
    return all(abs(sympy.N((got - expected).subs(Z, v))) < 1e-12 for v in (-1.3, 0.2, 0.7, 2.1))


def test_ids(hw5):
    assert [q.id for q in hw5.questions()] == "1a.i 1a.ii 1b.i 1b.ii 2a 2b 2c 2d 3a 3b".split()


def test_1a_sigmoid_derivative(hw5_answers):
    assert same(hw5_answers["1a.i"], SIGMA * (1 - SIGMA))


def test_1a_sigmoid_vanishes(hw5_answers):
    v = hw5_answers["1a.ii"]
    assert v["verdict"] == "vanishing"
    # a* = sigma(a*): 0.6590460684..., factor a*(1 - a*)
    assert v["fixed_point"] == pytest.approx(0.659046068407, abs=1e-12)
    assert v["factor"] == pytest.approx(0.659046068407 * (1 - 0.659046068407), abs=1e-12)


def test_1b_tanh_derivative(hw5_answers):
    assert same(hw5_answers["1b.i"], 1 - sympy.tanh(Z) ** 2)


def test_1b_tanh_neither(hw5_answers):
    assert hw5_answers["1b.ii"] == {"verdict": "neither", "fixed_point": 0.0, "factor": 1.0,
                                    "gradient_T": 1.0, "T": 100}


def test_2_cnn(hw5_answers):
    assert hw5_answers["2a"] == [280, 0]
    assert hw5_answers["2b"] == [[126, 126, 10], [63, 63, 10]]
    assert hw5_answers["2c"] == 1
    assert hw5_answers["2d"] == [4, 4]


def test_3_conv1d(hw5_answers):
    assert hw5_answers["3a"] == [["f1", "f2", "f3", "0", "0"], ["0", "f1", "f2", "f3", "0"],
                                 ["0", "0", "f1", "f2", "f3"]]
    assert hw5_answers["3b"] == ["x1", "x2", "0"]


def notes(doc, qid):
    q = next(q for q in doc.questions() if q.id == qid)
    return " ".join(tex.text(n, q.notation) for n in q.notes)


def test_the_four_notes(hw5):
    assert "calls this activation a ``sigmoid''" in notes(hw5, "1b.i")
    assert "hyperbolic tangent" in notes(hw5, "1b.i")
    assert notes(hw5, "1a.i") == ""                      # the formula really is the sigmoid
    assert "depth is the number of filters (10)" in notes(hw5, "2c")
    assert "4~$\\times$~5" in notes(hw5, "3a") and "3~$\\times$~5" in notes(hw5, "3a")
    assert "signs of the ReLU's whole arguments" in notes(hw5, "3b")


def test_questions_restate_values(hw5):
    settings = {(p.number, part.letter): tex.text(part.setting, p.notation) for p in hw5.problems for part in p.parts
                if part.setting is not None}
    assert "W_a^{[1]} = 1" in settings[(1, "a")] and "\\frac{e^{z" in settings[(1, "a")]
    assert "128~$\\times$~128~$\\times$~3" in settings[(2, "a")]
    assert "10 filters each of shape 3~$\\times$~3~$\\times$~3" in settings[(2, "a")]
    assert (2, "b") not in settings            # the same network is not repeated for every part
    q3b = next(q for q in hw5.questions() if q.id == "3b")
    assert "z_{1} > 0" in tex.text(q3b.text, q3b.notation) and "z_{3} < 0" in tex.text(q3b.text, q3b.notation)


def test_every_step_is_justified(hw5):
    for q in hw5.questions():
        assert q.steps, q.id
        for s in q.steps:
            assert tex.text(s.text, q.notation).strip(), q.id
