"""network (cnn-dims grown to whole architectures) against PyTorch: parameters by sum(p.numel()), shapes by a
forward pass, multiply-accumulates by FlopCounterMode (FLOPs / 2), for every layer type and option, for
random stacks (hypothesis) and for classic networks built in torch; and the bad specs that must exit 2."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import derive  # noqa: E402
from derive.errors import SpecError  # noqa: E402

from conftest import spec  # noqa: E402

ACTS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


class Seq(nn.Module):
    """A 1D module (Conv1d, pooling, BatchNorm1d, padding) over a batch-first (N, L, F) sequence."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.transpose(1, 2)).transpose(1, 2)


class Last(nn.Module):
    """Output [0] of a module returning a tuple (recurrent layers), or self-attention's (x, x, x)."""

    def __init__(self, inner, attention=False):
        super().__init__()
        self.inner, self.attention = inner, attention

    def forward(self, x):
        return (self.inner(x, x, x) if self.attention else self.inner(x))[0]


class ChannelsLast(nn.Module):
    """LayerNorm over an image's channels (the last dimension of height × width × channels)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Pad(nn.Module):
    def __init__(self, pads):
        super().__init__()
        self.pads = pads

    def forward(self, x):
        return F.pad(x, self.pads)


def _pad_pairs(p, seq):
    if seq:
        return (p, p) if isinstance(p, int) else tuple(p)
    if isinstance(p, int):
        return (p, p, p, p)
    (t, b), (l, r) = [(v, v) if isinstance(v, int) else v for v in p]
    return (l, r, t, b)


def torch_layer(layer: dict, shape: tuple) -> nn.Module:
    """The torch module of one spec layer, on a batch of one in PyTorch's layout (N, C, H, W) or (N, L, F)."""
    t, seq, ch = layer["type"], len(shape) == 2, shape[-1]
    bias = layer.get("bias", True)
    if t in ("conv", "maxpool", "avgpool"):
        k, s = layer["kernel"], layer.get("stride", 1 if t == "conv" else layer["kernel"])
        p, d = layer.get("padding", 0), layer.get("dilation", 1)
        p = tuple(p) if isinstance(p, list) else p
        if seq and isinstance(p, tuple):
            return nn.Sequential(Seq(Pad(p)), torch_layer({**layer, "padding": 0}, (shape[0] + sum(p), ch)))
        if t == "conv":
            mod = (nn.Conv1d if seq else nn.Conv2d)(ch, layer["filters"], k, s, p, d, layer.get("groups", 1), bias)
        elif t == "maxpool":
            mod = (nn.MaxPool1d if seq else nn.MaxPool2d)(k, s, p, d, ceil_mode=layer.get("ceil_mode", False))
        else:
            mod = (nn.AvgPool1d if seq else nn.AvgPool2d)(k, s, p, ceil_mode=layer.get("ceil_mode", False))
        return Seq(mod) if seq else mod
    if t == "conv-transpose":
        mod = (nn.ConvTranspose1d if seq else nn.ConvTranspose2d)(
            ch, layer["filters"], layer["kernel"], layer.get("stride", 1), layer.get("padding", 0),
            layer.get("output_padding", 0), layer.get("groups", 1), bias, layer.get("dilation", 1))
        return Seq(mod) if seq else mod
    if t == "pad":
        mod = Pad(_pad_pairs(layer["padding"], seq))
        return Seq(mod) if seq else mod
    if t == "global-avgpool":
        return Seq(nn.AdaptiveAvgPool1d(1)) if seq else nn.AdaptiveAvgPool2d(1)
    if t == "batchnorm":            # in eval mode: training mode refuses one value a channel (a length-1 sequence)
        bn = nn.BatchNorm1d(ch) if seq or len(shape) != 3 else nn.BatchNorm2d(ch)
        return Seq(bn.eval()) if seq else bn.eval()
    if t == "layernorm":
        return ChannelsLast(nn.LayerNorm(ch)) if len(shape) == 3 else nn.LayerNorm(ch)
    if t == "dense":
        return nn.Linear(ch, layer["units"], bias=bias)
    if t == "flatten":
        return nn.Flatten()
    if t == "embedding":
        return nn.Embedding(layer["vocab"], layer["dim"])
    if t in ("rnn", "lstm", "gru"):
        cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[t]
        return Last(cls(ch, layer["hidden"], layer.get("layers", 1), bias=bias, batch_first=True,
                        bidirectional=layer.get("bidirectional", False)))
    if t == "attention":
        return Last(nn.MultiheadAttention(ch, layer["heads"], bias=bias, batch_first=True), attention=True)
    if t == "transformer-encoder":
        return nn.TransformerEncoderLayer(ch, layer["heads"], layer["ff"], dropout=0.0, batch_first=True, bias=bias)
    if t == "dropout":
        return nn.Dropout(0.0)
    return ACTS[t]()


def _ours(shape_nchw: tuple) -> tuple:
    """A torch output shape (batch of one) as derive writes it: height × width × channels, length × features."""
    s = tuple(shape_nchw[1:])
    return (s[1], s[2], s[0]) if len(s) == 3 else s


def torch_run(inp: list, layers: list[dict]):
    """Per layer: parameters, output shape, multiply-accumulates (FlopCounterMode, oneDNN off, halved)."""
    if layers[0]["type"] == "embedding":
        x = torch.randint(0, layers[0]["vocab"], (1, inp[0]))
    else:
        x = torch.randn(1, inp[2], inp[0], inp[1]) if len(inp) == 3 else torch.randn(1, *inp)
    shape, params, shapes, macs = tuple(inp), [], [], []
    # oneDNN off: its fused LSTM kernel is not counted; the math attention kernel: the CPU flash kernel is not
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), torch.no_grad():
        for layer in layers:
            mod = torch_layer(layer, shape)
            with FlopCounterMode(display=False) as counter:
                x = mod(x)
            params.append(sum(p.numel() for p in mod.parameters()))
            shape = _ours(tuple(x.shape))
            shapes.append(list(shape))
            macs.append(counter.get_total_flops() // 2)
    return params, shapes, macs


def derived(inp, layers, **extra):
    doc = derive.solve(spec("network", [{"ask": ["params", "total-params", "shapes", "macs", "total-macs"]}],
                            input=inp, layers=layers, **extra))
    return {q.ask: q.answer.value for q in doc.questions()}


def agree(inp, layers):
    got = derived(inp, layers)
    params, shapes, macs = torch_run(inp, layers)
    assert got["params"] == params
    assert got["shapes"] == shapes
    assert got["macs"] == macs
    assert got["total-macs"] == sum(macs)
    assert got["total-params"]["trainable"] == sum(params)
    return got


# --- every layer type and option -------------------------------------------------------------------

CASES = {
    "embedding": ([12], [{"type": "embedding", "vocab": 50, "dim": 6}]),
    "rnn-nobias": ([7, 5], [{"type": "rnn", "hidden": 4, "bias": False}]),
    "lstm": ([7, 5], [{"type": "lstm", "hidden": 6}]),
    "lstm-2-bi": ([7, 5], [{"type": "lstm", "hidden": 6, "layers": 2, "bidirectional": True}]),
    "lstm-3-nobias": ([4, 3], [{"type": "lstm", "hidden": 5, "layers": 3, "bias": False}]),
    "gru-bi": ([6, 4], [{"type": "gru", "hidden": 3, "bidirectional": True}]),
    "gru-2": ([6, 4], [{"type": "gru", "hidden": 3, "layers": 2}]),
    "rnn-2-bi": ([5, 4], [{"type": "rnn", "hidden": 3, "layers": 2, "bidirectional": True}]),
    "attention": ([9, 12], [{"type": "attention", "heads": 3}]),
    "attention-1-nobias": ([5, 8], [{"type": "attention", "heads": 1, "bias": False}]),
    "encoder": ([6, 8], [{"type": "transformer-encoder", "heads": 2, "ff": 16}]),
    "encoder-nobias": ([6, 8], [{"type": "transformer-encoder", "heads": 4, "ff": 10, "bias": False}]),
    "layernorm-seq": ([5, 7], [{"type": "layernorm"}]),
    "layernorm-image": ([4, 5, 3], [{"type": "layernorm"}]),
    "layernorm-vector": ([9], [{"type": "layernorm"}]),
    "dense-seq": ([5, 7], [{"type": "dense", "units": 3}]),
    "dense-seq-nobias": ([5, 7], [{"type": "dense", "units": 3, "bias": False}]),
    "conv1d": ([20, 4], [{"type": "conv", "filters": 6, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2}]),
    "conv1d-groups-same": ([11, 4], [{"type": "conv", "filters": 6, "kernel": 4, "padding": "same", "groups": 2}]),
    "conv1d-asym": ([11, 4], [{"type": "conv", "filters": 2, "kernel": 3, "padding": [2, 0], "bias": False}]),
    "pool1d": ([15, 3], [{"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1},
                         {"type": "avgpool", "kernel": 2, "ceil_mode": True}]),
    "batchnorm-seq": ([6, 5], [{"type": "batchnorm"}]),
    "convT": ([5, 6, 4], [{"type": "conv-transpose", "filters": 6, "kernel": 3, "stride": 2, "padding": 1,
                           "output_padding": 1, "groups": 2}]),
    "convT-rect": ([5, 6, 4], [{"type": "conv-transpose", "filters": 3, "kernel": [2, 3], "stride": [2, 1],
                                "dilation": [1, 3], "output_padding": [1, 2], "bias": False}]),
    "convT-1d": ([7, 4], [{"type": "conv-transpose", "filters": 5, "kernel": 4, "stride": 3, "padding": 2,
                           "output_padding": 2}]),
    "pad-image": ([5, 6, 2], [{"type": "pad", "padding": [[1, 2], [0, 3]]}, {"type": "pad", "padding": 1}]),
    "pad-seq": ([5, 2], [{"type": "pad", "padding": [0, 3]}, {"type": "pad", "padding": 2}]),
    "global-avgpool": ([5, 6, 3], [{"type": "global-avgpool"}, {"type": "flatten"}, {"type": "dense", "units": 2}]),
    "global-avgpool-seq": ([5, 6], [{"type": "global-avgpool"}]),
    "flatten-seq": ([5, 6], [{"type": "flatten"}, {"type": "dense", "units": 4}]),
    "mlp-784": ([784], [{"type": "dense", "units": 128}, {"type": "relu"}, {"type": "dense", "units": 10}]),
    "embed-lstm-dense": ([10], [{"type": "embedding", "vocab": 30, "dim": 8}, {"type": "lstm", "hidden": 5},
                                {"type": "dense", "units": 30}]),
    "inception-bottleneck": ([28, 28, 192], [{"type": "conv", "filters": 32, "kernel": 5, "padding": 2}]),
}


@pytest.mark.parametrize("case", CASES)
def test_layer_against_torch(case):
    agree(*CASES[case])


def test_inception_bottleneck_macs():
    """The course's numbers: 120 M directly, 12.4 M through a 1 × 1 bottleneck of 16."""
    direct = derived([28, 28, 192], [{"type": "conv", "filters": 32, "kernel": 5, "padding": 2}])
    assert direct["total-macs"] == 120_422_400
    neck = derived([28, 28, 192], [{"type": "conv", "filters": 16, "kernel": 1},
                                   {"type": "conv", "filters": 32, "kernel": 5, "padding": 2}])
    assert neck["total-macs"] == 12_443_648


def test_layout_chw():
    got = derived([3, 8, 10], [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "global-avgpool"}],
                  layout="CHW")
    assert got["shapes"] == [[4, 6, 8], [4, 1, 1]]
    assert derived([8, 10, 3], [{"type": "conv", "filters": 4, "kernel": 3}])["shapes"] == [[6, 8, 4]]


def test_cnn_dims_alias_is_the_same_kind():
    from derive.kinds import KINDS
    assert KINDS["cnn-dims"] is KINDS["network"]


# --- random stacks -----------------------------------------------------------------------------------

@st.composite
def seq_stack(draw):
    """A sequence (or token ids) through a random mix of the sequence layers."""
    length, feats = draw(st.integers(3, 9)), draw(st.sampled_from([2, 4, 6]))
    layers, inp = [], [length, feats]
    if draw(st.booleans()):
        layers.append({"type": "embedding", "vocab": draw(st.integers(2, 30)), "dim": feats})
        inp = [length]
    for _ in range(draw(st.integers(1, 5))):
        t = draw(st.sampled_from(["rnn", "lstm", "gru", "attention", "transformer-encoder", "layernorm", "dense",
                                  "conv", "conv-transpose", "pad", "relu", "maxpool", "batchnorm"]))
        if t in ("rnn", "lstm", "gru"):
            hidden = draw(st.sampled_from([2, 3, 4]))
            layer = {"type": t, "hidden": hidden, "layers": draw(st.integers(1, 2)),
                     "bidirectional": draw(st.booleans()), "bias": draw(st.booleans())}
            feats = hidden * (2 if layer["bidirectional"] else 1)
        elif t in ("attention", "transformer-encoder"):
            layer = {"type": t, "heads": draw(st.sampled_from([h for h in (1, 2, 3, 4) if feats % h == 0])),
                     "bias": draw(st.booleans())}
            if t == "transformer-encoder":
                layer["ff"] = draw(st.integers(1, 8))
        elif t == "dense":
            feats = draw(st.sampled_from([2, 4, 6]))
            layer = {"type": t, "units": feats, "bias": draw(st.booleans())}
        elif t == "conv":
            k = draw(st.integers(1, 3))
            if k > length:
                continue
            feats = draw(st.sampled_from([2, 4]))
            layer = {"type": t, "filters": feats, "kernel": k, "stride": draw(st.integers(1, 2)),
                     "padding": draw(st.integers(0, 1))}
            length = (length + 2 * layer["padding"] - k) // layer["stride"] + 1
        elif t == "conv-transpose":
            s = draw(st.integers(1, 2))
            layer = {"type": t, "filters": 2, "kernel": draw(st.integers(1, 3)), "stride": s,
                     "output_padding": draw(st.integers(0, s - 1))}
            feats, length = 2, (length - 1) * s + layer["kernel"] + layer["output_padding"]
        elif t == "pad":
            layer = {"type": t, "padding": draw(st.integers(0, 2))}
            length += 2 * layer["padding"]
        elif t == "maxpool":
            if length < 2:
                continue
            layer = {"type": t, "kernel": 2}
            length //= 2
        else:
            layer = {"type": t}
        if length > 40:
            break
        layers.append(layer)
    return inp, layers or [{"type": "relu"}]


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seq_stack())
def test_random_sequence_stacks(case):
    agree(*case)


# --- classic networks ------------------------------------------------------------------------------

def vgg16():
    layers = []
    for filters, n in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [{"type": "conv", "filters": filters, "kernel": 3, "padding": 1}, {"type": "relu"}] * n
        layers.append({"type": "maxpool", "kernel": 2})
    layers += [{"type": "flatten"}, {"type": "dense", "units": 4096}, {"type": "relu"},
               {"type": "dense", "units": 4096}, {"type": "relu"}, {"type": "dense", "units": 1000}]
    return [224, 224, 3], layers


@pytest.mark.slow
def test_vgg16():
    """Against VGG-16 built in PyTorch on the meta device (no arithmetic done): its parameter count and the
    flop counter's multiply-accumulates (the published 138,357,544 and 15.47 G)."""
    import torch.nn as nn
    from torch.utils.flop_counter import FlopCounterMode
    got = derived(*vgg16())
    layers, c = [], 3
    for filters, n in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(n):
            layers += [nn.Conv2d(c, filters, 3, padding=1), nn.ReLU()]
            c = filters
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
               nn.Linear(4096, 1000)]
    model = nn.Sequential(*layers).to("meta")
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    assert got["total-params"]["total"] == sum(p.numel() for p in model.parameters()) == 138_357_544
    assert got["total-macs"] == counter.get_total_flops() // 2 == 15_470_264_320
    assert got["shapes"][-1] == [1000]


def test_resnet18_stem_and_first_stage():
    inp, layers = [224, 224, 3], [{"type": "conv", "filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False},
                                  {"type": "batchnorm"}, {"type": "relu"},
                                  {"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1}]
    block = [{"type": "conv", "filters": 64, "kernel": 3, "padding": 1, "bias": False}, {"type": "batchnorm"},
             {"type": "relu"}]
    got = agree(inp, layers + block * 4)                           # the residual sums add no parameters
    assert got["shapes"][3] == [56, 56, 64]
    assert sum(got["params"]) == 9408 + 128 + 4 * (36864 + 128)


def test_lstm_language_model():
    got = agree([35], [{"type": "embedding", "vocab": 10000, "dim": 200},
                       {"type": "lstm", "hidden": 200, "layers": 2}, {"type": "dense", "units": 10000}])
    assert got["params"] == [2_000_000, 643_200, 2_010_000]
    assert got["shapes"][-1] == [35, 10000]


def test_small_transformer_encoder():
    layers = [{"type": "embedding", "vocab": 1000, "dim": 64}]
    layers += [{"type": "transformer-encoder", "heads": 4, "ff": 256}] * 2
    layers += [{"type": "layernorm"}, {"type": "global-avgpool"}, {"type": "flatten"}, {"type": "dense", "units": 3}]
    got = agree([16], layers)
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 256, batch_first=True), 2, enable_nested_tensor=False)
    assert sum(got["params"][1:3]) == sum(p.numel() for p in model.parameters())


# --- bad specs ------------------------------------------------------------------------------------

BAD = {
    "heads": ([5, 6], [{"type": "attention", "heads": 4}], "layers[1].heads"),
    "encoder-heads": ([5, 6], [{"type": "transformer-encoder", "heads": 5, "ff": 8}], "layers[1].heads"),
    "lstm-on-vector": ([5, 6], [{"type": "flatten"}, {"type": "lstm", "hidden": 3}], "layers[2].type"),
    "lstm-on-flat-input": ([30], [{"type": "lstm", "hidden": 3}], "layers[1].type"),
    "output-padding": ([5, 5, 2], [{"type": "conv-transpose", "filters": 2, "kernel": 3, "stride": 2,
                                    "output_padding": 2}], "layers[1].output_padding"),
    "attention-on-image": ([5, 5, 4], [{"type": "attention", "heads": 2}], "layers[1].type"),
    "gru-on-image": ([5, 5, 4], [{"type": "gru", "hidden": 2}], "layers[1].type"),
    "embedding-late": ([5], [{"type": "relu"}, {"type": "embedding", "vocab": 3, "dim": 2}], "layers[2].type"),
    "conv-pair-on-sequence": ([9, 3], [{"type": "conv", "filters": 2, "kernel": [3, 3]}], "layers[1].kernel"),
    "dense-on-image": ([4, 4, 2], [{"type": "dense", "units": 3}], "layers[1].type"),
    "layout": ([3, 4, 4], [{"type": "relu"}], "layout"),
    "input-4": ([1, 2, 3, 4], [{"type": "relu"}], "input"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_spec_names_the_field(case):
    inp, layers, field = BAD[case]
    extra = {"layout": "NHWC"} if case == "layout" else {}
    with pytest.raises(SpecError) as err:
        spec("network", [{"ask": "params"}], input=inp, layers=layers, **extra)
    assert err.value.field == field, str(err.value)


def test_bad_spec_exits_2(write_spec):
    from click.testing import CliRunner
    from derive.cli import cli
    path = write_spec('title = "t"\n[[problem]]\nkind = "network"\ninput = [5, 6]\n'
                      'layers = [{ type = "attention", heads = 4 }]\n[[problem.part]]\nask = "params"\n')
    result = CliRunner().invoke(cli, ["solutions", str(path)])
    assert result.exit_code == 2 and "layers[1].heads" in result.output


def test_the_examples_language_model_is_torchs():
    import tomllib
    from derive.kinds import KINDS
    problem = tomllib.loads(KINDS["network"].example())["problem"][1]
    agree(problem["input"], problem["layers"])
