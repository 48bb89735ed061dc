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

from .symbols import FloorDiv, Quotient, Times

from .precision import DIGITS


class Unsupported(Exception):
    """The expression has a node this evaluator does not know."""


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


def _build(expr, index: dict):
    """A closure computing expr from a tuple of values (one per symbol in index). A sum of two terms is one
    addition (correctly rounded, as fsum's sum of two terms is), a function of one argument called directly."""
    leaf = _leaf(expr, index, raw=False)
    if leaf is not None:
        return leaf
    args = [_build(a, index) for a in expr.args]
    if expr.is_Add:
        if len(args) == 2:
            first, second = args
            return lambda v: first(v) + second(v)
        return lambda v: mpmath.fsum(f(v) for f in args)
    direct = ONE_ARGUMENT.get(type(expr)) if len(args) == 1 else None
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
        return lambda v: mpmath.power(base(v), exp(v))
    fn = FUNCTIONS.get(type(expr))
    if fn is None:
        raise Unsupported(type(expr).__name__)
    return lambda v: fn([f(v) for f in args])


_PREC = mpmath.libmp.dps_to_prec(DIGITS)


# --- the same numbers, on mpmath's own representation -----------------------------------------
# mpmath's operators and functions unwrap their arguments, call a libmp function at the context's precision
# and rounding, and wrap the result. The closures below call those libmp functions on the raw values
# directly, at DIGITS and round-to-nearest: the same calls, so the same bits, without an mpf object a node.
# A result that would be complex (ComplexResult) and anything these do not cover go the ordinary way (sech too:
# mpmath computes it with guard digits).

_LIB = mpmath.libmp
_RND = "n"
_RAW_ONE = {
    sympy.exp: lambda x: _LIB.mpf_exp(x, _PREC, _RND),
    sympy.log: lambda x: _LIB.mpf_log(x, _PREC, _RND),
    sympy.tanh: lambda x: _LIB.mpf_tanh(x, _PREC, _RND),
    sympy.sinh: lambda x: _LIB.mpf_sinh(x, _PREC, _RND),
    sympy.cosh: lambda x: _LIB.mpf_cosh(x, _PREC, _RND),
    sympy.Abs: lambda x: _LIB.mpf_abs(x, _PREC, _RND),
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


def _raw_sum(args):
    if len(args) == 2:
        first, second = args
        return lambda v: _LIB.mpf_add(first(v), second(v), _PREC, _RND)
    return lambda v: _LIB.mpf_sum([f(v) for f in args], _PREC, _RND)


def _raw_product(args):
    def product(v):
        out = args[0](v)
        for f in args[1:]:
            out = _LIB.mpf_mul(out, f(v), _PREC, _RND)
        return out
    return product


def _raw_power(expr, base, exp):
    if expr.exp.is_Integer:
        n = int(expr.exp)
        return lambda v: _LIB.mpf_pow_int(base(v), n, _PREC, _RND)
    return lambda v: _LIB.mpf_pow(base(v), exp(v), _PREC, _RND)


def _build_raw(expr, index: dict):
    """``_build`` on raw mpf values (tuples): Unsupported where it has no rule (the mpf closures then serve)."""
    leaf = _leaf(expr, index, raw=True)
    if leaf is not None:
        return leaf
    args = [_build_raw(a, index) for a in expr.args]
    if expr.is_Add:
        return _raw_sum(args)
    one = _RAW_ONE.get(type(expr)) if len(args) == 1 else None
    if one is not None:
        only = args[0]
        return lambda v: one(only(v))
    if expr.is_Mul:
        return _raw_product(args)
    if expr.is_Pow:
        return _raw_power(expr, *args)
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


def value_at(expr, digits: int):
    """A constant expression's value computed at ``digits`` digits throughout: its constants and every
    operation (compile() and evaluate() work at DIGITS whatever the context)."""
    with mpmath.workdps(digits):
        try:
            return _build(sympy.sympify(expr), {})(())
        except Unsupported:
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


def largest_argument(d) -> float:
    """The largest size of a real number a function (exp, tanh, ...) is applied to in d (0 if none)."""
    largest = 0.0
    for node in sympy.preorder_traversal(d):
        if isinstance(node, sympy.Function) and node.args and all(a.is_number for a in node.args):
            for v in (a.evalf(15) for a in node.args):
                if v.is_real:
                    largest = max(largest, float(abs(v)))
    return largest


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
