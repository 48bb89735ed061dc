"""conv1d-matrix: a 1D convolution (stride, padding, dilation) as a banded matrix F, then an activation.

Questions: the matrix F with F x = z (the activation's argument), and the derivatives of
a = phi(z): with respect to one filter weight (``gradient``), the whole filter (``jacobian``)
and the input (``input-gradient``). For an activation with a kink at 0 (ReLU, leaky ReLU,
|z|, ...) the spec gives the sign of each argument, which decides each row's slope; for a
smooth activation the slope phi'(z_r) stays a function of z_r = (F x)_r.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy
from sympy import Add, Derivative, Function, ImmutableMatrix, MatMul, MatrixSymbol, Mul, Symbol

from .. import fields
from ..check import is_zero
from ..fields import FieldError
from ..mathparse import NAMED, MathSyntaxError, Z, parse_activation
from ..steps import Answer, Solution, Text, chain, say, step
from ..symbols import FloorDiv, Times, f, row, x, z
from .rnn import derivative

ASKS = ("matrix", "gradient", "jacobian", "input-gradient")
DERIVATIVES = ("gradient", "jacobian", "input-gradient")
FIELDS = ("length", "width", "stride", "padding", "dilation", "activation", "wrt", "signs", "blank")
SIGNS = {"+": 1, "-": -1}
KINKS = (sympy.Heaviside, sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Piecewise, sympy.DiracDelta)
READABLE = {"relu": "the ReLU", "leaky_relu": "the leaky ReLU", "sigmoid": "the logistic sigmoid",
            "tanh": "the hyperbolic tangent", "softplus": "the softplus", "identity": "the identity",
            "exp": "the exponential"}

RELU, RELU_PRIME, PHI, DIAG = Function("relu"), Function("relu'"), Function("phi"), Function("diag")
F_MAT, X_VEC, A_VEC, Z_VEC = Symbol("F"), Symbol("x^(i)"), Symbol("a^(i)"), Symbol("z_vec")
F_PAD, X_PAD, M_OUT = Symbol("F_pad"), Symbol("x_pad"), Symbol("m")
ZS = Symbol("z_vec", real=True)          # the activation's scalar variable, printed z
DPHI_Z = Symbol("phi'(z)")              # phi'(z), printed as such
DA_DF, DZ_DF = Symbol("da/df"), Symbol("dz/df")
DA_DX, DZ_DX = Symbol("da/dx^(i)"), Symbol("dz/dx^(i)")
R, J = Symbol("r"), Symbol("j")


@dataclass(frozen=True)
class Config:
    length: int                           # n, the input length
    width: int                            # k, the filter width
    wrt: int | None = None                # j of the f_j the gradient is taken with respect to
    signs: tuple[int, ...] | None = None  # sign of each activation argument, +1 or -1 (kinked activations)
    blank: tuple[int, int] | None = None  # rows, columns of the blank drawn in the question
    stride: int = 1
    padding: tuple[int, int] = (0, 0)     # zeros on the left, on the right
    dilation: int = 1
    activation: str = "relu"              # as written in the spec
    phi: sympy.Expr = NAMED["relu"]       # the activation, an expression in mathparse.Z
    name: str | None = "relu"             # the standard activation phi equals, if any
    slopes: tuple[sympy.Expr, sympy.Expr] | None = (sympy.Integer(1), sympy.Integer(0))
    # ^ phi'(z) for z > 0 and for z < 0 (in ZS) when phi has a kink at 0; None for a smooth phi

    @property
    def padded(self) -> int:
        """n + p_l + p_r, the length of the padded input."""
        return self.length + sum(self.padding)

    @property
    def span(self) -> int:
        """d (k - 1) + 1, the entries the dilated filter covers."""
        return self.dilation * (self.width - 1) + 1

    @property
    def outputs(self) -> int:
        """m = floor((n + p_l + p_r - d (k - 1) - 1) / s) + 1."""
        return (self.padded - self.span) // self.stride + 1

    @property
    def plain(self) -> bool:
        """Stride 1, no padding, no dilation: HW5's valid convolution."""
        return self.stride == 1 and self.padding == (0, 0) and self.dilation == 1

    @property
    def kinked(self) -> bool:
        return self.slopes is not None

    def column(self, r: int, j: int) -> int | None:
        """0-based column of x that weight j (0-based) meets at output r (0-based); None in the padding."""
        c = r * self.stride + j * self.dilation - self.padding[0]
        return c if 0 <= c < self.length else None


# --- the spec -------------------------------------------------------------------------------

def configure(values: dict, asks) -> Config:
    """Validate the geometry, the activation and, for the derivatives, the variable and the signs."""
    n = fields.integer(values, "length", minimum=1)
    k = fields.integer(values, "width", minimum=1)
    s = fields.integer(values, "stride", 1, minimum=1)
    d = fields.integer(values, "dilation", 1, minimum=1)
    pad = _padding(values)
    span, padded = d * (k - 1) + 1, n + sum(pad)
    if span > padded:
        m = (padded - span) // s + 1
        spanned = f"{span}" if d == 1 else f"d(k − 1) + 1 = {d}·{k - 1} + 1 = {span}"
        raise FieldError("width", f"the filter spans {spanned} entries but the padded input has only"
                                  f" n + p_l + p_r = {n} + {pad[0]} + {pad[1]} = {padded}, so there is no output"
                                  f" (m = ⌊({padded} − {span})/{s}⌋ + 1 = {m})".replace("-", "−"), k,
                         f"a filter spanning at most {padded} entries")
    text = fields.text(values, "activation", "relu")
    expected = "LaTeX in z such as '\\max(0, z)' or '\\tanh(z)', or a name: " + ", ".join(sorted(NAMED))
    try:
        phi = parse_activation(text)
    except MathSyntaxError as err:
        raise FieldError("activation", str(err), text, expected) from None
    slopes = None
    if phi.has(*KINKS):
        slopes = (side_slope(phi, 1), side_slope(phi, -1))
        if None in slopes:
            raise FieldError("activation", "has a kink away from 0 (or one that cannot be placed), so the signs of"
                                           " its arguments do not decide its slope", text,
                             "a smooth activation, or one whose only kink is at 0 (relu, leaky_relu, |z|, ...)")
    name = recognise(phi)
    c = Config(length=n, width=k, stride=s, padding=pad, dilation=d, activation=text, phi=phi, name=name,
               slopes=slopes)
    m = c.outputs
    wrt = signs = blank = None
    if "gradient" in asks or "wrt" in values:
        raw = values.get("wrt")
        match = re.fullmatch(r"f_?\{?(\d+)\}?", raw) if isinstance(raw, str) else None
        if not match or not 1 <= int(match.group(1)) <= k:
            raise FieldError("wrt", "must name a filter weight", raw, f"one of f1 … f{k}")
        wrt = int(match.group(1))
    if "signs" in values and not c.kinked:
        raise FieldError("signs", f"only an activation with a kink at 0 (such as relu) needs the signs of its"
                                  f" arguments; '{text}' is smooth, so its slope φ′(z_r) is used as it stands",
                         values["signs"], "no 'signs' with a smooth activation")
    if c.kinked and (any(a in DERIVATIVES for a in asks) or "signs" in values):
        raw = values.get("signs")
        what = "ReLU" if name == "relu" else "activation"
        if not isinstance(raw, list) or len(raw) != m:
            raise FieldError("signs", f"must list the sign of each of the {m} {what} arguments", raw,
                             f'a list of {m} of "+" and "-"')
        for sg in raw:
            if sg in ("0", 0):
                raise FieldError("signs", f"an argument of exactly 0 leaves the {what}'s slope undefined;"
                                          " say which side", raw, '"+" or "-" for each argument')
            if sg not in SIGNS:
                raise FieldError("signs", "unknown sign", sg, '"+" or "-"')
        signs = tuple(SIGNS[sg] for sg in raw)
    if "blank" in values:
        raw = values["blank"]
        if not (isinstance(raw, list) and len(raw) == 2):
            raise FieldError("blank", "must be [rows, columns] of the blank drawn in the question", raw,
                             "two whole numbers")
        blank = tuple(fields.check_int(v, "blank", 1) for v in raw)
    return Config(length=n, width=k, wrt=wrt, signs=signs, blank=blank, stride=s, padding=pad, dilation=d,
                  activation=text, phi=phi, name=name, slopes=slopes)


def _padding(values: dict) -> tuple[int, int]:
    raw = values.get("padding", 0)
    expected = "a whole number >= 0 (both sides), or [left, right]"
    if isinstance(raw, list):
        if len(raw) != 2:
            raise FieldError("padding", "must be one number or [left, right]", raw, expected)
        return tuple(fields.check_int(v, "padding", 0) for v in raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FieldError("padding", "must be a whole number or [left, right]", raw, expected)
    p = fields.check_int(raw, "padding", 0)
    return (p, p)


def recognise(phi: sympy.Expr) -> str | None:
    """The name of the standard activation phi is, if any."""
    for name in READABLE:
        if phi == NAMED[name]:
            return name
    for name in READABLE:
        if phi.has(*KINKS) == NAMED[name].has(*KINKS) and is_zero(phi - NAMED[name]):
            return name
    return None


def side_slope(phi: sympy.Expr, sign: int) -> sympy.Expr | None:
    """phi'(z) on the side of 0 that ``sign`` gives, as an expression in ZS free of kinks; None when the
    sign of z does not decide it (a kink away from 0)."""
    t = Symbol("t", positive=True)
    d = _decide(derivative(phi).subs(Z, sign * t), t)
    if d is None or d.has(*KINKS):
        return None
    return sympy.simplify(d).subs(t, sign * ZS) if d.free_symbols else d


def _decide(expr: sympy.Expr, t: Symbol) -> sympy.Expr | None:
    """Replace each Heaviside, Max, Min, Abs and sign in expr by the branch it takes for every t > 0."""
    for _ in range(50):
        inner = [e for e in sympy.preorder_traversal(expr)
                 if isinstance(e, KINKS) and not any(a.has(*KINKS) for a in e.args)]
        if not inner:
            return expr
        e = inner[0]
        if isinstance(e, sympy.Heaviside):
            sg = _half_line_sign(e.args[0], t)
            value = None if sg is None else sympy.Integer(1 if sg > 0 else 0)
        elif isinstance(e, sympy.sign):
            value = _half_line_sign(e.args[0], t)
            value = None if value is None else sympy.Integer(value)
        elif isinstance(e, sympy.Abs):
            sg = _half_line_sign(e.args[0], t)
            value = None if sg is None else sg * e.args[0]
        elif isinstance(e, (sympy.Max, sympy.Min)):
            want = 1 if isinstance(e, sympy.Max) else -1
            value = None
            for a in e.args:
                if all(b == a or _half_line_sign(a - b, t) == want for b in e.args):
                    value = a
                    break
        else:
            value = None
        if value is None:
            return None
        expr = expr.xreplace({e: value})
    return None


def _half_line_sign(a: sympy.Expr, t: Symbol) -> int | None:
    """+1 or -1 when a keeps that sign for every t > 0; None otherwise (or when that cannot be shown)."""
    if a.is_positive:
        return 1
    if a.is_negative:
        return -1
    if a.is_zero or not a.free_symbols <= {t}:
        return None
    u = Symbol("u", real=True)
    half = sympy.Interval.open(0, sympy.oo)
    g = a.subs(t, u)
    try:
        roots = sympy.solveset(g, u, half)
        continuous = sympy.calculus.util.continuous_domain(g, u, half)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if roots != sympy.S.EmptySet or continuous != half:
        return None
    value = g.subs(u, 1).evalf(30)
    if not value.is_comparable or value == 0:
        return None
    return 1 if value > 0 else -1


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


def setting(c: Config) -> Text:
    """The input, the filter, the geometry and the activation, with the spec's values."""
    pieces = [f"A one-dimensional input of length {c.length} and a filter of width {c.width}: ",
              sympy.Eq(X_VEC, inputs(c), evaluate=False), ", ", sympy.Eq(Symbol("f"), filter_vector(c),
                                                                      evaluate=False), "."]
    geometry = _geometry(c)
    if geometry:
        pieces.append(f" The filter slides with {geometry}.")
    if c.name == "relu":
        pieces += [" The layer's output is ", sympy.Eq(A_VEC, RELU(arguments(c)), evaluate=False),
                   ", with the ReLU applied elementwise."]
    else:
        known = f" ({READABLE[c.name]})" if c.name else ""
        pieces += [" The layer's output is ", sympy.Eq(A_VEC, PHI(arguments(c)), evaluate=False), ", with ",
                   sympy.Eq(PHI(ZS), c.phi.subs(Z, ZS), evaluate=False), known, " applied elementwise."]
    return say(*pieces)


def _geometry(c: Config) -> str:
    """'stride 2, zero padding of 1 on each side and dilation 2 (...)', or '' for the plain convolution."""
    out = []
    if c.stride != 1:
        out.append(f"stride {c.stride}")
    pl, pr = c.padding
    if pl == pr and pl:
        out.append(f"zero padding of {pl} on each side")
    elif pl or pr:
        out.append(f"zero padding of {pl} on the left and {pr} on the right")
    if c.dilation != 1:
        out.append(f"dilation {c.dilation} (neighbouring weights {c.dilation} entries apart)")
    return _words(out)


def _words(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + (items[-1] if items else "")


def solve(c: Config, ask: str) -> Solution:
    """Derive one question of a conv1d-matrix part."""
    return {"matrix": _matrix, "gradient": _gradient, "jacobian": _jacobian,
            "input-gradient": _input_gradient}[ask](c)


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
                          sympy.Eq(row("z"), _generic_row(c), evaluate=False),
                          ", so row r holds the filter ", f(1), ", …, ", f(c.width),
                          f" in columns r to r + {c.width - 1}"
                          " and zeros elsewhere: each row is the one above shifted one column right."
                          f" F has one row per output (n − k + 1 = {c.length} − {c.width} + 1 = {c.outputs}) and"
                          f" one column per input ({c.length})."))]
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
    if pl or pr:
        xp = padded_inputs(c)
        meanings[X_PAD] = xp
        sides = f"{pl} zero{'s' if pl > 1 else ''} on each side" if pl == pr else \
            f"{pl} zero{'s' if pl != 1 else ''} on the left and {pr} on the right"
        steps.append(step(say(f"Pad the input with {sides}: the padded input has ",
                              Add(Symbol("n"), Symbol("p_l"), Symbol("p_r"), evaluate=False), " = ",
                              Add(n, pl, pr, evaluate=False), " = ", c.padded, " entries."),
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
    pieces += [". So ", sympy.Eq(row("z"), _generic_row(c), evaluate=False)]
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
    general = Add(FloorDiv(Add(Symbol("n"), Symbol("p_l"), Symbol("p_r"),
                               Mul(-1, Symbol("d"), Add(Symbol("k"), -1, evaluate=False), evaluate=False), -1,
                               evaluate=False), Symbol("s"), evaluate=False), 1, evaluate=False)
    every = f", one every {s} entries" if s != 1 else ""
    steps.append(step(say("F has one row per output and one column per input (",
                          sympy.Eq(Symbol("n"), n, evaluate=False), "). The outputs are the positions of the filter,"
                          f" spanning d(k − 1) + 1 = {c.span} entries, that fit in the"
                          f" {'padded ' if pl or pr else ''}input{every}: ", sympy.Eq(M_OUT, general, evaluate=False),
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


# --- the derivatives --------------------------------------------------------------------------

def _signed_arguments(c: Config) -> list[Symbol]:
    """z_1 ... z_m, each carrying the sign the spec gives it (so the activation's slope is decided)."""
    return [Symbol(f"z{i + 1}", positive=True) if s > 0 else Symbol(f"z{i + 1}", negative=True)
            for i, s in enumerate(c.signs)]


class _Slopes:
    """phi'(z_r) for each row: how it is shown, its value, and what the checker needs to know."""

    def __init__(self, c: Config):
        self.c = c
        args = arguments(c)
        dphi = derivative(c.phi)
        if c.kinked:
            self.zs = _signed_arguments(c)
            self.values = [c.slopes[0 if sg > 0 else 1].subs(ZS, zr) for sg, zr in zip(c.signs, self.zs)]
            if c.name == "relu":
                self.shown = [RELU_PRIME(zr) for zr in self.zs]
                self.meanings = {RELU_PRIME(zr): sympy.Heaviside(zr, 0) for zr in self.zs}
                self.generic = RELU_PRIME(row("z"))
            else:
                self.shown = [Symbol(f"phi'(z{r + 1})") for r in range(c.outputs)]
                self.meanings = {sym: dphi.subs(Z, zr) for sym, zr in zip(self.shown, self.zs)}
                self.generic = Symbol("phi'(z_r)")
            self.factors = self.values            # what multiplies each row in the displays
            self.exact = [dphi.subs(Z, zr) for zr in self.zs]
        else:
            self.zs = [z(r + 1) for r in range(c.outputs)]
            tidy = _tidy(dphi)
            self.values = [tidy.subs(Z, zr) for zr in self.zs]
            self.shown = [Symbol(f"phi'(z{r + 1})") for r in range(c.outputs)]
            self.meanings = {**{sym: dphi.subs(Z, zr) for sym, zr in zip(self.shown, self.zs)},
                             **{zr: args[r] for r, zr in enumerate(self.zs)}}
            self.generic = Symbol("phi'(z_r)")
            self.factors = self.shown             # displays keep phi'(z_r); the JSON value writes it out
            self.exact = [dphi.subs(Z, args[r]) for r in range(c.outputs)]
            self.dphi = tidy.subs(Z, ZS)
        self.meanings[DPHI_Z] = dphi.subs(Z, ZS)

    def conditions(self) -> list:
        return [sympy.StrictGreaterThan(z(i + 1), 0, evaluate=False) if s > 0 else
                sympy.StrictLessThan(z(i + 1), 0, evaluate=False) for i, s in enumerate(self.c.signs)]

    def step(self):
        """The step that finds each row's slope."""
        c = self.c
        if not c.kinked:
            return step(say("Differentiate the activation. Its slope depends on the argument itself, so row r is"
                            " scaled by ", self.generic, ", with ", Symbol("z_r"), " the r-th entry of ",
                            MatMul(F_MAT, X_VEC), ":"), chain(DPHI_Z, self.dphi))
        conds = _join(self.conditions())
        if c.name == "relu":
            text = say("The ReLU's derivative is 1 for a positive argument and 0 for a negative one; with ", *conds,
                       ":")
        elif c.name == "leaky_relu":
            text = say("The leaky ReLU's derivative is 1 for a positive argument and ", c.slopes[1],
                       " for a negative one; with ", *conds, ":")
        else:
            text = say("On each side of 0 the activation is smooth: ", sympy.Eq(DPHI_Z, c.slopes[0], evaluate=False),
                       " for ", sympy.StrictGreaterThan(ZS, 0, evaluate=False), " and ",
                       sympy.Eq(DPHI_Z, c.slopes[1], evaluate=False), " for ",
                       sympy.StrictLessThan(ZS, 0, evaluate=False), "; with ", *conds, ":")
        return step(text, chain(ImmutableMatrix(self.shown), ImmutableMatrix(self.values)))

    def notes(self) -> list[Text]:
        c = self.c
        out = []
        if not c.kinked:
            out.append(say("The activation is smooth, so its slope is not a 0/1 mask: the answer keeps ",
                           Symbol("z_r"), ", the r-th argument (the r-th entry of ", MatMul(F_MAT, X_VEC), ")."))
        elif any(v.free_symbols for v in self.values):
            out.append(say("On a side of 0 where the activation is not linear its slope depends on the argument"
                           " itself, so the answer keeps ", Symbol("z_r"), ", the r-th argument (the r-th entry of ",
                           MatMul(F_MAT, X_VEC), ")."))
        zero_rows = _zero_rows(c)
        if c.kinked and zero_rows:
            listed = _words([str(r + 1) for r in zero_rows])
            out.append(say(f"The window of output{'s' if len(zero_rows) > 1 else ''} {listed} lies entirely in the"
                           " padding, so its argument is exactly 0 whatever x and f and the stated sign cannot hold;"
                           " its row is zero whatever the slope there is taken to be."))
        return out

    def answer_text(self) -> Text:
        """For a smooth activation, what phi'(z_r) in the boxed answer is."""
        if self.c.kinked:
            return Text(())
        return say("With ", sympy.Eq(DPHI_Z, self.dphi, evaluate=False), " and ", Symbol("z_r"),
                   " the r-th entry of ", MatMul(F_MAT, X_VEC), ":")

    def question_tail(self) -> list:
        return [", assuming ", *_join(self.conditions())] if self.c.kinked else []


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """The shortest of a few equivalent forms (the first on a tie)."""
    return min([expr, sympy.together(expr), sympy.factor(expr)], key=sympy.count_ops)


def _activation(c: Config):
    return RELU if c.name == "relu" else PHI


def _gradient(c: Config) -> Solution:
    j, sl = c.wrt, _Slopes(c)
    args = arguments(c)
    dz = ImmutableMatrix([sympy.diff(e, f(j)) for e in args])
    result = ImmutableMatrix([sl.values[i] * dz[i] for i in range(c.outputs)])
    da = Symbol(f"da/df{j}")
    contains = say("Differentiate each argument with respect to ", f(j), ": only the term ", f(j) * _x_at(c, j),
                   " contains it")
    if any(e == 0 for e in dz) and (c.padding != (0, 0)):
        contains += say(", and where that input is padding there is no such term")
    steps = [
        step(say("Write ", sympy.Eq(A_VEC, _activation(c)(Z_VEC), evaluate=False), " with ",
                 sympy.Eq(Z_VEC, MatMul(F_MAT, X_VEC), evaluate=False), ". Output r depends on ", f(j),
                 " only through its own argument ", row("z"), ", so by the chain rule, row by row, ",
                 sympy.Eq(Symbol(f"da_r/df{j}"), sl.generic * Symbol(f"dz_r/df{j}"), evaluate=False), ".")),
        step(contains + say("."), chain(_derivative_of(args, f(j)), dz)),
        sl.step(),
    ]
    shown = ImmutableMatrix([Times(sl.factors[i], dz[i], evaluate=False) for i in range(c.outputs)])
    boxed = ImmutableMatrix([sl.factors[i] * dz[i] for i in range(c.outputs)])
    explicit = [] if c.kinked else [result]        # a vector is narrow enough to show phi' written out
    steps.append(step(say(_multiply_words(c)), chain(da, shown, boxed, *explicit)))
    notes = []
    if c.kinked:
        what = "ReLU's" if c.name == "relu" else "activation's"
        slope = "the ReLU's slope" if c.name == "relu" else "its slope"
        notes.append(say(f"The conditions are read as the signs of the {what} whole arguments ", *_join(sl.zs),
                         f" (each a sum over the filter), since those decide {slope}; the sign of a single term"
                         " such as ", f(j) * x(1), " does not."))
    notes += sl.notes()
    meanings = {**sl.meanings, da: ImmutableMatrix([sl.exact[i] * dz[i] for i in range(c.outputs)])}
    question = say("Compute ", da, *sl.question_tail(), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=[str(e) for e in result], chain=chain(da, boxed, *explicit),
                                  text=sl.answer_text()))


def _derivative_of(args: ImmutableMatrix, var: Symbol):
    """d args / d var shown as one derivative of the vector; entry by entry when no entry has var (SymPy
    would make the whole derivative the scalar 0)."""
    if any(e.has(var) for e in args):
        return Derivative(args, var)
    return ImmutableMatrix([Derivative(e, var) for e in args])


def _multiply_words(c: Config) -> str:
    if c.name == "relu":
        return "Multiply elementwise (the ReLU masks the rows whose argument is negative):"
    if c.name == "leaky_relu":
        return "Multiply elementwise (the leaky ReLU scales down the rows whose argument is negative):"
    if c.kinked:
        return "Multiply elementwise, each row by its slope:"
    return "Multiply elementwise, each row by its slope:"


def _jacobian(c: Config) -> Solution:
    sl = _Slopes(c)
    args, W, m, k = arguments(c), windows(c), c.outputs, c.width
    result = ImmutableMatrix(m, k, lambda r, j: sl.values[r] * W[r, j])
    steps = [
        step(say("Write ", sympy.Eq(A_VEC, _activation(c)(Z_VEC), evaluate=False), " with ",
                 sympy.Eq(Z_VEC, MatMul(F_MAT, X_VEC), evaluate=False), ". Output r depends on the filter only"
                 " through its own argument ", row("z"), ", so by the chain rule ",
                 sympy.Eq(Symbol("da_r/df_j"), sl.generic * Symbol("dz_r/df_j"), evaluate=False),
                 ": row r of the Jacobian is row r of ", DZ_DF, " scaled by the slope at ", row("z"), ".")),
        step(say(Symbol("dz_r/df_j"), " is the input that ", Symbol("f_j"), " meets at output r, ", _x_at_generic(c),
                 *([" (0 where that is padding)"] if c.padding != (0, 0) else []),
                 ", so row r of ", DZ_DF, " lists the inputs under the filter at output r:"),
             chain(DZ_DF, W)),
        sl.step(),
    ]
    shown = ImmutableMatrix(m, k, lambda r, j: Times(sl.factors[r], W[r, j], evaluate=False))
    boxed = ImmutableMatrix(m, k, lambda r, j: sl.factors[r] * W[r, j])
    steps.append(step(say("Scale each row by its slope" + (" (the rows whose argument is negative vanish):"
                                                            if c.name == "relu" else ":")),
                      chain(DA_DF, shown, boxed)))
    fvec = filter_vector(c)
    meanings = {**sl.meanings, DZ_DF: args.jacobian(fvec),
                DA_DF: ImmutableMatrix(m, k, lambda r, j: sl.exact[r] * sympy.diff(args[r], fvec[j]))}
    entries = [Symbol(f"da_r/df{j + 1}") for j in range(k)]
    holds = _join(entries) if k <= 2 else [entries[0], ", …, ", entries[-1]]
    question = say("Compute the Jacobian ", DA_DF, f" of the output with respect to the whole filter, of size"
                   f" {m} × {k} (row r holds ", *holds, ")", *sl.question_tail(), ".")
    value = [[str(e) for e in result.row(r)] for r in range(m)]
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=chain(DA_DF, boxed), text=sl.answer_text()))


def _x_at_generic(c: Config):
    """x_{s(r-1) + d(j-1) + 1 - p_l} for the generic weight j."""
    return Symbol(f"x_[{_index_text(c)}]", real=True)


def _index_text(c: Config) -> str:
    """The index s(r-1) + d(j-1) + 1 - p_l of the input under f_j at output r, as a symbol-name fragment."""
    const = -c.stride - c.dilation + 1 - c.padding[0]
    lead = ("r" if c.stride == 1 else f"{c.stride}r") + ("+j" if c.dilation == 1 else f"+{c.dilation}j")
    return lead + ("" if const == 0 else f"+{const}" if const > 0 else f"-{-const}")


def _input_gradient(c: Config) -> Solution:
    sl = _Slopes(c)
    args, F, m, n = arguments(c), matrix(c), c.outputs, c.length
    result = ImmutableMatrix(m, n, lambda r, col: sl.values[r] * F[r, col])
    diag = ImmutableMatrix.diag(*sl.factors)
    boxed = ImmutableMatrix(m, n, lambda r, col: sl.factors[r] * F[r, col])
    steps = [
        step(say(sympy.Eq(Z_VEC, MatMul(F_MAT, X_VEC), evaluate=False), " is linear in ", X_VEC,
                 ", so its Jacobian is F itself:"),
             chain(DZ_DX, F)),
        sl.step(),
        step(say("Chain rule, row by row: ", sympy.Eq(Symbol("da_r/dx_c"), sl.generic * Symbol("F_rc"), evaluate=False),
                 ", so each row of F is scaled by its slope, ",
                 sympy.Eq(DA_DX, Mul(DIAG(RELU_PRIME(Z_VEC) if c.name == "relu" else DPHI_Z), F_MAT,
                                     evaluate=False), evaluate=False), ":"),
             chain(DA_DX, MatMul(diag, F, evaluate=False), boxed)),
    ]
    xvec = inputs(c)
    meanings = {**sl.meanings, DZ_DX: args.jacobian(xvec),
                DA_DX: ImmutableMatrix(m, n, lambda r, col: sl.exact[r] * sympy.diff(args[r], xvec[col]))}
    question = say("Compute ", DA_DX, f", the Jacobian of the output with respect to the input, of size {m} × {n}",
                   *sl.question_tail(), ".")
    value = [[str(e) for e in result.row(r)] for r in range(m)]
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=chain(DA_DX, boxed), text=sl.answer_text()))


def _join(items) -> list:
    """Pieces listing items with commas and 'and'."""
    out = []
    for k, item in enumerate(items):
        if k:
            out.append(" and " if k == len(items) - 1 else ", ")
        out.append(item)
    return out
