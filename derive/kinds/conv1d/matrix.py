"""The matrix F with F x = z, the padding it drops, and the matrix question's steps."""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass

import sympy
from sympy import ImmutableMatrix, MatMul, Symbol

from ...steps import Answer, Solution, Text, chain, let, say, step, written_product, written_sum
from ...symbols import FloorDiv
from ...words import join, plural
from .config import Config
from .names import (D, F_J, F_MAT, J, K, M_OUT, N, P_L, P_R, R, S, X_VEC, Z_R, agree, f, f_pad, x, x_at, x_pad,
                    x_row)


# --- the pieces every question uses (made once per spec: the questions share them) -----------------

@functools.lru_cache(maxsize=8)
def inputs(c: Config) -> ImmutableMatrix:
    return ImmutableMatrix([x(j) for j in range(1, c.length + 1)])


@functools.lru_cache(maxsize=8)
def filter_vector(c: Config) -> ImmutableMatrix:
    return ImmutableMatrix([f(m) for m in range(1, c.width + 1)])


@functools.lru_cache(maxsize=8)
def padded_inputs(c: Config) -> ImmutableMatrix:
    """The input with p_l zeros before it and p_r after it."""
    return ImmutableMatrix([0] * c.padding[0] + [x(j) for j in range(1, c.length + 1)] + [0] * c.padding[1])


@functools.lru_cache(maxsize=8)
def arguments(c: Config) -> ImmutableMatrix:
    """The activation's arguments by the definition: z_r = sum_j f_j xpad[s (r-1) + d (j-1) + 1] (1-based)."""
    xp = padded_inputs(c)
    return ImmutableMatrix([sympy.Add(*[f(j + 1) * xp[r * c.stride + j * c.dilation] for j in range(c.width)])
                            for r in range(c.outputs)])


@functools.lru_cache(maxsize=8)
def matrix(c: Config) -> ImmutableMatrix:
    """F: F[r, c] = f_j where c = r s + (j - 1) d - p_l (0-based r, c); one column per original input."""
    return _banded(c.outputs, c.length, lambda r, j: c.column(r, j), c.width)


@functools.lru_cache(maxsize=8)
def padded_matrix(c: Config) -> ImmutableMatrix:
    """F̃ over the padded input: F̃[r, r s + (j - 1) d] = f_j (0-based)."""
    return _banded(c.outputs, c.padded, lambda r, j: r * c.stride + j * c.dilation, c.width)


def _banded(rows: int, cols: int, column, width: int) -> ImmutableMatrix:
    """A rows x cols matrix holding f_{j+1} at (r, column(r, j)) (None: nowhere) and 0 elsewhere, built from its
    entries at once (a later weight in the same column wins, as when set one by one)."""
    flat = [sympy.S.Zero] * (rows * cols)
    for r in range(rows):
        for j in range(width):
            col = column(r, j)
            if col is not None:
                flat[r * cols + col] = f(j + 1)
    return from_entries(rows, cols, flat)


def from_entries(rows: int, cols: int, flat: list) -> ImmutableMatrix:
    """The matrix of these entries (SymPy objects, row by row), without sympifying each again."""
    return ImmutableMatrix(rows, cols, flat, copy=False)


@functools.lru_cache(maxsize=8)
def windows(c: Config) -> ImmutableMatrix:
    """The inputs under the filter: W[r, j] = x at column(r, j), 0 in the padding (m x k)."""
    return ImmutableMatrix(c.outputs, c.width,
                           lambda r, j: 0 if c.column(r, j) is None else x(c.column(r, j) + 1))


def input_at(c: Config, j: int) -> Symbol:
    """The input weight j (1-based) meets at a generic output r: x_{s(r-1) + d(j-1) + 1 - p_l}."""
    const = -c.stride + c.dilation * (j - 1) + 1 - c.padding[0]
    if c.stride == 1 and const >= 0:
        return x_row(const)
    lead = "r" if c.stride == 1 else f"{c.stride}r"
    return x_at(lead + _signed(const))


def _signed(const: int) -> str:
    """'', '+2' or '-1': a constant term of an index, as written."""
    return "" if const == 0 else f"+{const}" if const > 0 else f"-{-const}"


def _index(c: Config, padded: bool) -> sympy.Expr:
    """s (r - 1) + d (j - 1) + 1 (- p_l unless padded), as written: with r, j symbols, terms in order."""
    const = -c.stride - c.dilation + 1 - (0 if padded else c.padding[0])
    terms = [c.stride * R, c.dilation * J] + ([const] if const else [])
    return written_sum(*terms)


def zero_rows(c: Config) -> list[int]:
    """0-based outputs whose whole window lies in the padding (their argument is 0 whatever x and f)."""
    return [r for r in range(c.outputs) if all(c.column(r, j) is None for j in range(c.width))]



def unseen_inputs(c: Config, F: ImmutableMatrix) -> list[int]:
    """0-based inputs no output reaches (their column of F is zero)."""
    rows = F.tolist()
    return [col for col in range(c.length) if all(row[col] == 0 for row in rows)]


class Strings(list):
    """An answer's value: the strings of an m-row quantity (rows of them, or one a row), a list like any other;
    handed to another process (or the cache) pickled at once by the standard pickler, its repeated "0" shared,
    rather than string by string through the cache's pickler (m × n of them)."""

    def __reduce__(self):
        return _strings, (pickle.dumps(list(self), protocol=pickle.HIGHEST_PROTOCOL),)


def _strings(data: bytes) -> Strings:
    """A value ``Strings.__reduce__`` wrote (inside the pickle being read: no other source)."""
    return Strings(pickle.loads(data))


def strings(M: ImmutableMatrix) -> Strings:
    """The JSON rows: each entry as SymPy prints it (each distinct entry printed once)."""
    seen: dict = {}
    return Strings([[seen[e] if e in seen else seen.setdefault(e, str(e)) for e in row] for row in M.tolist()])


# --- matrix: the analysis -----------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """The matrix question worked out: F, F over the padded input, and which rows and columns are empty."""

    F: ImmutableMatrix
    padded: bool                          # the input is padded on either side
    pad_columns: tuple[int, ...]          # 1-based columns of F over the padded input that meet padding
    zero_rows: tuple[int, ...]            # 0-based outputs whose window lies entirely in the padding
    unseen: tuple[int, ...]               # 0-based inputs no output reaches
    blank_differs: bool                   # the blank drawn in the question has another shape than F


def layout(c: Config) -> Layout:
    F = matrix(c)
    pl, pr = c.padding
    L = c.padded
    pad_columns = tuple(range(1, pl + 1)) + tuple(range(L - pr + 1, L + 1))
    return Layout(F=F, padded=bool(pl or pr), pad_columns=pad_columns, zero_rows=tuple(zero_rows(c)),
                  unseen=tuple(unseen_inputs(c, F)), blank_differs=bool(c.blank) and tuple(c.blank) != F.shape)


def _meanings(c: Config, lay: Layout) -> dict:
    """What the matrix question's symbols stand for, for the checker."""
    meanings = {F_MAT: lay.F, N: c.length, K: c.width}
    if c.plain:
        return meanings
    meanings.update({S: c.stride, D: c.dilation, P_L: c.padding[0], P_R: c.padding[1], M_OUT: c.outputs})
    if lay.padded:
        meanings.update({x_pad(c.padded): padded_inputs(c), f_pad(c.outputs, c.padded): padded_matrix(c),
                         X_VEC: inputs(c)})
    return meanings


# --- matrix: the narration ----------------------------------------------------------------------

def _matrix(c: Config) -> Solution:
    lay = layout(c)
    F = lay.F
    steps = [_plain_step(c)] if c.plain else _general_matrix_steps(c, lay)
    steps.append(step(say("Multiplying out confirms the product:"),
                      chain(MatMul(F, inputs(c), evaluate=False), arguments(c))))
    notes = []
    if lay.blank_differs:
        notes.append(say(f"The blank drawn in the question is {c.blank[0]} × {c.blank[1]}, but F must be"
                         f" {F.shape[0]} × {F.shape[1]}: {c.outputs} outputs by {c.length} inputs."))
    notes += _coverage_notes(lay)
    what = "the ReLU" if c.name == "relu" else "the activation"
    value = strings(F)
    return Solution(question=say(f"Show that the argument of {what} is a matrix product ", MatMul(F_MAT, X_VEC),
                                 ": fill in the matrix F."),
                    steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=value, chain=chain(F_MAT, F)), meanings=_meanings(c, lay))


def _plain_step(c: Config):
    """HW5's valid convolution: each row the one above shifted one column right."""
    return step(say("Row r of ", MatMul(F_MAT, X_VEC), " must give the r-th argument ",
                    let(Z_R, _generic_row(c)),
                    ", so row r holds the filter ", f(1), ", …, ", f(c.width),
                    f" in columns r to r + {c.width - 1}"
                    " and zeros elsewhere: each row is the one above shifted one column right."
                    " F has one row per output (",
                    chain(written_sum(N, -K, 1), written_sum(c.length, -c.width, 1), c.outputs),
                    f") and one column per input ({c.length})."))


def _generic_row(c: Config) -> sympy.Expr:
    return written_sum(*[f(j) * input_at(c, j) for j in range(1, c.width + 1)])


def _general_matrix_steps(c: Config, lay: Layout) -> list:
    """Stride, padding or dilation: pad, place each weight, count the outputs, drop the padded columns."""
    steps = [_padding_step(c)] if lay.padded else []
    steps += [_placement_step(c, lay), _size_step(c, lay)]
    if lay.padded:
        steps.append(_drop_padding_step(c, lay))
    return steps


def _padding_step(c: Config):
    pl, pr = c.padding
    sides = f"{plural(pl, 'zero')} on each side" if pl == pr else \
        f"{plural(pl, 'zero')} on the left and {pr} on the right"
    return step(say(f"Pad the input with {sides}: the padded input has ",
                    chain(written_sum(N, P_L, P_R), written_sum(c.length, pl, pr), c.padded), " entries."),
                chain(x_pad(c.padded), sympy.Transpose(padded_inputs(c).T)))


def _placement_step(c: Config, lay: Layout):
    """Where weight f_j meets output r, the generic row, and how rows shift."""
    shifts = []
    if c.dilation != 1:
        shifts.append(f"the weights sit {c.dilation} columns apart (dilation {c.dilation})")
    shifts.append(f"each row is the one above shifted {c.stride} columns right (stride {c.stride})"
                  if c.stride != 1 else "each row is the one above shifted one column right")
    pieces = ["Output r (counting from 1) meets weight ", F_J, " at entry ", _index(c, padded=True),
              " of the " + ("padded " if lay.padded else "") + "input"]
    if lay.padded:
        pieces += [", which is entry ", _index(c, padded=False), f" of x itself (none where that index is below 1"
                   f" or above {c.length}: the padding)"]
    pieces += [". So ", let(Z_R, _generic_row(c))]
    if lay.padded:
        pieces += [" (a term is absent where its input is padding)"]
    pieces += [", and row r of F holds ", F_J, " in column ", _index(c, padded=False),
               " and zeros elsewhere: ", join(shifts) + "."]
    return step(say(*pieces))


def _size_step(c: Config, lay: Layout):
    """m, the number of outputs, by the general formula and with the numbers."""
    n, k, s, d = c.length, c.width, c.stride, c.dilation
    pl, pr = c.padding
    reach = [written_product(-1, d, k - 1)] if d != 1 else [-(k - 1)] if k != 1 else []
    inner = written_sum(*([n] + ([pl] if pl else []) + ([pr] if pr else []) + reach + [-1]))
    shown = written_sum(FloorDiv(inner, s, evaluate=False), 1)
    general = written_sum(FloorDiv(written_sum(N, P_L, P_R, written_product(-1, D, written_sum(K, -1)), -1), S,
                                   evaluate=False), 1)
    span = written_sum(written_product(D, written_sum(K, -1)), 1)
    every = f", one every {s} entries" if s != 1 else ""
    return step(say("F has one row per output and one column per input (",
                    let(N, n), "). The outputs are the positions of the filter, spanning ",
                    chain(span, c.span), " entries, that fit in the"
                    f" {'padded ' if lay.padded else ''}input{every}: ", chain(M_OUT, general),
                    "."), chain(M_OUT, shown, c.outputs))


def _drop_padding_step(c: Config, lay: Layout):
    """F over the padded input, less the columns that meet padding, is F."""
    L, count = c.padded, len(lay.pad_columns)
    F_pad, xp = f_pad(c.outputs, L), x_pad(L)
    cols = join(lay.pad_columns)
    return step(say("Over the padded input the matrix ", F_pad, f" has {L} columns."
                    f" {agree(count, 'Column', 'Columns')} {cols} {agree(count, 'multiplies', 'multiply')} a"
                    f" padded entry, which is zero, so {agree(count, 'it contributes', 'they contribute')} nothing"
                    " and can be dropped: F is ", F_pad, f" without {agree(count, 'it', 'them')}, and acts on the"
                    " original input."),
                chain(MatMul(F_pad, xp), MatMul(padded_matrix(c), xp, evaluate=False),
                      MatMul(lay.F, X_VEC, evaluate=False)))


def _coverage_notes(lay: Layout) -> list[Text]:
    notes = []
    if lay.zero_rows:
        count = len(lay.zero_rows)
        notes.append(say(f"The window of {agree(count, 'output', 'outputs')} {join(r + 1 for r in lay.zero_rows)}"
                         f" lies entirely in the padding, so {agree(count, 'that row', 'those rows')} of F"
                         f" {agree(count, 'is', 'are')} zero and the argument is 0 whatever x and f."))
    if lay.unseen:
        count = len(lay.unseen)
        notes.append(say(f"No filter position reaches {agree(count, 'input', 'inputs')}"
                         f" {join(col + 1 for col in lay.unseen)} (the stride, the dilation or the floor in the"
                         f" output size {agree(count, 'skips', 'skip')} {agree(count, 'it', 'them')}), so"
                         f" {agree(count, 'that column', 'those columns')} of F {agree(count, 'is', 'are')} zero."))
    return notes
