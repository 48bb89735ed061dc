"""The shapes and same-padding questions: each layer's output shape, and the padding that keeps a size."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...steps import Answer, Solution, Step, Text, chain, let, say, step, written_product, written_sum
from ...symbols import FloorDiv, Quotient
from ...words import plural
from .layers import RECURRENT, ROWS, WORDS, Config, Layer, _dims, _prod, _same_total, ordered, out_shape, out_size
from .notation import EMBED, HEAD_DIM, HEADS, N, D, K, K_EFF, N_IN, N_OUT, P, P_A, P_B, S, _label


def _span(layer: Layer):
    """n_in + 2p − k (or with p_b + p_a, k_eff): what the stride divides."""
    kern = K if layer.dilation == (1, 1) else K_EFF
    if layer.symmetric(0) and layer.symmetric(1):
        return written_sum(N_IN, written_product(2, P), -kern)
    return written_sum(N_IN, P_B, P_A, -kern)


def _formula(layer: Layer):
    """n_out in terms of n_in, the padding, kernel, stride (and dilation), as PyTorch computes it."""
    span = _span(layer)
    core = (FloorDiv(span, S, evaluate=False) if not layer.ceil_mode
            else sympy.ceiling(Quotient(span, S, evaluate=False), evaluate=False))
    return let(N_OUT, written_sum(core, 1))


def _size_chain(size: int, layer: Layer, dim: int):
    """The formula with this layer's numbers, and its value (before ceil_mode's last-window rule)."""
    (pb, pa), s = layer.padding[dim], layer.stride[dim]
    pad = [written_product(2, pb)] if layer.symmetric(0) and layer.symmetric(1) else [pb, pa]
    inner = written_sum(size, *pad, -layer.eff(dim))
    span = size + pb + pa - layer.eff(dim)
    if layer.ceil_mode:
        return written_sum(sympy.ceiling(Quotient(inner, s, evaluate=False), evaluate=False), 1), -(-span // s) + 1
    return written_sum(FloorDiv(inner, s, evaluate=False), 1), span // s + 1


def _spatial_step(k: int, layer: Layer, shape, out, c: Config) -> tuple[list[Step], list[Text]]:
    steps, notes = [], []
    dims = (0,) if shape[0] == shape[1] and layer.square() else (0, 1)
    which = "height and width alike" if len(dims) == 1 else "height, then width"
    depth = (f"the depth is the number of filters, {layer.filters}" if layer.type == "conv"
             else f"pooling works on each channel separately, so the depth stays {shape[-1]}")
    chains, extra = [], []
    if layer.dilation != (1, 1):
        same_eff = layer.kernel[0] == layer.kernel[1] and layer.dilation[0] == layer.dilation[1]
        for dim in (0,) if same_eff else (0, 1):
            d, kk = layer.dilation[dim], layer.kernel[dim]
            chains.append(chain(written_sum(written_product(d, written_sum(kk, -1)), 1), layer.eff(dim)))
    for dim in dims:
        shown, value = _size_chain(shape[dim], layer, dim)
        chains.append(chain(shown, value))
        if layer.ceil_mode and value != out[dim]:
            more, why = _ceil_drop(k, layer, shape[dim], dim, value, WORDS[dim])
            extra.append(more)
            notes.append(why)
    intro = f"{_label(k, layer)}, input {c.show(shape)}: "
    dil = (", with the effective kernel " if layer.dilation != (1, 1) else "")
    pieces = [intro, _formula(layer), f" ({which})"]
    if dil:
        pieces += [dil, let(K_EFF, written_sum(written_product(D, written_sum(K, -1)), 1))]
    if not (layer.symmetric(0) and layer.symmetric(1)):
        pieces += [", ", P_B, " and ", P_A, " the padding before and after"]
    if layer.ceil_mode:
        pieces.append(", rounding up as ceil_mode asks")
    pieces.append(f"; {depth}. Output {c.show(out)}.")
    steps.append(step(say(*pieces), *chains))
    steps += extra
    notes += _surprises(k, layer, shape)
    return steps, notes


def _ceil_drop(k: int, layer: Layer, size: int, dim: int, value: int, word: str) -> tuple[Step, Text]:
    """ceil_mode's extra window that would start in the padding after the input: the step dropping it, and
    the note saying so."""
    s, pb = layer.stride[dim], layer.padding[dim][0]
    where = "the padding before it" if layer.seq else "its top/left padding"
    drop = step(say(f"In the {word} the last of these {value} windows would start at (out − 1)·s, at or past the"
                    f" end of the input and {where} (n + p_b); PyTorch drops a window that starts"
                    f" in the {'padding after it' if layer.seq else 'bottom/right padding'}, leaving {value - 1}:"),
                chain(written_product(value - 1, s), ">=", written_sum(size, pb)),
                chain(written_sum(value, -1), value - 1))
    note = say(f"Layer {k + 1}: with ceil_mode the {word} would get one more window, but it would"
               " start in the padding after the input, so PyTorch drops it (its rule: the last window"
               " must start inside the input or the padding before it).")
    return drop, note


def _surprises(k: int, layer: Layer, shape) -> list[Text]:
    """Legal but surprising geometry: rows dropped by the floor, windows past the input, padding beyond what
    "same" needs, skipped inputs. A fact that holds alike in the height and the width is said once."""
    both = ("height and width", "rows and columns", "row and column")
    notes = []
    found = [_dim_surprises(k, layer, shape, dim, (WORDS[dim], ROWS[dim], ROWS[dim][:-1])) for dim in (0, 1)]
    alike = [_dim_surprises(k, layer, shape, dim, both) for dim in (0, 1)]
    for kind in dict.fromkeys([*found[0], *found[1]]):
        if kind in alike[0] and alike[0].get(kind) == alike[1].get(kind):
            notes.append(alike[0][kind])
        else:
            notes += [f[kind] for f in found if kind in f]
    return notes


def _dim_surprises(k: int, layer: Layer, shape, dim: int, words: tuple[str, str, str]) -> dict[str, Text]:
    """The surprises of one dimension, by kind ('floor', 'ceil', 'padding', 'stride'), in the given words."""
    size, (pb, pa), s, eff = shape[dim], layer.padding[dim], layer.stride[dim], layer.eff(dim)
    word, rows, row = words
    kernel = f"{'effective ' if layer.dilation[dim] > 1 else ''}kernel"
    notes = {}
    rest = (size + pb + pa - eff) % s
    if rest > pa and not layer.ceil_mode:                    # a remainder inside the padding loses nothing
        what = f"{rest} {rows} of the padded input are" if rest > 1 else f"{row} of the padded input is"
        notes["floor"] = say(f"Layer {k + 1}: the floor bites in the {word}: ", Quotient(_span(layer), S, evaluate=False),
                             f" leaves remainder {rest}, so the last {what} covered by no window and dropped.")
    if layer.ceil_mode:
        over = (out_size(size, layer, dim) - 1) * s + eff - (size + pb + pa)
        if over > 0:
            notes["ceil"] = say(f"Layer {k + 1}: with ceil_mode the last window in the {word} reaches {over} past"
                                " the padded input; it pools over the values that are there (PyTorch's average"
                                " divides by their number).")
    if layer.type == "conv" and max(pb, pa) * 2 > eff - 1:
        notes["padding"] = _overpadding(k, layer, size, dim, (word, rows, row, kernel))
    if s > eff:
        notes["stride"] = say(f"Layer {k + 1}: the stride ({s}) is larger than the {kernel} ({eff}) in the {word}:"
                              f" {s - eff} of every {s} {rows} are skipped, seen by no window.")
    return notes


def _overpadding(k: int, layer: Layer, size: int, dim: int, words: tuple[str, str, str, str]) -> Text:
    """Padding beyond the (k_eff - 1)/2 a side that "same" needs: what the border units see."""
    word, rows, row, kernel = words
    (pb, pa), s, eff = layer.padding[dim], layer.stride[dim], layer.eff(dim)
    p = max(pb, pa)
    out = out_size(size, layer, dim)
    head = -(-(pb - eff + 1) // s) if pb >= eff else 0         # windows ending before the input
    tail_ = max(0, out - -(-(pb + size) // s))                  # windows starting after it
    blind = min(out, head + tail_)
    if blind:
        seen = (f"{blind} of the output's {rows} see nothing but padding (their value is the bias alone)")
    else:
        pad_rows, input_rows = min(pb, eff), eff - min(pb, eff)
        share = "more padding than input" if pad_rows > input_rows else \
            "as much padding as input" if pad_rows == input_rows else "more input than padding"
        seen = (f"the first unit's window covers {plural(pad_rows, row, rows)} of padding and"
                f" {plural(input_rows, row, rows)} of the input ({share})")
    return say(f"Layer {k + 1}: a padding of {p} in the {word} is more than the ",
               chain(Quotient(written_sum(eff, -1), 2, evaluate=False), sympy.Rational(eff - 1, 2)),
               f" a side that “same” needs with a {kernel} of {eff}, so the output is larger than the input; {seen}.")


def _sequence_step(c: Config, k: int, layer: Layer, shape, out) -> tuple[list[Step], list[Text]]:
    """A conv or pooling layer along a sequence (1D): the length by the floor (or ceil_mode's) rule."""
    shown, value = _size_chain(shape[0], layer, 0)
    rounding = ", rounding up as ceil_mode asks" if layer.ceil_mode else ""
    steps = [step(say(f"{_label(k, layer)}, input {c.show(shape)}: along the sequence ", _formula(layer),
                      f"{rounding}; the features become {out[-1]}. Output {c.show(out)}."), chain(shown, value))]
    notes = list(_dim_surprises(k, layer, shape, 0, ("length", "positions", "position")).values())
    if layer.ceil_mode and value != out[0]:
        drop, note = _ceil_drop(k, layer, shape[0], 0, value, "length")
        return steps + [drop], [note] + notes
    return steps, notes


def _new_shape_step(c: Config, k: int, layer: Layer, shape, out) -> Step:
    """The shape step of a layer over a sequence, a vector, or one of the network layers."""
    label, t = _label(k, layer), layer.type
    if t == "conv-transpose":
        dims = (0,) if layer.seq else (0, 1)
        chains = [chain(written_sum(written_product(written_sum(shape[d], -1), layer.stride[d]),
                                    -written_product(2, layer.padding[d][0]),
                                    written_product(layer.dilation[d], written_sum(layer.kernel[d], -1)),
                                    layer.output_padding[d], 1), out[d]) for d in dims]
        return step(say(f"{label}, input {c.show(shape)}: a transposed convolution spreads each input over the"
                        " output, n_out = (n_in − 1)·s − 2p + d(k − 1) + output_padding + 1"
                        + (" (height, then width)" if len(dims) == 2 else "") +
                        f"; the depth is the number of filters, {layer.filters}. Output {c.show(out)}."), *chains)
    if t == "pad":
        dims = (0,) if len(shape) == 2 else (0, 1)
        chains = [chain(written_sum(shape[d], *layer.padding[d]), out[d]) for d in dims]
        return step(say(f"{label}: zeros are added before and after"
                        + (" the sequence" if len(shape) == 2 else " in the height and the width")
                        + f". Output {c.show(out)}."), *chains)
    if t in ("attention", "transformer-encoder"):
        return _heads_step(c, label, layer, shape, out)
    return step(say(f"{label}: " + SHAPE_WORDS[t](layer, shape, out, c)))


def heads(c: Config, layer: Layer, shape) -> tuple[str, str]:
    """An attention layer's per-head shapes: Q, K and V (heads × L × d_k), the scores (heads × L × L)."""
    h, ell = layer.heads, shape[0]
    lead = (c.batch,) if c.batch else ()
    return _dims(lead + (h, ell, shape[-1] // h)), _dims(lead + (h, ell, ell))


def _heads_step(c: Config, label: str, layer: Layer, shape, out) -> Step:
    qkv, scores = heads(c, layer, shape)
    e, h = shape[-1], layer.heads
    return step(say(f"{label}: " + SHAPE_WORDS[layer.type](layer, shape, out, c) + f" Inside, the queries, keys and"
                    f" values are split into {h} head{'s' if h > 1 else ''} of ", let(HEAD_DIM, Quotient(EMBED, HEADS,
                                                                                                      evaluate=False)),
                    f" features: per head Q, K and V are {qkv} ({_batch(c)}heads × length × d_k), and the scores"
                    f" Q Kᵀ/√d_k and their softmax {scores} ({_batch(c)}heads × length × length):"),
                chain(Quotient(e, h, evaluate=False), e // h))


SHAPE_WORDS = {
    "embedding": lambda l, s, o, c: (f"each of the {s[0]} token ids is replaced by its vector of {l.filters} numbers;"
                                     f" output {c.show(o)} ({_batch(c)}length × features)."),
    **{r: lambda l, s, o, c: (f"it returns its hidden state at each of the {s[0]} steps, "
                              + (f"the two directions' {l.filters} numbers side by side, " if l.directions == 2
                                 else "") + f"from its last stacked layer; output {c.show(o)}.")
       for r in RECURRENT},
    "attention": lambda l, s, o, c: (f"each position's output is a mix of all positions' values, projected back to"
                                     f" the embedding's size; the shape stays {c.show(o)}."),
    "transformer-encoder": lambda l, s, o, c: f"attention and a feed-forward block with residual sums; the shape"
                                              f" stays {c.show(o)}.",
    "layernorm": lambda l, s, o, c: f"normalizes the last dimension; the shape stays {c.show(o)}.",
    "global-avgpool": lambda l, s, o, c: (f"the mean of each channel over all {_prod(s[:-1])} positions; output"
                                          f" {c.show(o)}."),
    "dense": lambda l, s, o, c: (f"the same {s[-1]} → {l.filters} map at each of the {s[0]} positions; output"
                                 f" {c.show(o)}."),
    "flatten": lambda l, s, o, c: (f"the {_dims(s)} sequence is laid out as one vector of {o[0]} numbers"
                                   + (f" (per example: {c.show(o)})." if c.batch else ".")),
}


def _batch(c: Config) -> str:
    return "batch × " if c.batch else ""


def layer_shape_steps(c: Config, k: int) -> tuple[list[Step], list[Text]]:
    """The steps working out layer k's output shape (0-based), and any notes they need."""
    layer, shape, out = c.layers[k], c.shapes[k], c.shapes[k + 1]
    label, steps = _label(k, layer), []
    if layer.seq and layer.spatial:
        return _sequence_step(c, k, layer, shape, out)
    if layer.type in SHAPE_WORDS or layer.type in ("conv-transpose", "pad") or layer.seq:
        if layer.type not in ("dense", "flatten") or len(shape) == 2:
            return [_new_shape_step(c, k, layer, shape, out)], []
    if layer.spatial:
        return _spatial_step(k, layer, shape, out, c)
    if layer.type == "flatten":
        if len(shape) == 1:
            steps.append(step(say(f"{label}: its input is already a vector; {plural(shape[0], 'number')}.")))
        else:
            each = " each example's" if c.batch else " the"
            steps.append(step(say(f"{label}:{each} {_dims(ordered(shape, c.layout))} block is laid out as one vector"
                                  " (PyTorch orders it channel by channel, Keras pixel by pixel; the length is the"
                                  f" same){', ' + c.show(out) + ' in all' if c.batch else ''}:"),
                              chain(written_product(*ordered(shape, c.layout)), out[0])))
    elif layer.type == "dense":
        steps.append(step(say(f"{label}: one output per unit, {plural(out[0], 'number')}"
                              + (f" per example, {c.show(out)} in all." if c.batch else "."))))
    else:
        steps.append(step(say(f"{label}: {_pointwise(c, layer, shape)}; the shape stays {c.show(out)}.")))
    return steps, []


def _pointwise(c: Config, layer: Layer, shape) -> str:
    if layer.type == "batchnorm":
        return (f"normalizes the batch of {shape[0]} scalars (read as {shape[0]} × 1)" if layer.scalars else
                "normalizes each channel")
    if layer.type == "dropout":
        return ("in evaluation mode (model.eval()) it passes its input through unchanged" if not c.training else
                "zeroes random numbers while training")
    return "acts on each number"


def _shapes(c: Config) -> Solution:
    steps, notes = [], []
    for k in range(len(c.layers)):
        more, why = layer_shape_steps(c, k)
        steps += more
        notes += why
    notes += _notes(c)
    listing = "; ".join(f"layer {k + 1}: {c.show(s)}" + _per_head(c, k) for k, s in enumerate(c.shapes[1:]))
    return Solution(question=say("What are the dimensions (shape) of the activation outputs for each layer?"),
                    steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=[list(c.batched(s)) for s in c.shapes[1:]],
                                  text=say(listing[0].upper() + listing[1:] + _shape_tail(c) + ".")))


def _per_head(c: Config, k: int) -> str:
    layer = c.layers[k]
    if layer.type not in ("attention", "transformer-encoder"):
        return ""
    qkv, scores = heads(c, layer, c.shapes[k])
    return f" (per head: Q, K, V {qkv}, scores {scores})"


def _notes(c: Config) -> list[Text]:
    """The inverted-dropout note in evaluation mode."""
    if c.training or not any(l.type == "dropout" for l in c.layers):
        return []
    return [dropout_note()]


def dropout_note() -> Text:
    return say("PyTorch's dropout is inverted: while training it zeroes each number with probability p and scales the"
               " kept ones by 1/(1 − p), so that their expected value is unchanged; in evaluation mode (model.eval())"
               " it is the identity, with no rescaling. The original paper scaled the weights by 1 − p at test time"
               " instead.")


def _shape_tail(c: Config) -> str:
    tail = _shape_words(c)
    return f" (the batch of {c.batch} first; " + tail[2:] if c.batch else tail


def _shape_words(c: Config) -> str:
    kinds = {len(s) for s in c.shapes}
    if kinds <= {1, 3} and 3 in kinds:
        image = "channels × height × width" if c.layout == "CHW" else "height × width × channels"
        return f" ({image}" + ("; one number, a vector's length, after flattening)" if 1 in kinds else ")")
    words = [w for n, w in ((3, "channels × height × width" if c.layout == "CHW" else "height × width × channels"),
                            (2, "length × features"), (1, "a vector's length")) if n in kinds]
    return " (" + "; ".join(words) + ")"


# --- "same" padding --------------------------------------------------------------------------

@dataclass(frozen=True)
class SameDim:
    """The "same" padding along one dimension: the input size, the layer's geometry, the padding in all
    and its split (the odd one after); target is the output TensorFlow keeps, ⌈n/s⌉."""

    size: int
    kernel: int
    stride: int
    dilation: int
    eff: int
    target: int
    total: int
    before: int
    after: int

    @property
    def value(self):
        return self.before if self.before == self.after else [self.before, self.after]


@dataclass(frozen=True)
class SamePadding:
    """The padding that keeps a conv layer's height and width (index: the layer, 0-based); dims holds
    the height and, when its geometry differs, the width."""

    index: int
    dims: tuple[SameDim, ...]
    value: object               # an int, [before, after], or {"height": ..., "width": ...}
    out: tuple[int, ...]        # the layer's output with that padding


def same_padding(c: Config) -> SamePadding:
    index = c.layer - 1 if c.layer is not None else next(k for k, l in enumerate(c.layers) if l.type == "conv")
    layer, shape = c.layers[index], c.shapes[index]
    alike = layer.kernel[1] == layer.kernel[0] and layer.stride[1] == layer.stride[0] and \
        layer.dilation[1] == layer.dilation[0] and shape[0] == shape[1]
    dims = []
    for dim in (0,) if alike else (0, 1):
        size, s, eff = shape[dim], layer.stride[dim], layer.eff(dim)
        total = eff - 1 if s == 1 else _same_total(size, eff, s)
        dims.append(SameDim(size, layer.kernel[dim], s, layer.dilation[dim], eff, -(-size // s), total,
                            total // 2, total - total // 2))
    values = [dims[0].value, dims[-1].value]
    value = values[0] if values[0] == values[1] else {"height": values[0], "width": values[1]}
    pads = [(d.before, d.after) for d in (dims[0], dims[-1])]
    resolved = Layer("conv", layer.kernel, layer.stride, tuple(pads), layer.dilation, filters=layer.filters)
    return SamePadding(index, tuple(dims), value, out_shape(resolved, shape))


def _same_total_step(d: SameDim, word: str) -> Step:
    """The padding, in all, that keeps (or, with a stride, TensorFlow-keeps) one dimension."""
    if d.stride == 1 and d.dilation == 1:
        return step(say(f"With stride 1 the {word} is kept when ", let(written_sum(N, 2 * P, -K, 1), N),
                        ", i.e. the padding adds up to k − 1 in total:"), chain(written_sum(d.kernel, -1), d.total))
    if d.stride == 1:
        return step(say(f"With stride 1 and dilation {d.dilation} the {word} is kept when ",
                        let(written_sum(N, 2 * P, -written_product(D, written_sum(K, -1)), -1, 1), N),
                        ", i.e. the padding adds up to d(k − 1) in total:"),
                    chain(written_product(d.dilation, written_sum(d.kernel, -1)), d.total))
    kshow = "k" if d.dilation == 1 else "k_eff"
    return step(say(f"With stride {d.stride} no padding keeps the {word}: the output has at most ⌈n/s⌉"
                    " units, so PyTorch's padding = \"same\" refuses strides above 1. TensorFlow's"
                    " \"same\" asks for exactly ",
                    chain(sympy.ceiling(Quotient(d.size, d.stride, evaluate=False), evaluate=False), d.target),
                    f" outputs, which needs padding (out − 1)·s + {kshow} − n in total (at least 0):"),
                chain(sympy.Max(written_sum(written_product(d.target - 1, d.stride), d.eff, -d.size), 0,
                                evaluate=False), d.total))


def _same_split_step(d: SameDim, word: str) -> Step:
    if d.before == d.after:
        return step(say(f"Split evenly: {d.before} on each side of the {word}."),
                    chain(Quotient(d.total, 2, evaluate=False), d.before))
    return step(say(f"{d.total} is odd, so the padding cannot be symmetric: {d.before} before and {d.after}"
                    f" after in the {word} (the extra one goes after, as in PyTorch and TensorFlow)."))


def _same_answer(sp: SamePadding) -> str:
    value = sp.value
    if isinstance(value, int):
        return f"Padding {value} (on each side)"
    if isinstance(value, list):
        return f"Padding {_vtext(value)} (before, after)"
    return (f"Padding {_vtext(value['height'])} (height), {_vtext(value['width'])} (width)" +
            (" (before, after)" if any(isinstance(v, list) for v in value.values()) else " (on each side)"))


def _same_padding(c: Config) -> Solution:
    sp = same_padding(c)
    layer, shape = c.layers[sp.index], c.shapes[sp.index]
    steps = []
    for d, word in zip(sp.dims, WORDS):
        steps += [_same_total_step(d, word), _same_split_step(d, word)]
    notes = []
    if layer.filters != shape[-1]:
        notes.append(say(f"Only the height and width can be kept: the output's depth is the number of filters"
                         f" ({layer.filters}), not the input's {plural(shape[-1], 'channel')}, whatever the padding."))
    where = "" if sp.index == 0 else f" (layer {sp.index + 1})"
    question = say(f"Suppose you wanted “same” padding so that the convolutional layer{where}'s output had the same"
                   " height and width as its input. How much padding would you use?")
    if any(s > 1 for s in layer.stride):
        notes.append(say("With a stride above 1 “same” cannot keep the size; it means TensorFlow's rule, output"
                         " ⌈n/s⌉ (the output then covers the input with no row or column left out)."))
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=sp.value,
                                  text=say(_same_answer(sp) + f"; the output is then {_dims(sp.out)}.")))


def _vtext(v) -> str:
    return f"[{v[0]}, {v[1]}]" if isinstance(v, list) else str(v)
