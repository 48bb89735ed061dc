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


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
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


# --- random mixed stacks against torch -------------------------------------------------------------------

class Fn(nn.Module):
    """A function of the batch, holding the modules whose parameters it uses."""

    def __init__(self, fn, *mods):
        super().__init__()
        self.fn, self.mods = fn, nn.ModuleList(mods)

    def forward(self, x):
        return self.fn(x)


def _tf_same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def _pads(layer: dict, sizes: tuple, nd: int) -> list[tuple[int, int]]:
    """(before, after) per spatial dimension, "same" by TensorFlow's rule."""
    p = layer.get("padding", 0)
    if p == "same":
        k, d = layer["kernel"], layer.get("dilation", 1)
        s = layer.get("stride", 1 if layer["type"] == "conv" else k)
        k, s, d = ([v] * nd if isinstance(v, int) else v for v in (k, s, d))
        return [_tf_same(sizes[i], k[i], s[i], d[i]) for i in range(nd)]
    if p == "valid":
        return [(0, 0)] * nd
    if isinstance(p, int):
        return [(p, p)] * nd
    if nd == 1:
        return [tuple(p)]
    return [(v, v) if isinstance(v, int) else tuple(v) for v in p]


def _windowed(layer: dict, shape: tuple, nd: int) -> nn.Module:
    """conv / maxpool / avgpool over (N, C, *sizes), an explicit F.pad first where the padding is uneven."""
    t, ch = layer["type"], shape[0]
    k, d = layer["kernel"], layer.get("dilation", 1)
    s = layer.get("stride", 1 if t == "conv" else k)
    pads = _pads(layer, shape[1:], nd)
    even = all(b == a for b, a in pads)
    p = tuple(b for b, _ in pads) if even else 0
    if t == "conv":
        mod = (nn.Conv1d, nn.Conv2d)[nd - 1](ch, layer["filters"], k, s, p, d, layer.get("groups", 1),
                                             layer.get("bias", True))
    elif t == "maxpool":
        mod = (nn.MaxPool1d, nn.MaxPool2d)[nd - 1](k, s, p, d, ceil_mode=layer.get("ceil_mode", False))
    else:
        mod = (nn.AvgPool1d, nn.AvgPool2d)[nd - 1](k, s, p, ceil_mode=layer.get("ceil_mode", False))
    if even:
        return mod
    flat = [v for b, a in reversed(pads) for v in (b, a)]
    fill = -math.inf if t == "maxpool" else 0.0
    return Fn(lambda x: mod(F.pad(x, flat, value=fill)), mod)


def _channel_first(layer: dict, shape: tuple) -> nn.Module:
    """The layers that PyTorch runs channels first (N, C, L) or (N, C, H, W)."""
    t, nd, ch = layer["type"], len(shape) - 1, shape[0]
    if t in ("conv", "maxpool", "avgpool"):
        return _windowed(layer, shape, nd)
    if t == "conv-transpose":
        return (nn.ConvTranspose1d, nn.ConvTranspose2d)[nd - 1](
            ch, layer["filters"], layer["kernel"], layer.get("stride", 1), layer.get("padding", 0),
            layer.get("output_padding", 0), layer.get("groups", 1), layer.get("bias", True),
            layer.get("dilation", 1))
    if t == "pad":
        flat = [v for b, a in reversed(_pads(layer, shape[1:], nd)) for v in (b, a)]
        return Fn(lambda x: F.pad(x, flat))
    if t == "global-avgpool":
        return (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)[nd - 1](1)
    return (nn.BatchNorm1d, nn.BatchNorm2d)[nd - 1](ch)


def _sequence_layer(layer: dict, features: int) -> nn.Module:
    t, bias = layer["type"], layer.get("bias", True)
    if t in ("rnn", "lstm", "gru"):
        rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[t](
            features, layer["hidden"], layer.get("layers", 1), bias=bias, batch_first=True,
            bidirectional=layer.get("bidirectional", False))
        return Fn(lambda x: rnn(x)[0], rnn)
    if t == "attention":
        mha = nn.MultiheadAttention(features, layer["heads"], bias=bias, batch_first=True)
        return Fn(lambda x: mha(x, x, x)[0], mha)
    return nn.TransformerEncoderLayer(features, layer["heads"], layer["ff"], dropout=0.0, batch_first=True,
                                      bias=bias)


CHANNEL_FIRST = ("conv", "maxpool", "avgpool", "conv-transpose", "pad", "global-avgpool", "batchnorm")
POINTWISE = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
             "dropout": lambda: nn.Dropout(0.0)}


def torch_module(layer: dict, shape: tuple) -> nn.Module:
    """The torch module of one layer on a batch of one: images (N, C, H, W), sequences (N, L, F), vectors (N, n)."""
    t = layer["type"]
    if t in CHANNEL_FIRST and len(shape) == 2:              # a sequence: channels first and back
        inner = _channel_first(layer, (shape[1], shape[0]))
        return Fn(lambda x: inner(x.transpose(1, 2)).transpose(1, 2), inner)
    if t in CHANNEL_FIRST:
        return _channel_first(layer, shape) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    if t == "layernorm" and len(shape) == 3:                # over the channels, an image's last dimension (HWC)
        norm = nn.LayerNorm(shape[0])
        return Fn(lambda x: norm(x.movedim(1, -1)).movedim(-1, 1), norm)
    if t == "layernorm":
        return nn.LayerNorm(shape[-1])
    if t in ("rnn", "lstm", "gru", "attention", "transformer-encoder"):
        return _sequence_layer(layer, shape[-1])
    if t == "softmax":
        return nn.Softmax(dim=1)
    other = {"flatten": nn.Flatten, "dense": lambda: nn.Linear(shape[-1], layer["units"], layer.get("bias", True)),
             "embedding": lambda: nn.Embedding(layer["vocab"], layer["dim"])}
    return {**POINTWISE, **other}[t]()


def torch_answers(inp: list, layers: list[dict]) -> dict:
    """params, total-params, shapes, macs and total-macs as PyTorch gives them (FlopCounterMode's FLOPs / 2)."""
    if layers[0]["type"] == "embedding":
        x = torch.randint(0, layers[0]["vocab"], (1, inp[0]))
    else:
        x = torch.randn(1, inp[2], inp[0], inp[1]) if len(inp) == 3 else torch.randn(1, *inp)
    params, buffers, shapes, macs = [], [], [], []
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), torch.no_grad():
        for layer in layers:
            mod = torch_module(layer, tuple(x.shape[1:])).train(layer["type"] != "batchnorm")
            with FlopCounterMode(display=False) as counter:
                x = mod(x)
            assert x.numel() > 0
            params.append(sum(p.numel() for p in mod.parameters()))
            buffers.append(sum(b.numel() for name, b in mod.named_buffers() if name.endswith(("running_mean",
                                                                                                 "running_var"))))
            shapes.append([x.shape[2], x.shape[3], x.shape[1]] if x.dim() == 4 else list(x.shape[1:]))
            macs.append(counter.get_total_flops() // 2)
    total = {"total": sum(params) + sum(buffers), "trainable": sum(params), "non_trainable": sum(buffers)}
    return {"params": params, "total-params": total, "shapes": shapes, "macs": macs, "total-macs": sum(macs)}


def _one_or_pair(draw, lo: int, hi: int, seq: bool):
    if seq or draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return [draw(st.integers(lo, hi)), draw(st.integers(lo, hi))]


def _padding(draw, seq: bool, most: int):
    form = draw(st.sampled_from(["same", "valid", "one", "pair", "sides"]))
    if form in ("same", "valid"):
        return form
    if form == "one":
        return draw(st.integers(0, most))
    if seq or form == "pair":
        return [draw(st.integers(0, most)), draw(st.integers(0, most))]
    return [[draw(st.integers(0, most)), draw(st.integers(0, most))], draw(st.integers(0, most))]


def _windowed_layer(draw, t: str, seq: bool, channels: int) -> dict:
    layer = {"type": t, "kernel": _one_or_pair(draw, 1, 4, seq), "stride": _one_or_pair(draw, 1, 3, seq)}
    if t != "avgpool":
        layer["dilation"] = _one_or_pair(draw, 1, 3, seq)
    if t == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
        layer.update(filters=groups * draw(st.integers(1, 2)), groups=groups, bias=draw(st.booleans()))
        layer["padding"] = _padding(draw, seq, 3)
        return layer
    kernel = layer["kernel"] if isinstance(layer["kernel"], int) else min(layer["kernel"])
    if draw(st.booleans()):                     # ceil_mode, with a symmetric padding PyTorch can take
        return {**layer, "ceil_mode": True, "padding": draw(st.integers(0, kernel // 2))}
    layer["padding"] = _padding(draw, seq, kernel // 2)
    return layer


def _sequence_or_vector_layer(draw, t: str, features: int) -> dict:
    if t in ("rnn", "lstm", "gru"):
        return {"type": t, "hidden": draw(st.integers(1, 4)), "layers": draw(st.integers(1, 2)),
                "bidirectional": draw(st.booleans()), "bias": draw(st.booleans())}
    if t in ("attention", "transformer-encoder"):
        layer = {"type": t, "heads": draw(st.sampled_from([h for h in (1, 2, 3, 4) if features % h == 0])),
                 "bias": draw(st.booleans())}
        return {**layer, "ff": draw(st.integers(1, 6))} if t == "transformer-encoder" else layer
    if t == "dense":
        return {"type": t, "units": draw(st.integers(1, 5)), "bias": draw(st.booleans())}
    if t == "conv-transpose":
        s = draw(st.integers(1, 3))
        return {"type": t, "filters": 2, "kernel": draw(st.integers(1, 3)), "stride": s, "padding": draw(st.integers(0, 1)),
                "output_padding": draw(st.integers(0, s - 1)), "groups": 2 if features % 2 == 0 else 1}
    if t == "pad":
        return {"type": t, "padding": draw(st.sampled_from([1, [0, 2], [2, 1]]))}
    return {"type": t}


IMAGE = ["conv", "maxpool", "avgpool", "conv-transpose", "pad", "global-avgpool", "batchnorm", "layernorm", "relu",
         "softmax", "flatten"]
SEQUENCE = ["conv", "maxpool", "avgpool", "conv-transpose", "pad", "global-avgpool", "batchnorm", "layernorm",
            "dense", "rnn", "lstm", "gru", "attention", "transformer-encoder", "tanh", "flatten"]
VECTOR = ["dense", "batchnorm", "layernorm", "leaky_relu", "sigmoid", "dropout"]


@st.composite
def mixed_stacks(draw):
    """An image, a sequence or token ids through up to five layers of any type PyTorch takes there."""
    inp = draw(st.sampled_from([[draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 4))],
                                [draw(st.integers(1, 9)), draw(st.integers(1, 6))], [draw(st.integers(1, 9))]]))
    layers = [{"type": "embedding", "vocab": draw(st.integers(1, 20)), "dim": draw(st.integers(1, 6))}] \
        if len(inp) == 1 else []
    x = torch.zeros(1, inp[2], inp[0], inp[1]) if len(inp) == 3 else torch.zeros(1, *inp)
    if layers:
        x = torch.zeros(1, inp[0], layers[0]["dim"])
    for _ in range(draw(st.integers(1, 5))):
        shape = tuple(x.shape[1:])
        t = draw(st.sampled_from((VECTOR, SEQUENCE, IMAGE)[len(shape) - 1]))
        channels = shape[0] if len(shape) == 3 else shape[-1]
        if t in ("conv", "maxpool", "avgpool"):
            layer = _windowed_layer(draw, t, len(shape) == 2, channels)
        else:
            layer = _sequence_or_vector_layer(draw, t, channels)
        try:
            with torch.no_grad():
                y = torch_module(layer, shape).eval()(x)
        except RuntimeError:
            break                               # torch refuses it (an empty output, a padding too large)
        if y.numel() == 0:
            break
        layers.append(layer)
        x = y
    return inp, layers or [{"type": "relu"}]


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mixed_stacks())
def test_random_mixed_stacks_match_torch(case):
    inp, layers = case
    assert derived(inp, layers) == torch_answers(inp, layers)


# --- receptive fields of wide kernels ------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**40), st.integers(1, 60), st.integers(1, 40))
def test_a_field_spreads_as_the_union_of_its_shifted_copies(mask, taps, step):
    from derive.kinds.cnn.field import spread
    want = 0
    for t in range(taps):
        want |= mask << (t * step)
    assert spread(mask, taps, step) == want


def test_a_deep_stack_of_wide_kernels_has_its_field_at_once():
    """Twenty 50001-wide convolutions over a 100000-pixel image: the field (and whether it has holes) in well
    under the time limit (it took half a minute when each tap was shifted in turn)."""
    import time
    layers = [{"type": "conv", "filters": 1, "kernel": 50001, "padding": 25000}] * 20
    start = time.monotonic()
    doc = derive.solve(spec("network", [{"ask": "receptive-field"}], input=[100000, 100000, 1], layers=layers))
    assert next(iter(doc.questions())).answer.value == [20 * 50000 + 1] * 2
    assert time.monotonic() - start < 10


def test_a_sequence_layer_gets_the_notes_an_image_layer_gets():
    doc = derive.solve(spec("network", [{"ask": "shapes"}], input=[10, 2], layers=[
        {"type": "conv", "filters": 2, "kernel": 2, "stride": 3},
        {"type": "conv", "filters": 2, "kernel": 3, "padding": 4}]))
    question = next(iter(doc.questions()))
    notes = " ".join(str(piece) for note in question.notes for piece in note.pieces)
    assert question.answer.value == [[3, 2], [9, 2]]
    assert "remainder 2" in notes and "1 of every 3 positions" in notes
    assert "4 of the output's positions see nothing but padding" in notes


@pytest.mark.parametrize("before", [{"type": "pad", "padding": 1}, {"type": "global-avgpool"}, {"type": "layernorm"},
                                    {"type": "conv-transpose", "filters": 3, "kernel": 2}])
def test_same_padding_through_a_newer_layer_is_refused(before):
    """As the errors of docs/kinds/network.md say: 'same-padding' ... through the new layers; after its conv they
    are fine."""
    from derive.errors import SpecError
    conv = {"type": "conv", "filters": 2, "kernel": 1, "stride": 2}
    with pytest.raises(SpecError, match="layers.*'same-padding' follows"):
        derive.solve(spec("network", [{"ask": "same-padding"}], input=[8, 8, 3], layers=[before, conv]))
    assert derived([9, 9, 3], [conv, before], ["same-padding"]) == {"same-padding": 0}
