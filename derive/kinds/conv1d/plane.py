"""The matrix and output-size questions of the general layer: 1D or 2D, transposed or not, channels, with
symbols or the spec's filter. Analysis (the matrices, by taps and by definition) first, then the steps."""

from __future__ import annotations

import functools
from dataclasses import replace
from itertools import product

import sympy
from sympy import BlockMatrix, ImmutableMatrix, MatMul, ZeroMatrix

from ...numeric import json_number
from ...steps import Answer, Solution, Text, chain, let, say, step, written_product, written_sum
from ...symbols import FloorDiv
from ...words import join
from .geometry import flat, unflat
from .layer import Layer, weight_of
from ...written import Sym
from .names import (LAYER_MATRIX, X_EX, D, D_H, D_W, F_MAT, H_IN, K, K_H, K_W, M_H, M_OUT, M_W, N, NOTATION, P_B, P_L, P_LEFT, P_R,
                    P_RIGHT, P_T, S, S_H, S_W, W_IN, X_VEC, OP, OP_H, OP_W, entry)

P_IDX, Q_IDX, A_IDX, B_IDX = (NOTATION.symbol(v) for v in ("p", "q", "a", "b"))


class Blocks(BlockMatrix):
    """A block matrix printed as SymPy's, made explicit by stacking its blocks (SymPy's entry-by-entry
    conversion takes a third of a second for a 36 × 64 matrix)."""

    def doit(self, **hints):
        rows = [sympy.Matrix.hstack(*[sympy.Matrix(b.as_explicit()) for b in row]) for row in self.blocks.tolist()]
        return ImmutableMatrix(sympy.Matrix.vstack(*rows))


# --- analysis ------------------------------------------------------------------------------------

def as_number(v):
    """A JSON number: an int when whole, else a float (numeric.json_number: a string beyond a double's range)."""
    v = sympy.nsimplify(v) if not isinstance(v, sympy.Basic) else v
    return int(v) if v.is_Integer else json_number(sympy.N(v, 17))


def input_symbols(layer: Layer) -> tuple:
    """x's entries as symbols, flat over (channel, input)."""
    g = layer.g
    return tuple(entry("x", tuple(i + 1 for i in unflat(pos % g.size(g.input), g.input)),
                       pos // g.size(g.input) + 1 if g.channel_dims else None, example=True)
                 for pos in range(g.channels[0] * g.size(g.input)))


@functools.lru_cache(maxsize=4)
def layer_matrix(layer: Layer) -> ImmutableMatrix:
    """The layer's matrix, (c_out m) × (c_in n), from its taps: one block per output/input channel pair (once per
    spec: the questions and the figure share it)."""
    g = layer.g
    (c_in, c_out), m, n = g.channels, g.size(g.output), g.size(g.input)
    M = sympy.zeros(c_out * m, c_in * n)
    taps = g.taps()
    for co, ci in product(range(c_out), range(c_in)):
        for row, col, k in taps:
            M[co * m + row, ci * n + col] = weight_of(layer, co, ci, k)
    return ImmutableMatrix(M)


def by_definition(layer: Layer, xs: tuple) -> ImmutableMatrix:
    """The layer's outputs from the definition, not the matrix: a convolution gathers
    z_o = sum_k W_k x_pad[o s + k d]; a transposed one scatters each x_i W_k to output i s + k d - p_before."""
    g = layer.g
    (c_in, c_out), m, n = g.channels, g.size(g.output), g.size(g.input)
    out = [sympy.Integer(0)] * (c_out * m)
    kernel = list(product(*(range(v) for v in g.kernel)))
    for co, ci in product(range(c_out), range(c_in)):
        for kk in kernel:
            w = weight_of(layer, co, ci, flat(kk, g.kernel))
            for here in product(*(range(v) for v in (g.input if g.transposed else g.output))):
                there = tuple(a * s + b * d - p[0] for a, b, s, d, p in zip(here, kk, g.stride, g.dilation, g.padding))
                bound = g.output if g.transposed else g.input
                if not all(0 <= t < v for t, v in zip(there, bound)):
                    continue
                if g.transposed:
                    out[co * m + flat(there, g.output)] += w * xs[ci * n + flat(here, g.input)]
                else:
                    out[co * m + flat(here, g.output)] += w * xs[ci * n + flat(there, g.input)]
    return ImmutableMatrix(out)


def axis_symbols(layer: Layer, axis: int) -> tuple:
    """(m, n, k, s, d, p_before, p_after, output padding) for an axis, as written."""
    if layer.g.dims == 1:
        return M_OUT, N, K, S, D, P_L, P_R, OP
    return ((M_H, H_IN, K_H, S_H, D_H, P_T, P_B, OP_H) if axis == 0 else
            (M_W, W_IN, K_W, S_W, D_W, P_LEFT, P_RIGHT, OP_W))


def size_meanings(layer: Layer) -> dict:
    g = layer.g
    out = {}
    for ax in range(g.dims):
        m, n, k, s, d, pb, pa, op = axis_symbols(layer, ax)
        out.update({m: g.output[ax], n: g.input[ax], k: g.kernel[ax], s: g.stride[ax], d: g.dilation[ax],
                    pb: g.padding[ax][0], pa: g.padding[ax][1], op: g.output_padding[ax]})
    return out


# --- output-size ------------------------------------------------------------------------------------

AXES = {1: ("",), 2: (" along the height", " along the width")}


def _forward_size(layer: Layer, ax: int):
    """m = floor((n + p_b + p_a - d(k - 1) - 1)/s) + 1: the general formula and with the numbers."""
    g = layer.g
    m, n, k, s, d, pb, pa, _ = axis_symbols(layer, ax)
    general = written_sum(FloorDiv(written_sum(n, pb, pa, written_product(-1, d, written_sum(k, -1)), -1), s,
                                   evaluate=False), 1)
    nv, kv, sv, dv, (bv, av) = g.input[ax], g.kernel[ax], g.stride[ax], g.dilation[ax], g.padding[ax]
    inner = written_sum(nv, bv, av, written_product(-1, dv, kv - 1), -1)
    return step(say(f"The outputs{AXES[g.dims][ax]} are the positions of the filter that fit in the padded"
                    " input, one every s entries: ", chain(m, general), "."),
                chain(m, written_sum(FloorDiv(inner, sv, evaluate=False), 1), g.output[ax]))


def _transposed_size(layer: Layer, ax: int):
    """m' = (n - 1)s - p_b - p_a + d(k - 1) + p_out + 1, and why it inverts the convolution's shape."""
    g = layer.g
    m, n, k, s, d, pb, pa, ops = axis_symbols(layer, ax)
    nv, kv, sv, dv, (bv, av) = g.input[ax], g.kernel[ax], g.stride[ax], g.dilation[ax], g.padding[ax]
    op = g.output_padding[ax]
    general = written_sum(written_product(written_sum(n, -1), s), -pb, -pa,
                          written_product(d, written_sum(k, -1)), ops, 1)
    numbers = written_sum(written_product(written_sum(nv, -1), sv), -bv, -av, written_product(dv, kv - 1), op, 1)
    mv = g.output[ax]
    back = written_sum(FloorDiv(written_sum(mv, bv, av, written_product(-1, dv, kv - 1), -1), sv, evaluate=False), 1)
    base = mv - op
    text = say(f"The transposed layer{AXES[g.dims][ax]} has the shape of the convolution with the same kernel,"
               " stride, padding and dilation run backwards: that convolution maps m inputs to n outputs, so the"
               " transposed layer maps n inputs to m. PyTorch's ConvTranspose takes the smallest such m plus the"
               " output padding: ", chain(m, general), ". Here ", let(ops, op), ":")
    checks = [chain(m, numbers, mv)]
    why = say(f"Check: the convolution maps {mv} entries back to ", chain(back, (mv + bv + av - dv * (kv - 1) - 1)
                                                                          // sv + 1), " outputs. Every size from"
              f" {base} to {base + sv - 1} maps to the same {nv} outputs (the floor drops the remainder), so the"
              " input size alone does not fix the output size" + (
                  "; output_padding picks among them" if sv > 1 else "; with stride 1 there is only one") + ".")
    return [step(text, *checks[:1]), step(why)]


def output_size(layer: Layer, why: bool = True):
    """The output size per axis; ``why`` adds, for a transposed layer, why the formula inverts the shape."""
    g = layer.g
    steps = []
    alike = g.dims == 2 and len({(g.input[a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a],
                                  g.output_padding[a]) for a in range(2)}) == 1
    for ax in range(g.dims):
        said = why and not (alike and ax == 1)          # the why is said once when the axes are alike
        steps += _transposed_size(layer, ax)[:1 + said] if g.transposed else [_forward_size(layer, ax)]
    value = g.output[0] if g.dims == 1 else list(g.output)
    syms = [axis_symbols(layer, ax)[0] for ax in range(g.dims)]
    what = "transposed convolution" if g.transposed else "convolution"
    question = say(f"How many outputs does the {what} give" + (" along each axis" if g.dims == 2 else "") + "?")
    answer = Answer(value=value, chain=chain(syms[0], g.output[0]) if g.dims == 1 else
                    chain(ImmutableMatrix([syms]), ImmutableMatrix([list(g.output)])))
    return Solution(question=question, steps=tuple(steps), answer=answer, meanings=size_meanings(layer))


# --- matrix -------------------------------------------------------------------------------------

def _blocks(layer: Layer, F: ImmutableMatrix, pair: tuple[int, int] | None = None):
    """A 2D single-channel F as a block matrix: block (p, i) is m_w × w, kernel row a's Toeplitz block B_a
    where input row i is p s_h + a d_h - p_t (B_a^(o,i) for a channel pair). Returns (the named blocks with
    their matrices, the layout)."""
    g = layer.g
    size_in, size_out = (g.output, g.input) if g.transposed else (g.input, g.output)
    mw, w = size_out[1], size_in[1]
    named, layout = {}, []
    for p in range(size_out[0]):
        row = [ZeroMatrix(mw, w)] * size_in[0]
        for a in range(g.kernel[0]):
            i = p * g.stride[0] + a * g.dilation[0] - g.padding[0][0]
            if 0 <= i < size_in[0]:
                sup = "" if pair is None else f"^({pair[0]},{pair[1]})"
                block = NOTATION.matrix(f"B_{a + 1}{sup}[{mw}x{w}]", mw, w, Sym(
                    "B", sub=str(a + 1), sup=None if pair is None else f"({pair[0]},{pair[1]})"))
                named[block] = F[p * mw:(p + 1) * mw, i * w:(i + 1) * w]
                row[i] = block
        layout.append(row)
    return named, Blocks(layout)


def _block_step(layer: Layer, F: ImmutableMatrix, name, wide: bool = False):
    g = layer.g
    named, layout = _blocks(layer, F)
    s_h, s_w = g.stride
    pieces = ["Group the rows of ", name, " by output row p (", M_W, " rows each) and the columns by input row (",
              W_IN, " columns each). Output row p reads input rows ",
              written_sum(s_h * P_IDX, g.dilation[0] * A_IDX, -s_h - g.dilation[0] + 1 - g.padding[0][0]),
              " for kernel rows a, so block row p holds one block per kernel row: ",
              *[piece for b, mat in named.items() for piece in (let(b, mat), ", ")]]
    pieces[-1] = ". "
    pieces += ["Each ", NOTATION.symbol("B_a", Sym("B", sub="a")), f" is the 1D convolution matrix of kernel row a along a row (a Toeplitz matrix: each row the"
               f" one above shifted {s_w} column{'s' if s_w != 1 else ''} right), and each block row is the one"
               f" above shifted {s_h} block{'s' if s_h != 1 else ''} right: the doubly block Toeplitz matrix"]
    return step(say(*pieces), chain(name, layout) if wide else chain(name, layout, F)), named, layout


def _matrix_symbol(layer: Layer, F: ImmutableMatrix):
    if layer.g.transposed:
        return NOTATION.matrix("F^T", F.rows, F.cols, F_T, means=LAYER_MATRIX)
    return F_MAT


F_T = Sym("F", sup="⊤")       # F^⊤, the transposed convolution's matrix
WIDE = 24                 # a matrix with more columns is shown by its blocks; its entries are in the JSON
DOTS = NOTATION.symbol("dots", "…")


def wide_at(layer: Layer) -> int:
    """Columns a page holds: WIDE, half that for symbols carrying a channel pair (f^(o,i)_ab is twice as wide)."""
    return WIDE // 2 if layer.g.channel_dims and layer.f is None else WIDE


def vector_at(layer: Layer) -> int:
    """Entries of the flattened input shown in a row (a page's width of x_ab^(i))."""
    return 8


def _abridged(xs: tuple, limit: int = WIDE) -> list:
    """The entries of a flattened input, the middle left out when there are more than ``limit``."""
    return list(xs) if len(xs) <= limit else [*xs[:3], DOTS, *xs[-2:]]


def matrix(layer: Layer) -> Solution:
    g = layer.g
    M = layer_matrix(layer)
    xs = input_symbols(layer)
    steps, meanings = [], dict(size_meanings(layer))
    if g.dims == 2 or g.channel_dims:
        steps.append(step(say("Flatten the input row by row (PyTorch's reshape order)" +
                              (", channel after channel" if g.channel_dims else "") + ": ",
                              let(X_VEC, sympy.Transpose(ImmutableMatrix([_abridged(xs, vector_at(layer))]))), ".")))
    steps += output_size(layer, why=False).steps
    shown = M
    name = _matrix_symbol(layer, M)
    if g.transposed:
        more, shown = _transposed_steps(layer, M, meanings)
        steps += more
    elif g.dims == 2 and not g.channel_dims:
        block_step, named, layout = _block_step(layer, M, F_MAT, wide=M.cols > WIDE)
        steps.append(block_step)
        meanings.update(named)
        shown = layout if M.cols > WIDE else M
    if g.channel_dims:
        more, layout = _channel_steps(layer, M, name, meanings)
        steps += more
        shown = layout if M.cols > wide_at(layer) else M
    meanings[name] = M
    steps.append(_product_step(layer, M, xs, meanings))
    value = [[str(e) if layer.f is None else as_number(e) for e in M.row(i)] for i in range(M.rows)]
    question = say("Write the " + ("transposed convolution" if g.transposed else "convolution") +
                   f" as a matrix product: fill in its {M.rows} × {M.cols} matrix.")
    text = say(f"(F is {M.rows} × {M.cols}; its entries are in the JSON key.)") if shown is not M else Text(())
    return Solution(question=question, steps=tuple(steps), meanings=meanings,
                    answer=Answer(value=value, chain=chain(name, shown), text=text))


def _transposed_steps(layer: Layer, M: ImmutableMatrix, meanings: dict) -> tuple[list, object]:
    """F (the convolution the layer is the transpose of), then F^T: in full when narrow, else by blocks (2D, one
    channel) or by name (with channels, whose blocks come next). Returns the steps and how M is shown."""
    g = layer.g
    F = M.T
    meanings[F_MAT] = F
    what = say("The transposed layer is the transpose of F, the matrix of the convolution (same kernel, stride,"
               f" padding and dilation) that maps the transposed layer's {F.cols} outputs to its {F.rows} inputs")
    name = _matrix_symbol(layer, M)
    wide = max(F.cols, M.cols) > wide_at(layer)
    Fm = NOTATION.matrix("F_conv", F.rows, F.cols, "F", means=LAYER_MATRIX)
    meanings[Fm] = F
    if not wide:
        out = [step(what + say(":"), chain(F_MAT, F)),
               step(say("So the layer's matrix is its transpose:"), chain(name, sympy.Transpose(F), M))]
        shown = M
    elif g.dims == 2 and not g.channel_dims:
        block_step, named, layout = _block_step(layer, F, F_MAT, wide=True)
        meanings.update(named)
        flipped = Blocks([[sympy.Transpose(b) if not isinstance(b, ZeroMatrix) else ZeroMatrix(b.cols, b.rows)
                           for b in col] for col in zip(*layout.blocks.tolist())])
        out = [step(what + say(".")), block_step,
               step(say("So the layer's matrix is its transpose, by blocks: block (i, p) of ", name, " is block"
                        " (p, i) of F transposed, so block column p holds the transposed Toeplitz blocks of output"
                        " row p, each block column the one before shifted ", g.stride[0], " block rows down:"),
                    chain(name, sympy.Transpose(Fm), flipped))]
        shown = flipped
    else:
        out = [step(what + say(f" ({F.rows} × {F.cols}; its blocks are transposed below)."),
                    chain(name, sympy.Transpose(Fm)))]
        shown = M
    if any(o >= s for o, s in zip(g.output_padding, g.stride)):
        out.append(step(say("With an output padding of at least the stride, the convolution would give more"
                            f" outputs than the {g.size(g.input)} inputs here; F keeps its first rows.")))
    return out, shown


def _pair_matrix(layer: Layer, co: int, ci: int) -> ImmutableMatrix:
    """One channel pair's block, made as the matrix of a one-channel layer with that pair's filter (not read off
    the channel layer's taps, so that assembling the blocks checks the whole matrix)."""
    g = layer.g
    kn = g.size(g.kernel)
    one = replace(layer, g=replace(g, channels=(1, 1)),
                  f=None if layer.f is None else tuple(layer.weight_value(co, ci, k) for k in range(kn)))
    P = layer_matrix(one)
    if layer.f is None:
        P = P.xreplace({weight_of(one, 0, 0, k): weight_of(layer, co, ci, k) for k in range(kn)})
    return P


def _pattern(layer: Layer) -> list:
    """The pattern of a one-channel block, named (pieces of prose)."""
    g = layer.g
    s = g.stride
    if g.dims == 1:
        shape = [f"banded (each row the one above shifted {s[0]} column{'s' if s[0] != 1 else ''} right"
                 + (", a Toeplitz matrix)" if s[0] == 1 else ")")]
    else:
        shape = ["doubly block Toeplitz (block row p holds kernel row a's Toeplitz block ",
                 NOTATION.symbol("B_a", Sym("B", sub="a")), " at input row ",
                 written_sum(s[0] * P_IDX, g.dilation[0] * A_IDX, -s[0] - g.dilation[0] + 1 - g.padding[0][0]),
                 f", each block row the one above shifted {s[0]} block{'s' if s[0] != 1 else ''} right)"]
    return (["the transpose of the one-channel convolution's matrix of that filter, which is "] + shape
            if g.transposed else shape)


def _channel_steps(layer: Layer, M: ImmutableMatrix, name, meanings: dict) -> tuple[list, object]:
    """One step per output channel: its block row, one block per input channel, each the one-channel matrix of
    that pair's filter with its pattern named; then the blocks assembled."""
    g = layer.g
    (c_in, c_out), m, n = g.channels, g.size(g.output), g.size(g.input)
    filt = "(o,i)" if not g.transposed else "(i,o)"
    steps = [step(say(f"With {c_in} input and {c_out} output channels, group the rows of ", name, f" by output"
                      f" channel ({m} rows each) and the columns by input channel ({n} each): block (o, i) is the"
                      f" one-channel matrix of that pair's filter, ",
                      NOTATION.symbol(f"f^{filt}", Sym("f", sup=filt)),
                      ", and output channel o sums its blocks over the input channels. Each block is ",
                      *_pattern(layer), "."))]
    grid = []
    for co in range(c_out):
        pieces, row = [f"Output channel {co + 1}: "], []
        for ci in range(c_in):
            pair = (ci + 1, co + 1) if g.transposed else (co + 1, ci + 1)
            C = NOTATION.matrix(f"C^({co + 1},{ci + 1})[{m}x{n}]", m, n, Sym("C", sup=f"({co + 1},{ci + 1})"))
            P = _pair_matrix(layer, co, ci)
            meanings[C] = P
            row.append(C)
            pieces += _pair_pieces(layer, C, P, pair, meanings) + ["; " if ci < c_in - 1 else "."]
        grid.append(row)
        steps.append(step(say(*pieces)))
    layout = Blocks(grid)
    steps.append(step(say("Assembled:"), chain(name, layout) if M.cols > wide_at(layer) else chain(name, layout, M)))
    return steps, layout


def _pair_pieces(layer: Layer, C, P: ImmutableMatrix, pair: tuple[int, int], meanings: dict) -> list:
    """One block shown: in full when narrow, else (2D convolution) by its Toeplitz blocks."""
    g = layer.g
    if P.cols <= wide_at(layer) or g.dims == 1 or g.transposed:
        return [let(C, P)]
    named, layout = _blocks(replace(layer, g=replace(g, channels=(1, 1))), P, pair)
    meanings.update(named)
    return [let(C, layout), " with ", *[piece for b, mat in named.items() for piece in (let(b, mat), ", ")][:-1]]


def _product_step(layer: Layer, M: ImmutableMatrix, xs: tuple, meanings: dict):
    """M x equals the layer's output by its definition (the product written out when M is narrow)."""
    g = layer.g
    what = "transposed layer's output" if g.transposed else "activation's argument"
    text = say(f"Multiplying out confirms that it gives the {what} by the definition of the"
               f" {'transposed ' if g.transposed else ''}convolution:")
    if M.cols <= wide_at(layer):
        return step(text, chain(MatMul(M, ImmutableMatrix(xs), evaluate=False), by_definition(layer, xs)))
    Fm = NOTATION.matrix("F_convT", M.rows, M.cols, F_T, means=LAYER_MATRIX) if g.transposed else \
        NOTATION.matrix("F_conv", M.rows, M.cols, "F", means=LAYER_MATRIX)
    xm = NOTATION.matrix("x^(i)", M.cols, 1, X_EX)
    meanings.update({Fm: M, xm: ImmutableMatrix(xs)})
    defined = by_definition(layer, xs)
    terms = max(len(sympy.Add.make_args(e)) for e in defined)
    if g.channel_dims and layer.f is None and terms > LONG_SUM:
        zm = NOTATION.matrix("z_by_definition", M.rows, 1, "z")
        meanings[zm] = defined
        return step(text + say(f" (each entry a sum of up to {terms} products, the entries are in the JSON key)"),
                    chain(MatMul(Fm, xm), zm))
    return step(text, chain(MatMul(Fm, xm), defined))


LONG_SUM = 4               # a sum of more products (with channel superscripts) does not fit a line


def shape_words(layer: Layer) -> str:
    g = layer.g
    return join(f"{v}" for v in g.input)
