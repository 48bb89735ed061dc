"""`derive problems`: the questions alone, from the same spec as the key, in every format but JSON."""

import os
import re

import pytest
from click.testing import CliRunner

import derive
from derive.cli import cli
from derive.formats import latex as tex
from derive.formats.layout import ARTICLE, SLIDE

from conftest import need_tex
from test_latex import compile_tex, overfull
from test_markdown import maths_balance

WEEK = """
title = "Week 3"
[[problem]]
title = "Strided convolution"
kind = "cnn-dims"
input = [{n}, {n}, 3]
layers = [{{ type = "conv", filters = 4, kernel = 3, stride = 2 }}]
  [[problem.part]]
  ask = "shapes"
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("fmt, ext", [("latex", "tex"), ("markdown", "md"), ("html", "html"),
                                      ("beamer", "tex")])
def test_default_paths(run, tmp_path, fmt, ext):
    result = run("problems", "-f", fmt)
    assert result.exit_code == 0, result.output
    name = "hw5-problems-slides.tex" if fmt == "beamer" else f"hw5-problems.{ext}"
    written = result.output.split()
    assert written[0] == os.path.join("out", name)
    assert all(re.fullmatch(r"out/hw5-\d[a-z](\.[iv]+)?-fig\d-sheet\.svg", p) for p in written[1:])   # figures it links
    assert (fmt == "markdown") == bool(written[1:])
    assert (tmp_path / "out" / name).stat().st_size > 1000


@pytest.mark.parametrize("fmt", ["latex", "markdown", "html", "beamer"])
def test_questions_without_answers(hw5, fmt):
    sheet = derive.render(hw5, fmt, sheet="problems")
    body = sheet.split("\\begin{document}")[-1]                           # not the preamble's macros
    body = re.sub(r"<svg.*?</svg>|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", "", body, flags=re.S)   # a figure's
    # geometry is numbers (what a sheet's figure shows is tested in test_figures and the kinds' figure tests)
    for word in ("Answer", "Note.", "boxed", "Quotient rule", "280"):
        assert word not in body, (fmt, word)
    for q in hw5.questions():
        room = {"latex": ARTICLE, "beamer": SLIDE}.get(fmt)                 # as each lays its prose out
        if room:
            assert tex.text(q.text, q.notation, room) in sheet
    if fmt == "markdown":
        assert maths_balance(sheet) == []


def test_json_is_refused(run, tmp_path):
    result = run("problems", "-f", "json")
    assert result.exit_code == 2 and "no format 'json' for the problems" in result.output
    assert not (tmp_path / "out").exists()


def test_sheet_and_key_change_together(run, tmp_path):
    """One number in the spec changes the question on the sheet and the answer in the key."""
    for n in (32, 65):
        (tmp_path / f"week{n}.toml").write_text(WEEK.format(n=n))
        assert run("problems", f"week{n}.toml", "-f", "markdown").exit_code == 0
        assert run("solutions", f"week{n}.toml", "-f", "json").exit_code == 0
    assert "32\u00a0×\u00a032\u00a0×\u00a03" in (tmp_path / "out" / "week32-problems.md").read_text()   # held together
    assert "65\u00a0×\u00a065\u00a0×\u00a03" in (tmp_path / "out" / "week65-problems.md").read_text()
    import json
    values = {n: json.loads((tmp_path / "out" / f"week{n}-solutions.json").read_text())["parts"][0]["answer"]["value"]
              for n in (32, 65)}
    assert values == {32: [[15, 15, 4]], 65: [[32, 32, 4]]}


def test_solutions_keep_the_question_above_the_answer(hw5):
    key = derive.render(hw5, "latex")
    for q in hw5.questions():
        assert key.index(tex.text(q.text, q.notation, ARTICLE)) < key.index(f"\\textbf{{Answer {q.id}.}}")


def test_sheet_pdf_has_room_for_answers(hw5, tmp_path):
    sheet = derive.render(hw5, "latex", sheet="problems")
    assert sheet.count("\\rule{0pt}{") == 10 and "{\\large Problems}" in sheet
    need_tex()
    log = compile_tex(sheet, tmp_path, "sheet")
    assert overfull(log) == []


def test_only(run, tmp_path):
    result = run("problems", "--only", "3b", "-o", "-", "-f", "markdown")
    assert result.exit_code == 0
    assert "### 3b" in result.output and "### 3a" not in result.output and "Problem 1" not in result.output
