"""Answer boxes hold every asked quantity, in the form the last step derives: a forward pass boxes every name
(an attention's scores and weights too), in every format; softmax with cross-entropy's gradient is boxed as
p − y; a sigmoid's slope as σ(1 − σ) (graph, several recurrent units, conv-matrix). The values shown are
torch autograd's, and every boxed relation is re-checked (derive.solve refuses a key whose check fails)."""

from __future__ import annotations

import re

import pytest
import sympy
import torch
import torch.nn.functional as F

import derive
from derive.kinds.activations import in_sigmoids

T = torch.float64
SIGMA = sympy.Function("sigma")


def solved(problem: dict):
    return derive.solve(derive.from_mapping({"title": "t", "problem": [{"title": "p", **problem}]}))


def question(doc, ask):
    return next(q for q in doc.questions() if q.ask == ask)


def boxed_latex(doc, ask) -> str:
    """The answer box of the question asking ``ask`` in the LaTeX key."""
    q = question(doc, ask)
    latex = derive.render(doc, "latex")
    start = latex.index(f"\\textbf{{Answer {q.id}.}}")
    return latex[start:latex.index(r"\end{minipage}", start)]


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+|-?\d+", text)]


def test_a_forward_pass_boxes_every_name_in_every_format():
    doc = solved({"kind": "graph", "given": {"x": -2, "y": 5, "z": -4}, "forward": ["q = x + y", "f = q * z"],
                  "part": [{"ask": ["forward"]}]})
    box = boxed_latex(doc, "forward")
    assert "q &= 3" in box and "f &= -12" in box
    x = torch.tensor(-2.0, dtype=T)
    q = x + 5
    assert (q.item(), (q * -4).item()) == (3.0, -12.0)
    for fmt, q_shown, f_shown in (("markdown", "q &= 3", "f &= -12"), ("beamer", "q &= 3", "f &= -12"),
                                  ("html", "<mi>q</mi>", "<mi>f</mi>")):
        text = derive.render(doc, fmt)
        answer = text[text.index("Answer 1a"):]
        assert q_shown in answer and f_shown in answer, fmt
    assert question(doc, "forward").answer.value == {"q": 3, "f": -12}          # the JSON is as it was


def test_an_attention_forward_pass_boxes_scores_weights_and_output():
    Q, K, V = [[1, 0], [0, 1]], [[1, 1], [0, 2], [1, -1]], [[1, 2], [3, 4], [0, 1]]
    doc = solved({"kind": "graph", "given": {"Q": Q, "K": K, "V": V}, "forward": ["O = attention(Q, K, V)"],
                  "part": [{"ask": ["forward"]}]})
    box = boxed_latex(doc, "forward")
    rows = {name: box[box.index(f"\n  {name} &"):] for name in "SAO"}
    q, k, v = (torch.tensor(m, dtype=T) for m in (Q, K, V))
    scores = q @ k.T / 2 ** 0.5
    weights = torch.softmax(scores, dim=-1)
    expected = {"S": scores, "A": weights, "O": F.scaled_dot_product_attention(q, k, v)}
    for name, want in expected.items():
        shown = torch.tensor(numbers(rows[name].split(r"\end{matrix}")[0])[:want.numel()], dtype=T)
        assert torch.allclose(shown, want.flatten(), atol=1e-5), name


def test_a_convolution_s_forward_pass_boxes_z_and_a_of_every_channel():
    x, f = [[1, 2, -1], [0, 1, 1]], [[[1, 0], [2, 1]], [[-1, 1], [0, 1]]]
    doc = solved({"kind": "conv-matrix", "length": 3, "width": 2, "channels": [2, 2], "x": x, "f": f,
                  "part": [{"ask": ["forward"]}]})
    box = boxed_latex(doc, "forward")
    z = F.conv1d(torch.tensor([x], dtype=T), torch.tensor(f, dtype=T))[0]
    for name, want in (("z", z), ("a", torch.relu(z))):
        for channel in (1, 2):
            row = box[box.index(f"{name}^{{[{channel}]}} &"):].split(r"\end{matrix}")[0]
            assert numbers(row.split("&=")[1])[-2:] == want[channel - 1].tolist(), (name, channel)


def test_softmax_cross_entropy_boxes_p_minus_y():
    doc = solved({"kind": "graph", "given": {"z": {"shape": [3]}, "y": 1}, "forward": ["L = cross_entropy(z, y)"],
                  "part": [{"ask": ["gradient"], "wrt": ["z"]}]})
    box = boxed_latex(doc, "gradient")
    assert r"{p}_{1}\\{p}_{2} - 1\\{p}_{3}" in box and "e^{" not in box
    z = torch.tensor([0.3, -1.2, 2.0], dtype=T, requires_grad=True)
    F.cross_entropy(z[None], torch.tensor([1])).backward()
    p = torch.softmax(z.detach(), 0)
    assert torch.allclose(z.grad, p - torch.tensor([0, 1, 0], dtype=T))      # what p − y stands for


@pytest.mark.parametrize("y, p_minus_y", [(1, r"{p}_{1}\\{p}_{2} - 1\\{p}_{3}"),
                                         ([0.2, 0.5, 0.3], r"{p}_{1} - 0.2\\{p}_{2} - 0.5\\{p}_{3} - 0.3")])
def test_a_numeric_softmax_cross_entropy_gradient_is_boxed_as_p_minus_y_then_its_value(y, p_minus_y):
    doc = solved({"kind": "graph", "given": {"z": [0.3, -1.2, 2.0], "y": y}, "forward": ["L = cross_entropy(z, y)"],
                  "part": [{"ask": ["gradient"], "wrt": ["z"]}]})
    box = boxed_latex(doc, "gradient")
    first, rest = box.split(r"\approx")
    assert p_minus_y in first
    z = torch.tensor([0.3, -1.2, 2.0], dtype=T, requires_grad=True)
    target = torch.tensor([1]) if y == 1 else torch.tensor([y], dtype=T)
    F.cross_entropy(z[None], target).backward()
    assert torch.allclose(torch.tensor(numbers(rest.split(r"\end{matrix}")[0]), dtype=T), z.grad, atol=1e-6)
    for fmt, p, approx in (("html", "<mi>p</mi>", "<mo>≈</mo>"), ("markdown", "{p}_{1}", r"\approx")):
        text = derive.render(doc, fmt)
        answer = text[text.index("Answer 1a"):]
        assert answer.index(p) < answer.index(approx), fmt


def test_a_sigmoid_s_gradient_is_boxed_as_sigma_one_minus_sigma():
    doc = solved({"kind": "graph", "given": {"z": {"shape": [2]}}, "forward": ["s = sigmoid(z)", "L = sum(s)"],
                  "part": [{"ask": ["gradient"]}]})
    box = boxed_latex(doc, "gradient")
    for k in (1, 2):
        assert rf"\sigma\left({{z}}_{{{k}}}\right) \left(1 - \sigma\left({{z}}_{{{k}}}\right)\right)" in box
    assert "e^{" not in box
    page = derive.render(doc, "html")
    answer = page[page.index("Answer 1a."):]
    assert answer.index("<mi>σ</mi>") < answer.index("<mn>1</mn><mo>−</mo>")          # σ(z)(1 − σ(z)) in MathML too
    z = torch.tensor([0.7, -1.3], dtype=T, requires_grad=True)
    torch.sigmoid(z).sum().backward()
    s = torch.sigmoid(z.detach())
    assert torch.allclose(z.grad, s * (1 - s))


def test_a_name_used_twice_is_answered_by_its_value_not_by_the_sum_of_its_parts():
    doc = solved({"kind": "graph", "given": {"x": {"symbol": True}}, "forward": ["a = sigmoid(x)", "b = x * x",
                                                                                 "L = a + b"],
                  "part": [{"ask": ["gradient"]}]})
    box = boxed_latex(doc, "gradient")
    assert r"\partial a}{\partial x}" not in box and r"\sigma\left(x\right)" in box and "e^{" not in box
    x = torch.tensor(0.3, dtype=T, requires_grad=True)
    (torch.sigmoid(x) + x * x).backward()
    got = sympy.sympify(question(doc, "gradient").answer.value["x"]).subs(sympy.Symbol("x"), sympy.Rational(3, 10))
    assert abs(float(got) - x.grad.item()) < 1e-12


def test_several_sigmoid_units_jacobian_in_sigma():
    doc = solved({"kind": "rnn-activation", "activation": "sigmoid", "W_a": [[0.6, 0.2], [0.2, 0.6]],
                  "b": [1, -1], "part": [{"ask": ["derivative"]}]})
    box = boxed_latex(doc, "derivative")
    assert r"\sigma\left(z_{1}\right) \left(1 - \sigma\left(z_{1}\right)\right)" in box and "e^{" not in box
    value = question(doc, "derivative").answer.value                     # the JSON keeps its formulas
    a = torch.tensor([0.4, -0.3], dtype=T, requires_grad=True)
    W = torch.tensor([[0.6, 0.2], [0.2, 0.6]], dtype=T)
    pre = W @ a + torch.tensor([1.0, -1.0], dtype=T)
    jac = torch.autograd.functional.jacobian(lambda v: torch.sigmoid(W @ v + torch.tensor([1.0, -1.0], dtype=T)), a)
    z1, z2 = sympy.symbols("z1 z2")
    got = [[float(sympy.sympify(e).subs({z1: pre[0].item(), z2: pre[1].item()})) for e in row] for row in value]
    assert torch.allclose(torch.tensor(got, dtype=T), jac)


def test_conv_matrix_sigmoid_slope_in_phi():
    doc = solved({"kind": "conv-matrix", "length": 4, "width": 2,
                  "part": [{"activation": "sigmoid", "ask": ["gradient"], "wrt": "f1"}]})
    box = boxed_latex(doc, "gradient")
    assert r"\phi'(z) = \phi\left(z\right) \left(1 - \phi\left(z\right)\right)" in box
    assert r"x_{1}^{(i)} \phi\left(z_{1}\right) \left(1 - \phi\left(z_{1}\right)\right)" in box and "e^{" not in box


def _at_numbers(m: sympy.Matrix, **tensors: torch.Tensor) -> torch.Tensor:
    """A boxed 2D conv-matrix answer with phi the logistic sigmoid, x_rc, f_rc and z_rc from the tensors."""
    values = {}
    for s in m.free_symbols:
        r, c = int(s.name[1]) - 1, int(s.name[2]) - 1
        values[s] = tensors[s.name[0]][r, c].item()
    shown = m.replace(lambda e: isinstance(e, sympy.Function) and e.func.__name__ == "phi",
                      lambda e: 1 / (1 + sympy.exp(-e.args[0]))).subs(values)
    return torch.tensor([[float(e) for e in shown.row(r)] for r in range(shown.rows)], dtype=T)


@pytest.mark.parametrize("ask, wrt", [("gradient", "f11"), ("jacobian", None), ("input-gradient", None)])
def test_conv_matrix_2d_sigmoid_answer_in_phi(ask, wrt):
    doc = solved({"kind": "conv-matrix", "input": [3, 3], "kernel": [2, 2],
                  "part": [{"activation": "sigmoid", "ask": [ask], **({"wrt": wrt} if wrt else {})}]})
    box = boxed_latex(doc, ask)
    last = box[box.rindex("&="):]
    assert r"\phi\left(z_{11}\right) \left(1 - \phi\left(z_{11}\right)\right)" in last
    assert "\\phi'" not in last and "e^{" not in box
    x = torch.tensor([[0.3, -1.1, 0.8], [1.4, 0.2, -0.6], [-0.9, 0.5, 1.2]], dtype=T)
    f = torch.tensor([[0.7, -0.4], [0.25, 1.1]], dtype=T, requires_grad=True)
    z = F.conv2d(x[None, None], f[None, None])[0, 0]
    a = lambda ff, xx: torch.sigmoid(F.conv2d(xx[None, None], ff[None, None])).flatten()
    if ask == "gradient":
        want = torch.autograd.functional.jacobian(lambda ff: a(ff, x), f)[..., 0, 0].reshape(2, 2)
    elif ask == "jacobian":
        want = torch.autograd.functional.jacobian(lambda ff: a(ff, x), f).reshape(4, 4)
    else:
        want = torch.autograd.functional.jacobian(lambda xx: a(f.detach(), xx), x).reshape(4, 9)
    got = _at_numbers(question(doc, ask).answer.chain.last, x=x, f=f.detach(), z=z.detach())
    assert torch.allclose(got, want)


@pytest.mark.parametrize("expr, form", [
    ("exp(z)/(exp(2*z) + 2*exp(z) + 1)", "sigma(z)*(1 - sigma(z))"),
    ("exp(-z)/(1 + exp(-z))**2", "sigma(z)*(1 - sigma(z))"),
    ("1/(exp(-w - 2*v) + 1)", "sigma(w + 2*v)"),
    ("3*exp(z)/(5*(exp(z) + 1)**2)", "3*sigma(z)*(1 - sigma(z))/5"),
    ("exp(z)/(exp(z) + exp(w))", "exp(z)/(exp(z) + exp(w))"),          # not a sigmoid: left as it is
    ("1/(1 + exp(-1/(1 + exp(-z))))", "sigma(sigma(z))"),
])
def test_in_sigmoids_rewrites_only_to_an_equal_shorter_form(expr, form):
    z, w, v = sympy.symbols("z w v", real=True)
    names = {"z": z, "w": w, "v": v, "sigma": SIGMA}
    got = in_sigmoids(sympy.sympify(expr, locals=names), SIGMA)
    assert sympy.simplify(got - sympy.sympify(form, locals=names)) == 0
    logistic = sympy.Lambda(z, 1 / (1 + sympy.exp(-z)))
    at = {z: sympy.Rational(3, 7), w: sympy.Rational(-1, 3), v: sympy.Rational(2, 5)}
    assert abs(sympy.N((got.replace(SIGMA, logistic) - sympy.sympify(expr, locals=names)).subs(at), 30)) < 1e-25


def _torch_and_sympy_net(n: int, hidden: int):
    """o = σ(v · σ(W x)) in SymPy and in torch, with the derivative of o by W₁₁ (SymPy's, written in exponentials)."""
    W = sympy.Matrix(hidden, n, lambda i, j: sympy.Symbol(f"W{i}_{j}", real=True))
    x = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"x{i}", real=True))
    v = sympy.Matrix(1, hidden, lambda _, j: sympy.Symbol(f"v{j}", real=True))
    logistic = lambda e: 1 / (1 + sympy.exp(-e))
    o = logistic((v * (W * x).applyfunc(logistic))[0])
    return sympy.diff(o, W[0, 0]), list(W), list(x), list(v)


@pytest.mark.parametrize("n, hidden", [(12, 1), (3, 2), (6, 3)])
def test_in_sigmoids_rewrites_long_and_nested_formulas_in_bounded_time(n, hidden):
    """More than SIGMOID_OPS operations (a sigmoid of a 12-term sum: 100 operations), or sigmoids of sigmoids
    (whose exponents SymPy writes combined): still written in σ, exactly equal (checked at a point against
    torch autograd), within a few seconds."""
    import time
    d, W, x, v = _torch_and_sympy_net(n, hidden)
    started = time.perf_counter()
    got = in_sigmoids(d, SIGMA)
    assert time.perf_counter() - started < 10
    assert not got.has(sympy.exp) and got.has(SIGMA)
    assert sympy.count_ops(d) > 80 or hidden > 1
    gen = torch.Generator().manual_seed(n)
    Wt, xt, vt = (torch.randn(k, generator=gen, dtype=T) for k in (len(W), len(x), len(v)))
    Wt.requires_grad_(True)
    torch.sigmoid(vt @ torch.sigmoid(Wt.reshape(hidden, n) @ xt)).backward()
    u = sympy.Dummy("u")
    at = {**dict(zip(W, Wt.tolist())), **dict(zip(x, xt.tolist())), **dict(zip(v, vt.tolist()))}
    value = got.replace(SIGMA, sympy.Lambda(u, 1 / (1 + sympy.exp(-u)))).subs(at)
    assert abs(float(value) - Wt.grad[0].item()) < 1e-12


def test_in_sigmoids_of_a_long_sum_of_different_sigmoids():
    z = sympy.symbols("z1:30", real=True)
    u1, u2 = sympy.Add(*z[:14]), sympy.Add(*z[14:])
    expr = sympy.diff(1 / (1 + sympy.exp(-u1)), z[0]) + sympy.diff(3 / (1 + sympy.exp(1 - 2 * u2)), z[14]) + \
        1 / (1 + sympy.exp(-u2))
    assert sympy.count_ops(expr) > 80
    got = in_sigmoids(expr, SIGMA)
    want = SIGMA(u1) * (1 - SIGMA(u1)) + 6 * SIGMA(2 * u2 - 1) * (1 - SIGMA(2 * u2 - 1)) + SIGMA(u2)
    assert sympy.expand(got - want) == 0


def test_a_decimal_times_a_product_needs_no_brackets():
    """1.5 σ(z₁)(1 − σ(z₁)), not 1.5 (σ(z₁)(1 − σ(z₁))): the brackets made a 3-unit Jacobian 18 pt too wide for
    a slide (the spec's decimals kept as written)."""
    doc = solved({"kind": "rnn-activation", "activation": "sigmoid", "W_a": [[1.5, 0.25], [0.3, 1.5]],
                  "part": [{"ask": "derivative"}]})
    box = boxed_latex(doc, "derivative")
    assert r"1.5 \sigma\left(z_{1}\right) \left(1 - \sigma\left(z_{1}\right)\right)" in box, box
    assert r"1.5 \left(\sigma" not in box
    html = derive.render(doc, "html")
    assert "<mn>1.5</mn><mo>\u2062</mo><mrow><mrow><mi>σ</mi>" in html.replace("\n", "")     # no <mo>(</mo>


def test_an_optimiser_s_updates_box_the_parameters_and_the_state_asked_for():
    """'giving the parameters and the optimiser's state after each step': the box holds w, m and v after the last
    step, as torch.optim.Adam's parameter, exp_avg and exp_avg_sq."""
    doc = solved({"kind": "optimizer", "optimizer": "adam", "lr": 0.001, "w0": [1, 2],
                  "gradients": [[0.3, -0.2], [0.1, 0.4]], "part": [{"ask": "updates"}]})
    box = boxed_latex(doc, "updates")
    after = {name: re.escape(f"{name}_{{1}}^{{(2)}}") for name in ("w", "m", "v")}
    assert all(re.search(pattern, box) for pattern in after.values()), box
    w = torch.tensor([1.0, 2.0], dtype=T, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.001)
    for g in ([0.3, -0.2], [0.1, 0.4]):
        w.grad = torch.tensor(g, dtype=T)
        opt.step()
    state = opt.state[w]
    rows = box.split(r"\\" + "\n")
    for name, want in (("w", w.detach()), ("m", state["exp_avg"]), ("v", state["exp_avg_sq"])):
        row = next(r for r in rows if re.search(after[name], r))
        shown = row.split("&")[-1].replace(r" \cdot 10^{", "e").replace("}", "")
        got = [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", shown)]
        assert got == pytest.approx(want.tolist(), rel=1e-6), (name, row)
