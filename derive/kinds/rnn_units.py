"""rnn-activation with several units: a<t> = phi(W_a a<t-1> + b + W_x x), phi elementwise.

The one-step Jacobian is diag(phi'(z<t>)) W_a; at the fixed point its spectral radius
decides the verdict, and Pascanu, Mikolov & Bengio's (2013) conditions on the largest
singular value of W_a bound it for every state.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Eq, Float, ImmutableMatrix, MatMul, Symbol

from ..check import is_zero
from ..fields import FieldError, to_rational
from ..numeric import compile as compile_numeric, evaluate, shown, to_sympy
from .activations import READABLE, SUPREMA, recognise
from .dynamics import DIVERGED, MAX_ITERATES, T_EVIDENCE, compare_one
from ..steps import Answer, Solution, Text, chain, let, say, step
from ..symbols import A_0, A_T, DA_DAPREV, Z

DIGITS = 50

W_A_M, B_V, C_V, A_STAR_V, RHO, SIGMA_MAX = (Symbol("W_a"), Symbol("b"), Symbol("c_vec"), Symbol("a_star"),
                                              Symbol("rho"), Symbol("sigma_max"))
NORM_T = Symbol("norm(da_T/da_0)")


@dataclass(frozen=True)
class Units:
    activation: str
    phi: sympy.Expr
    called: str | None
    W_a: ImmutableMatrix      # n x n
    c: ImmutableMatrix        # b + W_x x, n x 1
    b: ImmutableMatrix
    a0: ImmutableMatrix

    @property
    def n(self) -> int:
        return self.W_a.rows


def _matrix(value, field: str) -> ImmutableMatrix:
    if not (isinstance(value, list) and value and all(isinstance(r, list) and r for r in value)):
        raise FieldError(field, "must be a matrix, a list of rows", value, "e.g. [[0.5, 1], [0, 2]]")
    if len({len(r) for r in value}) != 1:
        raise FieldError(field, "rows of different lengths", value, "rows of equal length")
    return ImmutableMatrix([[to_rational(v, field) for v in r] for r in value])


def _vector(value, field: str, n: int) -> ImmutableMatrix:
    if isinstance(value, list):
        if len(value) != n:
            raise FieldError(field, f"must have one entry per unit ({n})", value, f"a list of {n} numbers")
        return ImmutableMatrix([to_rational(v, field) for v in value])
    return ImmutableMatrix([to_rational(value, field)] * n)


def configure(values: dict, phi, text: str, called: str | None) -> Units:
    """Validate a several-unit part: W_a square, vectors of the right length."""
    W_a = _matrix(values["W_a"], "W_a")
    n = W_a.rows
    if W_a.cols != n:
        raise FieldError("W_a", f"must be square (it is {W_a.rows} x {W_a.cols})", values["W_a"], "an n x n matrix")
    b = _vector(values.get("b", 0), "b", n)
    a0 = _vector(values.get("a0", 0), "a0", n)
    x = values.get("x", 0)
    if isinstance(x, list):
        xs = ImmutableMatrix([to_rational(v, "x") for v in x])
        if "W_x" not in values:
            raise FieldError("W_x", "missing: the input x is given, so its weights matter", expected="a matrix")
        W_x = _matrix(values["W_x"], "W_x")
        if W_x.shape != (n, xs.rows):
            raise FieldError("W_x", f"must be {n} x {xs.rows} (units x inputs)", values["W_x"])
        c = b + W_x * xs
    else:
        xv = to_rational(x, "x")
        if xv == 0:
            c = b
        elif "W_x" not in values:
            raise FieldError("W_x", "missing: the input x is not 0, so its weights matter", expected="a list")
        else:
            c = b + _vector(values["W_x"], "W_x", n) * xv
    return Units(activation=text, phi=phi, called=called, W_a=W_a, c=ImmutableMatrix(c), b=b, a0=a0)


def _zs(n: int) -> list[Symbol]:
    return [Symbol(f"z{k}", real=True) for k in range(1, n + 1)]


def _prevs(n: int) -> list[Symbol]:
    return [Symbol(f"a_prev{k}", real=True) for k in range(1, n + 1)]


def setting(u: Units) -> Text:
    """The units, weights and activation with the spec's values."""
    return say(f"{u.n} recurrent units, ", Eq(A_T, sympy.Function("phi")(W_A_M * Symbol("a_prev") + C_V),
                                                evaluate=False),
               " with the activation applied to each unit, ", Eq(sympy.Function("phi")(Z), u.phi, evaluate=False),
               ", ", Eq(W_A_M, u.W_a, evaluate=False), " and ", Eq(C_V, u.c, evaluate=False),
               " (the bias plus the input's contribution, ", Eq(C_V, B_V + Symbol("W_x x"), evaluate=False), ").")


def solve(u: Units, ask: str, slope) -> Solution:
    """Derive one question; ``slope(phi)`` gives phi' (shared with the one-unit case)."""
    dphi, _ = slope(u.phi)
    return {"derivative": _derivative, "stability": _stability}[ask](u, dphi)


def jacobian_at(u: Units, dphi, zs) -> ImmutableMatrix:
    """diag(phi'(z)) W_a at the given pre-activations."""
    return ImmutableMatrix(u.n, u.n, lambda i, j: dphi.subs(Z, zs[i]) * u.W_a[i, j])


def _W(u: Units) -> sympy.MatrixSymbol:
    return sympy.MatrixSymbol("W_a", u.n, u.n)


def _D(u: Units, at: str = "z") -> sympy.MatrixSymbol:
    """diag(phi'(z)) as one matrix symbol, so that products keep their order."""
    return sympy.MatrixSymbol(f"diag(phi'({at}))", u.n, u.n)


def _meanings(u: Units, dphi) -> dict:
    prevs = _prevs(u.n)
    z_of_prev = u.W_a * ImmutableMatrix(prevs) + u.c
    a = ImmutableMatrix([u.phi.subs(Z, e) for e in z_of_prev])
    true_jacobian = a.jacobian(prevs).replace(sympy.Heaviside, lambda arg, *r: sympy.Heaviside(arg, 0))
    meanings = {zk: e for zk, e in zip(_zs(u.n), z_of_prev)}
    meanings.update({DA_DAPREV: ImmutableMatrix(true_jacobian), _W(u): u.W_a,
                     _D(u): ImmutableMatrix(sympy.diag(*[dphi.subs(Z, zk) for zk in _zs(u.n)]))})
    return meanings


def _derivative(u: Units, dphi) -> Solution:
    zs = _zs(u.n)
    J = jacobian_at(u, dphi, zs)
    diag = ImmutableMatrix(sympy.diag(*[dphi.subs(Z, zk) for zk in zs]))
    steps = [
        step(say("Unit i's activation depends on the previous state only through its own pre-activation ",
                 Symbol("z_i"), ", and ", let(Symbol("dz_i/da_j"), Symbol("W_ij")),
                 ". By the chain rule, entry (i, j) of the Jacobian is ",
                 let(Symbol("da_i/da_j"), Symbol("phi'(z_i) W_ij")), "; as matrices:"),
             chain(DA_DAPREV, MatMul(_D(u), _W(u), evaluate=False))),
        step(say("With the given weights:"), chain(DA_DAPREV, MatMul(diag, u.W_a, evaluate=False), J)),
    ]
    value = [[str(e) for e in J.row(i)] for i in range(u.n)]
    question = say("Find the Jacobian ", DA_DAPREV, f" (a {u.n} × {u.n} matrix), in terms of the"
                   " pre-activations ", *_list(zs), ".")
    return Solution(question=question, steps=tuple(steps), meanings=_meanings(u, dphi),
                    answer=Answer(value=value, chain=chain(DA_DAPREV, J)))


def _list(items) -> list:
    out = []
    for k, item in enumerate(items):
        out += ([", "] if k else []) + [item]
    return out


def _trajectory(u: Units) -> list[list]:
    """The states a<0>, a<1>, ... (mpmath vectors), until stationary, diverged or MAX_ITERATES."""
    prevs = _prevs(u.n)
    exprs = [u.phi.subs(Z, e) for e in u.W_a * ImmutableMatrix(prevs) + u.c]
    maps = [compile_numeric(e, tuple(prevs)) for e in exprs]
    out = [[evaluate(v) for v in u.a0]]
    with mpmath.workdps(DIGITS):
        for k in range(MAX_ITERATES):
            nxt = [m(*out[-1]) for m in maps]
            if not all(mpmath.isfinite(v) for v in nxt):
                break
            out.append(nxt)
            if max(abs(v) for v in nxt) > DIVERGED or (k > T_EVIDENCE and nxt == out[-2]):
                break
    return out


def _numeric_jacobian(u: Units, dphi):
    """state -> diag(phi'(W a + c)) W_a as an mpmath matrix."""
    prevs = _prevs(u.n)
    zexprs = u.W_a * ImmutableMatrix(prevs) + u.c
    slopes = [compile_numeric(dphi.subs(Z, e), tuple(prevs)) for e in zexprs]
    W = mpmath.matrix([[evaluate(v) for v in u.W_a.row(i)] for i in range(u.n)])

    def at(state):
        with mpmath.workdps(DIGITS):
            return mpmath.diag([s(*state) for s in slopes]) * W
    return at


def _spectral_radius(M) -> sympy.Expr:
    """max |eigenvalue|: exactly for exact matrices, else to 50 digits."""
    if M.rows <= 2 and all(e.is_Rational for e in M):
        return max((sympy.sqrt(sympy.expand(v * sympy.conjugate(v))) for v in M.eigenvals()),
                   key=lambda v: float(sympy.N(v)))
    with mpmath.workdps(DIGITS):
        E, _ = mpmath.eig(mpmath.matrix([[evaluate(e) for e in M.row(i)] for i in range(M.rows)]))
        return to_sympy(max(abs(v) for v in E))


def _sigma_max(M: ImmutableMatrix) -> sympy.Expr:
    """The largest singular value: the square root of the largest eigenvalue of M^T M."""
    return sympy.sqrt(_spectral_radius(ImmutableMatrix(M.T * M)))


def _stability(u: Units, dphi) -> Solution:
    traj = _trajectory(u)
    J_at = _numeric_jacobian(u, dphi)
    meanings = {A_0: u.a0}
    steps, notes = [], []
    exact_star = _exact_fixed_point(u)
    stationary = exact_star is not None and exact_star == u.a0
    settled = _settle(u, traj, J_at) if exact_star is None else None
    if stationary:
        first = ImmutableMatrix([u.phi.subs(Z, e) for e in u.W_a * u.a0 + u.c])
        steps.append(step(say("One step from ", Eq(A_0, u.a0, evaluate=False), ":"),
                          chain(Symbol("a_1"), first, u.a0)))
        meanings[Symbol("a_1")] = first
    else:
        steps.append(step(say("Iterate from ", Eq(A_0, u.a0, evaluate=False), ":"),
                          *[chain(Symbol(f"a_{k}"), "approx", ImmutableMatrix([Float(to_sympy(v), 6) for v in traj[k]]))
                            for k in range(1, min(4, len(traj)))]))
        for k in range(1, min(4, len(traj))):
            meanings[Symbol(f"a_{k}")] = ImmutableMatrix([to_sympy(v) for v in traj[k]])
    star = None
    if exact_star is not None or settled is not None:
        star = exact_star if exact_star is not None else settled
        z_star = u.W_a * star + u.c
        J_star = ImmutableMatrix(jacobian_at(u, dphi, list(z_star)))
        if exact_star is None:
            J_star = ImmutableMatrix(J_star.applyfunc(lambda e: to_sympy(evaluate(e))))
        rho = _spectral_radius(J_star)
        meanings.update({A_STAR_V: star, RHO: rho, DA_DAPREV: J_star})
        how = (say("The state never moves: ", A_0, " is already a fixed point.") if stationary else
               say("The iterates settle at the fixed point ", A_STAR_V, ".") if exact_star is not None else
               say("The iterates settle (to 40 digits) at the fixed point ", A_STAR_V, "."))
        shown_star = star if exact_star is not None else ImmutableMatrix([Float(v, 8) for v in star])
        steps.append(step(how, chain(A_STAR_V, *(["=", star] if exact_star is not None else ["approx", shown_star]))))
        shown_J = J_star if exact_star is not None else ImmutableMatrix(J_star.applyfunc(lambda e: Float(e, 6)))
        rel = compare_one(rho)
        rho_shown = ["=", rho] if exact_star is not None else ["approx", shown(rho)]
        steps.append(step(say("There the Jacobian ", let(DA_DAPREV, MatMul(_D(u, "z*"), _W(u), evaluate=False)),
                              " multiplies the gradient at each step back in time; its spectral radius (largest"
                              " eigenvalue in absolute value) ", RHO, " is how fast repeated products grow or shrink:"),
                          chain(DA_DAPREV, *(["=", shown_J] if exact_star is not None else ["approx", shown_J])),
                          chain(RHO, *rho_shown, *([] if rho == 1 else [rel, 1]))))
        factor = rho
    else:
        factor = _lyapunov(traj, J_at)
        meanings[RHO] = factor
        rel = compare_one(factor)
        steps.append(step(say(f"The iterates do not settle (after {len(traj) - 1} steps), so the growth rate per"
                              " step of the product of Jacobians along the trajectory stands in for the spectral"
                              " radius:"), chain(RHO, "approx", shown(factor), rel, 1)))
    name = recognise(u.phi)
    sigma = _sigma_max(u.W_a)
    meanings[SIGMA_MAX] = sigma
    sup = SUPREMA.get(name, (None,))[0]
    sup = None if sup is sympy.oo else sup
    if sup is not None:
        bound = sigma * sup
        meanings[Symbol("gamma_sup")] = sup
        steps.append(step(say("Pascanu, Mikolov & Bengio (2013): with ", let(Symbol("gamma_sup"), sup),
                              " the largest slope of ", READABLE[name], ", the gradient must vanish when the largest"
                              " singular value ", SIGMA_MAX, " of ", W_A_M, " is below ", 1 / Symbol("gamma_sup"),
                              " (sufficient), and can only explode when it is above (necessary):"),
                          chain(SIGMA_MAX * sup, *(["=", bound] if bound.is_Rational else
                                                   ["approx", Float(to_sympy(evaluate(bound)), 6)]),
                                compare_one(bound if bound.is_Rational else to_sympy(evaluate(bound))), 1)))
        if bound < 1:
            notes.append(say("Since ", sympy.StrictLessThan(SIGMA_MAX * Symbol("gamma_sup"), 1, evaluate=False),
                             ", the gradient vanishes whatever the state or the input."))
    evidence = _evidence(traj, J_at)
    if evidence is not None:
        meanings[NORM_T] = evidence
        steps.append(step(say(f"As evidence, the size (largest singular value) of the product of the {T_EVIDENCE}"
                              " Jacobians along the actual trajectory:"),
                          chain(NORM_T, "approx", Float(evidence, 4))))
    verdict = {"<": "vanishing", ">": "exploding", "=": "neither"}[rel]
    text = {"vanishing": "Vanishing gradients: the spectral radius is below 1, so products of the Jacobian shrink"
                         " geometrically with the sequence length.",
            "exploding": "Exploding gradients: the spectral radius is above 1, so products of the Jacobian grow"
                         " geometrically with the sequence length.",
            "neither": "Neither: the spectral radius is exactly 1, so products of the Jacobian keep their size."}[verdict]
    value = {"verdict": verdict, "fixed_point": [float(v) for v in star] if star is not None else None,
             "factor": float(factor), "sigma_max": float(sigma),
             "gradient_T": float(evidence) if evidence is not None else None, "T": T_EVIDENCE}
    question = say("Starting from ", Eq(A_0, u.a0, evaluate=False), ", for long sequences (T → ∞), will this network"
                   " tend to suffer from vanishing gradients, exploding gradients, or neither?")
    answer_chain = chain(RHO, *(["=", factor] if factor.is_Rational or not factor.has(Float) else
                                ["approx", shown(factor)]), *([] if factor == 1 else [rel, 1]))
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes), meanings=meanings,
                    answer=Answer(value=value, chain=answer_chain, text=say(text)))


def _settle(u: Units, traj: list, J_at) -> ImmutableMatrix | None:
    """The fixed point the trajectory approaches, refined by Newton's method on phi(W a + c) - a."""
    if len(traj) < 3 or max(abs(v) for v in traj[-1]) > 1e6:
        return None
    prevs = _prevs(u.n)
    maps = [compile_numeric(u.phi.subs(Z, e), tuple(prevs)) for e in u.W_a * ImmutableMatrix(prevs) + u.c]
    with mpmath.workdps(DIGITS):
        a = mpmath.matrix(traj[-1])
        eye = mpmath.eye(u.n)
        for _ in range(60):
            F = mpmath.matrix([m(*a) for m in maps]) - a
            try:
                delta = mpmath.lu_solve(J_at(list(a)) - eye, F)
            except ZeroDivisionError:
                return None
            a = a - delta
            if mpmath.mnorm(delta, 1) < mpmath.mpf("1e-45"):
                break
        residual = mpmath.mnorm(mpmath.matrix([m(*a) for m in maps]) - a, 1)
        last, half = mpmath.matrix(traj[-1]), mpmath.matrix(traj[len(traj) // 2])
        if residual > mpmath.mpf("1e-30") or not (mpmath.mnorm(last - a, 1) < mpmath.mpf("1e-6")
                                                   or mpmath.mnorm(last - a, 1) < mpmath.mnorm(half - a, 1)):
            return None
        return ImmutableMatrix([to_sympy(v) for v in a])


def _exact_fixed_point(u: Units) -> ImmutableMatrix | None:
    """a0 or the first few exact iterates when one of them is exactly fixed."""
    state = u.a0
    for _ in range(3):
        nxt = ImmutableMatrix([u.phi.subs(Z, e) for e in u.W_a * state + u.c])
        if all(is_zero(p - q) for p, q in zip(nxt, state)):
            return state
        if not all(e.is_Rational for e in nxt):
            return None
        state = nxt
    return None


def _lyapunov(traj: list, J_at) -> sympy.Float:
    """Growth rate per step of the product of Jacobians over the second half of the trajectory."""
    with mpmath.workdps(DIGITS):
        states = traj[len(traj) // 2:-1] or traj[:1]
        log_growth, M = mpmath.mpf(0), None
        for state in states:
            J = J_at(state)
            M = J if M is None else J * M
            size = mpmath.mnorm(M, "f")
            if size == 0:
                return sympy.Integer(0)
            log_growth += mpmath.log(size)
            M = M / size
        return to_sympy(mpmath.exp(log_growth / len(states)))


def _evidence(traj: list, J_at):
    """The largest singular value of da<T>/da<0> = J<T> ... J<1>; None if the trajectory is shorter."""
    if len(traj) <= T_EVIDENCE:
        return None
    with mpmath.workdps(DIGITS):
        M = None
        for state in traj[:T_EVIDENCE]:
            J = J_at(state)
            M = J if M is None else J * M
        singular = mpmath.svd_r(M, compute_uv=False)
        return to_sympy(max(abs(s) for s in singular))


__all__ = ["Units", "configure", "setting", "solve"]
