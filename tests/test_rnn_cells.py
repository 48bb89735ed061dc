"""rnn-activation with cell = "lstm" | "gru": derive's dc<t>/dc<t-1> (LSTM) and dh<t>/dh<t-1> (GRU) against
autograd through torch.nn.LSTMCell / torch.nn.GRUCell in float64, unrolled from the given h<0> (and c<0>).
Every case goes through the whole pipeline (derive.solve), so every relation shown is also checked."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import derive
from derive.errors import SpecError

torch.set_default_dtype(torch.float64)

LSTM = [f"{w}_{g}" for g in "figo" for w in "WUb"]
GRU = [f"{w}_{g}" for g in "rzn" for w in "WUb"]
NUMBER = st.integers(-20, 20).map(lambda k: k / 10)


def _answer(fields: dict):
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "part": [{**fields, "ask": "derivative"}]}]}
    (q,) = list(derive.solve(derive.from_mapping(data)).questions())
    return q.answer.value


def _t(v):
    return torch.tensor([[float(v)]], dtype=torch.float64)


def _lstm_cell(p: dict) -> torch.nn.LSTMCell:
    cell = torch.nn.LSTMCell(1, 1).double()
    with torch.no_grad():   # PyTorch's gate order: i, f, g, o; the recurrent bias 0
        cell.weight_ih.copy_(torch.tensor([[p[f"W_{g}"]] for g in "ifgo"]))
        cell.weight_hh.copy_(torch.tensor([[p[f"U_{g}"]] for g in "ifgo"]))
        cell.bias_ih.copy_(torch.tensor([p[f"b_{g}"] for g in "ifgo"]))
        cell.bias_hh.zero_()
    return cell


def torch_lstm(p: dict, x, h0, c0):
    """(f<2>, dc<2>/dc<1> in full): c<1> a leaf, h<1> = o<1> tanh(c<1>) made from it."""
    cell, x = _lstm_cell(p), _t(x)
    h1, c1 = cell(x, (_t(h0), _t(c0)))
    o1 = torch.sigmoid(torch.tensor(p["W_o"] * x.item() + p["U_o"] * h0 + p["b_o"], dtype=torch.float64))
    c1 = c1.detach().requires_grad_()
    _, c2 = cell(x, (o1 * torch.tanh(c1), c1))
    (full,) = torch.autograd.grad(c2.sum(), c1)
    c1b = c1.detach().requires_grad_()
    _, c2b = cell(x, (h1.detach(), c1b))        # h<1> held: the cell path alone
    (path,) = torch.autograd.grad(c2b.sum(), c1b)
    return path.item(), full.item()


def torch_gru(p: dict, x, h0):
    """(z<1>, dh<1>/dh<0>) by autograd through GRUCell (gate order r, z, n; the recurrent bias 0)."""
    cell = torch.nn.GRUCell(1, 1).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor([[p[f"W_{g}"]] for g in "rzn"]))
        cell.weight_hh.copy_(torch.tensor([[p[f"U_{g}"]] for g in "rzn"]))
        cell.bias_ih.copy_(torch.tensor([p[f"b_{g}"] for g in "rzn"]))
        cell.bias_hh.zero_()
    h = _t(h0).requires_grad_()
    (full,) = torch.autograd.grad(cell(_t(x), h).sum(), h)
    z = torch.sigmoid(torch.tensor(p["W_z"] * x + p["U_z"] * h0 + p["b_z"], dtype=torch.float64))
    return z.item(), full.item()


def _close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: NUMBER for k in GRU}), NUMBER, NUMBER)
def test_gru_matches_autograd(p, x, h0):
    v = _answer({"cell": "gru", **p, "x": x, "a0": h0})
    z, full = torch_gru(p, x, h0)
    assert v["t"] == 1 and _close(v["update_path"], z) and _close(v["full"], full), (v, z, full)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: NUMBER for k in LSTM}), NUMBER, NUMBER, NUMBER)
def test_lstm_matches_autograd(p, x, h0, c0):
    v = _answer({"cell": "lstm", **p, "x": x, "a0": h0, "c0": c0})
    path, full = torch_lstm(p, x, h0, c0)
    assert v["t"] == 2 and _close(v["cell_path"], path) and _close(v["full"], full), (v, path, full)


@pytest.mark.parametrize("fields, field", [
    ({"cell": "rnn"}, "cell"),
    ({"cell": "gru", "W_f": 1}, "W_f"),
    ({"cell": "gru", "c0": 1}, "c0"),
    ({"cell": "lstm", "W_r": 1}, "W_r"),
    ({"activation": "tanh", "W_a": 1, "W_f": 1}, "W_f"),
    ({"activation": "tanh", "W_a": 1, "c0": 1}, "c0"),
    ({"cell": "gru", "W_z": "x"}, "W_z"),
])
def test_refusals_name_the_field(fields, field):
    with pytest.raises(SpecError, match=field):
        _answer(fields)


def test_stability_with_a_cell_is_refused():
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "part": [{"cell": "gru", "ask": "stability"}]}]}
    with pytest.raises(SpecError, match="cell"):
        derive.solve(derive.from_mapping(data))
