"""Displays laid out to fit: widths estimated as TeX sets them (checked against pdflatex itself), a chain broken
at its relations, a long side at + and − and inside a wide bracket, a matrix too big for the room shown in part
with its size, in LaTeX and MathML alike."""

import re
import xml.etree.ElementTree as ET

import pytest
import sympy

from derive.formats import html, layout, mathml, measure
from derive.formats import latex as tex
from derive.formats.layout import ARTICLE, SLIDE, Room
from derive.notation import Notation
from derive.steps import Chain

from conftest import need_tex
from test_latex import compile_tex

# Formulas of the kinds derive prints: scripts, fractions, fences, named functions, matrices, arrays, dots.
FORMULAS = [
    r"\frac{\partial a^{(i)\langle t\rangle}}{\partial a^{(i)\langle t-1\rangle}} = W_a^{[1]} \frac{e^{z}}{\left(e^{z} + 1\right)^{2}}",
    r"f^{\langle t\rangle} + o^{\langle t-1\rangle} \left(1 - \tanh^{2}{\left(c^{\langle t-1\rangle} \right)}\right)",
    r"\left[\begin{matrix}f_{11} & f_{12} & 0 & 0\\0 & f_{11} & f_{12} & 0\\0 & 0 & f_{11} & f_{12}\end{matrix}\right]",
    r"\left[\begin{array}{ccccccccccccc}1 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & \cdots & 0\\0 & 1 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & 0 & \cdots & 1\end{array}\right]",
    r"w_{1}^{(2)} = w_{1}^{(1)} - \eta \frac{\hat{m}_{1}^{(2)}}{\sqrt{\hat{v}_{1}^{(2)}} + \varepsilon}",
    r"m_{h} = \left\lfloor \frac{h + p_{t} + p_{b} - d_{h} \left(k_{h} - 1\right) - 1}{s_{h}} \right\rfloor + 1",
    r"\operatorname{relu}'\left(z_{22}\right) \cdot \sigma\left(U_{f} h^{\langle t-1\rangle} + W_{f} x^{\langle t\rangle} + b_{f}\right)",
    r"\left.\frac{\partial c^{\langle 2\rangle}}{\partial c^{\langle 1\rangle}}\right|_{h^{\langle 1\rangle}} \approx 0.739152",
    r"\underbrace{\left[\begin{matrix}x_{1}\\x_{2}\\\vdots\\x_{16}\end{matrix}\right]}_{16 \times 1} \le \sum x_{k}^{2}",
    r"V T = 1000 \quad \tilde{c}^{\langle 2\rangle} i^{\langle 2\rangle} \left(1 - i^{\langle 2\rangle}\right)",
    r"\begin{matrix}1 & \cdots & 2\end{matrix}",                 # amsmath's \cdots ends a cell with a thin space
    r"x_{1}^{(i)} + x_{2}^{(i)} \cdots x_{16}^{(i)}",
]


@pytest.fixture(scope="module")
def tex_widths(tmp_path_factory):
    """pdflatex's own widths (pt, at 10 pt) of FORMULAS in display and text style, and of some laid-out rows."""
    need_tex()
    sums = _long_sum_rows()
    body = [rf"\sbox0{{${style} {f}$}}\typeout{{W{k}-{name}=\the\wd0}}"
            for k, f in enumerate(FORMULAS) for name, style in (("D", r"\displaystyle"), ("T", r"\textstyle"))]
    body += [rf"\sbox0{{$\displaystyle {row}$}}\typeout{{R{k}=\the\wd0}}" for k, row in enumerate(sums)]
    doc = "\\documentclass[10pt]{article}\\usepackage{amsmath,amssymb}\\begin{document}\n" + "\n".join(body) + \
          "\n\\end{document}\n"
    log = compile_tex(doc, tmp_path_factory.mktemp("widths"), "widths")
    return {key: float(pt) for key, pt in re.findall(r"([WR][\d]+(?:-[DT])?)=([\d.]+)pt", log)}


@pytest.mark.slow
def test_widths_are_texs(tex_widths):
    """The estimate is within −4 % and +10 % of the width pdflatex sets (over, rather than under: a display
    is broken a little early rather than run off the page)."""
    for k, formula in enumerate(FORMULAS):
        for style in "DT":
            real = tex_widths[f"W{k}-{style}"]
            estimate = measure.width(formula, style) * 10
            assert 0.96 * real <= estimate <= 1.10 * real, (formula, style, real, estimate)


def _long_sum() -> Chain:
    x = sympy.symbols("x1:25")
    return Chain((sympy.Symbol("z"), sympy.Add(*[(k + 2) * s for k, s in enumerate(x)], evaluate=False)), ("=",))


def _long_sum_rows() -> list[str]:
    return [f"{left} {right}" for left, right in tex.chain_rows(_long_sum(), Room(20.0, 40), Notation())]


@pytest.mark.slow
def test_a_long_sum_breaks_at_plus_and_every_line_fits(tex_widths):
    """A sum too wide for the room continues on lines that start with its + signs, each within the room as
    pdflatex sets it; no term is lost."""
    rows = _long_sum_rows()
    assert len(rows) > 2
    for k, row in enumerate(rows):
        assert tex_widths[f"R{k}"] <= 20.0 * 10, (row, tex_widths[f"R{k}"])
    assert all(re.match(r"\\quad \{\}\+ ", row.strip()) for row in rows[1:])
    terms = re.findall(r"\d+ x_\{\d+\}", " ".join(rows))
    assert terms == re.findall(r"\d+ x_\{\d+\}", tex.math(_long_sum().exprs[1])) and len(terms) == 24


def _bracketed() -> Chain:
    """a = d (1 − tanh² a)(u₀v₀ + … + u₁₃v₁₃): a product whose last factor is a long sum."""
    a, d = sympy.symbols("a d")
    inner = sympy.Add(*[sympy.Symbol(f"u_{k}") * sympy.Symbol(f"v_{k}") for k in range(14)], evaluate=False)
    return Chain((a, sympy.Mul(d, sympy.Add(1, -sympy.tanh(a) ** 2, evaluate=False), inner, evaluate=False)), ("=",))


def test_a_short_chain_stays_on_one_row_and_a_wide_link_breaks_inside_its_bracket():
    a, b, c = sympy.symbols("a b c")
    short = Chain((a, b + c), ("=",))
    assert tex.chain_rows(short, ARTICLE) == [("a", "= b + c")]
    rows = tex.chain_rows(_bracketed(), Room(30.0, 40))
    assert len(rows) > 1 and all(layout.Room(30.0, 40).fits(right) for _, right in rows)
    opened = " ".join(right for _, right in rows)
    assert re.search(r"\\(big|Big|bigg|Bigg)l\(", opened) and re.search(r"\\(big|Big|bigg|Bigg)r\)", opened)


def test_a_left_side_too_wide_to_align_sets_the_rows_flush_left():
    wide_left = sympy.Add(*sympy.symbols("p0:30"), evaluate=False)
    rows = tex.chain_rows(Chain((wide_left, sympy.Symbol("q")), ("=",)), Room(30.0, 40))
    assert all(left == "" for left, _ in rows)
    assert any(right.startswith(r"\quad =") for _, right in rows)


def _wide_matrix_link() -> Chain:
    """J = M: a 3 × 3 matrix a little narrower than a slide's line, its entries products that cannot be broken,
    beside a left side that makes the row wider than the line."""
    s = [sympy.Symbol(f"s_{k}") for k in range(3)]
    m = sympy.ImmutableMatrix(3, 3, lambda i, j: sympy.Mul(sympy.Float(0.75), s[i], 1 - s[i], evaluate=False))
    left = sympy.Symbol("J") ** 2 / sympy.Symbol("K") ** 2
    return Chain((left, m), ("=",))


def test_a_matrix_too_wide_beside_its_left_side_is_set_under_it_when_its_chain_is_alone():
    """Alone in its display, a chain whose matrix cannot be broken and runs past the line (``room.line``) beside
    its left side is set flush left, the matrix under the left side, within the line; in a display shared with
    other chains (one left column for all) it stays aligned. MathML rows alike."""
    chain, room = _wide_matrix_link(), layout.Room(22.0, 10, True, 56, 13.5, 25.0)
    aligned = tex.chain_rows(chain, room, Notation())
    flush = tex.chain_rows(chain, room, Notation(), alone=True)
    assert aligned[0][0] != "" and len(aligned) == 1
    assert [left for left, _ in flush] == ["", ""] and flush[1][1].startswith(r"\quad = \left[")
    assert measure.width(" ".join(aligned[0])) * layout.SLACK > room.line
    assert max(measure.width(right) for _, right in flush) < measure.width(" ".join(aligned[0]))
    assert len(html.Typesetter(room, Notation()).rows(chain, alone=True)) == 2
    assert len(html.Typesetter(room, Notation()).rows(chain)) == 1


def _banded(rows: int, cols: int) -> sympy.ImmutableMatrix:
    f = sympy.symbols("f_11 f_12")
    return sympy.ImmutableMatrix(rows, cols, lambda i, j: f[j - i] if 0 <= j - i < 2 else 0)


def test_a_matrix_wider_than_the_room_shows_its_first_and_last_columns_and_its_size():
    big = _banded(9, 40)
    shown = tex.math(big, Notation(), ARTICLE)
    assert shown.startswith(r"{\underbrace{") and shown.endswith(r"}_{9 \times 40}}")
    first = re.search(r"\\begin\{(?:matrix|array\}\{c+)\}?(.*?)\\\\", shown).group(1).split(" & ")
    assert first[:3] == ["f_{11}", "f_{12}", "0"] and first[-2:] == [r"\cdots", "0"]
    assert layout.Room(ARTICLE.width, 40).fits(shown)
    assert tex.math(big, Notation()).count("&") == 9 * 39          # without a room (the JSON's), every entry
    assert r"\underbrace" not in tex.math(_banded(3, 4), Notation(), ARTICLE)
    assert tex.math(sympy.Transpose(big), Notation(), ARTICLE).endswith(r"}_{9 \times 40}}^{T}")   # T beside it


def test_a_matrix_taller_than_a_slide_shows_its_first_and_last_rows():
    column = sympy.ImmutableMatrix([[sympy.Symbol(f"x_{k}")] for k in range(1, 17)])
    shown = tex.math(column, Notation(), SLIDE)
    rows = re.search(r"\\begin\{matrix\}(.*)\\end\{matrix\}", shown).group(1).split(r"\\")
    assert len(rows) == SLIDE.rows and rows[-2] == r"\vdots" and rows[-1] == "x_{16}" and rows[0] == "x_{1}"
    assert "16 \\times 1" in shown
    assert r"\vdots" not in tex.math(column, Notation(), ARTICLE)       # a page holds 16 rows


def test_a_product_of_two_matrices_shown_in_part_breaks_between_them():
    """A matrix shown in part is a braced group under its size, an ordinary atom as wide as its matrix; the one
    after it in a product too wide for a slide is still a factor to break before (a column 2.6 em wide, but tall)."""
    column = sympy.ImmutableMatrix([[sympy.Symbol(f"d_{k}")] for k in range(1, 29)])
    product = sympy.MatMul(_banded(4, 28), column, evaluate=False)
    rows = tex.chain_rows(Chain((sympy.Symbol("g"), product), ("=",)), SLIDE, Notation())
    assert len(rows) == 2 and rows[1][1].startswith(r"\quad {}\cdot {\underbrace{") and "28 \\times 1" in rows[1][1]
    assert all(SLIDE.fits(f"{left} {right}") for left, right in rows)


def _fractions(n: int) -> sympy.ImmutableMatrix:
    z = sympy.symbols(f"z1:{n + 1}")
    return sympy.ImmutableMatrix([[sympy.exp(v) / (sympy.exp(v) + 1) ** 2] for v in z])


@pytest.mark.slow
def test_a_column_of_fractions_shows_as_many_rows_as_fit_a_slides_plain_rows(tmp_path):
    """Rows of fractions are taller than rows of letters, so fewer of them are shown: as pdflatex sets them, the
    shown part of a 16-row column of fractions is no taller than a 16-row column of letters shown on a slide."""
    need_tex()
    letters = sympy.ImmutableMatrix([[sympy.Symbol(f"x_{k}")] for k in range(1, 17)])
    shown = [tex.math(m, Notation(), SLIDE) for m in (letters, _fractions(16))]
    counts = [re.search(r"\\begin\{matrix\}(.*)\\end\{matrix\}", s).group(1).count("\\\\") + 1 for s in shown]
    assert counts[0] == SLIDE.rows and 3 <= counts[1] < SLIDE.rows
    body = [rf"\sbox0{{$\displaystyle {s}$}}\typeout{{H{k}=\the\dimexpr\ht0+\dp0\relax}}" for k, s in enumerate(shown)]
    log = compile_tex("\\documentclass[10pt]{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
                      + "\n".join(body) + "\n\\end{document}\n", tmp_path, "heights")
    heights = [float(re.search(rf"H{k}=([\d.]+)pt", log).group(1)) for k in range(2)]
    assert heights[1] <= heights[0]


def test_mathml_elides_as_the_latex_does():
    big = _banded(16, 40)
    shown = tex.math(big, Notation(), SLIDE)
    latex_rows = [r.split(" & ") for r in re.search(r"\{c+\}(.*)\\end\{array\}", shown).group(1).split(r"\\")]
    node = ET.fromstring(f"<math>{mathml.element(big, Notation(), SLIDE)}</math>")
    mathml_rows = [[td for td in tr] for tr in node.iter("mtr")]
    assert [len(r) for r in mathml_rows] == [len(r) for r in latex_rows]
    dots = {r"\cdots": "\u22ef", r"\vdots": "\u22ee", r"\ddots": "\u22f1"}
    for lrow, mrow in zip(latex_rows, mathml_rows):
        for cell, td in zip(lrow, mrow):
            if cell in dots:
                assert "".join(td.itertext()) == dots[cell]
    assert node.find("munder") is not None and "".join(node.find("munder")[1].itertext()) == "16\u00d740"


def test_html_breaks_a_long_sum_where_the_latex_does():
    chain, room = _long_sum(), Room(20.0, 40)
    latex_rows = tex.chain_rows(chain, room, Notation())
    mathml_rows = html.Typesetter(room, Notation()).rows(chain)
    assert len(mathml_rows) == len(latex_rows) > 2
    for (_, right), (_, mright) in zip(latex_rows, mathml_rows):
        assert len(re.findall(r"x_\{\d+\}", right)) == len(re.findall(r"<msub><mi>x</mi>", str(mright)))


def test_html_breaks_inside_the_bracket_the_latex_opens():
    """The widest bracket, not (1 − tanh² a), opens across lines, in MathML as in LaTeX."""
    room = Room(30.0, 40)
    latex_rows = tex.chain_rows(_bracketed(), room, Notation())
    mathml_rows = [str(right) for _, right in html.Typesetter(room, Notation()).rows(_bracketed())]
    assert len(mathml_rows) == len(latex_rows) > 1
    for (_, right), mright in zip(latex_rows, mathml_rows):
        assert len(re.findall(r"u_\{\d+\}", right)) == len(re.findall(r"<msub><mi>u</mi>", mright))
    assert "tanh" in mathml_rows[0]


def test_a_slides_answer_taller_than_a_box_continues_in_another():
    """On a slide an answer's rows go into a new box once they would pass the room's tall (a box cannot continue on
    the next frame); the new box repeats the left side; an article keeps them in one."""
    column = r"\left[\begin{matrix}" + r"\\".join(rf"\phi'\left(z_{{{r}}}\right) x_{{{r}}}" for r in range(1, 7)) \
        + r"\end{matrix}\right]"
    rows = [(r"\frac{\partial a}{\partial f_{1}}", f"= {column}"), ("", f"= {column}")]
    tall = measure.measure(f"{rows[0][0]} {rows[0][1]}")
    assert SLIDE.tall < 2 * (tall.height + tall.depth) < ARTICLE.tall
    assert layout.boxes(rows, SLIDE) == [[rows[0]], [(rows[0][0], rows[1][1])]]
    assert layout.boxes(rows, ARTICLE) == [rows]
    short = [("a", "= 1"), ("", "= 2"), ("", "= 3")]
    assert layout.boxes(short, SLIDE) == [short]


def test_a_column_of_long_sums_is_set_on_lines_on_a_slide():
    """A 5 × 5 input under a 3 × 3 filter: F x written out is a column of nine-term sums, wider than a slide; on
    a slide each entry is broken before a + into lines no wider than the room, every term kept; on a page the
    column is as it was."""
    x = sympy.Matrix(5, 5, lambda i, j: sympy.Symbol(f"x_{{{i + 1}{j + 1}}}"))
    f = sympy.Matrix(3, 3, lambda i, j: sympy.Symbol(f"f_{{{i + 1}{j + 1}}}"))
    column = sympy.ImmutableMatrix([sum(f[a, b] * x[r + a, c + b] for a in range(3) for b in range(3))
                           for r in range(3) for c in range(3)])
    cells = [[tex.math(e)] for e in column]
    assert layout.wide(cells[0][0], SLIDE.width - layout.MATRIX_MARGIN - layout.BRACKETS)
    broken = layout.on_lines(cells, SLIDE)
    limit = (SLIDE.width - layout.MATRIX_MARGIN) / layout.SLACK - layout.BRACKETS
    for (cell,), (whole,) in zip(broken, cells):
        inner = cell.removeprefix(r"\begin{aligned}&").removesuffix(r"\end{aligned}").split(r"\\&")
        assert len(inner) == 2 and all(not layout.wide(line, limit) for line in inner)
        assert re.sub(r"\\quad|\{\}|\s", "", "".join(inner)) == re.sub(r"\s", "", whole)
    assert layout.on_lines(cells, ARTICLE) == cells
    assert r"\begin{aligned}" in tex.math(column, room=SLIDE) and r"\begin{aligned}" not in tex.math(column, room=ARTICLE)


def test_a_column_far_too_wide_for_a_page_is_set_on_lines_there_too():
    """With channel superscripts the nine-term sums (x^{(i)[1]}, f^{(1,1)}) are 139 pt wider than the article's
    text: on a page too such an entry is set on lines, each within the text width; one only a little too wide
    (under PAGE_OVER) stays as it is."""
    x = sympy.Matrix(5, 5, lambda i, j: sympy.Symbol(f"x_{{{i + 1}{j + 1}}}^{{(i)[1]}}"))
    f = sympy.Matrix(3, 3, lambda i, j: sympy.Symbol(f"f_{{{i + 1}{j + 1}}}^{{(1,1)}}"))
    column = sympy.ImmutableMatrix([sum(f[a, b] * x[r + a, c + b] for a in range(3) for b in range(3))
                                    for r in range(2) for c in range(2)])
    cells = [[tex.math(e)] for e in column]
    limit = (ARTICLE.width - layout.MATRIX_MARGIN) / layout.SLACK - layout.BRACKETS
    assert layout.wide(cells[0][0], limit * layout.PAGE_OVER)
    for (cell,), (whole,) in zip(layout.on_lines(cells, ARTICLE), cells):
        inner = cell.removeprefix(r"\begin{aligned}&").removesuffix(r"\end{aligned}").split(r"\\&")
        assert len(inner) >= 2 and all(not layout.wide(line, limit) for line in inner)
        assert re.sub(r"\\quad|\{\}|\s", "", "".join(inner)) == re.sub(r"\s", "", whole)
    short = [[cells[0][0].rsplit(" + ", 3)[0]]]
    assert layout.wide(short[0][0], limit) and not layout.wide(short[0][0], limit * layout.PAGE_OVER)
    assert layout.on_lines(short, ARTICLE) == short


def test_a_matrix_too_wide_leaves_out_at_least_two_columns():
    """A 5 × 5 gradient of long decimals (a graph's ∂L/∂W) is wider than a slide but fits with one column left
    out; dots in place of one column are no narrower, so two are left out and the matrix shown fits."""
    cells = [["-1.46314", "-2.19471", "-0.73157", "0.73157", "-0.73157"],
             ["0.00361734", "0.00542601", "0.00180867", "-0.00180867", "0.00180867"],
             ["1.45934", "2.18901", "0.729669", "-0.729669", "0.729669"], ["0"] * 5,
             ["0.000180097", "0.000270145", r"9.00483 \cdot 10^{-5}", r"-9.00483 \cdot 10^{-5}", r"9.00483 \cdot 10^{-5}"]]
    widths = [max(measure.measure(row[c], "T").width for row in cells) for c in range(5)]
    limit = SLIDE.width - layout.MATRIX_MARGIN
    assert layout._columns_width(widths, list(range(5))) > limit >= layout._columns_width(widths, [0, 1, 2, None, 4])
    rows, cols = layout.elision(cells, SLIDE)
    assert rows == list(range(5)) and cols == [0, 1, None, 4]
    assert layout.elision(cells, ARTICLE) is None or len(layout.elision(cells, ARTICLE)[1]) < 5


def test_a_long_vector_in_prose_shows_at_most_prose_rows():
    """A setting's 24-row input in prose shows its first rows, dots and the last, under its size (two such vectors
    on one line were taller than a page); the same vector in a display shows all the rows the page holds."""
    from derive.steps import say
    x = sympy.ImmutableMatrix([sympy.Symbol(f"x_{{{r}}}") for r in range(1, 25)])
    prose = tex.text(say("the input ", x, "."), room=ARTICLE)
    shown = re.search(r"\\begin\{matrix\}(.*?)\\end\{matrix\}", prose).group(1).split(r"\\")
    assert len(shown) <= tex.PROSE_ROWS and r"\vdots" in shown and "x_{24}" in shown[-1]
    assert r"24 \times 1" in prose
    assert "x_{13}" in tex.math(x, room=ARTICLE) and r"\vdots" not in tex.math(x, room=ARTICLE)
