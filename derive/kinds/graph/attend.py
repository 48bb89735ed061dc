"""The forward pass of an equation O = attention(Q, K, V) (or with a mask) written out as
F.scaled_dot_product_attention computes it: the scores S = QKᵀ/√d, the weights A (a softmax over each row of
S, a masked score taking weight 0) and the output O = AV, each with its shape, every relation a checked chain."""

from __future__ import annotations

import sympy
from sympy import MatMul

from ...steps import boxed, chain, let, say, step
from ...written import Sym
from . import names as nm
from .config import Config, Equation
from .matrices import Attention, stages
from .narrate import answer_chains, display, forward, shown, transpose_sym
from .parse import Call, Name
from .values import evaluate

LETTERS = (("S", "A"), ("S'", "A'"), ("S''", "A''"))
QUERY_SIZE = nm.NOTATION.symbol("attention:d", "d", means="the size of each query", positive=True, integer=True)


def forward_pass(c: Config):
    """The forward pass, with a step for each attention equation written out."""
    from dataclasses import replace
    solution = forward(c)
    attending, known, before = attention_steps(c)
    answer = boxed(solution.answer.value, answer_chains(c, before))
    return replace(solution, steps=solution.steps + tuple(attending), meanings={**solution.meanings, **known},
                   answer=answer)


def attention_steps(c: Config) -> tuple[list, dict, dict]:
    """A step for each equation whose right-hand side is an attention call, the meanings of its symbols, and
    the chains of its scores and weights (by the equation's name) that the answer boxes before its output."""
    steps, meanings, before = [], {}, {}
    for eq in c.equations:
        if isinstance(eq.rhs, Call) and eq.rhs.func == "attention":
            s, m, before[eq.name] = _step(c, eq)
            steps.append(s)
            meanings.update(m)
    return steps, meanings, before


def _letters(c: Config) -> tuple[str, str]:
    """S and A for the scores and weights, unless the spec names a value so (then S', A', …)."""
    return next(pair for pair in LETTERS if not any(n in c.values for n in pair)) if any(
        n in c.values for n in ("S", "A")) else LETTERS[0]


def _letter(letter: str):
    """S, or S′ (S with a prime) for "S'"."""
    primes = letter.count("'")
    return Sym(letter.rstrip("'"), primes=primes) if primes else letter


def _means(letter: str) -> str:
    """What S (S′, …) and A (A′, …) stand for: the scores and the weights."""
    return nm.SCORES if letter.startswith("S") else nm.WEIGHTS


def _entry(letter: str, eq: Equation, i: int, j: int) -> sympy.Symbol:
    """Entry (i, j) of the scores or the weights (0-based), written 1-based: S₁₂."""
    sep = "," if max(i, j) >= 9 else ""
    written = Sym(_letter(letter), sub=f"{i + 1}{sep}{j + 1}", grouped=True)
    return nm.NOTATION.symbol(f"{letter}({eq.name})[{i}][{j}]", written, means=_means(letter), real=True)


def _shape(shape: tuple) -> str:
    return f"{shape[0]} × {shape[1]}"


def _step(c: Config, eq: Equation):
    args = [evaluate(a, c.values) for a in eq.rhs.args]
    att: Attention = stages(*args)
    s_letter, a_letter = _letters(c)
    S = nm.NOTATION.symbol(f"{s_letter}({eq.name})", _letter(s_letter), means=nm.SCORES, commutative=False)
    A = nm.NOTATION.symbol(f"{a_letter}({eq.name})", _letter(a_letter), means=nm.WEIGHTS, commutative=False)
    Q, K, V = (display(a, c) for a in eq.rhs.args[:3])
    KT = transpose_sym(eq.rhs.args[1].name) if isinstance(eq.rhs.args[1], Name) else nm.function("transpose")(K)
    root = sympy.Pow(sympy.Integer(att.d), sympy.Rational(1, 2), evaluate=False)
    written = sympy.Mul(sympy.Mul(Q, KT), sympy.Pow(root, -1, evaluate=False), evaluate=False)
    numbers = MatMul(sympy.Pow(root, -1, evaluate=False), args[0].m, args[1].m.T, evaluate=False)
    masked = len(args) > 3 and any(e == 0 for e in args[3].entries)
    text = say("Attention in ", sym_of(c, eq), ", as F.scaled_dot_product_attention computes it, ",
               let(QUERY_SIZE, att.d), " the size of each query: the scores ", let(S, written),
               f" ({_shape(att.scores.shape)}: a row per query, a column per key); the weights ", A,
               f" ({_shape(att.weights.shape)}), a softmax over each row of ", S,
               *([" (where the mask is false, 0, the score is −∞ and the weight 0)"] if masked else []),
               "; the output ", let(sym_of(c, eq), sympy.Mul(A, V)), f" ({_shape(att.output.shape)}):")
    first, meanings = _first_weight(att, eq, (s_letter, a_letter), args)
    meanings.update({S: att.scores.m, A: att.weights.m})
    weights = chain(A, *shown(att.weights))
    return step(text, chain(S, numbers, *shown(att.scores)), first, weights,
                _linked(sym_of(c, eq), MatMul(_rounded(att.weights.m), args[2].m, evaluate=False),
                        shown(att.output))), meanings, (chain(S, *shown(att.scores)), weights)


def _linked(target, middle, value: list):
    """target = middle = value, with ≈ where a side is rounded."""
    rounded = middle.has(sympy.Float)
    last = "approx" if rounded or value[0] == "approx" else "="
    return chain(target, "approx" if rounded else "=", middle, last, value[-1])


def sym_of(c: Config, eq: Equation):
    return nm.name_symbol(eq.name, c.shape(eq.name))


def _rounded(m):
    if all(e.is_Rational for e in m):
        return m
    return m.applyfunc(lambda e: e if e.is_Rational else e.evalf(6))


def _first_weight(att: Attention, eq: Equation, letters: tuple[str, str], args):
    """A₁ⱼ = e^{S₁ⱼ} / Σₖ e^{S₁ₖ} for the first key query 1 may attend to, the sum over the keys it may attend to;
    with the meanings of the entries it names."""
    cols = att.scores.shape[1]
    allowed = [j for j in range(cols) if len(args) < 4 or args[3].m[0, j] == 1]
    first = allowed[0]
    scores = [_entry(letters[0], eq, 0, j) for j in range(cols)]
    weight = _entry(letters[1], eq, 0, first)
    formula = sympy.exp(scores[first]) / sympy.Add(*[sympy.exp(scores[j]) for j in allowed], evaluate=False)
    meanings = {scores[j]: att.scores.m[0, j] for j in range(cols)}
    meanings[weight] = att.weights.m[0, first]
    return chain(weight, formula, *_value(att.weights.m[0, first])), meanings


def _value(e):
    return ["=", e] if e.is_Rational else ["approx", e.evalf(6)]
