"""Prose from data: lists joined once with commas and 'and', no word said twice in a row, notes only where their
trigger holds, numbers shown as the spec wrote them (decimals as decimals, tiny numbers as powers of ten), a rule
and its numbers in one order. Every key of every kind's example and of the golden specs is walked."""

from __future__ import annotations

import json
import math
import re
import textwrap
from decimal import Context, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import example, given, strategies as st

import derive
from derive.formats.latex import SIGNIFICANT, Printer, decimal_text, scientific
from derive.formats.mathml import Printer as MathML
from derive.kinds import KINDS
from derive.kinds.cnn.summary import numbers
from derive.notation import in_decimals
from derive.symbols import Plus, Times

GOLDEN = Path(__file__).resolve().parent / "golden" / "expected"
MATHS = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
REPEATED = re.compile(r"\b(\w+)\s+\1\b|\b(\w+\s+\w+)\s*[:;,]?\s+\2\b", re.I)   # 'the the', 'its input: its input'
AND_AND = re.compile(r"(?<![\w$])([\w$]+) and ([\w$]+) and\b")                 # '34 and 35 and 37'


def prose_faults(markdown: str) -> list[str]:
    """The places where prose (maths taken out) repeats a word or joins a list with 'and … and'."""
    prose = MATHS.sub("$M$", markdown)
    return [prose[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            for pattern in (REPEATED, AND_AND) for m in pattern.finditer(prose)]


def spaces_in_maths(markdown: str) -> list[str]:
    """The $…$ (and $$…$$) of a Markdown key holding a no-break space (U+00A0). Prose keeps its no-break spaces
    (128 × 128, p − y: CommonMark counts U+00A0 as whitespace, so emphasis and the $ rules of GitHub, Jupyter and
    pandoc read them as spaces that do not break); inside maths, KaTeX's strict mode warns on one and the
    delimiters' no-space rules would not see it."""
    return [m.group(0) for m in MATHS.finditer(markdown) if "\u00a0" in m.group(0)]


def key(text: str, fmt: str = "markdown") -> str:
    return derive.render(derive.solve(derive.loads(textwrap.dedent(text))), fmt)


# --- the walk -------------------------------------------------------------------------------------

def test_the_walk_finds_both_faults():
    """The patterns catch what they are for, and pass ordinary lists and phrases ('row by row', 'U(−b, b)')."""
    assert prose_faults("2. Its input: its input is the 70 features")
    assert prose_faults("so the the output")
    assert prose_faults("Layers 34 and 35 and 37 and 38 (conv)")
    assert prose_faults("with $M$ and $M$ and $M$.")
    assert not prose_faults("Chain rule, row by row: Layers 34, 35, 37 and 38 draw from U(−b, b), all trainable.")
    assert spaces_in_maths("gives $p\u00a0-\u00a0y$.") and not spaces_in_maths("128\u00a0×\u00a0128 and $x$")


@pytest.mark.parametrize("name", sorted({KINDS[k].name for k in KINDS}))
def test_every_example_key_reads_cleanly(name):
    text = derive.render(derive.solve(derive.loads(KINDS[name].example())), "markdown")
    assert prose_faults(text) == []
    assert spaces_in_maths(text) == []


@pytest.mark.parametrize("file", sorted(p.name for p in GOLDEN.glob("*.md")))
def test_every_golden_key_reads_cleanly(file):
    """The golden keys (tests/test_golden.py keeps them equal to what derive writes now)."""
    text = (GOLDEN / file).read_text(encoding="utf-8")
    assert prose_faults(text) == [] and spaces_in_maths(text) == []


# --- lists ----------------------------------------------------------------------------------------

def test_layer_numbers_join_once():
    assert numbers([33, 34, 36, 37]) == "34, 35, 37 and 38"
    assert numbers([1, 3, 6, 7, 8, 11]) == "2, 4, 7 to 9 and 12"
    assert numbers([0, 1]) == "1 and 2"
    assert numbers([4]) == "5"


def test_layers_alike_in_a_summary_are_listed_with_commas():
    """A stack of more than ten layers is summarized: its ReLU layers (2, 3, 5, 6, ...) named in one list."""
    conv, relu = '{ type = "conv", filters = 2, kernel = 3, padding = 1 }', '{ type = "relu" }'
    layers = ", ".join([conv, relu, relu] * 3 + [conv, relu])
    text = key(f"""
        title = "t"
        [[problem]]
        kind = "network"
        input = [6, 6, 2]
        layers = [{layers}]
          [[problem.part]]
          ask = ["macs"]
        """)
    assert "Layers 2, 3, 5, 6, 8, 9 and 11 multiply no matrices" in text
    assert prose_faults(text) == []


def test_two_dimensional_padding_is_said_per_side_without_and_and():
    text = key("""
        title = "t"
        [[problem]]
        kind = "conv-matrix"
        input = [3, 3]
        kernel = [2, 2]
        padding = [[1, 0], [0, 1]]
          [[problem.part]]
          ask = ["output-size"]
        """)
    assert "zero padding 1 before and 0 after in height, 0 before and 1 after in width" in text
    assert prose_faults(text) == []


def test_optimizer_flags_are_listed_with_and():
    text = key("""
        title = "t"
        [[problem]]
        kind = "optimizer"
        optimizer = "sgd"
        momentum = 0.9
        nesterov = true
        momentum_form = "velocity"
        w0 = 1
        gradients = [2]
          [[problem.part]]
          ask = ["updates"]
        """)
    assert "(nesterov and momentum in CS231n's velocity form)" in text


# --- the recurrent layer's input, the attention count ---------------------------------------------

def test_a_single_recurrent_layer_says_its_input_once_and_attention_counts_4E_squared():
    text = derive.render(derive.solve(derive.loads(KINDS["network"].example())), "markdown")
    assert "Its input is the 70 features of each position" in text
    assert "its input: its input" not in text.lower()
    assert r"4 E^{2} + 4 E" in text and "4 E E" not in text


# --- the class-index note: for a class index only, once -------------------------------------------

def graph(given: str, forward: str, extra: str = "") -> str:
    return key(f"""
        title = "t"
        [[problem]]
        kind = "graph"
        given = {given}
        forward = {forward}
          [[problem.part]]
          ask = ["forward"]
          {extra}
        """)


def test_dropout_mask_and_rate_are_constants_not_class_indices():
    text = graph("{ x = [1, 2, 3], mask = [1, 0, 1], p = 0 }", '["h = dropout(x, mask, p)", "L = sum(h)"]')
    assert "class index" not in text
    assert r"$\mathrm{mask}$ and $p$ are constants." in text


def test_a_cross_entropy_target_is_the_one_class_index():
    text = graph("{ z = [1, 2, 3], y = 1, mask = [1, 0, 1] }", '["h = dropout(z, mask, 0)", "L = cross_entropy(h, y)"]')
    assert text.count("class index") == 1
    assert r"$\mathrm{mask}$ is a constant. $y$ is a class index, counted from 0 as in PyTorch." in text


def test_two_class_indices_share_one_note():
    text = graph("{ z = [1, 2, 3], y = 1, t = 2 }", '["a = cross_entropy(z, y)", "L = a + cross_entropy(z, t)"]')
    assert text.count("counted from 0") == 1
    assert "$t$ and $y$ are class indices, each counted from 0 as in PyTorch." in text


# --- the sigmoid written with a quotient ----------------------------------------------------------

def test_one_over_a_sum_is_a_fraction_not_a_mixed_number():
    text = graph("{ z = 2 }", '["s = 1 / (1 + exp(-z))"]')
    assert r"1 \frac{1}" not in text
    assert re.search(r"s = \\frac\{1\}\{", text)


def test_a_written_sum_keeps_the_order_it_was_written_in_every_printer():
    """1 + e^{-z} as the spec writes it (SymPy's order is e^{-z} + 1): LaTeX, MathML, the plain text of figures;
    a sum SymPy orders as written (x + 1) or not as a sum of its own (the rest) as before; the value is torch's."""
    spec = textwrap.dedent("""
        title = "t"
        [[problem]]
        kind = "graph"
        given = { z = 0.5, b = 2 }
        forward = ["s = 1 / (1 + exp(-z))", "t = 1 + b", "u = b + 1", "L = s * t * u"]
          [[problem.part]]
          ask = ["forward"]
        """)
    doc = derive.solve(derive.loads(spec))
    latex = derive.render(doc, "latex")
    assert r"s = \frac{1}{1 + \exp\left(- z\right)}" in latex and "t = 1 + b" in latex and "u = b + 1" in latex
    html = derive.render(doc, "html")
    assert "<mfrac><mn>1</mn><mrow><mn>1</mn><mo>+</mo><mrow><mi>exp</mi>" in html
    assert 'data-label="s = 1/(1 + exp(−z))"' in html and 'data-label="t = 1 + b"' in html
    import torch
    value = next(iter(doc.questions())).answer.value
    assert abs(value["s"] - torch.sigmoid(torch.tensor(0.5, dtype=torch.float64)).item()) < 1e-15
    z = sympy.Symbol("z")
    assert Printer().doprint(sympy.Add(1, sympy.exp(-z), evaluate=False)) == sympy.latex(1 + sympy.exp(-z))


ACTIVATION_AS_WRITTEN = r"""
        title = "t"
        [[problem]]
        kind = "rnn-activation"
        W_a = 0.8
        b = 0.1
          [[problem.part]]
          activation = '\frac{\exp(z)}{1 + \exp(z)}'
          ask = ["derivative"]
        """


def test_an_activation_formula_is_shown_as_the_spec_writes_it():
    """e^z/(1 + e^z), as written (SymPy would print e^z/(e^z + 1)), in the setting and the step naming it; the
    derivative is still torch's."""
    text = key(ACTIVATION_AS_WRITTEN, "latex")
    written = r"= \frac{e^{z^{(i)\langle t\rangle}}}{1 + e^{z^{(i)\langle t\rangle}}}"
    start = text.index("One recurrent unit")
    setting = text[start:text.index("\n", start)]
    assert written in setting and written in text[text.index("The formula is"):]
    assert r"{e^{z^{(i)\langle t\rangle}} + 1}" not in setting
    import torch
    doc = derive.solve(derive.loads(textwrap.dedent(ACTIVATION_AS_WRITTEN)))
    value = sympy.sympify(next(iter(doc.questions())).answer.value)
    z = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    (0.8 * torch.sigmoid(z)).backward()
    assert abs(float(value.subs({v: sympy.Rational(3, 10) for v in value.free_symbols})) - z.grad.item()) < 1e-12


@pytest.mark.parametrize("expr, decimals, latex, plain", [
    (sympy.Mul(sympy.Rational(1, 2), sympy.Pow(sympy.Symbol("y"), -1), evaluate=False), True,
     r"0.5 \cdot \frac{1}{y}", "0.5 ⋅ 1/y"),
    (sympy.Mul(-1, sympy.Float(0.5), evaluate=False), False, r"-0.5", "−0.5"),
    (sympy.exp(sympy.Mul(-1, sympy.Rational(1, 2), evaluate=False), evaluate=False), True, r"e^{-0.5}", "e^(−0.5)"),
    (sympy.Mul(-1, sympy.Float(0.5), sympy.Float(0.25), evaluate=False), False, r"-0.5 \cdot 0.25", "−0.5 ⋅ 0.25"),
    (sympy.Mul(-1, sympy.Float(-0.5), evaluate=False), False, r"-\left(-0.5\right)", "−(−0.5)"),
    (sympy.Mul(1, sympy.Float(0.5), evaluate=False), False, r"1 \cdot 0.5", "1 ⋅ 0.5"),
    (sympy.Mul(sympy.Float(0.3), sympy.Mul(-1, sympy.Float(0.5), evaluate=False), evaluate=False), False,
     r"0.3 \cdot \left(-0.5\right)", "0.3 ⋅ (−0.5)"),
    (sympy.Mul(2, -1, evaluate=False), False, r"2 \cdot \left(-1\right)", "2 ⋅ (−1)"),
    (Times(-1, 2, evaluate=False), False, r"\left(-1\right) \cdot 2", "(−1) ⋅ 2"),
    (sympy.Pow(Times(-1, 2, evaluate=False), 2, evaluate=False), False, r"\left(\left(-1\right) \cdot 2\right)^{2}",
     "((−1) ⋅ 2)²"),
    (sympy.Pow(Plus(1, sympy.exp(-sympy.Symbol("z")), evaluate=False), 2, evaluate=False), False,
     r"\left(1 + e^{- z}\right)^{2}", "(1 + e^(−z))²"),
    (sympy.Mul(3, sympy.Symbol("x") / sympy.Symbol("y"), evaluate=False), False, r"3 \cdot \frac{x}{y}",
     "3 ⋅ x/y"),
    (sympy.Mul(2, sympy.Pow(3, -1, evaluate=False), evaluate=False), False, r"\frac{2}{3}", "2/3"),
    (sympy.Rational(3, 2) * sympy.Symbol("x"), True, r"1.5 x", "1.5x"),
    (3 * sympy.Symbol("x") / sympy.Symbol("y"), False, r"\frac{3 x}{y}", "3x/y"),
])
def test_a_number_before_a_fraction_or_a_number_has_a_product_sign(expr, decimals, latex, plain):
    """0.5 · 1/y, not 0.5 1/y (read as 0.5½); a coefficient −1 before a number is a sign, not a factor (−0.5,
    not (−1) · 0.5), a −1 after a factor or in a product kept as written (Times) a factor, and so is a 1 (a jump
    of 1 times a stride of 2: 1 · 2); a product SymPy writes as one fraction, or a number before a symbol, as
    before."""
    from derive.formats.plain import plain_xml
    from derive.notation import EMPTY
    notation = in_decimals(EMPTY) if decimals else EMPTY
    assert Printer(notation).doprint(expr) == latex
    assert plain_xml(MathML(notation).doprint(expr)) == plain


def test_a_graph_negation_at_a_number_is_a_signed_number_in_every_format():
    """−z at z = 0.5 reads exp(−0.5) (not exp((−1) · 0.5)) in LaTeX, MathML and plain; b = −z shows its value
    once; x₀w₀ at x₀ = −1 keeps its factor, (−1) · 2, and its value −2 (torch: −1 · 2)."""
    spec = """
        title = "t"
        [[problem]]
        kind = "graph"
        given = { z = 0.5, x0 = -1, w0 = 2 }
        forward = ["a = exp(-z)", "b = -z", "d = -z * z", "g = x0 * w0"]
          [[problem.part]]
          ask = ["forward"]
        """
    latex = key(spec, "latex")
    assert r"a &= \exp\left(-0.5\right) \approx 0.606531" in latex and "(-1\\right) \\cdot 0.5" not in latex
    assert re.search(r"b &= -0\.5 \\\\\n", latex) and r"d &= -0.5 \cdot 0.5 = -0.25" in latex
    assert r"g &= \left(-1\right) \cdot 2 = -2" in latex and f"{math.exp(-0.5):.6f}" == "0.606531"
    html = key(spec, "html")
    assert 'exp</mi><mo>\u2061</mo><mrow><mo stretchy="false">(</mo><mrow><mrow><mo>−</mo><mn>0.5</mn></mrow>' in html
    md = key(spec, "markdown")
    assert r"\exp\left(-0.5\right)" in md and r"\left(-1\right) \cdot 0.5" not in md


def test_a_decimal_weight_times_a_slope_fraction_has_a_dot_in_the_key():
    text = key("""
        title = "t"
        [[problem]]
        kind = "rnn-activation"
        W_a = 0.8
        b = 0.1
          [[problem.part]]
          activation = "softplus"
          ask = ["derivative"]
        """, "latex")
    assert re.search(r"= 0\.8 \\cdot \\frac\{", text) and not re.search(r"0\.8 \\frac", text)


# --- a rule and its numbers in one order ----------------------------------------------------------

def test_momentum_rule_and_its_numbers_in_the_same_order():
    text = key("""
        title = "t"
        [[problem]]
        kind = "optimizer"
        optimizer = "sgd"
        lr = 0.1
        momentum = 0.9
        dampening = 0.5
        w0 = 1
        gradients = [2, 4]
          [[problem.part]]
          ask = ["updates"]
        """)
    assert r"b^{(t)} = \mu b^{(t-1)} + \left(1 - \tau\right) g^{(t)}" in text
    line = next(l for l in text.splitlines() if l.strip().startswith("b^{(2)}"))
    rule, numbers_in = line.split("=")[1:3]
    assert rule.strip().startswith(r"\mu b^{(1)}")
    assert numbers_in.strip().startswith(r"0.9 \cdot 2 + \left(1 - 0.5\right)")   # μ b first, then (1 − τ) g


# --- numbers as the spec wrote them ---------------------------------------------------------------

def test_scores_written_as_decimals_are_shown_as_decimals_and_stay_exact():
    doc = derive.solve(derive.loads(textwrap.dedent("""
        title = "t"
        [[problem]]
        kind = "graph"
        given = { z = [3.2, 5.1, -1.7], y = 0 }
        forward = ["h = 2 * z", "L = cross_entropy(h, y)"]
          [[problem.part]]
          ask = ["forward"]
        """)))
    md, html = derive.render(doc, "markdown"), derive.render(doc, "html")
    assert r"z = \left[\begin{matrix}3.2\\5.1\\-1.7\end{matrix}\right]" in md
    assert r"\frac{16}{5}" not in md and r"\frac{51}{10}" not in md
    assert r"h &= \left[\begin{matrix}6.4\\10.2\\-3.4\end{matrix}\right]" in md
    assert "<mn>3.2</mn>" in html and "<mn>5.1</mn>" in html
    value = json.loads(derive.render(doc, "json"))
    assert "32/5" in json.dumps(value) and "51/5" in json.dumps(value)      # exact underneath: 6.4 = 32/5


def test_a_spec_of_whole_numbers_keeps_its_fractions():
    text = graph("{ x = 1, y = 2 }", '["L = x / y"]')
    assert r"\frac{1}{2}" in text and "0.5" not in text


def test_a_decimal_in_an_equation_makes_the_part_decimal():
    text = graph("{ x = 1 }", '["L = 0.5 * x"]')
    assert "L = 0.5 x" in text and r"\frac{x}{2}" not in text


@given(st.integers(-10 ** 9, 10 ** 9), st.integers(0, 9), st.integers(0, 9))
@example(512000001, 9, 0)                   # 1000000.001953125: 16 significant digits, shown as a fraction
@example(-512000001, 9, 9)                  # -0.512000001: 9
@example(999999999999999, 9, 0)             # 1953124999999.998046875: 22
def test_decimal_text_is_the_exact_decimal(p, a, b):
    """Against Python's decimal module: p / (2^a 5^b) printed exactly when its exact decimal has at most
    SIGNIFICANT (15) significant digits; None for a whole number and for a longer expansion (that value is
    shown as a fraction: a decimal of 16 or more digits is not read as the number it is)."""
    r = sympy.Rational(p, 2 ** a * 5 ** b)
    text = decimal_text(r)
    exact = Context(prec=60).divide(Decimal(p), Decimal(2 ** a * 5 ** b))      # exact: at most 19 digits
    if r.is_Integer or len(exact.normalize().as_tuple().digits) > SIGNIFICANT:
        assert text is None
    else:
        assert Fraction(Decimal(text)) == Fraction(int(r.p), int(r.q))
        assert not text.endswith("0") and SIGNIFICANT == 15


def test_decimal_text_refuses_endless_expansions():
    assert decimal_text(sympy.Rational(1, 3)) is None
    assert decimal_text(sympy.Rational(1, 2 ** 60)) is None


@pytest.mark.parametrize("digits", [6, 15, 50])
def test_tiny_numbers_print_as_powers_of_ten(digits):
    latex = Printer()
    assert latex.doprint(sympy.Float("1e-8", digits)) == "10^{-8}"
    assert latex.doprint(sympy.Float("1e-12", digits)) == "10^{-12}"
    assert latex.doprint(sympy.Float("-2.5e-12", digits)) == r"-2.5 \cdot 10^{-12}"
    assert latex.doprint(sympy.Float("0.0004", digits)) == "0.0004"                # 10⁻⁴ and up stay decimals
    assert "<msup><mn>10</mn><mn>\u22128</mn></msup>" in MathML().doprint(sympy.Float("1e-8", digits))


def test_a_tiny_exact_number_of_a_decimal_part_is_a_power_of_ten():
    latex = Printer(in_decimals(derive.kinds.KINDS["graph"].notation))
    assert latex.doprint(sympy.Rational(1, 10 ** 8)) == "10^{-8}"
    assert latex.doprint(sympy.Rational(5, 10 ** 12)) == r"5 \cdot 10^{-12}"
    assert scientific(sympy.Rational(1, 3 * 10 ** 6)) is None                      # no exact mantissa: a fraction
    assert Printer().doprint(sympy.Rational(1, 10 ** 8)) == r"\frac{1}{100000000}"  # a part of whole numbers


def test_adam_epsilon_in_the_graph_example_and_the_optimizer_kind():
    for name in ("graph", "optimizer"):
        text = derive.render(derive.solve(derive.loads(KINDS[name].example())), "markdown")
        assert r"\varepsilon = 10^{-8}" in text
        assert "0.00000001" not in text


def test_the_newton_tolerance_is_a_power_of_ten_in_maths():
    """The fixed point's Newton step says its tolerance as 10^{-12}, not the programmer's 1e−12."""
    text = derive.render(derive.solve(derive.load()), "markdown")
    assert "an error far below the $10^{-12}$ needed" in text and "1e−12" not in text and "1e-12" not in text


def test_a_rule_built_term_by_term_prints_as_built_and_other_sums_as_usual():
    """The trigger both ways: μb + (1 − τ)g built unevaluated keeps its order (SymPy's own is g(1 − τ) + bμ); the
    same sum evaluated, and a built sum with a number term (d(k − 1) + 1), print as SymPy orders them."""
    mu, b, g, tau, d, k = sympy.symbols("mu b g tau d k")
    built = sympy.Add(sympy.Mul(mu, b, evaluate=False),
                      sympy.Mul(sympy.Add(1, sympy.Mul(-1, tau, evaluate=False), evaluate=False), g, evaluate=False),
                      evaluate=False)
    latex = Printer()
    assert latex.doprint(built) == r"\mu b + \left(1 - \tau\right) g"
    assert latex.doprint(mu * b + (1 - tau) * g) == sympy.latex(mu * b + (1 - tau) * g)
    with_number = sympy.Add(sympy.Mul(d, sympy.Add(k, -1, evaluate=False), evaluate=False), 1, evaluate=False)
    assert latex.doprint(with_number) == sympy.latex(with_number)
    html = MathML().doprint(built)
    assert html.index("μ") < html.index("τ") < html.index(">g<")


@pytest.mark.parametrize("training, uses_dropout, noted", [(False, True, True), (True, True, False),
                                                           (False, False, False)])
def test_the_evaluation_note_only_for_dropout_at_evaluation(training, uses_dropout, noted):
    """The note on model.eval() is said where its trigger holds: training = false and an equation uses dropout."""
    forward = '["h = dropout(x, m, 0.5)", "L = sum(h)"]' if uses_dropout else '["h = 2 * x", "L = sum(h)"]'
    text = graph("{ x = [1, 2], m = [1, 0] }", forward, extra=f"training = {str(training).lower()}")
    assert ("The network is evaluated (training is false" in text) == noted
