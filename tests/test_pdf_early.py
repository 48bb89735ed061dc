"""TeX started before its document is rendered (derive.pdf.Early, derive.formats.latex_early): the same PDF bytes as
the usual way, with the cache's format (dumped early when missing) and without it, for one pass and for slides'
two; a document that begins otherwise, or fails, is compiled the usual way; nothing is left running or on disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import derive
from derive import pdf, texformat
from derive.errors import TexError
from derive.formats import FORMATS, latex_early

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

DOC = r"""\documentclass{article}
\usepackage{amsmath}
\newcommand{\PRE}{%s}
\begin{document}
\section{One}\label{one}
\PRE{} $x^2 \neq y$, see Section~\ref{two} on page~\pageref{two}.
\newpage
\section{Two}\label{two}
Back to Section~\ref{one}.
\end{document}
"""


@pytest.fixture
def quiet(tmp_path, monkeypatch):
    """The cache in a fresh folder, PDFs without a date; counts the runs the usual way makes."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("FORCE_SOURCE_DATE", "1")
    monkeypatch.delenv("DERIVE_NO_CACHE", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    runs = []
    original = pdf._run

    def run(cmd, folder):
        runs.append(cmd)
        return original(cmd, folder)
    monkeypatch.setattr(pdf, "_run", run)
    return tmp_path / "tmp", runs


def lead(source: str) -> str:
    preamble, body = texformat.split(source)
    return preamble + body[:body.index("\n") + 1]


def early(source: str, passes: int, cache: bool, begun: list[str] | None = None, origin: str | None = None) -> bytes:
    with pdf.early_runs():
        pdf.start_early(begun or [lead(source)], passes, cache, origin)
        return pdf.compile_pdf(source, passes, cache=cache, origin=origin)


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("passes", [1, 2])
def test_an_early_run_makes_the_pdf_the_usual_way_makes(quiet, cache, passes):
    tmp, runs = quiet
    source = DOC % f"Early {passes}"
    first = early(source, passes, cache)                     # with the cache on: the format dumped early
    early_runs = len(runs)
    usual = pdf.compile_pdf(source, passes, cache=cache)
    before = len(runs)
    again = early(source, passes, cache)                     # the format there already
    assert first == usual == again
    assert early_runs == 1                                   # the references' second pass, the usual way
    assert len(runs) - before == (0 if cache and passes == 2 else 1)    # slides start from the last auxiliary
    #                                                                     files: one pass when they come back the same
    assert not os.listdir(tmp)                               # no folder left behind


def test_references_of_an_early_two_pass_document_are_resolved(quiet, tmp_path):
    out = early(DOC % "Refs", 2, False)
    path = tmp_path / "r.pdf"
    path.write_bytes(out)
    import subprocess
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "see Section 2 on page 2" in text and "Back to Section 1" in text and "??" not in text


def test_a_document_that_begins_otherwise_is_compiled_the_usual_way(quiet):
    tmp, runs = quiet
    source = DOC % "Other"
    out = early(source, 1, True, begun=[lead(DOC % "Guessed")], origin="o")     # another preamble was guessed
    assert out == pdf.compile_pdf(source, 1, origin="o") and len(runs) == 4      # two passes each, the usual way
    assert not os.listdir(tmp)
    assert len(list(formats(tmp))) == 1                      # the wrong guess's format dumped, not kept


def formats(tmp: Path):
    return (tmp.parent / "xdg" / "derive" / texformat.FOLDER).glob("*.fmt")


def test_the_guess_the_cache_has_a_format_of_is_taken(quiet):
    tmp, runs = quiet
    source = DOC % "Cached"
    usual = pdf.compile_pdf(source, 1, origin="o")            # its format kept
    assert len(runs) == 2
    out = early(source, 1, True, begun=[lead(DOC % "Guessed"), lead(source)], origin="o")
    assert out == usual and len(runs) == 3                   # the early run, then the references' pass
    assert len(list(formats(tmp))) == 1


def test_a_failing_document_fails_as_it_would_the_usual_way(quiet):
    tmp, runs = quiet
    source = (DOC % "Broken").replace("Back to", r"\undefinedmacro Back to")
    with pytest.raises(TexError) as err:
        early(source, 1, True)
    with pytest.raises(TexError) as usual:
        pdf.compile_pdf(source, 1)
    assert "Undefined control sequence" in str(err.value) and str(err.value) == str(usual.value)
    assert not os.listdir(tmp)


def test_an_early_run_no_document_takes_is_ended(quiet):
    tmp, _ = quiet
    with pdf.early_runs():
        pdf.start_early([lead(DOC % "Unused")], 1, False)
        started = list(pdf._EARLY)
        started[0].thread.join()
        proc = started[0].proc
        assert proc is not None and proc.poll() is None     # TeX waits for the rest of its input
    assert proc.poll() is not None and not pdf._EARLY and not os.listdir(tmp)


def test_the_guessed_beginning_is_the_rendered_one(hw5):
    problem_set = derive.load()
    for name in ("pdf", "beamer-pdf"):
        form = FORMATS[name]
        source = derive.render(hw5, form.compiled_from)
        begun = latex_early.lead(form, problem_set, "solutions")
        assert begun is not None and source.startswith(begun) and begun.endswith("\\begin{document}\n")
    begun = latex_early.lead(FORMATS["pdf"], problem_set, "solutions", figures=False)
    assert not derive.render(hw5, "latex").startswith(begun)        # no TikZ guessed: compiled the usual way


def test_the_command_compiles_what_it_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("FORCE_SOURCE_DATE", "1")
    from derive import commands
    out = tmp_path / "out"
    commands.solutions(None, "latex,pdf", str(out) + "/", only="3a,3b")
    tex, made = (out / "hw5-solutions.tex").read_text(), (out / "hw5-solutions.pdf").read_bytes()
    assert made == pdf.compile_pdf(tex) and not pdf._EARLY


@pytest.mark.slow
def test_slides_in_one_pass_are_the_slides_in_two(quiet, hw5, tmp_path):
    """HW5's deck needs its second pass when nothing is known of it (frame numbers 'n / 43', the outline); from
    the auxiliary files of the last compilation of the same deck it is made in one pass, early, and is the same
    PDF as the two passes made, byte for byte, and the same text as the plain two-pass compilation's."""
    import subprocess
    _, runs = quiet
    slides = derive.render(hw5, "beamer")
    two = pdf.compile_pdf(slides, 2, origin="built-in")      # the format dumped, two passes: no auxiliary files yet
    assert len(runs) == 2
    one = early(slides, 2, True, origin="built-in")
    assert len(runs) == 2 and one == two                      # the early run alone: one pass
    plain = pdf.compile_pdf(slides, 2, cache=False)
    texts = []
    for name, data in (("one", one), ("plain", plain)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
        texts.append(subprocess.run(["pdftotext", str(tmp_path / f"{name}.pdf"), "-"], capture_output=True,
                                    text=True, check=True).stdout)
    assert texts[0] == texts[1] and "2 / " in texts[0] and "2/1" not in texts[0]


def test_a_run_left_while_its_format_is_dumped_leaves_nothing(quiet):
    tmp, _ = quiet
    with pdf.early_runs():
        pdf.start_early([lead(DOC % "Left")], 1, True, "o")   # no format yet: dumped aside first
    assert not pdf._EARLY and not os.listdir(tmp) and not list(formats(tmp))


KILLED = """
import os, sys, time
from derive import pdf
pdf.TIMEOUT = 2
runs = pdf.early_runs()
runs.__enter__()
pdf.start_early([sys.argv[1]], 1, False)
time.sleep(float(sys.argv[2]))
os.kill(os.getpid(), 9)
"""


@pytest.mark.parametrize("after", [0.05, 1.0])
def test_tex_started_early_ends_when_derive_is_killed(tmp_path, after):
    """Killed later (TeX waiting for the rest), TeX reads the end of its input and stops; killed at once (TeX
    loading the packages, its pipe not open yet: no writer will come), it is ended after its time (here 2 s)."""
    import subprocess
    import sys
    import time
    work = tmp_path / "t"
    work.mkdir()
    env = {**os.environ, "TMPDIR": str(work)}
    subprocess.run([sys.executable, "-c", KILLED, lead(DOC % "Killed"), str(after)], env=env, timeout=60)

    def left():
        out = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{pid}/cwd").startswith(str(work)):
                    out.append(pid)
            except OSError:
                pass
        return out
    deadline = time.monotonic() + 20
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left()
