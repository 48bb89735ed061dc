"""The LaTeX key compiles with Debian's base TeX packages, escapes user text, and reads cleanly."""

import re
import shutil
import subprocess

import pytest

import derive
from derive.formats import latex as tex

from conftest import need_tex

ALLOWED_PACKAGES = {"inputenc", "geometry", "amsmath", "amssymb", "microtype", "xcolor", "hyperref",
                    "tikz"}      # tikz: texlive-pictures, for the figures (loaded only when there is one)


def compile_tex(source: str, tmp_path, name: str = "key"):
    """Run pdflatex once on source (as <name>.tex in tmp_path); the log, after asserting success."""
    (tmp_path / f"{name}.tex").write_text(source, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", f"{name}.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert proc.returncode == 0, "\n".join(l for l in log.splitlines() if l.startswith("!"))
    return log


def overfull(log: str) -> list[str]:
    """The overfull-box warnings of a TeX log (horizontal and vertical)."""
    return [line for line in log.splitlines() if line.startswith(("Overfull \\hbox", "Overfull \\vbox"))]


@pytest.mark.slow
def test_hw5_compiles_without_overfull_boxes(hw5, tmp_path):
    need_tex()
    log = compile_tex(derive.render(hw5, "latex"), tmp_path)
    assert "Overfull \\hbox" not in log
    assert (tmp_path / "key.pdf").stat().st_size > 10_000


def test_only_base_packages(hw5):
    source = derive.render(hw5, "latex")
    used = {p.strip() for group in re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", source)
            for p in group.split(",")}
    assert used <= ALLOWED_PACKAGES
    assert "\\write18" not in source


NASTY = r"Week #3: 100% of $x_1$ & {braces} ~ ^ \input{/etc/passwd} <tags>"


@pytest.mark.slow
def test_user_text_is_escaped(tmp_path):
    need_tex()
    doc = derive.solve(derive.loads(f"""
title = '{NASTY}'
due = '{NASTY}'
[[problem]]
title = '{NASTY}'
kind = "rnn-activation"
W_a = 1
  [[problem.part]]
  activation = "sigmoid"
  called = '{NASTY}'
  ask = "derivative"
"""))
    source = derive.render(doc, "latex")
    assert "\\input{/etc/passwd}" not in source
    assert tex.escape(NASTY) in source
    compile_tex(source, tmp_path)


def test_escape():
    assert tex.escape("a_b & 50% {x}") == r"a\_b \& 50\% \{x\}"
    assert tex.escape("3 × 3 − 1 → ∞") == r"3~$\times$~3~$-$~1~$\to$~$\infty$"      # held together: one formula
    assert tex.escape("\\cmd") == r"$\backslash$cmd"


def test_notation(hw5):
    source = derive.render(hw5, "latex")
    for piece in (r"a^{(i)\langle t-1\rangle}", r"W_a^{[1]}", r"\frac{\partial a^{(i)\langle t\rangle}}",
                  r"x_{1}^{(i)}", r"\fbox"):
        assert piece in source


@pytest.mark.slow
def test_pdftoppm_renders_every_page(tmp_path):
    need_tex()
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm not installed")
    from derive.pdf import compile_pdf
    (tmp_path / "key.pdf").write_bytes(compile_pdf(derive.render(derive.solve(derive.load()), "latex")))
    subprocess.run(["pdftoppm", "-png", "-r", "20", "key.pdf", "page"], cwd=tmp_path, check=True)
    assert len(list(tmp_path.glob("page-*.png"))) >= 4


@pytest.mark.slow
def test_one_pass_unless_the_log_asks_for_more(tmp_path):
    """The article compiles in one pdflatex pass; a document with a cross-reference (a user's template) is
    run again until the reference resolves."""
    need_tex()
    from derive import pdf
    calls = []
    run = pdf._run
    pdf._run = lambda cmd, folder: calls.append(1) or run(cmd, folder)
    try:
        pdf.compile_pdf(derive.render(derive.solve(derive.load(), only=["2a"]), "latex"))
        assert len(calls) == 1
        calls.clear()
        data = pdf.compile_pdf("\\documentclass{article}\\begin{document}See section \\ref{s}.\\section{S}\\label{s}"
                               "\\end{document}")
    finally:
        pdf._run = run
    assert len(calls) == 2
    (tmp_path / "r.pdf").write_bytes(data)
    text = subprocess.run(["pdftotext", "r.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "See section 1." in text and "??" not in text
