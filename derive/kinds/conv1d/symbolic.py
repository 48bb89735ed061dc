"""The symbolic derivatives of the general layer (2D, transposed, several channels): a = phi(z) with z = F x,
F the layer's matrix (F^T for a transposed layer: the letter L is the loss's, in dL/da). ``gradient`` da/df_w for one weight, ``jacobian``
da/df (outputs × weights), ``input-gradient`` da/dx = diag(phi'(z)) L, with outputs, inputs and weights
flattened row by row (channel after channel; the weights in PyTorch's layout), as in 1D.

Analysis first (``analyse`` returns a frozen ``Derivs``: the arguments by the definition, the matrices
from the taps, each row's slope), then small narration functions."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from itertools import product
from typing import Mapping

import sympy
from sympy import HadamardProduct, ImmutableMatrix, MatMul, Symbol

from ...mathparse import Z
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...symbols import Times
from ...words import join, join_pieces
from ..activations import derivative, in_sigmoids, tidy as tidy_form
from . import kink
from .geometry import flat, unflat, weight_places
from .derivatives import linear_jacobian
from .layer import Layer, weight_of
from ...written import Fenced, Op, Partial, Row, Sym
from .names import A_VEC, DPHI_Z, F_MAT, LAYER_MATRIX, NOTATION, PHI, RELU, RELU_PRIME, X_VEC, Z_R, Z_VEC, dphi_at, entry, slope_at
from .plane import F_T, WIDE, as_number, by_definition, input_symbols, layer_matrix

F_T_MAT = NOTATION.symbol("F^T_layer", F_T, means=LAYER_MATRIX)


def layer_symbol(layer: Layer):
    """The layer's matrix as one symbol: F, or F^T for a transposed layer (the name the matrix question uses)."""
    return F_T_MAT if layer.g.transposed else F_MAT


@dataclass(frozen=True)
class Derivs:
    """The layer's derivatives worked out with symbols."""

    layer: Layer                          # with f = None: weights as symbols
    xs: tuple                             # input symbols, flat over (channel, position)
    ws: tuple                             # weight symbols, flat in f's layout
    places: tuple                         # (co, ci, k) of each weight in ws
    args: ImmutableMatrix                 # z by the definition of the (transposed) convolution, in xs and ws
    L: ImmutableMatrix                    # the layer's matrix from its taps
    windows: ImmutableMatrix              # dz/df from the taps: row r, column j the input weight j meets at r
    zs: tuple                             # z_r as shown
    shown: tuple                          # relu'(z_r) or phi'(z_r) as the slope step shows them
    values: tuple                         # each row's slope: decided by its sign, or phi' written out in z_r
    factors: tuple                        # what multiplies each row in the displays
    written: tuple | None                 # each row's slope in the form the slope step ends in (sigmoid: φ(1 − φ))
    exact: tuple                          # phi'(z_r) for the checker
    meanings: Mapping
    dphi: sympy.Expr                      # phi' in z_vec (tidied)
    dead: tuple                           # rows whose argument is 0 whatever x and f


def output_symbols(layer: Layer) -> tuple:
    g = layer.g
    m = g.size(g.output)
    return tuple(entry("z", tuple(i + 1 for i in unflat(r % m, g.output)), r // m + 1 if g.channel_dims else None)
                 for r in range(g.channels[1] * m))


def _slope_symbol(layer: Layer, zr: Symbol):
    if layer.name == "relu":
        return RELU_PRIME(zr)
    return NOTATION.symbol(f"phi'({zr.name})", slope_at(NOTATION[zr]))


@functools.lru_cache(maxsize=4)
def analyse(layer: Layer) -> Derivs:
    sym = replace(layer, f=None)
    g = layer.g
    places = weight_places(g)
    ws = tuple(weight_of(sym, co, ci, k) for co, ci, k in places)
    xs = input_symbols(sym)
    args = by_definition(sym, xs)
    L = layer_matrix(sym)
    m, n = g.size(g.output), g.size(g.input)
    column = {p: j for j, p in enumerate(places)}
    W = sympy.zeros(len(args), len(ws))
    taps = g.taps()
    for co, ci in product(range(g.channels[1]), range(g.channels[0])):
        for row, col, k in taps:
            W[co * m + row, column[co, ci, k]] = xs[ci * n + col]
    zs = output_symbols(layer)
    dphi = derivative(layer.phi)
    shown = tuple(_slope_symbol(layer, zr) for zr in zs)
    meanings, written = {}, None
    if layer.kinked:
        values, exact = _kinked_slopes(layer, zs, shown, dphi, meanings)
        factors = values
    else:
        tidy = tidy_form(dphi)
        values = tuple(tidy.subs(Z, zr) for zr in zs)
        factors = shown
        exact = tuple(dphi.subs(Z, a) for a in args)
        meanings.update(zip(zs, args))
        meanings.update({sh: dphi.subs(Z, zr) for sh, zr in zip(shown, zs)})
        meanings[DPHI_Z] = dphi.subs(Z, Z_VEC)
        if layer.name == "sigmoid":
            meanings[PHI] = sympy.Lambda(Z, layer.phi)              # its slope is written φ(z)(1 − φ(z))
            form = in_sigmoids(tidy, PHI)
            written = tuple(form.subs(Z, zr) for zr in zs) if form != tidy else None
    dead = tuple(r for r, a in enumerate(args) if a == 0)
    return Derivs(layer=sym, xs=xs, ws=ws, places=tuple(places), args=args, L=L, windows=ImmutableMatrix(W),
                  zs=zs, shown=shown, values=values, factors=factors, written=written, exact=exact,
                  meanings=meanings,
                  dphi=tidy_form(dphi).subs(Z, Z_VEC), dead=dead)


def _kinked_slopes(layer: Layer, zs: tuple, shown: tuple, dphi, meanings: dict) -> tuple:
    """(each row's slope, phi'(z_r) for the checker), decided by the signs; the checker reads each z_r with its
    sign, and a z_r of exactly 0 (numbers given) as 0, its slope the one taken at the kink."""
    signed = [Symbol(f"{zr.name}{'>' if s > 0 else '<'}0", positive=s > 0, negative=s < 0) if s else
              sympy.Integer(0) for zr, s in zip(zs, layer.signs)]
    values = tuple(kink.slope_at(layer, r, zr) for r, zr in enumerate(zs))
    exact = tuple(dphi.subs(Z, sz) if s else v for s, sz, v in zip(layer.signs, signed, values))
    meanings.update(zip(zs, signed))
    meanings.update({sh: (sympy.Heaviside(sz, 0) if layer.name == "relu" and s else e)
                     for sh, sz, s, e in zip(shown, signed, layer.signs, exact)})
    return values, exact


# --- shapes --------------------------------------------------------------------------------------

def _grids(d: Derivs, flat_values) -> list[ImmutableMatrix]:
    """Per output channel, the values in the output's shape (a column in 1D)."""
    g = d.layer.g
    m = g.size(g.output)
    r, c = (g.output[0], 1) if g.dims == 1 else g.output
    return [ImmutableMatrix(r, c, list(flat_values[o * m:(o + 1) * m])) for o in range(g.channels[1])]


def _grid_symbol(d: Derivs, base: str, written, channel: int | None):
    g = d.layer.g
    r, c = (g.output[0], 1) if g.dims == 1 else g.output
    label = f"[{channel + 1}]" if channel is not None and g.channel_dims else ""
    return NOTATION.matrix(f"{base}{label}", r, c, Sym(written, sup=label) if label else written)


def _flattening(d: Derivs) -> Text:
    g = d.layer.g
    what = [] if not g.transposed else [" The layer's matrix is ", F_T_MAT, ", the transpose of F, the matrix of the"
                                        " convolution with the same kernel, stride, padding and dilation."]
    order = "flattened row by row (PyTorch's reshape order)" if g.dims == 2 else "listed in order"
    chans = ", channel after channel" if g.channel_dims else ""
    return say(f"Inputs, outputs and weights are {order}{chans}; the weights in PyTorch's layout"
               f" ({' × '.join(map(str, g.weight_shape()))}).", *what, " Write ",
               let(A_VEC, (RELU if d.layer.name == "relu" else PHI)(Z_VEC)), " with ",
               let(Z_VEC, MatMul(layer_symbol(d.layer), X_VEC)), ".")


def _conditions(d: Derivs) -> list:
    """'positive: z11 and z22; negative: z12' as pieces (the arguments as symbols)."""
    if not d.layer.kinked:
        return []
    out = []
    for word, want in (("positive: ", 1), ("negative: ", -1), ("exactly 0: ", 0)):
        these = [zr for zr, s in zip(d.zs, d.layer.signs) if s == want]
        if these:
            out += (["; "] if out else []) + [word, *join_pieces(these)]
    return out


def _slope_step(d: Derivs):
    layer = d.layer
    if layer.kinked:
        side = ("The ReLU's derivative is 1 for a positive argument and 0 for a negative one" if layer.name == "relu"
                else "The activation's slope on each side of 0")
        text = say(side, *kink.clause(layer), "; the arguments' signs (", *_conditions(d), ") give each output's"
                   " slope:")
    else:
        return step(say("Differentiate the activation. Its slope depends on the argument itself, so row r is"
                        " scaled by ", dphi_at(), ", with ", Z_R, " the r-th entry of ",
                        MatMul(layer_symbol(layer), X_VEC), ":"),
                    chain(DPHI_Z, d.dphi, *([in_sigmoids(d.dphi, PHI)] if layer.name == "sigmoid" else [])))
    chains = [chain(ImmutableMatrix(gs.rows, gs.cols, list(gs)), gv) for gs, gv in
              zip(_grids(d, d.shown), _grids(d, d.values))]
    return step(text, *chains)


def _notes(d: Derivs) -> tuple:
    out = []
    if not d.layer.kinked:
        out.append(say("The activation is smooth, so its slope is not a 0/1 mask: the answer keeps each output's"
                       " argument ", Z_R, " (entry r of ", MatMul(layer_symbol(d.layer), X_VEC), ")."))
    if d.dead and d.layer.kinked:
        many = len(d.dead) > 1
        out.append(say(f"Output{'s' if many else ''} ", *join_pieces([d.zs[r] for r in d.dead]),
                       f" meet{'' if many else 's'} only padding (or no input), so the argument is exactly 0 whatever"
                       f" x and f; {'their rows are' if many else 'its row is'} zero whatever the slope there."))
    if d.layer.kinked:
        out += kink.notes(d.layer, d.zs)
    return tuple(out)


def _question_tail(d: Derivs) -> list:
    if not d.layer.kinked:
        return []
    return [", given the signs of the arguments (", *_conditions(d), ")"]


# --- gradient: da/df_w for one weight ----------------------------------------------------------------

def gradient(layer: Layer, wrt: int) -> Solution:
    d = analyse(layer)
    w = d.ws[wrt]
    co, ci, k = d.places[wrt]
    g = layer.g
    m = g.size(g.output)
    dz = [sympy.Integer(0)] * len(d.args)
    for row, col, kk in g.taps():
        if kk == k:
            dz[co * m + row] = d.xs[ci * g.size(g.input) + col]
    result = [v * e for v, e in zip(d.values, dz)]
    DZ = _grid_symbol(d, f"dz/d{w.name}", Partial("z", NOTATION[w]), co)
    DA = _grid_symbol(d, f"da/d{w.name}", Partial("a", NOTATION[w]), co)
    gz = _grids(d, dz)[co]
    meanings = dict(d.meanings)
    meanings[DZ] = _grids(d, [sympy.diff(a, w) for a in d.args])[co]
    meanings[DA] = _grids(d, [e * sympy.diff(a, w) for e, a in zip(d.exact, d.args)])[co]
    others = say(f" Outputs of the other output channels do not use {w.name}: their entries are 0.") \
        if g.channels[1] > 1 else Text(())
    shown = ImmutableMatrix(gz.rows, gz.cols, lambda r, c: Times(_grids(d, d.factors)[co][r, c], gz[r, c],
                                                                 evaluate=False))
    boxed = _grids(d, [f * e for f, e in zip(d.factors, dz)])[co]
    steps = [step(_flattening(d) + say(" Output r depends on ", w, " only through its own argument, so"
                                       " row by row the derivative is the slope at ", Z_R, " times the derivative of ",
                                       Z_R, ".")),
             step(say("Each output's argument holds ", w, " once, times the input that weight meets there (0 where"
                      " that is padding or no input reaches):") + others, chain(DZ, gz)),
             _slope_step(d),
             _multiply(d, DA, DZ, co, shown, boxed, meanings)]
    question = say("Compute the derivative of the layer's output with respect to the weight ", w,
                   *_question_tail(d), ".")
    tail = say(f"(Entries of output channel {co + 1}; the other channels' are 0.)") if g.channels[1] > 1 else Text(())
    sol = Solution(question=question, steps=tuple(steps), notes=_notes(d), meanings=meanings,
                   answer=Answer(value=[str(e) for e in result], chain=_answer_chain(steps[-1].chains[0]),
                                 text=tail))
    numbers = layer.x is not None and layer.f is not None
    return _with_numbers(sol, layer, d, _grids(d, result)[co], DA, result) if numbers else sol


SMOOTH_GRID = 4            # a grid of phi'(z_r) x_c products wider than this is shown as a Hadamard product


def _multiply(d: Derivs, DA, DZ, co: int, shown, boxed, meanings: dict):
    """da/df_w = phi'(z) ⊙ dz/df_w: entry by entry, or (a smooth activation's wide grid) as the product."""
    if d.layer.kinked or boxed.cols <= SMOOTH_GRID:
        return step(say("Multiply entry by entry:"), chain(DA, shown, boxed, *_in_phi(d, boxed)))
    slopes = _grid_symbol(d, "phi'(z)grid", Row(Sym("ϕ", primes=1), "(z)"), co)
    meanings[slopes] = _grids(d, d.exact)[co]
    return step(say("Multiply entry by entry (the entries are in the JSON key):"),
                chain(DA, HadamardProduct(slopes, DZ)))

def _in_phi(d: Derivs, boxed: ImmutableMatrix) -> list:
    """[boxed with each row's phi'(z_r) written as the slope step ends it (the sigmoid's phi(z_r)(1 - phi(z_r)))],
    or [] when the slope step writes phi' no other way."""
    if d.written is None:
        return []
    return [boxed.xreplace({sh: w for sh, w in zip(d.shown, d.written)})]


def _answer_chain(last) -> object:
    """The multiplying step's chain boxed from its multiplied-out matrix on (the written-out product dropped)."""
    return chain(last.exprs[0], *last.exprs[2:]) if len(last.exprs) > 3 else last


# --- jacobian (da/df) and input-gradient (da/dx): diag(slopes) times dz/df or L ---------------------------

def _scaled(d: Derivs, J: ImmutableMatrix, J_exact: ImmutableMatrix, names, intro: Text, question: Text):
    """da/dv = diag(phi'(z)) dz/dv, J = dz/dv from the taps, J_exact by differentiating the definition."""
    J_sym, DA, what = names
    rows, cols = J.shape
    slope = Sym(Op("relu"), primes=1) if d.layer.name == "relu" else Sym("ϕ", primes=1)
    DIAG_SYM = NOTATION.matrix(f"diag_{d.layer.name == 'relu'}_slopes", rows, rows,
                               Row(Op("diag"), Fenced(Row(slope, "(z)"), sized=True)))
    result = ImmutableMatrix(rows, cols, lambda r, c: d.values[r] * J[r, c])
    boxed = ImmutableMatrix(rows, cols, lambda r, c: d.factors[r] * J[r, c])
    meanings = {**d.meanings, J_sym: J_exact, DIAG_SYM: ImmutableMatrix.diag(*d.exact),
                DA: ImmutableMatrix(rows, cols, lambda r, c: d.exact[r] * J_exact[r, c])}
    wide = cols > WIDE
    steps = [step(_flattening(d) + intro, *([] if wide else [chain(J_sym, J)])), _slope_step(d)]
    masked = [r for r in range(rows) if d.values[r] == 0]
    scale = say("Chain rule, row by row: row r of ", DA, " is row r of ", J_sym, " times the slope at ", Z_R,
                ", so ", let(DA, MatMul(DIAG_SYM, J_sym)))
    if masked and d.layer.name == "relu":
        what = "a negative argument" if all(d.layer.signs[r] for r in masked) else "a slope of 0"
        scale += say(f"; the rows of the outputs with {what} (", *join_pieces([d.zs[r] for r in masked]),
                     ") vanish")
    if wide:
        steps.append(step(scale + say(f". ({what} has {cols} columns: its entries are in the JSON key.)"),
                          chain(DA, MatMul(DIAG_SYM, J_sym))))
        answer_chain = chain(DA, MatMul(DIAG_SYM, J_sym))
    else:
        shown = MatMul(ImmutableMatrix.diag(*d.factors), J, evaluate=False)
        steps.append(step(scale + say(":"), chain(DA, shown, boxed, *_in_phi(d, boxed))))
        answer_chain = chain(DA, boxed, *_in_phi(d, boxed))
    value = [[str(e) for e in result.row(r)] for r in range(rows)]
    return Solution(question=question, steps=tuple(steps), notes=_notes(d), meanings=meanings,
                    answer=Answer(value=value, chain=answer_chain)), result, answer_chain


def jacobian(layer: Layer) -> Solution:
    d = analyse(layer)
    rows, cols = len(d.args), len(d.ws)
    J_sym = NOTATION.matrix("dz/df[general]", rows, cols, Partial("z", "f"))
    DA = NOTATION.matrix("da/df[general]", rows, cols, Partial("a", "f"))
    intro = say(" z is linear in the weights: entry (r, j) of ", J_sym, " is the input weight j meets at output r"
                " (0 where it meets padding, no input, or belongs to another output channel):")
    question = say(f"Compute the Jacobian of the layer's output with respect to the whole filter, {rows} × {cols}"
                   " (outputs by weights)", *_question_tail(d), ".")
    sol, result, answer = _scaled(d, d.windows, linear_jacobian(d.args, d.ws), (J_sym, DA, "The Jacobian"), intro,
                                  question)
    return _with_numbers(sol, layer, d, result, DA) if layer.x is not None and layer.f is not None \
        else sol


def input_gradient(layer: Layer) -> Solution:
    d = analyse(layer)
    rows, cols = d.L.shape
    J_sym = NOTATION.matrix("F_convT", rows, cols, F_T, means=LAYER_MATRIX) if layer.g.transposed else \
        NOTATION.matrix("F_conv", rows, cols, "F", means=LAYER_MATRIX)
    DA = NOTATION.matrix("da/dx[general]", rows, cols, Partial("a", "x"))
    intro = say(" z is linear in x, so its Jacobian is the layer's matrix ", J_sym, " itself:")
    question = say(f"Compute the Jacobian of the layer's output with respect to the input, {rows} × {cols}",
                   *_question_tail(d), ".")
    sol, result, answer = _scaled(d, d.L, linear_jacobian(d.args, d.xs), (J_sym, DA, "The Jacobian"), intro, question)
    return _with_numbers(sol, layer, d, result, DA) if layer.x is not None and layer.f is not None \
        else sol


# --- with the spec's numbers ----------------------------------------------------------------------------

def _with_numbers(sol: Solution, layer: Layer, d: Derivs, result, lhs, full=None) -> Solution:
    """A last step evaluating the answer at the spec's x and f (checked through what lhs means); ``result`` is
    what lhs shows, ``full`` the whole answer when that is more (the gradient's other output channels)."""
    zs = layer.z()
    known = {**dict(zip(d.xs, layer.x)), **dict(zip(d.ws, layer.f)), **dict(zip(d.zs, zs))}
    local = {**sol.meanings, **known}
    if layer.kinked:                          # the signed z_r the checker reads, at their values
        local.update({d.meanings[zr]: v for zr, v in zip(d.zs, zs) if v != 0})
    exact = sol.meanings[lhs]
    for _ in range(5):
        exact = exact.xreplace(local)
    values = ImmutableMatrix(result).xreplace(known)
    for _ in range(3):
        values = values.xreplace(local)
    at = NOTATION.matrix(f"{lhs.name}@numbers", *values.shape, NOTATION.matrix_written(lhs.name))
    if full is not None:
        every = ImmutableMatrix(full).xreplace(known)
        json = [as_number(e) for e in every.xreplace(local).xreplace(local)]
    else:
        json = [[as_number(e) for e in values.row(r)] for r in range(values.rows)]
    shown = values
    step_ = step(say("With the spec's numbers:"), chain(at, shown)) if values.cols <= WIDE else \
        step(say("With the spec's numbers (the entries are in the JSON key)."))
    return replace(sol, steps=sol.steps + (step_,), meanings={**sol.meanings, at: ImmutableMatrix(exact)},
                   answer=Answer(value=json, chain=chain(at, shown) if values.cols <= WIDE else sol.answer.chain,
                                 text=sol.answer.text))
