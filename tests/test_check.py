"""The checker: true relations pass, wrong ones stop the build naming the step."""

import pytest
import sympy
from sympy import Float, Rational, exp, log, tanh

from derive.check import check_link, check_solution, is_zero
from derive.errors import CheckError
from derive.steps import Answer, Solution, chain, say, step

z, w = sympy.symbols("z w", real=True)


@pytest.mark.parametrize("left, right", [
    (tanh(z), (exp(2 * z) - 1) / (exp(2 * z) + 1)),
    (exp(z) / (1 + exp(z)) ** 2, 1 / (1 + exp(-z)) * (1 - 1 / (1 + exp(-z)))),
    (log(exp(z) + 1) - log(exp(-z) + 1), z),
    (sympy.Max(0, z) - sympy.Max(0, -z), z),
    ((z + w) ** 2, z**2 + 2 * z * w + w**2),
], ids=["tanh-exp", "sigmoid-derivative", "softplus-difference", "relu-difference", "square"])
def test_identities_pass(left, right):
    assert check_link(left, "=", right) == (True, "")


@pytest.mark.parametrize("left, rel, right", [
    (tanh(z), "=", 2 / (1 + exp(-z)) - 1),
    (z**2, "=", z**2 + Rational(1, 10**20)),
    (Rational(1, 4), ">", 1),
    (sympy.Abs(tanh(z)), "<", Rational(1, 2)),
    (Rational(2, 3), "approx", Float("0.667", 3) + Rational(1, 100)),
    (sympy.ImmutableMatrix([z, 1]), "=", sympy.ImmutableMatrix([z, 2])),
], ids=["not-tanh", "tiny-offset", "false-inequality", "false-bound", "bad-approximation", "matrix-entry"])
def test_wrong_relations_fail(left, rel, right):
    ok, why = check_link(left, rel, right)
    assert ok is False and why


def test_approximations_within_shown_digits():
    assert check_link(Rational(2, 3), "approx", Float("0.666667", 6))[0]
    assert not check_link(Rational(2, 3), "approx", Float("0.666", 6))[0]


def test_exact_constants():
    assert is_zero(tanh(0))
    assert is_zero(exp(log(3)) - 3)
    assert not is_zero(exp(Rational(1, 10**30)) - 1)


def test_meanings_are_substituted():
    d = sympy.Symbol("d")
    sol = Solution(question=say("q"), steps=(step(say("s"), chain(d, 2 * z)),),
                   answer=Answer(value=None), meanings={d: sympy.diff(z**2, z)})
    assert check_solution(sol, "1a") == 1


def test_failure_names_part_and_step():
    sol = Solution(question=say("q"), steps=(step(say("fine"), chain(z + z, 2 * z)),
                                             step(say("wrong"), chain(z * z, 2 * z))),
                   answer=Answer(value=None, chain=chain(z, z)))
    with pytest.raises(CheckError) as err:
        check_solution(sol, "4b.ii")
    assert "question 4b.ii, step 2" in str(err.value)


def test_answer_is_checked_too():
    sol = Solution(question=say("q"), steps=(), answer=Answer(value=1, chain=chain(Rational(1, 3), "approx",
                                                                                   Float("0.5", 3))))
    with pytest.raises(CheckError, match="answer"):
        check_solution(sol, "1a")


def test_numeric_agreement_is_relative_to_size():
    """Two 50-digit values near 10^100 that agree in every digit are equal; an exact power is checked exactly."""
    from derive.check import check_link
    big = sympy.Float(10, 50) ** 100 * (1 + sympy.Float("1e-45", 50))
    assert check_link(big, "=", sympy.Integer(10) ** 100)[0]
    assert not check_link(big * (1 + sympy.Float("1e-20", 50)), "=", sympy.Integer(10) ** 100)[0]
    x = sympy.Symbol("x", positive=True)
    assert check_link(sympy.exp(100 * x) * (1 + sympy.Float("1e-45", 50)), "=", sympy.exp(100 * x))[0]
    assert not check_link(sympy.exp(100 * x) + 1, "=", sympy.exp(100 * x))[0]


def test_a_lazy_scale_is_the_scale():
    """check_link's |left| + |right| is built only when a numeric comparison needs it, and is then the same."""
    import sympy
    from derive.check import AbsSum, is_zero
    x = sympy.Symbol("x")
    big = sympy.Float("1e100", 50)
    cases = [(big + sympy.Float("1e60", 50), big), (big * (1 + sympy.Float("1e-45", 50)), big),
             (sympy.exp(x) * big, sympy.exp(x) * big * (1 + sympy.Float("1e-60", 50))), (sympy.tanh(x), x),
             (sympy.Rational(1, 3), sympy.Float(1, 50) / 3)]
    for left, right in cases:
        assert is_zero(left - right, scale=AbsSum(left, right)) == \
            is_zero(left - right, scale=sympy.Abs(left) + sympy.Abs(right))
    lazy = AbsSum(x, x)
    assert is_zero(x - x, scale=lazy) and "expr" not in vars(lazy)          # never needed, never built
