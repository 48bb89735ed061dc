"""The several-unit shortcuts give exactly what the long way gives: the step's map on raw values against the
compiled expression phi(W_i a + c_i), the pre-activations, Jacobians and their products against mpmath's
matrices (bit for bit, extreme exponents included), the true Jacobian's inner derivative against SymPy's."""

from __future__ import annotations

import mpmath
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derive.kinds.activations import slope
from derive.kinds.rnn import units
from derive.kinds.rnn.runs import HUGE
from derive.kinds.rnn.vector_recurrence import VectorRecurrence, _matrix, _product
from derive.kinds.rnn.notation import Z
from derive.mathparse import parse_activation
from derive.numeric import compile as compile_numeric, evaluate, to_sympy
from derive.precision import DIGITS, ZERO

ACTIVATIONS = ["tanh", "sigmoid", "relu", "softplus", "identity", r"\frac{\exp(z)}{1 + \exp(z)}", r"\tanh(3 z)",
               r"\frac{1}{1+e^{-z}}", "leaky_relu", r"z^3 - z"]

weights = st.integers(-150, 150).map(lambda k: sympy.Rational(k, 100))


def recurrence(activation: str, W: list, c: list) -> VectorRecurrence:
    phi = parse_activation(activation)
    return VectorRecurrence(phi, slope(phi)[0], sympy.ImmutableMatrix(W), sympy.ImmutableMatrix(c))


def long_map(rec: VectorRecurrence):
    """The step as it was: each unit's compiled phi(W_i a + c_i)."""
    prevs = rec._previous()
    maps = [compile_numeric(rec.phi.subs(Z, e), prevs) for e in rec.W * sympy.ImmutableMatrix(prevs) + rec.c]
    return lambda state: [m(*state) for m in maps]


def long_jacobian(rec: VectorRecurrence, state):
    """diag(phi'(W state + c)) W by mpmath's matrices, as it was."""
    slope_at = compile_numeric(rec.dphi, (Z,))
    W = mpmath.matrix([[evaluate(v) for v in rec.W.row(i)] for i in range(rec.n)])
    c = mpmath.matrix([evaluate(v) for v in rec.c])
    with mpmath.workdps(DIGITS):
        z = W * mpmath.matrix(list(state)) + c
        J = W.copy()
        for i in range(rec.n):
            s = slope_at(z[i])
            for j in range(rec.n):
                J[i, j] *= s
        return z, J


def same(a, b) -> bool:
    """Equal bit for bit (mpmath numbers, or mpmath matrices entry by entry)."""
    if isinstance(a, mpmath.matrix):
        return (a.rows, a.cols) == (b.rows, b.cols) and all(
            same(a[i, j], b[i, j]) for i in range(a.rows) for j in range(a.cols))
    return type(a) is type(b) and (a._mpf_ if hasattr(a, "_mpf_") else a._mpc_) == \
        (b._mpf_ if hasattr(b, "_mpf_") else b._mpc_)


@st.composite
def problems(draw, max_units: int = 5):
    n = draw(st.integers(1, max_units))
    W = [[draw(weights) for _ in range(n)] for _ in range(n)]
    c = [draw(weights) for _ in range(n)]
    a0 = [draw(weights) for _ in range(n)]
    return draw(st.sampled_from(ACTIVATIONS)), W, c, a0


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_step_is_the_compiled_expression(problem):
    activation, W, c, a0 = problem
    rec = recurrence(activation, W, c)
    step, long_step = rec.map(), long_map(rec)
    with mpmath.workdps(DIGITS):
        state = [evaluate(v) for v in a0]
        for _ in range(30):
            fast, slow = step(state), long_step(state)
            assert all(same(x, y) for x, y in zip(fast, slow))
            if not all(type(v) is mpmath.mpf and mpmath.isfinite(v) for v in slow):
                break
            state = slow


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(problems())
def test_jacobians_and_their_product_are_mpmaths(problem):
    activation, W, c, a0 = problem
    rec = recurrence(activation, W, c)
    traj = rec.trajectory(a0, 40, 10)
    J_at, slope_at = rec.jacobian(), compile_numeric(rec.dphi, (Z,))
    with mpmath.workdps(DIGITS):
        M, huge = None, False
        for state in traj[:30]:
            z, J = long_jacobian(rec, state)
            assert all(same(x, y) for x, y in zip(rec.pre_activations(state), z))
            if any(abs(v) > 10 ** (HUGE - 1) for v in z if mpmath.isfinite(v)) or \
                    any(abs(s) < ZERO for s in map(slope_at, z) if isinstance(s, mpmath.mpf)):
                huge = True                 # (computed with more digits than 50: runs.checked_run, refined)
                continue
            assert same(J_at(state), J)
            M = J if M is None else J * M
        if len(traj) > 30 and not huge:
            singular = mpmath.svd_r(M, compute_uv=False)
            assert rec.gradient(traj, 30) == to_sympy(max(abs(s) for s in singular))


def test_the_long_ways_jacobian_at_a_complex_state():
    rec = recurrence("tanh", [[sympy.Rational(1, 2), 1], [0, 2]], [0, sympy.Rational(1, 3)])
    with mpmath.workdps(DIGITS):
        state = [mpmath.mpc(1, 2), mpmath.mpf("0.25")]
        assert rec._jacobian_rows(state) is None
        assert same(rec.jacobian()(state), long_jacobian(rec, state)[1])


extreme = st.one_of(st.just(mpmath.mpf(0)),
                    st.builds(lambda m, e: mpmath.mpf((m, e)), st.integers(-10**60, 10**60), st.integers(-900, 900)),
                    st.builds(lambda m, e: mpmath.mpf((m, e)), st.integers(-9, 9), st.integers(-3, 3)))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(st.lists(extreme, min_size=n, max_size=n), min_size=n, max_size=n),
    st.lists(st.lists(extreme, min_size=n, max_size=n), min_size=n, max_size=n))))
def test_products_are_mpmaths_whatever_the_exponents(pair):
    """Integers over a common exponent where mpf_sum keeps every term; mpf_sum itself where it would drop one."""
    A, B = pair
    with mpmath.workdps(DIGITS):
        prec, rnd = mpmath.mp._prec_rounding
        raw = lambda rows: tuple(tuple(v._mpf_ for v in row) for row in rows)      # noqa: E731
        fast = _matrix(_product(raw(A), raw(B), prec, rnd))
        assert same(fast, mpmath.matrix(A) * mpmath.matrix(B))


def test_products_far_beyond_the_window_take_mpf_sum():
    """A slope of e^-(10^300) (a sigmoid far out) beside ordinary numbers: mpf_sum drops it without shifting
    by its exponent; the shortcut must not build an integer that long either."""
    with mpmath.workdps(DIGITS):
        prec, rnd = mpmath.mp._prec_rounding
        far, huge = mpmath.mpf((3, -10**300)), mpmath.mpf((5, 10**300))
        for A, B in [([[far, mpmath.mpf(1)]], [[mpmath.mpf(2)], [mpmath.mpf("0.5")]]),
                     ([[huge, far], [mpmath.mpf(1), mpmath.mpf(-1)]], [[far, mpmath.mpf(3)], [huge, mpmath.mpf(0)]])]:
            raw = lambda rows: tuple(tuple(v._mpf_ for v in row) for row in rows)      # noqa: E731
            fast = _matrix(_product(raw(A), raw(B), prec, rnd))
            assert same(fast, mpmath.matrix(A) * mpmath.matrix(B))
        rec = recurrence("sigmoid", [[1, 0], [0, 1]], [0, 0])
        state = [mpmath.mpf((-1, 10**300)), mpmath.mpf("0.25")]
        assert all(same(x, y) for x, y in zip(rec.pre_activations(state), long_jacobian(rec, state)[0]))
        assert same(rec.jacobian()(state), long_jacobian(rec, state)[1])


def test_products_with_infinities_take_mpf_sum():
    with mpmath.workdps(DIGITS):
        prec, rnd = mpmath.mp._prec_rounding
        A = [[mpmath.inf, mpmath.mpf(1)], [mpmath.mpf(0), mpmath.mpf(2)]]
        B = [[mpmath.mpf(3), mpmath.nan], [mpmath.mpf(0), mpmath.mpf(-1)]]
        fast = _product(tuple(tuple(v._mpf_ for v in r) for r in A),
                                 tuple(tuple(v._mpf_ for v in r) for r in B), prec, rnd)
        slow = mpmath.matrix(A) * mpmath.matrix(B)
        assert [[str(mpmath.mp.make_mpf(v)) for v in row] for row in fast] == \
            [[str(slow[i, j]) for j in range(2)] for i in range(2)]


def test_a_matrix_of_raw_values_is_the_one_assigned_entry_by_entry():
    rows = ((mpmath.mpf("0.5")._mpf_, mpmath.mpf(0)._mpf_), (mpmath.mpf(-3)._mpf_, mpmath.nan._mpf_))
    made = _matrix(rows)
    assigned = mpmath.matrix(2, 2)
    for i in range(2):
        for j in range(2):
            assigned[i, j] = mpmath.mp.make_mpf(rows[i][j])
    assert str(made) == str(assigned) and (0, 1) not in made._matrix__data
    assert all(same(made[i, j], assigned[i, j]) for i, j in [(0, 0), (0, 1), (1, 0)])


@pytest.mark.parametrize("e", ["3*x + 2*y + 1", "x", "-x/3 + y", "7", "2*x", "x*y + x", "x**2 + y", "exp(x) + y"])
def test_the_inner_derivative_is_sympys(e):
    x, y = sympy.symbols("x y")
    expr = sympy.sympify(e)
    for p in (x, y):
        assert units._partial(expr, p) == sympy.diff(expr, p)


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 8).flatmap(lambda n: st.lists(st.lists(weights, min_size=n, max_size=n), min_size=n,
                                                      max_size=n)))
def test_the_largest_singular_value_is_the_root_of_the_largest_eigenvalue(rows):
    """For three or more units sigma_max comes from mpmath's SVD; the square root of the largest eigenvalue of
    W^T W (as it was computed) agrees to the last digits."""
    W = sympy.ImmutableMatrix(rows)
    sigma = units._sigma_max(W)
    with mpmath.workdps(DIGITS):
        A = mpmath.matrix([[evaluate(v) for v in row] for row in rows])
        root = mpmath.sqrt(max(abs(v) for v in mpmath.eig(A.T * A, right=False)))
        assert abs(evaluate(sigma) - root) <= mpmath.mpf(10) ** -45 * max(root, 1)


def test_a_term_mpf_sum_drops_decides_nothing_it_would_not():
    """x = 2^prec + 1 lies half-way between two numbers of prec bits; a term 2^-(2 prec + 50) added exactly would
    round it up, but mpf_sum (and so mpmath's product) drops that term: the shortcut must drop it too."""
    with mpmath.workdps(DIGITS):
        prec, rnd = mpmath.mp._prec_rounding
        make = mpmath.mp.make_mpf
        x, tiny, one = (0, 2**prec + 1, 0, prec + 1), (0, 1, -(2 * prec + 50), 1), mpmath.mpf(1)._mpf_
        for A in ([[x, tiny]], [[tiny, x]]):
            fast = _product(tuple(map(tuple, A)), ((one,), (one,)), prec, rnd)
            slow = mpmath.matrix([[make(v) for v in row] for row in A]) * mpmath.matrix([[1], [1]])
            assert fast[0][0] == slow[0, 0]._mpf_
