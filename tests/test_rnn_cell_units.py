"""rnn-activation with cell = "lstm" | "gru" and several units (gate parameters as matrices): derive's
Jacobians, fixed points, spectral radii and evidence against float64 autograd through torch.nn.LSTMCell /
torch.nn.GRUCell unrolled T steps. Every case goes through the whole pipeline (derive.solve), so every
relation shown is also checked."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import derive
from derive.errors import SpecError

torch.set_default_dtype(torch.float64)

ORDER = {"lstm": "ifgo", "gru": "rzn"}          # PyTorch's gate order in weight_ih / weight_hh / bias_ih
def _f(v):
    return torch.tensor(v, dtype=torch.float64)


NUMBER = st.integers(-20, 20).map(lambda k: k / 10)


def _solve(fields: dict, ask: str):
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "part": [{**fields, "ask": ask}]}]}
    (q,) = list(derive.solve(derive.from_mapping(data)).questions())
    return q.answer.value


@st.composite
def specs(draw, kind: str | None = None, number=NUMBER):
    """A several-unit spec: 2 or 3 units, a number x (W_* lists) or a list of 1-2 inputs (W_* matrices)."""
    kind = kind or draw(st.sampled_from(["lstm", "gru"]))
    n = draw(st.integers(2, 3))
    listed = draw(st.booleans())
    m = draw(st.integers(1, 2)) if listed else 1
    vec = lambda k: st.lists(number, min_size=k, max_size=k)    # noqa: E731
    spec = {"cell": kind, "x": draw(vec(m)) if listed else draw(number), "a0": draw(vec(n))}
    if kind == "lstm":
        spec["c0"] = draw(vec(n))
    for g in ORDER[kind]:
        spec[f"U_{g}"] = draw(st.lists(vec(n), min_size=n, max_size=n))
        spec[f"W_{g}"] = draw(st.lists(vec(m), min_size=n, max_size=n)) if listed else draw(vec(n))
        spec[f"b_{g}"] = draw(vec(n))
    return spec


def _cell(spec: dict):
    """The torch cell with the spec's weights (the recurrent bias 0) and its input as a (1, m) tensor."""
    kind, n = spec["cell"], len(spec["a0"])
    x = _f([spec["x"] if isinstance(spec["x"], list) else [spec["x"]]])
    W = [_f(spec[f"W_{g}"]).reshape(n, -1) for g in ORDER[kind]]
    cell = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(x.shape[1], n).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat(W))
        cell.weight_hh.copy_(torch.cat([_f(spec[f"U_{g}"]) for g in ORDER[kind]]))
        cell.bias_ih.copy_(torch.cat([_f(spec[f"b_{g}"]) for g in ORDER[kind]]))
        cell.bias_hh.zero_()
    return cell, x


def _gate(spec: dict, g: str, h: torch.Tensor) -> torch.Tensor:
    n = len(spec["a0"])
    x = _f(spec["x"] if isinstance(spec["x"], list) else [spec["x"]])
    W = _f(spec[f"W_{g}"]).reshape(n, -1)
    return torch.sigmoid(W @ x + _f(spec[f"U_{g}"]) @ h.reshape(-1) + _f(spec[f"b_{g}"]))


def torch_derivative(spec: dict):
    """LSTM: (diag f<2>, dc<2>/dc<1> through h<1>); GRU: (diag z<1>, dh<1>/dh<0>)."""
    cell, x = _cell(spec)
    h0 = _f([spec["a0"]])
    J = torch.autograd.functional.jacobian
    if spec["cell"] == "gru":
        return torch.diag(_gate(spec, "z", h0)), J(lambda h: cell(x, h)[0], h0)[:, 0, :]
    h1, c1 = cell(x, (h0, _f([spec["c0"]])))
    o1 = _gate(spec, "o", h0)
    full = J(lambda c: cell(x, (o1 * torch.tanh(c), c))[1][0], c1.detach())[:, 0, :]
    return torch.diag(_gate(spec, "f", h1.detach())), full


def _close(got, want, tol=1e-9):
    want = torch.as_tensor(want)
    return torch.allclose(_f(got), want, rtol=tol, atol=tol)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_derivative_matches_autograd(spec):
    v = _solve(spec, "derivative")
    path, full = torch_derivative(spec)
    key = "cell_path" if spec["cell"] == "lstm" else "update_path"
    assert v["t"] == (2 if spec["cell"] == "lstm" else 1)
    assert _close(v[key], path) and _close(v["full"], full), (v, path, full)


def torch_unrolled(spec: dict, T: int):
    """(||dc<T>/dc<0>||_2 or ||dh<T>/dh<0>||_2, max_i prod f_i (z_i), the state after 3000 steps, the
    spectral radius of the step's Jacobian there)."""
    cell, x = _cell(spec)
    lstm, gate = spec["cell"] == "lstm", "f" if spec["cell"] == "lstm" else "z"
    h0 = _f([spec["a0"]])
    c0 = _f([spec["c0"]]) if lstm else None

    def unroll(start):
        h, c, prod = (h0, start, torch.ones(h0.shape[1])) if lstm else (start, None, torch.ones(h0.shape[1]))
        for _ in range(T):
            prod = prod * _gate(spec, gate, h.detach())
            h, c = cell(x, (h, c)) if lstm else (cell(x, h), None)
        return (c if lstm else h)[0], prod
    grad = torch.autograd.functional.jacobian(lambda s: unroll(s)[0], c0 if lstm else h0)[:, 0, :]
    prod = unroll(c0 if lstm else h0)[1]

    def advance(s):
        n = h0.shape[1]
        if lstm:
            h, c = cell(x, (s[:n].reshape(1, -1), s[n:].reshape(1, -1)))
            return torch.cat([h[0], c[0]])
        return cell(x, s.reshape(1, -1))[0]
    with torch.no_grad():
        s = torch.cat([h0[0], c0[0]]) if lstm else h0[0]
        for _ in range(3000):
            s = advance(s)
    rho = torch.linalg.eigvals(torch.autograd.functional.jacobian(advance, s)).abs().max().item()
    return torch.linalg.matrix_norm(grad, ord=2).item(), prod.max().item(), s, rho


def _same(got, want, rel=1e-7):
    if want < 1e-250:
        return got is not None and got < 1e-200
    return got is not None and abs(got - want) <= rel * want


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.sampled_from([1, 3, 100, 100]))
def test_stability_matches_autograd(spec, T):
    v = _solve({**spec, "T": T}, "stability")
    grad, prod, end, rho = torch_unrolled(spec, T)
    lstm = spec["cell"] == "lstm"
    assert v["T"] == T and _same(v["gradient_T"], grad), (v, grad)
    assert _same(v["cell_path_T" if lstm else "update_path_T"], prod), (v, prod)
    assert v["verdict"] == {True: "vanishing", False: "exploding"}.get(v["factor"] < 1, "neither") or v["factor"] == 1
    if v["fixed_point"] is not None and v["factor"] < 0.99:      # settled: float64 lands on derive's fixed point
        flat = v["fixed_point"][0] + v["fixed_point"][1] if lstm else v["fixed_point"]
        assert flat == pytest.approx(end.tolist(), abs=1e-8)
        assert v["factor"] == pytest.approx(rho, abs=1e-8)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(specs(number=st.integers(-80, 80).map(lambda k: k / 10)), st.sampled_from([20, 100]))
def test_saturated_gates_match_autograd(spec, T):
    """Weights up to 8 saturate the gates (factors near 1, states that do not settle, gradients of 1e-80):
    the derivative and the evidence still agree with autograd. float64 loses digits in 1 - tanh^2 next to a
    saturated tanh (about 1e-8 relative, compounded over T steps), so the products agree to 1e-4 here."""
    d, v = _solve(spec, "derivative"), _solve({**spec, "T": T}, "stability")
    path, full = torch_derivative(spec)
    assert _close(d["cell_path" if spec["cell"] == "lstm" else "update_path"], path) and _close(d["full"], full)
    grad, prod, _, _ = torch_unrolled(spec, T)
    assert _same(v["gradient_T"], grad, 1e-4), (v, grad)
    assert _same(v["cell_path_T" if spec["cell"] == "lstm" else "update_path_T"], prod, 1e-4), (v, prod)


def test_an_example_several_units():
    """A fixed 2-unit LSTM with a list input: the values a reader can check by hand in the steps."""
    spec = {"cell": "lstm", "x": [1, -0.5], "a0": [0.1, -0.2], "c0": [0.3, 0],
            "W_f": [[0.5, -0.2], [0.1, 0.3]], "U_f": [[0.2, 0.1], [-0.3, 0.4]], "b_f": [1, 0.5],
            "U_g": [[0.5, 0.2], [0.1, -0.4]], "W_g": [[0.7, 0], [0, -0.5]], "b_o": 0.2, "T": 100}
    full = {**spec, **{f"{w}_{g}": spec.get(f"{w}_{g}", 0) for g in "ifgo" for w in "WUb"}}
    full = {k: (v if not k.startswith(("U_", "W_", "b_")) or isinstance(v, list) else
                ([[v] * 2] * 2 if k.startswith(("U_", "W_")) else [v] * 2)) for k, v in full.items()}
    d, s = _solve(spec, "derivative"), _solve(spec, "stability")
    path, jac = torch_derivative(full)
    assert _close(d["cell_path"], path) and _close(d["full"], jac)
    grad, prod, end, rho = torch_unrolled(full, 100)
    assert _same(s["gradient_T"], grad) and _same(s["cell_path_T"], prod)
    assert s["verdict"] == "vanishing" and s["factor"] == pytest.approx(rho, abs=1e-8)
    assert s["fixed_point"][0] + s["fixed_point"][1] == pytest.approx(end.tolist(), abs=1e-8)


@pytest.mark.parametrize("fields, field", [
    ({"cell": "lstm", "U_f": [[1, 0], [0, 1]], "b_f": [1, 2, 3]}, "b_f"),
    ({"cell": "lstm", "U_f": [[1, 0], [0]]}, "U_f"),
    ({"cell": "gru", "U_z": [[1, 0], [0, 1]], "U_r": 1}, "U_r"),
    ({"cell": "gru", "x": [1, 2], "W_z": [1, 2]}, "W_z"),
    ({"cell": "gru", "x": [1, 2], "W_z": [[1, 2, 3], [1, 2, 3]]}, "W_z"),
    ({"cell": "lstm", "a0": [0] * 9}, "a0"),
    ({"cell": "lstm", "a0": [0, 1], "c0": [1, 2, 3]}, "c0"),
    ({"cell": "lstm", "x": [[1]]}, "x"),
    ({"cell": "lstm", "a0": [0] * 8, "T": 100}, "T"),
])
def test_refusals_name_the_field(fields, field):
    with pytest.raises(SpecError, match=field):
        _solve(fields, "stability")


def test_the_cost_cap_exits_2(tmp_path):
    """T d^3 beyond the cap (d = 2n for the LSTM): exit 2 naming T; just under it derives."""
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "rnn-activation"\ncell = "lstm"\na0 = [0, 0, 0, 0, 0, 0]\n'
                    'T = 1000\n  [[problem.part]]\n  ask = "stability"\n')
    done = subprocess.run([sys.executable, "-m", "derive", "solutions", str(spec), "-f", "json", "-o",
                           str(tmp_path / "o.json")], capture_output=True, text=True)
    assert done.returncode == 2 and "T" in done.stderr and "Traceback" not in done.stderr, done.stderr


def _figure(fields: dict):
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "part": [{**fields, "ask": "stability"}]}]}
    (q,) = list(derive.solve(derive.from_mapping(data)).questions())
    return q.answer.value, q.figures


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_the_figure_plots_the_evidence_step_by_step(spec):
    """Several gated units: the curve is ||dc<t>/dc<0>|| (||dh<t>/dh<0>||) for t = 1 ... T, each point against
    autograd through the unrolled cell; its last point the answer's gradient_T; the gates' product beside it."""
    T = 12
    v, (figure,) = _figure({**spec, "T": T})
    along, rate, alone = figure.body.series
    assert [t for t, _ in along.points] == list(range(1, T + 1)) and along.points[-1] == (T, v["gradient_T"])
    for t in (1, 2, 5, T):
        grad, prod, _, _ = torch_unrolled(spec, t)
        assert _same(along.points[t - 1][1], grad, rel=1e-9), (t, along.points[t - 1], grad)
        assert _same(alone.points[t - 1][1], prod, rel=1e-9), (t, alone.points[t - 1], prod)
    assert rate.style == "dashed" and rate.points[-1][1] == pytest.approx(v["factor"] ** T)
