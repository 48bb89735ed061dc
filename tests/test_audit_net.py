"""network against PyTorch, at the corners: 1D pooling with ceil_mode, and random mixed stacks of every layer
type over images, sequences and vectors (parameters by sum(p.numel()), buffers, shapes by a forward pass,
multiply-accumulates by FlopCounterMode)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import derive  # noqa: E402

from conftest import spec  # noqa: E402

ASKS = ["params", "total-params", "shapes", "macs", "total-macs"]


def derived(inp, layers, asks=ASKS, **extra) -> dict:
    doc = derive.solve(spec("network", [{"ask": asks}], input=inp, layers=layers, **extra))
    return {q.ask: q.answer.value for q in doc.questions()}


def _pool1d(layer: dict, length: int, channels: int):
    """The output length PyTorch's MaxPool1d / AvgPool1d gives (symmetric padding)."""
    k = layer["kernel"]
    s, p = layer.get("stride", k), layer.get("padding", 0)
    if layer["type"] == "maxpool":
        mod = nn.MaxPool1d(k, s, p, layer.get("dilation", 1), ceil_mode=layer.get("ceil_mode", False))
    else:
        mod = nn.AvgPool1d(k, s, p, ceil_mode=layer.get("ceil_mode", False))
    return mod(torch.zeros(1, channels, length)).shape[-1]


@st.composite
def pool1d_stacks(draw):
    length, channels = draw(st.integers(1, 12)), draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    k = draw(st.integers(1, 5))
    layer = {"type": kind, "kernel": k, "stride": draw(st.integers(1, 4)), "padding": draw(st.integers(0, k // 2)),
             "ceil_mode": True}
    if kind == "maxpool":
        layer["dilation"] = draw(st.integers(1, 3))
    return [length, channels], layer


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool1d_stacks())
def test_1d_pooling_with_ceil_mode_matches_torch(case):
    """A sequence's pooling with ceil_mode: the length steps round up (they once showed the floor, and the
    checker stopped the build), and the length is PyTorch's."""
    inp, layer = case
    try:
        want = _pool1d(layer, *inp)
    except RuntimeError:
        return                               # torch refuses it: no output
    got = derived(inp, [layer], ["shapes"])["shapes"]
    assert got == [[want, inp[1]]]


def test_1d_ceil_mode_drops_the_window_in_the_padding():
    doc = derive.solve(spec("network", [{"ask": "shapes"}], input=[5, 2],
                            layers=[{"type": "maxpool", "kernel": 2, "padding": 1, "ceil_mode": True}]))
    q = next(iter(doc.questions()))
    assert q.answer.value == [[3, 2]]
    assert _pool1d({"type": "maxpool", "kernel": 2, "padding": 1, "ceil_mode": True}, 5, 2) == 3


@pytest.mark.parametrize("layout, image", [("HWC", "[height, width, channels]"), ("CHW", "[channels, height, width]")])
def test_a_bad_input_names_each_form_once(layout, image):
    from derive.errors import SpecError
    with pytest.raises(SpecError) as err:
        derive.solve(spec("network", [{"ask": "shapes"}], input=[1, 2, 3, 4], layers=[{"type": "relu"}],
                          layout=layout))
    message = str(err.value)
    assert message.count("[length, features]") == 1 and message.count(image) == 1
