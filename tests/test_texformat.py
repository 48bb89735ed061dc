"""The LaTeX preamble dumped as a format in the user's cache (derive.texformat): used, invalidated, never
at the cost of a PDF (a broken format falls back to the plain run), safe for concurrent runs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from derive import pdf, texformat
from derive.errors import TexError

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

DOC = r"""\documentclass{article}
\usepackage{amsmath}
\newcommand{\PRE}{%s}
\begin{document}
\PRE{} $x^2 \neq y$ \today
\end{document}
"""


@pytest.fixture
def formats(tmp_path, monkeypatch):
    """The cache on, in a fresh folder; records the -fmt of every TeX run: returns (folder, runs)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DERIVE_NO_CACHE", raising=False)
    runs = []
    original = pdf._run

    def run(cmd, folder):
        runs.append(next((c for c in cmd if c.startswith("-fmt=")), None))
        return original(cmd, folder)
    monkeypatch.setattr(pdf, "_run", run)
    return tmp_path / "xdg" / "derive" / texformat.FOLDER, runs


def text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "t.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_preamble_is_dumped_once_and_used_with_the_same_pages(formats, tmp_path):
    folder, runs = formats
    first = pdf.compile_pdf(DOC % "Hello")
    assert len(list(folder.glob("*.fmt"))) == 1 and runs == ["-fmt=derive-preamble"]
    again = pdf.compile_pdf(DOC % "Hello")
    plain = pdf.compile_pdf(DOC % "Hello", cache=False)
    assert runs[-2:] == ["-fmt=derive-preamble", None]
    assert text(first, tmp_path) == text(again, tmp_path) == text(plain, tmp_path)
    assert "Hello" in text(again, tmp_path)


@pytest.mark.slow
def test_a_changed_preamble_gets_its_own_format(formats, tmp_path):
    folder, _ = formats
    pdf.compile_pdf(DOC % "Hello")
    assert "Bye" in text(pdf.compile_pdf(DOC % "Bye"), tmp_path)
    assert len(list(folder.glob("*.fmt"))) == 2


@pytest.mark.slow
def test_a_changed_input_file_dumps_the_format_again(formats, monkeypatch):
    folder, _ = formats
    pdf.compile_pdf(DOC % "Hello")
    (inputs,) = folder.glob("*.inputs")
    secret = (folder / "secret").read_bytes()
    record = texformat._unsealed(inputs, secret)
    amsmath = next(name for name in record["inputs"] if name.endswith("/amsmath.sty"))
    fmt = next(folder.glob("*.fmt"))
    assert texformat._verified(fmt, secret) == fmt.read_bytes()
    record["inputs"][amsmath][0] += 1                        # as if TeX Live had updated amsmath since
    texformat._seal(inputs, secret, record)
    assert texformat._verified(fmt, secret) is None
    pdf.compile_pdf(DOC % "Hello")
    assert texformat._verified(fmt, secret) == fmt.read_bytes()


def test_no_cache_and_the_environment_turn_it_off(formats, monkeypatch):
    folder, runs = formats
    pdf.compile_pdf(DOC % "Hello", cache=False)
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    pdf.compile_pdf(DOC % "Hello")
    assert runs == [None, None] and not folder.exists()


@pytest.mark.slow
def test_a_broken_format_falls_back_and_is_removed(formats, tmp_path):
    folder, runs = formats
    pdf.compile_pdf(DOC % "Hello")
    fmt = next(folder.glob("*.fmt"))
    garbage = b"\0" * fmt.stat().st_size
    fmt.write_bytes(garbage)                                 # same size, but its signed record does not vouch for it
    assert "Hello" in text(pdf.compile_pdf(DOC % "Hello"), tmp_path)
    assert runs[-1] == "-fmt=derive-preamble" and fmt.read_bytes() != garbage      # dumped again, used
    secret = (folder / "secret").read_bytes()                # one derive signed that TeX cannot read: the plain
    record = texformat._unsealed(fmt.with_suffix(".inputs"), secret)               # run, and it is removed
    fmt.write_bytes(garbage)
    texformat._seal(fmt.with_suffix(".inputs"), secret, {**record, "sha256": hashlib.sha256(garbage).hexdigest()})
    assert "Hello" in text(pdf.compile_pdf(DOC % "Hello"), tmp_path)
    assert runs[-2:] == ["-fmt=derive-preamble", None] and not fmt.exists()
    pdf.compile_pdf(DOC % "Hello")                           # dumped afresh, used again
    assert runs[-1] == "-fmt=derive-preamble" and fmt.exists()


def test_a_preamble_that_cannot_be_dumped_compiles_the_plain_way(formats, tmp_path, capfd):
    folder, runs = formats
    doc = DOC.replace(r"\begin{document}", "\\begingroup\n\\begin{document}") % "Hi"   # no \dump in a group
    assert "Hi" in text(pdf.compile_pdf(doc), tmp_path)
    assert runs == [None] and not list(folder.glob("*.fmt"))
    assert capfd.readouterr().err == ""


@pytest.mark.slow
def test_a_document_error_is_the_plain_runs_error(formats):
    _, runs = formats
    pdf.compile_pdf(DOC % "Hello")
    with pytest.raises(TexError) as raised:
        pdf.compile_pdf((DOC % "Hello").replace(r"\PRE{}", r"\undefinedmacro"))
    with pytest.raises(TexError) as plain:
        pdf.compile_pdf((DOC % "Hello").replace(r"\PRE{}", r"\undefinedmacro"), cache=False)
    assert str(raised.value) == str(plain.value) and "main.tex:5" in str(plain.value)


def test_a_document_is_split_only_at_a_document_line_after_a_preamble():
    assert texformat.split("\\relax no document here") is None
    assert texformat.split("\\begin{document}\nx\\end{document}") is None


@pytest.mark.slow
def test_concurrent_runs_each_get_the_pdf_and_one_format(formats, tmp_path):
    folder, _ = formats
    results, errors = [], []

    def build():
        try:
            where = tmp_path / str(threading.get_ident())
            where.mkdir()
            results.append(text(pdf.compile_pdf(DOC % "Same"), where))
        except Exception as err:                             # noqa: BLE001 - reported below
            errors.append(err)
    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1 and "Same" in results[0]
    assert len(list(folder.glob("*.fmt"))) == 1 and not list(folder.glob(".*"))


@pytest.mark.slow
def test_only_the_most_recently_used_formats_are_kept(formats, monkeypatch):
    folder, _ = formats
    monkeypatch.setattr(texformat, "KEEP", 2)
    for word in ("A", "B", "C"):
        pdf.compile_pdf(DOC % word)
    assert len(list(folder.glob("*.fmt"))) == 2 and len(list(folder.glob("*.inputs"))) == 2


@pytest.mark.slow
def test_tikz_and_pgfplots_draw_the_same_from_a_format(formats, tmp_path):
    doc = (r"\documentclass{article}\usepackage{tikz}\usepackage{pgfplots}\pgfplotsset{compat=1.17}"
           "\n\\usetikzlibrary{arrows.meta}\n\\begin{document}\n"
           r"\begin{tikzpicture}\begin{axis}[width=5cm]\addplot[domain=-2:2]{tanh(x)};\end{axis}"
           r"\draw[-Stealth] (0,0)--(1,1);\end{tikzpicture}" "\n\\end{document}\n")
    _, runs = formats
    images = []
    for cache in (True, True, False):
        (tmp_path / "p.pdf").write_bytes(pdf.compile_pdf(doc, cache=cache))
        subprocess.run(["pdftoppm", "-r", "30", "-png", str(tmp_path / "p.pdf"), str(tmp_path / "p")], check=True)
        images.append(next(tmp_path.glob("p*.png")).read_bytes())
    assert runs == ["-fmt=derive-preamble", "-fmt=derive-preamble", None]
    assert images[0] == images[1] == images[2]


TOC = r"""\documentclass{article}
\begin{document}
\tableofcontents
%s
\end{document}
"""


@pytest.mark.slow
def test_a_document_of_two_passes_starts_from_the_last_ones_auxiliary_files(formats, tmp_path):
    folder, runs = formats
    one = TOC % r"\section{Alpha} a"
    two = TOC % r"\section{Alpha} a \section{Beta} b"
    pdf.compile_pdf(one, 2)
    assert len(runs) == 2
    again = pdf.compile_pdf(one, 2)
    assert len(runs) == 3                                    # its auxiliary files came back unchanged: one pass
    assert text(again, tmp_path) == text(pdf.compile_pdf(one, 2, cache=False), tmp_path)
    del runs[:]
    changed = pdf.compile_pdf(two, 2)                        # a new section: the contents need the second pass
    assert len(runs) == 2 and text(changed, tmp_path).count("Beta") == 2           # listed and set
    assert text(changed, tmp_path) == text(pdf.compile_pdf(two, 2, cache=False), tmp_path)


@pytest.mark.slow
def test_damaged_auxiliary_files_are_not_used(formats, tmp_path):
    folder, runs = formats
    doc = TOC % r"\section{Alpha} a"
    pdf.compile_pdf(doc, 2)
    (aux,) = folder.glob("*.aux.json")
    for damaged in ("not json", '{"../main.aux": "x"}', '{"main.tex": "x"}', '["main.aux"]'):
        aux.write_text(damaged)
        del runs[:]
        assert "Alpha" in text(pdf.compile_pdf(doc, 2), tmp_path) and len(runs) == 2


@pytest.mark.slow
def test_documents_share_a_format_only_under_one_named_origin(formats):
    folder, _ = formats
    for body in ("a", "b"):                                  # of unknown origin: each document on its own
        pdf.compile_pdf(TOC % body, 2)
    assert len(list(folder.glob("*.fmt"))) == len(list(folder.glob("*.aux.json"))) == 2
    for body in ("a", "b"):                                  # the same templates: one format, one set of aux files
        pdf.compile_pdf(TOC % body, 2, origin="builtin")
    assert len(list(folder.glob("*.fmt"))) == len(list(folder.glob("*.aux.json"))) == 3


BODY_DOC = DOC.replace(r"\newcommand{\PRE}{%s}", "").replace(r"\PRE{}", "%s")         # one preamble, many bodies


def test_a_runs_own_formats_dump_each_preamble_once_and_give_the_same_bytes(tmp_path, monkeypatch):
    """derive variants' PDFs: within shared_preambles every document is compiled from its preamble dumped once
    into the run's folder, the cache off or on; another run (another dump, another day) gives the same bytes."""
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("FORCE_SOURCE_DATE", "1")
    dumps, runs = [], []
    dumped, ran = texformat._dumped, pdf._run
    monkeypatch.setattr(texformat, "_dumped", lambda *a: dumps.append(1) or dumped(*a))
    monkeypatch.setattr(pdf, "_run", lambda cmd, folder: runs.append(cmd) or ran(cmd, folder))
    other = BODY_DOC.replace(r"\usepackage{amsmath}", r"\usepackage{amssymb}")
    with pdf.shared_preambles() as folder:
        first = [pdf.compile_pdf(BODY_DOC % k, cache=False) for k in ("one", "two")] + [pdf.compile_pdf(other % "x")]
        assert len(list(Path(folder).glob("*.fmt"))) == 2
    assert not Path(folder).exists() and len(dumps) == 2               # a dump a preamble, the folder removed
    assert all(any(c.startswith("-fmt=") for c in cmd) for cmd in runs)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")                   # dumped on another day ...
    with pdf.shared_preambles() as folder:
        for k, source in enumerate((BODY_DOC % "", other % "")):
            (tmp_path / str(k)).mkdir()
            assert texformat.local(source, pdf.command()[0], str(tmp_path / str(k)), folder) is not None
        assert len(dumps) == 4
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")                   # ... the PDFs made with the same date
        again = [pdf.compile_pdf(BODY_DOC % k, cache=False) for k in ("one", "two")] + [pdf.compile_pdf(other % "x")]
    assert again == first and "one" in text(first[0], tmp_path) and "two" in text(first[1], tmp_path)


def test_a_runs_own_format_that_cannot_be_dumped_compiles_the_plain_way(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("FORCE_SOURCE_DATE", "1")
    monkeypatch.setattr(texformat, "_dumped", lambda *a: (_ for _ in ()).throw(OSError("no dump")))
    with pdf.shared_preambles():
        data = pdf.compile_pdf(DOC % "plain", cache=False)
    assert data == pdf.compile_pdf(DOC % "plain", cache=False) and "plain" in text(data, tmp_path)
