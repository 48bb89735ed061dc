"""The beamer deck: one frame per question, long derivations continued on following frames,
compiles with the article's Debian TeX packages with no overfull box at all."""

import os
import re

import pytest
from click.testing import CliRunner

import derive
from derive.cli import cli

from conftest import need_tex
from test_latex import ALLOWED_PACKAGES, compile_tex, overfull

# beamer itself (texlive-latex-recommended) and graphicx (texlive-latex-base, for shrinking a
# display wider than a slide) on top of the article's packages.
BEAMER_PACKAGES = ALLOWED_PACKAGES | {"graphicx"}


@pytest.fixture(scope="module")
def deck(hw5):
    return derive.render(hw5, "beamer")


def used_packages(source: str) -> set[str]:
    return {p.strip() for group in re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", source) for p in group.split(",")}


def test_one_frame_per_question(hw5, deck):
    assert deck.startswith("\\documentclass[11pt,aspectratio=169]{beamer}")
    titles = re.findall(r"\\begin\{frame\}\[allowframebreaks,t\]\{Problem ([^}]*)\}", deck)
    assert titles == [q.id for q in hw5.questions()]
    assert deck.count("\\begin{frame}") == len(titles) + 1                 # and the title frame
    assert deck.split("\\begin{document}")[1].count("\\begin{deriveanswer}") == len(titles)


def test_only_debian_packages(deck):
    assert used_packages(deck) <= BEAMER_PACKAGES
    assert "\\write18" not in deck


@pytest.mark.slow
def test_compiles_without_overfull_boxes(hw5, deck, tmp_path):
    """Threshold: none at all, horizontal or vertical (wide displays shrink to the frame, tall ones to
    0.7 of its height, and frames break between steps)."""
    need_tex()
    log = compile_tex(deck, tmp_path, "slides")
    assert overfull(log) == []
    pages = int(re.search(r"Output written on slides\.pdf \((\d+) pages?", log).group(1))
    assert pages > 1 + len(list(hw5.questions()))                          # some derivations continue


def test_problem_deck(hw5, tmp_path):
    deck = derive.render(hw5, "beamer", sheet="problems")
    assert "deriveanswer" not in deck.split("\\begin{document}")[1] and "\\item" not in deck
    assert re.findall(r"\\begin\{frame\}\[allowframebreaks,t\]\{Problem ([^}]*)\}", deck) == [q.id for q in hw5.questions()]
    need_tex()
    assert overfull(compile_tex(deck, tmp_path, "problems")) == []


@pytest.mark.slow
def test_cli_beamer_and_beamer_pdf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["solutions", "-f", "beamer", "--only", "2a,2b"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == os.path.join("out", "hw5-solutions-slides.tex")
    source = (tmp_path / "out" / "hw5-solutions-slides.tex").read_text()
    assert source.count("\\begin{frame}[allowframebreaks") == 2
    result = CliRunner().invoke(cli, ["problems", "-f", "beamer-pdf", "-o", "-"])
    assert result.exit_code == 2 and "standard output" in result.output
    need_tex()
    result = CliRunner().invoke(cli, ["solutions", "-f", "beamer-pdf", "--only", "3a"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == os.path.join("out", "hw5-solutions-slides.pdf")
    assert (tmp_path / "out" / "hw5-solutions-slides.pdf").read_bytes().startswith(b"%PDF")


def test_user_text_is_escaped(tmp_path):
    nasty = r"Week #3: 100% of $x_1$ & {braces} ~ ^ \input{/etc/passwd}"
    doc = derive.solve(derive.loads(f"""
title = '{nasty}'
due = '{nasty}'
[[problem]]
title = '{nasty}'
kind = "rnn-activation"
W_a = 1
  [[problem.part]]
  activation = "sigmoid"
  ask = "derivative"
"""))
    deck = derive.render(doc, "beamer")
    assert "\\input{/etc/passwd}" not in deck
    need_tex()
    compile_tex(deck, tmp_path, "nasty")
