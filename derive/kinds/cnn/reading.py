"""Reading and validating one layer table of a cnn-dims spec, its padding included."""

from __future__ import annotations

from ... import fields
from ...errors import did_you_mean
from ...fields import FieldError
from ...words import plural
from .layers import LAYER_KEYS, PADDING_FORMS, SPATIAL, WORDS, Layer, _dims, _same_total, out_size


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
    kind = _layer_type(raw, field)
    if kind in SPATIAL and len(shape) == 1:
        raise FieldError(field + ".type", f"a {kind} layer needs an image, but its input is a vector of"
                         f" {plural(shape[0], 'number')} (after a flatten or dense layer only dense, batchnorm,"
                         " activation and dropout layers can follow)", kind,
                         "dense, batchnorm, an activation or dropout")
    if kind == "dense":
        return _dense(raw, field, shape)
    if kind == "dropout":
        return _dropout(raw, field)
    if kind not in SPATIAL:
        return Layer(kind)
    layer = _spatial(raw, kind, field, shape)
    for dim in (0, 1):
        _check_fits(raw, layer, field, shape[dim], dim)
    return layer


def _layer_type(raw, field: str) -> str:
    """The layer's type, once the table and its keys are known to suit it."""
    if not isinstance(raw, dict):
        raise FieldError(field, "must be a table", raw, "{ type = \"conv\", ... }")
    kind = raw.get("type")
    if kind is None and "kind" in raw:
        raise FieldError(field + ".kind", "unknown key (did you mean 'type'?)", raw["kind"],
                         "type = \"conv\", \"maxpool\", ... for a layer")
    if not isinstance(kind, str) or kind not in LAYER_KEYS:
        raise FieldError(field + ".type", ("missing" if kind is None else "unknown layer type")
                         + did_you_mean(str(kind), LAYER_KEYS), kind, "one of " + ", ".join(LAYER_KEYS))
    for key in raw:
        if key not in LAYER_KEYS[kind]:
            raise FieldError(f"{field}.{key}", f"unknown key for a {kind} layer" + did_you_mean(key, LAYER_KEYS[kind]),
                             raw[key], "one of " + ", ".join(LAYER_KEYS[kind]))
    return kind


def _dense(raw: dict, field: str, shape: tuple[int, ...]) -> Layer:
    if len(shape) != 1:
        raise FieldError(field + ".type", f"a dense layer needs a vector, but its input is an image of shape"
                         f" {_dims(shape)}: put {{ type = \"flatten\" }} before it", "dense",
                         "a flatten layer before the first dense layer")
    units = raw.get("units")
    if units is None:
        raise FieldError(field + ".units", "missing", None, "a whole number >= 1")
    return Layer("dense", filters=fields.check_int(units, field + ".units", 1),
                 bias=_flag(raw, "bias", field + ".bias", True))


def _dropout(raw: dict, field: str) -> Layer:
    rate = None
    if "rate" in raw:
        rate = fields.to_rational(raw["rate"], field + ".rate")
        if not 0 <= rate < 1:
            raise FieldError(field + ".rate", "must be at least 0 and below 1", raw["rate"], "a number in [0, 1)")
    return Layer("dropout", rate=rate)


def _spatial(raw: dict, kind: str, field: str, shape: tuple[int, ...]) -> Layer:
    """A conv or pooling layer: kernel, stride, dilation, padding (a "same" resolved), ceil_mode."""
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
        return _conv(raw, layer, field, shape[2])
    if word != "same":
        _check_pool_padding(raw, kernel, padding, field)
    return layer


def _check_pool_padding(raw: dict, kernel, padding, field: str) -> None:
    """PyTorch's rule: a pooling window must not lie in the padding alone."""
    for dim in (0, 1):
        limit = kernel[dim] // 2
        if max(padding[dim]) > limit:
            raise FieldError(field + ".padding",
                             f"a pooling window must not lie in the padding alone: each side's padding can be at"
                             f" most half the kernel, ⌊{kernel[dim]}/2⌋ = {limit} in the {WORDS[dim]} (PyTorch"
                             " refuses more)", raw.get("padding"), f"at most {limit}")


def _check_fits(raw: dict, layer: Layer, field: str, size: int, dim: int) -> None:
    """The (effective) kernel must fit the padded input, or the output would be empty."""
    pb, pa = layer.padding[dim]
    padded, eff = size + pb + pa, layer.eff(dim)
    if eff <= padded or layer.ceil_mode and out_size(size, layer, dim) >= 1:
        return                  # ceil_mode keeps one window hanging over the end: a note says so
    dil = (f" (dilation {layer.dilation[dim]} spreads the {layer.kernel[dim]} taps over {eff})"
           if layer.dilation[dim] > 1 else "")
    raise FieldError(field + ".kernel",
                     f"the {WORDS[dim]} of the kernel ({eff}){dil} exceeds the padded input"
                     f" ({size} + {pb} + {pa} = {padded}), so the output would be empty"
                     + (f" even with ceil_mode (it allows at most {padded + layer.stride[dim] - 1})"
                        if layer.ceil_mode else ""),
                     raw["kernel"], f"at most {padded}" if not dil else f"an effective kernel of at most {padded}")


def _resolve_same(layer: Layer, shape) -> Layer:
    """TensorFlow's "same": output ⌈n/s⌉, padding (out − 1)·s + k_eff − n in all, the odd one after."""
    pads = []
    for dim in (0, 1):
        total = _same_total(shape[dim], layer.eff(dim), layer.stride[dim])
        pads.append((total // 2, total - total // 2))
    return Layer(layer.type, layer.kernel, layer.stride, tuple(pads), layer.dilation, ceil_mode=layer.ceil_mode,
                 pad_word="same")


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
            why = (f"the input has {plural(channels, 'channel')}" if groups == 1 else
                   f"the input's {channels} channels in {groups} groups give {want} per filter")
            raise FieldError(field + ".depth", f"a filter's depth must match its input: {why}", depth, str(want))
    return Layer("conv", layer.kernel, layer.stride, layer.padding, layer.dilation, filters=filters,
                 bias=_flag(raw, "bias", field + ".bias", True), groups=groups, pad_word=layer.pad_word)
