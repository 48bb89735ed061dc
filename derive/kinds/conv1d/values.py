"""The general layer with numbers: its setting, the forward pass (z and a) and the gradients of a loss with
respect to the filter and the input, each found two ways (the convolution formulas, and the matrix)."""

from __future__ import annotations

from itertools import product

import sympy
from sympy import ImmutableMatrix, MatMul

from ...written import Op, Partial, Row, Sym
from ...mathparse import Z
from ...steps import Answer, Solution, Text, boxed, chain, let, say, step, written_sum
from ...symbols import Times
from ..activations import READABLE
from .geometry import MAX_SHOWN, flat, unflat
from . import kink
from .layer import Layer, weight_of
from .names import F_VEC, NOTATION, PHI, RELU, Z_VEC, entry
from .plane import as_number, by_definition, input_symbols, layer_matrix

SHOWN_GRIDS = 8            # at most this many grids (channel pairs) displayed per quantity


# --- shapes -------------------------------------------------------------------------------------

def _grid_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    return (shape[0], 1) if len(shape) == 1 else shape


def _grids(flat_values, shape: tuple[int, ...], count: int) -> list[ImmutableMatrix]:
    """``count`` grids of ``shape`` (a column in 1D) from a flat tuple."""
    size = 1
    for v in shape:
        size *= v
    r, c = _grid_shape(shape)
    return [ImmutableMatrix(r, c, list(flat_values[i * size:(i + 1) * size])) for i in range(count)]


def _nested(flat_values, shape: tuple[int, ...]):
    """JSON: nested lists of numbers in ``shape``."""
    if len(shape) == 1:
        return [as_number(v) for v in flat_values]
    step_ = len(flat_values) // shape[0]
    return [_nested(flat_values[i * step_:(i + 1) * step_], shape[1:]) for i in range(shape[0])]


def _name(base: str, written, shape, label: str | tuple | None):
    """A grid's matrix symbol, with its channel's label above it when there are several: z^{[2]}; a filter's
    pair of channels (a tuple) as its weights have it, f^{(1,2)}. A gradient's label goes on the quantity it
    is taken with respect to: ∂L/∂a^{[2]}, not on the whole fraction."""
    r, c = _grid_shape(shape)
    suffix = "" if not label else f"({label[0]},{label[1]})" if isinstance(label, tuple) else f"[{label}]"
    if not suffix:
        shown = written
    elif isinstance(written, Partial):
        shown = Partial(written.of, Sym(written.wrt, sup=suffix))
    else:
        shown = Sym(written, sup=suffix)
    return NOTATION.matrix(f"{base}{suffix}", r, c, shown)


def _pairs(g) -> list:
    """The filter's grids' labels in its layout: (o, i) pairs, (i, o) when transposed, as its weights f^(a,b)."""
    if not g.channel_dims:
        return [None]
    first = g.weight_shape()[1]
    return [(j // first + 1, j % first + 1) for j in range(g.channels[0] * g.channels[1])]


def _labels(count: int, pairs: list | None = None) -> list:
    if pairs is not None:
        return [f"{a},{b}" for a, b in pairs]
    return [None] if count == 1 else [str(i + 1) for i in range(count)]


def _show(chains_by_grid: list) -> list:
    """At most SHOWN_GRIDS displayed."""
    return chains_by_grid[:SHOWN_GRIDS]


# --- the setting ----------------------------------------------------------------------------------

def setting(layer: Layer) -> Text:
    g = layer.g
    dims = "one-dimensional input of length " + str(g.input[0]) if g.dims == 1 else \
        f"two-dimensional input of {g.input[0]} × {g.input[1]}"
    kernel = f"a filter of width {g.kernel[0]}" if g.dims == 1 else f"a {g.kernel[0]} × {g.kernel[1]} kernel"
    what = "transposed convolution" if g.transposed else "convolution"
    pieces = [f"A {what} of a {dims} with {kernel}"]
    geometry = _geometry_words(layer)
    pieces.append(f" ({geometry})" if geometry else "")
    if g.channel_dims:
        pieces.append(f", from {g.channels[0]} input to {g.channels[1]} output channels (filter in PyTorch's layout"
                      f" {' × '.join(map(str, g.weight_shape()))})")
    pieces.append(".")
    numbers = []
    if layer.x is not None:
        numbers += [_given("x", "x", layer.x, g.input, g.channels[0], "input")]
    if layer.f is not None:
        numbers += [_given("f", "f", layer.f, g.kernel, g.channels[0] * g.channels[1], "pair", _pairs(g))]
    if layer.upstream is not None:
        numbers += [_given("dL/da", Partial("L", "a"), layer.upstream, g.output, g.channels[1],
                           "output")]
    for label, chains in numbers:
        pieces += [f" {label}: ", *[p for ch in chains for p in (ch, ", ")][:-1], "."]
    pieces += _activation_pieces(layer)
    return say(*pieces)


def _given(base, written, values, shape, count, what, pairs=None):
    words = {"input": "The input", "pair": "The filter", "output": "The gradient arriving at the output"}[what]
    grids = _grids(values, shape, count)
    labels = _labels(count) if what != "pair" else [None] if count == 1 else pairs
    return words, [let(_name(base, written, shape, lab), gr) for lab, gr in zip(labels, grids)][:SHOWN_GRIDS]


def _activation_pieces(layer: Layer) -> list:
    if layer.name == "relu":
        return [" The layer's output is ", let(_a_vec(), RELU(Z_VEC)), ", the ReLU applied elementwise."]
    known = f" ({READABLE[layer.name]})" if layer.name else ""
    return [" The layer's output is ", let(_a_vec(), PHI(Z_VEC)), ", with ", let(PHI(Z_VEC), layer.phi.subs(Z, Z_VEC)),
            known, " applied elementwise."]


def _a_vec():
    from .names import A_VEC
    return A_VEC


def _geometry_words(layer: Layer) -> str:
    g = layer.g
    out = []
    for label, vals, plain in (("stride", g.stride, 1), ("dilation", g.dilation, 1)):
        if any(v != plain for v in vals):
            out.append(f"{label} {' × '.join(map(str, vals)) if len(set(vals)) > 1 else vals[0]}")
    pads = [p for pair in g.padding for p in pair]
    if any(pads):
        out.append("zero padding " + ("of " + str(pads[0]) + " on every side" if len(set(pads)) == 1 else
                                      _sides(g.padding)))
    if g.transposed and any(g.output_padding):
        out.append(f"output padding {' × '.join(map(str, g.output_padding))}")
    return ", ".join(out)


def _sides(padding) -> str:
    """'1 before and 2 after' (1D); '1 before and 2 after in height, 0 before and 1 after in width' (2D)."""
    if len(padding) == 1:
        return f"{padding[0][0]} before and {padding[0][1]} after"
    return ", ".join(f"{a} before and {b} after in {along}" for (a, b), along in zip(padding, ("height", "width")))


# --- forward ------------------------------------------------------------------------------------

def _first_entry(layer: Layer, zs):
    """z at the first output written out from the definition, with the numbers."""
    g = layer.g
    xs_sym = input_symbols(layer)
    symbolic = by_definition(layer, xs_sym)[0]
    terms = sympy.Add.make_args(sympy.expand(symbolic))
    values = {s: v for s, v in zip(xs_sym, layer.x)}
    shown = written_sum(*[Times(*[values.get(a, a) for a in sympy.Mul.make_args(t)], evaluate=False)
                          for t in terms]) if symbolic != 0 else sympy.Integer(0)
    first = entry("z", (1,) * g.dims, 1 if g.channel_dims else None)
    return first, symbolic, shown


def forward(layer: Layer) -> Solution:
    g = layer.g
    zs = tuple(by_definition(layer, layer.x))
    az = tuple(layer.phi.subs(Z, v) for v in zs)
    labels = _labels(g.channels[1])
    first, symbolic, shown = _first_entry(layer, zs)
    steps = [step(say("Each output is the sum of the filter's weights times the inputs under them (PyTorch's"
                      " convolution is a cross-correlation: the filter is not flipped)" if not g.transposed else
                      "Each input entry, times each weight, is added to the output it lands on (a transposed"
                      " convolution scatters where a convolution gathers)", ". The first: ",
                      let(first, symbolic), ":"), chain(first, shown, zs[0]))]
    z_chains = [chain(_name("z", "z", g.output, lab), gr) for lab, gr in zip(labels, _grids(zs, g.output,
                                                                                             g.channels[1]))]
    steps.append(step(say("Likewise for every output:"), *_show(z_chains)))
    M = layer_matrix(layer)
    if M.rows * M.cols <= MAX_SHOWN:
        steps.append(step(say("The same as the matrix product of the layer's matrix with the flattened input:"),
                          chain(MatMul(M, ImmutableMatrix(layer.x), evaluate=False), ImmutableMatrix(zs))))
    a_chains = [chain(_name("a", "a", g.output, lab), gr.applyfunc(lambda v: layer.phi.subs(Z, v)))
                for lab, gr in zip(labels, _grids(zs, g.output, g.channels[1]))]
    steps.append(step(say("Apply the activation elementwise:"), *_show(a_chains)))
    meanings = {first: zs[0]}
    for lab, gz, ga in zip(labels, _grids(layer.z(), g.output, g.channels[1]),
                           _grids(tuple(layer.phi.subs(Z, v) for v in layer.z()), g.output, g.channels[1])):
        meanings[_name("z", "z", g.output, lab)] = gz
        meanings[_name("a", "a", g.output, lab)] = ga
    value = {"z": _nested(zs, g.out_shape()), "a": _nested(az, g.out_shape())}
    question = say("Compute the layer's forward pass: the activation's arguments z and the outputs a.")
    more = say(f"(The first {SHOWN_GRIDS} of {len(a_chains)} channels; all are in the JSON key.)") \
        if len(a_chains) > SHOWN_GRIDS else say()
    answer = boxed(value, [*_show(z_chains), *_show(a_chains)], more)
    return Solution(question=question, steps=tuple(steps), answer=answer, meanings=meanings)


# --- the gradients ---------------------------------------------------------------------------------

def _delta(layer: Layer):
    """delta = dL/dz = upstream ⊙ phi'(z), flat; and the step that finds it."""
    g = layer.g
    zs = layer.z()
    slopes = layer.slope_values(zs)
    delta = tuple(u * s for u, s in zip(layer.upstream, slopes))
    labels = _labels(g.channels[1])
    chains = []
    for lab, gs, gu, gd in zip(labels, *(_grids(v, g.output, g.channels[1]) for v in (slopes, layer.upstream,
                                                                                         delta))):
        product_ = ImmutableMatrix(gd.rows, gd.cols, lambda r, c: Times(gu[r, c], gs[r, c], evaluate=False))
        chains.append(chain(_name("delta", "δ", g.output, lab), product_, gd))
    side = " (its side of 0 decides the slope; at 0 itself see the note)" if kink.any_zero(layer) else \
        " (its side of 0 decides the slope)" if layer.kinked else ""
    text = say("Through the activation: each output's gradient times the activation's slope at its argument" + side +
               ", ", let(NOTATION.symbol("delta", "δ"), NOTATION.symbol("dL/dz", Partial("L", "z"))), ":")
    meanings = {_name("delta", "δ", g.output, lab): gd
                for lab, gd in zip(labels, _grids(delta, g.output, g.channels[1]))}
    return delta, step(text, *_show(chains)), meanings


def filter_by_formula(layer: Layer, delta) -> tuple:
    """dL/dW(co, ci, k) = sum over the outputs o of delta[co, o] times the input weight k meets at o: the
    cross-correlation of the (padded) input with delta, its entries s apart (or, transposed, of delta with x)."""
    g = layer.g
    (c_in, c_out), m, n = g.channels, g.size(g.output), g.size(g.input)
    out = {}
    for co, ci in product(range(c_out), range(c_in)):
        for kk in product(*(range(v) for v in g.kernel)):
            total = sympy.Integer(0)
            for here in product(*(range(v) for v in (g.input if g.transposed else g.output))):
                there = tuple(a * s + b * d - p[0] for a, b, s, d, p in zip(here, kk, g.stride, g.dilation, g.padding))
                if not all(0 <= t < v for t, v in zip(there, g.output if g.transposed else g.input)):
                    continue
                if g.transposed:
                    total += x_at(layer, ci, flat(here, g.input)) * delta[co * m + flat(there, g.output)]
                else:
                    total += x_at(layer, ci, flat(there, g.input)) * delta[co * m + flat(here, g.output)]
            out[_weight_pos(g, co, ci, flat(kk, g.kernel))] = total
    return tuple(out[i] for i in range(len(out)))


def x_at(layer: Layer, ci: int, col: int):
    return layer.x[ci * layer.g.size(layer.g.input) + col]


def _weight_pos(g, co, ci, k):
    """Flat position of W(co, ci, k) in f's layout."""
    c_in, c_out = g.channels
    first, second, inner = (ci, co, c_out) if g.transposed else (co, ci, c_in)
    return (first * inner + second) * g.size(g.kernel) + k


def input_by_formula(layer: Layer, delta) -> tuple:
    """dL/dx: for a convolution the full convolution of delta (its entries s apart) with the flipped filter,
    dL/dx_i = sum_k W_k delta[(i + p - k d)/s] where that is a whole output index; for a transposed layer the
    convolution of delta with the filter, dL/dx_i = sum_k W_k delta[i s + k d - p]."""
    g = layer.g
    (c_in, c_out), m, n = g.channels, g.size(g.output), g.size(g.input)
    out = []
    for ci in range(c_in):
        for i in product(*(range(v) for v in g.input)):
            total = sympy.Integer(0)
            for co, kk in product(range(c_out), product(*(range(v) for v in g.kernel))):
                o = _source(g, i, kk)
                if o is not None:
                    total += weight_of(layer, co, ci, flat(kk, g.kernel)) * delta[co * m + flat(o, g.output)]
            out.append(total)
    return tuple(out)


def _source(g, i, kk):
    """The output that weight kk joins to input i, or None."""
    if g.transposed:
        o = tuple(a * s + b * d - p[0] for a, b, s, d, p in zip(i, kk, g.stride, g.dilation, g.padding))
    else:
        num = [a + p[0] - b * d for a, b, d, p in zip(i, kk, g.dilation, g.padding)]
        if any(v % s for v, s in zip(num, g.stride)):
            return None
        o = tuple(v // s for v, s in zip(num, g.stride))
    return o if all(0 <= v < m for v, m in zip(o, g.output)) else None


def windows(layer: Layer) -> ImmutableMatrix:
    """For one channel pair: z = W f, row o lists the input each weight meets at output o (transposed: the
    same, scattered). (m × k)."""
    g = layer.g
    m = g.size(g.output)
    W = sympy.zeros(m, g.size(g.kernel))
    for row, col, k in g.taps():
        W[row, k] += layer.x[col]
    return ImmutableMatrix(W)


def filter_gradient(layer: Layer) -> Solution:
    g = layer.g
    delta, dstep, meanings = _delta(layer)
    grads = filter_by_formula(layer, delta)
    count = g.channels[0] * g.channels[1]
    labels = [None] if count == 1 else _pairs(g)
    DF = [_name("dL/df", Partial("L", "f"), g.kernel, lab) for lab in labels]
    ways = ("Each weight meets one input at each output, so its gradient sums those inputs times the outputs'"
            " gradients: the cross-correlation of the " + ("padded input with δ, its entries s apart"
                                                          if not g.transposed else "input with δ") + ":")
    steps = [dstep, step(say(ways), *_show([chain(d, gr) for d, gr in zip(DF, _grids(grads, g.kernel, count))]))]
    for d, gr in zip(DF, _grids(grads, g.kernel, count)):
        meanings[d] = gr
    if not g.channel_dims:
        W = windows(layer)
        if W.rows * W.cols <= MAX_SHOWN:
            vec = NOTATION.matrix("dL/df vec", W.cols, 1, Row(Op("vec"), Partial("L", "f")))
            meanings[vec] = ImmutableMatrix(grads)
            wm = NOTATION.matrix("W_windows", W.rows, W.cols, "W")
            meanings[wm] = W
            steps.append(step(say("The same read off the matrix: z is linear in f, ", let(Z_VEC, MatMul(wm, F_VEC)),
                                  " with row r of W the inputs under the filter at output r, so the gradient is W"
                                  " transposed times δ:"),
                              chain(vec, MatMul(W.T, ImmutableMatrix(delta), evaluate=False), ImmutableMatrix(grads))))
    value = _nested(grads, g.weight_shape())
    question = say("Given the gradient arriving at the output, compute the loss's gradient with respect to the"
                   " filter.")
    return Solution(question=question, steps=tuple(steps), notes=_zero_notes(layer),
                    answer=Answer(value=value, chain=chain(DF[0],
                    _grids(grads, g.kernel, count)[0])), meanings=meanings)


def input_gradient(layer: Layer) -> Solution:
    g = layer.g
    delta, dstep, meanings = _delta(layer)
    grads = input_by_formula(layer, delta)
    labels = _labels(g.channels[0])
    DX = [_name("dL/dx", Partial("L", "x"), g.input, lab) for lab in labels]
    how = ("the full convolution of δ (its entries s apart) with the flipped filter: each input gathers the"
           " gradients of the outputs it fed, weighted by the weight that joined them" if not g.transposed else
           "the convolution of δ with the filter (a transposed layer's gradient is the forward convolution)")
    steps = [dstep, step(say("The input's gradient is " + how + ":"),
                         *_show([chain(d, gr) for d, gr in zip(DX, _grids(grads, g.input, g.channels[0]))]))]
    for d, gr in zip(DX, _grids(grads, g.input, g.channels[0])):
        meanings[d] = gr
    M = layer_matrix(layer)
    vec = NOTATION.matrix("dL/dx vec", M.cols, 1, Row(Op("vec"), Partial("L", "x")))
    meanings[vec] = M.T * ImmutableMatrix(delta)
    if M.rows * M.cols <= MAX_SHOWN:
        steps.append(step(say("The same read off the matrix (z is F times the flattened input, so the gradient is"
                              " F transposed times δ):"),
                          chain(vec, MatMul(M.T, ImmutableMatrix(delta), evaluate=False), ImmutableMatrix(grads))))
    else:
        steps.append(step(say("The same as F transposed times δ (F too large to show):"),
                          chain(vec, ImmutableMatrix(grads))))
    value = _nested(grads, g.in_shape())
    question = say("Given the gradient arriving at the output, compute the loss's gradient with respect to the"
                   " input.")
    return Solution(question=question, steps=tuple(steps), notes=_zero_notes(layer),
                    answer=Answer(value=value, chain=chain(DX[0],
                    _grids(grads, g.input, g.channels[0])[0])), meanings=meanings)


def _zero_notes(layer: Layer) -> tuple:
    """The slope taken at an argument of exactly 0 (the kink), if any."""
    if not kink.any_zero(layer):
        return ()
    from .symbolic import output_symbols
    return tuple(kink.notes(layer, output_symbols(layer)))
