"""Fast high-precision evaluation of SymPy expressions with mpmath, by walking the tree.

No code is generated or evaluated: each node type maps to an mpmath function. Nodes
outside the table raise ``Unsupported`` and the caller falls back to SymPy's evalf.
"""

from __future__ import annotations

import functools
import math
import operator
from fractions import Fraction
from typing import Callable

import mpmath
import sympy

from .symbols import FloorDiv, Plus, Quotient, Times

from .precision import DIGITS
from . import sympy_fixes  # noqa: F401  (SymPy's square roots of integers beyond a double)


class Unsupported(Exception):
    """The expression has a node this evaluator does not know."""


MAX_MAGNITUDE = 4096     # e^x (cosh x, sinh x, b^x) is computed for |x| below 2^4096 (about 10^1233): beyond, the
                         # result's binary exponent alone has more than 4096 bits, and mpmath's time grows with
                         # it (seconds at a million bits, without end further on; e^(e^(3.8e6)) took minutes)


class Overflow(OverflowError):
    """A value beyond reach: an exponential (exp, cosh, sinh, sech) of a number of size 2^MAX_MAGNITUDE or more,
    or a power b^x whose x ln b is. compile() gives nan for it, as for mpmath's own overflows; limit() takes
    it to the infinity (or 0) float arithmetic would."""


def _beyond(raw) -> bool:
    """Whether a raw mpf value is 2^MAX_MAGNITUDE or more in size (an exponential of it is beyond reach)."""
    return bool(raw[1]) and raw[2] + raw[3] > MAX_MAGNITUDE


def _power_beyond(base, exp) -> bool:
    """Whether b^x = e^(x ln b) (raw mpf values, b not 0) takes e to a power beyond reach: |ln b| is below
    |mag b| + 1 and |x| below 2^(mag x), so most pairs are told apart without a logarithm."""
    if not (base[1] and exp[1]):
        return False
    size = abs(base[2] + base[3]) + 1
    if exp[2] + exp[3] + size.bit_length() <= MAX_MAGNITUDE:
        return False
    log = mpmath.libmp.mpf_log(mpmath.libmp.mpf_abs(base), 53)
    return _beyond(mpmath.libmp.mpf_mul(exp, log, 53))


def _guarded(fn, arg, limit: bool):
    """fn (an exponential) of arg's value, refused (Overflow) or, with limit, taken at the infinity of the
    argument's sign when the argument is beyond reach."""
    def run(v):
        x = arg(v)
        if type(x) is mpmath.mpf and _beyond(x._mpf_):
            if not limit:
                raise Overflow("an exponential of a number beyond 2^%d" % MAX_MAGNITUDE)
            x = mpmath.inf if x > 0 else -mpmath.inf
        return fn(x)
    return run


def _power(base, exp, limit: bool):
    """base^exp for a non-integer exponent, refused (Overflow) or, with limit, taken to e^(±inf) when
    exp ln base is beyond reach (nan for a negative base, whose power is not real)."""
    def run(v):
        b, x = base(v), exp(v)
        if type(b) is mpmath.mpf and type(x) is mpmath.mpf and _power_beyond(b._mpf_, x._mpf_):
            if not limit:
                raise Overflow("a power e^(x ln b) with x ln b beyond 2^%d" % MAX_MAGNITUDE)
            return mpmath.nan if b < 0 else mpmath.exp(mpmath.inf if (x > 0) == (b > 1) else -mpmath.inf)
        return mpmath.power(b, x)
    return run


def _heaviside(args):
    x = args[0]
    if x > 0:
        return mpmath.mpf(1)
    if x < 0:
        return mpmath.mpf(0)
    if len(args) > 1:
        return args[1]
    raise Unsupported("Heaviside(0) without a convention")


def _sign(args):
    return mpmath.sign(args[0])


FUNCTIONS = {
    sympy.exp: lambda a: mpmath.exp(a[0]),
    sympy.log: lambda a: mpmath.log(a[0]),
    sympy.tanh: lambda a: mpmath.tanh(a[0]),
    sympy.sinh: lambda a: mpmath.sinh(a[0]),
    sympy.cosh: lambda a: mpmath.cosh(a[0]),
    sympy.sech: lambda a: mpmath.sech(a[0]),
    sympy.Abs: lambda a: abs(a[0]),
    sympy.Max: lambda a: max(a),
    sympy.Min: lambda a: min(a),
    sympy.Heaviside: _heaviside,
    sympy.sign: _sign,
    sympy.floor: lambda a: mpmath.floor(a[0]),
    sympy.ceiling: lambda a: mpmath.ceil(a[0]),
    FloorDiv: lambda a: mpmath.floor(a[0] / a[1]),
    Quotient: lambda a: a[0] / a[1],
    Times: lambda a: mpmath.fprod(a),
    Plus: lambda a: mpmath.fsum(a),
}


def _constant(expr):
    if expr.is_Integer:
        return mpmath.mpf(int(expr))
    if expr.is_Rational:
        return mpmath.mpf(expr.p) / expr.q
    if expr.is_Float:
        return mpmath.mpf(expr._mpf_)
    if expr is sympy.E:
        return mpmath.e + 0
    if expr is sympy.pi:
        return mpmath.pi + 0
    return None


ONE_ARGUMENT = {sympy.exp: mpmath.exp, sympy.log: mpmath.log, sympy.tanh: mpmath.tanh, sympy.sinh: mpmath.sinh,
                sympy.cosh: mpmath.cosh, sympy.sech: mpmath.sech, sympy.Abs: abs}    # as in FUNCTIONS, called directly
GROWING = (sympy.exp, sympy.sinh, sympy.cosh, sympy.sech)     # exponentials: guarded against arguments beyond reach


SATURATED = 2**20          # tanh x is ±1 to every digit once |x| passes 2^4096; past 2^(2^20) it is beyond reach too
                           # (Overflow): mpmath, and so SymPy checking a step, first builds 2^|x|'s exponent


def _saturated(raw) -> bool:
    """Whether tanh of this raw value is beyond reach (see SATURATED)."""
    return raw[2] + raw[3] > SATURATED


def _guarded_tanh(arg, limit: bool):
    """tanh of arg's value: ±1 for an argument beyond 2^MAX_MAGNITUDE (as mpmath rounds it, without building
    2^|x|'s exponent), refused (Overflow) past SATURATED unless taking the limit."""
    def run(v):
        x = arg(v)
        if type(x) is mpmath.mpf and _beyond(x._mpf_):
            if _saturated(x._mpf_) and not limit:
                raise Overflow("tanh of a number beyond 2^(2^20)")
            return mpmath.mpf(1 if x > 0 else -1)
        return mpmath.tanh(x)
    return run


def _leaf(expr, index: dict, raw: bool):
    """A symbol's value, or a constant (as an mpf, or its raw value); None for anything else."""
    if expr.is_Symbol:
        if expr not in index:
            raise Unsupported(f"no value for {expr}")
        return operator.itemgetter(index[expr])
    const = _constant(expr)
    if const is None:
        return None
    value = const._mpf_ if raw else const
    return lambda v: value


class Recomputed:
    """A mixin for a SymPy node that computes its own value, at whatever precision mpmath's context has when
    it is evaluated (``value_here``): a state far along a recurrence, say, iterated again at every precision
    it is asked for, never a number computed once. The checker evaluates a side holding one at rising
    precision (check._check_approx)."""

    def value_here(self):
        raise NotImplementedError


def _after_one(expr):
    """u where expr is log(1 + u) (softplus's ln(1 + e^z)), else None: such a log is computed as log1p(u), as
    1 + u rounded to the working precision loses u's digits (all of them where u = e^-9215, about 10^-4002)."""
    if type(expr) is not sympy.log or not expr.args[0].is_Add or sympy.S.One not in expr.args[0].args:
        return None
    return sympy.Add(*(a for a in expr.args[0].args if a is not sympy.S.One))


def _build(expr, index: dict, limit: bool = False):
    """A closure computing expr from a tuple of values (one per symbol in index). A sum of two terms is one
    addition (correctly rounded, as fsum's sum of two terms is), a function of one argument called directly.
    An exponential beyond reach raises Overflow, or with ``limit`` is taken at its limit (see limit())."""
    leaf = _leaf(expr, index, raw=False)
    if leaf is not None:
        return leaf
    if isinstance(expr, Recomputed):
        return lambda v: expr.value_here()
    small = _after_one(expr)
    if small is not None:                     # log(1 + u) as log1p(u): right to every digit where u is tiny
        u = _build(small, index, limit)
        return lambda v: mpmath.log1p(u(v))
    args = [_build(a, index, limit) for a in expr.args]
    if expr.is_Add:
        if len(args) == 2:
            first, second = args
            return lambda v: first(v) + second(v)
        return lambda v: mpmath.fsum(f(v) for f in args)
    direct = ONE_ARGUMENT.get(type(expr)) if len(args) == 1 else None
    if direct is not None and type(expr) in GROWING:
        return _guarded(direct, args[0], limit)
    if direct is not None and type(expr) is sympy.tanh:
        return _guarded_tanh(args[0], limit)
    if direct is not None:
        only = args[0]
        return lambda v: direct(only(v))
    if expr.is_Mul:
        def product(v):
            out = args[0](v)
            for f in args[1:]:
                out = out * f(v)
            return out
        return product
    if expr.is_Pow:
        base, exp = args
        if expr.exp.is_Integer:
            n = int(expr.exp)
            return lambda v: base(v) ** n
        return _power(base, exp, limit)
    fn = FUNCTIONS.get(type(expr))
    if fn is None:
        raise Unsupported(type(expr).__name__)
    return lambda v: fn([f(v) for f in args])


_PREC = mpmath.libmp.dps_to_prec(DIGITS)


# --- the same numbers, on mpmath's own representation -----------------------------------------
# mpmath's operators and functions unwrap their arguments, call a libmp function at the context's precision
# and rounding, and wrap the result. The closures below call those libmp functions on the raw values
# directly, at a given precision (DIGITS for compile(), compile_at's) and round-to-nearest: the same calls, so
# the same bits, without an mpf object a node. A result that would be complex (ComplexResult) and anything
# these do not cover go the ordinary way (sech too: mpmath computes it with guard digits).

_LIB = mpmath.libmp
_RND = "n"


def _raw_guarded(fn, prec: int):
    """A raw exponential refusing (Overflow) an argument beyond reach."""
    def run(x):
        if x[1] and x[2] + x[3] > MAX_MAGNITUDE:
            raise Overflow("an exponential of a number beyond 2^%d" % MAX_MAGNITUDE)
        return fn(x, prec, _RND)
    return run


def _raw_tanh(prec: int):
    """tanh on a raw value, as _guarded_tanh: ±1 beyond 2^MAX_MAGNITUDE, refused past SATURATED."""
    def run(x):
        if x[1] and x[2] + x[3] > MAX_MAGNITUDE:
            if _saturated(x):
                raise Overflow("tanh of a number beyond 2^(2^20)")
            return _LIB.fnone if x[0] else _LIB.fone
        return _LIB.mpf_tanh(x, prec, _RND)
    return run


@functools.lru_cache(maxsize=64)
def _raw_one(prec: int) -> dict:
    """The functions of one argument, on raw values at ``prec`` bits."""
    return {
        sympy.exp: _raw_guarded(_LIB.mpf_exp, prec),
        sympy.log: lambda x: _LIB.mpf_log(x, prec, _RND),
        sympy.tanh: _raw_tanh(prec),
        sympy.sinh: _raw_guarded(_LIB.mpf_sinh, prec),
        sympy.cosh: _raw_guarded(_LIB.mpf_cosh, prec),
        sympy.Abs: lambda x: _LIB.mpf_abs(x, prec, _RND),
    }


def _raw_extreme(args, beats):
    """max (min) as Python's builtin takes it of mpf numbers: the first value no later one beats."""
    def pick(v):
        best = args[0](v)
        for f in args[1:]:
            value = f(v)
            if beats(value, best):
                best = value
        return best
    return pick


def _raw_heaviside(args):
    x, rest = args[0], args[1:]

    def step(v):
        value = x(v)
        if _LIB.mpf_gt(value, _LIB.fzero):
            return _LIB.fone
        if _LIB.mpf_lt(value, _LIB.fzero):
            return _LIB.fzero
        if rest:
            return rest[0](v)
        raise Unsupported("Heaviside(0) without a convention")
    return step


def _raw_sum(args, prec: int):
    if len(args) == 2:
        first, second = args
        return lambda v: _LIB.mpf_add(first(v), second(v), prec, _RND)
    return lambda v: _LIB.mpf_sum([f(v) for f in args], prec, _RND)


def _raw_product(args, prec: int):
    def product(v):
        out = args[0](v)
        for f in args[1:]:
            out = _LIB.mpf_mul(out, f(v), prec, _RND)
        return out
    return product


def _raw_power(expr, base, exp, prec: int):
    if expr.exp.is_Integer:
        n = int(expr.exp)
        return lambda v: _LIB.mpf_pow_int(base(v), n, prec, _RND)
    def power(v):
        b, x = base(v), exp(v)
        if _power_beyond(b, x):
            raise Overflow("a power e^(x ln b) with x ln b beyond 2^%d" % MAX_MAGNITUDE)
        return _LIB.mpf_pow(b, x, prec, _RND)
    return power


def _build_raw(expr, index: dict, prec: int = _PREC):
    """``_build`` on raw mpf values (tuples) at ``prec`` bits (its constants as the context makes them): Unsupported
    where it has no rule (the mpf closures then serve)."""
    leaf = _leaf(expr, index, raw=True)
    if leaf is not None:
        return leaf
    if isinstance(expr, Recomputed):
        raise Unsupported(type(expr).__name__)
    if _after_one(expr) is not None:
        raise Unsupported("log1p")               # (no raw log1p: the mpf closures compute it)
    args = [_build_raw(a, index, prec) for a in expr.args]
    if expr.is_Add:
        return _raw_sum(args, prec)
    one = _raw_one(prec).get(type(expr)) if len(args) == 1 else None
    if one is not None:
        only = args[0]
        return lambda v: one(only(v))
    if expr.is_Mul:
        return _raw_product(args, prec)
    if expr.is_Pow:
        return _raw_power(expr, *args, prec)
    if type(expr) in (sympy.Max, sympy.Min):
        return _raw_extreme(args, _LIB.mpf_gt if type(expr) is sympy.Max else _LIB.mpf_lt)
    if type(expr) is sympy.Heaviside:
        return _raw_heaviside(args)
    raise Unsupported(type(expr).__name__)


_FAILED = (ZeroDivisionError, ValueError, OverflowError)


@functools.lru_cache(maxsize=512)
def compile(expr, symbols: tuple) -> "Callable":
    """A function of the symbols' values (in order) evaluating expr at the working precision.

    Built from closures over mpmath functions, one per node: nothing is generated or evaluated.
    """
    with mpmath.workdps(DIGITS):
        expr = sympy.sympify(expr)
        body = _build(expr, {s: k for k, s in enumerate(symbols)})
        try:
            raw = _build_raw(expr, {s: k for k, s in enumerate(symbols)})
        except Unsupported:
            raw = None
    make = mpmath.mp.make_mpf

    def plain(values):
        if mpmath.mp.prec == _PREC:                       # already at the working precision (the common case)
            try:
                return body(values)
            except _FAILED:
                return mpmath.nan
        with mpmath.workdps(DIGITS):
            try:
                return body(values)
            except _FAILED:
                return mpmath.nan

    def run(*values):
        if raw is not None:
            try:
                return make(raw(tuple(v._mpf_ for v in values)))
            except (_LIB.ComplexResult, AttributeError, Unsupported):
                pass              # a complex value (ComplexResult is a ValueError), or a value not an mpf: as before
            except _FAILED:
                return mpmath.nan
        return plain(values)
    return run


@functools.lru_cache(maxsize=256)
def compile_at(expr, symbols: tuple, prec: int) -> "Callable":
    """A function of the symbols' values (in order) evaluating expr at ``prec`` bits, as compile()'s does at
    DIGITS (nan where a value fails: an exponential beyond reach, a division by 0): for work that needs more
    digits than DIGITS (a state so large that its exponential's digits need its own digits beyond the 50th).
    Call it with mpmath's context at ``prec``: its constants are made at that precision."""
    index = {s: k for k, s in enumerate(symbols)}
    with mpmath.workprec(prec):
        expr = sympy.sympify(expr)
        body = _build(expr, index)
        try:
            raw = _build_raw(expr, index, prec)
        except Unsupported:
            raw = None
    make = mpmath.mp.make_mpf

    def run(*values):
        if raw is not None:
            try:
                return make(raw(tuple(v._mpf_ for v in values)))
            except (_LIB.ComplexResult, AttributeError, Unsupported):
                pass              # a complex value, or a value not an mpf: the mpf closures
            except _FAILED:
                return mpmath.nan
        try:
            return body(values)
        except _FAILED:
            return mpmath.nan
    return run


@functools.lru_cache(maxsize=64)
def _both(expr, symbols: tuple) -> tuple:
    """expr's closures as compile() builds them (an exponential beyond reach refused) and taking the limit."""
    index = {s: k for k, s in enumerate(symbols)}
    return _build(expr, index), _build(expr, index, limit=True)


def limit(expr, symbols: tuple, *values):
    """expr at the values (mpmath numbers, one per symbol) when an exponential on the way is beyond reach (where
    compile() gives nan): its value with each such exponential taken at its limit, as float arithmetic takes an
    overflow (e^x an infinity or 0, and on from there: e^(e^z) is inf, 1/(1 + e^(e^z)) 0, e^(e^z) − e^(e^z)
    nan). None when nothing on the way is beyond reach (a nan has another cause) or expr cannot be compiled."""
    try:
        strict, lenient = _both(sympy.sympify(expr), tuple(symbols))
    except Unsupported:
        return None
    with mpmath.workdps(DIGITS):
        try:
            strict(values)
            return None
        except Overflow:
            pass
        except (Unsupported, ArithmeticError, ValueError, TypeError):
            return None
        try:
            return lenient(values)
        except (Unsupported, ArithmeticError, ValueError, TypeError):
            return mpmath.nan


def evaluate(expr, values: dict | None = None, digits: int = DIGITS):
    """expr at the given symbol values, as an mpmath number (SymPy's evalf where the table ends)."""
    if not values and isinstance(expr, sympy.Number):      # a number: its value, as compile() makes constants
        with mpmath.workdps(DIGITS):
            const = _constant(expr)
        if const is not None:
            return const
    values = values or {}
    with mpmath.workdps(digits):
        plain = {k: (compile(v, ())() if isinstance(v, sympy.Basic) else v) for k, v in values.items()}
        symbols = tuple(plain)
        try:
            return compile(sympy.sympify(expr), symbols)(*plain.values())
        except Unsupported:
            subs = {k: sympy.Float(v, digits) for k, v in plain.items()}
            value = sympy.N(sympy.sympify(expr).xreplace(subs), digits)
            if value.is_Float:
                return mpmath.mpf(value._mpf_)
            raise


def value_at(expr, digits: int, values: dict | None = None):
    """A constant expression's value computed at ``digits`` digits throughout: its constants and every
    operation (compile() and evaluate() work at DIGITS whatever the context); with ``values`` (symbol -> exact
    number), the expression at them, each taken at ``digits`` too (never substituted: SymPy would build
    2^(2^(1000 a)) at a = 1.28 as an exact integer)."""
    values = values or {}
    with mpmath.workdps(digits):
        try:
            numbers = tuple(_build(sympy.sympify(v), {})(()) for v in values.values())
            return _build(sympy.sympify(expr), {s: k for k, s in enumerate(values)})(numbers)
        except Unsupported:
            if values:
                raise
            value = sympy.N(sympy.sympify(expr), digits)
            if value.is_Float:
                return mpmath.mpf(value._mpf_)
            raise


def accurate(expr, digits: int, limit: int):
    """A constant expression's value good to ``digits`` significant digits: evaluated at rising precision
    (value_at, doubling) until two evaluations agree, neither 0, since cancellation can eat any fixed
    precision (2 tanh(1200) − 2 is about −2·10^-1042: at 60 digits, 0). 0 when it is 0 at every precision
    up to ``limit`` digits; None when a value that is not 0 has not settled by then; a complex value as it
    comes."""
    work = digits + 10
    last = value_at(expr, work)
    while work < limit:
        work *= 2
        value = value_at(expr, work)
        if not isinstance(value, mpmath.mpf):
            return value
        if value != 0 and abs(value - last) <= abs(value) * mpmath.mpf(10) ** -digits:
            return value
        last = value
    return last if last == 0 else None


def accurate_at(expr, symbols: tuple, values: tuple, first, digits: int, limit: int):
    """expr at the values (mpmath numbers, each the exact binary number it is, whatever precision made it) good
    to ``digits`` significant digits, where at the context's precision it came out ``first``: evaluated again
    (compile_at, nothing rebuilt from SymPy) at twice the context's digits, twice that and so on up to ``limit``,
    until two evaluations agree, neither 0 (1 − tanh²(z) at |z| ~ 1000 is 0 until ~870 digits). 0 when it is 0
    at every precision up to ``limit``; None when a value that is not 0 has not settled by then, or one is not
    a finite real number."""
    work, last = mpmath.libmp.prec_to_dps(mpmath.mp.prec), first
    while work < limit:
        work = min(2 * work, limit)
        prec = mpmath.libmp.dps_to_prec(work)
        with mpmath.workprec(prec):
            value = compile_at(expr, symbols, prec)(*values)
            if type(value) is not mpmath.mpf or not mpmath.isfinite(value):
                return None
            if value and last and abs(value - last) <= abs(value) * mpmath.mpf(10) ** -digits:
                return value
        last = value
    return last if last == 0 else None


def largest_argument(d) -> float:
    """The largest size of a real number a function (exp, tanh, ...) is applied to in d (0 if none)."""
    largest = 0.0
    for node in sympy.preorder_traversal(d):
        if isinstance(node, sympy.Function) and node.args and all(a.is_number for a in node.args):
            for v in (a.evalf(15) for a in node.args):
                if v.is_real:
                    largest = max(largest, float(abs(v)))
    return largest


def value_in_exponentials(e, digits: int, huge: float, max_power: int, limit: int):
    """e's value (mpmath) from in_exponentials: p(t)/q(t) with the fraction cancelled, each side evaluated at
    t = e^(g/L) to ``digits`` (4t²/(t² + 1)² for 1 − tanh²(g), about 4e^(-2|g|), where the digits of 1 − tanh²
    cancel to 0 at any precision worth computing); None where that form does not apply or a side does not settle
    by ``limit`` digits."""
    form = in_exponentials(e, huge, max_power)
    if form is None:
        return None
    expr, t, root = form
    top, bottom = sympy.fraction(sympy.cancel(sympy.together(expr)))
    if top == 0:
        return mpmath.mpf(0)
    back = {t: sympy.exp(root)}
    p, q = (accurate(side.xreplace(back), digits, limit) for side in (top, bottom))
    if not (isinstance(p, mpmath.mpf) and isinstance(q, mpmath.mpf)) or p == 0 or q == 0:
        return None
    with mpmath.workdps(digits + 10):
        return p / q


def in_exponentials(d, huge: float, max_power: int | None = None):
    """d as a function of one t, so that huge (or tiny) exponentials cancel in algebra, not in digits: written
    with exp alone, each e^(q g) (g the argument of one exponential beyond ``huge`` in size, q rational)
    becomes t^(q L) (L the denominators' least common multiple; t stands for e^(g/L)). (the expression in t,
    t, g/L), or None: no exponential beyond ``huge``, one that is not a rational multiple of g, a function of
    a number beyond ``huge`` left over, or a power of t beyond ``max_power``. 1 − tanh²(10^6) is 4t²/(t² + 1)²
    with t = e^(10^6): evaluated so, it is not 0."""
    e = d.rewrite(sympy.exp)
    exps = {n for n in sympy.preorder_traversal(e) if isinstance(n, sympy.exp) and n.args[0].is_number}
    huge_ones = [n for n in exps if abs(n.args[0].evalf(15)) > huge]
    if not huge_ones:
        return None
    g = huge_ones[0].args[0]
    ratios = {n: q for n, q in ((n, n.args[0] / g) for n in exps) if q.is_Rational}
    if any(n not in ratios for n in huge_ones):
        return None
    L = math.lcm(*(int(q.q) for q in ratios.values()))
    if max_power is not None and max(abs(q * L) for q in ratios.values()) > max_power:
        return None
    t = sympy.Dummy("t", positive=True)
    e = e.xreplace({n: t ** (q * L) for n, q in ratios.items()})
    if largest_argument(e) > huge:
        return None
    return e, t, g / L


def to_sympy(value) -> sympy.Float:
    """An mpmath number as a SymPy Float of the working precision."""
    return sympy.Float(value, DIGITS) if not isinstance(value, sympy.Basic) else value


def small_rational(value, max_denominator: int = 1000, tolerance: float = 1e-40) -> sympy.Rational | None:
    """p/q with q <= max_denominator equal to value within tolerance, if there is one."""
    if not mpmath.isfinite(value) or abs(value) > 10**15:
        return None
    if abs(value) < tolerance:
        return sympy.Integer(0)              # written out in full, 1e-434294 would be a 434,294-digit fraction
    with mpmath.workdps(DIGITS):
        frac = Fraction(mpmath.nstr(value, DIGITS, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)).limit_denominator(
            max_denominator)
        if abs(mpmath.mpf(frac.numerator) / frac.denominator - value) < tolerance:
            return sympy.Rational(frac.numerator, frac.denominator)
    return None


def shown(value, digits: int = 6, away_from=1) -> sympy.Float:
    """value rounded for display to ``digits`` significant digits, or to more where fewer would
    round it onto ``away_from`` (0.99999996 is not shown as 1.00000 next to a '< 1')."""
    exact = sympy.N(value, DIGITS) if isinstance(value, sympy.Basic) and not value.is_Float else \
        sympy.Float(value, DIGITS)
    def onto(d: int) -> bool:        # as printed: SymPy's Float == Integer is False, whatever the digits
        return away_from is not None and str(sympy.Float(exact, d)) == str(sympy.Float(away_from, d))
    while digits < 40 and onto(digits) and exact != sympy.Float(away_from, DIGITS):
        digits += 2
    return sympy.Float(exact, digits)


JSON_DIGITS = 17          # significant digits of a number beyond a double's range, written as a string in JSON


def json_number(value) -> float | str | None:
    """A number as JSON writes it: the float it makes while a double holds it (far below a double's range,
    0.0); beyond that range a string of its decimal value to 17 significant digits, "8.9647118343548029e+398"
    (a float there is infinite, and JSON has no infinity), or to the digits a SymPy Float has when fewer (a
    value rounded for display); None when there is no value or no finite one (None, an infinity or NaN of
    SymPy or mpmath). A Python float that is not finite has lost its value already: a ValueError, never a
    wrong number."""
    if value is None:
        return None
    try:
        f = float(value)
    except (OverflowError, TypeError):                # an int or a Fraction beyond a double; a complex number
        f = math.inf
    if math.isfinite(f):
        return f
    if isinstance(value, float):
        raise ValueError(f"{value} has no JSON value: the number it stood for is lost")
    digits = JSON_DIGITS
    if isinstance(value, sympy.Float):
        digits = min(digits, max(1, mpmath.libmp.prec_to_dps(value._prec)))
    return decimal_text(value, digits)


def decimal_text(value, digits: int) -> str | None:
    """A number's decimal value to ``digits`` significant digits, however large or small ('8.9647e+398'); None
    when it has no finite real value."""
    with mpmath.workdps(digits + 3):
        exact = _exact(value)
        return None if exact is None else mpmath.nstr(exact, digits)


def _exact(value):
    """A number's value as an mpmath number (at the context's precision); None when it has no finite real value."""
    if isinstance(value, mpmath.mpf):
        return value if mpmath.isfinite(value) else None
    if isinstance(value, (int, float)):
        return mpmath.mpf(value) if math.isfinite(value) else None
    number = sympy.N(sympy.sympify(value), mpmath.mp.dps)
    if not number.is_Float:                           # oo, zoo, nan, a complex number
        return None
    return mpmath.mpf(number._mpf_) if number.is_finite else None
