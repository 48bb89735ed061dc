"""The derivatives of a = phi(F x): by one filter weight, by the whole filter, by the input."""

from __future__ import annotations

import sympy
from sympy import Derivative, ImmutableMatrix, MatMul, Symbol

from ...steps import Answer, Solution, chain, let, say, step, written_product
from ...symbols import Times
from ...words import join_pieces
from . import kink
from .config import Config
from .matrix import strings, arguments, filter_vector, from_entries, input_at, inputs, matrix, windows
from .names import (A_VEC, DA_DF, DA_DF_J, DA_DX, DA_DX_C, DIAG, DPHI_Z, DZ_DF, DZ_DF_J, DZ_DX, F_J, F_MAT, F_RC,
                    PHI, RELU, RELU_PRIME, X_VEC, Z_R, Z_VEC, da_df, da_r_df, dz_r_df, f, x, x_at)
from .slopes import slopes


def _activation(c: Config):
    return RELU if c.name == "relu" else PHI


def _gradient(c: Config) -> Solution:
    j, sl = c.wrt, slopes(c)
    args = arguments(c)
    dz = filter_column(c, j)
    result = ImmutableMatrix([sl.values[i] * dz[i] for i in range(c.outputs)])
    da = da_df(j)
    contains = say("Differentiate each argument with respect to ", f(j), ": only the term ", f(j) * input_at(c, j),
                   " contains it")
    if any(e == 0 for e in dz) and (c.padding != (0, 0)):
        contains += say(", and where that input is padding there is no such term")
    steps = [
        step(say("Write ", let(A_VEC, _activation(c)(Z_VEC)), " with ",
                 let(Z_VEC, MatMul(F_MAT, X_VEC)), ". Output r depends on ", f(j),
                 " only through its own argument ", Z_R, ", so by the chain rule, row by row, ",
                 let(da_r_df(j), sl.generic * dz_r_df(j)), ".")),
        step(contains + say("."), chain(_derivative_of(args, f(j)), dz)),
        sl.step(),
    ]
    shown = ImmutableMatrix([Times(sl.factors[i], dz[i], evaluate=False) for i in range(c.outputs)])
    boxed = ImmutableMatrix([sl.factors[i] * dz[i] for i in range(c.outputs)])
    explicit = [] if c.kinked else [ImmutableMatrix([sl.written[i] * dz[i] for i in range(c.outputs)])]
    # a vector is narrow enough to show phi' written out (the sigmoid's in phi itself); the JSON in z
    steps.append(step(say(_multiply_words(c)), chain(da, shown, boxed, *explicit)))
    notes = []
    if c.kinked:
        what = "ReLU's" if c.name == "relu" else "activation's"
        slope = "the ReLU's slope" if c.name == "relu" else "its slope"
        notes.append(say(f"The conditions are read as the signs of the {what} whole arguments ", *join_pieces(sl.zs),
                         f" (each a sum over the filter), since those decide {slope}; the sign of a single term"
                         " such as ", f(j) * x(1), " does not."))
    notes += sl.notes()
    meanings = {**sl.meanings, **products(shown), da: ImmutableMatrix([sl.exact[i] * dz[i] for i in range(c.outputs)])}
    question = say("Compute ", da, *sl.question_tail(), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=[str(e) for e in result], chain=chain(da, boxed, *explicit),
                                  text=sl.answer_text()))


def products(M: ImmutableMatrix) -> dict:
    """Each product written out in M (a slope times a derivative, kept as written) with what it stands for, the
    product of its factors: the checker multiplies them out exactly instead of sampling each entry."""
    return {e: sympy.Mul(*e.args) for e in set(M) if isinstance(e, Times)}


def filter_column(c: Config, j: int) -> ImmutableMatrix:
    """dz/df_j from the band: the input f_j meets at each output, 0 where that is padding (the check
    differentiates the arguments themselves)."""
    return ImmutableMatrix([x(col + 1) if col is not None else sympy.S.Zero
                            for col in (c.column(r, j - 1) for r in range(c.outputs))])


def _derivative_of(args: ImmutableMatrix, var: Symbol):
    """d args / d var shown as one derivative of the vector; entry by entry when no entry has var (SymPy
    would make the whole derivative the scalar 0)."""
    if any(e.has(var) for e in args):
        return Derivative(args, var)
    return ImmutableMatrix([Derivative(e, var) for e in args])


def _multiply_words(c: Config) -> str:
    if kink.any_zero(c):
        return "Multiply elementwise, each row by its slope:"
    if c.name == "relu":
        return "Multiply elementwise (the ReLU masks the rows whose argument is negative):"
    if c.name == "leaky_relu":
        return "Multiply elementwise (the leaky ReLU scales down the rows whose argument is negative):"
    if c.kinked:
        return "Multiply elementwise, each row by its slope:"
    return "Multiply elementwise, each row by its slope:"


def _jacobian(c: Config) -> Solution:
    sl = slopes(c)
    args, W, m, k = arguments(c), windows(c), c.outputs, c.width
    result = ImmutableMatrix(m, k, lambda r, j: sl.values[r] * W[r, j])
    steps = [
        step(say("Write ", let(A_VEC, _activation(c)(Z_VEC)), " with ",
                 let(Z_VEC, MatMul(F_MAT, X_VEC)), ". Output r depends on the filter only"
                 " through its own argument ", Z_R, ", so by the chain rule ",
                 let(DA_DF_J, sl.generic * DZ_DF_J),
                 ": row r of the Jacobian is row r of ", DZ_DF, " scaled by the slope at ", Z_R, ".")),
        step(say(DZ_DF_J, " is the input that ", F_J, " meets at output r, ", _x_at_generic(c),
                 *([" (0 where that is padding)"] if c.padding != (0, 0) else []),
                 ", so row r of ", DZ_DF, " lists the inputs under the filter at output r:"),
             chain(DZ_DF, W)),
        sl.step(),
    ]
    shown = ImmutableMatrix(m, k, lambda r, j: Times(sl.factors[r], W[r, j], evaluate=False))
    boxed = ImmutableMatrix(m, k, lambda r, j: sl.factors[r] * W[r, j])
    masks = c.name == "relu" and not kink.any_zero(c)
    steps.append(step(say("Scale each row by its slope" + (" (the rows whose argument is negative vanish):"
                                                            if masks else ":")),
                      chain(DA_DF, shown, boxed)))
    fvec = filter_vector(c)
    dz_df = linear_jacobian(args, fvec)
    meanings = {**sl.meanings, **products(shown), DZ_DF: dz_df, DA_DF: scaled_rows(sl.exact, dz_df)}
    entries = [da_r_df(j + 1) for j in range(k)]
    holds = join_pieces(entries) if k <= 2 else [entries[0], ", …, ", entries[-1]]
    question = say("Compute the Jacobian ", DA_DF, f" of the output with respect to the whole filter, of size"
                   f" {m} × {k} (row r holds ", *holds, ")", *sl.question_tail(), ".")
    value = strings(result)
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=chain(DA_DF, boxed), text=sl.answer_text()))


def _x_at_generic(c: Config):
    """x_{s(r-1) + d(j-1) + 1 - p_l} for the generic weight j."""
    return x_at(_index_text(c))


def _index_text(c: Config) -> str:
    """The index s(r-1) + d(j-1) + 1 - p_l of the input under f_j at output r, as a symbol-name fragment."""
    const = -c.stride - c.dilation + 1 - c.padding[0]
    lead = ("r" if c.stride == 1 else f"{c.stride}r") + ("+j" if c.dilation == 1 else f"+{c.dilation}j")
    return lead + ("" if const == 0 else f"+{const}" if const > 0 else f"-{-const}")


def linear_jacobian(args: ImmutableMatrix, variables) -> ImmutableMatrix:
    """d args / d variables for arguments linear in each variable (z_r = sum of f_j x_c): each term's
    coefficient of the variable it holds, read off the definition's terms (a term holding a variable other
    than once is differentiated by SymPy)."""
    position = {v: i for i, v in enumerate(variables)}
    out = [[sympy.Integer(0)] * len(position) for _ in range(len(args))]
    for r, e in enumerate(args):
        for term in sympy.Add.make_args(e):
            factors = sympy.Mul.make_args(term)
            held = [a for a in factors if a in position]
            if len(held) == 1 and factors.count(held[0]) == 1:
                rest = [a for a in factors if a is not held[0]]
                out[r][position[held[0]]] += sympy.Mul(*rest)
            else:
                for v in term.free_symbols & set(position):
                    out[r][position[v]] += sympy.diff(term, v)
    return from_entries(len(out), len(position), [e for row in out for e in row])


def scaled_rows(scales, M: ImmutableMatrix) -> ImmutableMatrix:
    """diag(scales) M, row by row (a row's zeros multiplied once: a banded M is mostly zeros)."""
    zero, flat = sympy.S.Zero, []
    for scale, row in zip(scales, M.tolist()):
        scaled_zero = scale * zero
        flat += [scaled_zero if e is zero else scale * e for e in row]
    return from_entries(M.rows, M.cols, flat)


def diagonal(entries) -> ImmutableMatrix:
    """diag(entries), built from its entries at once."""
    m = len(entries)
    flat = [sympy.S.Zero] * (m * m)
    for r, e in enumerate(entries):
        flat[r * m + r] = e
    return from_entries(m, m, flat)


def _input_gradient(c: Config) -> Solution:
    sl = slopes(c)
    args, F, m, n = arguments(c), matrix(c), c.outputs, c.length
    result = scaled_rows(sl.values, F)
    diag = diagonal(sl.factors)
    boxed = scaled_rows(sl.factors, F)
    steps = [
        step(say(let(Z_VEC, MatMul(F_MAT, X_VEC)), " is linear in ", X_VEC,
                 ", so its Jacobian is F itself:"),
             chain(DZ_DX, F)),
        sl.step(),
        step(say("Chain rule, row by row: ", let(DA_DX_C, sl.generic * F_RC),
                 ", so each row of F is scaled by its slope, ",
                 let(DA_DX, written_product(DIAG(RELU_PRIME(Z_VEC) if c.name == "relu" else DPHI_Z), F_MAT)),
                 ":"),
             chain(DA_DX, MatMul(diag, F, evaluate=False), boxed)),
    ]
    xvec = inputs(c)
    dz_dx = linear_jacobian(args, xvec)
    meanings = {**sl.meanings, DZ_DX: dz_dx, DA_DX: scaled_rows(sl.exact, dz_dx)}
    question = say("Compute ", DA_DX, f", the Jacobian of the output with respect to the input, of size {m} × {n}",
                   *sl.question_tail(), ".")
    value = strings(result)
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=chain(DA_DX, boxed), text=sl.answer_text()))
