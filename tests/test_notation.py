"""Notation belongs to the kinds: every symbol a key shows is one object per name, and each kind's
symbols print from the kind's own notation (derive/formats knows none of them)."""

import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest
import sympy

import derive
from derive.kinds import KINDS

from conftest import slow_params

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_make", GOLDEN / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def shown_expressions(doc):
    """Every expression a document shows: settings, questions, steps, answers, notes."""
    for problem in doc.problems:
        yield from problem.expressions()


def symbols_by_name(doc) -> dict[str, set]:
    names = defaultdict(set)
    for expr in shown_expressions(doc):
        expr = sympy.sympify(expr)
        for s in expr.atoms(sympy.Symbol, sympy.MatrixSymbol):
            names[s.name].add(s if isinstance(s, sympy.Symbol) else ("matrix", s.name))
        for f in expr.atoms(sympy.core.function.AppliedUndef):
            names[type(f).__name__].add(type(f))
    return names


@pytest.mark.parametrize("name", slow_params(list(make.SPECS), ["course50"]))
def test_no_two_symbols_share_a_name(name):
    doc = derive.solve(derive.load(make.SPECS[name]))
    shared = {n: objs for n, objs in symbols_by_name(doc).items() if len(objs) > 1}
    assert shared == {}


def test_plain_notation():
    """notation = "plain": h_t, x_t, z_t, W, U and b instead of the course's a^{(i)<t>}, W_a^{[1]}, ...; the
    answers themselves are the same."""
    import re
    from derive.errors import SpecError
    text = derive.spec.bundled_spec().read_text()
    course = derive.solve(derive.loads(text))
    plain = derive.solve(derive.loads(text.replace('title = "HW5 Written Part"',
                                                   'title = "HW5 Written Part"\nnotation = "plain"')))
    assert [q.answer.value for q in plain.questions()] == [q.answer.value for q in course.questions()]
    tex = derive.render(plain, "latex")
    assert r"\frac{\partial h_{t}}{\partial h_{t-1}}" in tex and "W = 1" in tex and "x_{1}^{(i)}" not in tex
    assert r"\langle t\rangle" not in tex and "[1]}" not in tex
    html = derive.render(plain, "html")
    assert "<mi>h</mi>" in html
    with pytest.raises(SpecError, match="field 'notation'.*did you mean 'plain'"):
        derive.loads(text.replace('title = "HW5 Written Part"', 'title = "HW5 Written Part"\nnotation = "plian"'))
