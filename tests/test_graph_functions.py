"""The graph's functions of each entry and max / min against PyTorch (float64 autograd), values drawn by
hypothesis with the kinks drawn on purpose: relu, leaky_relu and elu at 0, hardtanh at its bounds, max and min at
ties (torch.maximum splits the gradient evenly; a full reduction shares it among the entries that attain it), the
hinge max(0, 1 − y·s) at its corner (−1/2). The same functions in LaTeX, and in an optimizer's loss."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from test_graph import T, against, close, leaf, num, run

# name in an equation -> (torch of x and its constants, the constants' strategy)
kinky = st.sampled_from([-1.5, -1, -0.5, 0, 0.5, 1, 2])            # the kinks of relu, elu, leaky_relu, hardtanh
small = st.integers(-25, 25).map(lambda k: k / 10)
values = st.one_of(kinky, small)
SLOPES = st.sampled_from([0.01, 0.2, 0.5, 2])

FUNCTIONS = {
    "sin": (torch.sin, []), "cos": (torch.cos, []), "sinh": (torch.sinh, []), "cosh": (torch.cosh, []),
    "softplus": (F.softplus, []), "gelu": (F.gelu, []), "silu": (F.silu, []), "log_sigmoid": (F.logsigmoid, []),
    "elu": (lambda x, a=1.0: F.elu(x, alpha=a), [SLOPES]),
    "leaky_relu": (lambda x, s=0.01: F.leaky_relu(x, negative_slope=s), [SLOPES]),
    "hardtanh": (lambda x, lo=-1.0, hi=1.0: F.hardtanh(x, lo, hi), [st.sampled_from([-1, -0.5]),
                                                                      st.sampled_from([0.5, 1, 2])]),
    "relu": (torch.relu, []), "abs": (torch.abs, []),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_function_of_the_entries_against_torch(name, data):
    fn, constant_strategies = FUNCTIONS[name]
    n = data.draw(st.integers(1, 4))
    xs = data.draw(st.lists(values, min_size=n, max_size=n))
    w = data.draw(st.lists(small, min_size=n, max_size=n))
    given_constants = data.draw(st.booleans()) and bool(constant_strategies)
    constants = [data.draw(s) for s in constant_strategies] if given_constants else []
    written = "".join(f", {c}" for c in constants)
    against({"x": xs, "w": w}, [f"a = {name}(x{written})", "L = sum(a * w)"],
            lambda t: {"a": (a := fn(t["x"], *constants)), "L": (a * t["w"]).sum()})


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(x=st.one_of(kinky, small), w=small)
def test_gelu_exact_and_tanh_and_scalar_chains_against_torch(x, w):
    against({"x": x, "w": w}, ['a = gelu(x) * w', 'b = gelu(a, "tanh") + silu(x - w)', "c = pow(b, 3) - pow(w, 2)"],
            lambda t: {"a": (a := F.gelu(t["x"]) * t["w"]), "b": (b := F.gelu(a, approximate="tanh")
                                                                       + F.silu(t["x"] - t["w"])),
                       "c": b ** 3 - t["w"] ** 2})


def test_pow_is_a_power_in_both_arguments():
    against({"x": 1.5, "n": 2.5}, ["y = pow(x, n) + pow(n, 2)"],
            lambda t: {"y": torch.pow(t["x"], t["n"]) + torch.pow(t["n"], 2)})


def test_the_kinks_are_torch_s_exactly():
    """At the kinks exactly: relu 0, leaky_relu its slope, elu α, hardtanh 0 at either bound."""
    got = run({"x": 0}, ["a = relu(x) + leaky_relu(x, 0.2) + elu(x, 3)"])["gradient"]
    assert got["x"] == "16/5"                     # 0 + 1/5 + 3
    assert run({"h": [-1, 1, 0.5]}, ["b = sum(hardtanh(h))"])["gradient"]["h"] == [0, 0, 1]


# --- max and min ----------------------------------------------------------------------------------------------

ties = st.sampled_from([-1, 0, 1, 2])


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_max_and_min_of_two_split_the_gradient_at_a_tie_as_torch(data):
    n = data.draw(st.integers(1, 4))
    a = data.draw(st.lists(ties, min_size=n, max_size=n))
    b = data.draw(st.one_of(ties, st.lists(ties, min_size=n, max_size=n)))   # a scalar is broadcast
    w = data.draw(st.lists(small, min_size=n, max_size=n))

    def fn(t):
        bt = t["b"] if t["b"].dim() else t["b"].expand(n)
        v = torch.maximum(t["a"], bt) - 2 * torch.minimum(t["a"], bt)
        return {"v": v, "L": (v * t["w"]).sum()}
    against({"a": a, "b": b, "w": w}, ["v = max(a, b) - 2 * min(a, b)", "L = sum(v * w)"], fn)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_max_and_min_of_every_entry_share_the_gradient_among_ties_as_torch(data):
    rows, cols = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    X = [data.draw(st.lists(ties, min_size=cols, max_size=cols)) for _ in range(rows)]
    x = data.draw(st.lists(ties, min_size=1, max_size=5))
    against({"X": X, "x": x}, ["m = max(X)", "L = 3 * m - min(x) * m + max(x)"],
            lambda t: {"m": (m := t["X"].max()), "L": 3 * m - t["x"].min() * m + t["x"].max()})


@pytest.mark.parametrize("y, s", [(1, 1), (-1, -1), (1, 0.5), (-1, 2), (1, 3)])
def test_the_hinge_at_its_corner_gives_minus_one_half(y, s):
    a = against({"y": y, "s": s}, ["L = max(0, 1 - y * s)"],
                lambda t: {"L": torch.maximum(torch.zeros((), dtype=T), 1 - t["y"] * t["s"])})
    if y * s == 1:
        assert num(a["gradient"]["s"]) == -y / 2


def test_a_symbolic_max_keeps_its_formula_and_tie_rule():
    import sympy
    a = run({"a": {"symbol": True}, "b": 2}, ["m = max(a, b)"], wrt=["a"])
    x = sympy.Symbol("a", real=True)
    got = sympy.sympify(a["gradient"]["a"], locals={"a": x})
    assert [got.subs(x, v) for v in (3, 2, 1)] == [1, sympy.Rational(1, 2), 0]


# --- LaTeX, the loss, the activation ----------------------------------------------------------------------------

def test_the_same_functions_in_latex():
    against({"y": 1, "s": 0.25, "x": 0.5},
            [r"h = \max\left(0, 1 - y \cdot s\right)", r"g = \dfrac{\sin(x)}{2} + \cos x \cdot \min(x, s)",
             r"L = h + \operatorname{LeakyReLU}(g - 1, 0.1) + \operatorname{GELU}(x) + \sigma(x)"],
            lambda t: {"h": (h := torch.maximum(torch.zeros((), dtype=T), 1 - t["y"] * t["s"])),
                       "g": (g := torch.sin(t["x"]) / 2 + torch.cos(t["x"]) * torch.minimum(t["x"], t["s"])),
                       "L": h + F.leaky_relu(g - 1, 0.1) + F.gelu(t["x"]) + torch.sigmoid(t["x"])})


def optimizer_gradient(loss: str, w0) -> list:
    """The loss's gradient at w0 as the optimizer kind takes it (its key derived and checked too)."""
    from derive.kinds.optimizer.compute import trajectory
    from derive.kinds.optimizer.config import configure
    spec = {"optimizer": "sgd", "lr": 1, "w0": w0, "loss": loss, "steps": 1}
    data = {"title": "t", "problem": [{"kind": "optimizer", "title": "o", **spec, "part": [{"ask": "updates"}]}]}
    assert list(derive.solve(derive.from_mapping(data)).questions())
    return [float(g) for g in trajectory(configure(spec, ()))[0]["grad"]]


@pytest.mark.parametrize("loss, torch_loss, w0", [
    (r"\max(0, 1 - w)", lambda w: torch.maximum(torch.zeros((), dtype=T), 1 - w[0]), [1]),
    ("relu(w1) + leaky_relu(w2, 0.5) + max(w1, w2)",
     lambda w: torch.relu(w[0]) + F.leaky_relu(w[1], 0.5) + torch.maximum(w[0], w[1]), [0, 0]),
    (r"\sin(w1) \cdot \operatorname{gelu}(w2) + \operatorname{softplus}(w1 w2)",
     lambda w: torch.sin(w[0]) * F.gelu(w[1]) + F.softplus(w[0] * w[1]), [0.5, -1]),
])
def test_an_optimizer_loss_reads_the_same_functions_with_torch_s_kinks(loss, torch_loss, w0):
    w = torch.tensor([float(v) for v in w0], dtype=T, requires_grad=True)
    (grad,) = torch.autograd.grad(torch_loss(w), [w])
    assert optimizer_gradient(loss, w0 if len(w0) > 1 else w0[0]) == pytest.approx(grad.tolist(), abs=1e-12)


def test_an_activation_reads_the_new_functions():
    from derive.mathparse import Z, parse_activation
    for text, fn in [(r"\sin(z)", math.sin), ("gelu", lambda v: F.gelu(torch.tensor(v, dtype=T)).item()),
                     (r"\operatorname{SiLU}(z)", lambda v: F.silu(torch.tensor(v, dtype=T)).item()),
                     ("elu(z, 2)", lambda v: F.elu(torch.tensor(v, dtype=T), 2).item())]:
        phi = parse_activation(text)
        for v in (-1.5, 0.25, 2):
            assert float(phi.subs(Z, v)) == pytest.approx(fn(v), rel=1e-12)


def test_an_rnn_with_a_sine_activation_derives():
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "title": "r", "activation": r"\sin(z)", "W_a": 0.5,
                                      "b": 0.1, "a0": 0.3, "part": [{"ask": ["derivative"]}]}]}
    assert list(derive.solve(derive.from_mapping(data)).questions())
