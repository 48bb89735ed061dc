"""cnn-dims: parameter counts, output shapes, "same" padding and receptive fields of a layer stack.

The stack is validated and its shapes worked out once, in ``configure``; each question then
derives its answer layer by layer. Conventions (PyTorch's unless stated): sizes are
height × width × channels; an output size is ⌊(n + p_b + p_a − k_eff)/s⌋ + 1 with the effective
kernel k_eff = d(k − 1) + 1 (ceil_mode rounds up, but the last window must start inside the
input or the left/top padding); receptive fields follow Araujo, Norris & Sim (2019).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Add, Mul, Symbol

from .. import fields
from ..errors import did_you_mean
from ..fields import FieldError
from ..steps import Answer, Solution, Step, Text, chain, say, step
from ..symbols import FloorDiv, Quotient

ASKS = ("params", "total-params", "shapes", "same-padding", "receptive-field")
FIELDS = ("input", "layers", "layer")

POOLS = ("maxpool", "avgpool")
SPATIAL = ("conv",) + POOLS
POINTWISE = {"batchnorm": "batch normalization", "relu": "ReLU", "leaky_relu": "leaky ReLU",
             "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "dropout": "dropout"}
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "softmax")
LAYER_KEYS = {
    "conv": ("type", "filters", "kernel", "stride", "padding", "dilation", "groups", "bias", "depth"),
    "maxpool": ("type", "kernel", "stride", "padding", "dilation", "ceil_mode"),
    "avgpool": ("type", "kernel", "stride", "padding", "ceil_mode"),
    "flatten": ("type",),
    "dense": ("type", "units", "bias"),
    "batchnorm": ("type",),
    **{a: ("type",) for a in ACTIVATIONS},
    "dropout": ("type", "rate"),
}
LAYER_NAMES = {"conv": "convolutional layer", "maxpool": "max pooling layer", "avgpool": "average pooling layer",
               "flatten": "flatten layer", "dense": "dense layer", "batchnorm": "batch normalization layer",
               **{a: f"{POINTWISE[a]} layer" for a in ACTIVATIONS}, "dropout": "dropout layer"}
PADDING_FORMS = 'a whole number >= 0, [height, width], [[top, bottom], [left, right]], "valid" or "same"'

K_H, K_W, C_IN, F_OUT = Symbol("k_h"), Symbol("k_w"), Symbol("C_in"), Symbol("F")
N_IN, N_OUT, K, S, P, D = Symbol("n_in"), Symbol("n_out"), Symbol("k"), Symbol("s"), Symbol("p"), Symbol("d")
P_B, P_A, K_EFF, G, UNITS = Symbol("p_b"), Symbol("p_a"), Symbol("k_eff"), Symbol("g"), Symbol("m")
WORDS = ("height", "width")
ROWS = ("rows", "columns")


@dataclass(frozen=True)
class Layer:
    type: str
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))    # (before, after) per dimension
    dilation: tuple[int, int] = (1, 1)
    filters: int = 0                    # conv: filters; dense: units
    bias: bool = True
    groups: int = 1
    ceil_mode: bool = False
    pad_word: str = ""                  # "same" or "valid" when the padding was given that way
    rate: sympy.Rational | None = None  # dropout

    @property
    def name(self) -> str:
        return LAYER_NAMES[self.type]

    @property
    def spatial(self) -> bool:
        return self.type in SPATIAL

    def eff(self, dim: int) -> int:
        """The effective kernel d(k - 1) + 1 along a dimension."""
        return self.dilation[dim] * (self.kernel[dim] - 1) + 1

    def symmetric(self, dim: int) -> bool:
        return self.padding[dim][0] == self.padding[dim][1]

    def square(self) -> bool:
        """Height and width have the same geometry."""
        return (self.kernel[0] == self.kernel[1] and self.stride[0] == self.stride[1]
                and self.padding[0] == self.padding[1] and self.dilation[0] == self.dilation[1])


@dataclass(frozen=True)
class Config:
    input: tuple[int, int, int]         # height, width, channels
    layers: tuple[Layer, ...]
    shapes: tuple[tuple[int, ...], ...]  # shapes[k]: the input of layer k + 1; shapes[-1]: the last output
    layer: int | None = None            # the `layer` key (1-based) for same-padding and receptive-field


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
            raise FieldError("layer", f"there are only {len(layers)} layers", which, f"1 to {len(layers)}")
    convs = [k + 1 for k, l in enumerate(layers) if l.type == "conv"]
    if "same-padding" in asks:
        if not convs:
            raise FieldError("layers", "'same-padding' needs a conv layer", None,
                             "at least one layer with type = \"conv\"")
        if which is not None and which not in convs:
            raise FieldError("layer", f"'same-padding' asks about a conv layer, and layer {which} is a"
                             f" {layers[which - 1].name}", which, "the number of a conv layer: "
                             + ", ".join(map(str, convs)))
    return Config(shape, tuple(layers), tuple(shapes), which)


def _int_pair(value, field: str, minimum: int, what: str) -> tuple[int, int]:
    if isinstance(value, list):
        if len(value) != 2:
            raise FieldError(field, "must be a whole number or [height, width]", value, what)
        return tuple(fields.check_int(v, field, minimum) for v in value)
    return (fields.check_int(value, field, minimum),) * 2


def _padding(value, field: str):
    """((top, bottom), (left, right)) and the word it was given as, or ("same", None) to resolve later."""
    if isinstance(value, str):
        if value == "valid":
            return ((0, 0), (0, 0)), "valid"
        if value == "same":
            return None, "same"
        raise FieldError(field, "unknown padding" + did_you_mean(value, ("valid", "same")), value, PADDING_FORMS)
    if isinstance(value, list):
        if len(value) != 2:
            raise FieldError(field, "must have two entries (height, width)", value, PADDING_FORMS)
        dims = []
        for v in value:
            if isinstance(v, list):
                if len(v) != 2:
                    raise FieldError(field, "an asymmetric padding is [before, after]", value, PADDING_FORMS)
                dims.append(tuple(fields.check_int(x, field, 0) for x in v))
            else:
                dims.append((fields.check_int(v, field, 0),) * 2)
        return tuple(dims), ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, "must be a whole number, a pair or a word", value, PADDING_FORMS)
    p = fields.check_int(value, field, 0)
    return ((p, p), (p, p)), ""


def _flag(raw: dict, key: str, field: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise FieldError(field, "must be true or false", value, "true or false")
    return value


def _layer(raw, number: int, shape: tuple[int, ...]) -> Layer:
    """One layer table, checked against the shape it receives."""
    field = f"layers[{number}]"
    if not isinstance(raw, dict):
        raise FieldError(field, "must be a table", raw, "{ type = \"conv\", ... }")
    kind = raw.get("type")
    if kind not in LAYER_KEYS:
        raise FieldError(field + ".type", "unknown layer type" + did_you_mean(str(kind), LAYER_KEYS), kind,
                         "one of " + ", ".join(LAYER_KEYS))
    for key in raw:
        if key not in LAYER_KEYS[kind]:
            raise FieldError(f"{field}.{key}", f"unknown key for a {kind} layer" + did_you_mean(key, LAYER_KEYS[kind]),
                             raw[key], "one of " + ", ".join(LAYER_KEYS[kind]))
    flat = len(shape) == 1
    if kind in SPATIAL and flat:
        raise FieldError(field + ".type", f"a {kind} layer needs an image, but its input is a vector of {shape[0]}"
                         " numbers (after a flatten or dense layer only dense, batchnorm, activation and dropout"
                         " layers can follow)", kind, "dense, batchnorm, an activation or dropout")
    if kind == "dense":
        if not flat:
            raise FieldError(field + ".type", f"a dense layer needs a vector, but its input is an image of shape"
                             f" {_dims(shape)}: put {{ type = \"flatten\" }} before it", kind,
                             "a flatten layer before the first dense layer")
        units = raw.get("units")
        if units is None:
            raise FieldError(field + ".units", "missing", None, "a whole number >= 1")
        return Layer(kind, filters=fields.check_int(units, field + ".units", 1),
                     bias=_flag(raw, "bias", field + ".bias", True))
    if kind == "dropout":
        rate = None
        if "rate" in raw:
            rate = fields.to_rational(raw["rate"], field + ".rate")
            if not 0 <= rate < 1:
                raise FieldError(field + ".rate", "must be at least 0 and below 1", raw["rate"], "a number in [0, 1)")
        return Layer(kind, rate=rate)
    if kind not in SPATIAL:
        return Layer(kind)
    if "kernel" not in raw:
        raise FieldError(field + ".kernel", "missing", None, "a whole number or [height, width]")
    kernel = _int_pair(raw["kernel"], field + ".kernel", 1, "a whole number >= 1 or [height, width]")
    stride = _int_pair(raw.get("stride", 1 if kind == "conv" else list(kernel)), field + ".stride", 1,
                       "a whole number >= 1 or [height, width]")
    dilation = _int_pair(raw.get("dilation", 1), field + ".dilation", 1, "a whole number >= 1 or [height, width]")
    padding, word = _padding(raw.get("padding", 0), field + ".padding")
    ceil_mode = _flag(raw, "ceil_mode", field + ".ceil_mode", False)
    if word == "same" and ceil_mode:
        raise FieldError(field + ".ceil_mode", "ceil_mode cannot be combined with padding = \"same\" (\"same\" already"
                         " keeps ⌈n/s⌉ windows, the last one partly over the padding)", True,
                         "false, or an explicit padding")
    layer = Layer(kind, kernel, stride, padding or ((0, 0), (0, 0)), dilation, ceil_mode=ceil_mode, pad_word=word)
    if word == "same":
        layer = _resolve_same(layer, shape)
    if kind == "conv":
        layer = _conv(raw, layer, field, shape[2])
    elif word != "same":
        for dim in (0, 1):
            limit = kernel[dim] // 2
            if max(padding[dim]) > limit:
                raise FieldError(field + ".padding",
                                 f"a pooling window must not lie in the padding alone: each side's padding can be at"
                                 f" most half the kernel, ⌊{kernel[dim]}/2⌋ = {limit} in the {WORDS[dim]} (PyTorch"
                                 " refuses more)", raw.get("padding"), f"at most {limit}")
    for dim in (0, 1):
        size, (pb, pa) = shape[dim], layer.padding[dim]
        padded, eff = size + pb + pa, layer.eff(dim)
        if layer.ceil_mode and eff > padded and out_size(size, layer, dim) >= 1:
            continue                # ceil_mode keeps one window hanging over the end: a note says so
        if eff > padded:
            dil = (f" (dilation {layer.dilation[dim]} spreads the {layer.kernel[dim]} taps over {eff})"
                   if layer.dilation[dim] > 1 else "")
            raise FieldError(field + ".kernel",
                             f"the {WORDS[dim]} of the kernel ({eff}){dil} exceeds the padded input"
                             f" ({size} + {pb} + {pa} = {padded}), so the output would be empty"
                             + (f" even with ceil_mode (it allows at most {padded + layer.stride[dim] - 1})"
                                if layer.ceil_mode else ""),
                             raw["kernel"], f"at most {padded}" if not dil else f"an effective kernel of at most {padded}")
    return layer


def _resolve_same(layer: Layer, shape) -> Layer:
    """TensorFlow's "same": output ⌈n/s⌉, padding (out − 1)·s + k_eff − n in all, the odd one after."""
    pads = []
    for dim in (0, 1):
        total = _same_total(shape[dim], layer.eff(dim), layer.stride[dim])
        pads.append((total // 2, total - total // 2))
    return Layer(layer.type, layer.kernel, layer.stride, tuple(pads), layer.dilation, ceil_mode=layer.ceil_mode,
                 pad_word="same")


def _same_total(size: int, eff: int, s: int) -> int:
    return max((-(-size // s) - 1) * s + eff - size, 0)


def _conv(raw: dict, layer: Layer, field: str, channels: int) -> Layer:
    filters = raw.get("filters")
    if filters is None:
        raise FieldError(field + ".filters", "missing", None, "a whole number >= 1")
    filters = fields.check_int(filters, field + ".filters", 1)
    groups = fields.check_int(raw.get("groups", 1), field + ".groups", 1)
    for what, n in (("input channels", channels), ("filters", filters)):
        if n % groups:
            raise FieldError(field + ".groups", f"the {what} ({n}) cannot be split into {groups} equal groups",
                             groups, f"a divisor of both the input channels ({channels}) and the filters ({filters})")
    if "depth" in raw:
        depth = fields.check_int(raw["depth"], field + ".depth", 1)
        want = channels // groups
        if depth != want:
            why = (f"the input has {channels} channels" if groups == 1 else
                   f"the input's {channels} channels in {groups} groups give {want} per filter")
            raise FieldError(field + ".depth", f"a filter's depth must match its input: {why}", depth, str(want))
    return Layer("conv", layer.kernel, layer.stride, layer.padding, layer.dilation, filters=filters,
                 bias=_flag(raw, "bias", field + ".bias", True), groups=groups, pad_word=layer.pad_word)


# --- sizes -----------------------------------------------------------------------------------

def out_size(size: int, layer: Layer, dim: int) -> int:
    """Output length along one dimension (PyTorch's rule, ceil_mode included)."""
    (pb, pa), s = layer.padding[dim], layer.stride[dim]
    span = size + pb + pa - layer.eff(dim)
    if not layer.ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= size + pb else out


def out_shape(layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Output shape of one layer: (height, width, channels) for an image, (n,) for a vector."""
    if layer.spatial:
        return (out_size(shape[0], layer, 0), out_size(shape[1], layer, 1),
                layer.filters if layer.type == "conv" else shape[2])
    if layer.type == "flatten":
        return (_prod(shape),)
    if layer.type == "dense":
        return (layer.filters,)
    return shape


def in_shapes(c: Config) -> list[tuple[int, ...]]:
    """The input shape of every layer."""
    return list(c.shapes[:-1])


def _prod(t) -> int:
    out = 1
    for v in t:
        out *= v
    return out


def _dims(t) -> str:
    return " × ".join(str(v) for v in t)


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
        return (f"convolution, {layer.filters} filters{groups} each of shape"
                f" {_dims(layer.kernel + (depth // layer.groups,))}, padding {_pad_text(layer)},"
                f" stride {_pair_text(layer.stride)}{extra}{bias}")
    if layer.type in POOLS:
        kind = "max" if layer.type == "maxpool" else "average"
        ceil = ", ceil mode" if layer.ceil_mode else ""
        return (f"{kind} pooling, {_dims(layer.kernel)} window, padding {_pad_text(layer)},"
                f" stride {_pair_text(layer.stride)}{extra}{ceil}")
    if layer.type == "dense":
        return f"dense (fully connected), {layer.filters} units" + ("" if layer.bias else ", no bias")
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
    return {"params": _params, "total-params": _total_params, "shapes": _shapes, "same-padding": _same_padding,
            "receptive-field": _receptive_field}[ask](c)


def _u(*args):
    """An unevaluated product, shown factor by factor."""
    return Mul(*args, evaluate=False)


def _a(*args):
    """An unevaluated sum, shown term by term."""
    return Add(*args, evaluate=False)


def _label(k: int, layer: Layer) -> str:
    return f"Layer {k + 1} ({layer.name})"


# --- parameters ------------------------------------------------------------------------------

def _layer_params(k: int, layer: Layer, shape) -> tuple[list[Step], int, int]:
    """The steps counting one layer's parameters, its trainable and its non-trainable count."""
    label = _label(k, layer) + ": "
    if layer.type in POOLS:
        return [step(say(label + "pooling takes a fixed max or mean over each window; it learns nothing, so it"
                         " has 0 parameters."))], 0, 0
    if layer.type == "flatten":
        return [step(say(label + "only reshapes its input into a vector; 0 parameters."))], 0, 0
    if layer.type == "dropout":
        return [step(say(label + "zeroes random units while training and learns nothing; 0 parameters."))], 0, 0
    if layer.type in ACTIVATIONS:
        return [step(say(label + "a fixed function of each number; 0 parameters."))], 0, 0
    if layer.type == "batchnorm":
        ch = shape[-1]
        what = "channels" if len(shape) == 3 else "features"
        n = 2 * ch
        return [step(say(label + f"it normalizes each of its C = {ch} {what} and then scales and shifts it by a"
                         " learned ", Symbol("gamma"), " and ", Symbol("beta"), ": 2 trainable parameters per channel,"),
                     chain(_u(2, ch), n)),
                step(say("and it keeps a running mean and variance per channel for use at inference; they are"
                         " updated by averaging, not by gradient descent, so they are non-trainable (PyTorch's"
                         " buffers; Keras's summary adds them to the parameter count):"), chain(_u(2, ch), n))], n, n
    if layer.type == "dense":
        n_in, m = shape[0], layer.filters
        if layer.bias:
            text = say(label + "each of its ", sympy.Eq(UNITS, m, evaluate=False), " units has one weight per input"
                       " number (", sympy.Eq(N_IN, n_in, evaluate=False), ") and one bias, in all ",
                       _u(_a(N_IN, 1), UNITS), ":")
            shown, count = _u(_a(n_in, 1), m), (n_in + 1) * m
        else:
            text = say(label + "each of its ", sympy.Eq(UNITS, m, evaluate=False), " units has one weight per input"
                       " number (", sympy.Eq(N_IN, n_in, evaluate=False), ") and no bias, in all ", _u(N_IN, UNITS), ":")
            shown, count = _u(n_in, m), n_in * m
        return [step(text, chain(shown, count))], count, 0
    # conv
    kh, kw = layer.kernel
    channels, g = shape[2], layer.groups
    depth = channels // g
    steps = []
    if g > 1:
        steps.append(step(say(label + f"with {g} groups each filter sees only its group's share of the {channels}"
                              " input channels, so its depth is ", Quotient(C_IN, G, evaluate=False), ":"),
                          chain(Quotient(channels, g, evaluate=False), depth)))
        label, cin = "Then ", Quotient(C_IN, G, evaluate=False)
        depth_words = ""
    else:
        cin, depth_words = C_IN, " (its depth equals the input's channels)"
    weights = _u(kh, kw, depth)
    if layer.bias:
        formula = _u(_a(_u(K_H, K_W, cin), 1), F_OUT)
        shown = _u(_a(weights, 1), layer.filters)
        text = say(label + "each of the ", F_OUT, " filters has ", _u(K_H, K_W, cin),
                   f" weights{depth_words} and one bias, in all ", formula, ":")
    else:
        formula = _u(K_H, K_W, cin, F_OUT)
        shown = _u(weights, layer.filters)
        text = say(label + "each of the ", F_OUT, " filters has ", _u(K_H, K_W, cin),
                   " weights and no bias, in all ", formula, ":")
    count = (kh * kw * depth + (1 if layer.bias else 0)) * layer.filters
    steps.append(step(text, chain(shown, count)))
    return steps, count, 0


def _count_all(c: Config):
    steps, trainable, buffers = [], [], []
    for k, (layer, shape) in enumerate(zip(c.layers, c.shapes)):
        s, t, b = _layer_params(k, layer, shape)
        steps += s
        trainable.append(t)
        buffers.append(b)
    return steps, trainable, buffers


def _params(c: Config) -> Solution:
    steps, counts, buffers = _count_all(c)
    listing = ", ".join(f"layer {k + 1}: {n}" + (f" (and {b} non-trainable)" if b else "")
                        for k, (n, b) in enumerate(zip(counts, buffers)))
    notes = ()
    if any(buffers):
        notes = (say("The list counts trainable parameters, as PyTorch's parameters() does; batch normalization's"
                     " running statistics are given in brackets."),)
    return Solution(question=say("How many parameters are there in each layer?"), steps=tuple(steps), notes=notes,
                    answer=Answer(value=counts, text=say(listing.capitalize() + ".")))


def _sum_steps(counts: list[int], what: str) -> tuple[list[Step], int]:
    """Steps adding up per-layer counts (the nonzero ones), in groups of at most 8 terms."""
    total = sum(counts)
    terms = [(k + 1, n) for k, n in enumerate(counts) if n]
    if not terms:
        return [step(say(f"No layer has {what} parameters: 0 in all."))], 0
    if len(terms) == 1:
        return [step(say(f"Only layer {terms[0][0]} has {what} parameters: {total} in all."))], total
    if len(terms) <= 8:
        layers = ", ".join(str(k) for k, _ in terms[:-1]) + f" and {terms[-1][0]}"
        return [step(say(f"Adding the {what} parameters of layers {layers}:"), chain(_a(*(n for _, n in terms)), total))], total
    steps, running, size = [], 0, 6
    for start in range(0, len(terms), size):
        group = terms[start:start + size]
        new = running + sum(n for _, n in group)
        which = f"layer {group[0][0]}" if len(group) == 1 else f"layers {group[0][0]} to {group[-1][0]}"
        last = start + size >= len(terms)
        text = (f"The {what} parameters of {which}" if not running else
                f"Adding those of {which} to the running total") + (", the last ones:" if last else ":")
        steps.append(step(say(text), chain(_a(*([running] if running else []), *(n for _, n in group)), new)))
        running = new
    return steps, total


def _total_params(c: Config) -> Solution:
    steps, counts, buffers = _count_all(c)
    notes = []
    more, trainable = _sum_steps(counts, "trainable")
    steps += more
    non = 0
    if any(buffers):
        more, non = _sum_steps(buffers, "non-trainable")
        steps += more
        steps.append(step(say("All parameters, trainable and non-trainable (the total Keras's summary reports):"),
                          chain(_a(trainable, non), trainable + non)))
        notes.append(say("PyTorch's sum(p.numel() for p in model.parameters()) gives the trainable count only;"
                         " the running statistics of batch normalization are buffers."))
    value = {"total": trainable + non, "trainable": trainable, "non_trainable": non}
    text = f"{trainable + non} parameters in all" + (f": {trainable} trainable and {non} non-trainable." if non else
                                                     ", all trainable.")
    return Solution(question=say("How many parameters does the network have in total?"), steps=tuple(steps),
                    notes=tuple(notes), answer=Answer(value=value, text=say(text)))


# --- shapes ----------------------------------------------------------------------------------

def _span(layer: Layer):
    """n_in + 2p − k (or with p_b + p_a, k_eff): what the stride divides."""
    kern = K if layer.dilation == (1, 1) else K_EFF
    if layer.symmetric(0) and layer.symmetric(1):
        return _a(N_IN, _u(2, P), -kern)
    return _a(N_IN, P_B, P_A, -kern)


def _formula(layer: Layer):
    """n_out in terms of n_in, the padding, kernel, stride (and dilation), as PyTorch computes it."""
    span = _span(layer)
    core = (FloorDiv(span, S, evaluate=False) if not layer.ceil_mode
            else sympy.ceiling(Quotient(span, S, evaluate=False), evaluate=False))
    return sympy.Eq(N_OUT, _a(core, 1), evaluate=False)


def _size_chain(size: int, layer: Layer, dim: int):
    """The formula with this layer's numbers, and its value (before ceil_mode's last-window rule)."""
    (pb, pa), s = layer.padding[dim], layer.stride[dim]
    pad = [_u(2, pb)] if layer.symmetric(0) and layer.symmetric(1) else [pb, pa]
    inner = _a(size, *pad, -layer.eff(dim))
    span = size + pb + pa - layer.eff(dim)
    if layer.ceil_mode:
        return _a(sympy.ceiling(Quotient(inner, s, evaluate=False), evaluate=False), 1), -(-span // s) + 1
    return _a(FloorDiv(inner, s, evaluate=False), 1), span // s + 1


def _spatial_step(k: int, layer: Layer, shape, out) -> tuple[list[Step], list[Text]]:
    steps, notes = [], []
    dims = (0,) if shape[0] == shape[1] and layer.square() else (0, 1)
    which = "height and width alike" if len(dims) == 1 else "height, then width"
    depth = (f"the depth is the number of filters, {layer.filters}" if layer.type == "conv"
             else f"pooling works on each channel separately, so the depth stays {shape[2]}")
    chains, extra = [], []
    if layer.dilation != (1, 1):
        same_eff = layer.kernel[0] == layer.kernel[1] and layer.dilation[0] == layer.dilation[1]
        for dim in (0,) if same_eff else (0, 1):
            d, kk = layer.dilation[dim], layer.kernel[dim]
            chains.append(chain(_a(_u(d, _a(kk, -1)), 1), layer.eff(dim)))
    for dim in dims:
        shown, value = _size_chain(shape[dim], layer, dim)
        chains.append(chain(shown, value))
        if layer.ceil_mode and value != out[dim]:
            s, pb = layer.stride[dim], layer.padding[dim][0]
            extra.append(step(
                say(f"In the {WORDS[dim]} the last of these {value} windows would start at (out − 1)·s, at or past the"
                    f" end of the input and its top/left padding (n + p_b); PyTorch drops a window that starts"
                    f" in the bottom/right padding, leaving {value - 1}:"),
                chain(_u(value - 1, s), ">=", _a(shape[dim], pb)), chain(_a(value, -1), value - 1)))
            notes.append(say(f"Layer {k + 1}: with ceil_mode the {WORDS[dim]} would get one more window, but it would"
                             " start in the padding after the input, so PyTorch drops it (its rule: the last window"
                             " must start inside the input or the padding before it)."))
    intro = f"{_label(k, layer)}, input {_dims(shape)}: "
    dil = (", with the effective kernel " if layer.dilation != (1, 1) else "")
    pieces = [intro, _formula(layer), f" ({which})"]
    if dil:
        pieces += [dil, sympy.Eq(K_EFF, _a(_u(D, _a(K, -1)), 1), evaluate=False)]
    if not (layer.symmetric(0) and layer.symmetric(1)):
        pieces += [", ", P_B, " and ", P_A, " the padding before and after"]
    if layer.ceil_mode:
        pieces.append(", rounding up as ceil_mode asks")
    pieces.append(f"; {depth}. Output {_dims(out)}.")
    steps.append(step(say(*pieces), *chains))
    steps += extra
    notes += _surprises(k, layer, shape)
    return steps, notes


def _surprises(k: int, layer: Layer, shape) -> list[Text]:
    """Legal but surprising geometry: rows dropped by the floor, padding-only windows, skipped inputs."""
    notes = []
    for dim in (0, 1):
        size, (pb, pa), s, eff = shape[dim], layer.padding[dim], layer.stride[dim], layer.eff(dim)
        rest = (size + pb + pa - eff) % s
        word, rows = WORDS[dim], ROWS[dim]
        if rest and not layer.ceil_mode:
            what = f"{rest} {rows} of the padded input are" if rest > 1 else f"{rows[:-1]} of the padded input is"
            notes.append(say(f"Layer {k + 1}: the floor bites in the {word}: ", Quotient(_span(layer), S, evaluate=False),
                             f" leaves remainder {rest}, so the last {what} covered by no window and dropped."))
        if layer.ceil_mode:
            out = out_size(size, layer, dim)
            over = (out - 1) * s + eff - (size + pb + pa)
            if over > 0:
                notes.append(say(f"Layer {k + 1}: with ceil_mode the last window in the {word} reaches {over} past"
                                 " the padded input; it pools over the values that are there (PyTorch's average"
                                 " divides by their number)."))
        if layer.type == "conv" and max(pb, pa) * 2 > eff - 1:
            out = out_size(size, layer, dim)
            head = -(-(pb - eff + 1) // s) if pb >= eff else 0         # windows ending before the input
            tail_ = max(0, out - -(-(pb + size) // s))                  # windows starting after it
            blind = min(out, head + tail_)
            tail = (f"; {blind} of the output's {rows} see nothing but padding (their value is the bias alone)"
                    if blind else "")
            notes.append(say(f"Layer {k + 1}: a padding of {max(pb, pa)} in the {word} is more than half the"
                             f" {'effective ' if layer.dilation[dim] > 1 else ''}kernel ({eff}), more than"
                             f" “same” needs: the output is larger than the input and the border units see mostly"
                             f" padding{tail}."))
        if s > eff:
            notes.append(say(f"Layer {k + 1}: the stride ({s}) is larger than the"
                             f" {'effective ' if layer.dilation[dim] > 1 else ''}kernel ({eff}) in the {word}:"
                             f" {s - eff} of every {s} {rows} are skipped, seen by no window."))
    return notes


def _shapes(c: Config) -> Solution:
    steps, notes = [], []
    for k, (layer, shape, out) in enumerate(zip(c.layers, c.shapes, c.shapes[1:])):
        label = _label(k, layer)
        if layer.spatial:
            more, why = _spatial_step(k, layer, shape, out)
            steps += more
            notes += why
        elif layer.type == "flatten":
            if len(shape) == 1:
                steps.append(step(say(f"{label}: its input is already a vector; {shape[0]} numbers.")))
            else:
                steps.append(step(say(f"{label}: the {_dims(shape)} block is laid out as one vector (PyTorch orders"
                                      " it channel by channel, Keras pixel by pixel; the length is the same):"),
                                  chain(_u(*shape), out[0])))
        elif layer.type == "dense":
            steps.append(step(say(f"{label}: one output per unit, {out[0]} numbers.")))
        else:
            kind = ("normalizes each channel" if layer.type == "batchnorm" else "acts on each number"
                    if layer.type != "dropout" else "zeroes random numbers while training")
            steps.append(step(say(f"{label}: {kind}; the shape stays {_dims(out)}.")))
    listing = "; ".join(f"layer {k + 1}: {_dims(s)}" for k, s in enumerate(c.shapes[1:]))
    tail = (" (height × width × channels" + ("; one number, a vector's length, after flattening)"
                                             if any(len(s) == 1 for s in c.shapes) else ")"))
    return Solution(question=say("What are the dimensions (shape) of the activation outputs for each layer?"),
                    steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=[list(s) for s in c.shapes[1:]], text=say(listing.capitalize() + tail + ".")))


# --- "same" padding --------------------------------------------------------------------------

def _same_padding(c: Config) -> Solution:
    index = c.layer - 1 if c.layer is not None else next(k for k, l in enumerate(c.layers) if l.type == "conv")
    layer, shape = c.layers[index], c.shapes[index]
    steps, notes, values = [], [], []
    n, p, k = Symbol("n"), Symbol("p"), Symbol("k")
    for dim, word in enumerate(WORDS):
        if dim == 1 and layer.kernel[1] == layer.kernel[0] and layer.stride[1] == layer.stride[0] and \
                layer.dilation[1] == layer.dilation[0] and shape[0] == shape[1]:
            values.append(values[0])
            break
        size, kk, s, d = shape[dim], layer.kernel[dim], layer.stride[dim], layer.dilation[dim]
        eff = layer.eff(dim)
        if s == 1:
            total = eff - 1
            if d == 1:
                steps.append(step(say(f"With stride 1 the {word} is kept when ",
                                      sympy.Eq(_a(n, 2 * p, -k, 1), n, evaluate=False),
                                      ", i.e. the padding adds up to k − 1 in total:"),
                                  chain(_a(kk, -1), total)))
            else:
                steps.append(step(say(f"With stride 1 and dilation {d} the {word} is kept when ",
                                      sympy.Eq(_a(n, 2 * p, -_u(D, _a(K, -1)), -1, 1), n, evaluate=False),
                                      ", i.e. the padding adds up to d(k − 1) in total:"),
                                  chain(_u(d, _a(kk, -1)), total)))
        else:
            target = -(-size // s)
            total = _same_total(size, eff, s)
            kshow = "k" if d == 1 else "k_eff"
            steps.append(step(say(f"With stride {s} no padding keeps the {word}: the output has at most ⌈n/s⌉"
                                  f" units, so PyTorch's padding = \"same\" refuses strides above 1. TensorFlow's"
                                  f" \"same\" asks for exactly ⌈n/s⌉ = ⌈{size}/{s}⌉ = {target} outputs, which needs"
                                  f" padding (out − 1)·s + {kshow} − n in total (at least 0):"),
                              chain(sympy.Max(_a(_u(target - 1, s), eff, -size), 0, evaluate=False), total)))
        before, after = total // 2, total - total // 2
        if before == after:
            steps.append(step(say(f"Split evenly: {before} on each side of the {word}."),
                              chain(Quotient(total, 2, evaluate=False), before)))
            values.append(before)
        else:
            steps.append(step(say(f"{total} is odd, so the padding cannot be symmetric: {before} before and {after}"
                                  f" after in the {word} (the extra one goes after, as in PyTorch and TensorFlow).")))
            values.append([before, after])
    if layer.filters != shape[2]:
        notes.append(say(f"Only the height and width can be kept: the output's depth is the number of filters"
                         f" ({layer.filters}), not the input's {shape[2]} channels, whatever the padding."))
    value = values[0] if values[0] == values[1] else {"height": values[0], "width": values[1]}
    shown = value if not isinstance(value, dict) else f"{_vtext(values[0])} (height), {_vtext(values[1])} (width)"
    pads = [tuple(v) if isinstance(v, list) else (v, v) for v in values]
    resolved = Layer("conv", layer.kernel, layer.stride, tuple(pads), layer.dilation, filters=layer.filters)
    out = out_shape(resolved, shape)
    if isinstance(value, int):
        text = f"Padding {value} (on each side)"
    elif isinstance(value, list):
        text = f"Padding {_vtext(value)} (before, after)"
    else:
        text = f"Padding {shown}" + (" (before, after)" if any(isinstance(v, list) for v in values) else
                                     " (on each side)")
    where = "" if index == 0 else f" (layer {index + 1})"
    question = say(f"Suppose you wanted “same” padding so that the convolutional layer{where}'s output had the same"
                   " height and width as its input. How much padding would you use?")
    if any(s > 1 for s in layer.stride):
        notes.append(say("With a stride above 1 “same” cannot keep the size; it means TensorFlow's rule, output"
                         " ⌈n/s⌉ (the output then covers the input with no row or column left out)."))
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=value, text=say(text + f"; the output is then {_dims(out)}.")))


def _vtext(v) -> str:
    return f"[{v[0]}, {v[1]}]" if isinstance(v, list) else str(v)


# --- receptive field -------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """Receptive field of one unit, along one dimension: size r, jump j (input pixels between
    neighbouring units) and centre c of the first unit's field (input pixels numbered from 0;
    negative or past the end means padding)."""

    r: int
    j: int
    c: sympy.Rational

    @property
    def start(self) -> sympy.Rational:
        return self.c - sympy.Rational(self.r - 1, 2)


def fields_through(c: Config, upto: int) -> list[list[Field]]:
    """Per dimension, the Field after the input and after each of the first ``upto`` spatial-or-not layers
    (pointwise layers and flatten leave it unchanged; dense layers are not handled here)."""
    out = []
    for dim in (0, 1):
        f = Field(1, 1, sympy.Integer(0))
        seq = [f]
        for layer in c.layers[:upto]:
            if layer.spatial:
                eff, s, pb = layer.eff(dim), layer.stride[dim], layer.padding[dim][0]
                f = Field(f.r + (eff - 1) * f.j, f.j * s, f.c + (sympy.Rational(eff - 1, 2) - pb) * f.j)
            seq.append(f)
        out.append(seq)
    return out


def used_extent(c: Config, upto: int, dim: int) -> tuple[int, int] | None:
    """First and last input pixel (along dim) that some unit of layer ``upto`` depends on, exactly:
    taps that fall in the padding, or on units a floor dropped, lead nowhere."""
    spatial = [(k, l) for k, l in enumerate(c.layers[:upto]) if l.spatial]
    if not spatial:
        return 0, c.input[dim] - 1
    used = range(c.shapes[spatial[-1][0] + 1][dim])          # every unit of the last spatial layer
    for k, layer in reversed(spatial):
        n_in, s, d, pb = c.shapes[k][dim], layer.stride[dim], layer.dilation[dim], layer.padding[dim][0]
        kk = layer.kernel[dim]
        if isinstance(used, range) and used and (kk == 1 and s == 1 or d == 1 and kk >= s or
                                                 s == 1 and d <= len(used)):
            # windows that overlap or touch: the taps of a run of units are a run of inputs
            lo, hi = max(used[0] * s - pb, 0), min(used[-1] * s - pb + (kk - 1) * d, n_in - 1)
            used = range(lo, hi + 1)
            continue
        below = set()
        for i in used:
            for t in range(kk):
                tap = i * s - pb + t * d
                if 0 <= tap < n_in:
                    below.add(tap)
        used = below
    return (min(used), max(used)) if used else None


def field_mask(c: Config, upto: int, dim: int) -> int:
    """The pixels one unit's field really touches, as bits of an int (bit i: the i-th pixel of its
    extent, padding included); the extent is the bit length. Dilation, or a jump larger than the
    field it spaces out, leaves holes that later layers may or may not fill."""
    mask, j = 1, 1
    for layer in c.layers[:upto]:
        if layer.spatial:
            step_ = layer.dilation[dim] * j
            mask = functools_reduce_or(mask << (t * step_) for t in range(layer.kernel[dim]))
            j *= layer.stride[dim]
    return mask


def functools_reduce_or(masks) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


R_IN, R_OUT, J_IN, J_OUT = Symbol("r_in"), Symbol("r_out"), Symbol("j_in"), Symbol("j_out")
CEN_IN, CEN_OUT = Symbol("c_in"), Symbol("c_out")


def _receptive_field(c: Config) -> Solution:
    target = c.layer or len(c.layers)
    layers = c.layers[:target]
    dense = next((k for k, l in enumerate(layers) if l.type == "dense"), None)
    geo_upto = dense if dense is not None else target
    seqs = fields_through(c, geo_upto)
    square = c.input[0] == c.input[1] and all(l.square() for l in layers[:geo_upto] if l.spatial)
    steps = [step(say(
        "Start from one pixel of the input: ", sympy.Eq(Symbol("r_0"), 1, evaluate=False), " (the field's size), ",
        sympy.Eq(Symbol("j_0"), 1, evaluate=False), " (the jump, in input pixels between neighbouring units) and ",
        sympy.Eq(Symbol("c_0"), 0, evaluate=False), " (the centre of the first unit's field; input pixels are"
        " numbered from 0, and numbers below 0 or past the end are padding). A layer with kernel k, dilation d,"
        " stride s and padding p before its input, of effective kernel ",
        sympy.Eq(K_EFF, _a(_u(D, _a(K, -1)), 1), evaluate=False), ", gives (Araujo, Norris & Sim, 2019) ",
        sympy.Eq(R_OUT, _a(R_IN, _u(_a(K_EFF, -1), J_IN)), evaluate=False), ", ",
        sympy.Eq(J_OUT, _u(J_IN, S), evaluate=False), " and ",
        sympy.Eq(CEN_OUT, _a(CEN_IN, _u(_a(Quotient(_a(K_EFF, -1), 2, evaluate=False), -P), J_IN)), evaluate=False),
        "."))]
    meanings: dict = {}
    passive = [k + 1 for k, l in enumerate(layers[:geo_upto]) if not l.spatial]
    for k, layer in enumerate(layers[:geo_upto]):
        if not layer.spatial:
            continue
        chains, dims = [], []
        for dim in (0,) if square else (0, 1):
            tag = "" if square else "hw"[dim]
            before, after = seqs[dim][k], seqs[dim][k + 1]
            eff, s, pb = layer.eff(dim), layer.stride[dim], layer.padding[dim][0]
            r_k, j_k = Symbol(f"r{tag}_{k + 1}"), Symbol(f"j{tag}_{k + 1}")
            c_k = Symbol(f"c^({tag})_{k + 1}") if tag else Symbol(f"c_{k + 1}")
            meanings.update({r_k: after.r, j_k: after.j, c_k: after.c})
            shift = Quotient(eff - 1, 2, evaluate=False)
            if pb:
                shift = _a(shift, -pb)
            chains += [chain(r_k, _a(before.r, _u(eff - 1, before.j)), after.r), chain(j_k, _u(before.j, s), after.j),
                       chain(c_k, _a(before.c, _u(shift, before.j)), after.c)]
            bits = [f"kernel {layer.kernel[dim]}"]
            if layer.dilation[dim] > 1:
                bits.append(f"dilation {layer.dilation[dim]} (effective kernel {eff})")
            bits += [f"stride {s}", f"padding {pb} before"]
            dims.append(", ".join(bits) if square else f"{WORDS[dim]}: " + ", ".join(bits))
        text = f"{_label(k, layer)}, " + (dims[0] + " (height and width alike)" if square else "; ".join(dims)) + ":"
        steps.append(step(say(text), *chains))
    if passive:
        lined = any(layers[k - 1].type == "flatten" for k in passive)
        steps.append(step(say(_listing("Layer", passive) + (" acts" if len(passive) == 1 else " act") +
                              " on each unit separately" + (" (flatten only lines the units up)" if lined else "") +
                              ": r, j and c do not change.")))
    notes = []
    final = [seqs[dim][geo_upto] for dim in (0, 1)]
    if dense is None:
        sizes = [final[0].r, final[1].r]
        spans = [f"{ROWS[dim]} {_num(final[dim].start)} to {_num(final[dim].start + final[dim].r - 1)}"
                 for dim in (0, 1)]
        jumps = final[0].j if final[0].j == final[1].j else f"{final[0].j} (height), {final[1].j} (width)"
        text = (f"{sizes[0]} × {sizes[1]} input pixels (height × width). The first unit's field covers "
                f"{spans[0]} and {spans[1]}; neighbouring units are {jumps} input pixels apart.")
        for dim in (0, 1):
            if sizes[dim] > c.input[dim]:
                notes.append(say(f"The field's {WORDS[dim]} ({sizes[dim]}) is larger than the input's"
                                 f" ({c.input[dim]}): part of every unit's field is padding."))
        for dim in (0,) if square else (0, 1):
            mask = field_mask(c, geo_upto, dim)
            seen = bin(mask).count("1")
            if seen < sizes[dim]:
                notes.append(say(f"The field has holes in the {WORDS[dim] if not square else 'height and width'}:"
                                 f" dilation, or units spaced further apart than their fields are wide, leave"
                                 f" {sizes[dim] - seen} of its {sizes[dim]} {ROWS[dim] if not square else 'rows'}"
                                 f" unseen; {sizes[dim]} is its extent, first to last pixel."))
    else:
        sizes, more = _dense_field(c, dense, final)
        steps += more
        whole = tuple(sizes) == tuple(c.input[:2])
        if not whole:
            notes.append(say(f"Not every input pixel reaches layer {dense + 1}: rows or columns that the floor drops"
                             " or that strides skip are seen by no unit, so the field is smaller than the image."))
        text = f"{sizes[0]} × {sizes[1]} input pixels (height × width)" + (": the whole input." if whole else ".")
    question = say(f"What are the height and width of the effective receptive field of one unit in the output of the"
                   f" {layers[-1].name} (layer {target})?")
    return Solution(question=question, steps=tuple(steps), meanings=meanings, notes=tuple(notes),
                    answer=Answer(value=sizes, text=say(text)))


def _dense_field(c: Config, dense: int, final: list[Field]) -> tuple[list[int], list[Step]]:
    """A dense layer's unit sees every unit of the layer before it: the union of their fields."""
    last = max((k for k, l in enumerate(c.layers[:dense]) if l.spatial), default=None)
    if last is None:
        return list(c.input[:2]), [step(say(f"Layer {dense + 1} (dense layer): each unit is connected to every"
                                            " number of its input, so its field is the whole image."))]
    grid = c.shapes[last + 1]
    steps = [step(say(f"Layer {dense + 1} (dense layer): each unit is connected to every number of its input, so its"
                      f" field is the union of the fields of all {_dims(grid[:2])} units of layer {last + 1}, the"
                      " last spatial one: from the first unit's first pixel to the last unit's last pixel, within"
                      " the image."))]
    sizes = []
    for dim in (0, 1):
        f, n_units, n = final[dim], grid[dim], c.input[dim]
        extent = used_extent(c, dense, dim)
        if extent is None:
            sizes.append(0)
            steps.append(step(say(f"No unit of layer {last + 1} depends on any input {ROWS[dim][:-1]}: every window"
                                  " falls in the padding or between the inputs.")))
            continue
        lo, hi = extent
        sizes.append(hi - lo + 1)
        first, end = f.start, f.start + (n_units - 1) * f.j + f.r - 1
        width = chain(_a(hi, -lo, 1) if lo else _a(hi, 1), hi - lo + 1)
        if (lo, hi) == (max(first, 0), min(end, n - 1)):
            steps.append(step(say(f"{ROWS[dim].capitalize()}: the first unit's field starts at c − (r − 1)/2; the"
                                  f" last unit's, {n_units - 1} jumps further on, ends at that start"
                                  f" + {n_units - 1}·j + r − 1. Within the image (0 to {n - 1}) that leaves"
                                  f" {ROWS[dim]} {lo} to {hi}:"),
                              chain(_a(f.c, -Quotient(f.r - 1, 2, evaluate=False)), first),
                              chain(_a(first, _u(n_units - 1, f.j), f.r, -1), end), width))
        else:
            steps.append(step(say(f"{ROWS[dim].capitalize()}: following the windows back, only input {ROWS[dim]}"
                                  f" {lo} to {hi} reach a unit (the others fall where a floor dropped units or a"
                                  " stride skipped them):"), width))
    return sizes, steps


def _num(v) -> str:
    v = sympy.nsimplify(v)
    return str(v).replace("-", "−")


def _listing(word: str, numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"{word} {numbers[0]}"
    return f"{word}s " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
