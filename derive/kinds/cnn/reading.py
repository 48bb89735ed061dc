"""One layer table of a network spec (read by its declaration, ``keys.LAYER``) made into a Layer, checked against
the shape it receives: one number on a sequence, a pair on an image, a kernel that fits, groups that divide."""

from __future__ import annotations

from ...fields import FieldError
from ...words import article, plural
from dataclasses import replace

from .layers import RECURRENT, SEQUENCE_ONLY, SPATIAL, WORDS, Layer, _dims, _same_total, out_size, transposed_size

SEQ_PADDING = 'a whole number >= 0, [before, after], "valid" or "same"'


def _int_pair(value) -> tuple[int, int]:
    """A whole number k (k along both dimensions) or [height, width], as the declaration read it."""
    return tuple(value) if isinstance(value, list) else (value, value)


def _padding(value):
    """((top, bottom), (left, right)) and the word it was given as, or (None, "same") to resolve later."""
    if isinstance(value, str):
        return (((0, 0), (0, 0)), "valid") if value == "valid" else (None, "same")
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else (v, v) for v in value), ""
    return ((value, value), (value, value)), ""


def _layer(raw, number: int, shape: tuple[int, ...]) -> Layer:
    """One layer table, checked against the shape it receives."""
    field = f"layers[{number}]"
    kind = raw["type"]
    _check_input(kind, field, shape, number)
    if kind == "dense":
        return _dense(raw, field, shape)
    if kind == "dropout":
        return _dropout(raw, field)
    if kind in READERS:
        return READERS[kind](raw, kind, field, shape)
    if kind not in SPATIAL:
        return Layer(kind)
    if len(shape) == 2:
        return _seq_spatial(raw, kind, field, shape)
    layer = _spatial(raw, kind, field, shape)
    for dim in (0, 1):
        _check_fits(raw, layer, field, shape[dim], dim)
    return layer


def _check_input(kind: str, field: str, shape: tuple[int, ...], number: int) -> None:
    """The layer suits what it receives: an image, a sequence or a vector."""
    if kind in SPATIAL + ("conv-transpose", "pad", "global-avgpool") and len(shape) == 1:
        raise FieldError(field + ".type", f"{article(kind)} {kind} layer needs an image or a sequence, but its input is a vector of"
                         f" {plural(shape[0], 'number')} (after a flatten or dense layer only dense, batchnorm,"
                         " activation and dropout layers can follow)", kind,
                         "dense, batchnorm, an activation or dropout")
    if kind in SEQUENCE_ONLY and len(shape) != 2:
        got = (f"an image of shape {_dims(shape)}: a sequence layer cannot run over an image (flatten it, or"
               " give the input as [length, features])" if len(shape) == 3 else
               f"a flat vector of {plural(shape[0], 'number')} with no length (a flatten or dense layer before it, or"
               " an input [n]; give the input as [length, features], or put an embedding first)")
        raise FieldError(field + ".type", f"this {kind} layer needs a sequence [length, features], but"
                         f" its input is {got}", kind, "a sequence input [length, features]")
    if kind == "embedding" and (number != 1 or len(shape) != 1):
        raise FieldError(field + ".type", "an embedding layer looks up token ids: it must be the first layer, on an"
                         " input [n] of n token ids", kind, "an embedding as layer 1 of an input [n]")


def _embedding(raw: dict, kind: str, field: str, shape) -> Layer:
    return Layer("embedding", vocab=raw["vocab"], filters=raw["dim"])


def _recurrent(raw: dict, kind: str, field: str, shape) -> Layer:
    return Layer(kind, filters=raw["hidden"], bias=raw["bias"] is not False, depth=raw["layers"],
                 directions=2 if raw["bidirectional"] else 1, single_bias=raw["bias"] == "single")


def _attention(raw: dict, kind: str, field: str, shape) -> Layer:
    heads = raw["heads"]
    if shape[1] % heads:
        raise FieldError(field + ".heads", f"{heads} heads do not divide the input's {shape[1]} features (each head"
                         f" takes an equal share of the embedding, as nn.MultiheadAttention requires)", heads,
                         f"a divisor of {shape[1]}")
    ff = raw["ff"] if kind == "transformer-encoder" else 0
    return Layer(kind, heads=heads, ff=ff, bias=raw["bias"])


def _one(value, field: str, minimum: int) -> int:
    """A single whole number: a layer over a sequence is 1D."""
    if isinstance(value, list):
        raise FieldError(field, "a layer over a sequence is 1D: give one number, not a pair", value,
                         f"a whole number >= {minimum}")
    return value


def _seq_padding(value, field: str):
    """A 1D padding as ((before, after), (0, 0)), or the word "same"/"valid"."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if any(isinstance(v, list) for v in value):
            raise FieldError(field, "a padding over a sequence is p or [before, after]", value, SEQ_PADDING)
        return (tuple(value), (0, 0))
    return ((value, value), (0, 0))


def _seq_spatial(raw: dict, kind: str, field: str, shape) -> Layer:
    """A conv or pooling layer over a sequence, as PyTorch's Conv1d/MaxPool1d/AvgPool1d: read as an image of
    width 1 whose kernel, stride, dilation and padding are 1, 1, 1 and 0 across."""
    as_image = dict(raw)
    for key in ("kernel", "stride", "dilation"):
        if key in raw:
            as_image[key] = [_one(raw[key], f"{field}.{key}", 1), 1]
    if "padding" in raw:
        pad = _seq_padding(raw["padding"], field + ".padding")
        as_image["padding"] = pad if isinstance(pad, str) else [list(p) for p in pad]
    layer = _spatial(as_image, kind, field, (shape[0], 1, shape[1]))
    _check_fits(raw, layer, field, shape[0], 0)
    return replace(layer, seq=True)


def _pad(raw: dict, kind: str, field: str, shape) -> Layer:
    if len(shape) == 2:
        padding = _seq_padding(raw["padding"], field + ".padding")
    else:
        padding, word = _padding(raw["padding"])
        padding = padding or word
    if isinstance(padding, str):
        if padding == "same":
            raise FieldError(field + ".padding", "a pad layer has no kernel, so \"same\" means nothing here",
                             padding, "the zeros to add, as a number or per side")
        padding = ((0, 0), (0, 0))
    return Layer("pad", padding=padding, seq=len(shape) == 2)


def _transposed(raw: dict, kind: str, field: str, shape) -> Layer:
    """A transposed convolution (PyTorch's ConvTranspose1d/2d)."""
    seq = len(shape) == 2
    def pair(key, minimum):
        return (_one(raw[key], f"{field}.{key}", minimum), (1 if minimum else 0)) if seq else _int_pair(raw[key])
    filters = raw["filters"]
    kernel, stride, dilation = pair("kernel", 1), pair("stride", 1), pair("dilation", 1)
    padding, extra = pair("padding", 0), pair("output_padding", 0)
    for dim in (0,) if seq else (0, 1):
        if extra[dim] >= max(stride[dim], dilation[dim]):
            raise FieldError(field + ".output_padding", f"output_padding ({extra[dim]}) must be smaller than the stride"
                             f" ({stride[dim]}) or the dilation ({dilation[dim]}), as PyTorch requires",
                             raw.get("output_padding"), f"at most {max(stride[dim], dilation[dim]) - 1}")
    groups = _groups(raw, field, shape[-1], filters)
    layer = Layer("conv-transpose", kernel, stride, tuple((p, p) for p in padding), dilation, filters=filters,
                  bias=raw["bias"], groups=groups, seq=seq, output_padding=extra)
    for dim in (0,) if seq else (0, 1):
        if transposed_size(shape[dim], layer, dim) < 1:
            raise FieldError(field + ".padding", f"the padding ({padding[dim]}) crops the whole output"
                             f" ((n − 1)·s − 2p + d(k − 1) + output_padding + 1 is below 1)", raw.get("padding"),
                             "a smaller padding")
    return layer


READERS = {"embedding": _embedding, **{r: _recurrent for r in RECURRENT}, "attention": _attention,
           "transformer-encoder": _attention, "pad": _pad, "conv-transpose": _transposed}


def _dense(raw: dict, field: str, shape: tuple[int, ...]) -> Layer:
    if len(shape) == 3:
        raise FieldError(field + ".type", f"a dense layer needs a vector or a sequence, but its input is an image of shape"
                         f" {_dims(shape)}: put {{ type = \"flatten\" }} before it", "dense",
                         "a flatten layer before the first dense layer")
    return Layer("dense", filters=raw["units"], bias=raw["bias"])


def _dropout(raw: dict, field: str) -> Layer:
    return Layer("dropout", rate=raw.get("rate"))


def _spatial(raw: dict, kind: str, field: str, shape: tuple[int, ...]) -> Layer:
    """A conv or pooling layer: kernel, stride, dilation, padding (a "same" resolved), ceil_mode."""
    kernel = _int_pair(raw["kernel"])
    stride = _int_pair(raw.get("stride", list(kernel)))              # a pooling layer's stride is its kernel
    dilation = _int_pair(raw.get("dilation", 1))                     # average pooling has none
    padding, word = _padding(raw["padding"])
    ceil_mode = raw.get("ceil_mode", False)                          # a conv layer has none
    if word == "same" and ceil_mode:
        raise FieldError(field + ".ceil_mode", "ceil_mode cannot be combined with padding = \"same\" (\"same\" already"
                         " keeps ⌈n/s⌉ windows, the last one partly over the padding)", True,
                         "false, or an explicit padding")
    layer = Layer(kind, kernel, stride, padding or ((0, 0), (0, 0)), dilation, ceil_mode=ceil_mode, pad_word=word)
    if word == "same":
        layer = _resolve_same(layer, shape)
    if kind == "conv":
        return _conv(raw, layer, field, shape[-1])
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
    filters = raw["filters"]
    groups = _groups(raw, field, channels, filters)
    if "depth" in raw:
        depth = raw["depth"]
        want = channels // groups
        if depth != want:
            why = (f"the input has {plural(channels, 'channel')}" if groups == 1 else
                   f"the input's {channels} channels in {groups} groups give {want} per filter")
            raise FieldError(field + ".depth", f"a filter's depth must match its input: {why}", depth, str(want))
    return Layer("conv", layer.kernel, layer.stride, layer.padding, layer.dilation, filters=filters,
                 bias=raw["bias"], groups=groups, pad_word=layer.pad_word)


def _groups(raw: dict, field: str, channels: int, filters: int) -> int:
    groups = raw["groups"]
    for what, n in (("input channels", channels), ("filters", filters)):
        if n % groups:
            raise FieldError(field + ".groups", f"the {what} ({n}) cannot be split into {groups} equal groups",
                             groups, f"a divisor of both the input channels ({channels}) and the filters ({filters})")
    return groups
