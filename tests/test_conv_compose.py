"""conv-matrix `compose`: two 1D convolutions in a row as one, against torch's conv1d applied twice (stride,
dilation per layer, symbols or numbers), hypothesis drawing the geometry and the filters."""

from __future__ import annotations

import json
import random

import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings, strategies as st

import derive
from derive.errors import SpecError


def solved(**part):
    data = {"title": "t", "problem": [{"kind": "conv-matrix", "activation": "identity", "part": [
        dict(part, ask="compose")]}]}
    doc = derive.solve(derive.from_mapping(data))
    q = next(iter(doc.questions()))
    return q, json.loads(derive.render(doc, "json"))["parts"][0]["answer"]["value"]


def composed(x, f, g, s, d) -> torch.Tensor:
    """conv1d twice, PyTorch's cross-correlations."""
    y = F.conv1d(x.view(1, 1, -1), f.view(1, 1, -1), stride=s[0], dilation=d[0])
    return F.conv1d(y, g.view(1, 1, -1), stride=s[1], dilation=d[1]).view(-1)


GEOMETRY = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                     st.integers(1, 3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GEOMETRY, st.data())
def test_the_composite_is_torchs_two_convolutions(geometry, data):
    """With numbers: conv1d(conv1d(x, f), g) equals conv1d(x, h) with stride s1·s2 for any x; h's size is
    (k2 − 1)·s1·d2 + (k1 − 1)·d1 + 1."""
    k1, k2, s1, s2, d1, d2 = geometry
    num = st.integers(-5, 5)
    f = data.draw(st.lists(num, min_size=k1, max_size=k1))
    g = data.draw(st.lists(num, min_size=k2, max_size=k2))
    _, value = solved(width=[k1, k2], stride=[s1, s2], dilation=[d1, d2], f=[f, g])
    size = (k2 - 1) * s1 * d2 + (k1 - 1) * d1 + 1
    assert value["size"] == size and value["stride"] == s1 * s2 and len(value["kernel"]) == size
    h = torch.tensor(value["kernel"], dtype=torch.float64)
    for length in (size, size + 7, size + 3 * s1 * s2):
        x = torch.randn(length, dtype=torch.float64)
        want = composed(x, torch.tensor(f, dtype=torch.float64), torch.tensor(g, dtype=torch.float64), (s1, s2),
                        (d1, d2))
        got = F.conv1d(x.view(1, 1, -1), h.view(1, 1, -1), stride=s1 * s2).view(-1)
        assert torch.allclose(got, want, atol=1e-12), (length, got, want)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GEOMETRY, st.integers(0, 2**32 - 1))
def test_the_symbolic_kernel_is_torchs_response(geometry, seed):
    """With symbols: h (the answer's chain) at random f and g is torch's impulse response of the two layers
    (input t alone: the composite's first output is h_t)."""
    k1, k2, s1, s2, d1, d2 = geometry
    q, value = solved(width=[k1, k2], stride=[s1, s2], dilation=[d1, d2])
    rng = random.Random(seed)
    fs, gs = [rng.randint(-9, 9) for _ in range(k1)], [rng.randint(-9, 9) for _ in range(k2)]
    names = {**{f"f{j + 1}": v for j, v in enumerate(fs)}, **{f"g{j + 1}": v for j, v in enumerate(gs)}}
    entries = q.answer.chain.last
    ours = [int(e.xreplace({s: names[s.name] for s in e.free_symbols})) for e in entries]
    size = value["size"]
    response = []
    for t in range(size):
        x = torch.zeros(size, dtype=torch.float64)
        x[t] = 1
        response.append(int(composed(x, torch.tensor(fs, dtype=torch.float64), torch.tensor(gs, dtype=torch.float64),
                                     (s1, s2), (d1, d2))[0]))
    assert ours == response
    assert [str(sympy.expand(e)) if not e.is_Integer else int(e) for e in entries] == value["kernel"]


def test_the_issues_sizes():
    """Two 3-wide layers: 5; with strides [2, 1]: (3 − 1)·2 + 2 + 1 = 7; with dilations [1, 2] too: 11."""
    assert solved(width=[3, 3])[1]["size"] == 5
    assert solved(width=[3, 3], stride=[2, 1])[1]["size"] == 7
    assert solved(width=[3, 3], stride=[2, 1], dilation=[1, 2])[1]["size"] == 11


@pytest.mark.parametrize("change, field, words", [
    (dict(activation="relu"), "activation", "no activation between"),
    (dict(padding=1), "padding", "without padding"),
    (dict(width=3), "width", "two filters' widths"),
    (dict(f=[[1, 2, 3]]), "f", "two filters' numbers"),
    (dict(x=[1, 2, 3]), "x", "takes no 'x'"),
    (dict(length=3), "length", "no output"),
])
def test_bad_compose_specs_name_the_field(change, field, words):
    part = dict({"width": [3, 2], "ask": "compose"}, **change)
    problem = {"kind": "conv-matrix", "activation": part.pop("activation", "identity"), "part": [part]}
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping({"title": "t", "problem": [problem]}))
    assert err.value.field == field and words in str(err.value), str(err.value)


def test_two_widths_need_compose():
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping({"title": "t", "problem": [{"kind": "conv-matrix", "width": [3, 2],
                                                                     "length": 6, "part": [{"ask": "matrix"}]}]}))
    assert err.value.field == "width" and "compose" in str(err.value)
