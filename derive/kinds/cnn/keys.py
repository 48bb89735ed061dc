"""The network kind's spec keys, declared once: the input, its layout, the layer tables (one set of keys per
layer type) and ``layer``. The loader reads them; what depends on the shape a layer receives (one number on
a sequence, a pair on an image; a kernel that fits) is checked in ``reading``."""

from __future__ import annotations

from ...declare import REQUIRED, Boolean, Choice, Field, Integer, ListOf, Number, OneOf, Rule, Tagged
from .layers import ACTIVATIONS, POINTWISE, RECURRENT

MAX_STACKED = 100       # stacked recurrent layers in one rnn/lstm/gru layer

WHOLE = Integer(1)
PAIR = OneOf((WHOLE, ListOf(WHOLE, names=("height", "width"))))
PAIR_0 = OneOf((Integer(0), ListOf(Integer(0), names=("height", "width"))))
PADDING = OneOf((Integer(0), ListOf(OneOf((Integer(0), ListOf(Integer(0), names=("before", "after")))),
                                    names=("height", "width")),
                 Choice(("valid", "same"), "padding")))

FILTERS = Field("filters", WHOLE, "the filters (output channels)", REQUIRED)
KERNEL = Field("kernel", PAIR, "k for k × k, or [height, width]; on a sequence one number", REQUIRED)
STRIDE = Field("stride", PAIR, "entries the window moves per output", 1)
POOL_STRIDE = Field("stride", PAIR, "entries the window moves per output", Rule("the kernel"))
PAD = Field("padding", PADDING, "p on every side, [height, width] (each p or [before, after]), \"valid\" or"
            " \"same\" (TensorFlow's rule); on a sequence p, [before, after], \"valid\" or \"same\"", 0)
DILATION = Field("dilation", PAIR, "entries between neighbouring taps", 1)
GROUPS = Field("groups", WHOLE, "channel groups: must divide the input channels and the filters", 1)
BIAS = Field("bias", Boolean(), "a bias vector", True)
RECURRENT_BIAS = Field("bias", OneOf((Boolean(), Choice(("single",), "bias"))), "rnn, lstm, gru: true for PyTorch's"
                       " two bias vectors per gate block (b_ih and b_hh), \"single\" for one (Keras's SimpleRNN, LSTM, and"
                       " GRU with reset_after=False), false for none", True)
CEIL = Field("ceil_mode", Boolean(), "round the output size up (the last window starting inside the input)", False)
HEADS = Field("heads", WHOLE, "attention heads: must divide the features E", REQUIRED)

VARIANTS = {
    "conv": (FILTERS, KERNEL, STRIDE, PAD, DILATION, GROUPS, BIAS,
             Field("depth", WHOLE, "the filter depth the problem states; must be C_in/groups")),
    "maxpool": (KERNEL, POOL_STRIDE, PAD, DILATION, CEIL),
    "avgpool": (KERNEL, POOL_STRIDE, PAD, CEIL),
    "flatten": (),
    "dense": (Field("units", WHOLE, "the units", REQUIRED), BIAS),
    "batchnorm": (),
    **{a: () for a in ACTIVATIONS},
    "dropout": (Field("rate", Number(min=0, below=1), "the rate (shown in the setting only)"),),
    "embedding": (Field("vocab", WHOLE, "the vocabulary's size V", REQUIRED),
                  Field("dim", WHOLE, "the vectors' size D", REQUIRED)),
    **{r: (Field("hidden", WHOLE, "the hidden size H", REQUIRED),
           Field("layers", Integer(1, MAX_STACKED), "stacked layers", 1),
           Field("bidirectional", Boolean(), "both directions", False), RECURRENT_BIAS) for r in RECURRENT},
    "attention": (HEADS, BIAS),
    "transformer-encoder": (HEADS, Field("ff", WHOLE, "the feed-forward width", REQUIRED), BIAS),
    "layernorm": (),
    "conv-transpose": (FILTERS, KERNEL, STRIDE, Field("padding", PAIR_0, "p, or [height, width]", 0),
                       Field("output_padding", PAIR_0, "entries added after the output: smaller than the stride or"
                             " the dilation", 0), DILATION, GROUPS, BIAS),
    "pad": (Field("padding", PADDING, "the zeros to add, written as a conv's padding", REQUIRED),),
    "global-avgpool": (),
}

DOCS = {
    "conv": "a convolution (`nn.Conv2d`); on a sequence a 1D one (`nn.Conv1d`)",
    "maxpool": "max pooling (1D on a sequence)",
    "avgpool": "average pooling (1D on a sequence)",
    "flatten": "the image (or sequence) becomes a vector of all its numbers",
    "dense": "on a vector, or on a sequence per position (`[length, units]`, as `nn.Linear`)",
    "batchnorm": "2·C trainable (γ, β) and 2·C non-trainable (running mean and variance); on an image, a sequence"
                 " (`BatchNorm1d` over its features) or a vector; first on an input vector [n] without `batch`, the"
                 " vector is a batch of n scalars (n × 1, C = 1)",
    **{a: "0 parameters, shape unchanged" for a in ACTIVATIONS},
    "dropout": "0 parameters, shape unchanged; with `training = false` the identity",
    "embedding": "V·D parameters; the first layer, on an input `[n]` of token ids → `[n, dim]`",
    **{r: "PyTorch's layout, per layer and direction G·H·(I + H + 2) with G = 1, 4, 3 gate blocks and the two bias"
          " vectors b_ih, b_hh (`bias = \"single\"`: Keras's one, G·H·(I + H + 1)); output the whole sequence"
          " `[length, hidden · directions]`" for r in RECURRENT},
    "attention": "`nn.MultiheadAttention` self-attention, 4E² + 4E",
    "transformer-encoder": "`nn.TransformerEncoderLayer` (attention, E → ff → E feed-forward, two layer norms)",
    "layernorm": "over the last dimension, 2·D parameters",
    "conv-transpose": "`nn.ConvTranspose2d` (1d on a sequence), output (n − 1)·s − 2p + d(k − 1) + output_padding + 1",
    "pad": "zeros around the input",
    "global-avgpool": "→ 1 × 1 × C (1 × F on a sequence)",
}
assert set(DOCS) == set(VARIANTS) and set(POINTWISE) <= set(VARIANTS)

LAYER = Tagged("type", VARIANTS, "layer", docs=DOCS)
FIELDS = (
    Field("input", ListOf(WHOLE, 1, 3, words="[height, width, channels] (an image; with layout = \"CHW\","
                                             " [channels, height, width]), [length, features] (a sequence) or [n]"
                                             " (a vector)"),
          "the input: an image, a sequence of vectors, or a vector (n token ids before an `embedding`)", REQUIRED),
    Field("layout", Choice(("HWC", "CHW"), "layout"), "how a three-number input is read and image shapes are"
          " reported: height × width × channels, or PyTorch's channels × height × width", "HWC"),
    Field("layers", ListOf(LAYER, noun="layer tables", each="{field}[{n}]"), "the stack, in order", REQUIRED),
    Field("layer", WHOLE, "for `same-padding`: which conv layer (1-based; default the first conv); for"
          " `receptive-field`: the layer whose unit is meant (default the last)"),
    Field("batch", WHOLE, "a batch of N examples: every shape gets a leading N (batch first, as batch_first=True and"
          " Keras print them); counts stay per example"),
    Field("training", Boolean(), "false: the network in evaluation mode (model.eval()): dropout is the identity",
          True),
)
