"""The spec of a conv1d-matrix part: its geometry, its activation and where that has a kink, the signs."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import sympy
from sympy import Symbol

from ... import fields
from ...declare import needed, read
from ...fields import FieldError
from ...mathparse import NAMED, Z, parse_activation
from ...precision import DIGITS
from ..activations import KINKS, derivative, recognise
from .keys import FIELDS, MAX_LENGTH
from .kink import at_kink
from .names import Z_VEC

DERIVATIVES = ("gradient", "jacobian", "input-gradient")
SIGNS = {"+": 1, "-": -1}
MAX_BAND = 20000          # m × k at most above 128 inputs (each band entry built and checked)
SHOWN_LENGTH = 128        # up to this length F and the derivatives are shown in full


@dataclass(frozen=True)
class Config:
    length: int                           # n, the input length
    width: int                            # k, the filter width
    wrt: int | None = None                # j of the f_j the gradient is taken with respect to
    signs: tuple[int, ...] | None = None  # sign of each activation argument, +1 or -1 (0: exactly 0, numbers given)
    blank: tuple[int, int] | None = None  # rows, columns of the blank drawn in the question
    stride: int = 1
    padding: tuple[int, int] = (0, 0)     # zeros on the left, on the right
    dilation: int = 1
    activation: str = "relu"              # as written in the spec
    phi: sympy.Expr = NAMED["relu"]       # the activation, an expression in mathparse.Z
    name: str | None = "relu"             # the standard activation phi equals, if any
    slopes: tuple[sympy.Expr, sympy.Expr] | None = (sympy.Integer(1), sympy.Integer(0))
    # ^ phi'(z) for z > 0 and for z < 0 (in Z_VEC) when phi has a kink at 0; None for a smooth phi
    kink: sympy.Expr | None = sympy.Integer(0)   # PyTorch's slope at z = 0 (kink.at_kink), None: no convention
    at_zero: tuple[int, ...] | None = None       # with numbers: for a sign 0, the side the spec gives (+1, -1) or 0

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
    """The rules between the keys (read by FIELDS) for HW5's 1D symbols: one number per axis, a filter that fits,
    and, for the derivatives, the variable and the signs."""
    values = read(FIELDS, values)
    n, k = needed(values, FIELDS, "length"), needed(values, FIELDS, "width")
    s = fields.check_int(values["stride"], "stride", 1)          # one number: a list is 2D's
    d = fields.check_int(values["dilation"], "dilation", 1)
    pad = _padding(values)
    _check_fits(n, k, s, d, pad)
    _check_band(n, k, s, d, pad)
    c = Config(length=n, width=k, stride=s, padding=pad, dilation=d, **_activation(values))
    return replace(c, wrt=_wrt(values, asks, k), signs=_signs(values, asks, c), blank=_blank(values))


def _check_band(n: int, k: int, s: int, d: int, pad: tuple[int, int]) -> None:
    """A long input's band, m × k entries, is bounded."""
    m = (n + sum(pad) - d * (k - 1) - 1) // s + 1
    if n > SHOWN_LENGTH and m * k > MAX_BAND:
        raise FieldError("width", f"above {SHOWN_LENGTH} inputs F is built from its band of m × k = {m} × {k} ="
                                  f" {m * k} entries; at most {MAX_BAND}", k, f"at most {MAX_BAND // max(m, 1)}")


def _check_fits(n: int, k: int, s: int, d: int, pad: tuple[int, int]) -> None:
    """At least one output: the dilated filter fits in the padded input."""
    span, padded = d * (k - 1) + 1, n + sum(pad)
    if span <= padded:
        return
    m = (padded - span) // s + 1
    spanned = f"{span}" if d == 1 else f"d(k − 1) + 1 = {d}·{k - 1} + 1 = {span}"
    raise FieldError("width", f"the filter spans {spanned} entries but the padded input has only"
                              f" n + p_l + p_r = {n} + {pad[0]} + {pad[1]} = {padded}, so there is no output"
                              f" (m = ⌊({padded} − {span})/{s}⌋ + 1 = {m})".replace("-", "−"), k,
                     f"a filter spanning at most {padded} entries")


def _activation(values: dict) -> dict:
    """The activation as written, as an expression, the standard one it is, and its slopes beside a kink at 0."""
    text = values["activation"]
    phi = parse_activation(text)
    slopes = None
    if phi.has(*KINKS):
        slopes = (side_slope(phi, 1), side_slope(phi, -1))
        if None in slopes:
            raise FieldError("activation", "has a kink away from 0 (or one that cannot be placed), so the signs of"
                                           " its arguments do not decide its slope", text,
                             "a smooth activation, or one whose only kink is at 0 (relu, leaky_relu, |z|, ...)")
    name = recognise(phi)
    return dict(activation=text, phi=phi, name=name, slopes=slopes, kink=at_kink(phi, name) if slopes else None)


def _wrt(values: dict, asks, k: int) -> int | None:
    """j of the weight f_j the gradient is taken with respect to (when asked for or given)."""
    if "gradient" not in asks and "wrt" not in values:
        return None
    raw = values.get("wrt")
    match = re.fullmatch(r"f_?\{?(\d+)\}?", raw) if isinstance(raw, str) else None
    if not match or not 1 <= int(match.group(1)) <= k:
        raise FieldError("wrt", "must name a filter weight", raw, f"one of f1 … f{k}")
    return int(match.group(1))


def _signs(values: dict, asks, c: Config) -> tuple[int, ...] | None:
    """The sign of each activation argument, +1 or -1: needed by a kinked activation's derivatives."""
    if "signs" in values and not c.kinked:
        raise FieldError("signs", f"only an activation with a kink at 0 (such as relu) needs the signs of its"
                                  f" arguments; '{c.activation}' is smooth, so its slope φ′(z_r) is used as it stands",
                         values["signs"], "no 'signs' with a smooth activation")
    if not c.kinked or not (any(a in DERIVATIVES for a in asks) or "signs" in values):
        return None
    raw, m = values.get("signs"), c.outputs
    what = "ReLU" if c.name == "relu" else "activation"
    if raw is None or len(raw) != m or any(isinstance(sg, list) for sg in raw):
        raise FieldError("signs", f"must list the sign of each of the {m} {what} arguments", raw,
                         f'a list of {m} of "+" and "-"')
    return tuple(SIGNS[sg] for sg in raw)


def _blank(values: dict) -> tuple[int, int] | None:
    """The rows and columns of the blank drawn in the question, if given."""
    return tuple(values["blank"]) if "blank" in values else None


def _padding(values: dict) -> tuple[int, int]:
    """1D: p on both sides, or [left, right] (a pair of pairs is 2D's)."""
    raw = values["padding"]
    if isinstance(raw, list):
        return tuple(fields.check_int(v, "padding", 0) for v in raw)
    return (raw, raw)


# --- the activation's kink ------------------------------------------------------------------

def side_slope(phi: sympy.Expr, sign: int) -> sympy.Expr | None:
    """phi'(z) on the side of 0 that ``sign`` gives, as an expression in Z_VEC free of kinks; None when the
    sign of z does not decide it (a kink away from 0)."""
    t = Symbol("t", positive=True)
    d = _decide(derivative(phi).subs(Z, sign * t), t)
    if d is None or d.has(*KINKS):
        return None
    return sympy.simplify(d).subs(t, sign * Z_VEC) if d.free_symbols else d


def _decide(expr: sympy.Expr, t: Symbol) -> sympy.Expr | None:
    """Replace each Heaviside, Max, Min, Abs and sign in expr by the branch it takes for every t > 0."""
    for _ in range(50):
        inner = [e for e in sympy.preorder_traversal(expr)
                 if isinstance(e, KINKS) and not any(a.has(*KINKS) for a in e.args)]
        if not inner:
            return expr
        value = _branch(inner[0], t)
        if value is None:
            return None
        expr = expr.xreplace({inner[0]: value})
    return None


def _branch(e: sympy.Expr, t: Symbol) -> sympy.Expr | None:
    """The branch one innermost kink (Heaviside, sign, Abs, Max, Min) takes for every t > 0; None if none."""
    if isinstance(e, (sympy.Max, sympy.Min)):
        want = 1 if isinstance(e, sympy.Max) else -1
        return next((a for a in e.args if all(b == a or _half_line_sign(a - b, t) == want for b in e.args)), None)
    if not isinstance(e, (sympy.Heaviside, sympy.sign, sympy.Abs)):
        return None                       # Piecewise, DiracDelta: not decided by the side of 0
    sg = _half_line_sign(e.args[0], t)
    if sg is None:
        return None
    if isinstance(e, sympy.Heaviside):
        return sympy.Integer(1 if sg > 0 else 0)
    return sympy.Integer(sg) if isinstance(e, sympy.sign) else sg * e.args[0]


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
    value = g.subs(u, 1).evalf(DIGITS)
    if not value.is_comparable or value == 0:
        return None
    return 1 if value > 0 else -1
