"""The conv-matrix kind's spec keys, declared once. What depends on other keys (1D or 2D, the numbers' shapes,
the signs' count, the weight 'wrt' names) is checked by ``config`` (HW5's 1D symbols) and ``layer``."""

from __future__ import annotations

from ...declare import Boolean, Choice, Field, Formula, Integer, ListOf, Nested, Number, OneOf, Rule, Text
from ...mathparse import NAMED, parse_activation

MAX_LENGTH = 1000         # inputs: above 128 F is built from its band (band.py), the first and last rows shown
MAX_SIDE = 32             # each side of a 2D input (and a transposed layer's output) at most 32
MAX_CHANNELS = 8          # c_in, c_out at most 8

PAIR = ListOf(Integer(1), names=("height", "width"))
PER_AXIS = OneOf((Integer(1), PAIR))
PER_AXIS_0 = OneOf((Integer(0), ListOf(Integer(0), names=("height", "width"))))
PADDING = OneOf((Integer(0), ListOf(OneOf((Integer(0), ListOf(Integer(0), names=("before", "after")))),
                                    names=("left", "right"), words="[left, right] (1D) or [height, width] (2D)")))
NUMBERS = Nested(Number(), words="numbers: a list, or lists of them (rows, channels)")
ZERO_SIGN = ("an argument of exactly 0 sits on the activation's kink: say which side's slope to take, or give the"
             " numbers x and f (derive then takes PyTorch's slope there for relu, leaky_relu and |z|)")
ACTIVATION = Formula("LaTeX in z such as '\\max(0, z)' or '\\tanh(z)', or a name: " + ", ".join(sorted(NAMED)),
                     ("relu", "tanh", "\\max(0, z)"), parse=parse_activation)

FIELDS = (
    Field("length", Integer(1, MAX_LENGTH), "1D: the input length n (1 to 128 with numbers, channels or"
          " transposed; above 128 inputs the band m × k has at most 20 000 entries)", Rule("1D: required")),
    Field("width", OneOf((Integer(1), ListOf(Integer(1), names=("k1", "k2")))), "1D: the filter width k; for"
          " `compose`, the two filters' widths", Rule("1D: required")),
    Field("input", ListOf(Integer(1, MAX_SIDE), names=("h", "w")), "2D: the input's height and width, instead of"
          " `length`", Rule("2D: required")),
    Field("kernel", ListOf(Integer(1, MAX_SIDE), names=("kh", "kw")), "2D: the kernel's height and width, instead"
          " of `width`", Rule("2D: required")),
    Field("stride", PER_AXIS, "s, entries the filter moves per output; 2D: a number or [height, width];"
          " `compose`: a number or [layer 1, layer 2]", 1),
    Field("padding", PADDING, "zeros added on both sides; 1D [left, right]; 2D [height, width] or"
          " [[top, bottom], [left, right]]", 0),
    Field("dilation", PER_AXIS, "d, entries between neighbouring filter weights; 2D: a number or [height, width];"
          " `compose`: a number or [layer 1, layer 2]", 1),
    Field("transposed", Boolean(), "the layer is the transposed convolution (PyTorch's ConvTranspose) with this"
          " kernel, stride, padding and dilation; its input is `input`/`length`", False),
    Field("output_padding", PER_AXIS_0, "transposed only: entries added after the output; below the stride or the"
          " dilation (PyTorch's rule)", 0),
    Field("channels", ListOf(Integer(1, MAX_CHANNELS), names=("c_in", "c_out")), "input and output channels; other"
          " than [1, 1], `x` has a leading channel dimension, `upstream` one of c_out, and `f` PyTorch's weight"
          " layout [c_out][c_in][k…] (transposed: [c_in][c_out][k…])", [1, 1]),
    Field("x", NUMBERS, "the input's numbers: a list (1D) or a list of rows (2D)"),
    Field("f", NUMBERS, "the filter's numbers: a list or a list of rows (with channels, PyTorch's layout);"
          " `compose`: [[layer 1's], [layer 2's]]"),
    Field("upstream", NUMBERS, "∂L/∂a, the gradient arriving at the layer's output, in the output's shape"),
    Field("activation", ACTIVATION, "the activation φ after the convolution", "relu"),
    Field("wrt", Text("a filter weight by its JSON name", ("f1", "f2")), "for `gradient`: the filter weight,"
          " \"f1\" … \"fk\" in 1D, \"f11\" … in 2D (\"f1_10\" when an index has two digits), \"f^(a,b)_11\" …"
          " with channels (f_{12} is read as f12)"),
    Field("signs", Nested(Choice(("+", "-"), "sign", hints={"0": ZERO_SIGN}), words='"+" or "-" each: a list, or lists of them (the output\'s shape)'),
          "for a kinked activation (ReLU, leaky ReLU, |z|, …): the sign of each argument z_r, flat row by row or in"
          " the output's shape; with x and f they come from the numbers (given ones must agree where z_r is not"
          " 0, and pick the side's slope where it is 0)"),
    Field("blank", ListOf(Integer(1), names=("rows", "columns")), "1D: the blank drawn in the question (a note says"
          " when F's shape differs)"),
)
