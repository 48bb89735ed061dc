"""The graph kind against PyTorch (float64 autograd): the textbook cases with their published numbers,
every function of the equation language, hypothesis-drawn random graphs, and the bad specs that must be
refused naming their field."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import SpecError

T = torch.float64


def run(given_values: dict, forward: list, **part) -> dict:
    """derive's answers (JSON values) by ask, the key derived and CAS-checked."""
    data = {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": given_values, "forward": forward,
                                      "part": [{"ask": ["forward", "gradient"], **part}]}]}
    doc = derive.solve(derive.from_mapping(data))
    return {q.ask: q.answer.value for q in doc.questions()}


def num(v):
    """A JSON value as floats: ints, 'p/q' strings and floats, nested."""
    if isinstance(v, list):
        return [num(e) for e in v]
    if isinstance(v, str):
        return float(Fraction(v))
    return float(v)


def close(value, tensor, tol=1e-9):
    got = torch.tensor(num(value), dtype=T)
    assert got.shape == tensor.shape, (got.shape, tensor.shape)
    assert torch.allclose(got, tensor.detach().to(T), atol=tol, rtol=tol), (got, tensor)


def leaf(v):
    return torch.tensor(num(v), dtype=T, requires_grad=True)


def against(given_values: dict, forward: list, torch_fn, wrt=None, upstream=None, labels=()):
    """derive's forward values and gradients equal torch's: torch_fn(tensors) returns {name: tensor}."""
    answers = run(given_values, forward, **({"wrt": wrt} if wrt else {}),
                  **({"upstream": upstream} if upstream is not None else {}))
    tensors = {k: (v if k in labels else leaf(v)) for k, v in given_values.items()}
    values = torch_fn(tensors)
    for name, value in answers["forward"].items():
        close(value, values[name])
    out = values[forward[-1].split("=")[0].strip()]
    grad = torch.tensor(num(upstream), dtype=T) if upstream is not None else None
    names = wrt or [k for k in given_values if k not in labels]
    grads = torch.autograd.grad(out, [tensors[n] for n in names], grad_outputs=grad, allow_unused=True)
    for n, g in zip(names, grads):
        close(answers["gradient"][n], torch.zeros_like(tensors[n]) if g is None else g)
    return answers


# --- the textbook cases ------------------------------------------------------------------------------

def test_cs231n_circuit():
    """CS231n, backprop notes: f = (x + y) z at x = -2, y = 5, z = -4."""
    a = run({"x": -2, "y": 5, "z": -4}, ["q = x + y", "f = q * z"])
    assert a["forward"] == {"q": 3, "f": -12}
    assert a["gradient"] == {"x": -4, "y": -4, "z": 3}


def test_cs231n_sigmoid_neuron():
    """CS231n: f = sigma(w0 x0 + w1 x1 + w2) at w = [2, -3, -3], x = [-1, -2]: f = 0.73, dx = [0.39, -0.59],
    dw = [-0.2, -0.39, 0.2]."""
    g = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    a = against(g, ["z = w0 * x0 + w1 * x1 + w2", "f = sigmoid(z)"],
                lambda t: {"z": (z := t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"]), "f": torch.sigmoid(z)})
    assert round(a["forward"]["f"], 2) == 0.73
    grads = a["gradient"]
    assert [round(grads[k], 2) for k in ("x0", "x1", "w0", "w1", "w2")] == [0.39, -0.59, -0.2, -0.39, 0.2]


def test_l2_regularised_loss():
    g = {"w": [1, -2], "x": [3, 0.5], "y": 2, "lam": 0.1}
    against(g, ["yhat = w @ x", "e = yhat - y", "L = e ^ 2 + lam * sum(w * w)"],
            lambda t: {"yhat": (yh := t["w"] @ t["x"]), "e": (e := yh - t["y"]),
                       "L": e ** 2 + t["lam"] * (t["w"] * t["w"]).sum()})


def mlp_values():
    gen = torch.Generator().manual_seed(0)

    def rnd(*shape):
        return [[round(float(v), 1) for v in row] for row in torch.randint(-5, 6, shape, generator=gen) / 10] \
            if len(shape) == 2 else [round(float(v), 1) for v in torch.randint(-5, 6, shape, generator=gen) / 10]
    return {"x": rnd(4), "W1": rnd(8, 4), "b1": rnd(8), "W2": rnd(3, 8), "b2": rnd(3), "y": 2}


def test_two_layer_mlp_with_softmax_cross_entropy():
    forward = ["z1 = W1 @ x + b1", "h = relu(z1)", "z2 = W2 @ h + b2", "L = cross_entropy(z2, y)"]

    def fn(t):
        z1 = t["W1"] @ t["x"] + t["b1"]
        h = torch.relu(z1)
        z2 = t["W2"] @ h + t["b2"]
        return {"z1": z1, "h": h, "z2": z2, "L": F.cross_entropy(z2[None], torch.tensor([2]))}
    a = against(mlp_values(), forward, fn, labels=("y",))
    assert set(a["gradient"]) == {"x", "W1", "b1", "W2", "b2"}
    assert len(a["gradient"]["W1"]) == 8 and len(a["gradient"]["W1"][0]) == 4


# --- every function against torch -----------------------------------------------------------------

ELEMENTWISE = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "relu": torch.relu,
               "sigmoid": torch.sigmoid, "tanh": torch.tanh}
small = st.integers(-20, 20).map(lambda k: k / 10)
positive = st.integers(1, 30).map(lambda k: k / 10)


@pytest.mark.parametrize("fn", sorted(ELEMENTWISE))
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_elementwise_against_torch(fn, data):
    n = data.draw(st.integers(1, 4))
    xs = data.draw(st.lists(positive if fn in ("log", "sqrt") else small, min_size=n, max_size=n))
    w = data.draw(st.lists(small, min_size=n, max_size=n))
    against({"x": xs, "w": w}, [f"a = {fn}(x)", "L = sum(a * w)"],
            lambda t: {"a": (a := ELEMENTWISE[fn](t["x"])), "L": (a * t["w"]).sum()})


def test_scalar_functions_and_operators_against_torch():
    against({"a": 0.5, "b": -1.5, "c": 2},
            ["d = a / c - b ^ 2", "e = exp(d) * tanh(b) + sqrt(c) - abs(b) + log(c) ** 2", "f = -e + relu(a)"],
            lambda t: {"d": (d := t["a"] / t["c"] - t["b"] ** 2),
                       "e": (e := torch.exp(d) * torch.tanh(t["b"]) + torch.sqrt(t["c"]) - torch.abs(t["b"])
                             + torch.log(t["c"]) ** 2),
                       "f": -e + torch.relu(t["a"])})


def test_vector_functions_against_torch():
    g = {"z": [1, -0.5, 2], "t": [0.2, 0.3, 0.5], "M": [[1, 2, 0], [0, -1, 3]], "u": [0.5, -1]}
    forward = ["p = softmax(z)", "l = log_softmax(z)", "c = cross_entropy(z, t)", "v = M @ p",
               "m = mean(transpose(M) @ u)", "L = c + sum(l * t) + mse(v, u) + m * p[1]"]

    def fn(x):
        p, l = torch.softmax(x["z"], 0), torch.log_softmax(x["z"], 0)
        c = F.cross_entropy(x["z"][None], x["t"][None])
        v = x["M"] @ p
        m = (x["M"].T @ x["u"]).mean()
        return {"p": p, "l": l, "c": c, "v": v, "m": m,
                "L": c + (l * x["t"]).sum() + F.mse_loss(v, x["u"]) + m * p[1]}
    against(g, forward, fn)


def test_matrix_products_and_upstream_against_torch():
    g = {"A": [[1, 2], [3, -1], [0, 1]], "B": [[2, 0, 1], [1, -1, 0]], "v": [1, 2, -1]}
    against(g, ["C = A @ B", "w = v @ C", "y = C @ v + w * 2"],
            lambda t: {"C": (C := t["A"] @ t["B"]), "w": (w := t["v"] @ C), "y": C @ t["v"] + w * 2},
            upstream=[1, 0, -2])


def test_batchnorm_against_torch():
    g = {"X": [[1, 2, 0], [3, -1, 1], [0, 0, 2], [2, 1, -1]], "gamma": [1, 0.5, 2], "beta": [0, 1, -1],
         "D": [[1, 0, 0], [0, 2, 0], [0, 0, -1], [1, 1, 1]]}
    bn = torch.nn.functional.batch_norm
    against(g, ["Y = batchnorm(X, gamma, beta)", "L = sum(Y * D)"],
            lambda t: {"Y": (Y := bn(t["X"], None, None, t["gamma"], t["beta"], training=True, eps=1e-5)),
                       "L": (Y * t["D"]).sum()})


def test_layernorm_with_eps_and_upstream_against_torch():
    g = {"X": [[1, 2, 0], [3, -1, 1]], "gamma": [1, 0.5, 2], "beta": [0, 1, -1]}
    ln = torch.nn.functional.layer_norm
    against(g, ["Y = layernorm(X, gamma, beta, 0.001)"],
            lambda t: {"Y": ln(t["X"], (3,), t["gamma"], t["beta"], eps=1e-3)}, upstream=[[1, 0, 2], [0, -1, 1]])


def test_dropout_against_torch():
    g = {"x": [1, -2, 3, 0.5], "m": [1, 0, 1, 1], "p": 0.25, "w": [1, 2, 3, 4]}
    against(g, ["h = dropout(x, m, p)", "L = sum(h * w)"],
            lambda t: {"h": (h := t["x"] * torch.tensor(g["m"], dtype=T) / 0.75), "L": (h * t["w"]).sum()},
            wrt=["x", "w"])


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 2), (3, 0)])
def test_conv1d_against_torch(stride, padding):
    g = {"x": [1, -2, 3, 0.5, 2, -1], "w": [0.5, -1, 2]}
    up = [1, -1, 2, 0.5, 1, -2, 3, 1, 0.5, 2][:(6 + 2 * padding - 3) // stride + 1]
    against(g, [f"y = conv1d(x, w, {stride}, {padding})"],
            lambda t: {"y": F.conv1d(t["x"][None, None], t["w"][None, None], stride=stride, padding=padding)[0, 0]},
            upstream=up)


# --- random graphs -----------------------------------------------------------------------------------

UNARY = [("exp", torch.exp), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu),
         ("abs", torch.abs)]
BINARY = [("+", torch.add), ("-", torch.sub), ("*", torch.mul)]


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 3))
    names = ["a", "b", "c"][:draw(st.integers(1, 3))]
    given_values = {k: draw(st.lists(small, min_size=n, max_size=n)) for k in names}
    forward, steps = [], []
    pool = list(names)
    for k in range(draw(st.integers(1, 4))):
        out = f"v{k}"
        kind = draw(st.integers(0, 2))
        if kind == 0:
            fname, fn = draw(st.sampled_from(UNARY))
            arg = draw(st.sampled_from(pool))
            forward.append(f"{out} = {fname}({arg})")
            steps.append((out, lambda t, fn=fn, arg=arg: fn(t[arg])))
        elif kind == 1:
            fname, fn = draw(st.sampled_from(UNARY))
            x, y = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            forward.append(f"{out} = {fname}({x} * {y} - 1 / 2) * {x}")
            steps.append((out, lambda t, fn=fn, x=x, y=y: fn(t[x] * t[y] - 0.5) * t[x]))
        else:
            op, fn = draw(st.sampled_from(BINARY))
            x, y = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            forward.append(f"{out} = {x} {op} {y}")
            steps.append((out, lambda t, fn=fn, x=x, y=y: fn(t[x], t[y])))
        pool.append(out)
    forward.append(f"L = sum({pool[-1]} * {pool[-1]})")
    steps.append(("L", lambda t, last=pool[-1]: (t[last] * t[last]).sum()))
    return given_values, forward, steps


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(graphs())
def test_random_graphs_against_torch(case):
    given_values, forward, steps = case

    def fn(t):
        env = dict(t)
        for name, f in steps:
            env[name] = f(env)
        return env
    against(given_values, forward, fn)


@st.composite
def mixed_graphs(draw):
    """Vectors, matrices and scalars: matrix products, broadcasting, division, constant powers, indexing,
    reductions; each step drawn among the operations that fit the shapes at hand."""
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    values = {"W": [[draw(small) for _ in range(n)] for _ in range(m)], "x": [draw(small) for _ in range(n)],
              "s": draw(positive)}
    shapes = {"W": (m, n), "x": (n,), "s": ()}
    forward, steps = [], []
    for k in range(draw(st.integers(1, 4))):
        out = f"u{k}"
        options = []
        for a, sa in shapes.items():
            if sa == ():
                options.append((f"{a} * {a} + s", lambda t, a=a: t[a] * t[a] + t["s"], ()))
            if len(sa) == 1:
                options += [(f"{a} / (1 + s) - {a} ^ 2", lambda t, a=a: t[a] / (1 + t["s"]) - t[a] ** 2, sa),
                            (f"sum({a})", lambda t, a=a: t[a].sum(), ()),
                            (f"{a}[{sa[0] - 1}] * s", lambda t, a=a, i=sa[0] - 1: t[a][i] * t["s"], ())]
            if len(sa) == 2 and sa[1] == n:
                options.append((f"tanh({a} @ x)", lambda t, a=a: torch.tanh(t[a] @ t["x"]), (sa[0],)))
                options.append((f"mean(transpose({a}) * s)", lambda t, a=a: (t[a].T * t["s"]).mean(), ()))
            if len(sa) == 1 and sa[0] == m:
                options.append((f"{a} @ W", lambda t, a=a: t[a] @ t["W"], (n,)))
        text, fn, shape = draw(st.sampled_from(options))
        forward.append(f"{out} = {text}")
        steps.append((out, fn))
        shapes[out] = shape
    last = forward[-1].split("=")[0].strip()
    forward.append(f"L = sum({last} * {last}) + s")
    steps.append(("L", lambda t, last=last: (t[last] * t[last]).sum() + t["s"]))
    return values, forward, steps


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(mixed_graphs())
def test_random_graphs_of_vectors_and_matrices_against_torch(case):
    test_random_graphs_against_torch.hypothesis.inner_test(case)


# --- symbolic givens -----------------------------------------------------------------------------------

def test_symbolic_softmax_cross_entropy_gives_p_minus_onehot():
    import sympy
    a = run({"z": {"shape": [3]}, "y": 1}, ["L = cross_entropy(z, y)"])
    z = sympy.symbols("z1:4", real=True)
    total = sum(sympy.exp(v) for v in z)
    for i, g in enumerate(a["gradient"]["z"]):
        want = sympy.exp(z[i]) / total - (1 if i == 1 else 0)
        assert sympy.simplify(sympy.sympify(g, locals={str(v): v for v in z}) - want) == 0


def test_symbolic_sigmoid_derivative():
    import sympy
    a = run({"a": {"symbol": True}}, ["s = sigmoid(a)"])
    x = sympy.Symbol("a", real=True)
    got = sympy.sympify(a["gradient"]["a"], locals={"a": x})
    assert sympy.simplify(got - sympy.exp(-x) / (1 + sympy.exp(-x)) ** 2) == 0


# --- bad specs ---------------------------------------------------------------------------------------

BAD = [
    ({"x": 1}, ["q = x + w"], {}, "forward[1]", "not defined"),
    ({"x": 1}, ["q = x + 1", "q = x * 2"], {}, "forward[2]", "defined twice"),
    ({"x": 1}, ["x = 2 * x"], {}, "forward[1]", "defined twice"),
    ({"W": [[1, 2], [3, 4], [5, 6]], "x": [1, 2, 3]}, ["z = W @ x"], {}, "forward[1]", "(3, 2)"),
    ({"a": [1, 2], "b": [1, 2, 3]}, ["c = a + b"], {}, "forward[1]", "(3,)"),
    ({"p": [1, 2, 3]}, ["q = p[3]"], {}, "forward[1]", "out of range"),
    ({"x": [1, 2]}, ["y = 2 * x"], {}, "upstream", "must be given"),
    ({"x": [1, 2]}, ["y = 2 * x"], {"upstream": [1, 2, 3]}, "upstream", "shape"),
    ({"x": 1}, ["y = foo(x)"], {}, "forward[1]", "unknown function"),
    ({"x": [[1, 2]]}, ["y = batchnorm(x)"], {}, "forward[1]", "batchnorm takes 3 to 4"),
    ({"x": [1, 2]}, ["y = batchnorm(x, x, x)"], {}, "forward[1]", "N × D matrix"),
    ({"x": 1}, ["y = x +"], {}, "forward[1]", "cannot read"),
    ({"x": 0}, ["y = log(x)"], {}, "forward[1]", "undefined"),
    ({"x": 1}, ["y = 2 * x"], {"wrt": ["w"]}, "wrt", "not a name"),
    ({"x": 1}, ["y = 2 * x"], {"of": "z"}, "of", "must name"),
    ({"x": {"shape": [3, 4, 5]}}, ["y = sum(x)"], {}, "given.x.shape", "[m, n]"),
    ({"x": [[1, 2], [3]]}, ["y = sum(x)"], {}, "given.x", "same"),
    ({"z": [1, 2], "y": 5}, ["L = cross_entropy(z, y)"], {}, "forward[1]", "class index"),
    ({"x": 10}, ["a = x ^ 1000"], {}, "forward[1]", "exponent"),
    ({"x": 10}, ["a = x ^ 60", "b = a * a"], {}, "forward[2]", "10^100"),
    ({"x": 3}, ["a = exp(exp(exp(x)))"], {}, "forward[1]", "10^100"),
    ({"x": {"symbol": True}}, ["a = x * x + x", "b = a * a + a", "c = b * b + b", "d = c * c + c", "e = d * d + d",
                                "f = e * e + e", "g = f * f + f"], {}, "forward[", "operations"),
]


@pytest.mark.parametrize("given_values, forward, part, field, words", BAD)
def test_bad_specs_name_the_field(given_values, forward, part, field, words):
    with pytest.raises(SpecError) as err:
        run(given_values, forward, **part)
    message = str(err.value)
    assert field in message and words in message, message


def test_a_name_of_does_not_depend_on_has_gradient_zero_and_a_note():
    data = {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": {"x": 2, "w": [1, 2]},
                                      "forward": ["y = 3 * x"], "part": [{"ask": ["gradient"]}]}]}
    q = next(derive.solve(derive.from_mapping(data)).questions())
    assert q.answer.value == {"x": 3, "w": [0, 0]}
    assert any("does not depend on w" in str(n.pieces) for n in q.notes)


def test_cli_exit_status_2(tmp_path):
    import subprocess
    import sys
    spec = tmp_path / "bad.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "graph"\ntitle = "g"\ngiven = { x = 1 }\n'
                    'forward = ["q = x + w"]\n[[problem.part]]\nask = ["forward"]\n')
    proc = subprocess.run([sys.executable, "-m", "derive", "solutions", str(spec), "-o", str(tmp_path / "o.md"),
                           "-f", "markdown"], capture_output=True, text=True)
    assert proc.returncode == 2 and "forward[1]" in proc.stderr


def test_layer_notation_writes_superscripts():
    data = {"title": "t", "notation": "layer",
            "problem": [{"kind": "graph", "title": "g", "given": {"W1": [[1, 2]], "x": [1, -1], "z": {"shape": [2]}},
                         "forward": ["a1 = W1 @ x", "L = sum(a1) + sum(z)"], "part": [{"ask": ["gradient"]}]}]}
    latex = derive.render(derive.solve(derive.from_mapping(data)), "latex")
    assert "W^{[1]}" in latex and "a^{[1]}" in latex and "W_{1}" not in latex
    assert "{z}_{1}" in latex or "z_{1}" not in latex.replace("{z}_{1}", "")


def test_latex_is_read_too():
    against({"z": 0.5, "w": -2}, [r"s = \sigma(z \cdot w)", r"t = \frac{s}{2} + \tanh(w) + \sqrt{s} * \exp(z)"],
            lambda t: {"s": (s := torch.sigmoid(t["z"] * t["w"])),
                       "t": s / 2 + torch.tanh(t["w"]) + torch.sqrt(s) * torch.exp(t["z"])})


def test_parser_builds_the_tree_it_reads():
    from derive.kinds.graph.parse import Call, Index, Name, Neg, Num, Op, parse_equation
    name, rhs = parse_equation("y = -x ** 2 + W @ h[1] / 4 - f(a, 1e-2)")
    assert name == "y"
    assert rhs == Op("-", Op("+", Neg(Op("^", Name("x"), Num(2))),
                             Op("/", Op("@", Name("W"), Index(Name("h"), 1)), Num(4))),
                     Call("f", (Name("a"), Num(sympy_rational(1, 100)))))


def sympy_rational(p, q):
    import sympy
    return sympy.Rational(p, q)


def test_one_lstm_step_against_torch_lstm_cell():
    """One LSTM step written as equations equals torch.nn.LSTMCell (gates i, f, g, o stacked in its weights)."""
    gen = torch.Generator().manual_seed(3)

    def rnd(*shape):
        return (torch.randint(-9, 10, shape, generator=gen) / 10).tolist()
    g = {"x": rnd(2), "h": rnd(2), "c": rnd(2), "v": rnd(2)}
    for gate in "ifgo":
        g[f"W{gate}"], g[f"U{gate}"], g[f"b{gate}"] = rnd(2, 2), rnd(2, 2), rnd(2)
    forward = [f"{gate}t = {fn}(W{gate} @ x + U{gate} @ h + b{gate})"
               for gate, fn in zip("ifgo", ("sigmoid", "sigmoid", "tanh", "sigmoid"))]
    forward += ["c1 = ft * c + it * gt", "h1 = ot * tanh(c1)", "L = sum(h1 * v)"]

    def fn(t):
        cell = torch.nn.LSTMCell(2, 2).double()
        params = {"weight_ih": torch.cat([t[f"W{k}"] for k in "ifgo"]),
                  "weight_hh": torch.cat([t[f"U{k}"] for k in "ifgo"]),
                  "bias_ih": torch.cat([t[f"b{k}"] for k in "ifgo"]), "bias_hh": torch.zeros(8, dtype=T)}
        h1, c1 = torch.func.functional_call(cell, params, (t["x"][None], (t["h"][None], t["c"][None])))
        return {"c1": c1[0], "h1": h1[0], "L": (h1[0] * t["v"]).sum()}
    answers = run(g, forward)
    tensors = {k: leaf(v) for k, v in g.items()}
    values = fn(tensors)
    for name in ("c1", "h1", "L"):
        close(answers["forward"][name], values[name])
    grads = torch.autograd.grad(values["L"], list(tensors.values()))
    for name, grad in zip(tensors, grads):
        close(answers["gradient"][name], grad)
