"""Tests for derive.mathparse: safe LaTeX/name -> SymPy parsing of activation formulas."""
import ast
import builtins
import inspect

import pytest
import sympy

from derive import mathparse
from derive.mathparse import NAMED, Z, MathSyntaxError, parse_activation

E = sympy.E
SIGMOID = 1 / (1 + sympy.exp(-Z))
POINTS = [-2.5, -1, -0.3, 0, 0.4, 1.7, 3]


def assert_numerically_equal(got, want, points=POINTS):
    """Compare two expressions in Z at several points."""
    for v in points:
        a = complex(sympy.N(got.subs(Z, sympy.Rational(str(v))), 30))
        b = complex(sympy.N(want.subs(Z, sympy.Rational(str(v))), 30))
        assert abs(a - b) < 1e-12 * max(1, abs(b)), (got, want, v)


# (latex, expected expression) -- compared numerically and for free symbols.
EQUIVALENT = [
    (r"\frac{\exp(z)}{1 + \exp(z)}", SIGMOID),
    (r"\frac{\exp(2z) - 1}{\exp(2z) + 1}", sympy.tanh(Z)),
    (r"e^{z}", sympy.exp(Z)),
    (r"e^z", sympy.exp(Z)),
    (r"e^{2z}", sympy.exp(2 * Z)),
    (r"e", E),
    (r"\mathrm{e}^{-z}", sympy.exp(-Z)),
    (r"\frac{1}{1+e^{-z}}", SIGMOID),
    (r"\sigma(z)", SIGMOID),
    (r"\max(0, z)", sympy.Max(0, Z)),
    (r"\max\left(0, z\right)", sympy.Max(0, Z)),
    (r"\max(z, 0.01z, -1)", sympy.Max(Z, Z / 100, -1)),
    (r"\min(0, z)", sympy.Min(0, Z)),
    (r"\ln(1 + e^z)", sympy.log(1 + sympy.exp(Z))),
    (r"\log(1+\exp(z))", sympy.log(1 + sympy.exp(Z))),
    (r"2\sigma(2z) - 1", sympy.tanh(Z)),
    (r"\tanh(z)", sympy.tanh(Z)),
    (r"\frac{\sinh(z)}{\cosh(z)}", sympy.tanh(Z)),
    (r"z^2", Z**2),
    (r"(1+z^2)^{-1}", 1 / (1 + Z**2)),
    (r"2^3^2", sympy.Integer(512)),
    (r"0.5z", Z / 2),
    (r"\frac12 z", Z / 2),
    (r"\dfrac{z}{2} + \tfrac{1}{4}", Z / 2 + sympy.Rational(1, 4)),
    (r"\sqrt{1+z^2}", sympy.sqrt(1 + Z**2)),
    (r"\sqrt[3]{1+z^2}", (1 + Z**2) ** sympy.Rational(1, 3)),
    (r"z \cdot \tanh(\ln(1+e^z))", Z * sympy.tanh(sympy.log(1 + sympy.exp(Z)))),
    (r"\frac{z}{1+e^{-z}}", Z * SIGMOID),
    (r"\left(1+z\right)^{2}", (1 + Z) ** 2),
    (r"\left[1+z\right] \times 3", 3 * (1 + Z)),
    (r"\bigl(1+z\bigr)\Bigl(1-z\Bigr)", 1 - Z**2),
    (r"z(1+z)", Z * (1 + Z)),
    (r"(z)(1+z)", Z * (1 + Z)),
    (r"2\exp(z)", 2 * sympy.exp(Z)),
    (r"\exp z", sympy.exp(Z)),
    (r"\exp{z} * 3 / 2", 3 * sympy.exp(Z) / 2),
    (r"\tanh^2(z)", sympy.tanh(Z) ** 2),
    (r"\cosh^{2}(z) - \sinh^2(z)", sympy.Integer(1)),
    (r"1 - \tanh(z)^2", 1 - sympy.tanh(Z) ** 2),
    (r"\operatorname{relu}(z)", sympy.Max(0, Z)),
    (r"\operatorname{ReLU}(z - 1)", sympy.Max(0, Z - 1)),
    (r"\mathrm{relu}(z)", sympy.Max(0, Z)),
    (r"\text{relu}(z)", sympy.Max(0, Z)),
    (r"\operatorname{softplus}(z)", sympy.log(1 + sympy.exp(Z))),
    (r"\operatorname{sigmoid}(2z)", 1 / (1 + sympy.exp(-2 * Z))),
    (r"\text{leaky\_relu}(z)", sympy.Max(Z, Z / 100)),
    (r"z\,\sigma(z)\;+\!0\ ", Z * SIGMOID),
    (r"-\frac{1}{2}z^2 + -z", -(Z**2) / 2 - Z),
    (r"ze^z", Z * sympy.exp(Z)),
    ("exp(z)", sympy.exp(Z)),                       # the graph's equations' way of writing a function, too
    ("tanh(2z) + z**2", sympy.tanh(2 * Z) + Z**2),
    ("max(0, z) - min(z, 1)", sympy.Max(0, Z) - sympy.Min(Z, 1)),
    ("pow(z, 3)", Z**3),
]


@pytest.mark.parametrize("latex,want", EQUIVALENT, ids=[t for t, _ in EQUIVALENT])
def test_equivalent_numerically(latex, want):
    got = parse_activation(latex)
    assert got.free_symbols <= {Z}
    assert_numerically_equal(got, want)


EXACT = [
    (r"\frac{\exp(z)}{1 + \exp(z)}", sympy.exp(Z) / (sympy.exp(Z) + 1)),
    (r"-z^2", -(Z**2)),
    (r"3.25 z", sympy.Rational(13, 4) * Z),
    (r"0.5z", sympy.Rational(1, 2) * Z),
    (r"\frac12 z", Z / 2),
    (r"e^{-z}", sympy.exp(-Z)),
    (r"\sigma(z)", SIGMOID),
    (r"\max(0, z)", sympy.Max(0, Z)),
    (r"\tanh^2(z)", sympy.tanh(Z) ** 2),
    (r"\sqrt{z}", sympy.sqrt(Z)),
    (r"z", Z),
    (r"  z  ", Z),
]


@pytest.mark.parametrize("latex,want", EXACT, ids=[t for t, _ in EXACT])
def test_exact_structure(latex, want):
    assert parse_activation(latex) == want


def test_decimals_are_exact_rationals():
    got = parse_activation("0.1z + 0.2")
    assert got == sympy.Rational(1, 10) * Z + sympy.Rational(1, 5)
    assert not got.atoms(sympy.Float)


@pytest.mark.parametrize("text,want", [("1e300", sympy.Integer(10) ** 300), ("2.5e-3", sympy.Rational(1, 400)),
                                       ("1E5", sympy.Integer(10) ** 5), ("3e", 3 * sympy.E), ("2e^2", 2 * sympy.E ** 2),
                                       ("e-3", sympy.E - 3), ("2 e-3", 2 * sympy.E - 3), (r"\frac{1}{2e3}",
                                                                                         sympy.Rational(1, 2000))])
def test_scientific_notation_reads_as_python_does(text, want):
    """A number written with a power of ten is that number (2.5e-3 is 0.0025, not 2.5 e - 3) wherever a formula is
    read; Euler's e alone, or after a space, stays e."""
    assert mathparse.parse_constant(text) == want
    assert parse_activation(f"z + {text}") == Z + want


@pytest.mark.parametrize("text,fragment", [("1e3000", "too large"), (r"\frac12e3", "in braces")])
def test_scientific_notation_refused_where_unclear(text, fragment):
    with pytest.raises(MathSyntaxError, match=fragment):
        mathparse.parse_constant(text)


def test_symmetric_derivations_simplify():
    assert sympy.simplify(parse_activation(r"\frac{\exp(z)}{1 + \exp(z)}") - NAMED["sigmoid"]) == 0
    assert sympy.simplify(parse_activation(r"\frac{\sinh(z)}{\cosh(z)}") - NAMED["tanh"]) == 0


NAMES = [
    ("sigmoid", SIGMOID), ("tanh", sympy.tanh(Z)), ("relu", sympy.Max(0, Z)),
    ("identity", Z), ("linear", Z), ("softplus", sympy.log(1 + sympy.exp(Z))),
    ("leaky_relu", sympy.Max(Z, sympy.Rational(1, 100) * Z)), ("exp", sympy.exp(Z)),
    ("Leaky-ReLU", sympy.Max(Z, sympy.Rational(1, 100) * Z)), ("  ReLU ", sympy.Max(0, Z)),
    ("SIGMOID", SIGMOID), ("Tanh", sympy.tanh(Z)), ("leaky-relu", sympy.Max(Z, Z / 100)),
]


@pytest.mark.parametrize("name,want", NAMES, ids=[n.strip() for n, _ in NAMES])
def test_named(name, want):
    assert parse_activation(name) == want


def test_named_table():
    assert set(NAMED) >= {"sigmoid", "tanh", "relu", "identity", "linear", "softplus", "leaky_relu", "exp"}
    for expr in NAMED.values():
        assert expr.free_symbols <= {Z}
    assert sympy.Rational(1, 100) in NAMED["leaky_relu"].atoms(sympy.Rational)
    assert Z.is_real


# (input, fragment expected in the message, expected position or None)
REJECTED = [
    (r"\input{x}", r"\input", 0),
    (r"\def\x{z}", r"\def", 0),
    (r"\write18{rm}", r"\write", 0),
    (r"z + \foo", r"\foo", 4),
    ("x", "'x'", 0),
    ("2 y", "'y'", 2),
    ("__import__", "__import__", 0),
    ("__import__(z)", "__import__", 0),
    ("tanh z", r"did you mean '\tanh' or 'tanh(z)'", 0),
    ("z;", "';'", 1),
    ("z'", "'''", 1),
    ('"z"', "'\"'", 0),
    ("`z`", "'`'", 0),
    ("z = 1", "'='", 2),
    ("z_1", "subscript", 1),
    ("", "empty", None),
    ("   ", "empty", None),
    ("(z", "expected ')' to close '(' opened at character 0, found end of formula", 2),
    ("z)", "')'", 1),
    ("{z", "expected '}'", 2),
    ("z}", "'}'", 1),
    ("(z]", "found ']'", 2),
    (r"\frac{1}{1+\exp(z}", "expected ')' to close '(' opened at character 15", 17),
    ("1 +", "end of formula", 3),
    ("z z +", "end of formula", 5),
    ("z , z", "','", 2),
    ("*z", "'*'", 0),
    (r"\max(z)", "at least two", 0),
    (r"\max z", "expected '('", 5),
    (r"\operatorname{foo}(z)", "'foo'", 0),
    (r"\tanh^{-1}(z)", "inverse", 5),
    ("1/0", "undefined", None),
    ("2^{2^{2^{2^{2}}}}", "too large", 1),
    ("\\", "lone", 0),
]


@pytest.mark.parametrize("text,fragment,position", REJECTED, ids=[t or "<empty>" for t, _, _ in REJECTED])
def test_rejected(text, fragment, position):
    with pytest.raises(MathSyntaxError) as info:
        parse_activation(text)
    err = info.value
    assert fragment in str(err)
    assert err.position == position
    assert err.text == text
    assert err.reason in str(err)
    assert "\n" not in str(err)


def test_unknown_command_lists_supported():
    with pytest.raises(MathSyntaxError) as info:
        parse_activation(r"\input{/etc/passwd}")
    assert r"\frac" in str(info.value) and r"\tanh" in str(info.value)


def test_error_is_value_error_and_readable():
    with pytest.raises(ValueError) as info:
        parse_activation(r"\frac{1}{1+\exp(z}")
    assert str(info.value) == (
        r"cannot read '\frac{1}{1+\exp(z}' at character 17: "
        r"expected ')' to close '(' opened at character 15, found '}'"
    )


LIMITS = [
    ("too long", "z+" * 1000 + "z", "too long"),
    ("deep parens", "(" * 150 + "z" + ")" * 150, "nested too deeply"),
    ("deep braces", "{" * 150 + "z" + "}" * 150, "nested too deeply"),
    ("deep functions", r"\exp " * 60 + "z", "nested too deeply"),
    ("deep powers", "z^" * 200 + "z", "nested too deeply"),
    ("exp tower", r"\exp(\exp(\exp(\exp(z))))", "stacked 4 high"),
    ("e tower", "e^{e^{e^{e^{z}}}}", "stacked 4 high"),
    ("z tower", "z^{z^{z^{z}}}", "stacked"),
    ("huge degree", "(1+z)^{1000000}", "exponent 1000000 is too large"),
    ("huge constant power", r"\sqrt{2}^{1000000000}", "too large"),
    ("deep pole", "1/z^{400}", "exponent 400 is too large"),
    ("complex constant", r"\ln(-1) + z", "complex"),
    ("complex root", r"\sqrt{-1} z", "complex"),
]


@pytest.mark.parametrize("text,fragment", [(t, f) for _, t, f in LIMITS], ids=[n for n, _, _ in LIMITS])
def test_limits(text, fragment):
    with pytest.raises(MathSyntaxError) as info:
        parse_activation(text)
    assert fragment in str(info.value)


def test_moderate_nesting_and_long_sign_chains_are_fine():
    assert parse_activation("(" * 35 + "z" + ")" * 35) == Z
    assert parse_activation(r"\tanh(" * 18 + "z" + ")" * 18).free_symbols == {Z}
    assert parse_activation("-" * 400 + "z") == Z
    assert parse_activation("z+" * 200 + "z") == 201 * Z
    assert parse_activation(r"\exp(\exp(z))") == sympy.exp(sympy.exp(Z))         # two stacked is fine


SAFE_FORMULAS = [
    r"\frac{1}{1+e^{-z}}", r"\max(0, z)", r"\ln(1 + e^z)", r"2\sigma(2z) - 1", r"0.5z",
    r"\sqrt[3]{1+z^2}", r"z \cdot \tanh(\ln(1+e^z))", r"\operatorname{ReLU}(z)",
    r"\tanh^2(z)", r"\left(1+z\right)^{2}", r"\frac12 z", r"\min(z, 3.25)", "leaky-relu",
]


def test_never_executes_text(monkeypatch):
    import sympy.parsing.sympy_parser as sympy_parser

    def forbidden(*args, **kwargs):
        raise AssertionError("text execution/parsing helper was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden)
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    for text in SAFE_FORMULAS:
        assert parse_activation(text).free_symbols <= {Z}


def test_source_has_no_dynamic_evaluation():
    tree = ast.parse(inspect.getsource(mathparse))
    banned = {"eval", "exec", "sympify", "parse_expr", "parse_latex", "S", "__import__", "lambdify"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in banned | {"compile", "getattr"}, func.id
            else:
                assert getattr(func, "attr", None) not in banned, func.attr
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert not any("parsing" in m for m in modules)


def test_tokenizer_positions():
    toks = mathparse.tokenize(r"\left( 2z \right)")
    assert [(t.kind, t.text, t.pos) for t in toks] == [
        ("(", "(", 5), ("num", "2", 7), ("name", "z", 8), (")", ")", 16), ("end", "", 17)
    ]
