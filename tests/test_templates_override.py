"""--templates DIR: the user's templates in front of the built-in ones; the worked example of docs/templates.md
works."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import derive
from derive.cli import cli

from conftest import need_tex
from test_latex import compile_tex, overfull

PAGE = Path(__file__).resolve().parent.parent / "docs" / "templates.md"


def docs_example() -> tuple[str, list[list[str]]]:
    """The worked example of docs/templates.md: the template's text and the commands run with it."""
    text = PAGE.read_text()
    section = text[text.index("## A worked example"):]
    template = re.search(r"Put this in `brand/latex/base\.tex\.j2`:\n\n```latex\n(.*?)```", section, re.S).group(1)
    commands = re.search(r"then\n\n```sh\n(.*?)```", section, re.S).group(1)
    runs = [line.split("#")[0].split()[1:] for line in commands.splitlines() if line.startswith("derive ")]
    return template, runs


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args))


@pytest.mark.slow
def test_docs_example(run, tmp_path):
    template, runs = docs_example()
    (tmp_path / "brand" / "latex").mkdir(parents=True)
    (tmp_path / "brand" / "latex" / "base.tex.j2").write_text(template)
    assert [r[0] for r in runs] == ["solutions", "problems"] and all("--templates" in r for r in runs)
    for args in runs:                                              # as LaTeX first: fast, and checkable
        latex = [a if a != "pdf" else "latex" for a in args]
        result = run(*latex)
        assert result.exit_code == 0, result.output
        source = (tmp_path / result.output.strip()).read_text()
        assert "\\fancyhead[L]{CS 230: Deep Learning}" in source
        assert "CS 230 \\textperiodcentered{} Stanford University" in source
        assert ("{\\large Solutions}" if args[0] == "solutions" else "{\\large Problems}") in source
        assert "\\section*{Problem 1: RNN Activation Functions}" in source           # the body is the built-in one
        if args[0] == "solutions":
            assert "\\textbf{Answer 1a.i.}" in source
    need_tex()
    for args in runs:
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert (tmp_path / result.output.strip()).read_bytes().startswith(b"%PDF")
    log = compile_tex((tmp_path / "out" / "hw5-solutions.tex").read_text(), tmp_path, "branded")
    assert overfull(log) == []


def test_same_name_replaces_a_built_in(tmp_path, hw5):
    (tmp_path / "markdown").mkdir()
    (tmp_path / "markdown" / "answer.md.j2").write_text("ANSWER {{ answer_id }}: {{ answer.text }}\n")
    text = derive.render(hw5, "markdown", templates=tmp_path)
    assert "ANSWER 2a: Layer 1: 280, layer 2: 0." in text and "**Answer" not in text
    assert text.startswith("# HW5 Written Part")                                      # the rest is built in
    assert "**Answer 2a.**" in derive.render(hw5, "markdown")                          # and only for that call


def test_html_style_override(tmp_path, hw5):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "style.css.j2").write_text(
        '{% include "builtin/html/style.css.j2" %}\n:root { --accent: #8c1515; }\n')
    page = derive.render(hw5, "html", templates=str(tmp_path))
    assert "--accent: #8c1515;" in page and "--accent: #1f4e8c;" in page


def test_beamer_theme_override(tmp_path, hw5):
    (tmp_path / "beamer").mkdir()
    (tmp_path / "beamer" / "base.tex.j2").write_text(
        '((* extends "builtin/beamer/base.tex.j2" *))\n((* block preamble *))\n\\usetheme{Madrid}\n((* endblock preamble *))\n')
    deck = derive.render(hw5, "beamer", templates=tmp_path)
    assert "\\usetheme{Madrid}" in deck and deck.count("\\begin{frame}[allowframebreaks") == 10


@pytest.mark.parametrize("body, message", [
    ("((* extends \"builtin/latex/base.tex.j2\" *))\n((* block title *))((( course )))((* endblock *))\n",
     "base.tex.j2, line 2: 'course' is undefined"),
    ("((* if *))\n", "base.tex.j2, line 1: Expected an expression"),
    ("((* extends \"builtin/latex/nope.tex.j2\" *))\n", "builtin/latex/nope.tex.j2"),
], ids=["undefined", "syntax", "missing"])
def test_template_errors_name_file_and_line(run, tmp_path, body, message):
    (tmp_path / "brand" / "latex").mkdir(parents=True)
    (tmp_path / "brand" / "latex" / "base.tex.j2").write_text(body)
    result = run("solutions", "--templates", "brand")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_missing_folder(run, tmp_path):
    for command in ("solutions", "problems", "snippets"):
        result = run(command, "--templates", "nowhere")
        assert result.exit_code == 2 and "nowhere" in result.output
    with pytest.raises(derive.errors.UsageError, match="no such folder"):
        derive.render(derive.solve(derive.load(), ["2a"]), "latex", templates=tmp_path / "nowhere")
