"""Every digit a stability key shows of a value derived from a trajectory is right: states far along it, the
per-step factor, the evidence, several units' growth rate, a gated cell's, against mpmath at a precision that
leaves no doubt (raised until the shown digits agree at two precisions). A 50-digit trajectory gets them wrong
once a state passes ~10^43 (e^(a/2) needs a's digits beyond the 50th) or once rounding is amplified step after
step (4z(1 - z), a chaotic GRU); and the checker, which computes these values again itself, catches a key that
shows the 50-digit digits."""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import derive
from derive.errors import CheckError, SpecError
from derive.kinds.rnn import recurrence
from derive.steps import Chain

# --- reading a key ------------------------------------------------------------------------------


def solve(spec: str):
    """The only question of a one-question spec, derived and checked."""
    return next(derive.solve(derive.loads('title = "t"\n' + spec)).questions())


def shown(question) -> dict:
    """What the question shows after ≈, by the name of the chain's first side: {"a_9": Float, "factor": Float,
    "Abs(da_T/da_0)": Float, "rho": Float, "a_1": Matrix, ...} (the value after the chain's last ≈)."""
    texts = [question.text] + [s.text for s in question.steps] + [question.answer.text]
    chains = [p for t in texts for p in t.pieces if isinstance(p, Chain)]
    chains += [c for s in question.steps for c in s.chains] + [question.answer.chain] * bool(question.answer.chain)
    out = {}
    for ch in chains:
        if "approx" in ch.rels:
            k = len(ch.rels) - 1 - ch.rels[::-1].index("approx")
            out.setdefault(str(ch.exprs[0]), ch.exprs[k + 1])
    return out


def steps_taken(question) -> int:
    """N in "after N steps" of a trajectory that does not settle."""
    words = " ".join(p for s in question.steps for p in s.text.pieces if isinstance(p, str))
    return int(re.search(r"after (\d+) steps", words).group(1))


def parts(text: str) -> tuple[int, int]:
    """A number as printed ('5.01376e+552...', '0.350391', '-2.5e-7') as (integer of its significant digits,
    decimal exponent of its last one)."""
    mantissa, _, exponent = text.lower().partition("e")
    sign = -1 if mantissa.startswith("-") else 1
    whole, _, frac = mantissa.lstrip("+-").partition(".")
    return sign * int(whole + frac), int(exponent or 0) - len(frac)


def same_digits(value, reference) -> bool:
    """A shown number is the reference (an mpmath number computed with many more digits) as the key writes it:
    a Float of the shown precision printed (its binary rounding first, then the decimal one: 48.50515264 is
    written 48.5051, as for every number the keys show; this checks the digits of the value, not that
    rounding), or an integer (a factor of 1 to every digit shown) the reference to as many digits."""
    if reference == 0 or value == 0:
        return reference == value
    if isinstance(value, sympy.Float):
        return str(sympy.Float._new(mpmath.libmp.mpf_pos(reference._mpf_, value._prec, "n"), value._prec)) == str(value)
    digits, exponent = parts(str(value))
    want = parts(mpmath.nstr(reference, len(str(abs(digits))), min_fixed=1, max_fixed=0, strip_zeros=False))
    return _normal(digits, exponent) == _normal(*want)


def _normal(digits: int, exponent: int) -> tuple[int, int]:
    while digits and digits % 10 == 0:
        digits, exponent = digits // 10, exponent + 1
    return digits, exponent


# --- references ---------------------------------------------------------------------------------

PHI = {
    "exp": (mpmath.exp, mpmath.exp),
    "softplus": (lambda z: mpmath.log1p(mpmath.exp(z)), lambda z: 1 / (1 + mpmath.exp(-z))),
    "tanh": (mpmath.tanh, lambda z: mpmath.sech(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + mpmath.exp(-z)), lambda z: mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2),
    "4z(1-z)": (lambda z: 4 * z * (1 - z), lambda z: 4 - 8 * z),
    "relu": (lambda z: max(z, 0), lambda z: mpmath.mpf(1 if z > 0 else 0)),
}


def number(text) -> mpmath.mpf:
    q = sympy.Rational(str(text))
    return mpmath.mpf(q.p) / q.q


def one_unit(activation: str, W, c, a0, steps: int) -> tuple[list, list]:
    """(a<0> ... a<steps>, the factors |W phi'(W a<t> + c)| at each of them) at the context's precision."""
    phi, dphi = PHI[activation]
    W, c, a = number(W), number(c), number(a0)
    states, factors = [a], []
    for t in range(steps + 1):
        z = W * a + c
        beyond = z != 0 and mpmath.mag(z) > 4100        # e^z past 2^4096: an overflow (derive: beyond reach)
        factors.append(mpmath.inf if beyond else abs(W * dphi(z)))
        if t < steps:
            a = mpmath.inf if beyond else phi(z)
            states.append(a)
    return states, factors


def geometric_mean(values: list):
    if any(v == 0 for v in values):
        return mpmath.mpf(0)
    return mpmath.exp(mpmath.fsum(mpmath.log(v) for v in values) / len(values))


def later_half(length: int) -> slice:
    lo, hi = length // 2, length - 1
    return slice(lo, hi) if lo < hi else slice(0, 1)


def settled(compute, check) -> bool:
    """check(reference values) at rising precision: true once it holds at two precisions in a row (the
    reference's digits then stand: a reference too coarse for them, e^(3e299) at 200 digits, holds at
    neither), false when it never does."""
    last = False
    for digits in (100, 200, 400, 800, 1600, 3200):
        with mpmath.workdps(digits):
            now = bool(check(compute()))
        if now and last:
            return True
        last = now
    return False


# --- the case of the golden key, and others -------------------------------------------------------------

def test_e_to_the_half_state_shows_its_own_digits():
    """a<t> = e^(a<t-1>/2) from 0: after 9 steps a<9> = 5.01376e(55287383075222433085110000487212649784036432022874)
    and gamma = 6.70213e(13821845768805608271277500121803162446009108005731) (the key showed 1.57528e(...780)
    and 1.53726e(...708): a<8> ~ 2.5e50 taken at 50 digits)."""
    q = solve('[[problem]]\nkind = "rnn-activation"\nW_a = 0.5\na0 = 0\n[[problem.part]]\nactivation = "exp"\n'
              'ask = "stability"\n')
    values, n = shown(q), steps_taken(q)
    assert n == 9
    assert str(values["a_9"]) == "5.01376e+55287383075222433085110000487212649784036432022874"
    assert str(values["factor"]) == "6.70213e+13821845768805608271277500121803162446009108005731"
    with mpmath.workdps(300):                  # log10 a<9> = a<8> / (2 ln 10), from a<8> to 300 digits
        states, factors = one_unit("exp", "0.5", 0, 0, 8)
        log10 = states[8] / 2 / mpmath.ln(10)
        assert mpmath.nstr(10 ** (log10 - mpmath.floor(log10)), 6) == "5.01376"
        assert int(mpmath.floor(log10)) == 55287383075222433085110000487212649784036432022874
        # gamma: the geometric mean of the factors 0.5 e^(a<t>/2) at a<5> ... a<8> (the later half but the last
        # state), its logarithm ln(1/2) + (a<5> + ... + a<8>) / 8
        log10 = (mpmath.log(0.5) + mpmath.fsum(states[5:9]) / 8) / mpmath.ln(10)
        assert mpmath.nstr(10 ** (log10 - mpmath.floor(log10)), 6) == "6.70213"
        assert int(mpmath.floor(log10)) == 13821845768805608271277500121803162446009108005731
    assert settled(lambda: one_unit("exp", "0.5", 0, 0, 9), lambda r: same_digits(values["a_9"], r[0][9]))
    assert settled(lambda: one_unit("exp", "0.5", 0, 0, 9),
                   lambda r: same_digits(values["factor"], geometric_mean(r[1][later_half(10)])))


@pytest.mark.parametrize("activation, W, b, a0", [
    ("4z(1-z)", "1", "0", "0.3"),          # chaotic: 400 steps amplify rounding by ~10^120
    ("exp", "0.5", "0", "200"),            # a<2> = e^(e^100 / 2), ~10^(5.8e42): a<1> needed to 95 digits
    ("exp", "0.3", "0", "1e300"),          # W a<0> rounded to 50 digits would make e^(W a<0>) garbage
    ("exp", "1", "-1", "0"),
    ("tanh", "1", "0", "1"),               # drifting towards 0: the factors tend to 1
    ("tanh", "1.7", "-1.7", "50"),         # a<1> = 1 - 10^-72, then W a<1> + b cancels to -1.9e-72
    ("softplus", "1", "0", "-1000"),       # ln(1 + e^-1000) = 5.07596e-435, not 0: a difference cancels
    ("softplus", "-0.6", "0", "-1000"),    # a<2> = ln(1 + e^-360): the checker's own side cancels too
    ("tanh", "2.2", "0", "-1000"),         # the factor at a<0>, 1 - tanh²(2200) ~ 10^-1911, in the evidence
    ("tanh", "2.2", "0", "-3500"),         # 1 - tanh²(7700) ~ 10^-6688: its digits do not settle by 7680
    ("tanh", "2.2", "0", "-5000"),         # 1 - tanh²(11000) ~ 10^-9554: 0 at every precision tried (was 0.0)
])
def test_one_unit_values_along_the_trajectory(activation, W, b, a0):
    check_one_unit(activation, W, b, a0)


def check_one_unit(activation, W, b, a0):
    """Every state shown, the factor of a trajectory that does not settle and the evidence at T = 100 are
    mpmath's, to their last digit."""
    q = solve(f'[[problem]]\nkind = "rnn-activation"\nW_a = {W}\nb = {b}\na0 = {a0}\n[[problem.part]]\n'
              f'activation = "{activation}"\nask = "stability"\n')
    values = shown(q)
    states = sorted(int(k[2:]) for k in values if re.fullmatch(r"a_\d+", k))
    n = max(states, default=0)
    assert settled(lambda: one_unit(activation, W, b, a0, n),
                   lambda r: all(same_digits(values[f"a_{k}"], r[0][k]) for k in states))
    words = " ".join(p for s in q.steps for p in s.text.pieces if isinstance(p, str))
    if "do not settle at a fixed point or a short cycle" in words and "factor" in values:
        length = n + 1 if "overflows" not in words else n + 2      # (the state that overflows is not shown)
        assert settled(lambda: one_unit(activation, W, b, a0, length - 2),
                       lambda r: same_digits(values["factor"], geometric_mean(r[1][later_half(length)])))
    if "Abs(da_T/da_0)" in values:
        assert settled(lambda: one_unit(activation, W, b, a0, 99),
                       lambda r: same_digits(values["Abs(da_T/da_0)"], mpmath.fprod(r[1][:100])))


def test_a_slope_beyond_every_precision_is_found_in_exponentials():
    """1 − tanh²(z) at z = −11000 (W_a = 2.2, a<0> = −5000) is about 10^-9554: 0 at every precision up to
    SLOPE_DIGITS, so the evidence |da<T>/da<0>| came out 0.0. Written in one t = e^z it is 4t²/(t² + 1)², which
    does not cancel: the evidence is 5.226·10^-9646 (the reference multiplies sech², which has no difference)."""
    q = solve('[[problem]]\nkind = "rnn-activation"\nW_a = 2.2\na0 = -5000\n[[problem.part]]\nactivation = "tanh"\n'
              'ask = "stability"\n')
    with mpmath.workdps(60):
        a, prod = mpmath.mpf(-5000), mpmath.mpf(1)
        for _ in range(100):
            prod *= mpmath.mpf("2.2") * mpmath.sech(mpmath.mpf("2.2") * a) ** 2
            a = mpmath.tanh(mpmath.mpf("2.2") * a)
        assert mpmath.nstr(prod, 4) == "5.226e-9646"
        assert same_digits(shown(q)["Abs(da_T/da_0)"], prod)


# --- several units -------------------------------------------------------------------------------

def units(activation: str, W: list, a0: list, steps: int) -> tuple[list, list]:
    """(the states, the Jacobians diag(phi'(W a + c)) W at all but the last) for c = 0."""
    phi, dphi = PHI[activation]
    Wm = mpmath.matrix([[number(w) for w in row] for row in W])
    a, states, jacobians = mpmath.matrix([number(v) for v in a0]), [], []
    for _ in range(steps):
        states.append(a)
        z = Wm * a
        jacobians.append(mpmath.diag([dphi(v) for v in z]) * Wm)
        a = mpmath.matrix([phi(v) for v in z])
    return states + [a], jacobians


def growth(jacobians: list):
    """verdict.growth's rate: the geometric mean of the running products' sizes over their later half."""
    sizes, M = [], None
    for J in jacobians:
        M = J if M is None else J * M
        sizes.append(mpmath.mnorm(M, "f"))
        M = M / sizes[-1]
    half = (len(sizes) + 1) // 2 if len(sizes) > 1 else 0
    return geometric_mean(sizes[half:])


@pytest.mark.parametrize("activation, W, a0", [
    ("exp", [[0.5, 0], [0, 0.25]], [0, 0]),               # a<9>'s first unit ~ 10^(5.5e49)
    ("exp", [[0.25, 0.25], [0.25, 0.25]], [0, 0]),
    ("4z(1-z)", [[1, 0], [0, 1]], [0.3, 0.2]),            # two logistic maps: 400 chaotic steps
])
def test_several_units_growth_rate(activation, W, a0):
    q = solve(f'[[problem]]\nkind = "rnn-activation"\nactivation = "{activation}"\n[[problem.part]]\n'
              f'W_a = {W}\na0 = {a0}\nask = "stability"\n')
    values, n = shown(q), steps_taken(q)
    assert settled(lambda: units(activation, W, a0, n),
                   lambda r: same_digits(values["rho"], growth(r[1][later_half(n + 1)])))


# --- a gated cell ---------------------------------------------------------------------------------

GRU = {"U_r": -14, "b_r": 15, "U_z": -14, "b_z": -8.5, "U_n": -14, "b_n": -9.5}


def gru_step(h):
    """PyTorch's GRU cell with x = 0 (b_n inside tanh, outside the reset gate)."""
    p = {k: number(v) for k, v in GRU.items()}
    r, z = (1 / (1 + mpmath.exp(-(p[f"U_{g}"] * h + p[f"b_{g}"]))) for g in "rz")
    return (1 - z) * mpmath.tanh(p["b_n"] + r * p["U_n"] * h) + z * h


@pytest.mark.slow
def test_a_chaotic_gru_cell_growth_rate():
    """A one-unit GRU whose step is chaotic (about 0.6 nats a step): its growth rate over the later half of 400
    steps is 1.83049, not 1.66696 (the 50-digit trajectory's, its digits gone after ~190 steps)."""
    spec = "".join(f"{k} = {v}\n" for k, v in GRU.items())
    q = solve(f'[[problem]]\nkind = "rnn-activation"\ncell = "gru"\n{spec}a0 = 0.3\n[[problem.part]]\n'
              'ask = "stability"\n')
    values, n = shown(q), steps_taken(q)

    def rate():
        states = [number("0.3")]
        for _ in range(n):
            states.append(gru_step(states[-1]))
        return growth([mpmath.matrix([[mpmath.diff(gru_step, s)]]) for s in states[later_half(n + 1)]])
    assert settled(rate, lambda r: same_digits(values["rho"], r))
    assert str(values["rho"]) == "1.83049"


SATURATED = {"W_z": 30, "U_z": -1000, "W_r": 0.5, "U_r": 0.5, "b_r": 30, "W_n": -1000, "U_n": -1000}


@pytest.mark.parametrize("units", [False, True])
def test_a_saturated_gru_evidence(units):
    """Saturated gates (1 - tanh^2 and 1 - sigma far below 10^-50, a difference at 50 digits): |dh<T>/dh<0>| is
    2.247e-425 (mpmath at 3000 digits), not 5.234e-744 (the 50-digit Jacobians); two such units alike."""
    spec = "".join(f"{k} = {[v, v] if units and k[0] != 'U' else [[v, 0], [0, v]] if units else v}\n"
                   for k, v in SATURATED.items())
    q = solve(f'[[problem]]\nkind = "rnn-activation"\ncell = "gru"\n{spec}x = -1\na0 = {[0.9, 0.9] if units else 0.9}\n'
              '[[problem.part]]\nask = "stability"\n')
    evidence = next(v for k, v in shown(q).items() if "da_T" in k or "dh_T" in k or "h_T" in k)
    p = {k: number(v) for k, v in SATURATED.items()}

    def step(h):
        r = 1 / (1 + mpmath.exp(-(p["W_r"] * -1 + p["U_r"] * h + p["b_r"])))
        z = 1 / (1 + mpmath.exp(-(p["W_z"] * -1 + p["U_z"] * h)))
        return (1 - z) * mpmath.tanh(p["W_n"] * -1 + r * p["U_n"] * h) + z * h

    def product():
        h, out = number("0.9"), mpmath.mpf(1)
        for _ in range(100):
            out *= abs(mpmath.diff(step, h))
            h = step(h)
        return out
    assert settled(product, lambda r: same_digits(evidence, r))
    assert str(evidence) == "2.247e-425"


# --- a graph ------------------------------------------------------------------------------------------

def test_a_graph_exponential_of_a_large_computed_value():
    """v = exp(exp(x) - 100) at x = 5.3 (exp(x) ~ 200.3): the value and its gradient to every digit JSON gives."""
    data = {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": {"x": 5.3},
                                        "forward": ["u = exp(x)", "v = exp(u - 100)"],
                                        "part": [{"ask": ["forward", "gradient"]}]}]}
    answers = {q.ask: q.answer.value for q in derive.solve(derive.from_mapping(data)).questions()}
    with mpmath.workdps(200):
        u = mpmath.exp(number("5.3"))
        v = mpmath.exp(u - 100)
        assert float(answers["forward"]["v"]) == float(v)
        assert float(answers["gradient"]["x"]) == float(v * u)


# --- the checker ---------------------------------------------------------------------------------

def test_the_checker_fails_a_key_that_shows_a_50_digit_trajectory(monkeypatch):
    """With the trajectory taken at 50 digits as it comes (no run with more digits), the key would show
    a<9> = 1.57528e(...780): the checker computes a<9> again itself, and fails it."""
    monkeypatch.setattr(recurrence, "checked_run", lambda states, *_: (states, None))
    with pytest.raises(CheckError, match="a_9"):
        solve('[[problem]]\nkind = "rnn-activation"\nW_a = 0.5\na0 = 0\n[[problem.part]]\nactivation = "exp"\n'
              'ask = "stability"\n')


def test_the_checker_fails_a_chaotic_gru_taken_at_50_digits(monkeypatch):
    from derive.kinds.rnn import cell_stability
    monkeypatch.setattr(cell_stability, "checked_run", lambda states, *_: (states, None))
    spec = "".join(f"{k} = {v}\n" for k, v in GRU.items())
    with pytest.raises(CheckError, match="rho"):
        solve(f'[[problem]]\nkind = "rnn-activation"\ncell = "gru"\n{spec}a0 = 0.3\n[[problem.part]]\n'
              'ask = "stability"\n')


def test_the_checker_fails_a_chaotic_trajectory_taken_at_50_digits(monkeypatch):
    monkeypatch.setattr(recurrence, "checked_run", lambda states, *_: (states, None))
    with pytest.raises(CheckError, match="a_400"):
        solve('[[problem]]\nkind = "rnn-activation"\nW_a = 1\na0 = 0.3\n[[problem.part]]\nactivation = "4z(1-z)"\n'
              'ask = "stability"\n')


# --- drawn recurrences ----------------------------------------------------------------------------

tenths = st.integers(-30, 30).map(lambda k: k / 10)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(["exp", "softplus", "tanh", "sigmoid", "4z(1-z)"]), W_a=tenths, b=tenths,
       a0=st.sampled_from([0, 0.5, -1, 3, 10, 50, 120, -200, -1000]))
def test_drawn_recurrences_show_their_own_digits(activation, W_a, b, a0):
    """Every state shown (the first few and the last), the per-step factor of a trajectory that does not settle
    and the evidence at T = 100, against mpmath at a precision raised until the shown digits stand."""
    try:
        check_one_unit(activation, W_a, b, a0)
    except SpecError:
        assume(False)                          # refused cleanly (a value beyond reach), naming the field


# --- a pre-activation that cancels to 0 exactly -----------------------------------------------------

CANCELLING = {
    "one unit": ("W_a = 0.3\nb = -0.03\na0 = 0.1", [[0.3]], [-0.03], [0.1]),
    "three units": ("W_a = [[0.5, 0.05, -0.04], [0.05, 0.5, 0.05], [-0.04, 0.05, 0.5]]\na0 = [0.0, 0.2, 0.25]",
                    [[0.5, 0.05, -0.04], [0.05, 0.5, 0.05], [-0.04, 0.05, 0.5]], [0, 0, 0], [0.0, 0.2, 0.25]),
}


@pytest.mark.parametrize("case", list(CANCELLING))
def test_a_first_pre_activation_that_cancels_to_zero_is_zero(case):
    """W a<0> + c is exactly 0 (0.3 * 0.1 - 0.03; 0.05 * 0.2 - 0.04 * 0.25) but not in binary (about 10^-53 at 50
    digits, 10^-70 at 70): a<1> was refused as digits that no precision settles, or the checker's own run
    disagreed with the key's 0. a<1> is taken from the exact pre-activation; the evidence |da<T>/da<0>| (a
    spectral norm for several units) is torch's."""
    import torch
    spec, W, c, a0 = CANCELLING[case]
    q = [q for q in derive.solve(derive.loads('title = "t"\n[[problem]]\nkind = "rnn-activation"\nactivation = '
                                              '"tanh"\n' + spec + '\n[[problem.part]]\nask = ["stability"]\n'))
         .questions()][-1]
    Wt, ct = torch.tensor(W, dtype=torch.float64), torch.tensor(c, dtype=torch.float64)
    start = torch.tensor(a0, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda a: _run(a, Wt, ct, 100), start)
    evidence = torch.linalg.matrix_norm(J.reshape(len(a0), len(a0)), ord=2).item()
    exact = [sum(Fraction(str(w)) * Fraction(str(x)) for w, x in zip(row, a0)) + Fraction(str(b)) for row, b in zip(W, c)]
    assert exact[0] == 0
    assert abs(float(q.answer.value["gradient_T"]) - evidence) <= 1e-9 * evidence


def _run(a, W, c, steps: int):
    for _ in range(steps):
        a = torch_tanh(W @ a + c)
    return a


def torch_tanh(x):
    import torch
    return torch.tanh(x)
