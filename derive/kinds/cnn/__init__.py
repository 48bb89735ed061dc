"""network (formerly cnn-dims): parameter counts, output shapes, multiply-accumulates, "same" padding and
receptive fields of a layer stack over an image, a sequence or a vector.

The stack is validated and its shapes worked out once, in ``configure``; each question then
derives its answer layer by layer. Conventions (PyTorch's unless stated): image sizes are
height × width × channels (``layout = "CHW"`` reads and shows them channels first), a sequence is
length × features; an output size is ⌊(n + p_b + p_a − k_eff)/s⌋ + 1 with the effective
kernel k_eff = d(k − 1) + 1 (ceil_mode rounds up, but the last window must start inside the
input or the left/top padding); receptive fields follow Araujo, Norris & Sim (2019).
"""

from __future__ import annotations

from dataclasses import replace

from ...declare import read
from ...fields import FieldError
from ...steps import Solution, Text, say
from ...words import article, plural
from ..base import Kind
from .field import _receptive_field, receptive_field
from ...figures import Later
from . import figures
from .keys import FIELDS
from .layers import POINTWISE, POOLS, RECURRENT, Config, Layer, _dims, out_shape
from .notation import NOTATION
from .params import _params, _total_params
from .reading import _layer
from .macs import _macs, _total_macs
from . import summary
from .shapes import _same_padding, _shapes



# --- reading and validating the spec -----------------------------------------------------------

ORIGINAL = ("conv", "maxpool", "avgpool", "flatten", "dense", "batchnorm", "relu", "leaky_relu", "sigmoid", "tanh",
            "softmax", "dropout")


def configure(values: dict, asks) -> Config:
    """The rules between the keys (read by FIELDS): every layer fits its input, and the questions suit the stack."""
    values = read(FIELDS, values)
    shape, layout = tuple(values["input"]), values["layout"]
    if layout == "CHW" and len(shape) == 3:
        shape = (shape[1], shape[2], shape[0])              # kept as (height, width, channels)
    layers, shapes = [], [shape]
    for k, r in enumerate(values["layers"]):
        layer = _layer(r, k + 1, shapes[-1])
        if k == 0 and layer.type == "batchnorm" and len(shape) == 1 and values.get("batch") is None:
            layer = replace(layer, scalars=True)            # a plain vector: a batch of n scalars, n × 1
        layers.append(layer)
        shapes.append(out_shape(layer, shapes[-1]))
    which = values.get("layer")
    if which is not None and which > len(layers):
        count = f"there {'is' if len(layers) == 1 else 'are'} only {plural(len(layers), 'layer')}"
        raise FieldError("layer", count, which, f"1 to {len(layers)}")
    _check_geometry_asks(asks, layers, shape, which)
    table_in = next((a for a in asks if a in summary.ASKS), None) if len(layers) > summary.LONG else None
    return Config(shape, tuple(layers), tuple(shapes), which, layout, table_in, values.get("batch"),
                  values["training"])


def _check_geometry_asks(asks, layers: list[Layer], shape, which: int | None) -> None:
    """same-padding and receptive-field follow an image through the image layers of cnn-dims."""
    geometric = [a for a in ("same-padding", "receptive-field") if a in asks]
    if geometric and len(shape) != 3:
        raise FieldError("input", f"'{geometric[0]}' asks about an image, and the input is not one", list(shape),
                         "[height, width, channels]")
    upto = layers[:which or len(layers)]
    other = next((k for k, l in enumerate(upto) if l.type not in ORIGINAL), None)
    if "receptive-field" in asks and other is not None:
        raise FieldError("layers", f"'receptive-field' follows conv, pooling, flatten, dense and pointwise layers"
                         f" only; layer {other + 1} is {article(upto[other].name)} {upto[other].name}",
                         upto[other].type, "a stack of those layers (or 'layer' before it)")
    convs = [k + 1 for k, l in enumerate(layers) if l.type == "conv"]
    if "same-padding" in asks:
        if not convs:
            raise FieldError("layers", "'same-padding' needs a conv layer", None,
                             "at least one layer with type = \"conv\"")
        if which is not None and which not in convs:
            name = layers[which - 1].name
            raise FieldError("layer", f"'same-padding' asks about a conv layer, and layer {which} is"
                             f" {article(name)} {name}", which, "the number of a conv layer: "
                             + ", ".join(map(str, convs)))
        _check_same_path(layers[:(which or convs[0]) - 1])


def _check_same_path(before: list[Layer]) -> None:
    """same-padding follows the image to its conv layer through the layers of the original cnn-dims only."""
    other = next((k for k, l in enumerate(before) if l.type not in ORIGINAL), None)
    if other is not None:
        name = before[other].name
        raise FieldError("layers", f"'same-padding' follows the image to its conv layer through conv, pooling and"
                         f" pointwise layers only; layer {other + 1} is {article(name)} {name}",
                         before[other].type, "a stack of those layers before the conv layer")


# --- the setting -----------------------------------------------------------------------------

def _pair_text(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (height), {pair[1]} (width)"


def _pad_text(layer: Layer) -> str:
    (t, b), (l, r) = layer.padding
    if t == b and l == r:
        text = _pair_text((t, l))
    else:
        text = f"top {t}, bottom {b}, left {l}, right {r}"
    if layer.pad_word == "valid":
        return "“valid” (none)"
    if layer.pad_word == "same":
        return f"“same” ({text})"
    return text


def _describe(layer: Layer, depth: int) -> str:
    if layer.type in NEW_DESCRIPTIONS:
        return NEW_DESCRIPTIONS[layer.type](layer, depth)
    extra = ""
    if layer.spatial and layer.dilation != (1, 1):
        extra += f", dilation {_pair_text(layer.dilation)}"
    if layer.seq and layer.spatial:
        return _describe_1d(layer, depth)
    if layer.type == "conv":
        groups = f" in {layer.groups} groups" if layer.groups > 1 else ""
        bias = "" if layer.bias else ", no bias"
        return (f"convolution, {plural(layer.filters, 'filter')}{groups} each of shape"
                f" {_dims(layer.kernel + (depth // layer.groups,))}, padding {_pad_text(layer)},"
                f" stride {_pair_text(layer.stride)}{extra}{bias}")
    if layer.type in POOLS:
        kind = "max" if layer.type == "maxpool" else "average"
        ceil = ", ceil mode" if layer.ceil_mode else ""
        return (f"{kind} pooling, {_dims(layer.kernel)} window, padding {_pad_text(layer)},"
                f" stride {_pair_text(layer.stride)}{extra}{ceil}")
    if layer.type == "dense":
        return f"dense (fully connected), {plural(layer.filters, 'unit')}" + ("" if layer.bias else ", no bias")
    if layer.type == "flatten":
        return "flatten"
    if layer.type == "dropout" and layer.rate is not None:
        return f"dropout (rate {layer.rate})"
    return POINTWISE[layer.type]


def _pad_1d(layer: Layer) -> str:
    b, a = layer.padding[0]
    text = str(b) if a == b else f"{b} before, {a} after"
    return {"valid": "“valid” (none)", "same": f"“same” ({text})"}.get(layer.pad_word, text)


def _describe_1d(layer: Layer, depth: int) -> str:
    """A conv or pooling layer over a sequence (PyTorch's Conv1d, MaxPool1d, AvgPool1d)."""
    extra = f", dilation {layer.dilation[0]}" if layer.dilation[0] > 1 else ""
    if layer.type == "conv":
        groups = f" in {layer.groups} groups" if layer.groups > 1 else ""
        return (f"1D convolution along the sequence, {plural(layer.filters, 'filter')}{groups} each of"
                f" {layer.kernel[0]} × {depth // layer.groups} (positions × features), padding {_pad_1d(layer)},"
                f" stride {layer.stride[0]}{extra}" + ("" if layer.bias else ", no bias"))
    kind = "max" if layer.type == "maxpool" else "average"
    return (f"1D {kind} pooling along the sequence, window {layer.kernel[0]}, padding {_pad_1d(layer)},"
            f" stride {layer.stride[0]}{extra}" + (", ceil mode" if layer.ceil_mode else ""))


def _describe_recurrent(layer: Layer, depth: int) -> str:
    what = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}[layer.type]
    stack = f", {layer.depth} stacked layers" if layer.depth > 1 else ""
    bi = ", bidirectional" if layer.directions == 2 else ""
    bias = ", no bias" if not layer.bias else ", one bias vector per gate block" if layer.single_bias else ""
    return f"{what}, hidden size {layer.filters}{stack}{bi}{bias}"


def _describe_transposed(layer: Layer, depth: int) -> str:
    size = str(layer.kernel[0]) if layer.seq else _dims(layer.kernel)
    one = (lambda t: str(t[0])) if layer.seq else _pair_text
    extra = f", output padding {one(layer.output_padding)}" if any(layer.output_padding) else ""
    extra += f", dilation {one(layer.dilation)}" if layer.dilation != (1, 1) else ""
    extra += f", in {layer.groups} groups" if layer.groups > 1 else ""
    return (f"transposed convolution, {plural(layer.filters, 'filter')} of {size}, stride {one(layer.stride)},"
            f" padding {one(tuple(p for p, _ in layer.padding))}{extra}" + ("" if layer.bias else ", no bias"))


NEW_DESCRIPTIONS = {
    "embedding": lambda l, d: f"embedding, a vocabulary of {l.vocab} tokens, vectors of {l.filters} numbers",
    **{r: _describe_recurrent for r in RECURRENT},
    "attention": lambda l, d: f"multi-head self-attention, {plural(l.heads, 'head')}" + ("" if l.bias else ", no bias"),
    "transformer-encoder": lambda l, d: (f"transformer encoder layer, {plural(l.heads, 'head')}, feed-forward width"
                                         f" {l.ff}" + ("" if l.bias else ", no bias")),
    "layernorm": lambda l, d: "layer normalization over the last dimension",
    "conv-transpose": _describe_transposed,
    "pad": lambda l, d: "zero padding, " + (_pad_1d(l) if l.seq else _pad_text(l)),
    "global-avgpool": lambda l, d: "global average pooling",
}


def _input_text(c: Config) -> str:
    shape, lead = c.input, "batch × " if c.batch else ""
    if len(shape) == 3:
        order = "channels × height × width" if c.layout == "CHW" else "height × width × channels"
        what = f"a batch of {c.batch} images" if c.batch else "an image"
        return f"Input: {what} of shape {c.show(shape)} ({lead}{order})."
    if len(shape) == 2:
        what = f"a batch of {c.batch} sequences" if c.batch else "a sequence"
        return (f"Input: {what} of {shape[0]} vectors of {shape[1]} features ({c.show(shape)}, {lead}length ×"
                " features).")
    what = f"a batch of {c.batch} sequences" if c.batch else "a sequence"
    if c.layers[0].type == "embedding":
        return f"Input: {what} of {plural(shape[0], 'token id')}" + (f" ({c.show(shape)})." if c.batch else ".")
    if c.batch:
        return f"Input: a batch of {c.batch} vectors of {plural(shape[0], 'number')} ({c.show(shape)})."
    return f"Input: a vector of {plural(shape[0], 'number')}."


def setting(c: Config) -> Text:
    """The network, layer by layer."""
    parts = [_input_text(c)]
    if not c.training:
        parts.append(" The network is in evaluation mode (model.eval()).")
    for k, (layer, shape) in enumerate(zip(c.layers, c.shapes)):
        parts.append(f" Layer {k + 1}: {_describe(layer, shape[-1])}.")
    return say("".join(parts))


# Each question's figures, drawn from the analysis its steps narrate (the configured shapes, the receptive field).
# (looked up in the figures module at each call, as the narration is, so that a patch of it takes effect)
FIGURES = {"shapes": lambda c: figures.shapes_figures(c),
           "receptive-field": lambda c: figures.receptive_field_figures(c, receptive_field(c))}


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of a cnn-dims part: its steps, then its figures."""
    sol = _narrated(c, ask)
    draw = FIGURES.get(ask)
    return replace(sol, figures=Later(draw, c)) if draw else sol


def _narrated(c: Config, ask: str) -> Solution:
    # looked up in this module at each call, so that patching e.g. cnn._params takes effect
    if c.summary_ask is not None and ask in summary.ASKS:
        return summary.ASKS[ask](c)
    return {"params": _params, "total-params": _total_params, "shapes": _shapes, "same-padding": _same_padding,
            "receptive-field": _receptive_field, "macs": _macs, "total-macs": _total_macs}[ask](c)


class Network(Kind):
    """An image, a sequence or a vector through a stack of layers: parameters, shapes, multiply-accumulates,
    padding and receptive fields."""

    name = "network"
    aliases = ("cnn-dims",)
    notation = NOTATION
    summary = ("an image, sequence or vector through a stack of layers: parameter counts, shapes,"
               " multiply-accumulates, 'same' padding, receptive fields")
    asks = {
        "params": "each layer's trainable parameters",
        "total-params": "the total, trainable and non-trainable apart",
        "shapes": "each layer's output shape",
        "macs": "each layer's multiply-accumulates for one example (FLOPs are twice as many)",
        "total-macs": "the multiply-accumulates of the whole forward pass",
        "same-padding": "the padding that keeps a conv layer's size ('layer', default the first conv)",
        "receptive-field": "the receptive field of one unit of the last layer (or of 'layer')",
    }
    fields = FIELDS

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)
