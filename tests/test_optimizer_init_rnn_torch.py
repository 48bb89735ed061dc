"""Whole keys (derived, every relation checked, rendered as JSON) against PyTorch in float64: optimizer steps
with values whose rounding the narration must carry (1/3, 7, tiny gradients), Xavier/Kaiming/LeCun against
torch.nn.init, and gated cells of one unit given as matrices against autograd."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from torch.nn import init

import derive

TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
         "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}


def answers(problem: dict, ask) -> list:
    data = {"title": "t", "problem": [dict(problem, part=[{"ask": ask}])]}
    doc = derive.solve(derive.from_mapping(data))
    return [p["answer"]["value"] for p in json.loads(derive.render(doc, "json"))["parts"]]


def number(x) -> float:
    if isinstance(x, str):
        p, q = x.split("/")
        return int(p) / int(q)
    return float(x)


def torch_steps(spec: dict) -> list:
    scalar = not isinstance(spec["w0"], list)
    w = torch.tensor([number(v) for v in ([spec["w0"]] if scalar else spec["w0"])], dtype=torch.float64,
                     requires_grad=True)
    hyper = {k: (tuple(number(b) for b in v) if k == "betas" else v if isinstance(v, bool) else number(v))
             for k, v in spec.items() if k not in ("kind", "optimizer", "w0", "gradients")}
    opt = TORCH[spec["optimizer"]]([w], foreach=False, **hyper)
    out = []
    for g in spec["gradients"]:
        w.grad = torch.tensor([number(x) for x in ([g] if scalar else g)], dtype=torch.float64)
        opt.step()
        state = {k: v.tolist() for k, v in opt.state[w].items() if k != "step"}
        out.append((w.tolist(), state))
    return out


def near(ours, theirs, tol=1e-9) -> bool:
    ours = ours if isinstance(ours, list) else [ours]
    return len(ours) == len(theirs) and all(abs(a - b) <= tol * max(1, abs(b)) for a, b in zip(ours, theirs))


def compare_optimizer(spec: dict) -> None:
    value = answers(dict(spec, kind="optimizer"), "updates")[0]
    for ours, (w, state) in zip(value, torch_steps(spec), strict=True):
        assert near(ours["w"], w), (ours, w)
        assert set(ours) - {"step", "w"} == set(state), (ours, state)
        for key, theirs in state.items():
            assert near(ours[key], theirs), (key, ours, theirs)


VALUES = st.sampled_from([0, 1, -1, 0.5, -2.5, 3, 7, 100, 0.001, 1e-5, "1/3", "-2/7"])


@st.composite
def optimizer_specs(draw):
    name = draw(st.sampled_from(sorted(TORCH)))
    n = draw(st.sampled_from([None, 1, 2]))
    steps = draw(st.integers(1, 3))
    if n is None:
        spec = {"w0": draw(VALUES), "gradients": [draw(VALUES) for _ in range(steps)]}
    else:
        spec = {"w0": [draw(VALUES) for _ in range(n)],
                "gradients": [[draw(VALUES) for _ in range(n)] for _ in range(steps)]}
    spec.update(optimizer=name, lr=draw(st.sampled_from([0.001, 0.1, "1/3", 1])),
                weight_decay=draw(st.sampled_from([0, 0.1, 2.5])))
    if name in ("adam", "adamw"):
        spec.update(amsgrad=draw(st.booleans()), betas=draw(st.sampled_from([[0.9, 0.999], [0.5, 0], [0, 0.5]])))
    elif name == "rmsprop":
        spec.update(centered=draw(st.booleans()), momentum=draw(st.sampled_from([0, 0.9])),
                    alpha=draw(st.sampled_from([0.5, 0.99])), eps=draw(st.sampled_from([1e-8, 1])))
    elif name == "sgd":
        spec.update(momentum=draw(st.sampled_from([0, 0.9, 1.5])), dampening=draw(st.sampled_from([0, 0.5, 2])))
    else:
        spec.update(lr_decay=draw(st.sampled_from([0, 0.1])), eps=draw(st.sampled_from([1e-10, 0.1])),
                    initial_accumulator_value=draw(st.sampled_from([0, 0.1, 4])))
    return spec


@pytest.mark.parametrize("spec", [
    # v2 = 1999/9000000 is shown rounded; v3 = 0.049221889 is exact: the rounded arithmetic is "≈" it
    pytest.param(dict(optimizer="adam", w0="1/3", gradients=["1/3", "1/3", 7]), marks=pytest.mark.slow),
    dict(optimizer="adam", w0=[3], gradients=[[1e-5], [1e-5], [-1], [7]]),
    dict(optimizer="adagrad", w0=[3, -0.3], gradients=[["-2/7", 0.5], [-2.5, 1e-5], [0, 100], ["1/3", -1]],
         weight_decay=2.5, lr_decay=0.1, eps=0.1),
])
def test_rounded_inputs_with_exact_results_derive(spec):
    """Formerly the key stopped with a failed check: rounded numbers written into a rule, then "≈" an exact
    50-digit value."""
    compare_optimizer(spec)


def test_centered_rmsprop_with_zero_variance_derives():
    """alpha = 0, centered: v − ḡ² is exactly 0 and the step is g/eps (PyTorch's float64 rounding of 0 aside)."""
    value = answers({"kind": "optimizer", "optimizer": "rmsprop", "w0": [100, "1/3", 0], "alpha": 0,
                     "centered": True, "momentum": 0.5, "weight_decay": 2.5,
                     "gradients": [[-0.3, 0.001, "-2/7"], [1, 1, 1]]}, "updates")[0]
    assert value[0]["momentum_buffer"][0] == pytest.approx(249.7 / 1e-8, rel=1e-12)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(optimizer_specs())
def test_optimizer_keys_are_torch_optim(spec):
    compare_optimizer(spec)


def gru_step(p: dict, h):
    def t(name):
        return torch.tensor(p[name], dtype=torch.float64)
    x = t("x")
    r = torch.sigmoid(t("W_r") @ x + t("U_r") @ h + t("b_r"))
    z = torch.sigmoid(t("W_z") @ x + t("U_z") @ h + t("b_z"))
    return (1 - z) * torch.tanh(t("W_n") @ x + t("b_n") + r * (t("U_n") @ h)) + z * h


def test_one_gated_unit_given_as_matrices():
    """U = [[u]] and x a list: several-unit notation for one unit (the 1 x 1 eigenvalue problem used to crash)."""
    p = {"kind": "rnn-activation", "cell": "gru", "x": [-1, 0], "U_r": [[1]], "W_r": [[1, 0]], "b_r": [-0.57],
         "U_z": [[1.29]], "W_z": [[-1, 0]], "b_z": [0], "U_n": [[0.5]], "W_n": [[0.49, -1]], "b_n": [1.31],
         "a0": [-1], "T": 3}
    derivative, stability = answers(p, ["derivative", "stability"])
    h = torch.tensor([-1.0], dtype=torch.float64)
    for _ in range(2000):
        h = gru_step(p, h)
    jac = torch.autograd.functional.jacobian(lambda s: gru_step(p, s), h)
    assert stability["fixed_point"][0] == pytest.approx(h.item(), rel=1e-9)
    assert stability["factor"] == pytest.approx(torch.linalg.eigvals(jac).abs().max().item(), rel=1e-9)
    h0 = torch.tensor([-1.0], dtype=torch.float64, requires_grad=True)
    full = torch.autograd.functional.jacobian(lambda s: gru_step(p, s), h0.detach())
    assert derivative["full"][0][0] == pytest.approx(full.item(), rel=1e-9)


def test_a_repelling_fixed_point_the_state_circles_is_not_where_it_settles():
    """tanh(2 − 2a) from −2 falls into a 2-cycle around its fixed point 0.6296 (factor 1.207 > 1): the state never
    settles there, and the cycle's factor (the geometric mean over one period) is below 1."""
    value = answers({"kind": "rnn-activation", "activation": "tanh", "W_a": -2, "b": 2, "a0": -2, "T": 30},
                    "stability")[0]
    a = torch.tensor(-2.0, dtype=torch.float64)
    for _ in range(2000):
        a = torch.tanh(2 - 2 * a)
    cycle = [a, torch.tanh(2 - 2 * a)]
    factor = math.sqrt(math.prod(abs(-2 * (1 - torch.tanh(2 - 2 * s).item() ** 2)) for s in cycle))
    assert value["fixed_point"] is None and value["verdict"] == "vanishing"
    assert value["factor"] == pytest.approx(factor, rel=1e-6)


def lstm_step(p: dict, h, c):
    def t(name):
        v = torch.tensor(p[name], dtype=torch.float64)
        return v if v.dim() == 2 else v.reshape(-1, 1) if name.startswith("W") else v
    x = torch.tensor([p["x"]], dtype=torch.float64)
    gate = {g: t(f"W_{g}") @ x + t(f"U_{g}") @ h + t(f"b_{g}") for g in "fiog"}
    c = torch.sigmoid(gate["f"]) * c + torch.sigmoid(gate["i"]) * torch.tanh(gate["g"])
    return torch.sigmoid(gate["o"]) * torch.tanh(c), c


@pytest.mark.slow
def test_lstm_units_circling_a_repelling_fixed_point():
    """Three LSTM units that oscillate around a fixed point whose step Jacobian has spectral radius 1.27: not
    settled there, and vanishing (‖∂c⟨100⟩/∂c⟨0⟩‖₂ ≈ 1e-12), not exploding."""
    p = {"kind": "rnn-activation", "cell": "lstm", "x": 1, "W_f": [1.0, 0.5, 1.23], "b_f": [1, 0, -1],
         "U_f": [[-1.0, 1.0, 1.0], [0.0, -0.55, 1.79], [1.37, 0.0, 0.5]], "W_i": 0.39, "b_i": 1,
         "U_i": [[0.5, -1.0, 1.0], [-3.98, 1.0, 1.0], [-1.84, 0.0, -3.11]], "W_o": 1, "b_o": [0.5, 0.0, 3.9],
         "U_o": [[0.0, 0.0, 3.38], [-1.84, 1.0, 0.5], [0.5, 0.0, 1.0]], "W_g": [0, 1, 1], "b_g": [0.5, 0.5, 1.0],
         "U_g": [[-3.78, -2.88, 1.0], [0.5, 1.0, -1.0], [1.0, 0.0, -1.0]], "a0": [0.0, -1.53, 0.0], "c0": [-1, 1, 1],
         "T": 100}
    value = answers(p, "stability")[0]
    h, c0 = torch.tensor(p["a0"], dtype=torch.float64), torch.tensor(p["c0"], dtype=torch.float64)
    c = c0.clone().requires_grad_(True)
    state = (h, c)
    for _ in range(100):
        state = lstm_step(p, *state)
    jac = torch.stack([torch.autograd.grad(state[1][k], c, retain_graph=True)[0] for k in range(3)])
    assert value["gradient_T"] == pytest.approx(torch.linalg.matrix_norm(jac, ord=2).item(), rel=1e-6)
    assert value["fixed_point"] is None and value["verdict"] == "vanishing"


def test_relu_units_whose_newton_iterates_reach_nan():
    p = {"kind": "rnn-activation", "activation": "relu", "W_a": [[1.6, -2.0, 0.5], [1.0, 1.0, -2.0], [0.5, -2.0, -1.0]],
         "b": [0.5, 2.0, 0.0], "a0": [0.5, -2.0, 0.5], "T": 30}
    assert answers(p, "stability")[0]["gradient_T"] is not None


@pytest.mark.slow
def test_exp_units_running_off_do_not_abort(tmp_path):
    """exp of the state after it passed 10^300 (z ≈ 10^(10^13)) aborted the interpreter inside GMP."""
    import subprocess
    import sys
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "rnn-activation"\nactivation = "exp"\n'
                    "W_a = [[-1.0, 2.0, 0.5], [-2.0, 0.0, -1.34], [2.0, 1.0, -2.0]]\nb = [0.5, 1.0, -1.88]\n"
                    'a0 = [0.0, -1.0, 2.0]\n[[problem.part]]\nask = "stability"\n')
    done = subprocess.run([sys.executable, "-m", "derive", "solutions", str(spec), "-f", "json", "-o", "-",
                           "--no-cache"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["parts"][0]["answer"]["value"]["verdict"] == "exploding"


def test_one_unit_with_several_inputs():
    """W_a = [[w]] with x a list of m inputs and W_x a 1 x m matrix, as docs/kinds/rnn-activation.md allows (it
    was refused)."""
    p = {"kind": "rnn-activation", "activation": "sigmoid", "W_a": [[0.7]], "x": [1, -2], "W_x": [[0.3, 0.1]],
         "b": [0.2], "a0": [0.1]}
    stability = answers(p, "stability")[0]
    a = torch.tensor(0.1, dtype=torch.float64)
    for _ in range(3000):
        a = torch.sigmoid(0.7 * a + 0.3)
    z = (0.7 * a + 0.3).requires_grad_(True)
    torch.sigmoid(z).backward()
    assert stability["fixed_point"][0] == pytest.approx(a.item(), rel=1e-12)
    assert stability["factor"] == pytest.approx(0.7 * z.grad.item(), rel=1e-12)


def test_a_state_running_off_doubly_exponentially_draws_its_figure():
    """z² from 1/2 with W_a = 3/2: the factor's rate^T no longer overflows a float in the decay figure."""
    value = answers({"kind": "rnn-activation", "activation": "z^2", "W_a": 1.5, "b": 0.5, "a0": 0.5, "T": 5},
                    "stability")[0]
    a = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    x = a
    for _ in range(5):
        x = (1.5 * x + 0.5) ** 2
    assert value["verdict"] == "exploding"
    assert value["gradient_T"] == pytest.approx(torch.autograd.grad(x, a)[0].item(), rel=1e-9)


def test_a_state_creeping_off_has_no_fixed_point():
    """softplus(a) = a + ln(1 + e^(−a)) > a: the state grows like ln t and never settles (Newton's method used
    to stop near 4.7e20, where e^(−a) underflows the residual). A factor-1 point approached like 1/t still settles."""
    value = answers({"kind": "rnn-activation", "activation": "softplus", "W_a": 1, "a0": 2, "T": 100}, "stability")[0]
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    x = a
    for _ in range(100):
        x = torch.nn.functional.softplus(x)
    assert value["fixed_point"] is None and value["verdict"] == "vanishing"
    assert value["gradient_T"] == pytest.approx(torch.autograd.grad(x, a)[0].item(), rel=1e-9)
    saddle = answers({"kind": "rnn-activation", "activation": "z^2", "W_a": 1, "b": "1/4", "T": 10}, "stability")[0]
    assert saddle["fixed_point"] == 0.25 and saddle["factor"] == 1.0
