"""The layers of a network stack: their vocabulary, the Layer and Config records, and the shape each outputs.

A shape is (height, width, channels) for an image, (length, features) for a sequence and (n,) for a
vector; the `layout` only changes how an image's shape is read and shown (see ``show``)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

POOLS = ("maxpool", "avgpool")
SPATIAL = ("conv",) + POOLS
RECURRENT = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}     # weight blocks per layer and direction, as PyTorch stacks them
SEQUENCE_ONLY = RECURRENT + ("attention", "transformer-encoder")
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
    "embedding": ("type", "vocab", "dim"),
    **{r: ("type", "hidden", "layers", "bidirectional", "bias") for r in RECURRENT},
    "attention": ("type", "heads", "bias"),
    "transformer-encoder": ("type", "heads", "ff", "bias"),
    "layernorm": ("type",),
    "conv-transpose": ("type", "filters", "kernel", "stride", "padding", "output_padding", "dilation", "groups",
                       "bias"),
    "pad": ("type", "padding"),
    "global-avgpool": ("type",),
}
LAYER_NAMES = {"conv": "convolutional layer", "maxpool": "max pooling layer", "avgpool": "average pooling layer",
               "flatten": "flatten layer", "dense": "dense layer", "batchnorm": "batch normalization layer",
               **{a: f"{POINTWISE[a]} layer" for a in ACTIVATIONS}, "dropout": "dropout layer",
               "embedding": "embedding layer", "rnn": "RNN layer", "lstm": "LSTM layer", "gru": "GRU layer",
               "attention": "multi-head attention layer", "transformer-encoder": "transformer encoder layer",
               "layernorm": "layer normalization layer", "conv-transpose": "transposed convolutional layer",
               "pad": "zero-padding layer", "global-avgpool": "global average pooling layer"}
PADDING_FORMS = 'a whole number >= 0, [height, width], [[top, bottom], [left, right]], "valid" or "same"'
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
    seq: bool = False                   # conv or pooling over a sequence: 1D, the second dimension unused
    output_padding: tuple[int, int] = (0, 0)    # conv-transpose
    depth: int = 1                      # rnn, lstm, gru: stacked layers
    directions: int = 1                 # rnn, lstm, gru: 2 when bidirectional
    heads: int = 0                      # attention, transformer-encoder
    ff: int = 0                         # transformer-encoder: the feed-forward width
    vocab: int = 0                      # embedding (its dim is `filters`)
    single_bias: bool = False           # rnn, lstm, gru: one bias vector per gate block (Keras's), not PyTorch's two
    scalars: bool = False               # batchnorm first on an input vector: a batch of scalars (n × 1)

    @property
    def name(self) -> str:
        return LAYER_NAMES[self.type]

    @property
    def spatial(self) -> bool:
        return self.type in SPATIAL

    @property
    def bias_vectors(self) -> int:
        """Bias vectors per gate block of a recurrent layer: PyTorch's 2, Keras's 1, or none."""
        return 0 if not self.bias else 1 if self.single_bias else 2

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
    layout: str = "HWC"                 # how an image's shape is read and shown
    summary_ask: str | None = None      # a long stack: the question whose key shows the summary table
    batch: int | None = None            # a batch of N: every shape shown with a leading N
    training: bool = True               # false: evaluation mode (dropout the identity)

    def show(self, shape) -> str:
        """A shape as the spec's layout writes it (with the batch first)."""
        return _dims(self.batched(shape))

    def batched(self, shape) -> tuple[int, ...]:
        """A shape as the answer gives it: the layout's order, the batch first."""
        return ((self.batch,) if self.batch else ()) + tuple(ordered(shape, self.layout))


# --- sizes -----------------------------------------------------------------------------------

def out_size(size: int, layer: Layer, dim: int) -> int:
    """Output length along one dimension (PyTorch's rule, ceil_mode included)."""
    (pb, pa), s = layer.padding[dim], layer.stride[dim]
    span = size + pb + pa - layer.eff(dim)
    if not layer.ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= size + pb else out


def transposed_size(size: int, layer: Layer, dim: int) -> int:
    """A transposed convolution's output length: (n − 1)s − 2p + d(k − 1) + output_padding + 1."""
    return ((size - 1) * layer.stride[dim] - sum(layer.padding[dim]) + layer.eff(dim) - 1
            + layer.output_padding[dim] + 1)


def out_shape(layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Output shape of one layer: (height, width, channels) for an image, (length, features) for a
    sequence, (n,) for a vector."""
    channels = layer.filters if layer.type in ("conv", "conv-transpose") else shape[-1]
    if layer.spatial or layer.type in ("conv-transpose", "pad"):
        size = transposed_size if layer.type == "conv-transpose" else \
            (lambda n, l, d: n + sum(l.padding[d])) if layer.type == "pad" else out_size
        if len(shape) == 2:
            return (size(shape[0], layer, 0), channels)
        return (size(shape[0], layer, 0), size(shape[1], layer, 1), channels)
    if layer.type == "global-avgpool":
        return (1,) * (len(shape) - 1) + shape[-1:]
    if layer.type == "flatten":
        return (_prod(shape),)
    if layer.type == "dense":
        return shape[:-1] + (layer.filters,)
    if layer.type == "embedding":
        return (shape[0], layer.filters)
    if layer.type in RECURRENT:
        return (shape[0], layer.filters * layer.directions)
    return shape


def ordered(shape, layout: str) -> tuple[int, ...]:
    """An image's (height, width, channels) as the layout orders it (CHW: channels first)."""
    if layout == "CHW" and len(shape) == 3:
        return (shape[2], shape[0], shape[1])
    return tuple(shape)


def _same_total(size: int, eff: int, s: int) -> int:
    """The padding, in all, that TensorFlow's "same" adds: (⌈n/s⌉ − 1)·s + k_eff − n, at least 0."""
    return max((-(-size // s) - 1) * s + eff - size, 0)


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
