"""conv-matrix beyond HW5's 1D symbols: the geometry of a 1D or 2D (transposed) convolution with channels,
the numbers a spec may give (x, f, upstream), and the layer computed from them.

Everything here is analysis: the layer as a list of taps (output entry, input entry, filter weight), from
which the matrix, the forward pass and both gradients follow. The narration is in plane.py and values.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Iterator

import sympy

from ... import fields
from ...declare import given
from ...fields import FieldError
from .keys import MAX_SIDE

MAX_MATRIX = 64           # the matrix question: at most 64 rows and 64 columns (a page's width of entries)
MAX_WORK = 600           # numbers: outputs × kernel entries × channel pairs at most 600 (each product is checked)
MAX_SHOWN = 400           # a matrix product F^T delta is shown in the key when F has at most this many entries


@dataclass(frozen=True)
class Geometry:
    """The layer's shape: per axis (one in 1D, height then width in 2D) the input, kernel, stride, padding
    (before, after), dilation and output padding; whether it is transposed; its channels."""

    input: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    output_padding: tuple[int, ...] = ()
    transposed: bool = False
    channels: tuple[int, int] = (1, 1)

    @property
    def dims(self) -> int:
        return len(self.input)

    @property
    def span(self) -> tuple[int, ...]:
        """d (k - 1) + 1 per axis."""
        return tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel))

    @property
    def output(self) -> tuple[int, ...]:
        """The layer's output size per axis: PyTorch's Conv or ConvTranspose formula."""
        if self.transposed:
            return tuple((n - 1) * s - sum(p) + sp - 1 + op + 1 for n, s, p, sp, op in
                         zip(self.input, self.stride, self.padding, self.span, self.output_padding))
        return tuple((n + sum(p) - sp) // s + 1 for n, s, p, sp in zip(self.input, self.stride, self.padding,
                                                                         self.span))

    @property
    def channel_dims(self) -> bool:
        """Whether x, f and upstream carry channel dimensions (channels other than [1, 1])."""
        return self.channels != (1, 1)

    def size(self, shape: tuple[int, ...]) -> int:
        out = 1
        for v in shape:
            out *= v
        return out

    def weight_shape(self) -> tuple[int, ...]:
        """f's shape: PyTorch's (c_out, c_in, k...) for a convolution, (c_in, c_out, k...) transposed."""
        if not self.channel_dims:
            return self.kernel
        ci, co = self.channels
        return ((ci, co) if self.transposed else (co, ci)) + self.kernel

    def in_shape(self) -> tuple[int, ...]:
        return ((self.channels[0],) if self.channel_dims else ()) + self.input

    def out_shape(self) -> tuple[int, ...]:
        return ((self.channels[1],) if self.channel_dims else ()) + self.output

    def taps(self) -> list[tuple[int, int, int]]:
        """The single-channel layer as (output entry, input entry, weight), flat row-major indices: the
        nonzero entries of its matrix. For a transposed layer, those of the convolution it is the transpose
        of (from the layer's output to its input), with rows and columns swapped."""
        if self.transposed:
            forward = forward_taps(self.output, self.input, self.kernel, self.stride, self.padding, self.dilation)
            return [(col, row, w) for row, col, w in forward]
        return forward_taps(self.input, self.output, self.kernel, self.stride, self.padding, self.dilation)


def forward_taps(size, out, kernel, stride, padding, dilation) -> list[tuple[int, int, int]]:
    """(output entry, input entry, weight) of the convolution from ``size`` to ``out``: output o meets
    weight k at input o s + k d - p_before on each axis, when that is inside the input."""
    found = []
    for o in product(*(range(m) for m in out)):
        for k in product(*(range(v) for v in kernel)):
            i = tuple(oa * s + ka * d - p[0] for oa, ka, s, d, p in zip(o, k, stride, dilation, padding))
            if all(0 <= ia < n for ia, n in zip(i, size)):
                found.append((flat(o, out), flat(i, size), flat(k, kernel)))
    return found


def flat(index: tuple[int, ...], shape: tuple[int, ...]) -> int:
    """Row-major (PyTorch's reshape) position of a multi-index."""
    pos = 0
    for i, n in zip(index, shape):
        pos = pos * n + i
    return pos


def unflat(pos: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        out.append(pos % n)
        pos //= n
    return tuple(reversed(out))


def weight_places(g) -> list[tuple[int, int, int]]:
    """(co, ci, k) of each entry of f in PyTorch's layout: (c_out, c_in, k...) or, transposed, (c_in, c_out, k...)."""
    c_in, c_out = g.channels
    kn = g.size(g.kernel)
    if g.transposed:
        return [(co, ci, k) for ci, co, k in product(range(c_in), range(c_out), range(kn))]
    return [(co, ci, k) for co, ci, k in product(range(c_out), range(c_in), range(kn))]


# --- the spec ---------------------------------------------------------------------------------------

def per_axis(values: dict, field: str, dims: int, default: int, minimum: int) -> tuple[int, ...]:
    """A whole number, or [height, width] in 2D (read by the declaration: a pair is refused in 1D here)."""
    raw = values.get(field, default)
    if isinstance(raw, list):
        if dims != 2:
            raise FieldError(field, "must be one whole number", raw, "a whole number")
        return tuple(raw)
    return (raw,) * dims


def padding_2d(values: dict) -> tuple[tuple[int, int], ...]:
    """padding: p, [p_h, p_w], or [[top, bottom], [left, right]]."""
    raw = values.get("padding", 0)
    if not isinstance(raw, list):
        return ((raw, raw), (raw, raw))
    return tuple(tuple(v) if isinstance(v, list) else (v, v) for v in raw)


def check_fits(g: Geometry) -> None:
    """At least one output on each axis: the dilated kernel fits in the padded input (of the convolution;
    of the one a transposed layer is the transpose of)."""
    axes = ("height", "width") if g.dims == 2 else ("length",)
    field = "kernel" if g.dims == 2 else "width"
    for ax, n, sp, p in zip(axes, g.input, g.span, g.padding):
        if g.transposed:
            continue
        if sp > n + sum(p):
            raise FieldError(field, f"along the {ax} the kernel spans {sp} entries but the padded input has only"
                                    f" {n + sum(p)}, so there is no output", list(g.kernel),
                             f"a kernel spanning at most {n + sum(p)} entries")
    if g.transposed:
        for ax, m, n in zip(axes, g.output, g.input):
            if m < 1:
                raise FieldError("padding", f"the transposed layer's output {ax} would be {m}: the padding removes"
                                            " more than the layer makes", None, "less padding")
            if m > (MAX_SIDE if g.dims == 2 else 128):
                raise FieldError("input", f"the transposed layer's output {ax} would be {m}, above the limit",
                                 list(g.input), "a smaller input or stride")


def output_padding(values: dict, dims: int, stride, dilation, transposed: bool) -> tuple[int, ...]:
    if "output_padding" in given(values) and not transposed:
        raise FieldError("output_padding", "only a transposed convolution has an output padding",
                         values["output_padding"], "transposed = true, or no output_padding")
    op = per_axis(values, "output_padding", dims, 0, 0)
    for o, s, d in zip(op, stride, dilation):
        if o >= s and o >= d:
            raise FieldError("output_padding", f"must be smaller than the stride ({s}) or the dilation ({d}):"
                                               " a larger one would add outputs no input reaches (PyTorch refuses"
                                               " it too)", values.get("output_padding"),
                             f"a whole number below {max(s, d)}")
    return op


def tensor(values: dict, field: str, shape: tuple[int, ...], meaning: str) -> tuple[sympy.Rational, ...] | None:
    """A list (nested to ``shape``) of exact numbers, flattened row-major; None when not given."""
    if field not in values:
        return None
    raw = values[field]
    out: list = []
    _collect(raw, shape, field, out, raw, meaning)
    return tuple(out)


def _collect(raw, shape, field, out, whole, meaning) -> None:
    want = " × ".join(map(str, shape))
    if not shape:
        out.append(fields.to_rational(raw, field))
        return
    if not isinstance(raw, list) or len(raw) != shape[0]:
        raise FieldError(field, f"must have the shape of {meaning}, {want}", whole,
                         f"{'a list' if len(shape) == 1 else 'nested lists'} of shape {want}")
    for v in raw:
        _collect(v, shape[1:], field, out, whole, meaning)


def channels(values: dict) -> tuple[int, int]:
    return tuple(values.get("channels", (1, 1)))


def entries(values: tuple, shape: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], sympy.Rational]]:
    for pos, v in enumerate(values):
        yield unflat(pos, shape), v
