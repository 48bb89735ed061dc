"""Values of a computation graph: a scalar, a vector (a column, as in the maths) or a matrix, each entry
a SymPy expression, and the operations of the equation language on them, with shapes checked.

A shape is () for a scalar, (n,) for a vector and (m, n) for a matrix, as PyTorch writes it; the entries
are kept in an ImmutableMatrix (1 x 1, n x 1 or m x n)."""

from __future__ import annotations

import mpmath
import sympy
from sympy import ImmutableMatrix

from ... import numeric

from ...functions import ELEMENTWISE, HIDDEN
from . import matrices, sizes
from .pointwise import applied, extreme
from .val import MAX_ENTRIES, ShapeProblem, Val, broadcast, make, scalar, shape_text, to_json  # noqa: F401
from .parse import Call, Index, Name, Neg, Node, Num, Op


class Undefined(ValueError):
    """A value that is undefined or not real at the given values (0/0, log of a negative number, ...): ``node``
    is the sub-expression where it arises (None when not known)."""

    def __init__(self, message: str, node: "Node | None" = None):
        super().__init__(message)
        self.node = node


UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)


def undefined(e) -> bool:
    """Whether an entry is undefined, infinite or not real (a formula holding zoo too). A number SymPy cannot
    place, such as (−1)^(1/(e^−3 + 1)), is placed by its value."""
    if e.has(*UNDEFINED):
        return True
    if not e.is_number or e.is_extended_real is not None:
        return bool(e.is_number and e.is_extended_real is False)
    try:
        re_part, im_part = e.evalf(30).as_real_imag()
        return abs(im_part) > abs(re_part) * sympy.Float("1e-25") or not re_part.is_finite
    except (ArithmeticError, TypeError, ValueError):
        return True


WORKING_DIGITS = 60         # an irrational number is carried as a 60-digit float (the checker works to 50)
MAX_DIGITS = 20000          # the most digits an evaluation may take to find a value's 60 first digits


class TooExtreme(ValueError):
    """A number whose first digits even MAX_DIGITS digits of working precision do not settle (tanh(10^6) − 1
    is about −10^-868589: its digits lie beyond any precision worth computing)."""


def settle(e):
    """An irrational number as a 60-digit float (exact arithmetic on nested exponentials would grow at every
    node); a rational or a formula unchanged. The float's digits are right: evaluated at rising precision
    until two evaluations agree, since cancellation can eat any fixed precision (2 tanh(1200) − 2 is about
    −2·10^-1042: at 60 digits, 0). A number within the float's precision of a whole number (σ(1004) is
    1 − 10^-437 or so) keeps its distance to it: 1 − σ(1004) taken from a 60-digit float would be 0, and
    every gradient through it (_near_whole)."""
    if e.is_Rational or not e.is_number:
        return e
    if e.has(sympy.Heaviside):
        e = e.replace(sympy.Heaviside, _step)
    if not _transcendental(e):
        return e.evalf(WORKING_DIGITS)            # arithmetic on floats: more digits would not make it truer
    try:
        value = accurate(e)
    except OverflowError:
        raise TooExtreme(f"{sympy.sstr(e)[:80]} is too large to evaluate") from None
    except TooExtreme:
        if e.has(sympy.Float) and _cancels(e):      # 0 within what its 60-digit inputs can tell
            return sympy.Float(0, WORKING_DIGITS)
        raise
    except (numeric.Unsupported, ValueError, ZeroDivisionError):
        return e.evalf(WORKING_DIGITS)            # undefined (log 0) or complex: the caller names it
    if not isinstance(value, mpmath.mpf):
        return e.evalf(WORKING_DIGITS)
    if value != 0 and abs(value - mpmath.nint(value)) < abs(value) * mpmath.mpf(10) ** (10 - WORKING_DIGITS):
        return _near_whole(e, value)
    return sympy.Float(value, WORKING_DIGITS)


def _cancels(e) -> bool:
    """Whether a sum holding 60-digit floats (forward values) is 0 within their precision: below its largest term
    by more than their digits (an exactly cancelling gradient, its floats' last bits aside, does not settle at any
    precision)."""
    terms = sympy.Add.make_args(e)
    try:
        scale = max(abs(numeric.accurate(t, 15, 4 * WORKING_DIGITS) or 0) for t in terms)
        value = numeric.value_at(e, 2 * WORKING_DIGITS)
    except (numeric.Unsupported, ArithmeticError, ValueError, TypeError):
        return False
    return isinstance(value, mpmath.mpf) and abs(value) <= scale * mpmath.mpf(10) ** (10 - WORKING_DIGITS)


MAX_EXACT_NESTING = 4       # functions nested in a number kept exact (beyond it SymPy's own evaluation is slow)


def _near_whole(e, value):
    """A number within 10^-50 of a whole number n: exact while it nests few functions (σ(1004), tanh(1200));
    deeper (a stage of σ(1000 + σ(1000 + …))), a float of as many digits as it takes to hold 60 of e − n.
    TooExtreme when that is beyond MAX_DIGITS."""
    if function_depth(e) <= MAX_EXACT_NESTING:
        return e
    n = mpmath.nint(value)
    rest = accurate(e - sympy.Integer(int(n)))
    if rest == 0:
        return e
    digits = WORKING_DIGITS + max(0, int(mpmath.log10(abs(n) + 1) - mpmath.log10(abs(rest)))) + 1
    if digits > MAX_DIGITS:
        raise TooExtreme(f"{sympy.sstr(e)[:80]} cannot be evaluated: it nests {function_depth(e)} functions and lies"
                         f" within 10^-{MAX_DIGITS} of a whole number")
    with mpmath.workdps(digits + 10):
        return sympy.Float(mpmath.mpf(n) + rest, digits)


def function_depth(e, only=None) -> int:
    """How many functions (exp, tanh, a root, …; of class ``only`` if given) are nested on the deepest path of a
    SymPy expression."""
    memo: dict = {}

    def counts(x) -> bool:
        if only is not None:
            return isinstance(x, only)
        return isinstance(x, sympy.Function) or x.is_Pow and not x.exp.is_Integer

    def depth(x) -> int:
        if x not in memo:
            memo[x] = max((depth(a) for a in x.args), default=0) + counts(x)
        return memo[x]
    return depth(e)


def _transcendental(e) -> bool:
    """Whether e applies a function (exp, log, tanh, ...) or a root, where cancellation can hide digits that
    more precision finds; sums and products of rationals and floats have none to find."""
    return bool(e.atoms(sympy.Function)) or any(not p.exp.is_Integer for p in e.atoms(sympy.Pow))


SEEN_TO = 1000              # 0 at MAX_DIGITS digits is 0 for functions of numbers up to this size
SMALL_POWERS = 12           # the largest power of t in_exponentials may make (a polynomial SymPy cancels at once)


def accurate(e, digits: int = WORKING_DIGITS):
    """e's value (mpmath) good to ``digits`` significant digits (numeric.accurate); TooExtreme when a value
    that is not 0 has not settled by MAX_DIGITS. A function of a number beyond SEEN_TO can differ from what
    its digits cancel to by less than any precision worth computing (1 − tanh²(10^5) is about 10^-86859, 0 at
    20,000 digits): such an e is evaluated with its exponentials in one t (_in_exponentials), where the
    cancellation happens in algebra, and a 0 from digits alone is not believed."""
    huge = numeric.largest_argument(e) > SEEN_TO
    if huge:
        value = _in_exponentials(e, digits)
        if value is not None:
            return value
    value = numeric.accurate(e, digits, MAX_DIGITS)
    if value is None or huge and value == 0:
        raise TooExtreme(f"{sympy.sstr(e)[:80]} cannot be evaluated: its first digits lie beyond "
                         f"{MAX_DIGITS} digits of working precision")
    return value


def _in_exponentials(e, digits: int):
    """e's value with its exponentials in one t (numeric.value_in_exponentials), or None."""
    return numeric.value_in_exponentials(e, digits, SEEN_TO, SMALL_POWERS, MAX_DIGITS)


def settled(v: "Val") -> "Val":
    return v.map(settle)


# --- elementwise -------------------------------------------------------------------------------

def sigmoid(a):
    return 1 / (1 + sympy.exp(-a))


def _undecided(x) -> bool:
    """A real number whose sign SymPy cannot tell (−3000 + log(e^−100000 + e^3000), about 10^−44733)."""
    return x.is_number and x.is_extended_real and x.is_positive is None and x.is_nonpositive is None


def _positive(x) -> bool:
    """x > 0, told at rising precision; not when no MAX_DIGITS tell it from 0."""
    value = numeric.accurate(x, 15, MAX_DIGITS)
    return value is not None and value > 0


def _step(x, at_zero=0):
    """relu's slope at x (PyTorch's 0 at 0), its sign told at rising precision where SymPy cannot tell it."""
    return sympy.Integer(int(_positive(x))) if _undecided(x) else sympy.Heaviside(x, at_zero)


def relu(a):
    """max(0, a), the sign of a number SymPy cannot tell told at rising precision."""
    if _undecided(a):
        return a if _positive(a) else sympy.Integer(0)
    return sympy.Max(0, a)


UNARY = {name: relu if name == "relu" else sigmoid if name == "sigmoid" else f.value
         for name, f in ELEMENTWISE.items()}      # each entry's function: fn(x, *constants)
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
          "^": lambda a, b: a ** b}
WORDS = {"+": "add", "-": "subtract", "*": "multiply elementwise", "/": "divide elementwise",
         "^": "raise to a power elementwise", "@": "multiply as matrices"}


MAX_EXPONENT = 100          # |n| in x ^ n for a number n


def _beyond(x, limit) -> bool:
    """x > limit for a number, told at rising precision where SymPy cannot tell (100 σ(1000) is 100 less
    about 10^-433)."""
    try:
        return bool(x > limit)
    except TypeError:
        return _positive(x - limit)


def elementwise(op: str, a: Val, b: Val) -> Val:
    fn = BINARY[op]
    if op == "^" and any(e.is_number and _beyond(abs(e), MAX_EXPONENT) for e in b.entries):
        raise ShapeProblem(f"an exponent is larger than {MAX_EXPONENT} in size")
    both = broadcast(a, b, fn)
    if both is not None:
        return both
    raise ShapeProblem(f"cannot {WORDS[op]} {shape_text(a.shape)} {a.shape} and {shape_text(b.shape)} {b.shape}:"
                       " the shapes must match (or one be a scalar)")


def matmul(a: Val, b: Val) -> Val:
    """PyTorch's @: matrix-vector, matrix-matrix, vector-vector (a dot product), vector-matrix."""
    if a.shape == () or b.shape == ():
        raise ShapeProblem(f"'@' needs vectors or matrices, not {shape_text(a.shape)} {a.shape} and "
                           f"{shape_text(b.shape)} {b.shape}; use '*' for a scalar")
    inner_a, inner_b = a.shape[-1], b.shape[0]
    if inner_a != inner_b:
        raise ShapeProblem(f"cannot multiply {shape_text(a.shape)} {a.shape} by {shape_text(b.shape)} {b.shape}"
                           f" with '@': the inner sizes {inner_a} and {inner_b} differ")
    left = a.m.T if len(a.shape) == 1 else a.m
    product = left * b.m
    if len(a.shape) == 1 and len(b.shape) == 1:
        return scalar(product[0, 0])
    if len(a.shape) == 1:
        return make((b.shape[1],), list(product))
    if len(b.shape) == 1:
        return make((a.shape[0],), list(product))
    return Val((a.shape[0], b.shape[1]), product)


def index(a: Val, i: int) -> Val:
    if a.shape == ():
        raise ShapeProblem(f"cannot index a scalar with [{i}]")
    n = a.shape[0]
    if not -n <= i < n:
        raise ShapeProblem(f"index {i} is out of range for {shape_text(a.shape)} {a.shape}: "
                           f"indices run from 0 to {n - 1}")
    i %= n
    if len(a.shape) == 1:
        return scalar(a.m[i, 0])
    return make((a.shape[1],), list(a.m.row(i)))


# --- reductions and vector functions -----------------------------------------------------------------

def total(a: Val) -> Val:
    return scalar(sympy.Add(*a.entries))


def mean(a: Val) -> Val:
    return scalar(sympy.Add(*a.entries) / len(a.entries))


def transpose(a: Val) -> Val:
    if a.shape == ():
        return a
    if len(a.shape) == 1:
        return Val((1, a.shape[0]), a.m.T)
    return Val((a.shape[1], a.shape[0]), a.m.T)


def _vector(fn: str, a: Val) -> None:
    if len(a.shape) != 1:
        raise ShapeProblem(f"{fn} takes a vector, not {shape_text(a.shape)} {a.shape}")


def softmax(a: Val) -> Val:
    _vector("softmax", a)
    exps = [sympy.exp(e) for e in a.entries]
    s = sympy.Add(*exps)
    return make(a.shape, [e / s for e in exps])


def log_softmax(a: Val) -> Val:
    _vector("log_softmax", a)
    lse = sympy.log(sympy.Add(*[sympy.exp(e) for e in a.entries]))
    return make(a.shape, [e - lse for e in a.entries])


def cross_entropy(z: Val, y: Val) -> Val:
    """PyTorch's cross_entropy of logits z: y a class index (0-based) or a vector of probabilities."""
    _vector("cross_entropy", z)
    logp = log_softmax(z).entries
    if y.shape == ():
        k = y.scalar
        if not (k.is_Integer and 0 <= k < z.shape[0]):
            raise ShapeProblem(f"the class index of cross_entropy must be a whole number from 0 to {z.shape[0] - 1}"
                               f" (0-based, as in PyTorch), not {k}")
        return scalar(-logp[int(k)])
    if y.shape != z.shape:
        raise ShapeProblem(f"cross_entropy's target {y.shape} must be a class index or a vector of probabilities"
                           f" of the logits' shape {z.shape}")
    return scalar(-sympy.Add(*[t * l for t, l in zip(y.entries, logp)]))


def mse(a: Val, b: Val) -> Val:
    if a.shape != b.shape:
        raise ShapeProblem(f"mse compares values of one shape, not {shape_text(a.shape)} {a.shape} and "
                           f"{shape_text(b.shape)} {b.shape}")
    return mean(elementwise("^", elementwise("-", a, b), scalar(2)))


def _whole(v: Val, what: str, low: int) -> int:
    k = v.scalar if v.shape == () else None
    if k is None or not k.is_Integer or k < low or k > 100:
        raise ShapeProblem(f"the {what} must be a whole number from {low} to 100, not {k if k is not None else v.shape}")
    return int(k)


def _normalise(rows: list[list], eps) -> list[list]:
    """(x − mean)/sqrt(var + eps) · gamma + beta over each list of ``rows`` (biased variance)."""
    out = []
    for r in rows:
        mu = sympy.Add(*r) / len(r)
        var = sympy.Add(*[(e - mu) ** 2 for e in r]) / len(r)
        out.append([(e - mu) / sympy.sqrt(var + eps) for e in r])
    return out


def _eps(args: list[Val]) -> sympy.Expr:
    if len(args) < 4:
        return sympy.Rational(1, 100000)
    e = args[3]
    if e.shape != () or not (e.scalar.is_Rational and e.scalar > 0):
        raise ShapeProblem(f"eps must be a positive number, not {e.scalar if e.shape == () else e.shape}")
    return e.scalar


def _affine_shapes(fn: str, x: Val, gamma: Val, beta: Val, size: int) -> None:
    if len(x.shape) != 2:
        raise ShapeProblem(f"{fn} takes an N × D matrix (one row per example), not {shape_text(x.shape)} {x.shape}")
    for what, v in (("gamma", gamma), ("beta", beta)):
        if v.shape != (size,):
            raise ShapeProblem(f"{fn}'s {what} must be a vector of {size}, not {shape_text(v.shape)} {v.shape}")


def batchnorm(x: Val, gamma: Val, beta: Val, *rest: Val) -> Val:
    """BatchNorm1d in training mode: each column (feature) normalised over the rows (the batch)."""
    n, d = x.shape if len(x.shape) == 2 else (0, 0)
    _affine_shapes("batchnorm", x, gamma, beta, d)
    if n < 2:
        raise ShapeProblem("batchnorm needs a batch of at least 2 rows")
    cols = _normalise([list(x.m.col(j)) for j in range(d)], _eps([x, gamma, beta, *rest]))
    return Val(x.shape, ImmutableMatrix(n, d, lambda i, j: cols[j][i] * gamma.m[j] + beta.m[j]))


def layernorm(x: Val, gamma: Val, beta: Val, *rest: Val) -> Val:
    """LayerNorm over the last dimension: each row normalised over its features (a vector is one row)."""
    rows = x if len(x.shape) == 2 else Val((1, x.shape[0]), x.m.T) if len(x.shape) == 1 else x
    _affine_shapes("layernorm", rows, gamma, beta, rows.shape[1] if len(rows.shape) == 2 else 0)
    normal = _normalise([list(rows.m.row(i)) for i in range(rows.shape[0])], _eps([x, gamma, beta, *rest]))
    out = [normal[i][j] * gamma.m[j] + beta.m[j] for i in range(rows.shape[0]) for j in range(rows.shape[1])]
    return make(x.shape, out)


def dropout(x: Val, mask: Val, p: Val) -> Val:
    """Inverted dropout: x · mask / (1 − p), the mask of 0s and 1s given."""
    if mask.shape != x.shape:
        raise ShapeProblem(f"dropout's mask must have the shape of x, {x.shape}, not {mask.shape}")
    if any(e not in (0, 1) for e in mask.entries):
        raise ShapeProblem("dropout's mask holds only 0s and 1s")
    q = p.scalar if p.shape == () else None
    if q is None or not (q.is_Rational and 0 <= q < 1):
        raise ShapeProblem(f"dropout's p must be a number from 0 up to (not including) 1, not {q}")
    return Val(x.shape, x.m.multiply_elementwise(mask.m) / (1 - q))


def conv1d(x: Val, w: Val, *rest: Val) -> Val:
    """PyTorch's conv1d (a cross-correlation) of one channel: x of length n, filter w of length k."""
    if len(x.shape) != 1 or len(w.shape) != 1:
        raise ShapeProblem(f"conv1d takes a vector x and a vector w, not {x.shape} and {w.shape}")
    stride = _whole(rest[0], "stride", 1) if rest else 1
    pad = _whole(rest[1], "padding", 0) if len(rest) > 1 else 0
    xs = [sympy.Integer(0)] * pad + x.entries + [sympy.Integer(0)] * pad
    k = w.shape[0]
    if len(xs) < k:
        raise ShapeProblem(f"conv1d's filter of {k} is longer than the (padded) input of {len(xs)}")
    out = [sympy.Add(*[w.entries[j] * xs[s + j] for j in range(k)]) for s in range(0, len(xs) - k + 1, stride)]
    return make((len(out),), out)


FUNCTIONS = {"batchnorm": ((3, 4), batchnorm), "layernorm": ((3, 4), layernorm), "dropout": (3, dropout),
             "conv1d": ((2, 4), conv1d),
             "sum": (1, total), "mean": (1, mean), "transpose": (1, transpose),
             "softmax": ((1, 2), matrices.softmax), "log_softmax": ((1, 2), matrices.log_softmax),
             "attention": ((3, 4), matrices.attention), "cross_entropy": (2, cross_entropy), "mse": (2, mse),
             "max": ((1, 2), lambda *a: extreme("max", list(a))), "min": ((1, 2), lambda *a: extreme("min", list(a)))}
CALLABLE = {*UNARY, *FUNCTIONS}
KNOWN = sorted((CALLABLE - HIDDEN) | {"pow"})    # the functions an equation calls by name (pow(x, n) is x ^ n)


def evaluate(node: Node, env: dict[str, Val], bounded: bool = False) -> Val:
    """The value of a right-hand side; ShapeProblem for shapes that do not fit, KeyError for an unknown name.
    ``bounded``: each operation on formulas is estimated before it is made, TooLarge beyond the limits of
    derive.kinds.graph.sizes (an equation of the spec; not the formulas the backward pass differentiates)."""
    if isinstance(node, Num):
        return scalar(node.value)
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, Neg):
        return evaluate(node.arg, env, bounded).map(lambda e: -e)
    if isinstance(node, Index):
        return index(evaluate(node.arg, env, bounded), node.index)
    operands = [evaluate(a, env, bounded) for a in ((node.left, node.right) if isinstance(node, Op) else node.args)]
    if bounded:
        sizes.check(node, operands)
    if isinstance(node, Op):
        out = matmul(*operands) if node.op == "@" else elementwise(node.op, *operands)
        return _real(_sized(out), node)
    return _real(_sized(_call(node, operands)), node)


def _real(v: Val, node: Node) -> Val:
    """v, or Undefined when an entry is undefined or not real: caught where it arises, before a function
    such as relu compares it."""
    if any(undefined(e) for e in v.entries):
        raise Undefined(undefined_text(node), node)
    return v


def undefined_text(node: Node) -> str:
    """The message for a sub-expression undefined or not real at the given values."""
    text = source(node)
    return (f"{text if len(text) <= 60 else text[:57] + '...'} is undefined or not real at the given values (a"
            " division by zero, or the log or square root of a negative number)")


def source(node: Node) -> str:
    """An expression written back as equation text."""
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Neg):
        return f"-{source(node.arg)}"
    if isinstance(node, Index):
        return f"{source(node.arg)}[{node.index}]"
    if isinstance(node, Op):
        return f"({source(node.left)} {node.op} {source(node.right)})"
    return f"{node.func}({', '.join(source(a) for a in node.args)})"


def _call(node: Call, args: list[Val]) -> Val:
    if node.func in UNARY:
        _arity(node, ELEMENTWISE[node.func].arity)
        return applied(node.func, UNARY[node.func], args)
    _arity(node, FUNCTIONS[node.func][0])
    return FUNCTIONS[node.func][1](*args)


def _arity(node: Call, n) -> None:
    low, high = n if isinstance(n, tuple) else (n, n)
    if not low <= len(node.args) <= high:
        count = f"{low}" if low == high else f"{low} to {high}"
        raise ShapeProblem(f"{node.func} takes {count} argument{'s' if high > 1 else ''}, not {len(node.args)}")


def _sized(v: Val) -> Val:
    if len(v.m) > MAX_ENTRIES:
        raise ShapeProblem(f"a value of shape {v.shape} has more than {MAX_ENTRIES} entries")
    return v
