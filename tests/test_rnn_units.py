"""Several recurrent units: the Jacobian diag(phi'(z)) W_a and the spectral-radius verdict, checked
against torch autograd through the unrolled recurrence."""

import pytest
import sympy
import torch
from click.testing import CliRunner

import derive
from derive.cli import cli

DTYPE = torch.float64
ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}


def toml(activation, W, b, a0, x=None, W_x=None, ask='["derivative", "stability"]'):
    extra = f"x = {x}\nW_x = {W_x}\n" if x is not None else ""
    return f"""
title = "units"
[[problem]]
kind = "rnn-activation"
W_a = {W}
b = {b}
a0 = {a0}
{extra}
  [[problem.part]]
  activation = "{activation}"
  ask = {ask}
"""


def answers(*args, **kw):
    doc = derive.solve(derive.loads(toml(*args, **kw)))
    return {q.ask: q.answer.value for q in doc.questions()}


def unrolled(activation, W, c, a0, T):
    """d a<T> / d a<0> by autograd through T steps, and the final state."""
    W, c = torch.tensor(W, dtype=DTYPE), torch.tensor(c, dtype=DTYPE)
    phi = ACTIVATIONS[activation]

    def run(a):
        for _ in range(T):
            a = phi(W @ a + c)
        return a
    a0 = torch.tensor(a0, dtype=DTYPE)
    return torch.autograd.functional.jacobian(run, a0), run(a0)


def settle(activation, W, c, a0, steps=5000):
    """Where the float64 recurrence ends up after many steps."""
    W, c, a = torch.tensor(W, dtype=DTYPE), torch.tensor(c, dtype=DTYPE), torch.tensor(a0, dtype=DTYPE)
    for _ in range(steps):
        a = ACTIVATIONS[activation](W @ a + c)
    return a


CASES = [
    ("tanh", [[0.5, 1], [-1, 0.5]], [0, 0], [0, 0]),          # rotation-like, rho = sqrt(5)/2 at 0
    ("sigmoid", [[2, 1], [0, 3]], [-1, 0.5], [0.1, 0.2]),
    ("tanh", [[0.3, 0.2, 0], [0.1, 0.4, 0.2], [0, 0.5, 0.1]], [0.1, -0.2, 0.3], [0.5, 0.5, 0.5]),
    ("tanh", [[1.5, 0], [0, 0.5]], [0, 0], [0.3, 0.3]),          # settles at a nonzero fixed point
    ("relu", [[0.5, 0.2], [0.1, 0.6]], [1, 1], [0, 0]),
    ("identity", [[0.9, 0.5], [0, 0.8]], [1, 0], [0, 0]),
]
IDS = ["tanh-rotation", "sigmoid-upper", "tanh-3-units", "tanh-bistable", "relu-positive", "identity-triangular"]


@pytest.mark.parametrize("activation, W, b, a0", CASES, ids=IDS)
def test_gradient_and_verdict_match_autograd(activation, W, b, a0):
    value = answers(activation, W, b, a0)["stability"]
    J, final = unrolled(activation, W, b, a0, 100)
    norm = torch.linalg.matrix_norm(J, ord=2).item()
    assert value["gradient_T"] == pytest.approx(norm, rel=1e-6)
    J400, _ = unrolled(activation, W, b, a0, 400)
    grows = torch.linalg.matrix_norm(J400, ord=2).item() > norm
    assert value["verdict"] == ("exploding" if grows else "vanishing")
    final = settle(activation, W, b, a0)
    assert value["fixed_point"] == pytest.approx(final.tolist(), abs=1e-9)
    # the factor is the spectral radius of diag(phi'(z*)) W at that fixed point
    a = final.clone().requires_grad_(True)
    W_t, c_t = torch.tensor(W, dtype=DTYPE), torch.tensor(b, dtype=DTYPE)
    Jstar = torch.autograd.functional.jacobian(lambda s: ACTIVATIONS[activation](W_t @ s + c_t), a)
    assert value["factor"] == pytest.approx(torch.linalg.eigvals(Jstar).abs().max().item(), rel=1e-9)
    assert value["sigma_max"] == pytest.approx(torch.linalg.matrix_norm(W_t, ord=2).item(), rel=1e-12)


@pytest.mark.parametrize("activation, W, b, a0", CASES[:3], ids=IDS[:3])
def test_jacobian_matches_autograd(activation, W, b, a0):
    value = answers(activation, W, b, a0)["derivative"]
    n = len(W)
    torch.manual_seed(0)
    prev = torch.randn(n, dtype=DTYPE)
    W_t, c_t = torch.tensor(W, dtype=DTYPE), torch.tensor(b, dtype=DTYPE)
    J = torch.autograd.functional.jacobian(lambda s: ACTIVATIONS[activation](W_t @ s + c_t), prev)
    z = (W_t @ prev + c_t).tolist()
    subs = {sympy.Symbol(f"z{k + 1}"): z[k] for k in range(n)}
    got = [[float(sympy.sympify(e).subs(subs)) for e in row] for row in value]   # our own output, not user text
    assert sum(got, []) == pytest.approx(sum(J.tolist(), []), rel=1e-12, abs=1e-12)


def test_input_and_weights():
    value = answers("tanh", [[0.5, 0], [0, 0.5]], [0, 0], [0, 0], x=[1, 2], W_x=[[0.1, 0], [0, -0.2]])
    J, final = unrolled("tanh", [[0.5, 0], [0, 0.5]], [0.1, -0.4], [0, 0], 100)
    assert value["stability"]["fixed_point"] == pytest.approx(final.tolist(), abs=1e-9)


def test_one_by_one_matrix_is_the_scalar_case():
    assert answers("tanh", [[1]], [0], [0]) == answers("tanh", 1, 0, 0)


@pytest.mark.parametrize("W, b, a0, field", [
    ("[[1, 2]]", "[0]", "[0]", "W_a"),
    ("[[1, 0], [0, 1]]", "[0, 0, 0]", "[0, 0]", "b"),
    ("[[1, 0], [0, 1]]", "[0, 0]", "[0]", "a0"),
    ("[[1, 0], [0]]", "[0, 0]", "[0, 0]", "W_a"),
], ids=["not-square", "b-length", "a0-length", "ragged"])
def test_bad_shapes(tmp_path, W, b, a0, field):
    (tmp_path / "s.toml").write_text(toml("tanh", W, b, a0))
    result = CliRunner().invoke(cli, ["solutions", str(tmp_path / "s.toml"), "-f", "json", "-o", "-"])
    assert result.exit_code == 2
    assert f"field '{field}'" in result.output


def test_exact_quantities_shown_exactly():
    """A linear recurrence settles exactly at 0 and its spectral radius is exactly 4/5; a rotation neither
    grows nor shrinks (eigenvalues ±i), and no relation reads '= 1 = 1' or '≈ 1.0 = 1'."""
    from derive.formats import latex as tex
    doc = derive.solve(derive.from_mapping({"title": "t", "problem": [{"kind": "rnn-activation",
        "activation": "identity", "part": [
            {"W_a": [[0.6, 0.2], [0.2, 0.6]], "a0": [1, 1], "ask": "stability"},
            {"W_a": [[0, -1], [1, 0]], "a0": [1, 0], "ask": "stability"}]}]}))
    linear, rotation = doc.questions()
    assert linear.answer.value["fixed_point"] == [0.0, 0.0] and linear.answer.value["factor"] == 0.8
    shown = " ".join(tex.chain_inline(c, linear.notation) for s in linear.steps for c in s.chains)
    assert r"\rho = 0.8 < 1" in shown and "10^{-140}" not in shown       # exactly 4/5, as the spec's decimals
    assert rotation.answer.value["verdict"] == "neither"
    assert abs(rotation.answer.value["factor"] - 1) < 1e-30
    text = " ".join(tex.chain_inline(c, rotation.notation) for s in rotation.steps for c in s.chains)
    assert "= 1 = 1" not in text and "1.0 = 1" not in text
