"""`derive snippets`: one file a question and one a problem, no preamble, \\input-able in an article
and inside a beamer frame (both compiled), with the packages they need in <spec>-preamble.tex."""

import os
import re

import pytest
from click.testing import CliRunner

import derive
from derive.cli import cli

from conftest import need_tex
from test_latex import compile_tex, overfull
from test_markdown import maths_balance

IDS = "1a.i 1a.ii 1b.i 1b.ii 2a 2b 2c 2d 3a 3b".split()


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def latex_snippets(hw5):
    return derive.formats.snippets(hw5, "latex")


def test_file_names_and_default_folder(run, tmp_path, hw5):
    figures = {q.id: len(q.figures) for q in hw5.questions()}          # each figure a file of its own
    result = run("snippets")
    assert result.exit_code == 0, result.output
    expected = ["hw5-preamble.tex"]
    for number in "123":
        expected += [f"hw5-{number}.tex"]
        for i in IDS:
            if i.startswith(number):
                expected += [f"hw5-{i}.tex"] + [f"hw5-{i}-fig{k}.tex" for k in range(1, figures[i] + 1)]
    assert result.output.split() == [os.path.join("out", "snippets", name) for name in expected]
    assert sorted(p.name for p in (tmp_path / "out" / "snippets").iterdir()) == sorted(expected)


def test_no_preamble_in_snippets(latex_snippets):
    for name, text in latex_snippets.items():
        if name == "preamble.tex":
            assert "\\usepackage" in text and "\\documentclass" not in text
            continue
        for banned in ("\\documentclass", "\\usepackage", "\\begin{document}", "\\section", "\\begin{frame}"):
            assert banned not in text, (name, banned)


def test_only_and_markdown(run, tmp_path):
    result = run("snippets", "--format", "markdown", "--only", "1a.ii,2d", "-o", "slides")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "slides").iterdir())
    assert names == ["hw5-1.md", "hw5-1a.ii-fig1.svg", "hw5-1a.ii-fig2.svg", "hw5-1a.ii.md", "hw5-2.md",
                     "hw5-2d-fig1.svg", "hw5-2d.md"]
    question = (tmp_path / "slides" / "hw5-1a.ii.md").read_text()
    # the first question kept of its part carries the part's setting
    assert question.startswith("One recurrent unit with") and "\n\n**1a.ii.** Starting from" in question
    assert "**Answer 1a.ii.**" in question
    problem = (tmp_path / "slides" / "hw5-2.md").read_text()
    assert problem.startswith("## Problem 2: CNN dimensions") and "**Answer 2d.**" in problem
    assert "2a" not in problem
    for path in (tmp_path / "slides").iterdir():
        assert maths_balance(path.read_text()) == [], path.name


@pytest.mark.parametrize("args, message", [(["-o", "-"], "several files"), (["-f", "html"], "html"),
                                           (["-o", "afile"], "not a folder"), (["--only", "9z"], "no question 9z")],
                         ids=["stdout", "bad-format", "file", "bad-id"])
def test_usage_errors(run, tmp_path, args, message):
    (tmp_path / "afile").write_text("x")
    result = run("snippets", *args)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "out").exists()


def _inputs(snippets, wrap) -> str:
    body = []
    for name in snippets:
        if name != "preamble.tex":
            body.append(wrap(name[:-4], f"\\input{{hw5-{name[:-4]}}}"))
    return "\n".join(body)


def _write(snippets, tmp_path):
    for name, text in snippets.items():
        (tmp_path / f"hw5-{name}").write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_every_snippet_in_an_article(latex_snippets, tmp_path):
    """In an article with the key's margins, with the generated preamble: no overfull box."""
    need_tex()
    _write(latex_snippets, tmp_path)
    source = ("\\documentclass[11pt]{article}\n\\usepackage[margin=2.3cm]{geometry}\n\\input{hw5-preamble}\n"
              "\\begin{document}\n" + _inputs(latex_snippets, lambda n, i: f"\\section*{{{n}}}\n{i}\n")
              + "\\end{document}\n")
    log = compile_tex(source, tmp_path, "article")
    assert overfull(log) == []
    assert "\\fbox" not in log                                   # (nothing printed literally)


@pytest.mark.slow
@pytest.mark.parametrize("options", ["", "aspectratio=169"], ids=["4:3", "16:9"])
def test_every_snippet_in_a_beamer_frame(latex_snippets, tmp_path, options):
    """Inside frames of a plain beamer deck (default theme, default size): no overfull box."""
    need_tex()
    _write(latex_snippets, tmp_path)
    source = (f"\\documentclass[{options}]{{beamer}}\n\\input{{hw5-preamble}}\n\\begin{{document}}\n"
              + _inputs(latex_snippets, lambda n, i: f"\\begin{{frame}}[allowframebreaks]{{{n}}}\n{i}\n\\end{{frame}}\n")
              + "\\end{document}\n")
    log = compile_tex(source, tmp_path, "deck")
    assert overfull(log) == []


def test_deck_frames_are_the_snippets(hw5, latex_snippets):
    """A question's snippet is exactly what its frame in the beamer deck shows."""
    deck = derive.render(hw5, "beamer")
    for qid in IDS:
        body = latex_snippets[f"{qid}.tex"].split("\n", 2)[2]              # after the two comment lines
        assert body in deck, qid
    assert re.search(r"needs hw5-preamble\.tex", latex_snippets["1a.i.tex"])


def test_docs_example(latex_snippets, tmp_path):
    """The beamer example of docs/output.md, with the files `derive snippets` writes."""
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "output.md").read_text()
    section = page[page.index("## Snippets for slides"):]
    source = re.search(r"```latex\n(.*?)```", section, re.S).group(1)
    assert "\\input{hw5-preamble}" in source and "\\input{hw5-1a.ii}" in source
    need_tex()
    _write(latex_snippets, tmp_path)
    assert overfull(compile_tex(source, tmp_path, "docs")) == []
