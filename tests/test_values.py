"""Other numbers, activations and layer stacks than HW5's, with answers worked out by hand."""

import pytest
import sympy

from conftest import solve_toml
from derive.mathparse import Z


def rnn(activation, **values):
    keys = "\n".join(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in values.items())
    return solve_toml(f"""
        title = "t"
        [[problem]]
        kind = "rnn-activation"
        {keys}
          [[problem.part]]
          activation = '{activation}'
          ask = ["derivative", "stability"]
        """)


def expr(value: str):
    return sympy.sympify(value, locals={"z": Z})   # our own output, not user text


def same(a, b) -> bool:
    return all(abs(sympy.N((a - b).subs(Z, v))) < 1e-12 for v in (-1.3, 0.2, 0.7, 2.1))


SIG = 1 / (1 + sympy.exp(-Z))


@pytest.mark.parametrize("activation, W_a, b, derivative, verdict, fixed, factor", [
    # sigma(4a - 2): the fixed point 1/2 is exact and the slope there is exactly 4 * 1/4 = 1, but from
    # a0 = 0 the state only approaches it, each factor on the way below 1: vanishing, polynomially
    ("sigmoid", 4, -2, 4 * SIG * (1 - SIG), "vanishing", 0.5, 1.0),
    # tanh(a/2): 0 is fixed, factor 1/2
    ("\\tanh(z)", 0.5, 0, (1 - sympy.tanh(Z) ** 2) / 2, "vanishing", 0.0, 0.5),
    # tanh(2a) from 0 stays at 0, where the factor is 2
    ("tanh", 2, 0, 2 * (1 - sympy.tanh(Z) ** 2), "exploding", 0.0, 2.0),
    # identity with W_a = 0.9 and b = 1: a* = 10, factor 0.9
    ("z", 0.9, 1, sympy.Rational(9, 10), "vanishing", 10.0, 0.9),
    # ReLU, W_a = 1.5, b = 1: the state grows without bound, every factor is 1.5
    ("\\max(0, z)", 1.5, 1, sympy.Rational(3, 2) * sympy.Heaviside(Z, 0), "exploding", None, 1.5),
    # ReLU, W_a = 3, b = -1 from 0: z = -1 < 0, the unit is dead, factor 0
    ("relu", 3, -1, 3 * sympy.Heaviside(Z, 0), "vanishing", 0.0, 0.0),
], ids=["sigmoid-W4-b-2", "tanh-half", "tanh-W2", "identity-0.9", "relu-diverges", "relu-dead"])
def test_rnn(activation, W_a, b, derivative, verdict, fixed, factor):
    answers = rnn(activation, W_a=W_a, b=b)
    assert same(expr(answers["1a.i"]), derivative)
    v = answers["1a.ii"]
    assert v["verdict"] == verdict
    assert v["factor"] == pytest.approx(factor, abs=1e-9)
    if fixed is None:
        assert v["fixed_point"] is None
    else:
        assert v["fixed_point"] == pytest.approx(fixed, abs=1e-9)


def test_rnn_sitting_on_a_slope_one_fixed_point():
    # sigma(4a - 2) started at its fixed point 1/2: every factor is exactly 1
    v = rnn("sigmoid", W_a=4, b=-2, a0=0.5)["1a.ii"]
    assert v == {"verdict": "neither", "fixed_point": 0.5, "factor": 1.0, "gradient_T": 1.0, "T": 100}


def test_rnn_diverging_past_float64():
    # exp(a) from 0: 1, e, e^e, e^(e^e) ... leaves every bounded region within 5 steps
    v = rnn("exp", W_a=1, b=0)["1a.ii"]
    assert v["verdict"] == "exploding" and v["fixed_point"] is None and v["gradient_T"] is None


def test_rnn_input_and_start():
    # a<t> = sigma(0.5 a + 1 + 2*(-0.25)) = sigma(a/2 + 1/2) from a0 = 1
    v = rnn("\\sigma(z)", W_a=0.5, b=1, x=-0.25, W_x=2, a0=1)["1a.ii"]
    a = 0.7
    for _ in range(200):
        a = 1 / (1 + pytest.importorskip("math").exp(-(a / 2 + 0.5)))
    assert v["fixed_point"] == pytest.approx(a, abs=1e-12)
    assert v["factor"] == pytest.approx(0.5 * a * (1 - a), abs=1e-12)
    assert v["verdict"] == "vanishing"


def test_rnn_formula_named_otherwise_gets_a_note():
    import derive
    doc = derive.solve(derive.loads("""
        title = "t"
        [[problem]]
        kind = "rnn-activation"
        W_a = 1
          [[problem.part]]
          activation = '\\frac{1}{1 + e^{-z}}'
          called = "tanh"
          ask = "derivative"
        """))
    (q,) = doc.questions()
    assert any("logistic sigmoid" in str(n.pieces) for n in q.notes)


def cnn(input_, layers, asks=("params", "shapes", "same-padding", "receptive-field")):
    parts = "\n".join(f'[[problem.part]]\nask = "{a}"' for a in asks)
    answers = solve_toml(f"""
        title = "t"
        [[problem]]
        kind = "cnn-dims"
        input = {list(input_)}
        layers = [{", ".join(layers)}]
        {parts}
        """)
    return [answers[f"1{chr(97 + k)}"] for k in range(len(asks))]


def test_cnn_three_layers():
    params, shapes, same, field = cnn([32, 32, 3], [
        '{ type = "conv", filters = 16, kernel = 5, padding = 2 }',
        '{ type = "maxpool", kernel = 2 }',
        '{ type = "conv", filters = 32, kernel = 3, stride = 2, padding = 1 }'])
    assert params == [(5 * 5 * 3 + 1) * 16, 0, (3 * 3 * 16 + 1) * 32]
    assert shapes == [[32, 32, 16], [16, 16, 16], [8, 8, 32]]
    assert same == 2
    assert field == [10, 10]        # 1 -> 5 -> 6 (jump 2) -> 10 (jump 4)


def test_cnn_even_kernel_and_no_bias():
    params, shapes, same, field = cnn([10, 10, 2], [
        '{ type = "conv", filters = 3, kernel = 4, bias = false }',
        '{ type = "avgpool", kernel = 3, stride = 2 }'])
    assert params == [4 * 4 * 2 * 3, 0]
    assert shapes == [[7, 7, 3], [3, 3, 3]]
    assert same == [1, 2]
    assert field == [4 + 2, 4 + 2]


def test_cnn_rectangular():
    params, shapes, same, field = cnn([28, 20, 1], [
        '{ type = "conv", filters = 4, kernel = [3, 5], padding = [1, 2] }',
        '{ type = "maxpool", kernel = [2, 1], stride = [2, 1] }'])
    assert params == [(3 * 5 + 1) * 4, 0]
    assert shapes == [[28, 20, 4], [14, 20, 4]]
    assert same == {"height": 1, "width": 2}
    assert field == [4, 5]


@pytest.mark.parametrize("size, kernel, stride, expected", [
    (7, 3, 2, 1),          # out ceil(7/2) = 4: total (4-1)*2 + 3 - 7 = 2
    (8, 3, 2, [0, 1]),     # out 4: total 3*2 + 3 - 8 = 1
    (9, 1, 3, 0),          # a 1x1 kernel never needs padding
])
def test_same_padding_with_stride(size, kernel, stride, expected):
    (same,) = cnn([size, size, 1], [f'{{ type = "conv", filters = 1, kernel = {kernel}, stride = {stride} }}'],
                  asks=("same-padding",))
    assert same == expected


def test_floor_note():
    import derive
    doc = derive.solve(derive.loads("""
        title = "t"
        [[problem]]
        kind = "cnn-dims"
        input = [7, 7, 1]
        layers = [{ type = "maxpool", kernel = 2 }]
          [[problem.part]]
          ask = "shapes"
        """))
    (q,) = doc.questions()
    assert q.answer.value == [[3, 3, 1]]
    assert any("floor bites" in str(n.pieces) for n in q.notes)


def conv1d(n, k, wrt, signs):
    return solve_toml(f"""
        title = "t"
        [[problem]]
        kind = "conv1d-matrix"
        length = {n}
        width = {k}
          [[problem.part]]
          ask = "matrix"
          [[problem.part]]
          ask = "gradient"
          wrt = "{wrt}"
          signs = {signs!r}
        """.replace("'", '"'))


def test_conv1d_6_by_2():
    a = conv1d(6, 2, "f2", ["+", "-", "+", "-", "+"])
    assert a["1a"][0] == ["f1", "f2", "0", "0", "0", "0"]
    assert a["1a"][4] == ["0", "0", "0", "0", "f1", "f2"]
    assert len(a["1a"]) == 5
    assert a["1b"] == ["x2", "0", "x4", "0", "x6"]


def test_conv1d_full_width():
    a = conv1d(4, 4, "f3", ["-"])
    assert a["1a"] == [["f1", "f2", "f3", "f4"]]
    assert a["1b"] == ["0"]


def test_conv1d_7_by_3_wrt_f3():
    a = conv1d(7, 3, "f3", ["+", "+", "-", "+", "-"])
    assert a["1b"] == ["x3", "x4", "0", "x6", "0"]
