"""conv-matrix in general (2D, numbers, transposed, channels) against PyTorch: F x is conv1d/conv2d (or
conv_transpose1d/2d), the forward pass is the layer's, and the gradients with an upstream gradient are
autograd's (float64), over random sizes, strides, paddings, dilations, channels and values; bad specs name
their field."""

from __future__ import annotations

import itertools
import re

import pytest
import sympy
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import derive
from derive.cli import cli
from derive.kinds.conv1d.geometry import MAX_WORK
from derive.spec import from_mapping

DTYPE = torch.float64


def solve(asks, **keys):
    part = {"ask": list(asks)}
    data = {"title": "t", "problem": [{"title": "Conv", "kind": "conv-matrix", **keys, "part": [part]}]}
    doc = derive.solve(from_mapping(data))
    return {q.ask: q.answer.value for q in doc.questions()}


# --- the reference ------------------------------------------------------------------------------

def reference(c: dict, x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """z of the case by torch: x (c_in, *input), f in PyTorch's layout; asymmetric padding by F.pad (conv)
    or by cropping (transposed)."""
    dims = len(c["input"])
    conv = {(1, False): F.conv1d, (2, False): F.conv2d, (1, True): F.conv_transpose1d,
            (2, True): F.conv_transpose2d}[dims, c["transposed"]]
    pads = c["padding"]
    if not c["transposed"]:
        flat_pad = [p for pair in reversed(pads) for p in pair]
        return conv(F.pad(x[None], flat_pad), f, stride=c["stride"], dilation=c["dilation"])[0]
    if all(a == b for a, b in pads):
        return conv(x[None], f, stride=c["stride"], dilation=c["dilation"], padding=[a for a, _ in pads],
                    output_padding=c["output_padding"])[0]
    full = conv(x[None], f, stride=c["stride"], dilation=c["dilation"], output_padding=c["output_padding"])[0]
    for ax, (b, a) in enumerate(pads):
        full = full.narrow(ax + 1, b, full.shape[ax + 1] - b - a)
    return full


@st.composite
def cases(draw):
    dims = draw(st.sampled_from([1, 2]))
    transposed = draw(st.booleans())
    channels = draw(st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2)]))
    c = {"transposed": transposed, "input": [], "kernel": [], "stride": [], "dilation": [], "padding": [],
         "output_padding": [], "channels": channels}
    for _ in range(dims):
        n = draw(st.integers(1, 6 if dims == 1 else 4))
        k = draw(st.integers(1, 3))
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        pads = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        op = draw(st.integers(0, max(s, d) - 1)) if transposed else 0
        if transposed:
            out = (n - 1) * s - sum(pads) + d * (k - 1) + op + 1
            if out < 1:
                pads = (0, 0)
        elif d * (k - 1) + 1 > n + sum(pads):
            k = 1
        for key, v in zip(("input", "kernel", "stride", "dilation", "padding", "output_padding"),
                          (n, k, s, d, pads, op)):
            c[key].append(v)
    return c


def spec_keys(c: dict) -> dict:
    dims = len(c["input"])
    keys = {"stride": list(c["stride"]), "dilation": list(c["dilation"]), "padding": [list(p) for p in c["padding"]]}
    if dims == 1:
        keys = {"length": c["input"][0], "width": c["kernel"][0], "stride": c["stride"][0],
                "dilation": c["dilation"][0], "padding": list(c["padding"][0])}
    else:
        keys.update(input=list(c["input"]), kernel=list(c["kernel"]))
    if c["transposed"]:
        keys["transposed"] = True
        keys["output_padding"] = c["output_padding"][0] if dims == 1 else list(c["output_padding"])
    if c["channels"] != (1, 1):
        keys["channels"] = list(c["channels"])
    return keys


def layouts(c: dict):
    ci, co = c["channels"]
    w = ((ci, co) if c["transposed"] else (co, ci)) + tuple(c["kernel"])
    return (ci, *c["input"]), w


def nested(t: torch.Tensor, drop: bool):
    """t as nested lists of ints, without its leading channel dimension when there is one channel pair."""
    v = t.to(torch.int64).tolist()
    return v if not drop else v[0] if t.dim() > 1 and t.shape[0] == 1 else v


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(), st.randoms(use_true_random=False))
def test_against_torch(c, rnd):
    xs, ws = layouts(c)
    gen = torch.Generator().manual_seed(rnd.randint(0, 2 ** 31))
    x = torch.randint(-3, 4, xs, generator=gen).to(DTYPE).requires_grad_()
    f = torch.randint(-3, 4, ws, generator=gen).to(DTYPE).requires_grad_()
    z = reference(c, x, f)
    positions = (x if c["transposed"] else z)[0].numel()
    assume(positions * f[0, 0].numel() * x.shape[0] * z.shape[0] <= MAX_WORK)     # derive's documented limit
    up = torch.randint(-3, 4, z.shape, generator=gen).to(DTYPE)
    (up * torch.relu(z)).sum().backward()
    one = c["channels"] == (1, 1)
    xv = nested(x.detach(), True) if one else nested(x.detach(), False)
    fv = nested(f.detach()[0, 0], False) if one else nested(f.detach(), False)
    uv = nested(up[0], False) if one else nested(up, False)
    signs = ["+" if v > 0 else "-" for v in z.detach().flatten().tolist()]   # torch's relu'(0) is 0
    keys = {**spec_keys(c), "x": xv, "f": fv, "upstream": uv, "signs": signs}
    asks = ["output-size", "forward", "filter-gradient-value", "input-gradient-value"]
    if z.numel() * x.numel() <= 64 * 64 and z.shape[0] * z[0].numel() <= 64 and x.numel() <= 64:
        asks.append("matrix")
    got = solve(asks, **keys)
    size = got["output-size"]
    assert (size if isinstance(size, list) else [size]) == list(z.shape[1:])
    assert torch.equal(torch.tensor(got["forward"]["z"], dtype=DTYPE).flatten(), z.detach().flatten())
    assert torch.equal(torch.tensor(got["forward"]["a"], dtype=DTYPE).flatten(), torch.relu(z).detach().flatten())
    assert torch.equal(torch.tensor(got["filter-gradient-value"], dtype=DTYPE).flatten(), f.grad.flatten())
    assert torch.equal(torch.tensor(got["input-gradient-value"], dtype=DTYPE).flatten(), x.grad.flatten())
    if "matrix" in got:
        M = torch.tensor(got["matrix"], dtype=DTYPE)
        assert torch.equal(M @ x.detach().flatten(), z.detach().flatten())
        # F^T upstream is the input gradient of sum(upstream * z): autograd's, with relu' taken out
        xx = x.detach().clone().requires_grad_()
        (up * reference(c, xx, f.detach())).sum().backward()
        assert torch.equal(M.T @ up.flatten(), xx.grad.flatten())


def test_symbolic_2d_matrix_against_conv2d():
    # 4 x 5 input, 2 x 3 kernel, stride [1, 2], padding [[1, 0], [0, 2]], dilation [2, 1]
    c = {"input": [4, 5], "kernel": [2, 3], "stride": [1, 2], "dilation": [2, 1], "padding": [(1, 0), (0, 2)],
         "transposed": False, "channels": (1, 1), "output_padding": [0, 0]}
    got = solve(["matrix", "output-size"], **spec_keys(c))
    f = torch.arange(1, 7, dtype=DTYPE).view(1, 1, 2, 3) * 1.5
    x = torch.randn(1, 4, 5, dtype=DTYPE)
    z = reference(c, x, f)
    assert got["output-size"] == list(z.shape[1:]) == [3, 3]
    values = {f"f{a}{b}": f[0, 0, a - 1, b - 1].item() for a in (1, 2) for b in (1, 2, 3)}
    M = torch.tensor([[float(sympy.sympify(e).subs(values)) for e in row] for row in got["matrix"]], dtype=DTYPE)
    assert torch.allclose(M @ x.flatten(), z.flatten(), rtol=0, atol=1e-12)


def test_conv1d_alias_and_output_size():
    got = solve(["output-size", "matrix"], length=7, width=3, stride=2, padding=2, dilation=3)
    assert got["output-size"] == 3
    # output 1 meets the padded entries 1, 4, 7: x_{-1} (padding), x_2, x_5
    assert got["matrix"][0] == ["0", "f2", "0", "0", "f3", "0", "0"]


def test_transposed_is_the_transpose():
    # n = 3, k = 3, s = 2: m = (3 - 1)2 + 3 = 7; F (3 x 7) of the conv 7 -> 3, and the layer's matrix is F^T
    forward = solve(["matrix"], length=7, width=3, stride=2)["matrix"]
    got = solve(["matrix", "output-size"], length=3, width=3, stride=2, transposed=True)
    assert got["output-size"] == 7
    assert got["matrix"] == [list(r) for r in zip(*forward)]
    # output_padding 1 picks 8 among the sizes 7, 8 that the convolution maps to 3
    assert solve(["output-size"], length=3, width=3, stride=2, transposed=True, output_padding=1)["output-size"] == 8


def test_the_issue_bench_case_derives():
    got = solve(["matrix", "output-size"], input=[8, 8], kernel=[3, 3])
    assert got["output-size"] == [6, 6]
    assert len(got["matrix"]) == 36 and all(len(r) == 64 for r in got["matrix"])


def test_2d_numbers_by_hand():
    # x 3 x 4, f [[1, -1], [2, 1/2]]: z11 = 1 - 2 + 2*3 + (1/2)(-2) = 4; z12 = 2 - 0 - 4 + 1/2 = -3/2
    got = solve(["forward"], input=[3, 4], kernel=[2, 2], x=[[1, 2, 0, -1], [3, -2, 1, 0], [0, 1, 1, 2]],
                f=[[1, -1], [2, 0.5]])
    assert got["forward"]["z"][0][:2] == [4, -1.5]
    assert got["forward"]["a"][0][:2] == [4, 0]


# --- bad specs -----------------------------------------------------------------------------------

BAD = [
    ({"input": [3, 3], "kernel": [4, 2]}, ["matrix"], "kernel"),
    ({"input": [3, 3], "kernel": [2, 2], "x": [[1, 2, 3], [4, 5, 6]], "f": [[1, 2], [3, 4]]}, ["forward"], "x"),
    ({"length": 4, "width": 2, "x": [1, 2, 3], "f": [1, 2]}, ["forward"], "x"),
    ({"input": [3, 3], "kernel": [2, 2], "x": [[1, 2, 3]] * 3, "f": [[1, 2], [3, 4]], "upstream": [[1, 2]]},
     ["input-gradient-value"], "upstream"),
    ({"length": 4, "width": 2, "transposed": True, "stride": 2, "output_padding": 2}, ["matrix"], "output_padding"),
    ({"input": [3, 3], "kernel": [2, 2], "stride": [2, 2], "transposed": True, "output_padding": [0, 2]},
     ["output-size"], "output_padding"),
    ({"length": 4, "width": 2, "output_padding": 1}, ["matrix"], "output_padding"),
    ({"input": [16, 16], "kernel": [3, 3]}, ["matrix"], "input"),
    ({"input": [16, 16], "kernel": [3, 3], "x": [[1] * 16] * 16, "f": [[1] * 3] * 3}, ["forward"], "input"),
    ({"input": [4, 4], "kernel": [3, 3], "channels": [8, 8]}, ["matrix"], "channels"),
    ({"input": [3, 3], "kernel": [2, 2], "channels": [2, 1], "x": [[1, 2, 3]] * 3, "f": [[1, 2], [3, 4]]},
     ["forward"], "x"),
]


def toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(toml(e) for e in v) + "]"
    return repr(v)


@pytest.mark.parametrize("keys, asks, field", BAD)
def test_bad_specs_exit_2_naming_the_field(tmp_path, keys, asks, field):
    lines = ['title = "t"', "[[problem]]", 'title = "Conv"', 'kind = "conv-matrix"']
    lines += [f"{k} = {toml(v)}" for k, v in keys.items()] + ["[[problem.part]]", f"ask = {toml(asks)}"]
    path = tmp_path / "s.toml"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["solutions", str(path), "-o", str(tmp_path / "out.json"), "-f", "json"])
    assert result.exit_code == 2, result.output
    assert f"field '{field}'" in result.output, result.output


def test_smooth_activation_numbers_against_autograd():
    # tanh: the values are irrational, floats in JSON; 2D, stride 2, padding 1, dilation [1, 2], 2 -> 2 channels
    c = {"input": [4, 5], "kernel": [2, 2], "stride": [2, 2], "dilation": [1, 2], "padding": [(1, 1), (1, 1)],
         "transposed": False, "channels": (2, 2), "output_padding": [0, 0]}
    gen = torch.Generator().manual_seed(3)
    x = torch.randint(-3, 4, (2, 4, 5), generator=gen).to(DTYPE).requires_grad_()
    f = (torch.randint(-3, 4, (2, 2, 2, 2), generator=gen).to(DTYPE) / 2).requires_grad_()
    z = reference(c, x, f)
    up = torch.randint(-3, 4, z.shape, generator=gen).to(DTYPE)
    (up * torch.tanh(z)).sum().backward()
    got = solve(["forward", "filter-gradient-value", "input-gradient-value"], **spec_keys(c),
                activation="\\tanh(z)", x=x.detach().tolist(), f=f.detach().tolist(), upstream=up.tolist())
    assert torch.allclose(torch.tensor(got["forward"]["a"], dtype=DTYPE), torch.tanh(z), rtol=0, atol=1e-12)
    assert torch.allclose(torch.tensor(got["filter-gradient-value"], dtype=DTYPE), f.grad, rtol=0, atol=1e-12)
    assert torch.allclose(torch.tensor(got["input-gradient-value"], dtype=DTYPE), x.grad, rtol=0, atol=1e-12)


def test_the_key_shows_both_ways():
    # a small case: the input gradient as the full convolution with the flipped filter and as F^T delta
    data = {"title": "t", "problem": [{"title": "Conv", "kind": "conv-matrix", "length": 4, "width": 2, "stride": 2,
                                       "x": [1, 2, 3, 1], "f": [2, 1], "upstream": [1, -1],
                                       "part": [{"ask": ["input-gradient-value", "filter-gradient-value"]}]}]}
    doc = derive.solve(from_mapping(data))
    for q in doc.questions():
        products = [ch for s in q.steps for ch in s.chains if isinstance(ch.links()[0][0], sympy.MatMul)
                    or any(isinstance(b, sympy.MatMul) for _, _, b in ch.links())]
        assert products, q.ask
    got = {q.ask: q.answer.value for q in doc.questions()}
    # z = (2 + 2, 6 + 1) = (4, 7), both positive: delta = upstream = (1, -1)
    # dL/dx = (2*1, 1*1, 2*(-1), 1*(-1)); dL/df = (1*1 + 3*(-1), 2*1 + 1*(-1))
    assert got["input-gradient-value"] == [2, 1, -2, -1]
    assert got["filter-gradient-value"] == [-2, 1]


def test_1d_numbers_give_the_signs():
    # z = (1*2 + 2*(-1), ...) with f = [1, 2], x = [1, -1, 3]: z1 = -1, z2 = 5: signs -, +
    by_numbers = solve(["gradient"], length=3, width=2, wrt="f1", x=[1, -1, 3], f=[1, 2])["gradient"]
    by_signs = solve(["gradient"], length=3, width=2, wrt="f1", signs=["-", "+"])["gradient"]
    assert by_signs == ["0", "x2"]
    assert by_numbers == [0, -1]                       # the same, at x2 = -1


@pytest.mark.parametrize("activation, torch_phi", [("relu", torch.relu), ("\\tanh(z)", torch.tanh)])
def test_1d_symbolic_questions_with_numbers_against_autograd(activation, torch_phi):
    # HW5's questions with x and f given: the derivation as before, then the answer in numbers
    x = torch.tensor([1, -1, 3, 2, -2], dtype=DTYPE)
    f = torch.tensor([1, 2], dtype=DTYPE)

    def layer(xx, ff):
        return torch_phi(F.conv1d(F.pad(xx.view(1, 1, -1), (1, 1)), ff.view(1, 1, -1), stride=2).view(-1))

    got = solve(["gradient", "jacobian", "input-gradient"], length=5, width=2, stride=2, padding=1, wrt="f2",
                activation=activation, x=x.tolist(), f=f.tolist())
    jac_f = torch.autograd.functional.jacobian(lambda ff: layer(x, ff), f)
    jac_x = torch.autograd.functional.jacobian(lambda xx: layer(xx, f), x)
    assert torch.allclose(torch.tensor(got["jacobian"], dtype=DTYPE), jac_f, rtol=0, atol=1e-12)
    assert torch.allclose(torch.tensor(got["gradient"], dtype=DTYPE), jac_f[:, 1], rtol=0, atol=1e-12)
    assert torch.allclose(torch.tensor(got["input-gradient"], dtype=DTYPE), jac_x, rtol=0, atol=1e-12)


# --- the symbolic derivatives beyond HW5's 1D (2D, transposed, channels) ----------------------------

NAME = re.compile(r"[xfz](?:\^\(\d+,\d+\)_)?(?:\[\d+\])?\d[\d_]*")


def contract_names(c: dict):
    """The names docs/kinds/conv-matrix.md promises, built from PyTorch's layouts: inputs x11 … (x[c]11 … with
    channels), weights f11 … (f^(a,b)_11 … with channels, (a, b) the first two indices of PyTorch's weight
    layout)."""
    xs, ws = layouts(c)
    many = c["channels"] != (1, 1)

    def idx(t):
        return ("," if any(v > 9 for v in t) else "").join(map(str, t)).replace(",", "_")

    xn = [(f"x[{i[0] + 1}]" if many else "x") + idx([v + 1 for v in i[1:]]) for i in itertools.product(
        *(range(v) for v in xs))]
    wn = [(f"f^({i[0] + 1},{i[1] + 1})_" if many else "f") + idx([v + 1 for v in i[2:]]) for i in itertools.product(
        *(range(v) for v in ws))]
    return xn, wn


def evaluate(text: str, values: dict) -> float:
    """A JSON entry (a SymPy string over the contract's names) at the given numbers."""
    tokens = {}

    def token(match):
        tokens.setdefault(match.group(0), sympy.Symbol(f"v{len(tokens)}"))
        return str(tokens[match.group(0)])

    expr = sympy.sympify(NAME.sub(token, text))
    return float(expr.subs({sym: values[name] for name, sym in tokens.items()}))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(), st.randoms(use_true_random=False))
def test_symbolic_derivatives_against_autograd(c, rnd):
    assume(len(c["input"]) == 2 or c["transposed"] or c["channels"] != (1, 1))      # beyond HW5's 1D
    xs, ws = layouts(c)
    gen = torch.Generator().manual_seed(rnd.randint(0, 2 ** 31))
    x = torch.randn(xs, generator=gen, dtype=DTYPE)
    f = torch.randn(ws, generator=gen, dtype=DTYPE)
    z = reference(c, x, f)
    assume(z.numel() <= 64 and x.numel() <= 64 and f.numel() <= 64)                # derive's documented limit
    xn, wn = contract_names(c)
    j = rnd.randrange(f.numel())
    signs = ["+" if v > 0 else "-" for v in z.flatten().tolist()]                   # torch's relu'(0) is 0
    got = solve(["gradient", "jacobian", "input-gradient"], **spec_keys(c), signs=signs, wrt=wn[j])
    values = {**dict(zip(xn, x.flatten().tolist())), **dict(zip(wn, f.flatten().tolist()))}
    jac_f = torch.autograd.functional.jacobian(lambda ff: torch.relu(reference(c, x, ff)).flatten(), f)
    jac_x = torch.autograd.functional.jacobian(lambda xx: torch.relu(reference(c, xx, f)).flatten(), x)
    jac_f, jac_x = jac_f.reshape(z.numel(), -1), jac_x.reshape(z.numel(), -1)

    def numbers(rows):
        return torch.tensor([[evaluate(e, values) for e in row] for row in rows], dtype=DTYPE)

    assert torch.allclose(numbers(got["jacobian"]), jac_f, rtol=0, atol=1e-12)
    assert torch.allclose(numbers(got["input-gradient"]), jac_x, rtol=0, atol=1e-12)
    assert torch.allclose(numbers([got["gradient"]])[0], jac_f[:, j], rtol=0, atol=1e-12)


def test_symbolic_2d_smooth_with_numbers_against_autograd():
    # tanh after a 2-channel transposed 2D layer: the slopes stay phi'(z_r); with x and f the answer is numbers
    c = {"input": [2, 3], "kernel": [2, 2], "stride": [2, 1], "dilation": [1, 1], "padding": [(0, 1), (1, 0)],
         "transposed": True, "channels": (2, 1), "output_padding": [1, 0]}
    gen = torch.Generator().manual_seed(5)
    xs, ws = layouts(c)
    x = torch.randint(-3, 4, xs, generator=gen).to(DTYPE)
    f = torch.randint(-3, 4, ws, generator=gen).to(DTYPE)
    keys = {**spec_keys(c), "activation": "\\tanh(z)"}
    symbolic = solve(["jacobian"], **keys)["jacobian"]
    assert any("tanh" in e for row in symbolic for e in row)
    got = solve(["jacobian", "input-gradient", "gradient"], **keys, x=x.tolist(), f=f.tolist(),
                wrt="f^(2,1)_12")
    jac_f = torch.autograd.functional.jacobian(lambda ff: torch.tanh(reference(c, x, ff)).flatten(), f)
    jac_x = torch.autograd.functional.jacobian(lambda xx: torch.tanh(reference(c, xx, f)).flatten(), x)
    n = jac_f.shape[0]
    assert torch.allclose(torch.tensor(got["jacobian"], dtype=DTYPE), jac_f.reshape(n, -1), rtol=0, atol=1e-12)
    assert torch.allclose(torch.tensor(got["input-gradient"], dtype=DTYPE), jac_x.reshape(n, -1), rtol=0, atol=1e-12)
    assert torch.allclose(torch.tensor(got["gradient"], dtype=DTYPE), jac_f[:, 1, 0, 0, 1], rtol=0, atol=1e-12)


SYMBOLIC_BAD = [
    ({"input": [3, 3], "kernel": [2, 2]}, ["jacobian"], "signs"),
    ({"input": [3, 3], "kernel": [2, 2], "signs": ["+", "-"]}, ["jacobian"], "signs"),
    ({"input": [3, 3], "kernel": [2, 2], "signs": ["+"] * 4, "wrt": "f13"}, ["gradient"], "wrt"),
    ({"input": [10, 10], "kernel": [1, 1], "activation": "tanh"}, ["input-gradient"], "input"),
    ({"input": [3, 3], "kernel": [2, 2], "channels": [8, 8], "activation": "tanh"}, ["jacobian"], "channels"),
]


@pytest.mark.parametrize("keys, asks, field", SYMBOLIC_BAD)
def test_symbolic_bad_specs_name_the_field(tmp_path, keys, asks, field):
    test_bad_specs_exit_2_naming_the_field(tmp_path, keys, asks, field)


# --- the matrix explained by blocks: channel pairs, and a transposed 2D layer ----------------------

def solutions(asks, **keys):
    part = {"ask": list(asks)}
    data = {"title": "t", "problem": [{"title": "Conv", "kind": "conv-matrix", **keys, "part": [part]}]}
    return {q.ask: q for q in derive.solve(from_mapping(data)).questions()}


def lets(text):
    return [p for p in text.pieces if type(p).__name__ == "Let"]


def explicit_shapes(q):
    """Shapes of the explicit matrices a solution displays."""
    out = []
    for s in q.steps:
        for ch in s.chains:
            out += [e.shape for e in ch.exprs if isinstance(e, sympy.MatrixBase)]
    return out


@pytest.mark.parametrize("keys, pattern", [
    ({"length": 5, "width": 2, "stride": 2, "channels": [2, 3]}, "banded"),
    ({"input": [3, 3], "kernel": [2, 2], "channels": [2, 2]}, "doubly block Toeplitz"),
    ({"input": [2, 2], "kernel": [2, 2], "stride": 2, "transposed": True, "channels": [2, 2]}, "transpose"),
])
def test_channels_matrix_block_by_block(keys, pattern):
    q = solutions(["matrix"], **keys)["matrix"]
    M = q.answer.value
    c_in, c_out = keys["channels"]
    rows, cols = len(M) // c_out, len(M[0]) // c_in
    block_rows = [s for s in q.steps
                  if any(isinstance(p, str) and p.startswith("Output channel") for p in s.text.pieces)]
    assert len(block_rows) == c_out
    assert any(isinstance(p, str) and pattern in p for s in q.steps for p in s.text.pieces)
    for co, s in enumerate(block_rows):
        blocks = lets(s.text)
        assert len(blocks) == c_in
        for ci, b in enumerate(blocks):
            # each block is the pair's one-channel matrix: the JSON matrix's block, with the pair's weights only
            want = [r[ci * cols:(ci + 1) * cols] for r in M[co * rows:(co + 1) * rows]]
            assert [[str(e) for e in b.rhs.row(r)] for r in range(b.rhs.rows)] == want
            pair = (ci + 1, co + 1) if keys.get("transposed") else (co + 1, ci + 1)
            assert all(f"^({pair[0]},{pair[1]})" in e for row in want for e in row if e != "0")


def test_transposed_2d_matrix_by_blocks():
    # 3 x 3 input, 3 x 3 kernel, stride 2: the layer's matrix is 49 x 9, F^T of the 9 x 49 convolution matrix
    q = solutions(["matrix"], input=[3, 3], kernel=[3, 3], stride=2, transposed=True)["matrix"]
    M = sympy.Matrix([[sympy.Symbol(e) if e != "0" else 0 for e in row] for row in q.answer.value])
    assert M.shape == (49, 9)
    assert (49, 9) not in explicit_shapes(q) and (9, 49) not in explicit_shapes(q)      # not shown in full
    shown = q.answer.chain.last
    assert isinstance(shown, sympy.BlockMatrix) and shown.blockshape == (7, 3)
    blocks = {b.name: b for s in q.steps for p in s.text.pieces if type(p).__name__ == "Let"
              for b in [p.lhs] if isinstance(p.lhs, sympy.MatrixSymbol)}
    values = {p.lhs: p.rhs for s in q.steps for p in s.text.pieces if type(p).__name__ == "Let"}
    explicit = shown.xreplace(values).doit()
    assert sympy.Matrix(explicit).applyfunc(lambda e: sympy.Symbol(str(e)) if e != 0 else 0) == M
    assert blocks


# --- long 1D inputs: F from its band ---------------------------------------------------------------

def _numbers(rows, values: dict) -> torch.Tensor:
    """A JSON matrix of SymPy strings at the given numbers (each distinct string parsed once)."""
    seen = {}

    def one(e):
        if e not in seen:
            seen[e] = float(sympy.sympify(e).subs(values)) if e != "0" else 0.0
        return seen[e]

    return torch.tensor([[one(e) for e in row] for row in rows], dtype=DTYPE)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(129, 400), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(0, 2), st.randoms(use_true_random=False))
def test_long_input_against_autograd(n, k, s, d, pl, pr, rnd):
    gen = torch.Generator().manual_seed(rnd.randint(0, 2 ** 31))
    x = torch.randn(n, generator=gen, dtype=DTYPE)
    f = torch.randn(k, generator=gen, dtype=DTYPE)

    def layer(xx, ff):
        return F.conv1d(F.pad(xx.view(1, 1, -1), (pl, pr)), ff.view(1, 1, -1), stride=s, dilation=d).view(-1)

    z = layer(x, f)
    j = rnd.randrange(k)
    signs = ["+" if v > 0 else "-" for v in z.tolist()]
    got = solve(["matrix", "gradient", "jacobian", "input-gradient"], length=n, width=k, stride=s, dilation=d,
                padding=[pl, pr], signs=signs, wrt=f"f{j + 1}")
    values = {**{f"x{i + 1}": v for i, v in enumerate(x.tolist())},
              **{f"f{i + 1}": v for i, v in enumerate(f.tolist())}}
    values = {sympy.Symbol(name): v for name, v in values.items()}
    M = _numbers(got["matrix"], values)
    assert torch.allclose(M @ x, z, rtol=0, atol=1e-10)
    jac_f = torch.autograd.functional.jacobian(lambda ff: torch.relu(layer(x, ff)), f)
    jac_x = torch.autograd.functional.jacobian(lambda xx: torch.relu(layer(xx, f)), x)
    assert torch.allclose(_numbers(got["jacobian"], values), jac_f, rtol=0, atol=1e-12)
    assert torch.allclose(_numbers(got["input-gradient"], values), jac_x, rtol=0, atol=1e-12)
    assert torch.allclose(_numbers([got["gradient"]], values)[0], jac_f[:, j], rtol=0, atol=1e-12)


def test_length_1000_derives_and_shows_a_bounded_key():
    signs = (["+", "-", "+"] * 1000)[:998]
    data = {"title": "t", "problem": [{"title": "Long", "kind": "conv1d-matrix", "length": 1000, "width": 3,
                                       "signs": signs, "wrt": "f2",
                                       "part": [{"ask": ["matrix", "gradient", "jacobian", "input-gradient"]}]}]}
    doc = derive.solve(from_mapping(data))
    got = {q.ask: q.answer.value for q in doc.questions()}
    assert len(got["matrix"]) == 998 and len(got["matrix"][0]) == 1000
    assert got["matrix"][997][-3:] == ["f1", "f2", "f3"] and got["matrix"][0][:4] == ["f1", "f2", "f3", "0"]
    assert got["gradient"][:3] == ["x2", "0", "x4"]
    assert len(derive.render(doc, "markdown")) < 200_000          # the first rows and the last, not 10^6 entries


def test_the_band_check_catches_a_misplaced_entry():
    from derive.kinds.conv1d import band
    from derive.kinds.conv1d.config import configure
    from derive.errors import CheckError
    c = configure({"length": 300, "width": 3, "stride": 2, "padding": 1}, ["matrix"])
    good = band.band(c)
    for r, j, col in ((0, 0, 5), (77, 2, None), (148, 1, 140)):          # a column moved, dropped, shifted
        cols = [list(row) for row in good.cols]
        cols[r][j] = col
        with pytest.raises(CheckError):
            band.check_band(band.Band(c=c, cols=tuple(map(tuple, cols))))


LONG_BAD = [
    ({"length": 1001, "width": 3}, ["matrix"], "length"),
    ({"length": 1000, "width": 200}, ["matrix"], "width"),
]


@pytest.mark.parametrize("keys, asks, field", LONG_BAD)
def test_long_bad_specs_name_the_field(tmp_path, keys, asks, field):
    test_bad_specs_exit_2_naming_the_field(tmp_path, keys, asks, field)


@pytest.mark.parametrize("ask", ["gradient", "jacobian"])
def test_a_wrong_slope_in_the_written_products_is_caught(monkeypatch, ask):
    """The products shown as written (slope times derivative) are checked against the slopes the signs give:
    a display built from a wrong slope stops the build."""
    from dataclasses import replace
    from derive.check import check_solution
    from derive.errors import CheckError
    from derive.kinds.conv1d import derivatives
    from derive.kinds.conv1d.config import configure
    from derive.kinds.conv1d.slopes import slopes
    c = configure({"length": 6, "width": 3, "signs": ["+", "-", "+", "+"], "wrt": "f2"}, [ask])
    sl = slopes(c)
    wrong = replace(sl, factors=(sl.factors[0], sympy.Integer(1)) + sl.factors[2:],
                    values=(sl.values[0], sympy.Integer(1)) + sl.values[2:])
    check_solution(getattr(derivatives, f"_{ask}")(c), "1a")
    monkeypatch.setattr(derivatives, "slopes", lambda _: wrong)
    with pytest.raises(CheckError):
        check_solution(getattr(derivatives, f"_{ask}")(c), "1a")


def test_a_long_answer_value_is_handed_between_processes_whole():
    """The band's answer values pickle as one piece (not string by string) and read back as the same list."""
    import json
    from derive import cache
    from derive.kinds.conv1d.band import Strings
    from derive.kinds.conv1d.names import NOTATION
    for value in (Strings([["0", "f1", "0"], ["x2", "0", "-x3/100"]]), Strings(["x1", "0", "x3"]), Strings([])):
        back = cache.loads([(cache.dumps(value, NOTATION), NOTATION)])[0]
        assert type(back) is Strings and back == value and json.dumps(back) == json.dumps(value)
