"""The Markdown key: $-maths that balance, answers and notes visible, prose escaped, and it renders
with Python-Markdown + pymdownx.arithmatex (what MkDocs uses)."""

import re

import pytest

import derive
from derive.figures import without as without_figures
from derive.formats import latex as tex
from derive.formats import markdown as md


def maths_balance(text: str) -> list[str]:
    """Problems with the maths delimiters: $$ blocks must close; outside them every paragraph has an
    even number of unescaped $ (inline maths open and close in the same paragraph)."""
    problems = []
    if text.count("$$") % 2:
        problems.append(f"odd number of $$: {text.count('$$')}")
    outside = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    for paragraph in re.split(r"\n\s*\n", outside):
        dollars = len(re.findall(r"(?<!\\)\$", paragraph))
        if dollars % 2:
            problems.append(f"odd number of $ in: {paragraph[:120]!r}")
    return problems


@pytest.fixture(scope="module")
def key(hw5):
    return derive.render(hw5, "markdown")


def test_delimiters_balance(hw5, key):
    assert maths_balance(key) == []
    assert maths_balance(derive.render(hw5, "markdown", sheet="problems")) == []
    assert maths_balance("a $x$ and $y") and maths_balance("$$\nx")        # the checker itself bites


def test_every_question_answer_and_note(hw5, key):
    for q in hw5.questions():
        assert f"**Answer {q.id}.**" in key
        if q.answer.chain is not None:
            assert tex.chain_rows(q.answer.chain, tex.ARTICLE, q.notation)[0][0] in key
        for note in q.notes:
            assert f"> **Note.** {md.text(note, q.notation)}" in key
    assert key.count("\\boxed{") == sum(q.answer.chain is not None for q in hw5.questions())
    assert key.startswith("# HW5 Written Part\n") and key.endswith("\n") and not key.endswith("\n\n")
    assert "\n\n\n" not in key


def test_displays_sit_inside_their_list_items(key):
    """A display belongs to its step: indented four spaces under '1. ...' (CommonMark and Python-Markdown)."""
    for block in re.findall(r"\n( *)\$\$\n(.*?)\n *\$\$", key, flags=re.S):
        indent, body = block
        assert indent in ("", "    ")
        assert body.lstrip().startswith(("\\begin{aligned}", "\\boxed{"))


def test_escape():
    assert md.escape("a_b * c $5 <x> #1 [l](u) | & d") == r"a\_b \* c \$5 &lt;x&gt; \#1 \[l\](u) \| &amp; d"
    assert md.escape("two\nlines\u202e") == "two lines"


def test_no_live_markup_from_user_text():
    """Rendered as MkDocs renders it, hostile text in every field stays text: no element but the template's."""
    import markdown
    hostile = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))",
               "<javascript:alert(1)>", "&lt;b&gt;", "<!-- c -->"]
    for bad in hostile:
        doc = derive.solve(derive.from_mapping({"title": bad, "due": bad, "problem": [{
            "title": bad, "kind": "rnn-activation", "W_a": 1, "called": bad,
            "part": [{"activation": "tanh", "ask": "derivative"}]}]}))
        html = markdown.markdown(derive.render(doc, "markdown"), extensions=["pymdownx.arithmatex"],
                                 extension_configs={"pymdownx.arithmatex": {"generic": True}})
        assert "<script" not in html and "<img" not in html and "<!--" not in html, bad
        assert "href" not in html, bad


NASTY = r"Week #3: *bold* _it_ $x$ <b>tag</b> [link](http://x) `code` | pipe \ back"


def test_user_text_is_escaped():
    doc = derive.solve(derive.loads(f"""
title = '{NASTY}'
[[problem]]
title = '{NASTY}'
kind = "cnn-dims"
input = [8, 8, 1]
layers = [{{ type = "conv", filters = 2, kernel = 3 }}]
  [[problem.part]]
  ask = "params"
"""))
    text = derive.render(doc, "markdown")
    assert md.escape(NASTY) in text and NASTY not in text
    assert maths_balance(text) == []


def test_renders_with_python_markdown_and_arithmatex(hw5, key):
    markdown = pytest.importorskip("markdown")
    pytest.importorskip("pymdownx.arithmatex")
    html = markdown.markdown(key, extensions=["pymdownx.arithmatex"],
                             extension_configs={"pymdownx.arithmatex": {"generic": True}})
    displays = re.findall(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', html, flags=re.S)
    inline = re.findall(r'<span class="arithmatex">\\\((.*?)\\\)</span>', html, flags=re.S)
    assert len(displays) == key.count("$$") // 2
    assert len(inline) >= 40
    assert "$" not in re.sub(r'<(div|span) class="arithmatex">.*?</\1>', "", html, flags=re.S)   # none left raw
    assert html.count("<blockquote>") == sum(1 for q in hw5.questions() if q.notes)
    assert html.count("<strong>Answer ") == 10
    for q in hw5.questions():
        assert f"<strong>Answer {q.id}.</strong>" in html


def test_notebook_displays(hw5):
    q = next(q for q in hw5.questions() if q.id == "3a")
    cell = q._repr_markdown_()
    assert cell.startswith("**3a.** ") and "**Answer 3a.**" in cell and maths_balance(cell) == []
    answer = q.answer._repr_markdown_()
    assert answer.startswith("**Answer.**") and "\\boxed{" in answer
    part = hw5.problems[1].parts[0]._repr_markdown_()
    assert part.startswith("### 2a\n") and maths_balance(part) == []
    problem = hw5.problems[2]._repr_markdown_()
    assert problem.startswith("## Problem 3: 1D Convolutions") and "**Answer 3b.**" in problem
    assert hw5._repr_markdown_() == derive.render(without_figures(hw5), "markdown")     # no files beside a notebook


def test_notebook_latex(hw5):
    q = next(q for q in hw5.questions() if q.id == "1a.i")
    assert q.answer._repr_latex_().startswith("$\\frac{\\partial a^{(i)\\langle t\\rangle}}")
    assert "\\begin{align*}" in q._repr_latex_() and "\\documentclass" not in q._repr_latex_()
    assert hw5._repr_latex_().startswith("\\section*{Problem 1: RNN Activation Functions}")
    assert hw5.problems[0].parts[1]._repr_latex_().startswith("\\subsection*{1b}")
