"""cnn-dims: parameter counts, output shapes, "same" padding and receptive fields of a layer stack.

The stack is validated and its shapes worked out once, in ``configure``; each question then
derives its answer layer by layer. Conventions (PyTorch's unless stated): sizes are
height × width × channels; an output size is ⌊(n + p_b + p_a − k_eff)/s⌋ + 1 with the effective
kernel k_eff = d(k − 1) + 1 (ceil_mode rounds up, but the last window must start inside the
input or the left/top padding); receptive fields follow Araujo, Norris & Sim (2019).
"""

from __future__ import annotations

from ... import fields
from ...fields import FieldError
from ...steps import Solution, Text, say
from ...words import article, plural
from ..base import REQUIRED, Kind, register
from ..base import Field as Key
from .field import _receptive_field
from .layers import POINTWISE, POOLS, Config, Layer, _dims, out_shape
from .notation import NOTATION
from .params import _params, _total_params
from .reading import _layer
from .shapes import _same_padding, _shapes



# --- reading and validating the spec -----------------------------------------------------------

def configure(values: dict, asks) -> Config:
    """Validate the input shape and the layer stack, and that every layer fits its input."""
    raw = values.get("input")
    if not (isinstance(raw, list) and len(raw) == 3):
        raise FieldError("input", "must be [height, width, channels]", raw, "three whole numbers >= 1")
    shape = tuple(fields.check_int(v, "input", 1) for v in raw)
    raw_layers = values.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise FieldError("layers", "missing or empty", raw_layers, "a list of layer tables")
    layers, shapes = [], [shape]
    for k, r in enumerate(raw_layers):
        layer = _layer(r, k + 1, shapes[-1])
        layers.append(layer)
        shapes.append(out_shape(layer, shapes[-1]))
    which = None
    if "layer" in values:
        which = fields.check_int(values["layer"], "layer", 1)
        if which > len(layers):
            count = f"there {'is' if len(layers) == 1 else 'are'} only {plural(len(layers), 'layer')}"
            raise FieldError("layer", count, which, f"1 to {len(layers)}")
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
    return Config(shape, tuple(layers), tuple(shapes), which)


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
    extra = ""
    if layer.spatial and layer.dilation != (1, 1):
        extra += f", dilation {_pair_text(layer.dilation)}"
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


def setting(c: Config) -> Text:
    """The network, layer by layer."""
    parts = [f"Input: an image of shape {_dims(c.input)} (height × width × channels)."]
    for k, (layer, shape) in enumerate(zip(c.layers, c.shapes)):
        parts.append(f" Layer {k + 1}: {_describe(layer, shape[-1])}.")
    return say("".join(parts))


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of a cnn-dims part."""
    # looked up in this module at each call, so that patching e.g. cnn._params takes effect
    return {"params": _params, "total-params": _total_params, "shapes": _shapes, "same-padding": _same_padding,
            "receptive-field": _receptive_field}[ask](c)


@register
class CnnDims(Kind):
    """An image through a stack of layers: parameters, shapes, padding and receptive fields."""

    name = "cnn-dims"
    notation = NOTATION
    summary = "an image through a stack of layers: parameter counts, shapes, 'same' padding, receptive fields"
    asks = {
        "params": "each layer's trainable parameters",
        "total-params": "the total, trainable and non-trainable apart",
        "shapes": "each layer's output shape",
        "same-padding": "the padding that keeps a conv layer's size ('layer', default the first conv)",
        "receptive-field": "the receptive field of one unit of the last layer (or of 'layer')",
    }
    fields = (
        Key("input", "[height, width, channels]", "the input image", REQUIRED),
        Key("layers", "a list of layer tables (type = conv, maxpool, avgpool, flatten, dense, batchnorm,"
              " relu, ...)", "the stack, in order", REQUIRED),
        Key("layer", "a layer number (1-based)", "the layer 'same-padding' or 'receptive-field' asks about"),
    )

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)
