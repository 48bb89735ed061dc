"""The beamer deck: one frame per question, long derivations continued on following frames,
compiles with the article's Debian TeX packages with no overfull box at all."""

import os
import re
import subprocess

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


@pytest.mark.slow
def test_a_figure_shrinks_no_further_than_its_labels_at_7pt(deck, tmp_path):
    r"""\derivefigure, with the deck's preamble: a picture that fits its room (0.74 of the text height, with its
    caption) is set as it is; one a little taller is shrunk to the room; one far taller only to 7/8, its 8 pt
    labels at 7 pt (the log says how far each went); a picture holding \derivekeys is set over its key table
    when the two fit at 7/8, else apart, the table on the next frame under its own caption."""
    need_tex()
    rule = r"\rule{1pt}{%spt}"
    figures = [(rule % 150, "Fits."), (rule % 190, "A little tall."), (rule % 205, "Far too tall."),
               (rule % 60 + r"\derivekeys{Keys together.}{" + rule % 60 + "}", "With keys."),
               (rule % 60 + r"\derivekeys{Keys apart.}{" + rule % 160 + "}", "Keys too tall.")]
    frames = "".join(rf"\begin{{frame}}[allowframebreaks,t]{{F}}{{S}}\derivefigure{{{p}}}{{{c}}}\end{{frame}}" "\n"
                     for p, c in figures)
    source = deck.split("\\begin{document}")[0] + "\\begin{document}\n" + frames + "\\end{document}\n"
    log = compile_tex(source, tmp_path, "figures")
    assert overfull(log) == []
    shrunk = [(float(at), float(pt)) for at, pt in
              re.findall(r"derive: a figure at ([\d.]+) of its size, its\s+labels ([\d.]+)pt", log)]
    assert len(shrunk) == 2 and shrunk[1] == (0.875, 7.0)            # the first fits, the last two apart fit
    (at, pt), room = shrunk[0], 0.74 * 244.0748                        # a frame's text height, measured (pt)
    assert 0.875 < at < 1 and abs(pt - 8 * at) < 0.01 and room - 10 < 190 * at < room - 5   # a caption's line
    pages = subprocess.run(["pdftotext", str(tmp_path / "figures.pdf"), "-"], capture_output=True,
                           text=True).stdout.split("\f")
    assert not any("Keys together." in page for page in pages)
    apart = next(k for k, page in enumerate(pages) if "Keys apart." in page)
    assert "Keys too tall." in pages[apart - 1] and "Keys too tall." not in pages[apart]
