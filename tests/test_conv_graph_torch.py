"""graph and conv-matrix against PyTorch at their corners: a name used twice in one equation around a matrix
product (the key's matmul rule is only part of its gradient), gradients undefined at the given values
(refused, exit 2, naming the equation), and the conv layer's numbers with fractional values and every
activation against autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings, strategies as st

import derive
from derive.errors import SpecError
from derive.spec import from_mapping

DTYPE = torch.float64


def graph(given_: dict, forward: list, **part) -> dict:
    data = {"title": "t", "problem": [{"title": "G", "kind": "graph", "given": given_, "forward": forward,
                                       "part": [{"ask": ["forward", "gradient"], **part}]}]}
    return {q.ask: q.answer.value for q in derive.solve(from_mapping(data)).questions()}


def number(v):
    if isinstance(v, list):
        return [number(e) for e in v]
    if isinstance(v, str):
        p, _, q = v.partition("/")
        return int(p) / int(q or 1)
    return float(v)


def tensor(v) -> torch.Tensor:
    return torch.tensor(number(v), dtype=DTYPE)


# --- graph: a name used again beside a matrix product -----------------------------------------------

SECOND_USE = {"- W": lambda W: -W, "+ W": lambda W: W, "- W^2": lambda W: -W ** 2,
              "+ sqrt(W^2 + 1)": lambda W: torch.sqrt(W ** 2 + 1), "- exp(W)": lambda W: -torch.exp(W),
              "+ 2 * W": lambda W: 2 * W}

entries = st.integers(-6, 6).map(lambda k: k / 2)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(SECOND_USE)), st.booleans(), st.integers(1, 3), st.integers(1, 3), st.data())
def test_matmul_beside_another_use_of_the_same_name(extra, left, m, n, data):
    """'W @ G - W' (or 'G @ W + ...'): the gradient of W sums both uses; the key used to state the matrix
    product's rule as the whole gradient and fail its own check."""
    w = data.draw(st.lists(st.lists(entries, min_size=n, max_size=n), min_size=m, max_size=m))
    gshape = (n, n) if left else (m, m)
    g = data.draw(st.lists(st.lists(entries, min_size=gshape[1], max_size=gshape[1]), min_size=gshape[0],
                           max_size=gshape[0]))
    up = data.draw(st.lists(st.lists(entries, min_size=n, max_size=n), min_size=m, max_size=m))
    product = "W @ G" if left else "G @ W"
    got = graph({"W": w, "G": g}, [f"q = {product} {extra}"], upstream=up)
    W, G = (torch.tensor(v, dtype=DTYPE, requires_grad=True) for v in (w, g))
    q = (W @ G if left else G @ W) + SECOND_USE[extra](W)
    (q * torch.tensor(up, dtype=DTYPE)).sum().backward()
    assert torch.allclose(tensor(got["forward"]["q"]), q.detach(), rtol=1e-12, atol=1e-12)
    assert torch.allclose(tensor(got["gradient"]["W"]), W.grad, rtol=1e-12, atol=1e-12)
    assert torch.allclose(tensor(got["gradient"]["G"]), G.grad, rtol=1e-12, atol=1e-12)


def test_matrix_vector_product_beside_the_vector():
    got = graph({"W": [[1, 2], [0, -1]], "x": [3, -2]}, ["q = W @ x + x", "L = sum(q * q)"])
    W = torch.tensor([[1., 2], [0, -1]], dtype=DTYPE, requires_grad=True)
    x = torch.tensor([3., -2], dtype=DTYPE, requires_grad=True)
    q = W @ x + x
    (q * q).sum().backward()
    assert torch.equal(tensor(got["gradient"]["W"]), W.grad)
    assert torch.equal(tensor(got["gradient"]["x"]), x.grad)


# --- graph: gradients that do not exist at the given values --------------------------------------------

@pytest.mark.parametrize("given_, forward", [
    ({"x": 0}, ["q = sqrt(x)"]),
    ({"x": [0, 1]}, ["q = sum(sqrt(x))"]),
    ({"x": 0}, ["q = x^0.5"]),
    ({"x": 0}, ["q = sqrt(x^2)"]),
    ({"x": -2, "y": 2}, ["q = x^y"]),
    ({"x": 1, "y": 3}, ["q = sqrt(x - 1)", "p = q * y"]),
])
def test_an_undefined_gradient_is_refused_naming_the_equation(given_, forward):
    """torch gives inf or nan here; the key cannot show one, and used to fail its own check (exit 1)."""
    with pytest.raises(SpecError) as err:
        graph(given_, forward)
    assert "forward[1]" in str(err.value) and "infinite or undefined" in str(err.value)


def test_an_undefined_gradient_exits_2_and_writes_nothing(tmp_path):
    from click.testing import CliRunner
    from derive.cli import cli
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "graph"\ngiven = { x = 0 }\nforward = ["q = sqrt(x)"]\n'
                    '  [[problem.part]]\n  ask = ["forward", "gradient"]\n', encoding="utf-8")
    out = tmp_path / "o.json"
    result = CliRunner().invoke(cli, ["solutions", str(spec), "-f", "json", "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert "forward[1]" in result.output and "Traceback" not in result.output


def test_only_the_forward_pass_of_sqrt_at_0_is_fine():
    data = {"title": "t", "problem": [{"kind": "graph", "given": {"x": 0}, "forward": ["q = sqrt(x)"],
                                       "part": [{"ask": "forward"}]}]}
    assert [q.answer.value for q in derive.solve(from_mapping(data)).questions()] == [{"q": 0}]


def test_a_given_left_out_of_wrt_may_have_no_gradient():
    """x^n at a negative x: the exponent's gradient is not real (torch: nan), but only x is asked for."""
    got = graph({"x": -2, "n": 3}, ["q = x^n"], wrt=["x"])
    assert got == {"forward": {"q": -8}, "gradient": {"x": 12}}
    with pytest.raises(SpecError, match="from q into n"):
        graph({"x": -2, "n": 3}, ["q = x^n"])


def test_a_power_with_a_named_exponent_at_a_base_of_0():
    """d/dx x^n = n x^n / x as SymPy writes it is 0/0 at x = 0; torch (and n x^(n-1)) give the slope."""
    got = graph({"x": 0, "n": 3, "y": 2}, ["q = x^n * y + x"], wrt=["x", "y"])
    assert got["gradient"] == {"x": 1, "y": 0}
    assert graph({"x": 0, "n": 2}, ["q = x^n"], wrt=["x"])["gradient"] == {"x": 0}


def test_a_square_root_is_typeset_over_its_argument():
    """sqrt(y) was written \\sqrt\\left(y\\right), which pdflatex refuses, and an empty root in MathML."""
    data = {"title": "t", "figures": False, "problem": [{"kind": "graph", "given": {"y": 3},
                                                         "forward": ["L = sqrt(y) + 1"],
                                                         "part": [{"ask": ["forward", "gradient"]}]}]}
    doc = derive.solve(from_mapping(data))
    latex = derive.render(doc, "latex")
    assert r"\sqrt{y}" in latex and r"\sqrt\left" not in latex
    html = derive.render(doc, "html")
    assert "<msqrt><mrow><mi>y</mi></mrow></msqrt>" in html and "<msqrt><mrow/></msqrt>" not in html


def test_a_graph_with_vectors_and_a_root_compiles_with_its_figures(tmp_path):
    """Vector and matrix labels on the wires (amsmath's matrix inside a tikzpicture, where \\matrix is TikZ's)
    and sqrt(...) in the equations each stopped pdflatex."""
    from conftest import need_tex
    from test_latex import compile_tex
    need_tex()
    data = {"title": "t", "problem": [{"kind": "graph", "given": {"W": [[1, -1], [0, 2]], "x": [2, 1]},
                                       "forward": ["z = W @ x", "L = sqrt(sum(z * z))"],
                                       "part": [{"ask": ["forward", "gradient"]}]}]}
    compile_tex(derive.render(derive.solve(from_mapping(data)), "latex"), tmp_path)


# --- conv-matrix: fractional numbers, any activation, keys as numbers or lists ---------------------------

ACTIVATIONS = {"sigmoid": torch.sigmoid, "softplus": F.softplus, "exp": torch.exp, "identity": lambda z: z,
               "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "z^2": lambda z: z ** 2,
               "\\frac{1}{1+e^{-z}}": torch.sigmoid, "\\sqrt{z^2}": torch.abs}
FRACTIONS = st.sampled_from([-2, -1, 0, 1, 3, 0.5, -1.5, "1/3", "-2/7", 0.25])


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(ACTIVATIONS)), st.booleans(), st.booleans(), st.data())
def test_conv_numbers_with_fractions_and_any_activation(activation, two_d, transposed, data):
    """F x, a, ∂L/∂f, ∂L/∂x and the Jacobians with "p/q", decimal and whole entries, against autograd."""
    dims = 2 if two_d else 1
    n = [data.draw(st.integers(1, 3 if two_d else 5)) for _ in range(dims)]
    k = [data.draw(st.integers(1, 2 if two_d else 3)) for _ in range(dims)]
    s = [data.draw(st.integers(1, 3)) for _ in range(dims)]
    d = [data.draw(st.integers(1, 2)) for _ in range(dims)]
    p = [data.draw(st.integers(0, 2)) for _ in range(dims)]
    op = [data.draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d)] if transposed else [0] * dims
    if transposed:
        p = [min(pi, ((ni - 1) * si + di * (ki - 1) + oi) // 2) for pi, ni, si, di, ki, oi in zip(p, n, s, d, k, op)]
    else:
        p = [max(pi, (di * (ki - 1) + 1 - ni + 1) // 2) for pi, ni, di, ki in zip(p, n, d, k)]
    def grid(shape):
        if len(shape) == 1:
            return data.draw(st.lists(FRACTIONS, min_size=shape[0], max_size=shape[0]))
        return [grid(shape[1:]) for _ in range(shape[0])]
    x, f = grid(n), grid(k)
    one = (lambda v: v[0]) if dims == 1 else list
    keys = {"stride": one(s), "dilation": one(d), "padding": one(p), "activation": activation, "x": x, "f": f}
    keys.update({"length": n[0], "width": k[0]} if dims == 1 else {"input": n, "kernel": k})
    if transposed:
        keys.update(transposed=True, output_padding=one(op))
    conv = {(1, False): F.conv1d, (2, False): F.conv2d, (1, True): F.conv_transpose1d,
            (2, True): F.conv_transpose2d}[dims, transposed]
    extra = {"output_padding": op} if transposed else {}

    def layer(xx, ff):
        return conv(xx[None, None], ff[None, None], stride=s, dilation=d, padding=p, **extra)[0, 0]
    xt, ft = tensor(x), tensor(f)
    z = layer(xt, ft)
    up = grid(list(z.shape))
    keys["upstream"] = up
    data_ = {"title": "t", "problem": [{"kind": "conv-matrix", **keys, "part": [{"ask": [
        "forward", "filter-gradient-value", "input-gradient-value", "matrix", "jacobian", "input-gradient"]}]}]}
    got = {q.ask: q.answer.value for q in derive.solve(from_mapping(data_)).questions()}
    phi = ACTIVATIONS[activation]
    xg, fg = xt.clone().requires_grad_(), ft.clone().requires_grad_()
    (phi(layer(xg, fg)) * tensor(up)).sum().backward()
    close = lambda a, b: torch.allclose(torch.tensor(a, dtype=DTYPE), b, rtol=1e-12, atol=1e-12)
    assert close(got["forward"]["z"], z) and close(got["forward"]["a"], phi(z))
    assert close(got["filter-gradient-value"], fg.grad) and close(got["input-gradient-value"], xg.grad)
    assert close(got["matrix"], torch.autograd.functional.jacobian(lambda t: layer(t, ft).flatten(), xt)
                 .reshape(z.numel(), -1))
    jf = torch.autograd.functional.jacobian(lambda t: phi(layer(xt, t)).flatten(), ft).reshape(z.numel(), -1)
    jx = torch.autograd.functional.jacobian(lambda t: phi(layer(t, ft)).flatten(), xt).reshape(z.numel(), -1)
    assert close(got["jacobian"], jf) and close(got["input-gradient"], jx)


def test_an_upstream_gradient_when_the_graph_uses_every_usual_loss_name():
    """With L, J and loss all taken, naming the loss raised StopIteration (a crash)."""
    got = graph({"x": 2, "E": 1}, ["L = x * 2 + E", "J = L + 1", "loss = J"], upstream=3)
    assert got["gradient"] == {"x": 6, "E": 3}


@pytest.mark.parametrize("given_, forward, constant", [
    ({"x": 2, "z": [1, 2, 3]}, ["k = x - 1", "L = cross_entropy(z, k)"], "x"),
    ({"x": [1, 2, 3], "w": [1, 1], "s": 2}, ["c = conv1d(x, w, s * 1)", "L = sum(c)"], "s"),
    ({"x": [1, 2, 3], "m": [1, 0, 1], "p": "1/2"}, ["d = dropout(x, m, p * 1)", "L = sum(d)"], "p"),
    ({"x": [[1, 2], [3, 4]], "g": [1, 1], "b": [0, 0], "e": "1/10"}, ["B = batchnorm(x, g, b, e + 0)",
                                                                       "L = sum(B * B)"], "e"),
])
def test_a_constant_argument_given_by_an_expression_is_a_constant(given_, forward, constant):
    """A class index, stride, p or eps computed from a given: no gradient flows through it (PyTorch takes it as
    an int or a float); derive tried to differentiate it and crashed on its own check of the argument."""
    got = graph(given_, forward)
    assert got["gradient"][constant] == 0
