"""Facts about activation functions shared by the problem kinds: the standard ones' names and
largest slopes, recognising a formula as one of them, and phi' (also in terms of phi itself)."""

from __future__ import annotations

import functools

import mpmath
import sympy
from sympy import Heaviside, Rational

from ..check import is_zero
from ..mathparse import NAMED, Z
from ..numeric import evaluate, small_rational
from ..precision import DIGITS, TINY

OUTPUT = sympy.Symbol("a_t", real=True)   # a = phi(z), the activation's output (phi' may be written in it)
KINKS = (sympy.Heaviside, sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Piecewise, sympy.DiracDelta)

# sup |phi'| of the standard activations, and the z where it is attained (None: approached only).
SUPREMA = {
    "sigmoid": (Rational(1, 4), 0),
    "tanh": (1, 0),
    "relu": (1, 1),
    "leaky_relu": (1, 1),
    "identity": (1, 0),
    "softplus": (1, None),
    "exp": (sympy.oo, None),
}
READABLE = {
    "sigmoid": "the logistic sigmoid", "tanh": "the hyperbolic tangent", "relu": "the ReLU",
    "leaky_relu": "the leaky ReLU", "identity": "the identity", "softplus": "the softplus",
    "exp": "the exponential",
}


def step_at_zero(expr: sympy.Expr, var: sympy.Symbol = Z) -> sympy.Expr:
    """expr (a derivative in ``var``) with PyTorch's slope at a kink: that of the branch below it, so
    ReLU'(0) = 0 and leaky ReLU'(0) = its negative slope. A unit step H(u) whose argument grows with
    ``var`` is 0 at u = 0; one whose argument falls is 1 there (H(-z) is z <= 0). A positive constant
    factor of the argument is dropped: H(99 z/100) is H(z)."""
    return expr.replace(Heaviside, lambda arg, *rest: _step(arg, var))


def _step(arg: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    coeff, rest = arg.as_coeff_Mul()
    if coeff.is_Number and coeff != 0 and rest != 1:
        arg = rest if coeff > 0 else -rest
    slope = sympy.diff(arg, var)
    return Heaviside(arg, 1 if slope.is_negative else 0)


def derivative(phi: sympy.Expr) -> sympy.Expr:
    """phi'(z), with PyTorch's slope at a kink (ReLU'(0) = 0, leaky ReLU'(0) = 1/100)."""
    return step_at_zero(sympy.diff(phi, Z))


def kinks(dphi: sympy.Expr) -> tuple[sympy.Expr, ...]:
    """The z where a unit step of phi'(z) switches (its argument is 0), for arguments linear in z."""
    points = set()
    for h in dphi.atoms(Heaviside):
        arg = h.args[0]
        if arg.is_polynomial(Z) and sympy.degree(arg, Z) == 1:
            points.add(sympy.solve(arg, Z)[0])
    return tuple(sorted(points, key=float))


def composed_derivative(phi: sympy.Expr, inner: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """d/dvar phi(inner) by the chain rule, phi' taken in z so that its kinks keep PyTorch's convention
    whatever the sign of d inner/d var."""
    return derivative(phi).subs(Z, inner) * sympy.diff(inner, var)


def recognise(phi: sympy.Expr) -> str | None:
    """The name of the standard activation phi equals, if any."""
    for name in READABLE:
        if phi == NAMED[name]:
            return name
    for name in READABLE:
        if phi.has(*KINKS) == NAMED[name].has(*KINKS) and is_zero(phi - NAMED[name]):
            return name
    return None


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """The shortest of a few equivalent forms (the first on a tie)."""
    return min([expr, sympy.together(expr), sympy.factor(expr)], key=sympy.count_ops)


@functools.lru_cache(maxsize=32)
def slope(phi: sympy.Expr):
    """(phi'(z) tidied, g with phi' = g(phi) or None): shared by both questions of a part."""
    dphi = tidy(derivative(phi))
    return dphi, in_terms_of_output(phi, dphi)


def in_terms_of_output(phi: sympy.Expr, dphi: sympy.Expr):
    """g with phi'(z) = g(phi(z)) for a polynomial g of degree <= 2, or None (ReLU: H(a))."""
    if dphi.has(Heaviside) and is_zero(dphi - Heaviside(phi, 0)):
        return Heaviside(OUTPUT, 0)
    rows, rhs = [], []
    with mpmath.workdps(DIGITS):
        for zv in (Rational(-3, 7), Rational(2, 5), Rational(7, 9)):
            p, d = evaluate(phi, {Z: zv}), evaluate(dphi, {Z: zv})
            if not (mpmath.isfinite(p) and mpmath.isfinite(d)) or isinstance(p, mpmath.mpc):
                return None
            rows.append([1, p, p**2])
            rhs.append(d)
        try:
            solution = mpmath.lu_solve(mpmath.matrix(rows), mpmath.matrix(rhs))
        except ZeroDivisionError:
            return None
    coeffs = [small_rational(v, tolerance=TINY) for v in solution]
    if any(v is None for v in coeffs):
        return None
    g = coeffs[0] + coeffs[1] * OUTPUT + coeffs[2] * OUTPUT**2
    if g.free_symbols != {OUTPUT} or not is_zero(dphi - g.subs(OUTPUT, phi)):
        return None
    if coeffs[0] == 0 and coeffs[2] != 0:      # sigma(1 - sigma) rather than sigma - sigma^2
        return OUTPUT * sympy.expand(g / OUTPUT)
    return g


SIGMOID_OPS, SIGMOID_EXPONENTS = 80, 3      # the most rewritten at once: larger formulas are rewritten piece by piece


def in_sigmoids(expr: sympy.Expr, sigma) -> sympy.Expr:
    """expr with its exponentials written as a sigmoid where that is shorter, σ being the function ``sigma``
    (whose meaning is 1/(1 + e^{-u})): e^u/(e^{2u} + 2e^u + 1) is σ(u)(1 − σ(u)) and 1/(e^{-u} + 1) is σ(u).
    Each exponent (up to an integer multiple) is tried in turn; e^u = σ/(1 − σ) makes a rational function of
    e^u a rational function of σ, kept when it is shorter and free of e^u. A formula of more than SIGMOID_OPS
    operations is rewritten in pieces (``_in_parts``). Anything else is returned as it is."""
    if not isinstance(expr, sympy.Expr) or not expr.has(sympy.exp) or expr.is_number:
        return expr
    if sympy.count_ops(expr) > SIGMOID_OPS or _mixed(expr):
        return _in_parts(expr, sigma)
    return _whole(expr, sigma)


def _mixed(e: sympy.Expr) -> bool:
    """Whether e has an exponential of exponentials (a sigmoid of sigmoids) or is a sum of terms with exponentials
    of different exponents (v₁σ(u₁) + v₂σ(u₂)): what ``_in_parts`` rewrites piece by piece."""
    exps = e.atoms(sympy.exp)
    if any(a.args[0].has(sympy.exp) for a in exps):
        return True
    groups = {frozenset(_positive(x.args[0]) for x in t.atoms(sympy.exp)) for t in sympy.Add.make_args(e)}
    return len(groups - {frozenset()}) > 1


def _whole(expr: sympy.Expr, sigma, merge: bool = True) -> sympy.Expr:
    """in_sigmoids of a formula of at most SIGMOID_OPS operations, all of it at once (e^a e^b made e^{a + b} first
    unless ``merge`` is False: the exponents named one by one, as ``_in_parts`` does)."""
    best = sympy.powsimp(expr, combine="exp", deep=True) if merge else expr
    for _ in range(SIGMOID_OPS):                    # inner sigmoids first, then those of them: σ(σ(x))
        exponents = {_positive(a.args[0]) for a in best.atoms(sympy.exp)}
        if len(exponents) > SIGMOID_EXPONENTS:      # a softmax over many logits: no sigmoid in it to find
            break
        before = best
        for u in sorted(exponents, key=sympy.default_sort_key):
            best = _rewritten(best, u, sigma)
        if best == before:
            break
    return best if sympy.count_ops(best) < sympy.count_ops(expr) else expr


def _in_parts(expr: sympy.Expr, sigma) -> sympy.Expr:
    """in_sigmoids of a long formula: each exponent u (its own sigmoids found first) named by a fresh symbol d, so
    e^{-3u} is e^{-3d} however long u is; then the pieces of at most SIGMOID_OPS operations are rewritten at once
    (``_pieces``), and d is u again. Every step is an identity; the result is kept when it is shorter and agrees
    with expr at sample points as well (derive.check.is_zero, sigma read as the logistic function)."""
    names: dict = {}
    short = _named(_split(sympy.powsimp(expr, combine="exp", deep=True)), sigma, names, {})
    pieces = _pieces(short, sigma)
    if pieces == short or sympy.count_ops(pieces) >= sympy.count_ops(short):
        return expr
    result = pieces.xreplace({d: u for u, d in names.items()})
    u = sympy.Dummy("u")
    logistic = sympy.Lambda(u, 1 / (1 + sympy.exp(-u)))
    return result if is_zero(result.replace(sigma, logistic) - expr) else expr


def _split(e: sympy.Expr) -> sympy.Expr:
    """e with each e^a whose exponent a is a sum holding all the terms of another exponent b of e (either sign)
    written e^b e^{a − b}, the largest such b first: e^{−u − v σ(u)} beside (e^{−v σ(u)} + 1)² is e^{−v σ(u)} e^{−u}
    (SymPy's exponentials of a sigmoid of sigmoids come combined so)."""
    for _ in range(SIGMOID_OPS):
        cores = {_positive(a.args[0]) for a in e.atoms(sympy.exp)}
        split = e.replace(lambda x: isinstance(x, sympy.exp) and _inside(x.args[0], cores) is not None,
                          lambda x: sympy.exp(_inside(x.args[0], cores)) * sympy.exp(x.args[0] - _inside(x.args[0],
                                                                                                            cores)))
        if split == e:
            break
        e = split
    return e


def _inside(a: sympy.Expr, cores: set):
    """The exponent among cores (or its negative) with the most terms, all of them terms of the sum a; None if none."""
    terms = set(sympy.Add.make_args(a))
    found = [b for core in cores for b in (core, -core) if b != a and len(sympy.Add.make_args(b)) < len(terms)
             and set(sympy.Add.make_args(b)) <= terms]
    return max(found, key=lambda b: (len(sympy.Add.make_args(b)), sympy.default_sort_key(b))) if found else None


def _named(e: sympy.Expr, sigma, names: dict, memo: dict) -> sympy.Expr:
    """e with each e^{k u} (k rational, u its exponent with content and sign taken out) as e^{k d}, d the symbol
    naming u's own rewrite (``names``: rewritten u -> d)."""
    if e in memo:
        return memo[e]
    if isinstance(e, sympy.exp):
        k, core = e.args[0].as_content_primitive()
        if core.could_extract_minus_sign():
            k, core = -k, -core
        inner = in_sigmoids(core, sigma)
        d = names.setdefault(inner, sympy.Dummy("d", real=True))
        out = sympy.exp(k * d)
    elif e.args:
        out = e.func(*[_named(a, sigma, names, memo) for a in e.args])
    else:
        out = e
    memo[e] = out
    return out


def _pieces(e: sympy.Expr, sigma) -> sympy.Expr:
    """e rewritten at once when short enough (and that finds a sigmoid); else a sum's terms (a product's factors)
    grouped by the exponents they hold, each group rewritten as one piece, and any other expression argument by
    argument."""
    if not e.has(sympy.exp):
        return e
    short = sympy.count_ops(e) <= SIGMOID_OPS
    if short:
        whole = _whole(e, sigma, merge=False)
        if whole != e or not isinstance(e, (sympy.Add, sympy.Mul)):
            return whole
    if isinstance(e, (sympy.Add, sympy.Mul)):
        groups: dict = {}
        for a in e.args:
            groups.setdefault(frozenset().union(*(x.args[0].free_symbols for x in a.atoms(sympy.exp))), []).append(a)
        if len(groups) > 1:
            return e.func(*[_pieces(e.func(*g), sigma) for g in groups.values()])
    return e if short else e.func(*[_pieces(a, sigma) if isinstance(a, sympy.Expr) else a for a in e.args])


def _positive(u: sympy.Expr) -> sympy.Expr:
    return -u if u.could_extract_minus_sign() else u


def _rewritten(expr: sympy.Expr, u: sympy.Expr, sigma) -> sympy.Expr:
    t, s = sympy.Dummy("t"), sympy.Dummy("s")
    in_t = expr.replace(lambda e: isinstance(e, sympy.exp) and sympy.cancel(e.args[0] / u).is_Integer,
                        lambda e: t ** sympy.cancel(e.args[0] / u))
    if in_t.has(sympy.exp) and any(_positive(a.args[0]) == u for a in in_t.atoms(sympy.exp)):
        return expr
    form = sympy.factor(sympy.cancel(in_t.subs(t, s / (1 - s))))
    if form.has(t):
        return expr
    k = sympy.cancel(form / (s * (1 - s)))
    if not k.has(s):
        form = k * s * (1 - s)                           # σ(1 − σ) rather than −σ(σ − 1)
    candidate = form.subs(s, sigma(u))
    return candidate if sympy.count_ops(candidate) < sympy.count_ops(expr) else expr
