"""Every format says the same thing: each answer's maths and sentence, and every number of its JSON
value, appear in the LaTeX key, the slides, the Markdown and the HTML (as MathML)."""

import json
import re

import markupsafe
import pytest
import sympy

import derive
from derive.formats import latex as tex
from derive.formats import markdown as md
from derive.formats import mathml
from derive.formats.layout import ARTICLE, SLIDE


@pytest.fixture(scope="module")
def outputs(hw5):
    return {fmt: derive.render(hw5, fmt) for fmt in ("latex", "beamer", "markdown", "html", "json")}


def questions(hw5):
    return {q.id: q for q in hw5.questions()}


MARKERS = {"latex": "\\textbf{{Answer {}.}}", "beamer": "\\begin{{deriveanswer}}{{Answer {}}}",
           "markdown": "**Answer {}.**", "html": "<strong>Answer {}.</strong>"}
ENDS = {"latex": ("\\end{minipage}",), "beamer": ("\\end{deriveanswer}",),
        "markdown": ("\n> **Note.**", "\n**", "\n#"), "html": ("<aside", "</article>")}


def answer_section(text: str, qid: str, fmt: str) -> str:
    """A question's answer as a format renders it: from its label to the end of its box."""
    start = text.index(MARKERS[fmt].format(qid))
    ends = [i for i in (text.find(end, start + 1) for end in ENDS[fmt]) if i > 0]
    return text[start:min(ends, default=len(text))]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["latex", "beamer", "markdown"])
def test_answer_maths_in_every_tex_format(hw5, outputs, fmt):
    for q in hw5.questions():
        section = answer_section(outputs[fmt], q.id, fmt)
        if q.answer.chain is not None:
            for expr in q.answer.chain.exprs:
                assert tex.math(expr, q.notation) in section, (fmt, q.id, tex.math(expr, q.notation))
        sentence = md.text(q.answer.text, q.notation) if fmt == "markdown" else tex.text(q.answer.text, q.notation)
        assert sentence in section, (fmt, q.id)


def test_answer_maths_in_html(hw5, outputs):
    for q in hw5.questions():
        section = answer_section(outputs["html"], q.id, "html")
        if q.answer.chain is not None:
            for expr in q.answer.chain.exprs:
                assert mathml.element(expr, q.notation) in section, (q.id, expr)
        words = [p for p in q.answer.text.pieces if isinstance(p, str)]
        for piece in words:
            assert str(markupsafe.escape(tex.glue(piece))) in section, (q.id, piece)      # signs held (glue)


def numbers(value) -> set[str]:
    """Every integer of a JSON answer value (verdicts and floats are checked by the JSON tests)."""
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int):
        return {str(value)}
    if isinstance(value, (list, tuple)):
        return set().union(*(numbers(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(numbers(v) for k, v in value.items() if k not in ("T",))) if value else set()
    return set()


def test_json_values_are_in_every_format(hw5, outputs):
    parts = {p["id"]: p for p in json.loads(outputs["json"])["parts"]}
    assert list(parts) == list(questions(hw5))
    for qid, part in parts.items():
        q = questions(hw5)[qid]
        assert part["answer"]["latex"] == derive.formats.answer_latex(q.answer, q.notation)
        for fmt in ("latex", "beamer", "markdown", "html"):
            section = answer_section(outputs[fmt], qid, fmt)
            for number in numbers(part["answer"]["value"]):
                assert re.search(rf"(?<!\d)(?<!\d\.){number}(?!\d|\.\d)", section), (fmt, qid, number)
        value = part["answer"]["value"]
        if isinstance(value, dict) and "verdict" in value:
            for fmt in ("latex", "beamer", "markdown", "html"):
                section = answer_section(outputs[fmt], qid, fmt)
                assert value["verdict"].capitalize() in section
                assert f"{value['factor']:.6g}" in section                  # the factor, as the key rounds it


def test_symbolic_values_match_the_displayed_answer(hw5):
    """A derivative's JSON string and the boxed expression are the same function of z; a matrix's
    entries are the boxed matrix's."""
    from derive.mathparse import Z
    for q in hw5.questions():
        if q.ask == "derivative":
            shown = q.answer.chain.exprs[1]
            value = sympy.sympify(q.answer.value, locals={"z": Z})          # derive's own output, not user text
            assert sympy.simplify(shown.subs({s: Z for s in shown.free_symbols if s.name == "z"}) - value) == 0
        if q.ask == "matrix":
            shown = q.answer.chain.last
            assert [[str(e) for e in row] for row in shown.tolist()] == q.answer.value


def test_same_questions_everywhere(hw5, outputs):
    problems = {fmt: derive.render(hw5, fmt, sheet="problems") for fmt in ("latex", "markdown", "beamer")}
    for q in hw5.questions():
        article, slide = tex.text(q.text, q.notation, ARTICLE), tex.text(q.text, q.notation, SLIDE)   # as laid out
        assert article in outputs["latex"] and article in problems["latex"]
        assert slide in outputs["beamer"] and slide in problems["beamer"]
        assert md.text(q.text, q.notation) in outputs["markdown"] and md.text(q.text, q.notation) in problems["markdown"]


# --- a broader set: every kind, many options ----------------------------------------------

BROAD = """
title = "Breadth: every kind, many options"

[[problem]]
title = "Recurrent units"
kind = "rnn-activation"
W_a = 2
b = 0
a0 = 0.5
  [[problem.part]]
  activation = "tanh"
  ask = ["derivative", "stability"]
  [[problem.part]]
  activation = "relu"
  W_a = 1.5
  ask = ["derivative", "stability"]
  [[problem.part]]
  activation = '\\frac{1}{1 + e^{-z}}'
  W_a = [[0.5, 1], [-1, 0.5]]
  b = [0, 0]
  a0 = [0.1, 0.2]
  ask = ["derivative", "stability"]

[[problem]]
title = "A deeper CNN"
kind = "cnn-dims"
input = [32, 31, 3]
layers = [
  { type = "conv", filters = 8, kernel = [3, 5], stride = 2, padding = 1 },
  { type = "avgpool", kernel = 2 },
  { type = "conv", filters = 4, kernel = 3, dilation = 2 },
]
  [[problem.part]]
  ask = ["params", "total-params", "shapes", "same-padding", "receptive-field"]

[[problem]]
title = "Conv1d"
kind = "conv1d-matrix"
length = 6
width = 3
stride = 2
padding = 1
  [[problem.part]]
  ask = ["matrix", "jacobian"]
  signs = ["+", "+", "-"]
  [[problem.part]]
  ask = ["gradient", "input-gradient"]
  wrt = "f2"
  signs = ["+", "-", "+"]
"""


@pytest.fixture(scope="module")
def broad():
    return derive.solve(derive.loads(BROAD))


def symbols_of(doc):
    exprs = []
    for problem in doc.problems:
        for part in problem.parts:
            texts = [part.setting] if part.setting is not None else []
            for q in part.questions:
                texts += [q.text, q.answer.text, *q.notes, *(s.text for s in q.steps)]
                chains = [c for s in q.steps for c in s.chains] + ([q.answer.chain] if q.answer.chain else [])
                exprs += [e for c in chains for e in c.exprs]
            exprs += [e for t in texts for e in t.expressions()]
    return {s.name for e in exprs for s in sympy.sympify(e).atoms(sympy.Symbol)}


def test_every_notation_is_structure():
    """Every symbol's written form, in every kind, is structure (derive.written), never LaTeX in a string, and
    prints in LaTeX and MathML (derive/formats/written_*)."""
    from xml.dom.minidom import Document
    from derive.formats import written_mathml, written_tex
    from derive.kinds import KINDS
    from derive.written import check
    forms = {}
    for kind in KINDS.kinds():
        forms.update({str(k): kind.notation[k] for k in kind.notation})
        forms.update({name: kind.notation.matrix_written(name) for name in kind.notation._matrices})
    assert len(forms) > 50
    for name, form in forms.items():
        check(form)
        assert written_tex.tex(form) and written_mathml.element(Document(), form).toxml(), name


def test_broad_set_in_every_format(broad, tmp_path):
    from test_html import parse
    from test_markdown import maths_balance
    import xml.etree.ElementTree as ET
    outputs = {fmt: derive.render(broad, fmt) for fmt in ("latex", "beamer", "markdown", "html")}
    page = parse(outputs["html"])
    assert page.errors == [] and "script" not in page.tags
    for formula in re.findall(r"<math\b.*?</math>", outputs["html"], flags=re.S):
        ET.fromstring(formula)
    assert maths_balance(outputs["markdown"]) == []
    assert maths_balance(derive.render(broad, "markdown", sheet="problems")) == []
    for q in broad.questions():
        for fmt in ("latex", "beamer", "markdown"):
            section = answer_section(outputs[fmt], q.id, fmt)
            for expr in (q.answer.chain.exprs if q.answer.chain is not None else ()):
                assert tex.math(expr, q.notation) in section, (fmt, q.id)
        section = answer_section(outputs["html"], q.id, "html")
        for expr in (q.answer.chain.exprs if q.answer.chain is not None else ()):
            assert mathml.element(expr, q.notation) in section, q.id


@pytest.mark.slow
def test_broad_set_compiles(broad, tmp_path):
    """The slides have no overfull box; the article compiles (a long inline formula in a deriver's prose
    can still overrun its line there: TeX cannot break it)."""
    from conftest import need_tex
    from test_latex import compile_tex, overfull
    need_tex()
    assert overfull(compile_tex(derive.render(broad, "beamer"), tmp_path, "slides")) == []
    assert overfull(compile_tex(derive.render(broad, "beamer", sheet="problems"), tmp_path, "pslides")) == []
    compile_tex(derive.render(broad, "latex"), tmp_path, "key")
    compile_tex(derive.render(broad, "latex", sheet="problems"), tmp_path, "sheet")
    snippets = derive.formats.snippets(broad, "latex")
    for name, text in snippets.items():
        (tmp_path / f"b-{name}").write_text(text)
    frames = "\n".join(f"\\begin{{frame}}[allowframebreaks]{{{n[:-4]}}}\n\\input{{b-{n[:-4]}}}\n\\end{{frame}}"
                       for n in snippets if n != "preamble.tex")
    deck = f"\\documentclass{{beamer}}\n\\input{{b-preamble}}\n\\begin{{document}}\n{frames}\n\\end{{document}}\n"
    assert overfull(compile_tex(deck, tmp_path, "snippets")) == []
