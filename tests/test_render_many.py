"""Several formats in one run (formats.render_many): each as render gives it, the PDFs compiled at once."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest

from derive import formats, pdf


def pages(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_each_format_as_render_gives_it(hw5, tmp_path):
    names = ["latex", "pdf", "json", "markdown", "html", "beamer", "beamer-pdf"]
    many = formats.render_many(hw5, names, cache=False)
    for name, got in zip(names, many):
        alone = formats.render(hw5, name, cache=False)
        if isinstance(got, bytes):
            assert pages(got, tmp_path, name + "1") == pages(alone, tmp_path, name + "2")
        else:
            assert got == alone, name


def test_the_pdfs_compile_at_once_while_the_rest_renders(monkeypatch):
    inside = threading.Barrier(3, timeout=30)                # both compilations and the other formats at once
    monkeypatch.setattr(pdf, "compile_pdf", lambda source, passes, cache, origin=None: (inside.wait(), source.encode())[1])
    calls = []

    def meanwhile():
        calls.append(threading.current_thread() is threading.main_thread())
        inside.wait()
        return "rest"
    assert pdf.compile_all([("a", 1), ("b", 2)], meanwhile) == ([b"a", b"b"], "rest")
    assert calls == [True]


def test_a_failed_compilation_is_raised(monkeypatch):
    def fails(source, passes, cache, origin=None):
        raise pdf.TexError("TeX failed: " + source)
    monkeypatch.setattr(pdf, "compile_pdf", fails)
    with pytest.raises(pdf.TexError, match="TeX failed: a"):
        pdf.compile_all([("a", 1)], lambda: None)


def test_an_interrupt_ends_every_tex_run(monkeypatch):
    monkeypatch.setattr(pdf, "command", lambda main="main.tex": ["sleep", "60"])
    started = []

    def interrupted():
        while len(pdf._RUNNING) < 2:
            time.sleep(0.01)
        started.extend(pdf._RUNNING)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        pdf.compile_all([("a", 1), ("b", 1)], interrupted, cache=False)
    assert len(started) == 2 and all(p.poll() is not None for p in started) and not pdf._RUNNING
    assert pdf.compile_all([], lambda: 1) == ([], 1)
