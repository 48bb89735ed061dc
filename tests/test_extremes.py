"""Specs at the edges of what is legal, and wrong types where a name is expected: each is answered (every
format renders) or refused with a SpecError naming its field, never another exception."""

from __future__ import annotations

import json
import math
import re

import mpmath
import pytest
import sympy

import derive
from derive.check import is_zero
from derive.errors import SpecError

TEXT_FORMATS = ("latex", "markdown", "html", "json", "beamer")


def rnn(**values) -> dict:
    part = {"activation": values.pop("activation", "tanh"), "ask": ["stability"]}
    return {"title": "t", "problem": [{"kind": "rnn-activation", **values, "part": [part]}]}


def decay_caption(doc) -> str:
    (figure,) = [f for f in doc.problems[0].parts[0].questions[0].figures if f.body.log_y]
    return figure.caption


def test_a_gradient_below_the_doubles_is_drawn_as_far_as_it_goes():
    """|da<T>/da<0>| ~ 1e-404 after 100 steps: its last ~20 sizes have no double. Every format draws the
    curve up to the last one that has (the log axis' lower end, ~1e-330, has no double either) and the
    caption says where it stops."""
    doc = derive.solve(derive.from_mapping(rnn(W_a=2, x=1, W_x=3.7, a0=0.5, T=100)))
    for fmt in TEXT_FORMATS:
        assert derive.render(doc, fmt)
    answer = json.loads(derive.render(doc, "json"))["parts"][0]["answer"]["value"]
    assert answer["verdict"] == "vanishing" and answer["gradient_T"] == 0.0      # 1.2e-404: the nearest double
    caption = decay_caption(doc)
    assert "From step 81 on the size is too small for the double-precision numbers" in caption


def test_a_gradient_of_exactly_zero_is_said_to_be_zero():
    """ReLU with a negative weight: the size is 0 from the first step on, nothing a log axis can show, so the
    decay figure is left out (the cobweb stays); one that reaches 0 later stops there, saying so."""
    doc = derive.solve(derive.from_mapping(rnn(activation="relu", W_a=-1, a0=0.5)))
    for fmt in TEXT_FORMATS:
        assert derive.render(doc, fmt)
    figures = doc.problems[0].parts[0].questions[0].figures
    assert figures and not any(f.body.log_y for f in figures)
    doc = derive.solve(derive.from_mapping(rnn(activation="relu", W_a=-1, a0=-0.5, T=5)))
    assert "From step 2 on the size is 0, which a log axis cannot show." in decay_caption(doc)


def test_a_drawable_gradient_has_no_such_sentence():
    doc = derive.solve(derive.from_mapping(rnn(W_a=1, a0=0.5)))
    assert "From step" not in decay_caption(doc)


@pytest.mark.parametrize("bad", [[2, 1], {"a": 1}, 0.1, True])
def test_init_layer_type_of_another_type_is_refused(bad):
    data = {"title": "t", "problem": [{"kind": "init", "scheme": "lecun-normal", "nonlinearity": "selu",
                                        "layer": {"type": bad, "inputs": 300, "units": 100},
                                        "part": [{"ask": "variance"}]}]}
    with pytest.raises(SpecError) as err:
        derive.from_mapping(data)
    assert "layer.type" in str(err.value) and "conv | dense" in str(err.value)


# --- graph: saturated units, whose gradients are far below a double's range --------------------------------

def graph(given: dict, forward: list[str]) -> dict:
    return {"title": "t", "problem": [{"kind": "graph", "given": given, "forward": forward,
                                        "part": [{"ask": ["gradient"]}]}]}


def answered(doc) -> dict[str, mpmath.mpf]:
    """The gradients the key's answer states, read from its LaTeX (≈ m · 10^{e}, or an exact number; a formula the
    last step derives may stand before the ≈)."""
    text = derive.render(doc, "latex")
    answer = text[text.index(r"\textbf{Answer 1a.}"):].split("\n\n")[0]
    found = re.findall(r"\\partial ([a-z]+)(?:_\{(\d+)\})?\}(?: = [^$]*?)? \\approx (-?[\d.]+)(?: \\cdot 10\^\{(-?\d+)\})?",
                       answer)
    return {name + index: mpmath.mpf(m) * mpmath.mpf(10) ** int(e or 0) for name, index, m, e in found}


def mp_gradient(fn, point: dict) -> dict:
    """d fn / d name at the point, by mpmath at 3000 digits (central differences far below the scale)."""
    with mpmath.workdps(3000):
        return {name: mpmath.diff(lambda v: fn(**{**point, name: v}), mpmath.mpf(value)) for name, value in point.items()}


def close(a, b, rel=1e-5) -> bool:
    return abs(a - b) <= rel * abs(b)


def test_a_saturated_sigmoid_neuron_has_its_tiny_gradient():
    """z = 1004: σ'(z) = σ(z)(1 − σ(z)) ≈ 9.3·10^-437. Carried as a 60-digit float σ(z) is 1, 1 − σ(z) 0 and
    the check of σ' = σ(1 − σ) failed; the key now states each gradient to its six digits."""
    given = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": 1000}
    doc = derive.solve(derive.from_mapping(graph(given, ["z = w0 * x0 + w1 * x1 + w2", "f = sigmoid(z)"])))

    def f(w0, x0, w1, x1, w2):
        return 1 / (1 + mpmath.exp(-(w0 * x0 + w1 * x1 + w2)))
    expected = mp_gradient(f, given)
    stated = answered(doc)
    assert set(stated) == set(given) and all(close(stated[n], expected[n]) for n in given), (stated, expected)
    assert close(stated["w2"], mpmath.mpf("9.29694e-437"))


@pytest.mark.slow
def test_cancellation_after_a_saturated_tanh_is_computed_not_rounded_to_zero():
    """h = tanh(1200) is 1 − 2·10^-1042 or so: dL/dy = −2(h − y) and the rest need ~1050 digits of working
    precision. The key states them (rounded to 60 digits first they came out as 10^-190 garbage or 0)."""
    given = {"w": 3, "x": 400, "y": 1}
    doc = derive.solve(derive.from_mapping(graph(
        given, ["z = w * x", "h = tanh(z)", "p = sigmoid(h * 200)", "L = -log(p) + (h - y) * (h - y)"])))

    def L(w, x, y):
        h = mpmath.tanh(w * x)
        return -mpmath.log(1 / (1 + mpmath.exp(-200 * h))) + (h - y) ** 2
    expected = mp_gradient(L, given)
    stated = answered(doc)
    assert set(stated) == set(given) and all(close(stated[n], expected[n]) for n in given), (stated, expected)
    assert close(stated["y"], mpmath.mpf("1.9738e-1042"), 1e-4)


def test_identities_in_huge_exponentials_are_confirmed_exactly():
    z = sympy.Integer(1004)
    s = 1 / (1 + sympy.exp(-z))
    assert is_zero(sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2 - s * (1 - s))
    assert is_zero(1 - sympy.tanh(1004) ** 2 - sympy.sech(1004) ** 2)
    assert not is_zero(sympy.tanh(10 ** 6) - 1)                     # about −10^-868589: not 0
    assert not is_zero(sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2 - s * (1 - s) + sympy.exp(-2 * z))


@pytest.mark.parametrize("cell, weights", [("gru", {"W_r": 0.5, "U_r": -1, "b_r": 0.2, "W_z": 1, "U_z": 0.5,
                                                     "b_z": -0.5, "W_n": 0, "U_n": 1.2, "b_n": 0}),
                                           ("lstm", {"W_f": 0.5, "U_f": -1, "b_f": 1, "W_i": 1, "U_i": 0.5,
                                                     "b_i": -0.5, "W_g": 0.7, "U_g": 1.2, "b_g": 0, "W_o": 1,
                                                     "U_o": 0.3, "b_o": 0.2, "c0": 0.1})])
def test_a_gated_cell_of_one_unit_written_as_lists_is_the_scalar_cell(cell, weights):
    """W_n = [0] makes a cell of one unit in the several-units form (its Jacobian 1 x 1 for a GRU): the same
    numbers as the scalar cell, in lists."""
    def answers(values):
        part = {"cell": cell, **values, "ask": ["derivative", "stability"]}
        data = {"title": "t", "problem": [{"kind": "rnn-activation", "x": 1, "a0": 0.5, "part": [part]}]}
        return [p["answer"]["value"] for p in json.loads(derive.render(derive.solve(derive.from_mapping(data)), "json"))["parts"]]
    scalar = answers(weights)
    listed = answers({k: [v] if k.startswith("W_") else v for k, v in weights.items()})
    flat = [{k: (v[0][0] if isinstance(v, list) and isinstance(v[0], list) else v[0] if isinstance(v, list) and
                 len(v) == 1 else v) for k, v in a.items()} for a in listed]
    assert [a["verdict"] for a in listed[1:]] == [scalar[1]["verdict"]]
    assert flat[1]["factor"] == pytest.approx(scalar[1]["factor"], rel=1e-12)
    assert flat[1]["gradient_T"] == pytest.approx(scalar[1]["gradient_T"], rel=1e-9)


def test_a_unit_pinned_at_a_state_of_e_to_the_minus_a_million():
    """b₂ = −10^6: the second unit's state is about e^-1000000 (a 434,294-digit fraction written out in full,
    which Python refuses to read). It is 0 to any precision the key shows; the first unit settles alone."""
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "activation": "sigmoid",
                                        "W_a": [[0.6, 0.2], [0.2, 0.6]], "b": [0, -1000000.0], "a0": 1,
                                        "part": [{"ask": ["stability"]}]}]}
    value = json.loads(derive.render(derive.solve(derive.from_mapping(data)), "json"))["parts"][0]["answer"]["value"]
    with mpmath.workdps(50):
        a1 = mpmath.findroot(lambda a: a - 1 / (1 + mpmath.exp(-0.6 * a)), 0.5)
    assert value["fixed_point"][0] == pytest.approx(float(a1), rel=1e-12) and value["fixed_point"][1] == 0.0
    assert value["factor"] == pytest.approx(float(0.6 * a1 * (1 - a1)), rel=1e-12)
    assert value["verdict"] == "vanishing"


@pytest.mark.parametrize("W_a, drive, a0", [(1, 60, 0.5), (1, 200, 0.5), (1, 700, 0.5), (1, -60, 0.5),
                                             (2, -127.5, 1000)])
def test_a_saturated_tanh_unit_has_its_tiny_factor(W_a, drive, a0):
    """a* = tanh(W_a a* + drive): tanh's slope 1 − tanh²(z*) is below 10^-50 and cancelled to 0 at 50 digits; the
    factor is now |W_a| sech²(z*) to its digits (mpmath at 3000 digits beside it). The last case starts at
    1000 and settles near −1, where 1 − tanh(129.5) ≈ 2·10^-113 once passed for an exact fixed point −1."""
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "W_a": W_a, "x": 1, "W_x": drive, "a0": a0,
                                        "part": [{"activation": "tanh", "ask": ["stability"]}]}]}
    doc = derive.solve(derive.from_mapping(data))
    value = json.loads(derive.render(doc, "json"))["parts"][0]["answer"]["value"]
    with mpmath.workdps(3000):
        star = mpmath.findroot(lambda a: a - mpmath.tanh(W_a * a + drive), 1 if drive > 0 else -1)
        factor = W_a * mpmath.sech(W_a * star + drive) ** 2
    assert value["verdict"] == "vanishing"
    if factor > mpmath.mpf("1e-300"):
        assert value["factor"] == pytest.approx(float(factor), rel=1e-12)
    assert "\\approx 0.0" not in derive.render(doc, "latex")


def test_saturated_tanh_units_have_their_tiny_spectral_radius():
    """Two tanh units driven to ±1 (z* ≈ 70.4 and −80.3): the Jacobian diag(1 − tanh²(z*)) W_a at the fixed
    point was 0 at 50 digits; its spectral radius is about 1.4·10^-61 (mpmath at 300 digits beside it)."""
    W, c = [[0.5, 0.1], [0.2, 0.5]], [70, -80]
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "activation": "tanh", "W_a": W, "x": [1, 1],
                                        "W_x": [[70, 0], [0, -80]], "a0": [0.1, 0.2], "part": [{"ask": ["stability"]}]}]}
    value = json.loads(derive.render(derive.solve(derive.from_mapping(data)), "json"))["parts"][0]["answer"]["value"]
    with mpmath.workdps(300):
        Wm = [[mpmath.mpf(sympy.Rational(str(e)).p) / sympy.Rational(str(e)).q for e in row] for row in W]
        star = mpmath.findroot(lambda a, b: [a - mpmath.tanh(Wm[0][0] * a + Wm[0][1] * b + c[0]),
                                             b - mpmath.tanh(Wm[1][0] * a + Wm[1][1] * b + c[1])], (1, -1))
        z = [Wm[i][0] * star[0] + Wm[i][1] * star[1] + c[i] for i in range(2)]
        J = mpmath.matrix([[mpmath.sech(z[i]) ** 2 * Wm[i][j] for j in range(2)] for i in range(2)])
        rho = max(abs(e) for e in mpmath.eig(J, left=False, right=False))
    assert value["verdict"] == "vanishing" and value["factor"] == pytest.approx(float(rho), rel=1e-9)


# --- graph: values that are undefined part-way through an equation, and gradients that are ----------------

@pytest.mark.parametrize("given, forward, field, says", [
    ({"x": [[0.1, -100], [0, -1]]}, ["v = softmax(relu((x / x)))[-1]"], "forward[1]", "(x / x) is undefined"),
    ({"b": [10, 3]}, ["v = relu(sqrt(b - 1000))"], "forward[1]", "sqrt((b - 1000)) is undefined"),
    ({"w": 0, "y": [1, 2]}, ["v = relu((w / w) * y)"], "forward[1]", "(w / w) is undefined"),
    ({"b": 0}, ["v = sqrt(b)"], "forward[1]", "the gradient flowing from v into b is infinite or undefined"),
])
def test_undefined_inside_an_equation_is_refused_naming_it(given, forward, field, says):
    """A value undefined or complex part-way through an equation (0/0 inside relu, a negative number's root)
    used to reach SymPy's comparisons and crash; the gradient of sqrt at 0 stopped the build at the check."""
    data = graph(given, forward)
    data["problem"][0]["part"][0]["ask"] = ["forward", "gradient"]
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(data))
    assert err.value.field == field and says in str(err.value)


@pytest.mark.parametrize("forward, values, gradient", [
    (["v = mse(x, y)"], {"v": 4}, {"x": 4, "y": -4}),
    (["v = dropout(x, m, p)", "w = v * x"], {"v": 6, "w": 18}, {"x": 12}),
])
def test_scalar_mse_and_dropout_are_checked_written_out(forward, values, gradient):
    """mse and dropout of scalars are written with their numbers put in; the checker now knows what they
    mean (it stopped with 'Unsupported mse')."""
    given = {"x": 3, "y": 1} if "mse" in forward[0] else {"x": 3, "m": 1, "p": 0.5}
    data = graph(given, forward)
    data["problem"][0]["part"][0]["ask"] = ["forward", "gradient"]
    data["problem"][0]["part"][0]["wrt"] = list(gradient)
    fwd, grad = [q.answer.value for q in derive.solve(derive.from_mapping(data)).questions()]
    assert fwd == values and grad == gradient


def test_a_constant_node_used_twice_adds_up_its_gradients():
    """v0 = 0.001 has no inputs; the gradients flowing back into it from v1 and v2 are added in a sum step,
    which the checker could not read (what flows into v0 had no meaning)."""
    data = graph({"b": {"shape": [3]}}, ["v0 = 0.001", "v1 = v0 - v0", "v2 = exp((b @ -b) ^ relu(v0 ^ v1))"])
    (q,) = derive.solve(derive.from_mapping(data)).questions()
    b = sympy.symbols("b1:4", real=True)
    for k, stated in enumerate(q.answer.value["b"]):
        expected = -2 * b[k] * sympy.exp(-(b[0] ** 2 + b[1] ** 2 + b[2] ** 2))
        point = {s: sympy.Rational(k + 2, 7) * (-1) ** k for k, s in enumerate(b)}
        got = sympy.sympify(stated, locals={s.name: s for s in b})
        assert abs(float((got - expected).subs(point))) < 1e-12


def test_a_value_too_large_to_evaluate_is_refused_naming_its_equation():
    data = graph({"x": [[-100, -1], [100, 2]]}, ["v0 = exp(sum(exp(exp(x))))", "v1 = -v0"])
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(data))
    assert err.value.field == "forward[1]" and "too large to evaluate" in str(err.value)


def test_relu_of_a_number_whose_sign_sympy_cannot_tell():
    """−log_softmax of logits [3000, −100000]: its first entry is about 10^−44733, a difference SymPy cannot
    compare with 0 (Max raised 'not comparable'); relu takes it as 0, as float64 PyTorch does, and the answer
    matches PyTorch's: the loss 103000, its gradient [1000, −1000]."""
    data = graph({"w": [3, -100]}, ["v0 = relu(-log_softmax(1e3 * w))", "v1 = sum(v0)"])
    data["problem"][0]["part"][0]["ask"] = ["forward", "gradient"]
    doc = derive.solve(derive.from_mapping(data))
    fwd, grad = [q.answer.value for q in doc.questions()]
    assert fwd["v1"] == 103000 and grad == {"w": [1000, -1000]}
    for fmt in TEXT_FORMATS:
        assert derive.render(doc, fmt)


def test_a_given_not_asked_for_but_used_twice_has_its_sum_checked():
    """x feeds v0 and v1; only w and v0 are asked for. The sum step adding x's two gradients was shown with a
    total the checker could not read ('a matrix compared with a scalar')."""
    data = graph({"w": [0, -100], "x": [100, 1]}, ["v0 = w - (mean(x) - abs(abs(w)))",
                                                    "v1 = mse(x, x * (v0 + x) + x)"])
    data["problem"][0]["part"][0]["wrt"] = ["w", "v0"]
    (q,) = derive.solve(derive.from_mapping(data)).questions()
    assert q.answer.value == {"w": [495000, 0], "v0": [495000, "-99/2"]}        # autograd: same, in floats


def test_an_exponent_sympy_cannot_compare_with_the_limit():
    """100 σ(1000) is 100 less about 10^-433: SymPy could not tell it from the exponent limit of 100."""
    data = graph({"y": 10, "x": [2, 0.5]}, ["v0 = y ^ (x * sigmoid(1000))", "v1 = sum(v0)"])
    data["problem"][0]["part"][0]["ask"] = ["forward", "gradient"]
    fwd, grad = [q.answer.value for q in derive.solve(derive.from_mapping(data)).questions()]
    assert fwd["v1"] == pytest.approx(100 + 10 ** 0.5, rel=1e-12)
    assert grad["x"] == pytest.approx([100 * math.log(10), 10 ** 0.5 * math.log(10)], rel=1e-12)


@pytest.mark.parametrize("given, forward, says", [
    ({"w": [[2, 10], [-1, -0.5]]}, ["v0 = relu(w ^ relu(sigmoid(3)))"], "(w ^ relu(sigmoid(3))) is undefined"),
    ({"w": -100, "x": 3}, ["v0 = relu(w ^ sqrt(x))"], "(w ^ sqrt(x)) is undefined"),
    ({"x": [[2, 2, 100], [-0.5, 0.5, 0]], "w": 100}, ["v0 = sigmoid(-exp((x ^ w)))"], "cannot be evaluated"),
])
def test_numbers_sympy_cannot_place_or_compute_are_refused(given, forward, says):
    """A negative number to an irrational power (SymPy cannot say it is not real, then Max cannot compare it)
    and numbers whose evaluation overflows inside SymPy are refused naming the equation."""
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(graph(given, forward)))
    assert err.value.field == "forward[1]" and says in str(err.value)


ASKED = ("positive", "negative", "zero", "nonzero", "real", "finite", "integer", "rational", "nonnegative",
         "extended_real", "irrational", "even")


def _asked(order) -> list:
    """Assumption queries on fresh expressions like those a key holds, with SymPy's facts tried in ``order``."""
    from sympy.core.cache import clear_cache

    from derive.sympy_fixes import assumptions
    assumptions.shuffle = order
    clear_cache()
    a, z = sympy.symbols("a z", real=True)
    x = sympy.Symbol("x")
    exprs = [sympy.tanh(a / 2 + sympy.Rational(1, 10)), 1 - sympy.tanh(z) ** 2, sympy.exp(x) / (1 + sympy.exp(x)),
             sympy.Max(0, a), sympy.log(1 + sympy.exp(z)), sympy.Float("0.3") * a - 2, sympy.sqrt(a ** 2 + 1),
             sympy.Heaviside(a, 0) * a, sympy.Rational(3, 7) * sympy.pi, sympy.exp(-sympy.Integer(10) ** 3),
             sympy.Abs(z) + 1, (a - z) ** 2]
    return [[getattr(e, f"is_{fact}") for fact in ASKED] for e in exprs]


def test_assumption_queries_answer_alike_in_sympys_shuffled_order(monkeypatch):
    """derive tries SymPy's related facts in the order they come (derive.sympy_fixes): the answers are those SymPy
    gives in its own shuffled orders."""
    import random

    from derive import sympy_fixes
    from derive.sympy_fixes import assumptions
    assert assumptions.__name__ == "sympy.core.assumptions" and assumptions.shuffle is sympy_fixes._as_given
    monkeypatch.setattr(assumptions, "shuffle", assumptions.shuffle)      # put back afterwards
    ours = _asked(sympy_fixes._as_given)
    known = dict(zip(ASKED, ours[3]))                                        # Max(0, a): never negative
    assert known["nonnegative"] is True and known["negative"] is False and known["positive"] is None
    assert ours[4][0] is True and dict(zip(ASKED, ours[8]))["irrational"] is True     # log(1 + e^z) > 0; 3π/7
    for seed in range(6):
        assert _asked(random.Random(seed).shuffle) == ours, seed
