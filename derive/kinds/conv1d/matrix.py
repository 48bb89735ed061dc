"""The matrix F with F x = z, the padding it drops, and the matrix question's steps."""

from __future__ import annotations

import sympy
from sympy import Add, ImmutableMatrix, MatMul, MatrixSymbol, Mul, Symbol

from ...steps import Answer, Solution, Text, chain, let, say, step
from ...symbols import FloorDiv, f, row, x
from .config import Config
from .names import D, F_MAT, F_PAD, J, K, M_OUT, N, P_L, P_R, R, S, X_PAD, X_VEC, _words


# --- the pieces every question uses -----------------------------------------------------------

def inputs(c: Config) -> ImmutableMatrix:
    return ImmutableMatrix([x(j) for j in range(1, c.length + 1)])


def filter_vector(c: Config) -> ImmutableMatrix:
    return ImmutableMatrix([f(m) for m in range(1, c.width + 1)])


def padded_inputs(c: Config) -> ImmutableMatrix:
    """The input with p_l zeros before it and p_r after it."""
    return ImmutableMatrix([0] * c.padding[0] + [x(j) for j in range(1, c.length + 1)] + [0] * c.padding[1])


def arguments(c: Config) -> ImmutableMatrix:
    """The activation's arguments by the definition: z_r = sum_j f_j xpad[s (r-1) + d (j-1) + 1] (1-based)."""
    xp = padded_inputs(c)
    return ImmutableMatrix([sum((f(j + 1) * xp[r * c.stride + j * c.dilation] for j in range(c.width)),
                                sympy.Integer(0)) for r in range(c.outputs)])


def matrix(c: Config) -> ImmutableMatrix:
    """F: F[r, c] = f_j where c = r s + (j - 1) d - p_l (0-based r, c); one column per original input."""
    F = sympy.zeros(c.outputs, c.length)
    for r in range(c.outputs):
        for j in range(c.width):
            col = c.column(r, j)
            if col is not None:
                F[r, col] = f(j + 1)
    return ImmutableMatrix(F)


def padded_matrix(c: Config) -> ImmutableMatrix:
    """F̃ over the padded input: F̃[r, r s + (j - 1) d] = f_j (0-based)."""
    F = sympy.zeros(c.outputs, c.padded)
    for r in range(c.outputs):
        for j in range(c.width):
            F[r, r * c.stride + j * c.dilation] = f(j + 1)
    return ImmutableMatrix(F)


def windows(c: Config) -> ImmutableMatrix:
    """The inputs under the filter: W[r, j] = x at column(r, j), 0 in the padding (m x k)."""
    return ImmutableMatrix(c.outputs, c.width,
                           lambda r, j: 0 if c.column(r, j) is None else x(c.column(r, j) + 1))


def _x_at(c: Config, j: int) -> Symbol:
    """The input weight j (1-based) meets at a generic output r: x_{s(r-1) + d(j-1) + 1 - p_l}."""
    const = -c.stride + c.dilation * (j - 1) + 1 - c.padding[0]
    if c.stride == 1 and const >= 0:
        return row("x", const)
    lead = "r" if c.stride == 1 else f"{c.stride}r"
    tail = "" if const == 0 else f"+{const}" if const > 0 else f"-{-const}"
    return Symbol(f"x_[{lead}{tail}]", real=True)


def _index(c: Config, padded: bool) -> sympy.Expr:
    """s (r - 1) + d (j - 1) + 1 (- p_l unless padded), as written: with r, j symbols, terms in order."""
    const = -c.stride - c.dilation + 1 - (0 if padded else c.padding[0])
    terms = [c.stride * R, c.dilation * J] + ([const] if const else [])
    return Add(*terms, evaluate=False)


def _zero_rows(c: Config) -> list[int]:
    """0-based outputs whose whole window lies in the padding (their argument is 0 whatever x and f)."""
    return [r for r in range(c.outputs) if all(c.column(r, j) is None for j in range(c.width))]


# --- matrix ---------------------------------------------------------------------------------

def _matrix(c: Config) -> Solution:
    F = matrix(c)
    meanings = {F_MAT: F}
    if c.plain:
        steps = [step(say("Row r of ", MatMul(F_MAT, X_VEC), " must give the r-th argument ",
                          let(row("z"), _generic_row(c)),
                          ", so row r holds the filter ", f(1), ", …, ", f(c.width),
                          f" in columns r to r + {c.width - 1}"
                          " and zeros elsewhere: each row is the one above shifted one column right."
                          " F has one row per output (",
                          chain(Add(N, -K, 1, evaluate=False), Add(c.length, -c.width, 1, evaluate=False), c.outputs),
                          f") and one column per input ({c.length})."))]
        meanings.update({N: c.length, K: c.width})
    else:
        steps = _general_matrix_steps(c, meanings)
    steps.append(step(say("Multiplying out confirms the product:"),
                      chain(MatMul(F, inputs(c), evaluate=False), arguments(c))))
    notes = []
    if c.blank and tuple(c.blank) != F.shape:
        notes.append(say(f"The blank drawn in the question is {c.blank[0]} × {c.blank[1]}, but F must be"
                         f" {F.shape[0]} × {F.shape[1]}: {c.outputs} outputs by {c.length} inputs."))
    notes += _coverage_notes(c, F)
    what = "the ReLU" if c.name == "relu" else "the activation"
    value = [[str(e) for e in F.row(i)] for i in range(F.rows)]
    return Solution(question=say(f"Show that the argument of {what} is a matrix product ", MatMul(F_MAT, X_VEC),
                                 ": fill in the matrix F."),
                    steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=value, chain=chain(F_MAT, F)), meanings=meanings)


def _generic_row(c: Config) -> sympy.Expr:
    return Add(*[f(j) * _x_at(c, j) for j in range(1, c.width + 1)], evaluate=False)


def _general_matrix_steps(c: Config, meanings: dict) -> list:
    n, k, s, d = c.length, c.width, c.stride, c.dilation
    pl, pr = c.padding
    steps = []
    meanings.update({N: n, K: k, S: s, D: d, P_L: pl, P_R: pr})
    if pl or pr:
        xp = padded_inputs(c)
        meanings[X_PAD] = xp
        sides = f"{pl} zero{'s' if pl > 1 else ''} on each side" if pl == pr else \
            f"{pl} zero{'s' if pl != 1 else ''} on the left and {pr} on the right"
        steps.append(step(say(f"Pad the input with {sides}: the padded input has ",
                              chain(Add(N, P_L, P_R, evaluate=False), Add(n, pl, pr, evaluate=False), c.padded),
                              " entries."),
                          chain(X_PAD, sympy.Transpose(xp.T))))
    shifts = []
    if d != 1:
        shifts.append(f"the weights sit {d} columns apart (dilation {d})")
    shifts.append(f"each row is the one above shifted {s} columns right (stride {s})" if s != 1 else
                  "each row is the one above shifted one column right")
    pieces = ["Output r (counting from 1) meets weight ", Symbol("f_j"), " at entry ", _index(c, padded=True),
              " of the " + ("padded " if pl or pr else "") + "input"]
    if pl or pr:
        pieces += [", which is entry ", _index(c, padded=False), f" of x itself (none where that index is below 1"
                   f" or above {n}: the padding)"]
    pieces += [". So ", let(row("z"), _generic_row(c))]
    if pl or pr:
        pieces += [" (a term is absent where its input is padding)"]
    pieces += [", and row r of F holds ", Symbol("f_j"), " in column ", _index(c, padded=False),
               " and zeros elsewhere: ", _words(shifts) + "."]
    steps.append(step(say(*pieces)))
    L = c.padded
    inner = Add(*([n] + ([pl] if pl else []) + ([pr] if pr else [])
                  + ([Mul(-1, d, k - 1, evaluate=False)] if d != 1 else [-(k - 1)] if k != 1 else []) + [-1]),
                evaluate=False)
    shown = Add(FloorDiv(inner, s, evaluate=False), 1, evaluate=False)
    meanings[M_OUT] = c.outputs
    general = Add(FloorDiv(Add(N, P_L, P_R, Mul(-1, D, Add(K, -1, evaluate=False), evaluate=False), -1,
                               evaluate=False), S, evaluate=False), 1, evaluate=False)
    span = Add(Mul(D, Add(K, -1, evaluate=False), evaluate=False), 1, evaluate=False)
    every = f", one every {s} entries" if s != 1 else ""
    steps.append(step(say("F has one row per output and one column per input (",
                          let(N, n), "). The outputs are the positions of the filter, spanning ",
                          chain(span, c.span), " entries, that fit in the"
                          f" {'padded ' if pl or pr else ''}input{every}: ", chain(M_OUT, general),
                          "."), chain(M_OUT, shown, c.outputs)))
    if pl or pr:
        Fp = padded_matrix(c)
        F_pad, x_pad = MatrixSymbol("F_pad", c.outputs, L), MatrixSymbol("x_pad", L, 1)
        x_vec = MatrixSymbol("x^(i)", n, 1)
        meanings.update({F_pad: Fp, x_pad: padded_inputs(c), x_vec: inputs(c)})
        pad_cols = list(range(1, pl + 1)) + list(range(L - pr + 1, L + 1))
        cols, many = _words([str(v) for v in pad_cols]), len(pad_cols) > 1
        steps.append(step(say("Over the padded input the matrix ", F_PAD, f" has {L} columns."
                              f" Column{'s' if many else ''} {cols} multipl{'y' if many else 'ies'} a padded entry,"
                              f" which is zero, so {'they contribute' if many else 'it contributes'} nothing and can be"
                              " dropped: F is ", F_PAD, f" without {'them' if many else 'it'}, and acts on the original"
                              " input."),
                          chain(MatMul(F_pad, x_pad), MatMul(Fp, x_pad, evaluate=False),
                                MatMul(matrix(c), x_vec, evaluate=False))))
    return steps


def _coverage_notes(c: Config, F: ImmutableMatrix) -> list[Text]:
    notes = []
    zero_rows = _zero_rows(c)
    if zero_rows:
        listed = _words([str(r + 1) for r in zero_rows])
        notes.append(say(f"The window of output{'s' if len(zero_rows) > 1 else ''} {listed} lies entirely in the"
                         f" padding, so {'those rows' if len(zero_rows) > 1 else 'that row'} of F"
                         f" {'are' if len(zero_rows) > 1 else 'is'} zero and the argument is 0 whatever x and f."))
    unseen = [col for col in range(c.length) if all(F[r, col] == 0 for r in range(F.rows))]
    if unseen:
        listed, many = _words([str(col + 1) for col in unseen]), len(unseen) > 1
        notes.append(say(f"No filter position reaches input{'s' if many else ''} {listed} (the stride, the dilation"
                         f" or the floor in the output size skip{'s' if not many else ''} {'them' if many else 'it'}),"
                         f" so {'those columns' if many else 'that column'} of F {'are' if many else 'is'} zero."))
    return notes
