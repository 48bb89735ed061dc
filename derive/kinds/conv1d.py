"""conv1d-matrix: a 1D convolution (valid, stride 1) as a banded matrix, and its ReLU-masked gradient."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy
from sympy import Add, Derivative, Function, ImmutableMatrix, MatMul, Symbol

from .. import fields
from ..fields import FieldError
from ..steps import Answer, Solution, Text, chain, say, step
from ..symbols import Times, f, row, x, z

ASKS = ("matrix", "gradient")
FIELDS = ("length", "width", "wrt", "signs", "blank")
SIGNS = {"+": 1, "-": -1}

RELU_PRIME = Function("relu'")
F_MAT, X_VEC, A_VEC, Z_VEC = Symbol("F"), Symbol("x^(i)"), Symbol("a^(i)"), Symbol("z_vec")


@dataclass(frozen=True)
class Config:
    length: int                         # n, the input length
    width: int                          # k, the filter width
    wrt: int | None = None              # j of the f_j the gradient is taken with respect to
    signs: tuple[int, ...] | None = None  # sign of each ReLU argument, +1 or -1
    blank: tuple[int, int] | None = None  # rows, columns of the blank drawn in the question

    @property
    def outputs(self) -> int:
        return self.length - self.width + 1


def configure(values: dict, asks) -> Config:
    """Validate length, width and, for the gradient, the variable and the signs."""
    n = fields.integer(values, "length", minimum=1)
    k = fields.integer(values, "width", minimum=1)
    if k > n:
        raise FieldError("width", f"the filter is wider than the input (length {n})", k, f"at most {n}")
    m = n - k + 1
    wrt = signs = blank = None
    if "gradient" in asks or "wrt" in values:
        raw = values.get("wrt")
        match = re.fullmatch(r"f_?\{?(\d+)\}?", raw) if isinstance(raw, str) else None
        if not match or not 1 <= int(match.group(1)) <= k:
            raise FieldError("wrt", "must name a filter weight", raw, f"one of f1 … f{k}")
        wrt = int(match.group(1))
    if "gradient" in asks or "signs" in values:
        raw = values.get("signs")
        if not isinstance(raw, list) or len(raw) != m:
            raise FieldError("signs", f"must list the sign of each of the {m} ReLU arguments", raw,
                             f'a list of {m} of "+" and "-"')
        for s in raw:
            if s in ("0", 0):
                raise FieldError("signs", "an argument of exactly 0 leaves ReLU' undefined; say which side", raw,
                                 '"+" or "-" for each argument')
            if s not in SIGNS:
                raise FieldError("signs", "unknown sign", s, '"+" or "-"')
        signs = tuple(SIGNS[s] for s in raw)
    if "blank" in values:
        raw = values["blank"]
        if not (isinstance(raw, list) and len(raw) == 2):
            raise FieldError("blank", "must be [rows, columns] of the blank drawn in the question", raw,
                             "two whole numbers")
        blank = tuple(fields.check_int(v, "blank", 1) for v in raw)
    return Config(length=n, width=k, wrt=wrt, signs=signs, blank=blank)


def inputs(c: Config) -> ImmutableMatrix:
    return ImmutableMatrix([x(j) for j in range(1, c.length + 1)])


def arguments(c: Config) -> ImmutableMatrix:
    """The ReLU's arguments z_i = sum_m f_m x_{i+m-1}, as the question writes them."""
    return ImmutableMatrix([sum(f(m) * x(i + m - 1) for m in range(1, c.width + 1)) for i in range(1, c.outputs + 1)])


def matrix(c: Config) -> ImmutableMatrix:
    """F with F[i, i+m-1] = f_m: one row per output, one column per input."""
    return ImmutableMatrix(c.outputs, c.length,
                           lambda i, j: f(j - i + 1) if 0 <= j - i < c.width else 0)


def setting(c: Config) -> Text:
    """The input, the filter and the activation."""
    fvec = ImmutableMatrix([f(m) for m in range(1, c.width + 1)])
    return say(f"A one-dimensional input of length {c.length} and a filter of width {c.width}: ",
               sympy.Eq(X_VEC, inputs(c), evaluate=False), ", ", sympy.Eq(Symbol("f"), fvec, evaluate=False),
               ". The layer's output is ", sympy.Eq(A_VEC, Function("relu")(arguments(c)), evaluate=False),
               ", with the ReLU applied elementwise.")


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of a conv1d-matrix part."""
    return {"matrix": _matrix, "gradient": _gradient}[ask](c)


def _matrix(c: Config) -> Solution:
    F = matrix(c)
    steps = [
        step(say("Row r of ", MatMul(F_MAT, X_VEC), " must give the r-th argument ",
                 sympy.Eq(row("z"), Add(*[f(m) * row("x", m - 1) for m in range(1, c.width + 1)], evaluate=False),
                          evaluate=False),
                 f", so row r holds the filter ", f(1), ", …, ", f(c.width), f" in columns r to r + {c.width - 1}"
                 " and zeros elsewhere: each row is the one above shifted one column right."
                 f" F has one row per output (n − k + 1 = {c.length} − {c.width} + 1 = {c.outputs}) and one column"
                 f" per input ({c.length}).")),
        step(say("Multiplying out confirms the product:"), chain(MatMul(F, inputs(c), evaluate=False), arguments(c))),
    ]
    notes = []
    if c.blank and tuple(c.blank) != F.shape:
        notes.append(say(f"The blank drawn in the question is {c.blank[0]} × {c.blank[1]}, but F must be"
                         f" {F.shape[0]} × {F.shape[1]}: {c.outputs} outputs by {c.length} inputs."))
    value = [[str(e) for e in F.row(i)] for i in range(F.rows)]
    return Solution(question=say("Show that the argument of the ReLU is a matrix product ", MatMul(F_MAT, X_VEC),
                                 ": fill in the matrix F."),
                    steps=tuple(steps), notes=tuple(notes),
                    answer=Answer(value=value, chain=chain(F_MAT, F)),
                    meanings={F_MAT: F})


def _gradient(c: Config) -> Solution:
    j, zs = c.wrt, _signed_arguments(c)
    args = arguments(c)
    dz = ImmutableMatrix([sympy.diff(e, f(j)) for e in args])
    mask = ImmutableMatrix([1 if s > 0 else 0 for s in c.signs])
    result = ImmutableMatrix([mask[i] * dz[i] for i in range(c.outputs)])
    relu_primes = ImmutableMatrix([RELU_PRIME(zi) for zi in zs])
    da = Symbol(f"da/df{j}")
    conditions = [sympy.StrictGreaterThan(z(i + 1), 0, evaluate=False) if s > 0 else
                  sympy.StrictLessThan(z(i + 1), 0, evaluate=False) for i, s in enumerate(c.signs)]
    steps = [
        step(say("Write ", sympy.Eq(A_VEC, Function("relu")(Z_VEC), evaluate=False), " with ",
                 sympy.Eq(Z_VEC, MatMul(F_MAT, X_VEC), evaluate=False), ". Output r depends on ", f(j),
                 " only through its own argument ", row("z"), ", so by the chain rule, row by row, ",
                 sympy.Eq(Symbol(f"da_r/df{j}"), RELU_PRIME(row("z")) * Symbol(f"dz_r/df{j}"), evaluate=False), ".")),
        step(say("Differentiate each argument with respect to ", f(j), ": only the term ", f(j) * row("x", j - 1),
                 " contains it."), chain(Derivative(args, f(j)), dz)),
        step(say("The ReLU's derivative is 1 for a positive argument and 0 for a negative one; with ",
                 *_join(conditions), ":"), chain(relu_primes, mask)),
        step(say("Multiply elementwise (the ReLU masks the rows whose argument is negative):"),
             chain(da, ImmutableMatrix([Times(mask[i], dz[i], evaluate=False) for i in range(c.outputs)]),
                   result)),
    ]
    notes = [say("The conditions are read as the signs of the ReLU's whole arguments ", *_join(zs),
                 " (each a sum over the filter), since those decide the ReLU's slope; the sign of a single term such"
                 " as ", f(j) * x(1), " does not.")]
    meanings = {**{RELU_PRIME(zi): sympy.Heaviside(zi, 0) for zi in zs},
                da: ImmutableMatrix([sympy.Heaviside(zi, 0) * dz[i] for i, zi in enumerate(zs)])}
    question = say("Compute ", Symbol(f"da/df{j}"), ", assuming ", *_join(conditions), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=[str(e) for e in result], chain=chain(da, result)))


def _signed_arguments(c: Config) -> list[Symbol]:
    """z_1 ... z_m, each carrying the sign the spec gives it (so ReLU' of it is decided)."""
    return [Symbol(f"z{i + 1}", positive=True) if s > 0 else Symbol(f"z{i + 1}", negative=True)
            for i, s in enumerate(c.signs)]


def _join(items) -> list:
    """Pieces listing items with commas and 'and'."""
    out = []
    for k, item in enumerate(items):
        if k:
            out.append(" and " if k == len(items) - 1 else ", ")
        out.append(item)
    return out
