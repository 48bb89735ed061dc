"""cnn-dims: parameter counts, output shapes, "same" padding and receptive fields of a layer stack."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Add, Mul, Pow, Symbol

from .. import fields
from ..fields import FieldError
from ..steps import Answer, Solution, Text, chain, say, step
from ..symbols import FloorDiv, Quotient

ASKS = ("params", "shapes", "same-padding", "receptive-field")
FIELDS = ("input", "layers")
LAYER_KEYS = {
    "conv": ("type", "filters", "kernel", "stride", "padding", "bias", "depth"),
    "maxpool": ("type", "kernel", "stride", "padding"),
    "avgpool": ("type", "kernel", "stride", "padding"),
}
LAYER_NAMES = {"conv": "convolutional layer", "maxpool": "max pooling layer", "avgpool": "average pooling layer"}

K_H, K_W, C_IN, F_OUT = Symbol("k_h"), Symbol("k_w"), Symbol("C_in"), Symbol("F")


@dataclass(frozen=True)
class Layer:
    type: str
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    filters: int = 0
    bias: bool = True

    @property
    def name(self) -> str:
        return LAYER_NAMES[self.type]


@dataclass(frozen=True)
class Config:
    input: tuple[int, int, int]     # height, width, channels
    layers: tuple[Layer, ...]


def configure(values: dict, asks) -> Config:
    """Validate the input shape and the layer stack, and that every layer fits."""
    raw = values.get("input")
    if not (isinstance(raw, list) and len(raw) == 3):
        raise FieldError("input", "must be [height, width, channels]", raw, "three whole numbers >= 1")
    shape = tuple(fields.check_int(v, "input", 1) for v in raw)
    raw_layers = values.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise FieldError("layers", "missing or empty", raw_layers, "a list of layer tables")
    layers = tuple(_layer(r, k + 1) for k, r in enumerate(raw_layers))
    config = Config(shape, layers)
    _shapes_fit(config)
    if "same-padding" in asks and not any(l.type == "conv" for l in layers):
        raise FieldError("layers", "'same-padding' needs a conv layer", None, "at least one layer with type = \"conv\"")
    return config


def _pair(raw: dict, key: str, field: str, default, minimum: int) -> tuple[int, int]:
    value = raw.get(key, default)
    if isinstance(value, list) and len(value) == 2:
        return tuple(fields.check_int(v, field, minimum) for v in value)
    return (fields.check_int(value, field, minimum),) * 2


def _layer(raw, number: int) -> Layer:
    field = f"layers[{number}]"
    if not isinstance(raw, dict):
        raise FieldError(field, "must be a table", raw, "{ type = \"conv\", ... }")
    kind = raw.get("type")
    if kind not in LAYER_KEYS:
        from ..errors import did_you_mean
        raise FieldError(field + ".type", "unknown layer type" + did_you_mean(str(kind), LAYER_KEYS), kind,
                         "one of " + ", ".join(LAYER_KEYS))
    for key in raw:
        if key not in LAYER_KEYS[kind]:
            from ..errors import did_you_mean
            raise FieldError(f"{field}.{key}", f"unknown key for a {kind} layer" + did_you_mean(key, LAYER_KEYS[kind]),
                             raw[key], "one of " + ", ".join(LAYER_KEYS[kind]))
    if "kernel" not in raw:
        raise FieldError(field + ".kernel", "missing", None, "a whole number or [height, width]")
    kernel = _pair(raw, "kernel", field + ".kernel", None, 1)
    stride = _pair(raw, "stride", field + ".stride", 1 if kind == "conv" else list(kernel), 1)
    padding = _pair(raw, "padding", field + ".padding", 0, 0)
    if kind != "conv":
        return Layer(kind, kernel, stride, padding)
    bias = raw.get("bias", True)
    if not isinstance(bias, bool):
        raise FieldError(field + ".bias", "must be true or false", bias, "true or false")
    filters = fields.integer(raw, "filters") if "filters" in raw else None
    if filters is None:
        raise FieldError(field + ".filters", "missing", None, "a whole number >= 1")
    fields.check_int(filters, field + ".filters", 1)
    return Layer(kind, kernel, stride, padding, filters=filters, bias=bias)


def _shapes_fit(c: Config) -> None:
    """Every layer must leave an output of at least 1 x 1, and filter depths must match."""
    for k, (layer, (h, w, ch)) in enumerate(zip(c.layers, in_shapes(c))):
        for size, dim in ((h, 0), (w, 1)):
            padded = size + 2 * layer.padding[dim]
            if layer.kernel[dim] > padded:
                raise FieldError(f"layers[{k + 1}].kernel",
                                 f"the {'height' if dim == 0 else 'width'} of the kernel ({layer.kernel[dim]}) exceeds"
                                 f" the padded input ({size} + 2·{layer.padding[dim]} = {padded})",
                                 layer.kernel[dim], f"at most {padded}")


def _out(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


def out_shape(layer: Layer, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """Output (height, width, channels) of one layer."""
    h, w, ch = shape
    return (_out(h, layer.kernel[0], layer.stride[0], layer.padding[0]),
            _out(w, layer.kernel[1], layer.stride[1], layer.padding[1]),
            layer.filters if layer.type == "conv" else ch)


def in_shapes(c: Config) -> list[tuple[int, int, int]]:
    """The input shape of every layer."""
    shapes = [c.input]
    for layer in c.layers[:-1]:
        shapes.append(out_shape(layer, shapes[-1]))
    return shapes


def _dims(t) -> str:
    return " × ".join(str(v) for v in t)


def _describe(layer: Layer, depth: int) -> str:
    def one(pair):
        return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (height), {pair[1]} (width)"
    if layer.type == "conv":
        bias = "" if layer.bias else ", no bias"
        return (f"convolution, {layer.filters} filters each of shape {_dims(layer.kernel + (depth,))},"
                f" padding {one(layer.padding)}, stride {one(layer.stride)}{bias}")
    kind = "max" if layer.type == "maxpool" else "average"
    return f"{kind} pooling, {_dims(layer.kernel)} window, padding {one(layer.padding)}, stride {one(layer.stride)}"


def setting(c: Config) -> Text:
    """The network, layer by layer."""
    parts = [f"Input: an image of shape {_dims(c.input)} (height × width × channels)."]
    for k, (layer, shape) in enumerate(zip(c.layers, in_shapes(c))):
        parts.append(f" Layer {k + 1}: {_describe(layer, shape[2])}.")
    return say("".join(parts))


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of a cnn-dims part."""
    return {"params": _params, "shapes": _shapes, "same-padding": _same_padding,
            "receptive-field": _receptive_field}[ask](c)


def _u(*args):
    """An unevaluated product, shown factor by factor."""
    return Mul(*args, evaluate=False)


def _params(c: Config) -> Solution:
    steps, counts = [], []
    for k, (layer, shape) in enumerate(zip(c.layers, in_shapes(c))):
        label = f"Layer {k + 1} ({layer.name}): "
        if layer.type != "conv":
            steps.append(step(say(label + "pooling takes a fixed max or mean over each window; it learns nothing, so it"
                                  " has 0 parameters.")))
            counts.append(0)
            continue
        kh, kw = layer.kernel
        weights = _u(kh, kw, shape[2])
        if layer.bias:
            formula = (K_H * K_W * C_IN + 1) * F_OUT
            shown = _u(Add(weights, 1, evaluate=False), layer.filters)
            text = say(label + "each of the ", F_OUT, " filters has ", K_H * K_W * C_IN,
                       " weights (its depth equals the input's channels) and one bias, in all ", formula, ":")
        else:
            formula = K_H * K_W * C_IN * F_OUT
            shown = _u(weights, layer.filters)
            text = say(label + "each of the ", F_OUT, " filters has ", K_H * K_W * C_IN, " weights and no bias, in all ",
                       formula, ":")
        count = (kh * kw * shape[2] + (1 if layer.bias else 0)) * layer.filters
        steps.append(step(text, chain(shown, count)))
        counts.append(count)
    listing = ", ".join(f"layer {k + 1}: {n}" for k, n in enumerate(counts))
    return Solution(question=say("How many parameters are there in each layer?"), steps=tuple(steps),
                    answer=Answer(value=counts, text=say(listing.capitalize() + ".")))


def _floor_size(size: int, k: int, s: int, p: int):
    """The unevaluated floor formula and its value."""
    inner = Add(size, _u(2, p), -k, evaluate=False)
    return Add(FloorDiv(inner, s, evaluate=False), 1, evaluate=False), _out(size, k, s, p)


def _shapes(c: Config) -> Solution:
    steps, shapes, notes = [], [], []
    out_sym = Symbol("n_out")
    for k, (layer, shape) in enumerate(zip(c.layers, in_shapes(c))):
        out = out_shape(layer, shape)
        dims = [(0, "height"), (1, "width")]
        same = shape[0] == shape[1] and layer.kernel[0] == layer.kernel[1] and \
            layer.stride[0] == layer.stride[1] and layer.padding[0] == layer.padding[1]
        chains = []
        for dim, _ in (dims[:1] if same else dims):
            shown, value = _floor_size(shape[dim], layer.kernel[dim], layer.stride[dim], layer.padding[dim])
            chains.append(chain(shown, value))
        which = "height and width alike" if same else "height, then width"
        depth = (f"the depth is the number of filters, {layer.filters}" if layer.type == "conv"
                 else f"pooling works on each channel separately, so the depth stays {shape[2]}")
        steps.append(step(say(f"Layer {k + 1} ({layer.name}), input {_dims(shape)}: ",
                              sympy.Eq(out_sym, Add(FloorDiv(Add(Symbol("n_in"), 2 * Symbol("p"), -Symbol("k"), evaluate=False),
                                                                    Symbol("s")), 1, evaluate=False), evaluate=False),
                              f" ({which}); {depth}. Output {_dims(out)}."), *chains))
        for dim, word in dims:
            rest = (shape[dim] + 2 * layer.padding[dim] - layer.kernel[dim]) % layer.stride[dim]
            if rest:
                notes.append(say(f"Layer {k + 1}: the floor bites in the {word}: (n + 2p − k)/s leaves remainder"
                                 f" {rest}, so the last {rest} row(s)/column(s) of the padded input are covered by no"
                                 " window and are dropped."))
        shapes.append(list(out))
    listing = "; ".join(f"layer {k + 1}: {_dims(s)}" for k, s in enumerate(shapes))
    return Solution(question=say("What are the dimensions (shape) of the activation outputs for each layer?"),
                    steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=shapes, text=say(listing.capitalize() + " (height × width × channels).")))


def _same_padding(c: Config) -> Solution:
    index = next(k for k, l in enumerate(c.layers) if l.type == "conv")
    layer, shape = c.layers[index], in_shapes(c)[index]
    steps, notes, values = [], [], []
    n, p, k = Symbol("n"), Symbol("p"), Symbol("k")
    for dim, word in ((0, "height"), (1, "width")):
        if dim == 1 and layer.kernel[1] == layer.kernel[0] and layer.stride[1] == layer.stride[0] and shape[0] == shape[1]:
            values.append(values[0])
            break
        size, kk, s = shape[dim], layer.kernel[dim], layer.stride[dim]
        if s == 1:
            total = kk - 1
            steps.append(step(say(f"With stride 1 the {word} is kept when ", sympy.Eq(Add(n, 2 * p, -k, 1, evaluate=False), n,
                                                                                       evaluate=False),
                                  ", i.e. the padding adds up to k − 1 in total:"),
                              chain(Add(kk, -1, evaluate=False), total)))
        else:
            target = -(-size // s)
            total = max((target - 1) * s + kk - size, 0)
            steps.append(step(say(f"With stride {s} no padding keeps the {word}; the usual \"same\" rule (TensorFlow's)"
                                  f" asks for output ⌈n/s⌉ = ⌈{size}/{s}⌉ = {target}, which needs padding"
                                  " (out − 1)·s + k − n in total:"),
                              chain(sympy.Max(Add(_u(target - 1, s), kk, -size, evaluate=False), 0, evaluate=False),
                                    total)))
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
    shown = value if not isinstance(value, dict) else f"{values[0]} (height), {values[1]} (width)"
    totals = [sum(v) if isinstance(v, list) else 2 * v for v in values]
    out = tuple((shape[d] + totals[d] - layer.kernel[d]) // layer.stride[d] + 1 for d in (0, 1)) + (layer.filters,)
    text = f"Padding {shown} (on each side)" if isinstance(value, int) else f"Padding {shown} (before, after)"
    where = "" if index == 0 else f" (layer {index + 1})"
    question = say(f"Suppose you wanted “same” padding so that the convolutional layer{where}'s output had the same"
                   " height and width as its input. How much padding would you use?")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=value, text=say(text + f"; the output is then {_dims(out)}.")))


def _receptive_field(c: Config) -> Solution:
    r_sym, j_sym = Symbol("r"), Symbol("j")
    steps = [step(say("Start from one unit of the input: ", sympy.Eq(r_sym, 1, evaluate=False), " and the jump (distance"
                      " in input pixels between neighbouring units) ", sympy.Eq(j_sym, 1, evaluate=False), ". Each layer"
                      " with kernel k and stride s grows the field by (k − 1)·j and multiplies the jump by s:"
                      " r ← r + (k − 1)·j, j ← j·s."))]
    square = all(l.kernel[0] == l.kernel[1] and l.stride[0] == l.stride[1] for l in c.layers)
    sizes, meanings = [], {}
    for dim, word in ((0, "height"), (1, "width"))[:1 if square else 2]:
        r, j = 1, 1
        chains = []
        tag = "" if square else word[0]
        for k, layer in enumerate(c.layers):
            kk, s = layer.kernel[dim], layer.stride[dim]
            new_r, new_j = r + (kk - 1) * j, j * s
            r_k, j_k = Symbol(f"r{tag}_{k + 1}"), Symbol(f"j{tag}_{k + 1}")
            meanings.update({r_k: new_r, j_k: new_j})
            chains.append(chain(r_k, Add(r, _u(kk - 1, j), evaluate=False), new_r))
            chains.append(chain(j_k, _u(j, s), new_j))
            r, j = new_r, new_j
        sizes.append(r)
        steps.append(step(say("Layer by layer (height and width alike):" if square else f"Layer by layer ({word}):"),
                          *chains))
    if square:
        sizes.append(sizes[0])
    last = c.layers[-1].name
    question = say(f"What are the height and width of the effective receptive field of one unit in the output of the"
                   f" {last} (layer {len(c.layers)})?")
    return Solution(question=question, steps=tuple(steps), meanings=meanings,
                    answer=Answer(value=sizes, text=say(f"{sizes[0]} × {sizes[1]} input pixels (height × width).")))
