"""Re-check every relation a derivation displays, or stop the build naming the step.

Notation symbols (such as the partial derivative written as a fraction) are first
replaced by what they mean; then each equality is tried symbolically and, where that
is inconclusive, by 50-digit evaluation at sample points. A link that can be checked
neither way is an error, never a silent pass.
"""

from __future__ import annotations

import functools
from typing import Mapping

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from . import numeric
from .errors import CheckError
from .steps import Chain, Solution

from .precision import DEEPEST, DIGITS, RECOMPUTED, TINY, ZERO

HUGE_EXPONENT = 200          # e^200 ~ 10^87: beyond it a constant is confirmed as an identity first
EXACT_DIGITS = 3000          # a constant that is 0 to 50 digits must stay 0 up to this many to be 0
SEEN_TO = 1000               # functions of arguments up to this size differ from 0 within EXACT_DIGITS
# Sample values for free symbols: distinct, with large prime denominators, so that they miss
# the kinks (such as ReLU's) that the small rationals of a spec put at simple points.
SAMPLES = [sympy.Rational(p, q) for p, q in
           ((-1871, 1009), (463, 1013), (1303, 1019), (-683, 1021), (1733, 1031), (617, 1033), (-379, 1039))]
SAMPLE_VALUES = [numeric.evaluate(v) for v in SAMPLES]


RELATIONALS = {sympy.Eq: "=", sympy.StrictLessThan: "<", sympy.StrictGreaterThan: ">", sympy.LessThan: "<=",
               sympy.GreaterThan: ">="}


def claims(sol: Solution):
    """(where, chain) for every relation a solution shows: its displays, its answer, and the chains and
    equations inline in its prose (question, steps, answer, notes). Definitions (``Let``) are not claims."""
    texts = [("question", sol.question)] + [(k + 1, s.text) for k, s in enumerate(sol.steps)]
    texts += [("answer", sol.answer.text)] + [(f"note {k + 1}", n) for k, n in enumerate(sol.notes)]
    for where, text in texts:
        for piece in text.pieces:
            found = inline_relations(piece)
            yield from ((where, ch) for ch in found)
    for k, s in enumerate(sol.steps):
        yield from ((k + 1, ch) for ch in s.chains)
    yield from (("answer", ch) for ch in sol.answer.chains)


def inline_relations(piece) -> list[Chain]:
    """The relations in one piece of prose: a chain, or the equations and inequalities in an expression."""
    if isinstance(piece, Chain):
        return [piece]
    if not isinstance(piece, sympy.Basic):
        return []
    found = []
    for node in sympy.preorder_traversal(piece):
        rel = RELATIONALS.get(type(node))
        if rel is not None:
            found.append(Chain((node.lhs, node.rhs), (rel,)))
    return found


def check_solution(sol: Solution, question: str) -> int:
    """Check every relation the solution shows, in displays and in prose; returns how many links were
    checked."""
    count = 0
    meanings = Meanings(sol.meanings)
    for where, ch in claims(sol):
        for left, rel, right in ch.links():
            ok, why = check_link(meanings.expand(left), rel, meanings.expand(right))
            if not ok:
                raise CheckError(question, where, f"{str(left)[:200]} {rel} {str(right)[:200]}: {why}")
            count += 1
    return count


class Meanings:
    """Notation symbols (and undefined functions, mapped to Lambdas) with what they stand for."""

    def __init__(self, meanings: Mapping):
        self.funcs = {k: v for k, v in meanings.items() if isinstance(k, sympy.FunctionClass)}
        plain = {k: sympy.sympify(v) for k, v in meanings.items() if k not in self.funcs}
        self.recomputed = {k: v for k, v in plain.items() if _recomputed(v)}
        self.plain = {k: v for k, v in plain.items() if k not in self.recomputed}
        self._expanded: dict = {}

    def expand(self, expr) -> sympy.Basic:
        """Replace notation by meaning until none is left (once per expression: a chain's middle sides are
        in two links)."""
        expr = sympy.sympify(expr)
        try:
            return self._expanded[expr]
        except KeyError:
            pass
        except TypeError:                                   # not hashable: expanded each time
            return self._expand(expr)
        out = self._expanded[expr] = self._expand(expr)
        return out

    def _expand(self, expr) -> sympy.Basic:
        for _ in range(10):
            new = expr.xreplace(self.plain) if self.plain else expr
            if self.funcs:
                applied = {type(a) for a in new.atoms(AppliedUndef)}
                for fn in applied & set(self.funcs):      # bottom up, a function inside itself too: relu(relu(2))
                    new = new.replace(fn, _meaning_of(self.funcs[fn]), simultaneous=False)
            if new == expr:
                break
            expr = new
        return self._recomputed_in(expr)

    def _recomputed_in(self, expr) -> sympy.Basic:
        """The meanings computed again at each precision (numeric.Recomputed, a state far along a recurrence)
        put in last, as they are written: the checker takes such a side numerically (_check_approx,
        _zero_recomputed), and SymPy evaluating tanh(W a + b) around a number it cannot see asks for signs and
        values again and again."""
        return _unevaluated(expr, self.recomputed) if self.recomputed else expr


def _unevaluated(expr, rule: dict) -> sympy.Basic:
    """expr with rule's keys replaced, each node it changes made again unevaluated (evaluate=False, passed to
    each node: sympy.evaluate(False) would clear SymPy's whole cache, on entering and on leaving)."""
    if expr in rule:
        return rule[expr]
    if not expr.args or isinstance(expr, numeric.Recomputed):
        return expr
    args = [_unevaluated(a, rule) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    try:
        return expr.func(*args, evaluate=False)
    except TypeError:                                   # (a matrix, a Tuple: no such option)
        return expr.func(*args)


def _meaning_of(meaning):
    """A notation function's meaning applied to its arguments; an argument kept unevaluated, as written, that
    SymPy's own functions cannot take (tanh(0 − (−0)) divides by zero inside SymPy) is evaluated first."""
    def applied(*args):
        try:
            return meaning(*args)
        except ArithmeticError:
            return meaning(*(a.doit() for a in args))
    return applied


def check_link(left, rel: str, right) -> tuple[bool, str]:
    """Whether ``left rel right`` holds, with the reason when it does not."""
    if _is_matrix(left) or _is_matrix(right):
        return _check_matrix(_explicit(left), rel, _explicit(right))
    if rel == "=":
        verdict = is_zero(left - right, scale=AbsSum(left, right))
        return verdict, "" if verdict else "the two sides differ"
    if rel == "approx":
        return _check_approx(left, right)
    return _check_order(left, rel, right)


def _is_matrix(e) -> bool:
    return bool(getattr(e, "is_Matrix", False)) or (isinstance(e, sympy.Derivative) and _is_matrix(e.expr))


def _explicit(e):
    """An explicit matrix for a matrix product or derivative; anything else unchanged."""
    if _is_matrix(e) and not isinstance(e, sympy.MatrixBase):
        return sympy.ImmutableMatrix(e.doit())
    return e


def _check_matrix(left, rel, right):
    if rel not in ("=", "approx"):
        return False, f"relation {rel} between matrices"
    if not (isinstance(left, sympy.MatrixBase) and isinstance(right, sympy.MatrixBase)):
        return False, "a matrix compared with a scalar"
    if left.shape != right.shape:
        return False, f"shapes {left.shape} and {right.shape} differ"
    for a, b in zip(_flat(left), _flat(right)):
        if a == b:                       # the same expression: equal (and close) without arithmetic
            continue
        ok = _check_approx(a, b)[0] if rel == "approx" else is_zero(a - b, scale=AbsSum(a, b))
        if not ok:
            return False, f"entries {a} and {b} differ"
    return True, ""


class AbsSum:
    """|left| + |right|, the scale of a comparison, built only when a numeric comparison needs it (making
    Abs of an expression asks SymPy about signs, which costs more than most checks)."""

    def __init__(self, left, right):
        self.left, self.right = left, right

    @functools.cached_property
    def expr(self):
        return sympy.Abs(self.left) + sympy.Abs(self.right)


def _flat(M) -> list:
    """A matrix's entries row by row (tolist: SymPy's entry-by-entry indexing is slow on large matrices)."""
    return [e for row in M.tolist() for e in row]


def is_zero(d, scale=None) -> bool:
    """True when d is identically zero: symbolically, else at every sample point to 50 digits. Numeric
    agreement is relative to ``scale`` (the size of what is compared, such as |left| + |right|) when it
    is above 1: two 50-digit values near 10^100 agree to 50 digits, not to 10^-30."""
    d = sympy.sympify(d)
    if d == 0:
        return True
    if not d.atoms(sympy.Function) and sympy.expand(d) == 0:   # rational arithmetic: conclusive and cheap
        return True
    if not d.free_symbols:
        if _recomputed(d):          # (as written: made numeric, not evaluated by SymPy)
            return _zero_recomputed(d, scale)
        exact = d.doit()            # arithmetic shown unevaluated, such as floor((128 - 3)/1) + 1 - 126
        if exact.is_Rational:
            return exact == 0
        value = _constant(d)
        if value is not None:
            size = _size(scale)
            if d.has(sympy.Float):  # numeric work: 50-digit agreement is the claim
                return bool(abs(value) < TINY * size)
            return bool(abs(value) < TINY * size) and _exact_zero(d, size)
        return _exact_zero(d)
    count = 0
    for value, point in _samples(d, points=True, complex_values=True):   # stops at the first telling point
        if abs(value) >= TINY and abs(value) >= TINY * _size(scale, point) and not _rounding(d, point, scale):
            return False
        count += 1
    return count >= 3 or bool(sympy.simplify(d) == 0)


ROUNDED = mpmath.mpf(10) ** 20     # compared values beyond this may carry 50-digit rounding beyond 10^-30 of them


def _rounding(d, point: dict, scale) -> bool:
    """Whether d, not 0 to 50 digits at a sample point where the compared values are huge, is 0 there when computed
    with more digits (as many more as the size's logarithm has, then doubling, up to EXACT_DIGITS): the 50 digits
    were rounding. 2^(2^(1000 a)) at a = 1.28 has a
    binary exponent of 386 digits, which 50-digit arithmetic gets wrong, so two ways of writing one derivative
    of it disagree there at 50 digits, not at 800. False when d stays apart from 0, or cannot be computed."""
    size = _size(scale, point) if isinstance(scale, AbsSum) else 1
    if size <= ROUNDED:
        return False
    digits = DIGITS + 10 + int(mpmath.log10(mpmath.log(size)))   # what e^x, x = ln size, needs for its last digits
    while digits <= EXACT_DIGITS:
        try:
            value, size = numeric.value_at(d, digits, point), numeric.value_at(scale.expr, digits, point)
        except (numeric.Unsupported, ArithmeticError, ValueError, TypeError):
            return False
        if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in (value, size)):
            return False
        if abs(value) < TINY * max(1, size):
            return True
        digits *= 2
    return False


def _constant(d):
    """A constant's value to DIGITS as an mpmath real, or None when it is not a finite real."""
    try:
        value = numeric.evaluate(d, {}, DIGITS)
    except (numeric.Unsupported, TypeError, ValueError, ZeroDivisionError):
        return None
    return value if isinstance(value, mpmath.mpf) and mpmath.isfinite(value) else None


def _size(scale, point=None):
    """The size the comparison is relative to: |scale| (at a point) when above 1, else 1."""
    if scale is None:
        return 1
    if isinstance(scale, AbsSum):
        scale = scale.expr
    try:
        value = numeric.evaluate(scale, point or {}, DIGITS)
    except (numeric.Unsupported, TypeError, ValueError):
        return 1
    if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value):
        return 1
    return max(1, value)


def _exact_zero(d, size=1) -> bool:
    """A constant that is 0 to 50 digits: confirm it is 0. Symbolically where SymPy can; else it must stay 0
    at every precision up to EXACT_DIGITS (1 − tanh(129.5) is about 2·10^-113: below any fixed threshold one
    would pick at 100 digits, yet not 0). A constant holding a function of an argument beyond SEEN_TO
    (tanh(10^6) − 1 is about −10^-868589) is confirmed only as an identity (_identity_in_exponentials): its
    difference from 0 could lie below any precision worth computing."""
    largest = _largest_argument(d)
    if largest > HUGE_EXPONENT:
        if _identity_in_exponentials(d):
            return True
        return largest <= SEEN_TO and _zero_to_the_last(d)
    if d.is_zero is not None:
        return bool(d.is_zero)
    s = sympy.nsimplify(d) if d.has(sympy.Float) else sympy.simplify(d)
    return s == 0 or _zero_to_the_last(d)


def _zero_to_the_last(d) -> bool:
    """d is 0 at every precision up to EXACT_DIGITS (False when it cannot be evaluated)."""
    try:
        return numeric.accurate(d, 15, EXACT_DIGITS) == 0
    except (numeric.Unsupported, TypeError, ValueError, ZeroDivisionError):
        return False


def _largest_argument(d) -> float:
    """The largest size of a real number a function (exp, tanh, ...) is applied to in d (0 if none)."""
    return numeric.largest_argument(d)


def _identity_in_exponentials(d) -> bool:
    """Whether d is 0 whatever the value of its huge exponentials: written with exp alone, each e^(q g) (g the
    argument of one huge exponential, q rational) becomes t^(q L) for a t of its own (L the denominators' least
    common multiple) and the whole must cancel to 0 as a rational function of t (numeric.in_exponentials); it
    is then 0 at t = e^(g/L) too. σ'(1004) = σ(1004)(1 − σ(1004)) is confirmed so; tanh(10^6) − 1 is not
    (−2/(t² + 1))."""
    form = numeric.in_exponentials(d, HUGE_EXPONENT)
    return form is not None and sympy.cancel(sympy.together(form[0])) == 0


def _samples(d, points: bool = False, complex_values: bool = False):
    """Values (mpmath) of d at the sample points, lazily (with the points, if asked); undefined points are
    skipped, and complex ones unless ``complex_values`` (an identity holds at a point where a logarithm's
    argument is negative too: both sides are then the same complex number)."""
    syms = sorted(d.free_symbols, key=lambda s: s.name)
    signs = [1 if (s.is_positive or s.is_nonnegative) else -1 if (s.is_negative or s.is_nonpositive) else 0
             for s in syms]
    try:
        f = numeric.compile(d, tuple(syms))
    except numeric.Unsupported:
        f = None
    for shift in range(len(SAMPLES)):
        picks = [(shift + 3 * k) % len(SAMPLES) for k in range(len(syms))]
        point = {s: abs(SAMPLES[i]) * sign if sign else SAMPLES[i] for s, i, sign in zip(syms, picks, signs)}
        if f is not None:
            value = f(*(abs(SAMPLE_VALUES[i]) * sign if sign else SAMPLE_VALUES[i] for i, sign in zip(picks, signs)))
        else:
            try:
                value = numeric.evaluate(d, point, DIGITS)
            except numeric.Unsupported:
                continue
        if isinstance(value, (mpmath.mpc if complex_values else mpmath.mpf, mpmath.mpf)) and mpmath.isfinite(value):
            yield (value, point) if points else value


def _check_approx(left, right) -> tuple[bool, str]:
    """|left - right| within the precision the right side is shown with. A left side holding a value computed
    again at each precision (numeric.Recomputed: a state far along a recurrence) is evaluated at rising
    precision until two evaluations agree to the digits shown and two more (a value whose digits never settle
    fails), and compared relative to its size."""
    left, right = sympy.sympify(left), sympy.sympify(right)
    if left.free_symbols or right.free_symbols:
        return False, "an approximation with free symbols"
    shown = right._prec if isinstance(right, sympy.Float) else 23    # a plain number after "≈": 6 digits
    digits = max(2, int(shown * 0.30103))
    recomputed = _recomputed(left)
    a, b = _value_at(left, RECOMPUTED) if recomputed else _constant(left), _constant(right)
    if b is not None and a is not None and not _close(a, b, digits, recomputed):
        settled = _settled(left, digits + 2)  # not the shown digits at RECOMPUTED digits (or at DIGITS: e^(3e299)
        if recomputed or settled is not None:  # needs 300 more): are they where its digits stand?
            a = settled
        if a is None:
            return False, f"its digits do not settle as the precision rises (up to {SETTLE_DIGITS} digits)"
    if a is None or b is None:
        return False, "a side is not a finite real number"
    if _close(a, b, digits, recomputed):
        return True, ""
    with mpmath.workdps(DIGITS):
        return False, f"|{mpmath.nstr(a, 12)} - {mpmath.nstr(b, 12)}| exceeds {mpmath.nstr(_tolerance(a, digits, recomputed), 3)}"


def _close(a, b, digits: int, relative: bool) -> bool:
    """|a - b| within the tolerance of a value shown with ``digits`` digits (relative to |a| for a recomputed
    value, else to max(1, |a|))."""
    with mpmath.workdps(DIGITS):
        return bool(abs(a - b) <= _tolerance(a, digits, relative))


def _tolerance(a, digits: int, relative: bool):
    with mpmath.workdps(DIGITS):
        return mpmath.mpf(10) ** (1 - digits) * (abs(a) if relative else max(1, abs(a)))


SETTLE_DIGITS = DEEPEST   # the most digits a recomputed value is evaluated at (e^z at z ~ 10^1233 needs ~1300)


def _recomputed(expr) -> bool:
    """Whether expr holds a node that computes its own value at the precision it is evaluated at."""
    return isinstance(expr, numeric.Recomputed) or any(_recomputed(a) for a in expr.args)


def _zero_recomputed(d, scale) -> bool:
    """A difference holding values computed again at each precision (numeric.Recomputed) is 0 when, at RECOMPUTED
    digits or at twice as many and so on up to SETTLE_DIGITS, it is below TINY of the compared values' size (the
    digits of a state far along a recurrence may need more on the way): numeric work, whose agreement is the
    claim, as for Floats."""
    work = RECOMPUTED
    while work <= SETTLE_DIGITS:
        if isinstance(scale, AbsSum):               # (d is left - right: their values give its own)
            sides = [_value_at(e, work) for e in (scale.left, scale.right)]
            with mpmath.workdps(work):
                value = None if None in sides else sides[0] - sides[1]
        else:
            value, sides = _value_at(d, work), [1, 0]
        if value is not None and None not in sides and abs(value) < TINY * max(1, abs(sides[0]) + abs(sides[1])):
            return True
        work *= 2
    return False


def _value_at(expr, digits: int):
    """expr's value at ``digits`` digits (numeric.value_at), or None when it is not a finite real number."""
    try:
        value = numeric.value_at(expr, digits)
    except (numeric.Unsupported, ArithmeticError, ValueError, TypeError):
        return None
    return value if isinstance(value, mpmath.mpf) and mpmath.isfinite(value) else None


def _settled(expr, digits: int):
    """expr's value at RECOMPUTED digits, then twice as many and so on, once two evaluations agree to ``digits``
    significant digits; 0 when it is 0 at every precision up to SETTLE_DIGITS (a difference can cancel to 0 at
    any fixed precision: ln(1 + e^(-360)) is 0 until ~160 digits); None when it does not settle."""
    work, last = RECOMPUTED, None
    while work < 2 * SETTLE_DIGITS:                   # (the last evaluation at SETTLE_DIGITS or more)
        value = _value_at(expr, work)
        if value and last is not None:
            with mpmath.workdps(work):
                if abs(value - last) <= abs(value) * mpmath.mpf(10) ** -digits:
                    return value
        last, work = value, 2 * work
    return last if last == 0 else None


def _check_order(left, rel, right) -> tuple[bool, str]:
    """An inequality: exactly for numbers, at every sample point otherwise."""
    d = sympy.sympify(left - right)
    if d.free_symbols:
        values = list(_samples(d))
        if len(values) < 3:
            return False, "cannot evaluate"
    else:
        exact = {"<": d < 0, ">": d > 0, "<=": d <= 0, ">=": d >= 0}[rel]
        if exact in (sympy.true, sympy.false):
            return bool(exact), "does not hold"
        values = [d.evalf(DIGITS)]
    test = {"<": lambda v: v < 0, ">": lambda v: v > 0, "<=": lambda v: v <= 0, ">=": lambda v: v >= 0}[rel]
    ok = all(bool(test(v)) for v in values)
    return ok, "" if ok else "does not hold"


__all__ = ["check_solution", "check_link", "is_zero", "Chain"]
